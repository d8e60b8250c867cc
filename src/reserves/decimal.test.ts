import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  add,
  compare,
  DecimalError,
  div,
  floor,
  formatRatio,
  halfEven,
  halfUp,
  integerRoot,
  isqrt,
  mul,
  nthRoot,
  nthRootBits,
  nthRootScaled,
  parseRatio,
  powBinary,
  type Ratio,
  ratio,
  roundScaled,
  sub,
} from './decimal.ts';

const refusedWith = (field: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof DecimalError, String(error));
  assert.equal(error.code, 'decimal-invalid');
  assert.equal(error.field, field);
  assert.match(error.message, pattern);
  return true;
};

describe('Ratio', () => {
  it('normalizes: positive denominator, lowest terms', () => {
    assert.deepEqual(ratio(6n, -4n), { num: -3n, den: 2n });
    assert.deepEqual(ratio(0n, -5n), { num: 0n, den: 1n });
    assert.deepEqual(ratio(-10n, -15n), { num: 2n, den: 3n });
    assert.throws(() => ratio(1n, 0n), refusedWith('denominator', /must not be zero/));
  });

  it('adds, subtracts, multiplies, divides and compares exactly', () => {
    const third = ratio(1n, 3n);
    const sixth = ratio(1n, 6n);
    assert.deepEqual(add(third, sixth), { num: 1n, den: 2n });
    assert.deepEqual(sub(sixth, third), { num: -1n, den: 6n });
    assert.deepEqual(mul(ratio(2n, 3n), ratio(9n, 4n)), { num: 3n, den: 2n });
    assert.deepEqual(div(third, ratio(-2n, 3n)), { num: -1n, den: 2n });
    assert.equal(compare(third, sixth), 1);
    assert.equal(compare(ratio(-1n, 3n), ratio(-1n, 6n)), -1);
    assert.equal(compare(ratio(2n, 4n), ratio(1n, 2n)), 0);
    assert.throws(() => div(third, ratio(0n)), refusedWith('divisor', /must not be zero/));
  });

  it('keeps a sum of tenths exact where floats drift', () => {
    let sum = ratio(0n);
    for (let i = 0; i < 10; i++) sum = add(sum, parseRatio('0.1'));
    assert.deepEqual(sum, { num: 1n, den: 1n });
  });
});

describe('parseRatio', () => {
  it('parses plain decimals exactly', () => {
    assert.deepEqual(parseRatio('4.480'), { num: 112n, den: 25n });
    assert.deepEqual(parseRatio('-0.05'), { num: -1n, den: 20n });
    assert.deepEqual(parseRatio('0'), { num: 0n, den: 1n });
    assert.deepEqual(parseRatio('99.651556'), { num: 24912889n, den: 250000n });
  });

  it('refuses anything else, naming the field and the rule', () => {
    for (const text of ['1e3', '.5', '1.', '+1', '01', ' 1', '1 ', '1,5', '', '--1', 'NaN']) {
      assert.throws(() => parseRatio(text, 'rate'), refusedWith('rate', /plain decimal/), text);
    }
    assert.throws(() => parseRatio(4.48, 'rate'), refusedWith('rate', /not a number/));
    assert.throws(() => parseRatio('1'.repeat(65), 'rate'), refusedWith('rate', /at most 64/));
  });
});

