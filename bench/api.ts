/**
 * The API benchmark (the issuer's HTTP API): a steady 200 requests/s over real HTTP.
 *
 * Setup, not timed: durable PGlite in a temporary directory; the in-process chain with the
 * token deployed (as `clearpeg serve` does on the embedded default); four treasurers (each
 * with an API key: the load is spread so that no key passes the default per-key limit of
 * 100 requests/s), a customer with KYC approved, a registered wallet and a $10,000,000
 * deposit; the server (`createApp` under @hono/node-server) on 127.0.0.1, in this process.
 * The load generator is another process (./lib/open-loop.ts): as a real client, its work
 * does not share the server's event loop.
 *
 * Timed: open loop at 200 requests/s (each request is sent at its scheduled time whether or
 * not the ones before have answered; its latency is measured from that time, so a server that
 * falls behind is charged for the wait), for 60 s (`BENCH_QUICK=1`: 10 s). The mix: 10 %
 * POST /v1/mints ($1.00 to $9.99: far under the velocity limits and the tier of one
 * approval, so the policy refuses none), 45 % GET /v1/mints?limit=20, 45 % GET
 * /v1/customers/CUST-0001. An error is any answer that is not a 2xx, or no answer.
 *
 * Baseline, in the same run, first: GET /health at the same rate for a third of the time
 * (the server, node's HTTP and fetch, without auth, idempotency or a workflow).
 *
 * Then, when the PostgreSQL server at :5432 answers (`CLEARPEG_TEST_DATABASE_URL`), issuer
 * processes (issue 17): `clearpeg serve` as child processes on one PostgreSQL database (a fresh
 * one, dropped after), one data directory, `hardhat node` and two witnesses, as the cluster
 * tests bring them up (src/cluster/testing.ts), each process with its own node name and its
 * share of the leases; seeded as above but with eight treasurers. The same mix at 400
 * requests/s (two load generators of 200/s, four API keys each) for 60 s (`BENCH_QUICK=1`:
 * 8 s), first all of it on one process (`api.one-process.…`), then each generator on its own
 * process (`api.two-processes.…`). A load average of 1.5 or more at the start is printed as a
 * loaded machine.
 *
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { createApp, serveAuthCacheMs } from '../src/api/app.ts';
import { defaultChains } from '../src/chain/config.ts';
import { deployToken, openIssuerChain } from '../src/chain/runtime.ts';
import { devToken } from '../src/cli/serve.ts';
import {
  createScratchDatabase,
  type IssuerCluster,
  startIssuerCluster,
} from '../src/cluster/testing.ts';
import { issuanceContext } from '../src/issuance/context.ts';
import { createCustomer, registerWallet, setKyc } from '../src/issuance/customers.ts';
import { recordDeposit } from '../src/issuance/deposits.ts';
import { createOperator } from '../src/issuance/operators.ts';
import { parseAmount } from '../src/money/money.ts';
import { migrate } from '../src/storage/migrate.ts';
import { openDatabase } from '../src/storage/open.ts';
import { openPglite } from '../src/storage/pglite/pglite.ts';
import type { SqlDatabase } from '../src/storage/sql.ts';
import { postgresUnavailable } from '../src/storage/testing.ts';
import type { OpenLoopPlan, OpenLoopResult } from './lib/open-loop.ts';
import { print, printMachine } from './lib/report.ts';

const execFileAsync = promisify(execFile);

const quick = process.env.BENCH_QUICK === '1';
const ratePerSecond = 200;
const seconds = quick ? 10 : 60;
const baselineSeconds = Math.ceil(seconds / 3);
const treasurers = 4;
const holder = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';

/** The p-th percentile (0–100) of sorted values, nearest rank. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** What one timed phase measured, latencies sorted. */
interface Phase {
  /** Every latency, sorted. */
  readonly latenciesMs: number[];
  /** Latencies by the kind of request, sorted. */
  readonly byKind: Map<string, number[]>;
  readonly errors: number;
  readonly sent: number;
  readonly seconds: number;
  readonly firstErrors: string[];
}

/** Runs one phase in the load generator's own process (./lib/open-loop.ts). */
async function openLoop(plan: OpenLoopPlan): Promise<Phase> {
  const script = fileURLToPath(new URL('./lib/open-loop.ts', import.meta.url));
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', script, JSON.stringify(plan)],
    { maxBuffer: 256 * 2 ** 20 },
  );
  const result = JSON.parse(stdout) as OpenLoopResult;
  const ascending = (x: number, y: number) => x - y;
  const byKind = new Map(
    Object.entries(result.byKind).map(([kind, ms]) => [kind, ms.sort(ascending)] as const),
  );
  return {
    ...result,
    latenciesMs: [...byKind.values()].flat().sort(ascending),
    byKind,
  };
}

