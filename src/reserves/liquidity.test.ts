import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays } from '../calendar.ts';
import type { Micro } from '../money/money.ts';
import { throwsCode } from '../testing.ts';
import {
  bucketNames,
  daysCovered,
  defaultBillYieldShockPct,
  liquidityBuckets,
  waterfall,
} from './liquidity.ts';
import { asOf, bill, cash, investment, mmf, portfolio, repo, usd } from './testing.ts';

// ---------------------------------------------------------------- builders

// `asOf` is Tuesday 31 December 2024: the next US business day is Thursday 2 January
// (1 January is a holiday), and a week later is Tuesday 7 January.
const nextDay = '2025-01-02';
/** Liquidity looks only at the holdings: the books owe nothing. */
const noLiabilities = 0n as Micro;

/** The default T+1 haircut, computed here: face × 1 % × days / 360, rounded up. */
function haircutAt1Pct(face: bigint, days: number): bigint {
  const numerator = face * BigInt(days);
  return (numerator + 35_999n) / 36_000n;
}

// ---------------------------------------------------------------- buckets

describe('liquidity buckets', () => {
  it('sorts each kind of holding by when it becomes cash', () => {
    const result = liquidityBuckets(
      portfolio(noLiabilities, [
        cash('bank-a', usd('100')),
        cash('fed', usd('50'), { centralBank: true }),
        mmf('gov-fund', usd('300')),
        mmf('prime-fund', usd('70'), false),
        bill('bill-today', usd('10'), asOf),
        bill('bill-next-day', usd('400'), nextDay),
        bill('bill-6-days', usd('999'), '2025-01-06', usd('1000')),
        repo('repo-term', usd('200'), { maturityDate: '2025-01-06' }),
        repo('repo-long', usd('250'), { maturityDate: '2025-02-28' }),
        investment('gold-bars', 'gold', usd('500')),
        bill('bill-matured', usd('20'), '2024-12-30'),
      ]),
    );
    const haircut = haircutAt1Pct(usd('1000'), 6);
    assert.equal(haircut, 166_667n);
    assert.deepEqual(
      result.slices.map((s) => [s.holding, s.bucket, s.basis, s.amount]),
      [
        ['bank-a', 'same-day', 'balance', usd('100')],
        ['fed', 'same-day', 'balance', usd('50')],
        ['gov-fund', 'same-day', 'fund-redemption', usd('300')],
        ['prime-fund', 'next-day', 'fund-redemption', usd('70')],
        ['bill-today', 'same-day', 'maturity', usd('10')],
        ['bill-next-day', 'next-day', 'maturity', usd('400')],
        ['bill-6-days', 'next-day', 'sale', usd('999') - haircut],
        ['bill-6-days', 'within-week', 'sale-haircut', haircut],
        ['repo-term', 'within-week', 'maturity', usd('200')],
        ['repo-long', 'beyond', 'maturity', usd('250')],
        ['gold-bars', 'beyond', 'not-a-reserve', usd('500')],
        ['bill-matured', 'beyond', 'matured-unsettled', usd('20')],
      ],
    );
    assert.deepEqual(result.buckets, {
      'same-day': usd('460'),
      'next-day': usd('1468.833333'),
      'within-week': usd('200.166667'),
      beyond: usd('770'),
    });
    assert.equal(result.total, usd('2899'));
    const sum = bucketNames.reduce((acc, name) => acc + result.buckets[name], 0n);
    assert.equal(sum, result.total);
  });

  it('takes no haircut with a zero yield shock, and a proportional one with 0.25 %', () => {
    const book = portfolio(noLiabilities, [
      bill('bill-90', usd('990'), addDays(asOf, 90), usd('1000')),
    ]);
    assert.deepEqual(liquidityBuckets(book, { billYieldShockPct: '0' }).buckets, {
      'same-day': 0n,
      'next-day': usd('990'),
      'within-week': 0n,
      beyond: 0n,
    });
    // 1000 × 0.25 % × 90 / 360 = 0.625
    assert.deepEqual(liquidityBuckets(book, { billYieldShockPct: '0.25' }).buckets, {
      'same-day': 0n,
      'next-day': usd('989.375'),
      'within-week': 0n,
      beyond: usd('0.625'),
    });
    throwsCode(
      () => liquidityBuckets(book, { billYieldShockPct: '1e2' }),
      'percent-invalid',
      'options.billYieldShockPct',
    );
  });

  it('sums to total reserves for the largest issuer at 31 Dec 2024', () => {
    const billValue = usd('9450000000');
    const bills = Array.from({ length: 10 }, (_, k) =>
      bill(`bill-${k + 1}`, billValue, addDays(asOf, 9 * (k + 1))),
    );
    const result = liquidityBuckets(
      portfolio(noLiabilities, [
        ...bills,
        repo('repo-dealer', usd('12000000000'), { maturityDate: nextDay }),
        mmf('gov-fund', usd('6500000000')),
        investment('btc', 'bitcoin', usd('7860000000')),
        investment('gold-bars', 'gold', usd('5320000000')),
        investment('loans', 'secured-loan', usd('8100000000')),
        investment('ventures', 'other', usd('3900000000')),
        cash('bank-a', usd('108000000')),
      ]),
    );
    assert.equal(defaultBillYieldShockPct, '1');
    let haircuts = 0n;
    for (let k = 1; k <= 10; k++) haircuts += haircutAt1Pct(billValue, 9 * k);
    assert.equal(haircuts, usd('129937500'));
    assert.deepEqual(result.buckets, {
      'same-day': usd('108000000') + usd('6500000000'),
      'next-day': usd('12000000000') + usd('94500000000') - haircuts,
      'within-week': 0n,
      beyond:
        usd('7860000000') + usd('5320000000') + usd('8100000000') + usd('3900000000') + haircuts,
    });
    assert.equal(result.total, usd('138288000000'));
    assert.equal(
      bucketNames.reduce((acc, name) => acc + result.buckets[name], 0n),
      result.total,
    );
  });
});