describe('rounding rules', () => {
  // value, decimals, [halfUp, halfEven, floor]
  const cases: Array<[string, number, [string, string, string]]> = [
    ['0.125', 2, ['0.13', '0.12', '0.12']],
    ['0.135', 2, ['0.14', '0.14', '0.13']],
    ['-0.125', 2, ['-0.13', '-0.12', '-0.13']],
    ['-0.135', 2, ['-0.14', '-0.14', '-0.14']],
    ['2.5', 0, ['3', '2', '2']],
    ['3.5', 0, ['4', '4', '3']],
    ['-2.5', 0, ['-3', '-2', '-3']],
    ['-0.001', 2, ['0.00', '0.00', '-0.01']],
    ['-0.005', 2, ['-0.01', '0.00', '-0.01']],
    ['1.0049999', 2, ['1.00', '1.00', '1.00']],
    ['99.9999985', 6, ['99.999999', '99.999998', '99.999998']],
    ['0.0000005', 6, ['0.000001', '0.000000', '0.000000']],
    ['4.97', 2, ['4.97', '4.97', '4.97']],
    ['7', 3, ['7.000', '7.000', '7.000']],
  ];
  for (const [text, decimals, [up, even, down]] of cases) {
    it(`${text} to ${decimals} decimals`, () => {
      const value = parseRatio(text);
      assert.equal(formatRatio(value, decimals, halfUp), up);
      assert.equal(formatRatio(value, decimals, halfEven), even);
      assert.equal(formatRatio(value, decimals, floor), down);
    });
  }

  it('rounds repeating fractions', () => {
    assert.equal(formatRatio(ratio(1n, 3n), 5, halfUp), '0.33333');
    assert.equal(formatRatio(ratio(2n, 3n), 5, halfUp), '0.66667');
    assert.equal(formatRatio(ratio(2n, 3n), 5, floor), '0.66666');
    assert.equal(formatRatio(ratio(-2n, 3n), 0, halfEven), '-1');
    assert.equal(roundScaled(ratio(-1n, 3n), 2, floor), -34n);
  });

  it('refuses a bad number of decimals', () => {
    assert.throws(() => formatRatio(ratio(1n), -1, halfUp), refusedWith('decimals', /0 to 200/));
    assert.throws(() => formatRatio(ratio(1n), 1.5, halfUp), refusedWith('decimals', /integer/));
  });
});

describe('isqrt and integerRoot', () => {
  it('gives exact floors', () => {
    const roots = [0n, 1n, 1n, 1n, 2n, 2n, 2n, 2n, 2n, 3n];
    for (const [n, root] of roots.entries()) assert.equal(isqrt(BigInt(n)), root);
    assert.equal(isqrt(10n ** 40n), 10n ** 20n);
    assert.equal(isqrt(10n ** 40n - 1n), 10n ** 20n - 1n);
    assert.equal(integerRoot(1000n, 3), 10n);
    assert.equal(integerRoot(999n, 3), 9n);
    assert.equal(integerRoot(2n ** 365n, 365), 2n);
    assert.equal(integerRoot(2n ** 365n - 1n, 365), 1n);
    assert.throws(() => isqrt(-1n), refusedWith('n', /negative/));
  });

  it('satisfies r^k ≤ n < (r + 1)^k', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1n << 300n }),
        fc.integer({ min: 1, max: 12 }),
        (n, k) => {
          const r = integerRoot(n, k);
          assert.ok(r ** BigInt(k) <= n && n < (r + 1n) ** BigInt(k));
          if (k === 2) assert.equal(isqrt(n), r);
        },
      ),
    );
  });
});

