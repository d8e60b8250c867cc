import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  clearpegTokenAbi,
  clearpegTokenBytecode,
  transferSprayAbi,
  transferSprayBytecode,
} from '../src/chain/artifacts.ts';
import { startHardhatNode, testAccounts } from '../src/chain/evm.ts';
import { ChainIndexer, type StepResult } from '../src/chain/indexer.ts';
import { openTestDatabase, postgresUnavailable, type TestBackend } from '../src/storage/testing.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const only = process.env.BENCH_BACKEND;
/** Transfer events the sprays create (the mint adds one more). */
const sprayedCount = quick ? 10_000 : 100_000;
/** Recipients per spray transaction: ≈ 8.7M gas, well under the 60M block gas limit. */
const recipientsPerSpray = 300;
/** Gas given to each spray: enough for 300 transfers; an estimate would run each spray twice. */
const sprayGas = 12_000_000n;
const chainId = 31337;
/** The indexer's default range; with 300 events a block, its responses exceed viem's 10 MB. */
const defaultRangeMax = 2_000;
/** A range whose responses always fit: 7,500 events, ≈ 5 MB of JSON. */
const fittedRangeMax = 25;
/** Each recipient's amount: 1 token (6 decimals). */
const amountEach = 1_000_000n;

function count(name: string, value: number, unit: string): void {
  console.log(`bench ${name} ${value} ${unit}`);
}

interface Chain {
  readonly client: PublicClient;
  readonly token: Hex;
  readonly deployBlock: bigint;
  /** Transfer events created: the sprays' and the mint's. */
  readonly transfers: number;
}

/** A distinct recipient address for each transfer, so no two transfers touch one balance. */
function recipient(i: number): Hex {
  return `0x${(0xc1ea0000_00000000n + BigInt(i)).toString(16).padStart(40, '0')}`;
}

/** Deploys the token and the spray, mints to the spray, and sprays `sprayedCount` transfers. */
async function setUp(url: string): Promise<Chain> {
  const transport = http(url, { retryCount: 0 });
  const client = createPublicClient({ transport });
  const account = privateKeyToAccount(testAccounts()[0]!.privateKey);
  const wallet = createWalletClient({ account, transport });
  let nonce = await client.getTransactionCount({ address: account.address });
  const mined = async (hash: Hex): Promise<TransactionReceipt> => {
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 5 });
    if (receipt.status !== 'success') throw new Error(`setup: transaction ${hash} reverted`);
    return receipt;
  };
  const deployed = await mined(
    await wallet.deployContract({
      abi: clearpegTokenAbi,
      bytecode: clearpegTokenBytecode,
      args: ['Clearpeg USD', 'CPUSD', 86_400, account.address],
      chain: null,
      nonce: nonce++,
    }),
  );
  const token = deployed.contractAddress!;
  const spray = (
    await mined(
      await wallet.deployContract({
        abi: transferSprayAbi,
        bytecode: transferSprayBytecode,
        chain: null,
        nonce: nonce++,
      }),
    )
  ).contractAddress!;
  const total = amountEach * BigInt(sprayedCount);
  const minterRole = await client.readContract({
    address: token,
    abi: clearpegTokenAbi,
    functionName: 'MINTER_ROLE',
  });
  const write = async (functionName: string, args: readonly unknown[]) =>
    mined(
      await wallet.writeContract({
        address: token,
        abi: clearpegTokenAbi,
        functionName: functionName as 'mint',
        args: args as never,
        chain: null,
        nonce: nonce++,
      }),
    );
  await write('grantRole', [minterRole, account.address]);
  await write('setMinterAllowance', [account.address, total]);
  await write('mint', [spray, total]);
  const started = performance.now();
  for (let sent = 0; sent < sprayedCount; sent += recipientsPerSpray) {
    const count = Math.min(recipientsPerSpray, sprayedCount - sent);
    const recipients = Array.from({ length: count }, (_, i) => recipient(sent + i));
    await mined(
      await wallet.writeContract({
        address: spray,
        abi: transferSprayAbi,
        functionName: 'spray',
        args: [token, recipients, amountEach],
        chain: null,
        nonce: nonce++,
        gas: sprayGas,
      }),
    );
  }
  const head = await client.getBlockNumber({ cacheTime: 0 });
  console.log(
    `# setup: token ${token} deployed in block ${deployed.blockNumber}; ${sprayedCount} transfers sprayed in ${Math.ceil(sprayedCount / recipientsPerSpray)} transactions of up to ${recipientsPerSpray} (${((performance.now() - started) / 1000).toFixed(1)} s, not timed); head ${head}`,
  );
  return {
    client: client as PublicClient,
    token,
    deployBlock: deployed.blockNumber,
    transfers: sprayedCount + 1,
  };
}

/** A client and the count and time of its `getLogs` calls, by outcome. */
interface CountedClient {
  readonly client: PublicClient;
  readonly getLogs: { calls: number; failed: number; okMs: number; failedMs: number };
}

/** `client` with its `getLogs` counted and timed: the indexer's refused ranges show apart. */
function counted(client: PublicClient): CountedClient {
  const getLogs = { calls: 0, failed: 0, okMs: 0, failedMs: 0 };
  const wrapped = {
    ...client,
    getLogs: async (args: Parameters<PublicClient['getLogs']>[0]) => {
      const started = performance.now();
      getLogs.calls++;
      try {
        const logs = await client.getLogs(args);
        getLogs.okMs += performance.now() - started;
        return logs;
      } catch (error) {
        getLogs.failed++;
        getLogs.failedMs += performance.now() - started;
        throw error;
      }
    },
  } as PublicClient;
  return { client: wrapped, getLogs };
}

