/**
 * 2024 on the real DTB3 history: a 13-week ladder holding $100,000,000 face, rolled every
 * Thursday, accrued daily. The interest booked must equal Σ(face − cost) of the bills that
 * matured plus the accretion of the open ones, to the micro-dollar, and match a computation
 * written here from the formulas alone (its own rate lookup, price, cost and carrying values).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { addDays, daysBetween } from '../calendar.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { parseAmount } from '../money/money.ts';
import { carryingValue } from '../reserves/accretion.ts';
import { cusipCheckDigit } from '../reserves/bills.ts';
import { loadDtb3 } from '../reserves/rates.ts';
import { incomeInterest, reservesCash } from '../workflow/accounts.ts';
import { accrue } from './accrual.ts';
import { billOf } from './book.ts';
import { ladderLots, rollLadder } from './ladder.ts';
import { selectPositions } from './positions.ts';

// ---------------------------------------------------------------- the independent computation

/** DTB3 by date, read here with a plain split: percent as an integer of hundredths. */
function dtb3Hundredths(): Map<string, bigint> {
  const text = readFileSync(new URL('../../data/rates/DTB3.csv', import.meta.url), 'utf8');
  const rates = new Map<string, bigint>();
  for (const line of text.trim().split('\n').slice(1)) {
    const [date, value] = line.split(',');
    if (value === undefined || value.trim() === '') continue;
    const [whole, fraction = ''] = value.trim().split('.');
    rates.set(date!, BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0')));
  }
  return rates;
}

/** The last rate observed on or before `date`. */
function rateOnOrBefore(rates: Map<string, bigint>, date: string): bigint {
  for (let d = date; ; d = addDays(d, -1)) {
    const rate = rates.get(d);
    if (rate !== undefined) return rate;
  }
}

/**
 * Cost in micro-dollars of `face` for `days` at `hundredths` of a percent: the price per 100
 * P = 100 × (1 − d × days / 360) rounded half-up to 6 decimals, then face × P / 100.
 */
function expectedCost(face: bigint, hundredths: bigint, days: number): bigint {
  // P × 10^6 = 10^8 − hundredths × days × 10^6 / 36000 (exact numerator over 36000).
  const numerator = 100n * 1_000_000n * 36_000n - hundredths * BigInt(days) * 1_000_000n;
  const price6 = (numerator * 2n + 36_000n) / (2n * 36_000n); // half-up, positive
  return (face * price6 + 50_000_000n) / 100_000_000n; // face × P/100, half-up
}

/** x^n for bigints. */
function pow(x: bigint, n: number): bigint {
  let result = 1n;
  for (let i = 0; i < n; i++) result *= x;
  return result;
}

/**
 * The carrying value after t of n days, round(cost × (face/cost)^(t/n)): the integer x with
 * (x − ½)^n ≤ cost^(n−t) × face^t < (x + ½)^n, found by bisection on exact integers.
 */
function expectedCarrying(cost: bigint, face: bigint, t: number, n: number): bigint {
  if (t <= 0) return cost;
  if (t >= n) return face;
  const target = pow(cost, n - t) * pow(face, t) * 2n ** BigInt(n);
  let low = cost;
  let high = face;
  while (low < high) {
    const mid = (low + high + 1n) / 2n;
    if (pow(2n * mid - 1n, n) <= target) low = mid;
    else high = mid - 1n;
  }
  return low;
}

// ---------------------------------------------------------------- the run

/** A synthetic CUSIP per maturity date: Treasury's bill prefix, the date, a valid check digit. */
function cusipFor(maturity: string): string {
  const ordinal = daysBetween('2023-01-01', maturity).toString(36).toUpperCase().padStart(2, '0');
  const base = `912797${ordinal}`;
  return `${base}${cusipCheckDigit(base)}`;
}

describe('a 13-week ladder of $100,000,000 face through 2024 on DTB3', () => {
  let f: IssuanceFixture;
  const faceTotal = parseAmount('100000000');
  const policy = {
    name: 'main',
    rungs: 13,
    spacingDays: 7,
    faceTotal,
    bank: 'bank-a',
    custodian: 'Bank of New York Mellon',
    jurisdiction: 'US',
  };
  before(async () => {
    f = await issuanceFixture();
    await recordDeposit(f.ctx, f.operator('treasurer'), {
      reference: 'SEED-2024',
      bank: 'bank-a',
      amount: faceTotal,
      bookingDate: '2024-01-02',
    });
    const treasurer = f.operator('treasurer');
    const curve = loadDtb3();
    for (let thursday = '2024-01-04'; thursday <= '2024-12-31'; thursday = addDays(thursday, 7)) {
      await accrue(f.ctx, thursday);
      await rollLadder(f.ctx, treasurer, policy, thursday, curve, cusipFor);
      const open = (await ladderLots(f.ctx, 'main')).map(billOf);
      assert.equal(
        open.reduce((sum, bill) => sum + bill.face, 0n),
        faceTotal,
        `the ladder holds $100,000,000 face after the roll of ${thursday}`,
      );
      assert.equal(open.length, 13, `13 rungs after the roll of ${thursday}`);
    }
    await accrue(f.ctx, '2024-12-31');
  });
  after(() => f?.close());

  it('books interest equal to Σ(face − cost) of matured bills plus the accretion of open ones', async () => {
    const lots = await selectPositions(f.ctx.db, `p.kind = 'tbill'`);
    const matured = lots.filter((lot) => lot.status === 'matured').map(billOf);
    const open = lots.filter((lot) => lot.status === 'open');
    assert.ok(matured.length >= 40, `most of the year's bills matured (${matured.length})`);
    const maturedInterest = matured.reduce((sum, bill) => sum + (bill.face - bill.cost), 0n);
    const openAccretion = open.reduce((sum, lot) => {
      assert.equal(lot.accruedThrough, '2024-12-31');
      const bill = billOf(lot);
      return sum + (carryingValue(bill, '2024-12-31') - bill.cost);
    }, 0n);
    const booked = await f.balance(incomeInterest.code);
    assert.equal(booked, maturedInterest + openAccretion);
  });

  it('matches the computation written in this test, to the micro-dollar', async () => {
    const rates = dtb3Hundredths();
    const lots = (await selectPositions(f.ctx.db, `p.kind = 'tbill'`)).map((lot) => ({
      lot,
      bill: billOf(lot),
    }));
    let expected = 0n;
    for (const { lot, bill } of lots) {
      const days = daysBetween(bill.settlementDate, bill.maturityDate);
      const cost = expectedCost(bill.face, rateOnOrBefore(rates, bill.settlementDate), days);
      assert.equal(bill.cost, cost, `the cost of ${bill.id}`);
      const through = lot.status === 'matured' ? bill.maturityDate : '2024-12-31';
      expected +=
        expectedCarrying(cost, bill.face, daysBetween(bill.settlementDate, through), days) - cost;
    }
    assert.equal(await f.balance(incomeInterest.code), expected);
    // About 5 % a year on $100,000,000: a sanity bound on the whole computation.
    assert.ok(
      expected > parseAmount('4800000') && expected < parseAmount('5400000'),
      `${expected}`,
    );
  });

  it('keeps the books whole: cash plus carrying values is the seed plus the interest', async () => {
    const cash = -(await f.balance(reservesCash('bank-a').code));
    const open = (await selectPositions(f.ctx.db, `p.kind = 'tbill' AND p.status = 'open'`)).map(
      billOf,
    );
    const carrying = open.reduce((sum, bill) => sum + carryingValue(bill, '2024-12-31'), 0n);
    assert.equal(cash + carrying, faceTotal + (await f.balance(incomeInterest.code)));
  });
});
