/**
 * Mint limits: a per-transaction cap, mint velocity per hour and per day as token buckets, the
 * fiat posted for the request, and supply ≤ eligible reserves. Pure values and arithmetic on
 * bigints: the caller loads the buckets, calls `checkMintLimits`, and persists the buckets it
 * returns in the same transaction as the mint.
 *
 * A limit of 0 lets nothing pass: there is no "0 = unlimited" anywhere. A bucket is either
 * closed (capacity and refill both 0) or open (both positive): a positive capacity that never
 * refills would silently close after its first use.
 *
 * Refill is exact integer arithmetic: over an elapsed time e (µs) a bucket gains
 * ⌊refillPerHour × e / 3,600,000,000⌋ micro-units, capped at capacity. The fraction left over
 * is not thrown away: `updatedAtUs` advances only by the whole microseconds that fraction does
 * not cover, so refilling often gives (within a microsecond's refill) what refilling once
 * gives, and never more.
 */
import { assert, ClearpegError } from '../errors.ts';
import { formatAmount, type Micro, toAmount } from '../money/money.ts';

/** Microseconds in an hour: the refill rate's unit of time. */
export const microsecondsPerHour = 3_600_000_000n;
/** Microseconds in a day. */
export const microsecondsPerDay = 24n * microsecondsPerHour;
/** The latest time a bucket accepts: 2^63 − 1 µs (about 292,000 years after 1970). */
export const timeUsMax = (1n << 63n) - 1n;

/** A token bucket of micro-units, as a pure value. */
export interface TokenBucket {
  /** The most the bucket holds: the largest burst. */
  readonly capacity: Micro;
  /** Micro-units added per hour, pro rata to the microsecond. */
  readonly refillPerHour: Micro;
  /** Micro-units available as of `updatedAtUs`: 0 ≤ level ≤ capacity. */
  readonly level: Micro;
  /** The time refill has accounted for, in µs since the Unix epoch. */
  readonly updatedAtUs: bigint;
}

/** `take`'s answer: the bucket after taking, or what was available. */
export type TakeResult =
  | { readonly ok: true; readonly bucket: TokenBucket }
  | { readonly ok: false; readonly available: Micro };

/** The rules a mint can break; stable, never reworded. */
export type MintLimitCode =
  | 'over-transaction-cap'
  | 'over-hourly-velocity'
  | 'over-daily-velocity'
  | 'fiat-not-posted'
  | 'supply-over-reserves';

/** One broken rule. */
export interface MintLimitViolation {
  readonly code: MintLimitCode;
  readonly message: string;
  readonly field: 'amount';
  readonly rule: string;
}

/** The arguments of `checkMintLimits`; every amount is in micro-units. */
export interface MintLimitsInput {
  /** The mint's amount: positive. */
  readonly amount: Micro;
  /** The largest amount one mint may have; 0 refuses every mint. */
  readonly perTransactionCap: Micro;
  /** The hourly velocity bucket. */
  readonly hourBucket: TokenBucket;
  /** The daily velocity bucket. */
  readonly dayBucket: TokenBucket;
  /** Now, in µs since the Unix epoch. */
  readonly nowUs: bigint;
  /** Fiat received and posted for this request. */
  readonly postedFiat: Micro;
  /** The token supply once this mint is done: at least `amount`. */
  readonly supplyAfter: Micro;
  /** Eligible reserves. */
  readonly reserves: Micro;
}

/** What `checkMintLimits` found. */
export interface MintLimitsCheck {
  /** Every rule broken, in a fixed order; empty when the mint may go on. */
  readonly violations: readonly MintLimitViolation[];
  /** The hourly bucket to persist: taken from when there is no violation, else only refilled. */
  readonly hourBucket: TokenBucket;
  /** The daily bucket to persist, likewise. */
  readonly dayBucket: TokenBucket;
}

/** The codes the functions here throw (`ClearpegError.code`); stable, never reworded. */
export type LimitErrorCode = 'limit-invalid' | 'amount-invalid';

function invalid(field: string, rule: string, got?: string): never {
  throw new ClearpegError(
    'limit-invalid',
    `${field}: must be ${rule}${got === undefined ? '' : ` (got ${got})`}`,
    { field, rule },
  );
}

function checkTime(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > timeUsMax)
    invalid(field, 'a bigint of µs since the Unix epoch, from 0 to 2^63 - 1', String(value));
  return value;
}

/**
 * Checks a bucket: amounts in range, 0 ≤ level ≤ capacity, closed (capacity and refill 0) or
 * open (both positive). Returns the bucket.
 * @example validateTokenBucket({ capacity: units(10n), refillPerHour: units(10n), level: 0n, updatedAtUs: 0n })
 */
export function validateTokenBucket(bucket: TokenBucket, field = 'bucket'): TokenBucket {
  if (typeof bucket !== 'object' || bucket === null) invalid(field, 'a token bucket');
  const capacity = toAmount(bucket.capacity, `${field}.capacity`);
  const refillPerHour = toAmount(bucket.refillPerHour, `${field}.refillPerHour`);
  const level = toAmount(bucket.level, `${field}.level`);
  checkTime(bucket.updatedAtUs, `${field}.updatedAtUs`);
  if (level > capacity)
    invalid(
      `${field}.level`,
      `at most the capacity, ${formatAmount(capacity)}`,
      formatAmount(level),
    );
  if ((capacity === 0n) !== (refillPerHour === 0n))
    invalid(
      `${field}.refillPerHour`,
      'positive when the capacity is (a bucket that never refills closes after one use), 0 when it is 0 (closed)',
      formatAmount(refillPerHour),
    );
  return bucket;
}

