/**
 * Child process of mint.crash.test.ts: one mint, from request to ledger posting, on a
 * durable embedded store and a `hardhat node`. With `crashAt`, it kills itself (SIGKILL) at
 * that point of the connector; run again without it, it must finish the same mint, not make
 * a second one. Usage: node --import tsx mint-crash-child.ts '<json arguments>'.
 */
import { writeSync } from 'node:fs';
import { createPublicClient, type Hex, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Ledger } from '../ledger/ledger.ts';
import type { Uuid } from '../ledger/types.ts';
import type { Micro } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { openPglite } from '../storage/pglite/pglite.ts';
import { ChainConnector, type ConnectorOptions } from './connector.ts';
import { testAccounts } from './evm.ts';
import { chainTie } from './parity.ts';

interface Arguments {
  dataDir: string;
  url: string;
  chainId: number;
  token: Hex;
  /** A UUID: the chain request id and the ledger transfer id alike. */
  requestId: Uuid;
  recipient: Hex;
  amount: string;
  source: Uuid;
  supply: Uuid;
  crashAt?: 'stored' | 'sent' | 'receipt';
}

const args = JSON.parse(process.argv[2]!) as Arguments;
const amount = BigInt(args.amount) as Micro;
const db = await openPglite({ dataDir: args.dataDir });
const checkpoint: ConnectorOptions['checkpoint'] = (point) => {
  if (point === args.crashAt) process.kill(process.pid, 'SIGKILL');
};
const connector = new ChainConnector({
  db,
  client: createPublicClient({ transport: http(args.url, { retryCount: 0 }) }),
  chainId: args.chainId,
  account: privateKeyToAccount(testAccounts(1)[0]!.privateKey),
  finalityDepth: 1,
  checkpoint,
});
await connector.resume();
let state = await connector.submit(args.requestId, {
  to: args.token,
  function: 'mint',
  args: [args.recipient, amount],
});
while (state.status === 'signed' || state.status === 'mined') {
  await connector.poll();
  state = (await connector.get(args.requestId))!;
  if (state.status === 'signed') await new Promise((resolve) => setTimeout(resolve, 50));
}
if (state.status !== 'final') throw new Error(`mint ${args.requestId} ended ${state.status}`);
// The ledger leg, under the same id: a restart that gets here again gets the first outcome.
const [outcome] = await new Ledger(new SqlLedgerStore(db)).submit([
  {
    type: 'transfer',
    id: args.requestId,
    asset: 'USD',
    postings: [{ debit: args.source, credit: args.supply, amount }],
    metadata: chainTie(args.chainId, state.blockNumber!, state.txHash!),
  },
]);
writeSync(1, `done ${outcome!.status}\n`);
await db.close();
