/**
 * Exact decimal arithmetic for rate math: rationals of bigints, never floats.
 *
 * A `Ratio` is a normalized fraction (denominator positive, lowest terms), so two equal values
 * are equal field by field. Rounding to a number of decimals is always by a named rule:
 *
 *   halfUp    round half away from zero: Treasury's rule for the prices and rates it publishes
 *             (31 CFR 356 Appendix B: "normal rounding procedures")
 *   halfEven  round half to even (bankers'): unbiased over many values
 *   floor     toward negative infinity
 *
 * Roots (`isqrt`, `integerRoot`, `nthRootScaled`, `nthRootBits`) return the exact floor at
 * the requested precision: an estimate by Newton's method in fixed point, certified by
 * interval bounds, and settled by exact integer powers when the bounds straddle a digit.
 */
import { ClearpegError } from '../errors.ts';
import { divFloor, divHalfAwayFromZero, divHalfEven } from '../money/money.ts';

/** A rational number: `num / den`, with `den > 0` and gcd(|num|, den) = 1. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

/** Divides `numerator` by a positive `denominator`, rounding the quotient by a named rule. */
export type RoundingRule = (numerator: bigint, denominator: bigint) => bigint;

/**
 * Rounds half away from zero (Treasury's "normal rounding" of published prices and rates).
 * @example halfUp(5n, 2n) === 3n && halfUp(-5n, 2n) === -3n
 */
export function halfUp(numerator: bigint, denominator: bigint): bigint {
  return divHalfAwayFromZero(numerator, denominator);
}

/**
 * Rounds half to even (bankers' rounding).
 * @example halfEven(5n, 2n) === 2n && halfEven(7n, 2n) === 4n
 */
export function halfEven(numerator: bigint, denominator: bigint): bigint {
  return divHalfEven(numerator, denominator);
}

/**
 * Rounds toward negative infinity.
 * @example floor(-7n, 2n) === -4n
 */
export function floor(numerator: bigint, denominator: bigint): bigint {
  return divFloor(numerator, denominator);
}

/** Limits: inputs are rates and prices, not arbitrary numbers. */
const decimalTextMax = 64; // characters of a decimal string: rates print as "4.480"
const decimalsMax = 200; // decimals of a formatted value or a root
const rootDegreeMax = 1000; // k of a k-th root: accretion uses k = days to maturity (≤ 366)

/** A refused decimal value or operation: the message names the field and the rule. */
export class DecimalError extends ClearpegError {
  override name = 'DecimalError';
}