/**
 * A full bucket: the whole capacity is available from `nowUs`.
 * @example createTokenBucket({ capacity: units(1_000_000n), refillPerHour: units(1_000_000n), nowUs })
 */
export function createTokenBucket(options: {
  capacity: Micro;
  refillPerHour: Micro;
  nowUs: bigint;
}): TokenBucket {
  const { capacity, refillPerHour, nowUs } = options;
  return validateTokenBucket({ capacity, refillPerHour, level: capacity, updatedAtUs: nowUs });
}

/**
 * The bucket at `nowUs`: level + ⌊refillPerHour × elapsed / 1 h⌋, capped at capacity; the
 * leftover fraction carried by advancing `updatedAtUs` less than `nowUs`. A `nowUs` before
 * `updatedAtUs` (a clock stepped back) leaves the bucket as it is.
 * @example refill({ capacity: 10n, refillPerHour: 3_600n, level: 0n, updatedAtUs: 0n }, 1_000_000n).level === 1n
 */
export function refill(bucket: TokenBucket, nowUs: bigint): TokenBucket {
  validateTokenBucket(bucket);
  checkTime(nowUs, 'nowUs');
  const { capacity, refillPerHour, level, updatedAtUs } = bucket;
  if (nowUs <= updatedAtUs) return bucket;
  const full = { capacity, refillPerHour, level: capacity, updatedAtUs: nowUs };
  if (level === capacity) return full;
  const accrued = refillPerHour * (nowUs - updatedAtUs);
  const added = accrued / microsecondsPerHour;
  if (level + added >= capacity) return full;
  const leftover = accrued - added * microsecondsPerHour;
  // refillPerHour > 0 here: a closed bucket is always full. The leftover is worth
  // leftover / refillPerHour µs of refill; those whole µs stay to be counted next time.
  const carriedUs = leftover / refillPerHour;
  const next = {
    capacity,
    refillPerHour,
    level: (level + added) as Micro,
    updatedAtUs: nowUs - carriedUs,
  };
  assert(next.updatedAtUs >= updatedAtUs && next.updatedAtUs <= nowUs, 'refill time moves forward');
  assert(next.level >= level && next.level < capacity, 'refill adds within capacity');
  return next;
}

/**
 * Takes `amount` from the bucket as of `nowUs`, or says what was available.
 * @example take(bucket, units(5n), nowUs) // { ok: true, bucket } or { ok: false, available }
 */
export function take(bucket: TokenBucket, amount: Micro, nowUs: bigint): TakeResult {
  toAmount(amount, 'amount');
  const current = refill(bucket, nowUs);
  if (amount > current.level) return { ok: false, available: current.level };
  return { ok: true, bucket: { ...current, level: (current.level - amount) as Micro } };
}

/**
 * Checks a mint against every limit and lists ALL the rules it breaks, not just the first.
 * @example checkMintLimits({ amount, perTransactionCap, hourBucket, dayBucket, nowUs, postedFiat, supplyAfter, reserves }).violations.map((v) => v.code)
 */
export function checkMintLimits(input: MintLimitsInput): MintLimitsCheck {
  const { nowUs } = input;
  const amount = toAmount(input.amount, 'amount');
  if (amount === 0n)
    throw new ClearpegError('amount-invalid', 'amount: must be positive (a mint of 0 is no mint)', {
      field: 'amount',
      rule: 'positive',
    });
  const cap = toAmount(input.perTransactionCap, 'perTransactionCap');
  const postedFiat = toAmount(input.postedFiat, 'postedFiat');
  const supplyAfter = toAmount(input.supplyAfter, 'supplyAfter');
  const reserves = toAmount(input.reserves, 'reserves');
  if (supplyAfter < amount)
    invalid(
      'supplyAfter',
      `at least the amount, ${formatAmount(amount)} (it includes this mint)`,
      formatAmount(supplyAfter),
    );
  validateTokenBucket(input.hourBucket, 'hourBucket');
  validateTokenBucket(input.dayBucket, 'dayBucket');

  const shown = formatAmount(amount);
  const violations: MintLimitViolation[] = [];
  const violate = (code: MintLimitCode, message: string, rule: string) =>
    violations.push({ code, message: `amount: ${message}`, field: 'amount', rule });

  if (amount > cap)
    violate(
      'over-transaction-cap',
      `${shown} is over the per-transaction cap of ${formatAmount(cap)}`,
      `at most the per-transaction cap, ${formatAmount(cap)}`,
    );
  const hour = take(input.hourBucket, amount, nowUs);
  const day = take(input.dayBucket, amount, nowUs);
  for (const [code, period, taken] of [
    ['over-hourly-velocity', 'hourly', hour],
    ['over-daily-velocity', 'daily', day],
  ] as const)
    if (!taken.ok)
      violate(
        code,
        `${shown} is over the ${period} mint velocity: ${formatAmount(taken.available)} available now`,
        `at most the ${period} velocity available, ${formatAmount(taken.available)}`,
      );
  if (postedFiat < amount)
    violate(
      'fiat-not-posted',
      `${shown} is not covered by posted fiat: ${formatAmount(postedFiat)} posted`,
      `at most the fiat posted for the request, ${formatAmount(postedFiat)}`,
    );
  if (supplyAfter > reserves)
    violate(
      'supply-over-reserves',
      `the supply after this mint, ${formatAmount(supplyAfter)}, would exceed eligible reserves of ${formatAmount(reserves)}`,
      `supply after the mint at most the eligible reserves, ${formatAmount(reserves)}`,
    );

  if (violations.length === 0 && hour.ok && day.ok)
    return { violations, hourBucket: hour.bucket, dayBucket: day.bucket };
  return {
    violations,
    hourBucket: refill(input.hourBucket, nowUs),
    dayBucket: refill(input.dayBucket, nowUs),
  };
}
