import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPublicClient, type Hex, http, type PublicClient, parseAbiItem } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Ledger } from '../ledger/ledger.ts';
import type { Uuid } from '../ledger/types.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { verifyLedger } from '../ledger/verify.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { migrate } from '../storage/migrate.ts';
import { openPglite } from '../storage/pglite/pglite.ts';
import { inheritedV8Flags } from '../testing.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import { ChainConnector } from './connector.ts';
import { type HardhatNode, startHardhatNode } from './evm.ts';
import { ChainIndexer } from './indexer.ts';
import { checkParity } from './parity.ts';
import { supplyAccounts } from './testing.ts';

const chainId = 31337;
const amount = 25_000_000n; // $25
const points = ['stored', 'sent', 'receipt'] as const;
const child = fileURLToPath(new URL('./mint-crash-child.ts', import.meta.url));

/** Runs the child once; resolves with how it ended and what it printed. */
function runChild(
  args: object,
): Promise<{ signal: string | null; code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(
      process.execPath,
      [...inheritedV8Flags(), '--import', 'tsx', child, JSON.stringify(args)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    process_.stdout.on('data', (chunk) => {
      out += chunk;
    });
    process_.once('error', reject);
    process_.once('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('a mint killed between "sent" and "receipt stored"', () => {
  let node: HardhatNode;
  let dataDir: string;
  let client: PublicClient;
  let token: Hex;
  let supply: Uuid;
  let source: Uuid;
  const recipient = () => node.accounts[1]!.address;

  before(async () => {
    node = await startHardhatNode({ chainId });
    dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-mint-crash-'));
    client = createPublicClient({ transport: http(node.url, { retryCount: 0 }) });
    const db = await openPglite({ dataDir });
    try {
      await migrate(db);
      const issuer = privateKeyToAccount(node.accounts[0]!.privateKey);
      const connector = new ChainConnector({
        db,
        client,
        chainId,
        account: issuer,
        finalityDepth: 1,
      });
      const deployed = await connector.deployToken('deploy', {
        name: 'Clearpeg USD',
        symbol: 'CPUSD',
        adminDelaySeconds: 86_400,
        admin: issuer.address,
      });
      token = deployed.contractAddress!;
      const minter = await client.readContract({
        address: token,
        abi: clearpegTokenAbi,
        functionName: 'MINTER_ROLE',
      });
      await connector.submit('grant', {
        to: token,
        function: 'grantRole',
        args: [minter, issuer.address],
      });
      await connector.submit('allowance', {
        to: token,
        function: 'setMinterAllowance',
        args: [issuer.address, 10n ** 12n],
      });
      assert.equal((await connector.poll()).length, 3);
      ({ supply, source } = await supplyAccounts(new Ledger(new SqlLedgerStore(db)), chainId));
    } finally {
      await db.close();
    }
  });

  after(async () => {
    await node?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('never mints twice and leaves the ledger consistent, at each of three points', async () => {
    for (const crashAt of points) {
      const args = {
        dataDir,
        url: node.url,
        chainId,
        token,
        requestId: uuidv7(),
        recipient: recipient(),
        amount: String(amount),
        source,
        supply,
      };
      const killed = await runChild({ ...args, crashAt });
      assert.equal(killed.signal, 'SIGKILL', `killed at ${crashAt}`);
      assert.equal(killed.out, '', `nothing finished before the kill at ${crashAt}`);
      for (const attempt of ['restart', 'run again'])
        assert.deepEqual(
          await runChild(args),
          { code: 0, signal: null, out: 'done committed\n' },
          `${attempt} after a kill at ${crashAt}`,
        );
    }
    // The chain: exactly one mint per request.
    const minted = await client.getLogs({
      address: token,
      event: parseAbiItem(
        'event Minted(address indexed minter, address indexed to, uint256 amount)',
      ),
      fromBlock: 0n,
    });
    assert.equal(minted.length, points.length);
    const balance = await client.readContract({
      address: token,
      abi: clearpegTokenAbi,
      functionName: 'balanceOf',
      args: [recipient()],
    });
    assert.equal(balance, amount * BigInt(points.length));
    // The ledger: one posting per mint, the journal verifies, and parity holds.
    const db = await openPglite({ dataDir });
    try {
      const store = new SqlLedgerStore(db);
      assert.equal(
        (await store.accountById(supply))?.creditsPosted,
        amount * BigInt(points.length),
      );
      assert.equal((await verifyLedger(store)).ok, true);
      await new ChainIndexer({ db, client, chainId, token, finalityDepth: 1 }).catchUp();
      const parity = await checkParity({
        db,
        client,
        chainId,
        token,
        finalityDepth: 1,
        supplyAccount: supply,
      });
      assert.equal(parity?.ok, true);
      assert.equal(parity?.ledgerSupply, amount * BigInt(points.length));
      const { rows } = await db.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM chain_requests GROUP BY status`,
      );
      assert.deepEqual(rows, [{ status: 'final', n: 3 + points.length }]);
    } finally {
      await db.close();
    }
  });
});
