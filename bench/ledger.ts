/**
 * The ledger benchmark: TigerBeetle's workload, on durable PGlite and on PostgreSQL.
 *
 * 10,000 accounts; 1,000,000 transfers whose amounts follow an exponential distribution;
 * three account distributions (uniform; zipfian, s = 1; hot: half the transfers debit one
 * of 10 hot accounts); batch sizes 1, 128, 1024 and 8190; fsync on (PostgreSQL's default,
 * checked; PGlite with Clearpeg's durable file layer). Each configuration runs 1,000,000
 * transfers or `secondsMax` seconds, whichever ends first (batch 1 would take hours), and
 * says how many it ran. The baseline, in the same run: the hot workload done naively, one
 * SQL transaction per transfer with row locks, from 8 concurrent connections. At the end
 * every balance is read back and Σ debits = Σ credits is checked against the amounts sent.
 *
 * `BENCH_QUICK=1` runs a smaller workload in under a minute.
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Ledger } from '../src/ledger/ledger.ts';
import type { Command, Uuid } from '../src/ledger/types.ts';
import { uuidv7 } from '../src/ledger/uuid.ts';
import type { Micro } from '../src/money/money.ts';
import { SqlLedgerStore } from '../src/storage/ledger-store.ts';
import { migrate } from '../src/storage/migrate.ts';
import { openPglite } from '../src/storage/pglite/pglite.ts';
import { openPostgres } from '../src/storage/postgres/postgres.ts';
import type { SqlDatabase } from '../src/storage/sql.ts';
import { postgresUnavailable, testDatabaseUrl } from '../src/storage/testing.ts';
import { random } from './lib/random.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const accountCount = quick ? 1_000 : 10_000;
const transferCount = quick ? 20_000 : 1_000_000;
const secondsMax = quick ? 1.5 : 30;
const batchSizes = [1, 128, 1024, 8190];
const distributions = ['uniform', 'zipfian', 'hot'] as const;
type Distribution = (typeof distributions)[number];
const naiveConnections = 8;
/** `BENCH_FILTER=hot.b8190` runs only the configurations whose name contains it. */
const filter = process.env.BENCH_FILTER;
const naiveTransfers = quick ? 2_000 : 40_000;
/** Mean transfer: $100 (exponentially distributed, at least one micro-unit). */
const meanAmountMicro = 100_000_000;

