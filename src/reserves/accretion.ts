/**
 * Effective-interest accretion of a Treasury bill held from settlement to maturity.
 *
 * A bill bought at `cost` pays `face` N days later. Its carrying value at the end of day t
 * (t = 0 at settlement, N at maturity) grows at one constant daily rate:
 *
 *   carrying(t) = cost × (face / cost)^(t / N) = cost × r^t,   r = (face / cost)^(1/N)
 *
 * rounded to the micro-dollar half-even (the named rule; no value is ever exactly a tie, since
 * y^N = cost^(N−t) × face^t is an integer and (m + ½)^N is not). Day 0 is `cost` and day N is
 * `face`, exactly. The accretion of day t is carrying(t) − carrying(t − 1): the N amounts sum
 * to face − cost exactly (they telescope), each is ≥ 0 (rounding is monotone) and they rise
 * by at most a micro-dollar's rounding from day to day (the exact curve is convex).
 *
 * Exactness: r is the exact floor of the N-th root at B bits (`nthRootBits`), r^t a binary
 * fixed-point power rounded down, so the approximation ŷ of y = carrying(t) satisfies
 * y − face × (3t + 2) × 2^−B ≤ ŷ ≤ y. B is chosen so that bound is under 2^−40 micro; when
 * ŷ lies within 2^−30 micro of a half (where the rounding could go either way), the rounding
 * is settled exactly: (2y)^N = 2^N × cost^(N−t) × face^t against (2m + 1)^N. So every
 * carrying value is the exactly rounded value of the formula, whichever way it is computed.
 */

import { addDays, daysBetween } from '../calendar.ts';
import { assert, ClearpegError } from '../errors.ts';
import { type Micro, toAmount } from '../money/money.ts';
import { billDaysMax } from './bills.ts';
import { nthRootBits, powBinary, ratio } from './decimal.ts';
import type { ReservesErrorCode } from './errors.ts';
import type { IsoDate } from './instruments.ts';

/** What accretion needs of a bill position (a `TbillPosition` has it). */
export interface AccretingBill {
  readonly cost: Micro;
  readonly face: Micro;
  readonly settlementDate: IsoDate;
  readonly maturityDate: IsoDate;
}

/** One day of a bill's accretion schedule. */
export interface AccretionDay {
  /** Days since settlement, 1 to N. */
  readonly day: number;
  readonly date: IsoDate;
  /** Carrying value at the end of the day. */
  readonly carryingValue: Micro;
  /** carryingValue − the previous day's. */
  readonly accretion: Micro;
}

/**
 * Daily growth factors kept, keyed by (cost, face, N): a day's accretion then costs two
 * fixed-point powers. A portfolio holds thousands of lots, not millions; past this the cache
 * starts over (it only saves work).
 */
export const accretionCacheMax = 100_000;

/** A refused bill: the message names the field and the rule. */
export class AccretionError extends ClearpegError {
  override name = 'AccretionError';
}

function refuse(code: ReservesErrorCode, field: string, rule: string, got: string): never {
  throw new AccretionError(code, `${field}: ${rule} (got ${got})`, { field, rule });
}

/** A bill's growth factor r = (face/cost)^(1/N), as floor(r × 2^bits). */
interface Growth {
  readonly cost: bigint;
  readonly face: bigint;
  readonly days: number;
  readonly root: bigint;
  readonly bits: number;
  /** `bits` as a bigint, and 2^bits: the fixed point's shift and one. */
  readonly shift: bigint;
  readonly unit: bigint;
  /** 2 × 2^−30 micro in units of 2^−bits micro: closer than half this to a half is settled exactly. */
  readonly tolerance2: bigint;
}

const cache = new Map<string, Growth>();

function growthOf(bill: AccretingBill): Growth {
  const cost = toAmount(bill.cost, 'cost');
  const face = toAmount(bill.face, 'face');
  const days = daysBetween(bill.settlementDate, bill.maturityDate);
  if (days < 1 || days > billDaysMax) {
    refuse(
      'bill-invalid',
      'maturityDate',
      `must be 1 to ${billDaysMax} days after settlementDate`,
      `${days} days`,
    );
  }
  if (cost === 0n || cost > face || 2n * cost < face) {
    refuse(
      'bill-invalid',
      'cost',
      'must be at most face and at least half of it (a price per 100 from 50 to 100)',
      `cost ${cost}, face ${face}`,
    );
  }
  const key = `${cost}:${face}:${days}`;
  let growth = cache.get(key);
  if (growth === undefined) {
    // face × (3N + 2) × 2^−bits < 2^−40 micro: the error bound of a carrying value.
    const bits = face.toString(2).length + (3 * days + 2).toString(2).length + 40;
    growth = {
      cost,
      face,
      days,
      root: nthRootBits(ratio(face, cost), days, bits),
      bits,
      shift: BigInt(bits),
      unit: 1n << BigInt(bits),
      tolerance2: 2n << BigInt(bits - 30),
    };
    if (cache.size >= accretionCacheMax) cache.clear();
    cache.set(key, growth);
  }
  return growth;
}

