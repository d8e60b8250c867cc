/**
 * As-of figures come from the journal: a report and a valuation of a past month on the full
 * history equal the same computed, as of "now", on a second database that lived only up to
 * that month (the same operations replayed through the workflows with the clock then). The
 * full database holds later bills, a sale, a maturity, a fund, more tokens and a burn, so a
 * figure read from today's state differs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addDays } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { accountFlag } from '../ledger/types.ts';
import { namedUuid } from '../ledger/uuid.ts';
import { parseAmount } from '../money/money.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import { accountId, depositSuspense, usd } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { accrue } from './accrual.ts';
import { buyBill, fundOrder, sellBill } from './book.ts';
import { compositionReport, monthEnd } from './report.ts';
import { type ClockedWorld, clockedWorld } from './testing.ts';
import { type Basis, readBook } from './valuation.ts';

const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
const genius = loadRuleset('genius');
const supply = { code: 'supply:31337', asset: usd, flags: accountFlag.debitsMustNotExceedCredits };

const world = () => clockedWorld(steps);
type World = ClockedWorld;

const deposit = (reference: string, amount: string, day: string) => (ctx: IssuanceContext) =>
  recordDeposit(ctx, treasurer, {
    reference,
    bank: 'bank-a',
    amount: parseAmount(amount),
    bookingDate: day,
  }).then(() => undefined);

/** Tokens issued (or burned, negative) from the deposits in suspense, straight on the ledger. */
const tokens = (reference: string, amount: string) => async (ctx: IssuanceContext) => {
  const [from, to] = await Promise.all([
    accountId(ctx.ledger, depositSuspense),
    accountId(ctx.ledger, supply),
  ]);
  const burn = amount.startsWith('-');
  const [outcome] = await ctx.ledger.submit([
    {
      type: 'transfer',
      id: namedUuid('asof-test', reference),
      asset: usd,
      postings: [
        {
          debit: burn ? to : from,
          credit: burn ? from : to,
          amount: parseAmount(amount.replace('-', '')),
        },
      ],
    },
  ]);
  assert.equal(outcome?.status, 'committed');
};

const bill =
  (reference: string, cusip: string, face: string, settlement: string, days: number) =>
  (ctx: IssuanceContext) =>
    buyBill(ctx, treasurer, {
      reference,
      cusip,
      face: parseAmount(face),
      issueDate: settlement,
      maturityDate: addDays(settlement, days),
      tradeDate: settlement,
      settlementDate: settlement,
      bank: 'bank-a',
      discountRatePct: '4.300',
      custodian: 'Bank of New York Mellon',
      jurisdiction: 'US',
    }).then(() => undefined);

const accrueThrough = (day: string) => (ctx: IssuanceContext) =>
  accrue(ctx, day).then(() => undefined);

/** The history, in order: [the day, what happens]. */
const steps: [string, (ctx: IssuanceContext) => Promise<void>][] = [
  ['2025-01-06', deposit('W-1', '10000000', '2025-01-06')],
  ['2025-01-06', tokens('M-1', '5000000')],
  ['2025-01-10', bill('T-A', '912797LB1', '4000000', '2025-01-10', 91)],
  ['2025-01-31', accrueThrough('2025-01-31')],
  ['2025-02-14', deposit('W-2', '2000000', '2025-02-14')],
  ['2025-02-14', bill('T-B', '912797HR1', '3000000', '2025-02-14', 90)],
  ['2025-02-14', tokens('M-2', '1500000')],
  ['2025-02-28', accrueThrough('2025-02-28')],
  [
    '2025-03-14',
    (ctx) =>
      sellBill(
        ctx,
        treasurer,
        {
          positionId: 'tbill:912797LB1:T-A',
          settlementDate: '2025-03-14',
          discountRatePct: '4.100',
        },
        (positionId, through) => accrue(ctx, through, { positionId }).then(() => undefined),
      ).then(() => undefined),
  ],
  [
    '2025-03-20',
    (ctx) =>
      fundOrder(ctx, treasurer, {
        reference: 'F-1',
        fund: 'gov-fund',
        side: 'subscribe',
        amount: parseAmount('1000000'),
        bank: 'bank-a',
        government: true,
        custodian: 'Fund TA',
        jurisdiction: 'US',
      }).then(() => undefined),
  ],
  ['2025-03-31', accrueThrough('2025-03-31')],
  ['2025-03-31', tokens('B-1', '-500000')],
  ['2025-04-15', deposit('W-3', '3000000', '2025-04-15')],
  ['2025-04-15', bill('T-C', '912797GN1', '2000000', '2025-04-15', 60)],
  ['2025-04-15', tokens('M-3', '2500000')],
  // Matures T-B (2025-05-15).
  ['2025-05-20', accrueThrough('2025-05-20')],
];