/**
 * The baselines: the ranges a backfill read, fetched again with `eth_getLogs` alone; then the
 * headers of their blocks alone, as the indexer asks for them (all of a step's at once).
 */
async function baseline(chain: Chain, steps: readonly StepResult[]): Promise<void> {
  let events = 0;
  const blocksOfSteps: bigint[][] = [];
  let started = performance.now();
  for (const step of steps) {
    if (step.from === undefined) continue;
    const logs = await chain.client.getLogs({
      address: chain.token,
      fromBlock: step.from,
      toBlock: step.to,
    });
    events += logs.length;
    blocksOfSteps.push([...new Set([step.to!, ...logs.map((log) => log.blockNumber!)])]);
  }
  const logsMs = performance.now() - started;
  started = performance.now();
  for (const blocks of blocksOfSteps)
    await Promise.all(
      blocks.map((blockNumber) =>
        chain.client.getBlock({ blockNumber, includeTransactions: false }),
      ),
    );
  const headersMs = performance.now() - started;
  print('indexer.baseline.getlogs', events / (logsMs / 1000), 'events/s');
  print('indexer.baseline.getlogs.ms', logsMs, 'ms');
  print('indexer.baseline.headers.ms', headersMs, 'ms');
}

/**
 * A fresh indexer backfills on a fresh database of `backend` with ranges of up to `rangeMax`
 * blocks; prints the figures under `label`; checks the Transfer count. Returns the steps.
 */
async function backfill(
  chain: Chain,
  backend: TestBackend,
  rangeMax: number,
  label: string,
): Promise<StepResult[]> {
  const t = await openTestDatabase(backend);
  try {
    const { rows: settings } = await t.db.query<{ v: string; f: string; s: string }>(
      `SELECT version() AS v, current_setting('fsync') AS f, current_setting('synchronous_commit') AS s`,
    );
    console.log(
      `# ${label}: ${settings[0]!.v.split(' on ')[0]}; fsync=${settings[0]!.f}, synchronous_commit=${settings[0]!.s}`,
    );
    const { client, getLogs } = counted(chain.client);
    const indexer = new ChainIndexer({
      db: t.db,
      client,
      chainId,
      token: chain.token,
      finalityDepth: 1,
      startBlock: chain.deployBlock,
      rangeMax,
    });
    const started = performance.now();
    const steps = await indexer.catchUp();
    const totalMs = performance.now() - started;
    const stored = steps.reduce((n, s) => n + s.stored, 0);
    const rpcMs = steps.reduce((n, s) => n + s.rpcMs, 0);
    const processMs = steps.reduce((n, s) => n + s.processMs, 0);
    count(`${label}.events`, stored, 'events');
    count(`${label}.steps`, steps.length, 'steps');
    print(`${label}.backfill`, stored / (totalMs / 1000), 'events/s');
    print(`${label}.backfill.ms`, totalMs, 'ms');
    print(`${label}.rpc.ms`, rpcMs, 'ms');
    print(`${label}.rpc.getlogs.ms`, getLogs.okMs, 'ms');
    count(`${label}.rpc.getlogs.failed`, getLogs.failed, 'calls');
    print(`${label}.rpc.getlogs.failed.ms`, getLogs.failedMs, 'ms');
    print(`${label}.rpc.blocks.ms`, rpcMs - getLogs.okMs - getLogs.failedMs, 'ms');
    print(`${label}.process.ms`, processMs, 'ms');
    print(`${label}.process`, stored / (processMs / 1000), 'events/s');
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM chain_events WHERE chain_id = $1 AND name = 'Transfer'`,
      [chainId],
    );
    if (rows[0]!.n !== chain.transfers)
      throw new Error(`${label}: ${rows[0]!.n} Transfer events stored, ${chain.transfers} created`);
    console.log(
      `# ${label}: ${rows[0]!.n} Transfer events stored = created (checked); ${getLogs.calls} eth_getLogs calls`,
    );
    return steps;
  } finally {
    await t.dispose();
  }
}

async function main(): Promise<void> {
  printMachine();
  console.log(
    `# workload: ${sprayedCount} Transfer events from sprays of ${recipientsPerSpray}, hardhat node over HTTP on 127.0.0.1; eth_getLogs ranges of up to ${defaultRangeMax} blocks (the default), then of ${fittedRangeMax}`,
  );
  const backends: TestBackend[] = [];
  if (only !== 'pglite') {
    const unavailable = await postgresUnavailable();
    if (unavailable) console.log(`# ${unavailable}: PostgreSQL figures are not measured`);
    else backends.push('postgres');
  }
  if (only !== 'postgres') backends.push('pglite');
  const node = await startHardhatNode({ chainId });
  try {
    const chain = await setUp(node.url);
    let steps: StepResult[] = [];
    for (const backend of backends) {
      steps = await backfill(chain, backend, defaultRangeMax, `indexer.${backend}`);
      await backfill(chain, backend, fittedRangeMax, `indexer.${backend}.range${fittedRangeMax}`);
    }
    await baseline(chain, steps);
  } finally {
    await node.stop();
  }
}

await main();
