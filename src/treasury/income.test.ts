/**
 * The income statement against the ledger, on a book whose clock the test sets: its lines equal
 * the income accounts' balances over a period from the first day and the difference of two
 * journal cuts over a sub-period; a backdated accretion (posted weeks later) counts on its
 * business day; a record after `to` is not counted; equity and the excess at each point equal
 * those read one day at a time; net income equals the change of equity; bad queries name their
 * field and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addDays } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { balanceOf, type Selection } from '../ledger/balances.ts';
import { accountFlag } from '../ledger/types.ts';
import { namedUuid } from '../ledger/uuid.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { evaluate, loadRuleset } from '../reserves/eligibility.ts';
import {
  type AccountSpec,
  accountId,
  depositSuspense,
  everyCustomerFiat,
  everyIncome,
  everyInvestment,
  everyReserve,
  everySupply,
  everySuspense,
  expense,
  incomeFees,
  reservesCash,
  usd,
} from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { accrue } from './accrual.ts';
import { buyBill } from './book.ts';
import { checkIncomeQuery, incomeStatement, reserveIncome, seriesDays, shareOf } from './income.ts';
import { type ClockedWorld, clockedWorld } from './testing.ts';
import { journalCut, readBook } from './valuation.ts';

const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
const genius = loadRuleset('genius');
const supply: AccountSpec = {
  code: 'supply:31337',
  asset: usd,
  flags: accountFlag.debitsMustNotExceedCredits,
};
const money = (text: string) => parseAmount(text) as Micro;

/** A transfer straight on the ledger, named by `reference`. */
const move =
  (reference: string, debit: AccountSpec, credit: AccountSpec, amount: string) =>
  async (ctx: IssuanceContext) => {
    const [d, c] = [await accountId(ctx.ledger, debit), await accountId(ctx.ledger, credit)];
    const [outcome] = await ctx.ledger.submit([
      {
        type: 'transfer',
        id: namedUuid('income-test', reference),
        asset: usd,
        postings: [{ debit: d, credit: c, amount: money(amount) }],
      },
    ]);
    assert.equal(outcome?.status, 'committed', reference);
  };

/** The history, in order: [the day it is recorded, what happens]. */
const steps: [string, (ctx: IssuanceContext) => Promise<void>][] = [
  [
    '2026-01-05',
    (ctx) =>
      recordDeposit(ctx, treasurer, {
        reference: 'W-1',
        bank: 'bank-a',
        amount: money('10000000'),
        bookingDate: '2026-01-05',
      }).then(() => undefined),
  ],
  ['2026-01-05', move('M-1', depositSuspense, supply, '6000000')],
  [
    '2026-01-06',
    (ctx) =>
      buyBill(ctx, treasurer, {
        reference: 'T-A',
        cusip: '912797LB1',
        face: money('4000000'),
        issueDate: '2026-01-06',
        maturityDate: addDays('2026-01-06', 91),
        tradeDate: '2026-01-06',
        settlementDate: '2026-01-06',
        bank: 'bank-a',
        discountRatePct: '4.300',
        custodian: 'Bank of New York Mellon',
        jurisdiction: 'US',
      }).then(() => undefined),
  ],
  // A redemption's fee, from the dollars in suspense (the test's customer).
  ['2026-01-12', move('FEE-1', depositSuspense, incomeFees, '1250.5')],
  // January's accretion is posted only on February 3rd, each day dated by its business day.
  ['2026-02-03', (ctx) => accrue(ctx, '2026-01-31').then(() => undefined)],
  ['2026-02-10', move('AUDIT-1', expense('operating', 'audit'), reservesCash('bank-a'), '20000')],
  [
    '2026-02-12',
    move('DIST-1', expense('distribution', 'acme-wallet'), reservesCash('bank-a'), '3000'),
  ],
  ['2026-02-15', move('FEE-2', depositSuspense, incomeFees, '99')],
  ['2026-02-28', (ctx) => accrue(ctx, '2026-02-28').then(() => undefined)],
];

