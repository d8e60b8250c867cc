/**
 * Treasury bill arithmetic, 31 CFR 356 Appendix B, section on bills ("Computation of purchase
 * price, discount rate, and investment rate (coupon-equivalent yield) for Treasury bills").
 *
 *   price per 100     P = 100 × (1 − d × r / 360), rounded half-up to 6 decimals
 *   investment rate   r ≤ half a year:  i = (100 − P) / P × Y / r
 *                     longer:           i = (−2a + 2√(a² − (2a − 1)(1 − 100/P))) / (2a − 1),
 *                                       a = r / Y
 *
 * d is the discount rate, r the days to maturity, Y the year basis (365, or 366 when the year
 * after the issue date holds a 29 February). Rates are percent, exact (`Ratio`, decimal
 * strings), never floats; dates are ISO `YYYY-MM-DD` counted on integers (no `Date`).
 */
import { dateParts, isLeapYear } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { type Micro, toAmount } from '../money/money.ts';
import {
  add,
  compare,
  div,
  formatRatio,
  halfEven,
  halfUp,
  isqrt,
  mul,
  parseRatio,
  type Ratio,
  type RoundingRule,
  ratio,
  sub,
} from './decimal.ts';
import type { ReservesErrorCode } from './errors.ts';
import type { IsoDate } from './instruments.ts';

/** The longest bill: Treasury sells bills of one year or less (52 weeks, moved by holidays). */
export const billDaysMax = 366;

/** A refused bill input: the message names the field and the rule. */
export class BillError extends ClearpegError {
  override name = 'BillError';
}

function refuse(code: ReservesErrorCode, field: string, rule: string, got: string): never {
  throw new BillError(code, `${field}: ${rule} (got ${got})`, { field, rule });
}

/**
 * The investment-rate year basis: 366 when 29 February falls in the year after the issue date
 * (from, not including, the issue date to, including, its anniversary), else 365.
 * @example yearBasis('2023-11-14') === 366 && yearBasis('2024-06-04') === 365
 */
export function yearBasis(issueDate: IsoDate): 365 | 366 {
  const [year, month, day] = dateParts(issueDate, 'issueDate');
  // 29 February of the issue year is in the window when the issue date is before it; that of
  // the next year when the anniversary is on or after 1 March.
  const thisYear = isLeapYear(year) && (month === 1 || (month === 2 && day < 29));
  const nextYear = isLeapYear(year + 1) && month >= 3;
  return thisYear || nextYear ? 366 : 365;
}

// ---------------------------------------------------------------------------------------
// Prices and rates.

function checkDays(days: number, field: string, min: number): bigint {
  if (!Number.isSafeInteger(days) || days < min || days > billDaysMax) {
    refuse('bill-invalid', field, `must be an integer from ${min} to ${billDaysMax}`, String(days));
  }
  return BigInt(days);
}

function toRatio(value: string | Ratio, field: string): Ratio {
  if (typeof value === 'string') return parseRatio(value, field);
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.num !== 'bigint' ||
    typeof value.den !== 'bigint'
  ) {
    refuse('bill-invalid', field, 'must be a decimal string or a Ratio', typeof value);
  }
  return ratio(value.num, value.den);
}

const hundred = ratio(100n);
const show = (x: Ratio) => formatRatio(x, 9, halfUp);

function checkRate(value: string | Ratio, field: string, minPct: bigint): Ratio {
  const rate = toRatio(value, field);
  if (compare(rate, ratio(minPct)) < 0 || compare(rate, hundred) >= 0) {
    refuse('bill-invalid', field, `must be a percentage from ${minPct} to under 100`, show(rate));
  }
  return rate;
}

function checkPrice(value: string | Ratio, field: string, maxPct: bigint): Ratio {
  const price = toRatio(value, field);
  if (price.num <= 0n || compare(price, ratio(maxPct)) > 0) {
    refuse(
      'bill-invalid',
      field,
      `must be a price per 100 above 0 and at most ${maxPct}`,
      show(price),
    );
  }
  return price;
}

