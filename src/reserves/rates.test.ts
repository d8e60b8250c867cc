import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { throwsCode } from '../testing.ts';
import { add, div, formatRatio, halfUp, parseRatio, type Ratio, ratio } from './decimal.ts';
import {
  loadDtb3,
  meanRate,
  parseFredCsv,
  parseTreasuryBillRatesCsv,
  quoteOn,
  RateFileError,
  rateOn,
} from './rates.ts';

const text = (rate: Ratio, decimals = 2) => formatRatio(rate, decimals, halfUp);

const fileError = (line: number, column: RegExp, rule: RegExp) => (error: unknown) => {
  assert.ok(error instanceof RateFileError, String(error));
  assert.equal(error.code, 'rate-file-invalid');
  assert.equal(error.line, line);
  assert.match(error.column, column);
  assert.match(error.message, rule);
  return true;
};

describe('the shipped DTB3 history (data/rates/DTB3.csv)', () => {
  const curve = loadDtb3();
  const lines = readFileSync(new URL('../../data/rates/DTB3.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const blanks = lines.filter((line) => line.endsWith(','));

  it('skips the blank days (holidays), never reading them as zero', () => {
    assert.ok(blanks.length > 200);
    assert.equal(curve.rows.length, lines.length - blanks.length);
    assert.equal(curve.rows[0]!.date, '2006-03-27');
    assert.equal(curve.rows.at(-1)!.date, '2026-03-26');
    assert.ok(!curve.rows.some((row) => row.date === '2006-04-14'));
    // Good Friday 2006 is blank: the rate is Thursday's.
    assert.deepEqual(quoteOn(curve, '2006-04-14', 91), {
      discountRatePct: parseRatio('4.58'),
      observedOn: '2006-04-13',
    });
  });

  it('reads 2024-12-31 as 4.23', () => {
    assert.deepEqual(rateOn(curve, '2024-12-31', 91), parseRatio('4.23'));
    assert.equal(quoteOn(curve, '2025-01-01', 91).observedOn, '2024-12-31');
  });

  it('averages 2023, 2024 and 2025 exactly (5.07, 4.97, 4.07)', () => {
    const mean2024 = meanRate(curve, '2024-01-01', '2024-12-31');
    assert.equal(text(mean2024), '4.97');
    assert.equal(text(meanRate(curve, '2023-01-01', '2023-12-31')), '5.07');
    assert.equal(text(meanRate(curve, '2025-01-01', '2025-12-31')), '4.07');
    // The same mean by hand from the file's lines: 250 observations, blanks left out.
    const values = lines
      .filter((line) => line.startsWith('2024-') && !line.endsWith(','))
      .map((line) => parseRatio(line.split(',')[1]));
    assert.equal(values.length, 250);
    const sum = values.reduce((a, b) => add(a, b), ratio(0n));
    assert.deepEqual(mean2024, div(sum, ratio(250n)));
  });

  it('keeps negative rates', () => {
    assert.deepEqual(rateOn(curve, '2015-09-18', 91), parseRatio('-0.01'));
  });

  it('is flat: the 13-week rate for every term', () => {
    for (const days of [0, 1, 28, 91, 182, 364]) {
      assert.deepEqual(rateOn(curve, '2024-06-28', days), rateOn(curve, '2024-06-28', 91));
    }
  });

  it('refuses dates before the history, stale quotes when asked, and bad terms', () => {
    throwsCode(
      () => rateOn(curve, '2006-03-24', 91),
      'rate-unavailable',
      'date',
      /data\/rates\/DTB3.csv/,
    );
    assert.equal(quoteOn(curve, '2026-04-10', 91).observedOn, '2026-03-26');
    throwsCode(
      () => quoteOn(curve, '2026-04-10', 91, 7),
      'rate-unavailable',
      'date',
      /at most 7 days before 2026-04-10 \(got last 2026-03-26\)/,
    );
    throwsCode(
      () => rateOn(curve, '2024-06-28', 367),
      'rate-term-invalid',
      'daysToMaturity',
      /0 to 366/,
    );
    throwsCode(() => rateOn(curve, '2024-06-31', 91), 'date-invalid', 'date', /YYYY-MM-DD/);
  });
});

describe('parseFredCsv', () => {
  const file = 'DTB3-fixture.csv';

  it('skips blank and "." values and sorts by date', () => {
    const curve = parseFredCsv(
      'observation_date,DTB3\r\n2024-12-30,4.24\r\n2024-12-31,4.23\r\n2025-01-01,\r\n2025-01-02,.\r\n2025-01-03,4.25\r\n',
      { file },
    );
    assert.deepEqual(
      curve.rows.map((row) => [row.date, text(row.ratesPct[0]!)]),
      [
        ['2024-12-30', '4.24'],
        ['2024-12-31', '4.23'],
        ['2025-01-03', '4.25'],
      ],
    );
    assert.deepEqual(curve.tenorsDays, [91]);
    assert.deepEqual(rateOn(curve, '2025-01-02', 30), parseRatio('4.23'));
  });

  it('can refuse terms beyond 26 weeks when asked', () => {
    const curve = parseFredCsv('DATE,DTB3\n2024-12-31,4.23\n', { file, flatMaxDays: 182 });
    assert.deepEqual(rateOn(curve, '2024-12-31', 182), parseRatio('4.23'));
    throwsCode(
      () => rateOn(curve, '2024-12-31', 183),
      'rate-term-invalid',
      'daysToMaturity',
      /0 to 182 for DTB3-fixture.csv/,
    );
  });

  it('names the file, line and column of bad input', () => {
    const good = 'observation_date,DTB3\n2024-12-30,4.24\n';
    assert.throws(
      () => parseFredCsv(`${good}2024-12-31,4.2x\n`, { file }),
      fileError(
        3,
        /^2 \(DTB3\)$/,
        /DTB3-fixture.csv, line 3, column 2 \(DTB3\): must be a decimal rate/,
      ),
    );
    assert.throws(
      () => parseFredCsv(`${good}12/31/2024,4.23\n`, { file }),
      fileError(3, /^1/, /must be a date YYYY-MM-DD/),
    );
    assert.throws(
      () => parseFredCsv(`${good}2024-12-30,4.25\n`, { file }),
      fileError(3, /^1/, /must not repeat/),
    );
    assert.throws(
      () => parseFredCsv(`${good}2024-12-31,4.23,1\n`, { file }),
      fileError(3, /-/, /2 fields/),
    );
    assert.throws(() => parseFredCsv('date;DTB3\n', { file }), fileError(1, /^1$/, /header/));
    assert.throws(() => parseFredCsv('', { file }), fileError(1, /-/, /header row/));
    assert.throws(
      () => parseFredCsv(`${good}2024-12-31,"4.23\n`, { file }),
      fileError(3, /-/, /quote/),
    );
  });
});

describe('parseTreasuryBillRatesCsv', () => {
  // The layout of Treasury's CSV export (daily_treasury_bill_rates, _format=csv): Date as
  // MM/DD/YYYY, newest first, a BANK DISCOUNT and a COUPON EQUIVALENT column per tenor, the
  // tenors of the year (no 6-week bill before 2025), quoted headers, blank for no quote.
  const november2024 = [
    'Date,"4 WEEKS BANK DISCOUNT","4 WEEKS COUPON EQUIVALENT","8 WEEKS BANK DISCOUNT","8 WEEKS COUPON EQUIVALENT","13 WEEKS BANK DISCOUNT","13 WEEKS COUPON EQUIVALENT","17 WEEKS BANK DISCOUNT","17 WEEKS COUPON EQUIVALENT","26 WEEKS BANK DISCOUNT","26 WEEKS COUPON EQUIVALENT","52 WEEKS BANK DISCOUNT","52 WEEKS COUPON EQUIVALENT"',
    '11/05/2024,4.56,4.64,4.54,4.64,4.44,4.55,4.39,4.52,4.27,4.42,4.06,4.25',
    '11/04/2024,4.57,4.65,4.54,4.64,4.41,4.52,4.40,4.53,4.30,4.45,4.09,4.28',
    '11/01/2024,4.54,4.62,4.52,4.61,4.43,4.54,4.38,4.51,,,4.08,4.27',
  ].join('\n');
  const file = 'daily-treasury-rates.csv';
  const curve = parseTreasuryBillRatesCsv(november2024, { file });

  it('finds the tenors by their column names and sorts the days', () => {
    assert.deepEqual(curve.tenorsDays, [28, 56, 91, 119, 182, 364]);
    assert.deepEqual(
      curve.rows.map((row) => row.date),
      ['2024-11-01', '2024-11-04', '2024-11-05'],
    );
    assert.deepEqual(
      curve.rows[1]!.ratesPct.map((rate) => text(rate!)),
      ['4.57', '4.54', '4.41', '4.40', '4.30', '4.09'],
    );
    assert.equal(curve.rows[0]!.ratesPct[4], undefined);
  });

  it('interpolates linearly in days between tenors, flat beyond the ends', () => {
    assert.deepEqual(rateOn(curve, '2024-11-04', 91), parseRatio('4.41'));
    // 100 days: 4.41 + (4.40 − 4.41) × 9/28.
    assert.deepEqual(rateOn(curve, '2024-11-04', 100), ratio(12_339n, 2_800n));
    assert.equal(text(rateOn(curve, '2024-11-04', 100), 6), '4.406786');
    // 273 days: halfway between 26 weeks (4.30) and 52 weeks (4.09).
    assert.deepEqual(rateOn(curve, '2024-11-04', 273), parseRatio('4.195'));
    assert.deepEqual(rateOn(curve, '2024-11-04', 1), parseRatio('4.57'));
    assert.deepEqual(rateOn(curve, '2024-11-04', 366), parseRatio('4.09'));
  });

  it('interpolates across a missing quote and uses the last day on or before', () => {
    // 1 November has no 26-week quote: 200 days lies between 17 weeks (4.38) and 52 weeks (4.08).
    assert.deepEqual(
      rateOn(curve, '2024-11-01', 200),
      add(parseRatio('4.38'), div(ratio(-30n * 81n, 100n), ratio(245n))),
    );
    // Saturday and Sunday take Friday's quotes.
    assert.deepEqual(quoteOn(curve, '2024-11-03', 91), {
      discountRatePct: parseRatio('4.43'),
      observedOn: '2024-11-01',
    });
  });

  it('averages one tenor, which must be named when there are several', () => {
    assert.deepEqual(meanRate(curve, '2024-11-01', '2024-11-30', 91), ratio(1_328n, 300n));
    assert.deepEqual(meanRate(curve, '2024-11-01', '2024-11-04', 182), parseRatio('4.30'));
    throwsCode(
      () => meanRate(curve, '2024-11-01', '2024-11-30'),
      'rate-term-invalid',
      'tenorDays',
      /28, 56, 91, 119, 182, 364 days/,
    );
    throwsCode(
      () => meanRate(curve, '2024-12-01', '2024-12-31', 91),
      'rate-unavailable',
      'from',
      /got none/,
    );
  });

  it('reads the 6-week column of 2025 on', () => {
    const with6 = parseTreasuryBillRatesCsv(
      'Date,4 WEEKS BANK DISCOUNT,4 WEEKS COUPON EQUIVALENT,6 WEEKS BANK DISCOUNT,6 WEEKS COUPON EQUIVALENT,13 WEEKS BANK DISCOUNT,13 WEEKS COUPON EQUIVALENT\n' +
        '03/24/2026,3.64,3.70,3.635,3.70,3.60,3.68\n03/23/2026,N/A,N/A,3.63,3.69,3.61,3.69\n',
      { file },
    );
    assert.deepEqual(with6.tenorsDays, [28, 42, 91]);
    assert.deepEqual(rateOn(with6, '2026-03-24', 42), parseRatio('3.635'));
    assert.deepEqual(rateOn(with6, '2026-03-23', 28), parseRatio('3.63')); // N/A: flat from 6 weeks
  });

  it('names the file, line and column of bad input', () => {
    const header = november2024.split('\n')[0];
    assert.throws(
      () =>
        parseTreasuryBillRatesCsv(
          `${header}\n2024-11-05,4.56,4.64,4.54,4.64,4.44,4.55,4.39,4.52,4.27,4.42,4.06,4.25`,
          { file },
        ),
      fileError(
        2,
        /^1 \(Date\)$/,
        /daily-treasury-rates.csv, line 2, column 1 \(Date\): must be a date MM\/DD\/YYYY/,
      ),
    );
    assert.throws(
      () =>
        parseTreasuryBillRatesCsv(
          `${header}\n11/05/2024,4.56,4.64,4.54,4.64,four,4.55,4.39,4.52,4.27,4.42,4.06,4.25`,
          { file },
        ),
      fileError(2, /^6 \(13 WEEKS BANK DISCOUNT\)$/, /must be a decimal rate/),
    );
    assert.throws(
      () => parseTreasuryBillRatesCsv(`${header}\n11/05/2024,4.56`, { file }),
      fileError(2, /-/, /13 fields like the header/),
    );
    assert.throws(
      () => parseTreasuryBillRatesCsv('Date,1 Mo,2 Mo\n11/05/2024,4.5,4.5', { file }),
      fileError(1, /-/, /BANK DISCOUNT/),
    );
    assert.throws(
      () => parseTreasuryBillRatesCsv('When,"4 WEEKS BANK DISCOUNT"\n11/05/2024,4.5', { file }),
      fileError(1, /^1$/, /first column must be Date/),
    );
  });
});
