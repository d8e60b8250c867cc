import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AmountError,
  amountMax,
  divCeil,
  divFloor,
  divHalfAwayFromZero,
  divHalfEven,
  formatAmount,
  parseAmount,
  parseSignedAmount,
  splitEven,
  splitProportional,
  toAmount,
} from './money.ts';

describe('parseAmount', () => {
  it('parses plain decimals into micro-units', () => {
    assert.equal(parseAmount('0'), 0n);
    assert.equal(parseAmount('1'), 1_000_000n);
    assert.equal(parseAmount('1.25'), 1_250_000n);
    assert.equal(parseAmount('0.000001'), 1n);
    assert.equal(parseAmount('5000000.000000'), 5_000_000_000_000n);
    assert.equal(parseAmount('340282366920938463463374607431768.211455'), amountMax);
  });

  const refused: Array<[unknown, RegExp]> = [
    ['1e3', /plain decimal/],
    ['.5', /plain decimal/],
    ['1.', /plain decimal/],
    ['1.0000001', /plain decimal/],
    ['-0', /negative zero|must not be negative/],
    [' 1', /plain decimal/],
    ['1 ', /plain decimal/],
    ['1 000', /plain decimal/],
    ['+1', /plain decimal/],
    ['01', /plain decimal/],
    ['0x10', /plain decimal/],
    ['', /plain decimal/],
    ['１', /plain decimal/],
    ['1,5', /plain decimal/],
    ['NaN', /plain decimal/],
    ['Infinity', /plain decimal/],
    ['340282366920938463463374607431768.211456', /2\^128 - 1/],
    ['-1', /must not be negative/],
    [1, /not a number/],
    [1.5, /not a number/],
    [1n, /not a number/],
    [null, /not a number/],
    [undefined, /not a number/],
  ];
  for (const [input, rule] of refused) {
    it(`refuses ${typeof input === 'string' ? JSON.stringify(input) : String(input)} naming the field and the rule`, () => {
      assert.throws(
        () => parseAmount(input, 'postings.0.amount'),
        (error: unknown) =>
          error instanceof AmountError &&
          error.code === 'amount-invalid' &&
          error.field === 'postings.0.amount' &&
          error.message.startsWith('postings.0.amount: ') &&
          rule.test(error.message),
      );
    });
  }

  it('signed parse accepts negatives but refuses -0 and -0.000000', () => {
    assert.equal(parseSignedAmount('-1.5'), -1_500_000n);
    assert.throws(() => parseSignedAmount('-0'), /negative zero/);
    assert.throws(() => parseSignedAmount('-0.000000'), /negative zero/);
    assert.throws(() => parseSignedAmount('-340282366920938463463374607431768.211456'), /2\^128/);
  });

  it('round-trips every amount through format and parse', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: amountMax }), (value) => {
        const text = formatAmount(value);
        assert.match(text, /^(0|[1-9][0-9]*)\.[0-9]{6}$/);
        assert.equal(parseAmount(text), value);
      }),
      { seed: 20261122, numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -amountMax, max: amountMax }), (value) => {
        assert.equal(parseSignedAmount(formatAmount(value)), value);
      }),
      { seed: 7, numRuns: 1000 },
    );
  });
});

describe('formatAmount', () => {
  it('always writes six decimals', () => {
    assert.equal(formatAmount(0n), '0.000000');
    assert.equal(formatAmount(1n), '0.000001');
    assert.equal(formatAmount(-1_500_000n), '-1.500000');
    assert.equal(formatAmount(5_000_000_000_000n), '5000000.000000');
  });
});

describe('toAmount', () => {
  it('brands valid bigints and refuses the rest', () => {
    assert.equal(toAmount(5n), 5n);
    assert.throws(() => toAmount(-1n, 'x'), /x: must not be negative/);
    assert.throws(() => toAmount(amountMax + 1n, 'x'), /x: must be at most/);
    assert.throws(() => toAmount(5 as unknown as bigint, 'x'), /x: must be a bigint/);
  });
});

describe('rounding', () => {
  const cases: Array<[bigint, bigint, bigint, bigint, bigint, bigint]> = [
    // n, d, floor, ceil, halfEven, halfAway
    [7n, 2n, 3n, 4n, 4n, 4n],
    [5n, 2n, 2n, 3n, 2n, 3n],
    [-5n, 2n, -3n, -2n, -2n, -3n],
    [-7n, 2n, -4n, -3n, -4n, -4n],
    [6n, 3n, 2n, 2n, 2n, 2n],
    [10n, 3n, 3n, 4n, 3n, 3n],
    [11n, 3n, 3n, 4n, 4n, 4n],
    [-11n, 3n, -4n, -3n, -4n, -4n],
    [0n, 7n, 0n, 0n, 0n, 0n],
  ];
  for (const [n, d, floor, ceil, halfEven, halfAway] of cases) {
    it(`${n}/${d}`, () => {
      assert.equal(divFloor(n, d), floor);
      assert.equal(divCeil(n, d), ceil);
      assert.equal(divHalfEven(n, d), halfEven);
      assert.equal(divHalfAwayFromZero(n, d), halfAway);
    });
  }

  it('bounds every result by floor and ceil', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (n, d) => {
          const floor = divFloor(n, d);
          assert.ok(floor * d <= n && n < (floor + 1n) * d);
          const ceil = divCeil(n, d);
          assert.ok(ceil - floor === (n % d === 0n ? 0n : 1n));
          for (const r of [divHalfEven(n, d), divHalfAwayFromZero(n, d)]) {
            assert.ok(r === floor || r === ceil);
            const distance = (x: bigint) => (x * d - n < 0n ? n - x * d : x * d - n);
            assert.ok(2n * distance(r) <= d);
          }
        },
      ),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('refuses a non-positive divisor as a bug', () => {
    assert.throws(() => divFloor(1n, 0n), /assertion failed/);
    assert.throws(() => divFloor(1n, -1n), /assertion failed/);
  });
});

describe('split', () => {
  it('splits exactly', () => {
    assert.deepEqual(splitEven(10n, 3), [4n, 3n, 3n]);
    assert.deepEqual(splitProportional(100n, [1n, 1n, 1n]), [34n, 33n, 33n]);
    assert.deepEqual(splitProportional(1_000_000n, [1n, 2n, 3n, 0n]), [
      166_667n,
      333_333n,
      500_000n,
      0n,
    ]);
    assert.deepEqual(splitProportional(0n, [5n, 5n]), [0n, 0n]);
  });

  it('shares always sum to the total and stay within one unit of the exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: amountMax }),
        fc
          .array(fc.bigInt({ min: 0n, max: 10n ** 18n }), { minLength: 1, maxLength: 20 })
          .filter((w) => w.some((x) => x > 0n)),
        (total, weights) => {
          const shares = splitProportional(total, weights);
          assert.equal(
            shares.reduce((a, b) => a + b, 0n),
            total,
          );
          const weightSum = weights.reduce((a, b) => a + b, 0n);
          shares.forEach((share, i) => {
            const exactFloor = (total * weights[i]!) / weightSum;
            assert.ok(share === exactFloor || share === exactFloor + 1n);
          });
        },
      ),
      { seed: 99, numRuns: 1000 },
    );
  });

  it('refuses empty, negative and all-zero weights', () => {
    assert.throws(() => splitProportional(1n, []), /weights: at least one/);
    assert.throws(() => splitProportional(1n, [1n, -1n]), /weights\.1: must not be negative/);
    assert.throws(() => splitProportional(1n, [0n, 0n]), /sum must be positive/);
    assert.throws(() => splitEven(1n, 0), /count: must be a positive integer/);
  });
});