/** Draws account indexes for one distribution. */
function picker(distribution: Distribution, next: () => number): () => [number, number] {
  const any = () => Math.floor(next() * accountCount);
  if (distribution === 'uniform') return () => pair(any, any);
  if (distribution === 'hot')
    return () => pair(() => (next() < 0.5 ? Math.floor(next() * 10) : any()), any);
  // Zipfian (s = 1) by inverse CDF over the harmonic numbers.
  const cdf = new Float64Array(accountCount);
  let sum = 0;
  for (let i = 0; i < accountCount; i++) cdf[i] = sum += 1 / (i + 1);
  const zipf = () => {
    const u = next() * sum;
    let lo = 0;
    let hi = accountCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return () => pair(zipf, zipf);
}

function pair(debit: () => number, credit: () => number): [number, number] {
  const d = debit();
  let c = credit();
  while (c === d) c = Math.floor(Math.random() * accountCount);
  return [d, c];
}

interface Workload {
  readonly commands: Command[];
  readonly total: bigint;
}

function workload(
  distribution: Distribution,
  accounts: Uuid[],
  count: number,
  seed: number,
): Workload {
  const next = random(seed);
  const pick = picker(distribution, next);
  const commands: Command[] = new Array(count);
  let total = 0n;
  for (let i = 0; i < count; i++) {
    const [d, c] = pick();
    const amount = BigInt(Math.max(1, Math.ceil(-Math.log(1 - next()) * meanAmountMicro))) as Micro;
    total += amount;
    commands[i] = {
      type: 'transfer',
      id: uuidv7(),
      asset: 'USD',
      postings: [{ debit: accounts[d]!, credit: accounts[c]!, amount }],
    };
  }
  return { commands, total };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Batches kept outstanding by the client: the ledger plans the next while it writes one. */
const pipelineDepth = 2;

async function run(
  label: string,
  ledger: Ledger,
  work: Workload,
  batchSize: number,
): Promise<{ rate: number; sent: bigint }> {
  const latencies: number[] = [];
  const outstanding: Array<Promise<void>> = [];
  let done = 0;
  let sent = 0n;
  const started = performance.now();
  while (done < work.commands.length && performance.now() - started < secondsMax * 1000) {
    const batch = work.commands.slice(done, done + batchSize);
    const t0 = performance.now();
    outstanding.push(
      ledger.submit(batch).then((outcomes) => {
        latencies.push(performance.now() - t0);
        for (const outcome of outcomes)
          if (outcome.status !== 'committed')
            throw new Error(`refused: ${JSON.stringify(outcome)}`);
        for (const command of batch)
          if (command.type === 'transfer') sent += command.postings[0]!.amount;
      }),
    );
    done += batch.length;
    if (outstanding.length >= pipelineDepth) await outstanding.shift();
  }
  await Promise.all(outstanding);
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const rate = done / seconds;
  print(`${label}.transfers`, done, 'transfers');
  print(label, rate, 'transfers/s');
  print(`${label}.p50`, percentile(sorted, 0.5), 'ms');
  print(`${label}.p99`, percentile(sorted, 0.99), 'ms');
  print(`${label}.p100`, sorted[sorted.length - 1]!, 'ms');
  return { rate, sent };
}

async function createAccounts(ledger: Ledger): Promise<Uuid[]> {
  const ids = Array.from({ length: accountCount }, () => uuidv7());
  const outcomes = await ledger.submit(
    ids.map((id, i) => ({ type: 'createAccount', id, code: `bench:${i}`, asset: 'USD', flags: 0 })),
  );
  if (outcomes.some((o) => o.status !== 'committed')) throw new Error('account creation failed');
  return ids;
}

async function checkBalances(db: SqlDatabase, label: string, expected: bigint): Promise<void> {
  const { rows } = await db.query<{ debits: string; credits: string }>(
    'SELECT sum(debits_posted)::text AS debits, sum(credits_posted)::text AS credits FROM ledger_accounts',
  );
  const debits = BigInt(rows[0]!.debits ?? '0');
  const credits = BigInt(rows[0]!.credits ?? '0');
  if (debits !== credits || debits !== expected)
    throw new Error(`${label}: Σ debits ${debits}, Σ credits ${credits}, sent ${expected}`);
  console.log(
    `# ${label}: every balance re-read; Σ debits = Σ credits = ${expected} micro-units (the amounts sent)`,
  );
}

async function benchBackend(
  backend: 'pglite' | 'postgres',
  db: SqlDatabase,
): Promise<Map<string, number>> {
  await migrate(db);
  const ledger = new Ledger(new SqlLedgerStore(db));
  const accounts = await createAccounts(ledger);
  const rates = new Map<string, number>();
  let expected = 0n;
  let seed = 1;
  for (const distribution of distributions) {
    for (const batchSize of batchSizes) {
      if (filter !== undefined && !`${distribution}.b${batchSize}`.includes(filter)) continue;
      const work = workload(
        distribution,
        accounts,
        batchSize === 1 ? Math.min(transferCount, 20_000) : transferCount,
        seed++,
      );
      const { rate, sent } = await run(
        `ledger.${backend}.${distribution}.b${batchSize}`,
        ledger,
        work,
        batchSize,
      );
      rates.set(`${distribution}.b${batchSize}`, rate);
      expected += sent;
    }
  }
  await checkBalances(db, backend, expected);
  return rates;
}

/** The baseline: one SQL transaction per transfer, row locks in id order, 8 connections. */
async function naive(schema: string): Promise<number> {
  const pool = new pg.Pool({
    connectionString: testDatabaseUrl,
    max: naiveConnections,
    options: `-c search_path=${schema}`,
  });
  await pool.query(`CREATE TABLE naive_accounts (id uuid PRIMARY KEY, debits_posted numeric(39,0) NOT NULL DEFAULT 0, credits_posted numeric(39,0) NOT NULL DEFAULT 0);
    CREATE TABLE naive_transfers (id uuid PRIMARY KEY, debit uuid NOT NULL, credit uuid NOT NULL, amount numeric(39,0) NOT NULL)`);
  const accounts = Array.from({ length: accountCount }, () => uuidv7());
  await pool.query('INSERT INTO naive_accounts (id) SELECT unnest($1::uuid[])', [accounts]);
  const work = workload('hot', accounts, naiveTransfers, 99);
  let next = 0;
  let sent = 0n;
  const started = performance.now();
  const worker = async () => {
    const client = await pool.connect();
    try {
      while (next < work.commands.length && performance.now() - started < secondsMax * 1000) {
        const command = work.commands[next++]!;
        if (command.type !== 'transfer') continue;
        const { debit, credit, amount } = command.postings[0]!;
        await client.query('BEGIN');
        await client.query(
          'SELECT id FROM naive_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
          [[debit, credit]],
        );
        await client.query(
          'UPDATE naive_accounts SET debits_posted = debits_posted + $2 WHERE id = $1',
          [debit, String(amount)],
        );
        await client.query(
          'UPDATE naive_accounts SET credits_posted = credits_posted + $2 WHERE id = $1',
          [credit, String(amount)],
        );
        await client.query(
          'INSERT INTO naive_transfers (id, debit, credit, amount) VALUES ($1, $2, $3, $4)',
          [command.id, debit, credit, String(amount)],
        );
        await client.query('COMMIT');
        sent += amount;
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: naiveConnections }, worker));
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await pool.query(
    'SELECT count(*)::int AS n, sum(debits_posted)::text AS d, sum(credits_posted)::text AS c FROM naive_accounts, (SELECT count(*) FROM naive_transfers) t GROUP BY t.count',
  );
  await pool.end();
  const done = Number((await countNaive(schema)) ?? 0);
  if (BigInt(rows[0].d) !== sent || BigInt(rows[0].c) !== sent)
    throw new Error('naive: Σ debits ≠ Σ credits');
  const rate = done / seconds;
  print('ledger.postgres.naive.hot.transfers', done, 'transfers');
  print('ledger.postgres.naive.hot', rate, 'transfers/s');
  return rate;
}

async function countNaive(schema: string): Promise<string | undefined> {
  const client = new pg.Client({
    connectionString: testDatabaseUrl,
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  const { rows } = await client.query('SELECT count(*)::text AS n FROM naive_transfers');
  await client.end();
  return rows[0]?.n;
}

async function main(): Promise<void> {
  printMachine();
  console.log(
    `# workload: ${accountCount} accounts, up to ${transferCount} transfers per configuration (${secondsMax} s cap), exponential amounts (mean $100)`,
  );
  const only = process.env.BENCH_BACKEND;
  const unavailable = await postgresUnavailable();
  if (only !== 'pglite') {
    if (unavailable) {
      console.log(`# ${unavailable}: PostgreSQL figures and the naive baseline are not measured`);
    } else {
      const schema = `bench_${Date.now().toString(36)}`;
      const admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      const fsync = (await admin.query('SHOW fsync')).rows[0].fsync;
      const commit = (await admin.query('SHOW synchronous_commit')).rows[0].synchronous_commit;
      console.log(
        `# postgres: ${(await admin.query('SELECT version()')).rows[0].version}; fsync=${fsync}, synchronous_commit=${commit}`,
      );
      if (fsync !== 'on' || commit !== 'on')
        throw new Error('the benchmark needs fsync=on and synchronous_commit=on');
      await admin.query(`CREATE SCHEMA ${schema}`);
      try {
        const baseline = await naive(schema);
        const db = await openPostgres({ url: testDatabaseUrl, searchPath: schema, max: 4 });
        try {
          const rates = await benchBackend('postgres', db);
          print('ledger.postgres.hot.b8190.vs_naive', rates.get('hot.b8190')! / baseline, 'x');
        } finally {
          await db.close();
        }
      } finally {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      }
    }
  }
  if (only !== 'postgres') {
    const dataDir = mkdtempSync(join(os.tmpdir(), 'clearpeg-bench-'));
    const db = await openPglite({ dataDir });
    try {
      console.log(`# pglite: durable store in ${dataDir}`);
      await benchBackend('pglite', db);
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

await main();