/** 100 × (1 − d × days / 360) with d in percent: 100 − d × days / 360. */
function discountPrice(ratePct: Ratio, days: bigint): Ratio {
  return sub(hundred, mul(ratePct, ratio(days, 360n)));
}

/**
 * A price per 100 of face value: as a `Ratio`, the price rounded half-up to 6 decimals (what
 * Treasury publishes and settlement uses), with its text and the unrounded value.
 */
export interface BillPrice extends Ratio {
  /** The rounded price as Treasury prints it: `"99.651556"`. */
  readonly text: string;
  /** The formula's value before rounding. */
  readonly exact: Ratio;
}

/**
 * The price per 100 for a discount rate (percent) and a term in days, rounded half-up to 6
 * decimals. Auction rates are never negative; a market rate may be (DTB3 has printed −0.05),
 * which prices a bill above 100.
 * @example pricePer100('4.480', 28).text === '99.651556'
 */
export function pricePer100(discountRatePct: string | Ratio, days: number): BillPrice {
  const rate = checkRate(discountRatePct, 'discountRatePct', -100n);
  const exact = discountPrice(rate, checkDays(days, 'days', 1));
  if (exact.num <= 0n) {
    refuse('bill-invalid', 'discountRatePct', 'must give a positive price', show(exact));
  }
  const text = formatRatio(exact, 6, halfUp);
  return { ...parseRatio(text), text, exact };
}

/**
 * Treasury's investment rate (coupon-equivalent yield) in percent, rounded half-up to 3
 * decimals. The simple formula serves bills of up to 182 days and every bill labelled
 * `26-Week` (Treasury publishes it for 183-day 26-week bills too); longer bills use the
 * half-year quadratic, with the square root exact to as many digits as the 3rd decimal needs.
 * @example investmentRatePct('99.651556', 28, '2023-01-24') === '4.558'
 */
export function investmentRatePct(
  price: string | Ratio,
  days: number,
  issueDate: IsoDate,
  term?: string,
): string {
  const p = checkPrice(price, 'price', 100n);
  const r = checkDays(days, 'days', 1);
  const year = BigInt(yearBasis(issueDate));
  if (term !== undefined && !/^[1-9][0-9]{0,2}-(Week|Day)$/.test(term)) {
    refuse(
      'bill-invalid',
      'term',
      "must be Treasury's label, such as 26-Week",
      JSON.stringify(term),
    );
  }
  const a = ratio(r, year);
  const twoAMinusOne = sub(mul(ratio(2n), a), ratio(1n));
  // At 2a − 1 = 0 (183 days on a 366-day basis) the quadratic reduces to the simple formula.
  if (r <= 182n || term === '26-Week' || twoAMinusOne.num <= 0n) {
    const simple = mul(div(sub(hundred, p), p), ratio(100n * year, r));
    return formatRatio(simple, 3, halfUp);
  }
  const discriminant = sub(mul(a, a), mul(twoAMinusOne, sub(ratio(1n), div(hundred, p))));
  // i(s) = (−2a + 2s) / (2a − 1) rises with s; s lies in [root, root + 10^−digits).
  const rate = (s: Ratio) =>
    mul(div(add(mul(ratio(-2n), a), mul(ratio(2n), s)), twoAMinusOne), hundred);
  for (let digits = 24; digits <= 192; digits *= 2) {
    const unit = 10n ** BigInt(digits);
    const scaled = discriminant.num * unit * unit;
    const root = isqrt(scaled / discriminant.den);
    const low = formatRatio(rate(ratio(root, unit)), 3, halfUp);
    const exact = root * root * discriminant.den === scaled;
    if (exact || low === formatRatio(rate(ratio(root + 1n, unit)), 3, halfUp)) return low;
  }
  throw new Error('assertion failed: 192 digits of the square root settle the 3rd decimal');
}

/**
 * What a face amount costs at a price per 100: face × P / 100, rounded to the micro-dollar by
 * `rule`. Half-up by default: settlement systems and custodians round proceeds half-up, and
 * the cost must match the custodian's statement (for a face in whole $100s at a 6-decimal
 * price the product is already exact, so the rule only matters for odd amounts). Prices run
 * to 200: above 100 only at a negative market rate.
 * @example billCost(1_000_000_000n as Micro, '99.651556') === 996_515_560n
 */
