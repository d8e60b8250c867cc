import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addDays, dateOfEpochDay, daysBetween, epochDay } from '../calendar.ts';
import type { Micro } from '../money/money.ts';
import { throwsCode } from '../testing.ts';
import {
  billCost,
  discountRateForPrice,
  investmentRatePct,
  isCusip,
  marketPricePer100,
  marketValue,
  parseCusip,
  pricePer100,
  yearBasis,
} from './bills.ts';
import { floor, formatRatio, halfEven, halfUp, parseRatio } from './decimal.ts';

interface Auction {
  cusip: string;
  term: string;
  issueDate: string;
  maturityDate: string;
  days: number;
  discountRatePct: string;
  investmentRatePct: string;
  pricePer100: string;
}

// Treasury's published auction results, shipped with the project (data/tbills/README.md).
const auctions: Auction[] = readFileSync(
  new URL('../../data/tbills/auctions.csv', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [cusip, term, , issueDate, maturityDate, days, discount, investment, price] =
      line.split(',');
    return {
      cusip: cusip!,
      term: term!,
      issueDate: issueDate!,
      maturityDate: maturityDate!,
      days: Number(days),
      discountRatePct: discount!,
      investmentRatePct: investment!,
      pricePer100: price!,
    };
  });

describe('Treasury auction results (data/tbills/auctions.csv)', () => {
  it('ships 24 auctions', () => assert.equal(auctions.length, 24));

  for (const a of auctions) {
    it(`${a.cusip} ${a.term} issued ${a.issueDate}`, () => {
      assert.ok(isCusip(a.cusip), 'CUSIP check digit');
      assert.equal(daysBetween(a.issueDate, a.maturityDate), a.days);
      const price = pricePer100(a.discountRatePct, a.days);
      assert.equal(price.text, a.pricePer100);
      assert.equal(
        investmentRatePct(a.pricePer100, a.days, a.issueDate, a.term),
        a.investmentRatePct,
      );
      assert.equal(investmentRatePct(price, a.days, a.issueDate, a.term), a.investmentRatePct);
      // Back from the published price to the published rate.
      const rate = formatRatio(discountRateForPrice(a.pricePer100, a.days), 3, halfUp);
      assert.equal(rate, a.discountRatePct);
    });
  }

  it('covers the shapes the README lists', () => {
    const days = new Set(auctions.map((a) => a.days));
    for (const d of [27, 41, 90, 92, 181, 183, 365]) assert.ok(days.has(d), `${d} days`);
  });
});

describe('the investment rate', () => {
  it("reproduces the brief's example", () => {
    const price = pricePer100('4.480', 28);
    assert.equal(price.text, '99.651556');
    const days = daysBetween('2023-01-24', '2023-02-21');
    assert.equal(days, 28);
    assert.equal(investmentRatePct(price.text, days, '2023-01-24'), '4.558');
  });

  it('uses the simple formula for a 26-week bill of 183 days (912797SU2)', () => {
    assert.equal(investmentRatePct('98.144583', 183, '2026-05-28', '26-Week'), '3.771');
    // Without the label, 183 days is over half a year: the quadratic gives 3.7705.
    assert.equal(investmentRatePct('98.144583', 183, '2026-05-28'), '3.770');
  });

  it('takes the year basis from the issue date', () => {
    // Same rate and price, 366 versus 365 days (912797JP3, 912797KR7).
    assert.equal(investmentRatePct('99.179444', 56, '2024-02-27', '8-Week'), '5.407');
    assert.equal(investmentRatePct('99.179444', 56, '2024-06-04', '8-Week'), '5.393');
    // Matures in 2023, but 29 February 2024 is within a year of issue (912797HU4).
    assert.equal(yearBasis('2023-11-14'), 366);
    // A 52-week bill spanning 29 February 2024 (912797LL9).
    assert.equal(yearBasis('2023-03-23'), 366);
    assert.equal(investmentRatePct('95.561222', 364, '2023-03-23', '52-Week'), '4.617');
    assert.equal(investmentRatePct('95.561222', 364, '2025-03-23', '52-Week'), '4.605');
  });

  it('agrees with the simple formula where the quadratic degenerates (183 days, Y = 366)', () => {
    // 2a − 1 = 0: the half-year formula reduces to the simple one.
    assert.equal(
      investmentRatePct('97.500000', 183, '2023-09-01'),
      investmentRatePct('97.500000', 183, '2023-09-01', '26-Week'),
    );
  });

  it('is zero at par and refuses other prices and labels', () => {
    assert.equal(investmentRatePct('100', 91, '2025-01-02'), '0.000');
    assert.equal(investmentRatePct('100', 364, '2025-01-02'), '0.000');
    throwsCode(
      () => investmentRatePct('100.5', 91, '2025-01-02'),
      'bill-invalid',
      'price',
      /above 0 and at most 100/,
    );
    throwsCode(
      () => investmentRatePct('99', 91, '2025-01-02', '26-week'),
      'bill-invalid',
      'term',
      /26-Week/,
    );
    throwsCode(() => investmentRatePct('99', 0, '2025-01-02'), 'bill-invalid', 'days', /1 to 366/);
  });
});