function refuse(field: string, rule: string, got: string): never {
  throw new DecimalError('decimal-invalid', `${field}: ${rule} (got ${got})`, { field, rule });
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/**
 * The ratio `num / den` in lowest terms; a zero denominator is refused.
 * @example ratio(6n, -4n) // { num: -3n, den: 2n }
 */
export function ratio(num: bigint, den = 1n): Ratio {
  if (den === 0n) refuse('denominator', 'must not be zero', '0n');
  const sign = den < 0n ? -1n : 1n;
  const divisor = gcd(num, den);
  return { num: (sign * num) / divisor, den: (sign * den) / divisor };
}

/** Zero. */
export const zero: Ratio = { num: 0n, den: 1n };
/** One. */
export const one: Ratio = { num: 1n, den: 1n };

/**
 * a + b.
 * @example add(ratio(1n, 3n), ratio(1n, 6n)) // { num: 1n, den: 2n }
 */
export function add(a: Ratio, b: Ratio): Ratio {
  return ratio(a.num * b.den + b.num * a.den, a.den * b.den);
}

/**
 * a − b.
 * @example sub(one, ratio(1n, 4n)) // { num: 3n, den: 4n }
 */
export function sub(a: Ratio, b: Ratio): Ratio {
  return ratio(a.num * b.den - b.num * a.den, a.den * b.den);
}

/**
 * a × b.
 * @example mul(ratio(2n, 3n), ratio(3n, 4n)) // { num: 1n, den: 2n }
 */
export function mul(a: Ratio, b: Ratio): Ratio {
  return ratio(a.num * b.num, a.den * b.den);
}

/**
 * a ÷ b; division by zero is refused.
 * @example div(one, ratio(4n)) // { num: 1n, den: 4n }
 */
export function div(a: Ratio, b: Ratio): Ratio {
  if (b.num === 0n) refuse('divisor', 'must not be zero', '0');
  return ratio(a.num * b.den, a.den * b.num);
}

/**
 * −1, 0 or 1 as a is less than, equal to or greater than b.
 * @example compare(ratio(1n, 3n), ratio(1n, 2n)) === -1
 */
export function compare(a: Ratio, b: Ratio): -1 | 0 | 1 {
  const left = a.num * b.den;
  const right = b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

const decimalPattern = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parses a plain decimal string (`"4.480"`, `"-0.25"`) exactly; no exponent, spaces, `+`,
 * leading zeros or bare point; at most 64 characters.
 * @example parseRatio('4.480') // { num: 112n, den: 25n }, that is 4.48
 */
export function parseRatio(text: unknown, field = 'value'): Ratio {
  if (typeof text !== 'string') {
    refuse(field, 'must be a decimal string such as "4.480", not a number', typeof text);
  }
  if (text.length > decimalTextMax) {
    refuse(field, `must be at most ${decimalTextMax} characters`, `${text.length} characters`);
  }
  const match = decimalPattern.exec(text);
  if (match === null) {
    refuse(
      field,
      'must be a plain decimal: digits, an optional point and decimals, no exponent, spaces or leading zeros',
      JSON.stringify(text),
    );
  }
  const [, sign, whole, fraction = ''] = match;
  const magnitude = BigInt(whole! + fraction);
  return ratio(sign === '-' ? -magnitude : magnitude, 10n ** BigInt(fraction.length));
}

function checkDecimals(decimals: number, field: string): bigint {
  if (!Number.isSafeInteger(decimals) || decimals < 0 || decimals > decimalsMax) {
    refuse(field, `must be an integer from 0 to ${decimalsMax}`, String(decimals));
  }
  return 10n ** BigInt(decimals);
}

/**
 * `x × 10^decimals` rounded to an integer by `rule`.
 * @example roundScaled(parseRatio('1.25'), 1, halfEven) === 12n
 */
export function roundScaled(x: Ratio, decimals: number, rule: RoundingRule): bigint {
  return rule(x.num * checkDecimals(decimals, 'decimals'), x.den);
}

/**
 * Formats `x` with exactly `decimals` decimals, rounded by `rule`; never prints `-0`.
 * @example formatRatio(ratio(-5n, 2n), 0, halfUp) === '-3'
 */
export function formatRatio(x: Ratio, decimals: number, rule: RoundingRule): string {
  const scaled = roundScaled(x, decimals, rule);
  const magnitude = (scaled < 0n ? -scaled : scaled).toString().padStart(decimals + 1, '0');
  const sign = scaled < 0n ? '-' : '';
  if (decimals === 0) return sign + magnitude;
  const cut = magnitude.length - decimals;
  return `${sign}${magnitude.slice(0, cut)}.${magnitude.slice(cut)}`;
}

/**
 * The exact floor of √n for n ≥ 0 (Newton's method on integers).
 * @example isqrt(99n) === 9n
 */
export function isqrt(n: bigint): bigint {
  if (n < 0n) refuse('n', 'must not be negative', `${n}n`);
  if (n < 2n) return n;
  // Start above the root (2^⌈bits/2⌉ > √n); Newton then decreases to the floor.
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

/**
 * The exact floor of n^(1/k) for an integer n ≥ 0 (Newton's method on integers; slow for a
 * large k far from the root, meant for checks and fallbacks).
 * @example integerRoot(1000n, 3) === 10n && integerRoot(999n, 3) === 9n
 */
export function integerRoot(n: bigint, k: number): bigint {
  const degree = checkDegree(k);
  if (n < 0n) refuse('n', 'must not be negative', `${n}n`);
  if (n < 2n || k === 1) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / k));
  for (;;) {
    const next = ((degree - 1n) * x + n / x ** (degree - 1n)) / degree;
    if (next >= x) return x;
    x = next;
  }
}

function checkDegree(k: number): bigint {
  if (!Number.isSafeInteger(k) || k < 1 || k > rootDegreeMax) {
    refuse('k', `must be an integer from 1 to ${rootDegreeMax}`, String(k));
  }
  return BigInt(k);
}

/** (a/2^w)^e × 2^w in binary fixed point, each product rounded down or (`up`) up. */
function powFixed(a: bigint, e: bigint, w: bigint, up: boolean): bigint {
  const mask = up ? (1n << w) - 1n : 0n;
  let result = 1n << w;
  let base = a;
  for (let left = e; left > 0n; left >>= 1n) {
    if ((left & 1n) === 1n) result = (result * base + mask) >> w;
    if (left > 1n) base = (base * base + mask) >> w;
  }
  return result;
}

/**
 * (base/2^bits)^exponent × 2^bits in binary fixed point by squaring, each product rounded
 * down: for base ≥ 2^bits (a factor ≥ 1), a lower bound of the exact power within a relative
 * (2e + log2 e + 2) × 2^−bits.
 * @example powBinary(3n << 63n, 2, 64) === 9n << 62n
 */
export function powBinary(base: bigint, exponent: number, bits: number): bigint {
  if (base < 0n || !Number.isSafeInteger(exponent) || exponent < 0) {
    refuse('exponent', 'must be an integer ≥ 0, with a base ≥ 0', String(exponent));
  }
  return powFixed(base, BigInt(exponent), BigInt(bits), false);
}

const rootMin = ratio(1n, 10n ** 9n);
const rootMax = ratio(10n ** 9n);

/**
 * floor(x^(1/k) × scale), scale < 2^scaleBits: Newton in binary fixed point with guard bits,
 * a bracket low ≤ root × 2^w < high proven by powers rounded against the claim, and exact
 * integer powers only when the bracket straddles two answers.
 */
function rootFloor(x: Ratio, k: number, scale: bigint, scaleBits: number): bigint {
  const degree = checkDegree(k);
  if (compare(x, rootMin) < 0 || compare(x, rootMax) > 0) {
    refuse('x', 'must be from 10^-9 to 10^9', `${x.num}/${x.den}`);
  }
  if (k === 1) return divFloor(x.num * scale, x.den);
  const w = BigInt(scaleBits + k.toString(2).length + 32);
  const below = (x.num << w) / x.den; // ≤ x × 2^w
  const above = below + 1n; // > x × 2^w
  const estimate = newtonRoot(below, degree, w);
  for (let margin = 4n; margin < 1n << 32n; margin *= 16n) {
    const low = estimate > margin ? estimate - margin : 0n;
    const high = estimate + margin;
    // root ≥ low/2^w when (low/2^w)^k ≤ x; root < high/2^w when (high/2^w)^k > x.
    if (low > 0n && powFixed(low, degree, w, true) > below) continue;
    if (powFixed(high, degree, w, false) < above) continue;
    const floorLow = (low * scale) >> w;
    const floorHigh = (high * scale - 1n) >> w;
    if (floorLow === floorHigh) return floorLow;
    // The root is within the margin of an answer's boundary: test c^k ≤ x × scale^k exactly.
    const target = x.num * scale ** degree;
    let candidate = floorHigh;
    while (candidate > floorLow && candidate ** degree * x.den > target) candidate -= 1n;
    return candidate;
  }
  // The estimate was not near the root (never seen): the exact integer root.
  return integerRoot(divFloor(x.num * scale ** degree, x.den), k);
}

/** Newton's method for (X/2^w)^(1/k) × 2^w, from above, in binary fixed point. */
function newtonRoot(x: bigint, degree: bigint, w: bigint): bigint {
  const one = 1n << w;
  // Bernoulli: (1 + (x − 1)/k)^k ≥ x for every x > 0, so this starts above the root; for a
  // large x, 2^⌈log2(x)/k⌉ is a closer start from above.
  let g = one + (x - one) / degree + 1n;
  const bitStart = one << BigInt(Math.ceil(((x >> w) + 1n).toString(2).length / Number(degree)));
  if (bitStart < g) g = bitStart;
  for (let step = 0; step < 100_000; step++) {
    const power = powFixed(g, degree - 1n, w, false);
    if (power === 0n) return g;
    const next = ((degree - 1n) * g + (x << w) / power) / degree;
    if (next >= g) return g;
    // Quadratic convergence: after a step this small the next one is below a unit (the
    // bracket in rootFloor checks the result either way).
    if (g - next < 1n << (w / 3n)) return next;
    g = next;
  }
  throw new Error('assertion failed: Newton converges from above within 100,000 steps');
}

/**
 * The exact floor of x^(1/k) × 10^digits, for x from 10^-9 to 10^9; fast when x is near 1
 * (the investment-rate discriminant, accretion factors).
 * @example nthRootScaled(ratio(2n), 2, 6) === 1414213n
 */
export function nthRootScaled(x: Ratio, k: number, digits: number): bigint {
  const unit = checkDecimals(digits, 'digits');
  return rootFloor(x, k, unit, unit.toString(2).length);
}

/**
 * The exact floor of x^(1/k) × 2^bits, for x from 10^-9 to 10^9 (binary fixed point, for
 * `powBinary`).
 * @example nthRootBits(ratio(4n), 2, 8) === 512n
 */
export function nthRootBits(x: Ratio, k: number, bits: number): bigint {
  if (!Number.isSafeInteger(bits) || bits < 0 || bits > 4 * decimalsMax) {
    refuse('bits', `must be an integer from 0 to ${4 * decimalsMax}`, String(bits));
  }
  return rootFloor(x, k, 1n << BigInt(bits), bits + 1);
}

/**
 * x^(1/k) rounded down to `digits` decimals, as a ratio.
 * @example formatRatio(nthRoot(ratio(2n), 2, 4), 4, floor) === '1.4142'
 */
export function nthRoot(x: Ratio, k: number, digits: number): Ratio {
  return ratio(nthRootScaled(x, k, digits), 10n ** BigInt(digits));
}