const world = () => clockedWorld(steps);
type World = ClockedWorld;

describe('the income statement from the ledger', () => {
  let w: World;
  const today = '2026-03-02';
  const statement = (from: string, to: string, every?: 'day' | 'week' | 'month') =>
    incomeStatement(
      w.ctx,
      { from, to, ...(every === undefined ? {} : { every }) },
      {
        today,
        ruleset: genius,
      },
    );
  /** Each account's posted balance at the end of `day`, by `sumsAsOf` (one cut). */
  const cut = async (selection: Selection, day: string) => {
    const sums = await w.ctx.ledger.store.sumsAsOf(selection, journalCut(day));
    return new Map([...sums].map(([code, s]) => [code, balanceOf(s, selection.side).posted]));
  };
  const sum = (balances: Map<string, bigint>) => [...balances.values()].reduce((a, b) => a + b, 0n);

  before(async () => {
    w = await world();
    await w.until(today);
  });
  after(() => w?.t.dispose());

  it("from the first day, every line equals its account's balance", async () => {
    const s = await statement('2026-01-05', '2026-03-01');
    const balance = async (code: string) => {
      const account = await w.ctx.ledger.store.accountByCode(code);
      return account!.creditsPosted - account!.debitsPosted;
    };
    assert.equal(s.interest.total, await balance('income:interest'));
    assert.ok(s.interest.total > 0n);
    assert.equal(s.interest.accretion, s.interest.total); // only bills' accretion here
    assert.equal(s.fees, money('1349.5'));
    assert.equal(s.fees, await balance('income:fees'));
    assert.equal(s.operating.get('audit'), money('20000'));
    assert.equal(s.distribution.get('acme-wallet'), money('3000'));
    assert.equal(s.expenses, money('23000'));
    assert.equal(s.netIncome, s.interest.total + s.fees - money('23000'));
    assert.equal(s.equity.opening, 0n);
    assert.equal(s.netIncome, s.equity.closing - s.equity.opening);
    assert.ok(s.reconciliation.reconciled);
    assert.deepEqual(
      s.reconciliation.accounts.map((a) => a.code),
      [
        'income:fees',
        'income:interest',
        'expenses:distribution:acme-wallet',
        'expenses:operating:audit',
      ],
    );
    for (const a of s.reconciliation.accounts) assert.equal(a.line, a.ledgerChange, a.code);
  });

  it('a sub-period is the difference of two cuts; a backdated accretion counts on its day', async () => {
    const s = await statement('2026-01-10', '2026-01-20');
    const [opening, closing] = [
      await cut(everyIncome, '2026-01-09'),
      await cut(everyIncome, '2026-01-20'),
    ];
    const change = (code: string) => (closing.get(code) ?? 0n) - (opening.get(code) ?? 0n);
    // Posted on February 3rd, dated January 10th to 20th: it counts in January.
    assert.ok(change('income:interest') > 0n);
    assert.equal(s.interest.total, change('income:interest'));
    assert.equal(s.fees, money('1250.5'));
    assert.equal(s.expenses, 0n);
    assert.equal(s.netIncome, s.reconciliation.equityChange);
    // February's statement has none of January's accretion, though it was posted in February.
    const feb = await statement('2026-02-01', '2026-02-28');
    const [jan31, feb28] = [
      await cut(everyIncome, '2026-01-31'),
      await cut(everyIncome, '2026-02-28'),
    ];
    assert.equal(feb.interest.total, feb28.get('income:interest')! - jan31.get('income:interest')!);
    assert.ok(feb.reconciliation.reconciled);
  });

  it('a record after `to` is not counted', async () => {
    const before = await statement('2026-02-01', '2026-02-14');
    const after = await statement('2026-02-01', '2026-02-15');
    assert.equal(before.fees, 0n);
    assert.equal(after.fees, money('99'));
    assert.equal(
      after.netIncome - before.netIncome,
      money('99') + after.interest.total - before.interest.total,
    );
  });

  it('equity and the excess at each point equal those read one day at a time', async () => {
    const s = await statement('2026-01-05', '2026-02-28', 'week');
    assert.deepEqual(
      s.series.map((p) => p.asOf),
      seriesDays('2026-01-05', '2026-02-28', 'week'),
    );
    assert.equal(s.series.length, 8); // 7 Sundays and the last day
    for (const point of s.series) {
      const assets =
        sum(await cut(everyReserve, point.asOf)) + sum(await cut(everyInvestment, point.asOf));
      let owed = 0n;
      for (const selection of [everySupply, everyCustomerFiat, everySuspense])
        owed += sum(await cut(selection, point.asOf));
      assert.equal(point.equity, assets - owed, point.asOf);
      assert.equal(point.owed, owed, point.asOf);
      const book = await readBook(w.ctx, point.asOf, 'book', undefined, { source: 'journal' });
      const { totals } = evaluate(genius, book.portfolio);
      assert.equal(point.eligibleReserves, totals.eligibleReserves, point.asOf);
      assert.equal(point.excess, totals.excess, point.asOf);
      assert.equal(point.spendable, totals.eligibleReserves - (owed * 10_200n + 9_999n) / 10_000n);
    }
    assert.equal(s.series.at(-1)!.equity, s.equity.closing);
  });

  it("each partner's share of reserve income, less what was booked, is due", async () => {
    const s = await incomeStatement(
      w.ctx,
      { from: '2026-01-05', to: '2026-01-31' },
      {
        today,
        ruleset: genius,
        revenueShare: [
          { partner: 'acme-wallet', shareBps: 2500 },
          { partner: 'globex', shareBps: 1 },
        ],
        booked: new Map([['acme-wallet', 3_000_000n]]),
      },
    );
    const earned = await reserveIncome(w.ctx, '2026-01-05', '2026-01-31');
    assert.equal(earned, s.interest.total + s.trading);
    assert.ok(earned > 0n);
    const [acme, globex] = s.distributionDue;
    assert.equal(acme!.share, (earned * 2500n) / 10_000n); // fees are not shared
    assert.equal(acme!.booked, 3_000_000n);
    assert.equal(acme!.due, acme!.share - 3_000_000n);
    assert.equal(globex!.share, shareOf(earned, 1));
    assert.equal(globex!.due, globex!.share);
    assert.equal(shareOf(-5n, 2500), 0n); // nothing of a loss
  });

  it('bad queries name their field and the rule', async () => {
    const refused = async (action: Promise<unknown>, code: string, field: string) =>
      assert.rejects(action, (error: unknown) => {
        assert.ok(error instanceof ClearpegError, String(error));
        assert.equal(error.code, code, error.message);
        assert.equal(error.field, field, error.message);
        return true;
      });
    await refused(statement('2026-02-10', '2026-02-01'), 'income-invalid', 'from');
    await refused(statement('2026-02-30', '2026-03-01'), 'date-invalid', 'from');
    await refused(statement('2026-02-01', 'soon'), 'date-invalid', 'to');
    await refused(statement('2026-02-01', '2026-03-03'), 'income-invalid', 'to');
    await refused(
      statement('2026-02-01', '2026-02-02', 'year' as 'day'),
      'income-invalid',
      'every',
    );
    await refused(statement('2025-12-01', '2026-01-04'), 'as-of-before-issuer', 'to');
    // A period that starts before the first record opens on nothing: the same lines.
    const whole = await statement('2025-12-15', '2026-02-01');
    const first = await statement('2026-01-05', '2026-02-01');
    assert.equal(whole.netIncome, first.netIncome);
    assert.deepEqual(whole.reconciliation.accounts, first.reconciliation.accounts);
    assert.equal(whole.equity.opening, 0n);
    assert.throws(
      () => checkIncomeQuery({ from: '2024-01-01', to: '2026-01-01', every: 'day' }, today),
      /every/,
    );
    assert.equal(checkIncomeQuery({ from: '2024-01-01', to: '2026-01-01' }, today).days.length, 25); // 24 month ends and the last day
  });
});