describe('yearBasis', () => {
  const cases: Array<[string, 365 | 366]> = [
    ['2023-02-28', 365], // the anniversary 2024-02-28 stops short of 29 February
    ['2023-03-01', 366], // the year after runs to 2024-03-01
    ['2024-01-31', 366],
    ['2024-02-28', 366],
    ['2024-02-29', 365], // from, not including, the issue date
    ['2024-03-01', 365],
    ['2027-03-01', 366],
    ['2099-03-01', 365], // 2100 is not a leap year
    ['2099-12-31', 365],
    ['2000-01-01', 366], // 2000 is
  ];
  for (const [issueDate, basis] of cases) {
    it(`${issueDate}: ${basis}`, () => assert.equal(yearBasis(issueDate), basis));
  }
});

describe('pricePer100', () => {
  it('rounds half up, not half to even', () => {
    // 100 − 0.00054/360 = 99.9999985: half-up gives …999, half-even would give …998.
    const price = pricePer100('0.00054', 1);
    assert.equal(price.text, '99.999999');
    assert.equal(formatRatio(price.exact, 7, halfUp), '99.9999985');
    assert.deepEqual({ num: price.num, den: price.den }, parseRatio('99.999999'));
  });

  it('prices a market rate below zero above par and refuses impossible ones', () => {
    assert.equal(pricePer100('-0.05', 91).text, '100.012639');
    assert.equal(pricePer100('0', 364).text, '100.000000');
    throwsCode(() => pricePer100('100', 28), 'bill-invalid', 'discountRatePct', /under 100/);
    throwsCode(() => pricePer100('99', 366), 'bill-invalid', 'discountRatePct', /positive price/);
    throwsCode(
      () => pricePer100(4.48 as unknown as string, 28),
      'bill-invalid',
      'discountRatePct',
      /decimal string or a Ratio/,
    );
  });
});

describe('billCost', () => {
  it('multiplies face by the price per 100', () => {
    assert.equal(billCost(1_000_000_000n as Micro, '99.651556'), 996_515_560n);
    assert.equal(
      billCost(100_000_000_000_000n as Micro, pricePer100('4.390', 364)),
      95_561_222_000_000n,
    );
  });

  it('rounds to the micro-dollar by the named rule, half-up by default', () => {
    // 1 micro-dollar at 50: exactly half a micro-dollar.
    assert.equal(billCost(1n as Micro, '50'), 1n);
    assert.equal(billCost(1n as Micro, '50', halfEven), 0n);
    assert.equal(billCost(3n as Micro, '50', halfEven), 2n);
    assert.equal(billCost(3n as Micro, '50', floor), 1n);
    assert.equal(billCost(7n as Micro, '99.651556'), 7n); // 6.975609
  });

  it('refuses a bad face or price', () => {
    throwsCode(() => billCost(-1n as Micro, '99'), 'amount-invalid', 'face', /negative/);
    throwsCode(() => billCost(1n as Micro, '0'), 'bill-invalid', 'pricePer100', /above 0/);
    throwsCode(() => billCost(1n as Micro, '200.5'), 'bill-invalid', 'pricePer100', /at most 200/);
  });
});

