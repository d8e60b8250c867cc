/**
 * Money: integers of micro-units, never floats.
 *
 * One unit of every asset Clearpeg handles (USD, the token) is 1_000_000 micro-units; the
 * scale is fixed at 6 and never changes. In TypeScript an amount is a branded `bigint`; in
 * JSON a decimal string with exactly six decimals (`"1.250000"`); in SQL `numeric(39,0)`.
 * An amount never exceeds 2^128 − 1 micro-units, the width of the journal encoding.
 */
import { assert, ClearpegError } from '../errors.ts';

/** A count of micro-units of some asset; the brand keeps plain bigints and numbers out. */
export type Micro = bigint & { readonly __unit: 'micro' };

/** Decimal places of every amount. */
export const scale = 6;
/** Micro-units in one whole unit. */
export const microPerUnit = 1_000_000n;
/** The largest amount: 2^128 − 1 micro-units (a u128 in the journal encoding). */
export const amountMax = (1n << 128n) - 1n;

/** A refused amount: the message names the field and the rule. */
export class AmountError extends ClearpegError {
  override name = 'AmountError';
}

const decimalPattern = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]{1,6}))?$/;

function refuse(field: string, rule: string, got: string): never {
  throw new AmountError('amount-invalid', `${field}: ${rule} (got ${got})`, { field, rule });
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 48 ? `${value.slice(0, 48)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Parses a decimal string into micro-units; strict: digits, an optional point and 1 to 6
 * decimals, no exponent, sign, spaces or leading zeros, at most 2^128 − 1 micro-units.
 * @example parseAmount('1.25') === 1_250_000n
 */
export function parseAmount(text: unknown, field = 'amount'): Micro {
  const value = parseDecimal(text, field);
  if (value < 0n) refuse(field, 'must not be negative', describe(text));
  return value;
}

/**
 * Parses a signed decimal string (a balance or a delta); `-0` is refused, |value| ≤ 2^128 − 1.
 * @example parseSignedAmount('-0.5') === -500_000n
 */
export function parseSignedAmount(text: unknown, field = 'amount'): Micro {
  return parseDecimal(text, field);
}

function parseDecimal(text: unknown, field: string): Micro {
  if (typeof text !== 'string') {
    refuse(field, 'must be a decimal string such as "12.50", not a number', describe(text));
  }
  const match = decimalPattern.exec(text);
  if (match === null) {
    refuse(
      field,
      'must be a plain decimal: digits, an optional point and 1 to 6 decimals, no exponent, spaces or leading zeros',
      describe(text),
    );
  }
  const [, sign, whole, fraction = ''] = match;
  const magnitude = BigInt(whole!) * microPerUnit + BigInt(fraction.padEnd(scale, '0'));
  if (magnitude > amountMax) refuse(field, 'must be at most 2^128 - 1 micro-units', describe(text));
  if (sign === '-' && magnitude === 0n)
    refuse(field, 'negative zero is not an amount', describe(text));
  return (sign === '-' ? -magnitude : magnitude) as Micro;
}

/**
 * Formats micro-units as a decimal string with exactly six decimals.
 * @example formatAmount(1_250_000n) === '1.250000'
 */
export function formatAmount(value: bigint): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const whole = magnitude / microPerUnit;
  const fraction = (magnitude % microPerUnit).toString().padStart(scale, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/**
 * Checks a bigint is a valid non-negative amount and brands it.
 * @example toAmount(5n) === 5n
 */
export function toAmount(value: bigint, field = 'amount'): Micro {
  if (typeof value !== 'bigint') refuse(field, 'must be a bigint of micro-units', describe(value));
  if (value < 0n) refuse(field, 'must not be negative', describe(value));
  if (value > amountMax) refuse(field, 'must be at most 2^128 - 1 micro-units', describe(value));
  return value as Micro;
}

/**
 * Whole units to micro-units.
 * @example units(5n) === 5_000_000n
 */
export function units(whole: bigint): Micro {
  return toAmount(whole * microPerUnit);
}

// Division with a named rounding direction. The divisor must be positive; the sign of the
// dividend is handled exactly (floor of −7/2 is −4, truncation would give −3).

/**
 * Rounds toward negative infinity.
 * @example divFloor(-7n, 2n) === -4n
 */
export function divFloor(numerator: bigint, denominator: bigint): bigint {
  assert(denominator > 0n, 'divisor is positive');
  const quotient = numerator / denominator;
  return numerator % denominator !== 0n && numerator < 0n ? quotient - 1n : quotient;
}

/**
 * Rounds toward positive infinity.
 * @example divCeil(7n, 2n) === 4n
 */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  return -divFloor(-numerator, denominator);
}

/**
 * Rounds to nearest, ties to even (banker's rounding).
 * @example divHalfEven(5n, 2n) === 2n && divHalfEven(7n, 2n) === 4n
 */
export function divHalfEven(numerator: bigint, denominator: bigint): bigint {
  const floor = divFloor(numerator, denominator);
  const twiceRemainder = 2n * (numerator - floor * denominator);
  if (twiceRemainder < denominator) return floor;
  if (twiceRemainder > denominator) return floor + 1n;
  return floor % 2n === 0n ? floor : floor + 1n;
}

/**
 * Rounds to nearest, ties away from zero (the schoolbook rule).
 * @example divHalfAwayFromZero(5n, 2n) === 3n && divHalfAwayFromZero(-5n, 2n) === -3n
 */
export function divHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n) return -divHalfAwayFromZero(-numerator, denominator);
  return divFloor(2n * numerator + denominator, 2n * denominator);
}

/**
 * Splits `total` into shares proportional to `weights` that sum to `total` exactly, by the
 * largest-remainder method; ties go to the earlier index, so the result is deterministic.
 * @example splitProportional(100n, [1n, 1n, 1n]) // [34n, 33n, 33n]
 */
export function splitProportional(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0)
    throw new AmountError('split-invalid', 'weights: at least one weight is required', {
      field: 'weights',
      rule: 'at least one weight',
    });
  if (total < 0n) refuse('total', 'must not be negative', describe(total));
  let weightSum = 0n;
  for (const [index, weight] of weights.entries()) {
    if (weight < 0n) refuse(`weights.${index}`, 'must not be negative', describe(weight));
    weightSum += weight;
  }
  if (weightSum === 0n)
    throw new AmountError('split-invalid', 'weights: their sum must be positive', {
      field: 'weights',
      rule: 'sum must be positive',
    });
  const shares = weights.map((weight) => (total * weight) / weightSum);
  const remainders = weights.map((weight, index) => ({
    index,
    remainder: (total * weight) % weightSum,
  }));
  let left = total - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) =>
    a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
  );
  for (let i = 0; left > 0n; i++, left--) shares[remainders[i]!.index]! += 1n;
  assert(shares.reduce((a, b) => a + b, 0n) === total, 'split shares sum to the total');
  return shares;
}

/**
 * Splits `total` into `count` shares differing by at most one micro-unit, larger ones first.
 * @example splitEven(10n, 3) // [4n, 3n, 3n]
 */
export function splitEven(total: bigint, count: number): bigint[] {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new AmountError('split-invalid', `count: must be a positive integer (got ${count})`, {
      field: 'count',
      rule: 'positive integer',
    });
  }
  return splitProportional(
    total,
    Array.from({ length: count }, () => 1n),
  );
}
