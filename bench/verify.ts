/**
 * The verification benchmark: how long `ledger verify` takes on a running issuer, and how long
 * it keeps the server's event loop from other requests.
 *
 * Setup, not timed: durable PGlite in a temporary directory, two accounts and N transfers
 * (100,000; `BENCH_QUICK=1`: 20,000), written through the ledger in batches of 1,000.
 *
 * Timed: `ledgerCheck` (src/verify/checks.ts: the records page by page, yielding every 1,000,
 * then the head and balances in one snapshot) while the event loop's delay is sampled every
 * millisecond (perf_hooks.monitorEventLoopDelay); its longest stall is what a request to the
 * server could wait behind the verification.
 *
 * Baseline, in the same run: one page of 10,000 records chained and replayed without a yield
 * (what the verification did per page before it yielded): the stall a request could wait
 * behind it.
 *
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ChainVerifier, genesisHead } from '../src/ledger/journal.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { uuidv7 } from '../src/ledger/uuid.ts';
import { Replayer } from '../src/ledger/verify.ts';
import type { Micro } from '../src/money/money.ts';
import { SqlLedgerStore } from '../src/storage/ledger-store.ts';
import { migrate } from '../src/storage/migrate.ts';
import { openPglite } from '../src/storage/pglite/pglite.ts';
import { ledgerCheck } from '../src/verify/checks.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const transfers = quick ? 20_000 : 100_000;
const batch = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'clearpeg-bench-verify-'));
const db = await openPglite({ dataDir: dir });
try {
  await migrate(db);
  const store = new SqlLedgerStore(db);
  const ledger = new Ledger(store);
  const [a, b] = [uuidv7(), uuidv7()];
  await ledger.submit([
    { type: 'createAccount', id: a, code: 'bench:a', asset: 'USD', flags: 0 },
    { type: 'createAccount', id: b, code: 'bench:b', asset: 'USD', flags: 0 },
  ]);
  for (let done = 0; done < transfers; done += batch)
    await ledger.submit(
      Array.from({ length: batch }, () => ({
        type: 'transfer' as const,
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: a, credit: b, amount: 1n as Micro }],
      })),
    );
  printMachine();
  console.log(`# workload: ${transfers + 2} journal records, durable PGlite, ${batch} per batch`);

  // Baseline: one page replayed without a yield.
  const page = await store.records(0n, 10_000);
  const started = performance.now();
  const chain = new ChainVerifier(genesisHead);
  const replay = new Replayer();
  for (const record of page) {
    chain.push(record);
    replay.apply(record);
  }
  print('verify.baseline.page_without_yield', performance.now() - started, 'ms');

  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = performance.now();
  const view = await ledgerCheck(db, store);
  const elapsed = performance.now() - start;
  delay.disable();
  if (!view.ok) throw new Error(`the journal does not verify: ${JSON.stringify(view)}`);
  print('verify.ledger.records_per_s', Number(view.records) / (elapsed / 1000), 'records/s');
  print('verify.ledger.event_loop_stall_max', delay.max / 1e6, 'ms');
  print('verify.ledger.event_loop_delay_p99', delay.percentile(99) / 1e6, 'ms');
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