export function billCost(
  face: Micro,
  pricePer100: string | Ratio,
  rule: RoundingRule = halfUp,
): Micro {
  const amount = toAmount(face, 'face');
  const price = checkPrice(pricePer100, 'pricePer100', 200n);
  return toAmount(rule(amount * price.num, 100n * price.den), 'cost');
}

/**
 * The market price per 100 (exact, unrounded) for a secondary-market discount rate and the
 * days left to maturity: 100 × (1 − d × daysRemaining / 360). Rates may be slightly negative
 * (the market has quoted −0.05); the price must stay positive.
 * @example formatRatio(marketPricePer100('4.23', 91), 6, halfUp) === '98.930750'
 */
export function marketPricePer100(discountRatePct: string | Ratio, daysRemaining: number): Ratio {
  const rate = checkRate(discountRatePct, 'discountRatePct', -100n);
  return discountPrice(rate, checkDays(daysRemaining, 'daysRemaining', 0));
}

/**
 * The discount rate (percent, exact) that gives a price per 100 over `days`:
 * d = (100 − P) × 360 / days.
 * @example formatRatio(discountRateForPrice('99.651556', 28), 3, halfUp) === '4.480'
 */
export function discountRateForPrice(price: string | Ratio, days: number): Ratio {
  const p = toRatio(price, 'price');
  if (p.num <= 0n) refuse('bill-invalid', 'price', 'must be above 0', show(p));
  return mul(sub(hundred, p), ratio(360n, checkDays(days, 'days', 1)));
}

/**
 * A face amount valued at a market discount rate: face × marketPricePer100 / 100, rounded to
 * the micro-dollar half-even (a valuation, not a settlement: unbiased over many positions).
 * @example marketValue(1_000_000_000_000n as Micro, '4.23', 91) === 989_307_500_000n
 */
export function marketValue(
  face: Micro,
  discountRatePct: string | Ratio,
  daysRemaining: number,
  rule: RoundingRule = halfEven,
): Micro {
  const amount = toAmount(face, 'face');
  const price = marketPricePer100(discountRatePct, daysRemaining);
  return toAmount(rule(amount * price.num, 100n * price.den), 'value');
}

// ---------------------------------------------------------------------------------------
// CUSIP: 8 characters and a check digit (ANSI X9.6, "modulus 10 double-add-double").

const cusipPattern = /^[0-9A-Z*@#]{8}[0-9]$/;

function cusipValue(char: string): number {
  if (char >= '0' && char <= '9') return char.charCodeAt(0) - 48;
  if (char >= 'A' && char <= 'Z') return char.charCodeAt(0) - 55; // A = 10 … Z = 35
  return { '*': 36, '@': 37, '#': 38 }[char] ?? Number.NaN;
}

/**
 * Whether `s` is a CUSIP with a valid check digit (9 characters, uppercase).
 * @example isCusip('912797LB1') === true && isCusip('912797LB2') === false
 */
export function isCusip(s: unknown): boolean {
  if (typeof s !== 'string' || !cusipPattern.test(s)) return false;
  return cusipCheckDigit(s.slice(0, 8)) === Number(s[8]);
}

/**
 * The check digit of a CUSIP's first 8 characters (the "double add double" of the CUSIP
 * standard, ANSI X9.6).
 * @example `912797LB${cusipCheckDigit('912797LB')}` === '912797LB1'
 */
export function cusipCheckDigit(base: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const value = cusipValue(base[i]!) * (i % 2 === 1 ? 2 : 1);
    sum += Math.floor(value / 10) + (value % 10);
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * `s` checked as a CUSIP, else a `cusip-invalid` error naming `field`.
 * @example parseCusip('912797LB1') === '912797LB1'
 */
export function parseCusip(s: unknown, field = 'cusip'): string {
  if (!isCusip(s)) {
    const rule = '9 characters (digits, A-Z, *, @, #) with a valid check digit';
    const got = JSON.stringify(String(s).slice(0, 20));
    throw new BillError('cusip-invalid', `${field}: ${rule} (got ${got})`, { field, rule });
  }
  return s as string;
}
