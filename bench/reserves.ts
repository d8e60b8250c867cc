/**
 * The reserves benchmark: value and accrue 10,000 bill lots for one day on durable PGlite.
 *
 * Setup, not timed: durable PGlite in a temporary directory; $10,000,000,000 of cash; 10,000
 * lots of 100 CUSIPs (100 lots each, $1,000,000 face; 13- to 26-week bills bought on
 * 2024-06-03 at DTB3 of that day, each with a statement's hash as evidence), their
 * purchases posted in one ledger call, their position and accrual rows inserted in one
 * statement each, then accrued through 2024-06-10 (so that the timed day is a plain one).
 *
 * Timed, each on seven days in a row (`BENCH_QUICK=1`: three), the median printed (this
 * machine's timings spread widely from one run to the next):
 *   accrue      `accrue(ctx, day)`: 10,000 ledger transfers (one per lot), the lots' rows
 *   value       `readBook` (amortized cost) and `evaluate` by genius: every lot valued, judged
 *   day         accrue then value: the daily job (target ≤ 1 s)
 *   market      `readBook` on the market basis (each lot priced from DTB3 for its days left)
 * Baseline, in the same run: the naive job, one ledger call and one UPDATE per lot, on
 * 1,000 lots (`BENCH_QUICK=1`: 200), as lots per second.
 *
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDays, daysBetween } from '../src/calendar.ts';
import { issuanceContext } from '../src/issuance/context.ts';
import { recordDeposit } from '../src/issuance/deposits.ts';
import type { Command } from '../src/ledger/types.ts';
import { namedUuid } from '../src/ledger/uuid.ts';
import { parseAmount } from '../src/money/money.ts';
import { dailyAccretion } from '../src/reserves/accretion.ts';
import { billCost, cusipCheckDigit, pricePer100 } from '../src/reserves/bills.ts';
import { evaluate, loadRuleset } from '../src/reserves/eligibility.ts';
import { loadDtb3, rateOn } from '../src/reserves/rates.ts';
import { maintain } from '../src/storage/maintenance.ts';
import { migrate } from '../src/storage/migrate.ts';
import { openPglite } from '../src/storage/pglite/pglite.ts';
import { accrualTransferId, accrue } from '../src/treasury/accrual.ts';
import { billOf } from '../src/treasury/book.ts';
import { selectPositions } from '../src/treasury/positions.ts';
import { readBook } from '../src/treasury/valuation.ts';
import { incomeInterest, reservesCash, reservesTbill, usd } from '../src/workflow/accounts.ts';
import type { IssuanceContext } from '../src/workflow/context.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const lots = 10_000;
const cusips = 100;
const naiveLots = quick ? 200 : 1_000;
const timedDays = quick ? 3 : 7;
const bought = '2024-06-03';

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** 10,000 lots bought in bulk: one ledger call, one INSERT. */
async function seed(ctx: IssuanceContext): Promise<void> {
  const curve = loadDtb3();
  const cash = await ctx.ledger.accountIdOf(reservesCash('bank-a'));
  const commands: Command[] = [];
  const rows: string[][] = [];
  const face = parseAmount('1000000');
  for (let c = 0; c < cusips; c++) {
    const term = 91 + (c % 14) * 7; // 13 to 26 weeks
    const maturity = addDays(bought, term);
    const base = `912797${c.toString(36).toUpperCase().padStart(2, '0')}`;
    const cusip = `${base}${cusipCheckDigit(base)}`;
    const account = await ctx.ledger.accountIdOf(reservesTbill(cusip));
    const cost = billCost(face, pricePer100(rateOn(curve, bought, term), term));
    for (let l = 0; l < lots / cusips; l++) {
      const id = `tbill:${cusip}:B-${l}`;
      commands.push({
        type: 'transfer',
        id: namedUuid('clearpeg-reserves/1', `buy:${id}`),
        asset: usd,
        postings: [{ debit: account, credit: cash, amount: cost }],
        metadata: { 'reserves.position': id, 'reserves.op': 'buy' },
      });
      rows.push([id, reservesTbill(cusip).code, cusip, String(face), String(cost), maturity]);
    }
  }
  const outcomes = await ctx.ledger.submit(commands);
  if (outcomes.some((o) => o.status !== 'committed')) throw new Error('seed purchases refused');
  const column = (i: number) => rows.map((row) => row[i]!);
  await ctx.db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, bank, cusip, face, cost,
         issue_date, maturity_date, trade_date, settlement_date, evidence_sha256, opened_at_us)
       SELECT id, 'tbill', code, 'Bank of New York Mellon', 'US', 'open', 'bank-a', cusip, face, cost,
         $7::date, maturity, $7::date, $7::date, sha256(convert_to(id, 'UTF8')), $8
       FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::date[])
         AS v(id, code, cusip, face, cost, maturity)`,
      [column(0), column(1), column(2), column(3), column(4), column(5), bought, ctx.clockUs()],
    );
    await tx.query(
      `INSERT INTO reserve_accruals (position_id, settlement_date, maturity_date, accrued_through)
       SELECT id, settlement_date, maturity_date, settlement_date FROM reserve_positions WHERE kind = 'tbill'`,
    );
  });
}

/** The naive job: one ledger call and one UPDATE per lot, for one day. */
async function naiveAccrue(ctx: IssuanceContext, day: string, count: number): Promise<void> {
  const open = (
    await selectPositions(
      ctx.db,
      `p.kind = 'tbill' AND p.status = 'open' AND a.accrued_through < $1::date`,
      [day],
    )
  ).slice(0, count);
  const income = await ctx.ledger.accountIdOf(incomeInterest);
  for (const lot of open) {
    const bill = billOf(lot);
    const account = await ctx.ledger.accountIdOf(reservesTbill(bill.cusip));
    const [outcome] = await ctx.ledger.submit([
      {
        type: 'transfer',
        id: accrualTransferId(bill.id, day),
        asset: usd,
        postings: [{ debit: account, credit: income, amount: dailyAccretion(bill, day) }],
      },
    ]);
    if (outcome?.status !== 'committed') throw new Error('naive accrual refused');
    await ctx.db.query('UPDATE reserve_accruals SET accrued_through = $2 WHERE position_id = $1', [
      bill.id,
      day,
    ]);
  }
}

async function main(): Promise<void> {
  printMachine();
  console.log(
    `# workload: ${lots} T-bill lots (${cusips} CUSIPs) accrued and valued for one day; durable PGlite; baseline: one ledger call per lot on ${naiveLots} lots`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-bench-reserves-'));
  const db = await openPglite({ dataDir: join(dataDir, 'pgdata') });
  try {
    await migrate(db);
    const ctx = issuanceContext(db);
    await recordDeposit(
      ctx,
      { kind: 'operator', id: 'op-treasurer', roles: ['treasurer'] },
      {
        reference: 'SEED',
        bank: 'bank-a',
        amount: parseAmount('10000000000'),
        bookingDate: bought,
      },
    );
    await seed(ctx);
    const curve = loadDtb3();
    const genius = loadRuleset('genius');
    let day = addDays(bought, 7);
    const warm = await accrue(ctx, day);
    // As `serve` does once a day: dead rows reclaimed, the planner's statistics refreshed.
    await maintain(db);
    console.log(
      `# setup: ${warm.lots} lots accrued through ${day} (${warm.transfers} transfers); VACUUM (ANALYZE) run, as serve runs it daily`,
    );

    const accrueMs: number[] = [];
    const valueMs: number[] = [];
    const dayMs: number[] = [];
    const marketMs: number[] = [];
    for (let run = 0; run < timedDays; run++) {
      day = addDays(day, 1);
      const a = await timed(() => accrue(ctx, day));
      if (a.value.transfers !== lots)
        throw new Error(`accrued ${a.value.transfers} lots, not ${lots}`);
      const v = await timed(async () => {
        const amortized = await readBook(ctx, day, 'amortized');
        return evaluate(genius, amortized.portfolio);
      });
      if (v.value.holdings.length < lots) throw new Error('not every lot was valued');
      const m = await timed(() => readBook(ctx, day, 'market', curve));
      accrueMs.push(a.ms);
      valueMs.push(v.ms);
      dayMs.push(a.ms + v.ms);
      marketMs.push(m.ms);
    }
    print('reserves.accrue.10000', median(accrueMs), 'ms');
    print('reserves.value.10000', median(valueMs), 'ms');
    print('reserves.day.10000', median(dayMs), 'ms');
    print('reserves.value.market.10000', median(marketMs), 'ms');
    print('reserves.accrue.rate', (lots / median(accrueMs)) * 1000, 'lots/s');

    day = addDays(day, 1);
    const naive = await timed(() => naiveAccrue(ctx, day, naiveLots));
    print('reserves.baseline.naive_accrue.rate', (naiveLots / naive.ms) * 1000, 'lots/s');
    console.log(
      `# the daily job on ${lots} lots: accrue ${median(accrueMs).toFixed(0)} ms + value ${median(valueMs).toFixed(0)} ms; naive accrual would take ${(((lots / naiveLots) * naive.ms) / 1000).toFixed(1)} s; ${daysBetween(bought, day)} days after purchase`,
    );
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