describe('market prices', () => {
  it('prices the days left at a secondary-market discount rate', () => {
    assert.equal(formatRatio(marketPricePer100('4.23', 91), 6, halfUp), '98.930750');
    assert.equal(formatRatio(marketPricePer100('4.23', 0), 6, halfUp), '100.000000');
    assert.equal(marketValue(1_000_000_000_000n as Micro, '4.23', 91), 989_307_500_000n);
    // 1 micro-dollar × (100 − 4.5 × 40/360) / 100 = 0.9950: rounds to 1.
    assert.equal(marketValue(1n as Micro, '4.5', 40), 1n);
    // 5 micro × 99.9 / 100 = 4.995 and 2.5 micro → half-even.
    assert.equal(marketValue(5n as Micro, '36', 1), 5n);
    assert.equal(marketValue(5n as Micro, '36', 1, floor), 4n);
  });

  it('inverts: the rate for a price', () => {
    const rate = discountRateForPrice(marketPricePer100('3.875', 27), 27);
    assert.deepEqual(rate, parseRatio('3.875'));
    throwsCode(() => discountRateForPrice('0', 27), 'bill-invalid', 'price', /above 0/);
  });
});

describe('dates', () => {
  it('counts calendar days on integers', () => {
    assert.equal(daysBetween('2024-02-28', '2024-03-01'), 2);
    assert.equal(daysBetween('2023-02-28', '2023-03-01'), 1);
    assert.equal(daysBetween('2024-12-26', '2025-12-26'), 365);
    assert.equal(daysBetween('2023-03-23', '2024-03-21'), 364);
    assert.equal(daysBetween('2025-01-02', '2024-12-31'), -2);
    assert.equal(epochDay('1970-01-01'), 0);
    assert.equal(epochDay('1969-12-31'), -1);
    assert.equal(dateOfEpochDay(19_782), '2024-02-29');
    assert.equal(addDays('2024-02-28', 2), '2024-03-01');
    assert.equal(addDays('2000-03-01', -1), '2000-02-29');
    assert.equal(addDays('2100-03-01', -1), '2100-02-28');
  });

  it('agrees with the UTC calendar of Date over five centuries', () => {
    fc.assert(
      fc.property(fc.integer({ min: -150_000, max: 100_000 }), (day) => {
        const iso = new Date(day * 86_400_000).toISOString().slice(0, 10);
        assert.equal(dateOfEpochDay(day), iso);
        assert.equal(epochDay(iso), day);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not a calendar date, naming the field', () => {
    for (const bad of [
      '2023-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-1-01',
      '24-01-01',
      '2024/01/01',
      '',
    ]) {
      throwsCode(() => daysBetween(bad, '2024-01-01'), 'date-invalid', 'from', /YYYY-MM-DD/);
    }
    throwsCode(() => yearBasis('2024-02-30'), 'date-invalid', 'issueDate', /calendar date/);
  });
});

describe('CUSIP', () => {
  it('validates check digits', () => {
    for (const cusip of ['037833100', '38259P508', '594918104', '912797LB1', '912810RZ3']) {
      assert.ok(isCusip(cusip), cusip);
    }
    for (const cusip of [
      '037833101',
      '912797LB2',
      '912797lb1',
      '91279LB1',
      '9127970LB1',
      '',
      912797,
    ]) {
      assert.equal(isCusip(cusip), false, String(cusip));
    }
    // Every wrong check digit of a real CUSIP is caught.
    for (let d = 0; d <= 9; d++) assert.equal(isCusip(`912797SU${d}`), d === 2);
  });

  it('names the field when it refuses', () => {
    assert.equal(parseCusip('912797SU2'), '912797SU2');
    throwsCode(
      () => parseCusip('912797SU3', 'lots.0.cusip'),
      'cusip-invalid',
      'lots.0.cusip',
      /check digit/,
    );
  });
});