// ---------------------------------------------------------------- waterfall

describe('redemption waterfall', () => {
  const book = portfolio(noLiabilities, [
    bill('bill-late', usd('400'), addDays(asOf, 60)),
    investment('gold-bars', 'gold', usd('1000')),
    cash('bank-a', usd('100')),
    mmf('gov-fund', usd('300')),
    repo('repo-dealer', usd('200'), { maturityDate: nextDay }),
    bill('bill-soon', usd('500'), nextDay),
  ]);
  const lateProceeds = usd('400') - haircutAt1Pct(usd('400'), 60);

  it('pays cash, then repo, then funds, then bills by maturity, earliest first', () => {
    const result = waterfall(book, usd('1200'));
    assert.deepEqual(
      result.steps.map((s) => [s.holding, s.available, s.paid]),
      [
        ['bank-a', usd('100'), usd('100')],
        ['repo-dealer', usd('200'), usd('200')],
        ['gov-fund', usd('300'), usd('300')],
        ['bill-soon', usd('500'), usd('500')],
        ['bill-late', lateProceeds, usd('100')],
      ],
    );
    assert.equal(result.paid, usd('1200'));
    assert.equal(result.unpaid, 0n);
  });

  it('reports what the reserves cannot pay; investments are not drawn', () => {
    const result = waterfall(book, usd('2000'));
    const available = usd('100') + usd('200') + usd('300') + usd('500') + lateProceeds;
    assert.equal(available, usd('1499.333333'));
    assert.equal(result.paid, available);
    assert.equal(result.unpaid, usd('2000') - available);
    assert.equal(result.unpaid, usd('500.666667'));
    assert.ok(result.steps.every((s) => s.paid === s.available));
    assert.ok(!result.steps.some((s) => s.holding === 'gold-bars'));
  });

  it('pays nothing for nothing, and stops at the first source that suffices', () => {
    const none = waterfall(book, 0n as Micro);
    assert.ok(none.steps.every((s) => s.paid === 0n));
    assert.equal(none.unpaid, 0n);
    const small = waterfall(book, usd('60'));
    assert.deepEqual(
      small.steps.map((s) => s.paid),
      [usd('60'), 0n, 0n, 0n, 0n],
    );
  });

  it('refuses a negative amount', () => {
    throwsCode(() => waterfall(book, -1n as Micro), 'amount-invalid', 'amount');
  });
});

// ---------------------------------------------------------------- days covered

describe('daysCovered', () => {
  it('counts whole days, rounded down', () => {
    assert.deepEqual(daysCovered(usd('250'), usd('100')), { infinite: false, days: 2n });
    assert.deepEqual(daysCovered(usd('99.999999'), usd('100')), { infinite: false, days: 0n });
    assert.deepEqual(daysCovered(usd('100'), usd('100')), { infinite: false, days: 1n });
    assert.deepEqual(daysCovered(0n as Micro, usd('100')), { infinite: false, days: 0n });
  });

  it('is infinite when nothing was ever redeemed in a day', () => {
    assert.deepEqual(daysCovered(usd('100'), 0n as Micro), { infinite: true });
    assert.deepEqual(daysCovered(0n as Micro, 0n as Micro), { infinite: true });
  });

  it('refuses negative amounts, naming the field', () => {
    throwsCode(() => daysCovered(-1n as Micro, usd('1')), 'amount-invalid', 'sameDay');
    throwsCode(
      () => daysCovered(usd('1'), -1n as Micro),
      'amount-invalid',
      'worstDailyRedemptions',
    );
  });
});