describe('nthRootScaled', () => {
  it('matches known digits', () => {
    // √2 = 1.41421356237309504880168872420969807…, ∛2 = 1.25992104989487316476721060727…
    assert.equal(nthRootScaled(ratio(2n), 2, 30), 1414213562373095048801688724209n);
    assert.equal(nthRootScaled(ratio(2n), 3, 20), 125992104989487316476n);
    assert.equal(formatRatio(nthRoot(ratio(2n), 2, 4), 4, floor), '1.4142');
    assert.equal(nthRootScaled(ratio(1n, 4n), 2, 3), 500n);
    assert.equal(nthRootScaled(ratio(3n, 2n), 1, 3), 1500n);
  });

  it('is exact at a digit boundary, where the bracket cannot decide', () => {
    // 1.01^365 / 1 has the root 1.01 exactly: every digit count must give 1.01000…, not 1.00999….
    const x = ratio(101n ** 365n, 100n ** 365n);
    assert.equal(nthRootScaled(x, 365, 2), 101n);
    assert.equal(nthRootScaled(x, 365, 12), 1_010_000_000_000n);
    assert.equal(nthRootScaled(ratio(1000n), 3, 5), 1_000_000n);
    // One unit below the exact power: the root is a hair below 1.01.
    const below = ratio(101n ** 365n - 1n, 100n ** 365n);
    assert.equal(nthRootScaled(below, 365, 12), 1_009_999_999_999n);
  });

  it('satisfies c^k ≤ x × 10^(dk) < (c + 1)^k for factors near 1', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 10n ** 6n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.integer({ min: 1, max: 366 }),
        fc.integer({ min: 0, max: 30 }),
        (cost, extra, k, digits) => {
          const x: Ratio = ratio(cost + extra, cost);
          const c = nthRootScaled(x, k, digits);
          const target = x.num * 10n ** BigInt(digits * k);
          assert.ok(c ** BigInt(k) * x.den <= target, 'c is not above the root');
          assert.ok((c + 1n) ** BigInt(k) * x.den > target, 'c + 1 is above the root');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reaches the ends of its range', () => {
    for (const [x, k] of [
      [ratio(10n ** 9n), 365],
      [ratio(10n ** 9n), 2],
      [ratio(1n, 10n ** 9n), 2],
      [ratio(1n, 10n ** 9n), 1000],
      [ratio(999_999_999n, 10n ** 9n), 7],
    ] as const) {
      const c = nthRootScaled(x, k, 25);
      const target = x.num * 10n ** BigInt(25 * k);
      assert.ok(c ** BigInt(k) * x.den <= target && (c + 1n) ** BigInt(k) * x.den > target);
    }
    assert.equal(nthRootScaled(ratio(10n ** 9n), 2, 3), 31_622_776n);
  });

  it('agrees with the binary form', () => {
    const x = ratio(100_000_000n, 97_853_917n);
    const bits = nthRootBits(x, 182, 120);
    assert.ok(bits ** 182n * x.den <= x.num << (120n * 182n));
    assert.ok((bits + 1n) ** 182n * x.den > x.num << (120n * 182n));
    assert.equal((bits * 10n ** 30n) >> 120n, nthRootScaled(x, 182, 30));
  });

  it('refuses what it does not serve', () => {
    assert.throws(() => nthRootScaled(ratio(2n), 0, 3), refusedWith('k', /1 to 1000/));
    assert.throws(() => nthRootScaled(ratio(2n), 1001, 3), refusedWith('k', /1 to 1000/));
    assert.throws(() => nthRootScaled(ratio(0n), 2, 3), refusedWith('x', /10\^-9 to 10\^9/));
    assert.throws(() => nthRootScaled(ratio(-4n), 2, 3), refusedWith('x', /10\^-9/));
    assert.throws(() => nthRootScaled(ratio(2n), 2, -1), refusedWith('digits', /0 to 200/));
  });
});

describe('powBinary', () => {
  it('is a lower bound within a relative (3e + 2) × 2^-bits', () => {
    assert.equal(powBinary(3n << 63n, 2, 64), 9n << 62n);
    const bits = 96;
    const base = (1n << 96n) + 123_456_789_012_345n;
    assert.equal(powBinary(base, 0, bits), 1n << 96n);
    for (const e of [1, 2, 7, 91, 365]) {
      // In integers: exact = base^e / 2^(bits × (e − 1)) units of 2^-bits.
      const exact = base ** BigInt(e);
      const approx = powBinary(base, e, bits) << BigInt(bits * (e - 1));
      assert.ok(approx <= exact, `a lower bound at e = ${e}`);
      assert.ok(exact - approx <= (BigInt(3 * e + 2) * exact) >> BigInt(bits), `close at e = ${e}`);
    }
  });
});