/** A figure without the field that says where it came from (the one thing that differs). */
function figures<T extends { computedFrom: string }>(value: T): Omit<T, 'computedFrom'> {
  const { computedFrom: _, ...rest } = value;
  return rest;
}

describe('reserve figures as of a past day, from the journal', () => {
  let full: World;
  let then: World;

  before(async () => {
    [full, then] = await Promise.all([world(), world()]);
    await full.until('2025-06-02');
  });
  after(async () => {
    await Promise.all([full?.t.dispose(), then?.t.dispose()]);
  });

  for (const month of ['2025-02', '2025-03']) {
    it(`a report and a valuation of ${month} equal those of a database that stopped then`, async () => {
      await then.until(monthEnd(month));
      for (const basis of ['amortized', 'book'] as Basis[]) {
        const past = await compositionReport(full.ctx, genius, { month, basis });
        const now = await compositionReport(then.ctx, genius, { month, basis });
        assert.equal(past.computedFrom, 'journal');
        assert.equal(now.computedFrom, 'ledger');
        assert.deepEqual(figures(past), figures(now));
        const today = await compositionReport(full.ctx, genius, { asOf: '2025-06-02', basis });
        assert.notDeepEqual(figures(today).totals, figures(past).totals);

        const [pastBook, nowBook] = await Promise.all([
          readBook(full.ctx, monthEnd(month), basis, undefined, { source: 'journal' }),
          readBook(then.ctx, monthEnd(month), basis),
        ]);
        assert.deepEqual(pastBook.portfolio, nowBook.portfolio);
        assert.deepEqual([...pastBook.supplyByChain], [...nowBook.supplyByChain]);
        assert.deepEqual(
          pastBook.positions.map((p) => [p.position.id, p.status, p.accruedThrough]),
          nowBook.positions.map((p) => [p.position.id, p.status, p.accruedThrough]),
        );
      }
    });
  }

  it('leaves out a bill bought after the day, and one sold or matured by then', async () => {
    const jan = await readBook(full.ctx, '2025-01-31', 'book', undefined, { source: 'journal' });
    const bills = (book: typeof jan) =>
      book.positions.filter((p) => p.position.kind === 'tbill').map((p) => p.position.id);
    assert.deepEqual(bills(jan), ['tbill:912797LB1:T-A']);
    assert.equal(jan.portfolio.liabilities, parseAmount('5000000'));
    const mar = await readBook(full.ctx, '2025-03-31', 'book', undefined, { source: 'journal' });
    assert.deepEqual(bills(mar), ['tbill:912797HR1:T-B']);
    // Today: T-B matured on 2025-05-15, T-C (bought 2025-04-15) is held.
    const now = await readBook(full.ctx, '2025-06-02', 'book');
    assert.deepEqual(bills(now), ['tbill:912797GN1:T-C']);
  });

  it('refuses a day before the first journal record, naming the field', async () => {
    await assert.rejects(
      compositionReport(full.ctx, genius, { month: '2024-12' }),
      (error: unknown) =>
        error instanceof ClearpegError &&
        error.code === 'as-of-before-issuer' &&
        error.field === 'month',
    );
    await assert.rejects(
      readBook(full.ctx, '2025-01-05', 'book', undefined, { source: 'journal' }),
      (error: unknown) =>
        error instanceof ClearpegError &&
        error.code === 'as-of-before-issuer' &&
        error.field === 'asOf',
    );
    // The first day itself is known.
    const first = await readBook(full.ctx, '2025-01-06', 'book', undefined, { source: 'journal' });
    assert.equal(first.portfolio.liabilities, parseAmount('5000000'));
  });
});