/** carrying(t) rounded half-even, from power ≈ r^t × 2^bits (from below). */
function rounded(growth: Growth, t: number, power: bigint): bigint {
  if (t === 0) return growth.cost;
  if (t === growth.days) return growth.face;
  const { cost, face, days, shift, unit, tolerance2 } = growth;
  const scaled = cost * power;
  const whole = scaled >> shift;
  const offset = 2n * (scaled - (whole << shift)) - unit; // 2(fraction − ½)
  if (offset > tolerance2) return whole + 1n;
  if (offset < -tolerance2) return whole;
  // Within 2^−30 micro of whole + ½: compare (2y)^N with (2·whole + 1)^N exactly.
  const n = BigInt(days);
  const lhs = (1n << n) * cost ** (n - BigInt(t)) * face ** BigInt(t);
  const rhs = (2n * whole + 1n) ** n;
  if (lhs > rhs) return whole + 1n;
  // A tie, to be broken to even, cannot happen: y^N is an integer, (m + ½)^N never is.
  assert(lhs < rhs, 'a carrying value is never exactly half a micro-dollar');
  return whole;
}

function carryingAt(growth: Growth, t: number): bigint {
  return rounded(growth, t, powBinary(growth.root, t, growth.bits));
}

/**
 * The carrying value at the end of `date`, from settlement (cost) to maturity (face); a date
 * outside that span is a `date-out-of-range` error.
 * @example carryingValue(bill, bill.maturityDate) === bill.face
 */
export function carryingValue(bill: AccretingBill, date: IsoDate): Micro {
  const growth = growthOf(bill);
  return carryingAt(growth, dayOf(bill, growth, date, 'date')) as Micro;
}

/** Days from settlement to `date` (`field`), which must lie from settlement to maturity. */
function dayOf(bill: AccretingBill, growth: Growth, date: IsoDate, field: string): number {
  const t = daysBetween(bill.settlementDate, date);
  if (t < 0 || t > growth.days) {
    refuse(
      'date-out-of-range',
      field,
      `must be from settlementDate ${bill.settlementDate} to maturityDate ${bill.maturityDate}`,
      date,
    );
  }
  return t;
}

/**
 * The accretion earned on `date`: carrying(date) − carrying(the day before), and 0 outside
 * (settlementDate, maturityDate].
 * @example dailyAccretion(bill, bill.settlementDate) === 0n
 */
export function dailyAccretion(bill: AccretingBill, date: IsoDate): Micro {
  const growth = growthOf(bill);
  const t = daysBetween(bill.settlementDate, date);
  if (t < 1 || t > growth.days) return 0n as Micro;
  const previous = powBinary(growth.root, t - 1, growth.bits);
  const current = (previous * growth.root) >> growth.shift;
  return (rounded(growth, t, current) - rounded(growth, t - 1, previous)) as Micro;
}

/**
 * The accretion of each day after `after` through `through`, never past maturity: the
 * amounts of days t₀ + 1 … t₁ (t counted from settlement; `after` on or after settlement), as
 * `dailyAccretion` gives them, one fixed-point power and then one product a day.
 * @example accretionBetween(bill, bill.settlementDate, bill.maturityDate) // the whole schedule
 */
export function accretionBetween(bill: AccretingBill, after: IsoDate, through: IsoDate): Micro[] {
  const growth = growthOf(bill);
  const first = dayOf(bill, growth, after, 'after');
  const last = Math.min(daysBetween(bill.settlementDate, through), growth.days);
  const bits = growth.shift;
  let power = powBinary(growth.root, first, growth.bits);
  let previous = rounded(growth, first, power);
  const amounts: Micro[] = [];
  for (let t = first + 1; t <= last; t++) {
    power = (power * growth.root) >> bits;
    const carrying = rounded(growth, t, power);
    amounts.push((carrying - previous) as Micro);
    previous = carrying;
  }
  return amounts;
}

/**
 * Every day from settlement + 1 to maturity with its carrying value and accretion.
 * @example [...schedule(bill)].reduce((sum, d) => sum + d.accretion, 0n) === bill.face - bill.cost
 */
export function* schedule(bill: AccretingBill): Generator<AccretionDay> {
  const growth = growthOf(bill);
  const bits = growth.shift;
  let power = growth.unit;
  let previous = growth.cost;
  for (let t = 1; t <= growth.days; t++) {
    power = (power * growth.root) >> bits;
    const carrying = rounded(growth, t, power);
    yield {
      day: t,
      date: addDays(bill.settlementDate, t),
      carryingValue: carrying as Micro,
      accretion: (carrying - previous) as Micro,
    };
    previous = carrying;
  }
}