/**
 * Seeds what the load needs, untimed: `count` treasurers with an API key each (returned), a
 * customer with KYC approved, a registered wallet on `chainId` and $10,000,000 posted.
 */
async function seedIssuer(db: SqlDatabase, chainId: number, count: number): Promise<string[]> {
  const ctx = issuanceContext(db);
  const keys: string[] = [];
  for (let i = 0; i < count; i++)
    keys.push(
      (
        await createOperator(db, {
          id: `op-treasurer-${i}`,
          name: `Treasurer ${i}`,
          roles: ['treasurer'],
        })
      ).apiKey,
    );
  const compliance = { kind: 'operator', id: 'op-compliance', roles: ['compliance'] } as const;
  await createCustomer(ctx, compliance, { id: 'CUST-0001', name: 'Acme Treasury LLC' });
  await setKyc(ctx, compliance, 'CUST-0001', 'approved');
  await registerWallet(ctx, compliance, { customerId: 'CUST-0001', chainId, address: holder });
  await recordDeposit(
    ctx,
    { kind: 'operator', id: 'op-treasurer-0', roles: ['treasurer'] },
    {
      reference: 'BENCH-1',
      bank: 'bank-a',
      amount: parseAmount('10000000'),
      customerId: 'CUST-0001',
      bookingDate: '2026-11-20',
    },
  );
  return keys;
}

async function main(): Promise<void> {
  printMachine();
  console.log(
    `# workload: open loop, ${ratePerSecond} requests/s for ${seconds} s over HTTP on 127.0.0.1: 10 % POST /v1/mints, 45 % GET /v1/mints?limit=20, 45 % GET /v1/customers/:id; ${treasurers} API keys; durable PGlite; baseline GET /health for ${baselineSeconds} s first`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-bench-api-'));
  const db = await openPglite({ dataDir: join(dataDir, 'pgdata') });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    await migrate(db);
    const chain = await openIssuerChain(defaultChains[0]!, { db, dataDir });
    closers.push(() => chain.close());
    const token = await deployToken(db, chain, devToken);
    const ctx = issuanceContext(db);
    const keys = await seedIssuer(db, token.chainId, treasurers);
    // As `clearpeg serve` builds it (src/cli/serve.ts): keys remembered for a second.
    const app = createApp({
      issuance: ctx,
      database: 'bench (PGlite)',
      version: 'bench',
      authCacheMs: serveAuthCacheMs,
      // The baseline's GET /health, 200/s from one address, has no key: under the default
      // limit for keyless requests (10/s) it would measure 429s. Raised here so that the
      // baseline is the server and HTTP alone; the measured mix carries keys, under the
      // default per-key limit.
      anonymousRateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    closers.unshift(() => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    console.log(`# setup: token ${token.address} on chain ${token.chainId}; server at ${base}`);

    const plan = {
      base,
      ratePerSecond,
      keys,
      customerId: 'CUST-0001',
      chainId: token.chainId,
      holder,
      keyPrefix: 'bench',
    };
    const baseline = await openLoop({ ...plan, seconds: baselineSeconds, workload: 'health' });
    print('api.baseline.health.p50', percentile(baseline.latenciesMs, 50), 'ms');
    print('api.baseline.health.p99', percentile(baseline.latenciesMs, 99), 'ms');
    console.log(`bench api.baseline.health.errors ${baseline.errors} requests`);

    const mintCount = async () =>
      Number(
        (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM mint_requests')).rows[0]!.n,
      );
    const mintsBefore = await mintCount();
    const loopBefore = performance.eventLoopUtilization();
    const phase = await openLoop({ ...plan, seconds, workload: 'mix' });
    const loop = performance.eventLoopUtilization(loopBefore);
    const mintsAfter = await mintCount();
    print('api.throughput', (phase.sent - phase.errors) / phase.seconds, 'requests/s');
    print('api.latency.p50', percentile(phase.latenciesMs, 50), 'ms');
    print('api.latency.p99', percentile(phase.latenciesMs, 99), 'ms');
    print('api.latency.max', phase.latenciesMs.at(-1) ?? Number.NaN, 'ms');
    for (const [kind, ms] of phase.byKind) {
      print(`api.latency.${kind}.p50`, percentile(ms, 50), 'ms');
      print(`api.latency.${kind}.p99`, percentile(ms, 99), 'ms');
    }
    console.log(`bench api.errors ${phase.errors} requests`);
    console.log(
      `# ${phase.sent} requests in ${phase.seconds.toFixed(1)} s; ${mintsAfter - mintsBefore} mint requests stored (${phase.byKind.get('mint.post')?.length ?? 0} sent); the server's event loop busy ${(loop.utilization * 100).toFixed(0)} % of the time`,
    );
    for (const error of [...baseline.firstErrors, ...phase.firstErrors])
      console.log(`# error: ${error}`);
  } finally {
    for (const close of closers) await close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The issuer processes' phases: the rate in all, its length, the treasurers (four a generator). */
const processRatePerSecond = 400;
const processSeconds = quick ? 8 : 60;
const processWarmupSeconds = quick ? 2 : 5;
const processGenerators = 2;
const processTreasurers = 4 * processGenerators;

/** Runs `plans` at once, each in its own generator process; their latencies merged. */
async function spread(plans: readonly OpenLoopPlan[]): Promise<Phase> {
  const phases = await Promise.all(plans.map(openLoop));
  const ascending = (x: number, y: number) => x - y;
  const byKind = new Map<string, number[]>();
  for (const phase of phases)
    for (const [kind, ms] of phase.byKind) byKind.set(kind, [...(byKind.get(kind) ?? []), ...ms]);
  for (const ms of byKind.values()) ms.sort(ascending);
  return {
    latenciesMs: phases.flatMap((p) => p.latenciesMs).sort(ascending),
    byKind,
    errors: phases.reduce((n, p) => n + p.errors, 0),
    sent: phases.reduce((n, p) => n + p.sent, 0),
    seconds: Math.max(...phases.map((p) => p.seconds)),
    firstErrors: phases.flatMap((p) => p.firstErrors).slice(0, 5),
  };
}

/** Prints one process phase's figures under `name`. */
function printProcessPhase(name: string, phase: Phase): void {
  print(`${name}.rps`, (phase.sent - phase.errors) / phase.seconds, 'requests/s');
  print(`${name}.p50`, percentile(phase.latenciesMs, 50), 'ms');
  print(`${name}.p99`, percentile(phase.latenciesMs, 99), 'ms');
  print(`${name}.max`, phase.latenciesMs.at(-1) ?? Number.NaN, 'ms');
  print(`${name}.mint.post.p99`, percentile(phase.byKind.get('mint.post') ?? [], 99), 'ms');
  console.log(`bench ${name}.errors ${phase.errors} requests`);
  for (const error of phase.firstErrors) console.log(`# error: ${error}`);
}

/**
 * Issuer processes on one PostgreSQL: the mix at 400 requests/s on one `clearpeg serve`, then
 * spread over two (src/cluster/testing.ts brings them up as the cluster tests do). Skipped,
 * saying why, when no PostgreSQL server answers.
 */
async function processPhases(): Promise<void> {
  const unavailable = await postgresUnavailable();
  if (unavailable !== undefined) {
    console.log(`# issuer processes: ${unavailable}`);
    return;
  }
  const load = loadavg()[0]!;
  console.log(
    `# issuer processes: clearpeg serve on PostgreSQL (a fresh database), one data directory, hardhat node, two witnesses; open loop, ${processRatePerSecond} requests/s for ${processSeconds} s from ${processGenerators} generators (${processRatePerSecond / processGenerators}/s and 4 API keys each), the same mix; ${processWarmupSeconds} s of warm-up on both processes first; load average ${load.toFixed(2)} at the start${load >= 1.5 ? ' (a loaded machine: other work shared it, the figures are from it)' : ''}`,
  );
  const database = await createScratchDatabase();
  let cluster: IssuerCluster | undefined;
  try {
    cluster = await startIssuerCluster({ databaseUrl: database.url });
    const db = await openDatabase({ dataDir: cluster.dataDir, databaseUrl: database.url });
    let keys: string[];
    try {
      keys = await seedIssuer(db, cluster.chainConfig.chainId, processTreasurers);
    } finally {
      await db.close();
    }
    const [one, two] = await Promise.all([cluster.start('bench-a'), cluster.start('bench-b')]);
    const plans = (bases: readonly string[], seconds: number, prefix: string): OpenLoopPlan[] =>
      bases.map((base, g) => ({
        base,
        ratePerSecond: processRatePerSecond / processGenerators,
        seconds,
        workload: 'mix',
        keys: keys.slice(4 * g, 4 * g + 4),
        customerId: 'CUST-0001',
        chainId: cluster!.chainConfig.chainId,
        holder,
        keyPrefix: `${prefix}-${g}`,
      }));
    await spread(
      plans([one.url, two.url], processWarmupSeconds, 'warmup').map((p) => ({
        ...p,
        ratePerSecond: p.ratePerSecond / 2,
      })),
    );
    printProcessPhase(
      'api.one-process',
      await spread(plans([one.url, one.url], processSeconds, 'one')),
    );
    printProcessPhase(
      'api.two-processes',
      await spread(plans([one.url, two.url], processSeconds, 'two')),
    );
  } finally {
    await cluster?.close();
    await database.drop();
  }
}

await main();
await processPhases();
