/**
 * Business days of the US banking system: Monday to Friday except the Federal Reserve's
 * holidays (5 U.S.C. 6103, the days Fedwire is closed), each observed by the Fed's rule: a
 * holiday on a Sunday is observed the Monday after; one on a Saturday is not moved (the Fed
 * stays open the Friday before, unlike federal offices).
 *
 * Dates are UTC calendar dates, `YYYY-MM-DD`; times are microseconds since the epoch.
 */
import { ClearpegError } from './errors.ts';

/** The wall clock, in microseconds since the epoch. */
export const wallClockUs = (): bigint => BigInt(Date.now()) * 1000n;

const dayMs = 86_400_000;

/** The n-th (1-based) `weekday` (0 = Sunday) of `month` (0-based), or the last when n = -1. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  if (n > 0) {
    const first = Date.UTC(year, month, 1);
    const offset = (weekday - new Date(first).getUTCDay() + 7) % 7;
    return first + (offset + (n - 1) * 7) * dayMs;
  }
  const last = Date.UTC(year, month + 1, 0);
  const offset = (new Date(last).getUTCDay() - weekday + 7) % 7;
  return last - offset * dayMs;
}

/** Moves a fixed-date holiday that falls on a Sunday to the Monday after. */
function observed(dateMs: number): number {
  return new Date(dateMs).getUTCDay() === 0 ? dateMs + dayMs : dateMs;
}

const holidayCache = new Map<number, ReadonlySet<number>>();

/** The Federal Reserve's holidays of `year`, as UTC midnights in milliseconds. */
function holidays(year: number): ReadonlySet<number> {
  let set = holidayCache.get(year);
  if (set === undefined) {
    set = new Set([
      observed(Date.UTC(year, 0, 1)), // New Year's Day
      nthWeekday(year, 0, 1, 3), // Birthday of Martin Luther King, Jr.
      nthWeekday(year, 1, 1, 3), // Washington's Birthday
      nthWeekday(year, 4, 1, -1), // Memorial Day
      ...(year >= 2022 ? [observed(Date.UTC(year, 5, 19))] : []), // Juneteenth
      observed(Date.UTC(year, 6, 4)), // Independence Day
      nthWeekday(year, 8, 1, 1), // Labor Day
      nthWeekday(year, 9, 1, 2), // Columbus Day
      observed(Date.UTC(year, 10, 11)), // Veterans Day
      nthWeekday(year, 10, 4, 4), // Thanksgiving Day
      observed(Date.UTC(year, 11, 25)), // Christmas Day
    ]);
    holidayCache.set(year, set);
  }
  return set;
}

/** Whether the UTC day starting at `midnightMs` is a US banking business day. */
function isBusinessDayMs(midnightMs: number): boolean {
  const date = new Date(midnightMs);
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return !holidays(date.getUTCFullYear()).has(midnightMs);
}

/**
 * Whether `date` (YYYY-MM-DD) is a US banking business day.
 * @example isBusinessDay('2026-11-26') // false: Thanksgiving
 */
export function isBusinessDay(date: string): boolean {
  return isBusinessDayMs(epochDay(date) * dayMs);
}

/**
 * The end (UTC midnight after) of the `n`-th business day after the day of `atUs`: a deadline
 * of T+n. T+0 is the end of the day itself if it is a business day, else of the next one.
 * @example businessDeadlineUs(Date.UTC(2026, 10, 25, 15) * 1000n, 1) // end of Fri 2026-11-27
 */
export function businessDeadlineUs(atUs: bigint, n: number): bigint {
  if (!Number.isSafeInteger(n) || n < 0 || n > 366)
    throw new ClearpegError('business-days-invalid', 'n must be a whole number from 0 to 366', {
      field: 'n',
      rule: '0..366',
    });
  const atMs = Number(atUs / 1000n);
  let day = atMs - (((atMs % dayMs) + dayMs) % dayMs);
  while (!isBusinessDayMs(day)) day += dayMs;
  for (let left = n; left > 0; ) {
    day += dayMs;
    if (isBusinessDayMs(day)) left--;
  }
  return BigInt(day + dayMs) * 1000n;
}

// ---------------------------------------------------------------------------------------
// Dates: days since 1970-01-01 by the proleptic Gregorian calendar, on integers only
// (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil).

/** Whether `year` has a 29 February (proleptic Gregorian). */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function monthDays(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The digits of `text` from `start` to `end` as a number, or −1 if one is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Year, month and day of a calendar date `YYYY-MM-DD`, or a `date-invalid` error naming `field`.
 * @example dateParts('2024-02-29', 'issueDate') // [2024, 2, 29]
 */
export function dateParts(text: unknown, field: string): [number, number, number] {
  // By hand, not by regular expression: accretion parses dates on its hot path.
  let year = -1;
  let month = 0;
  let day = 0;
  if (typeof text === 'string' && text.length === 10 && text[4] === '-' && text[7] === '-') {
    year = digitsAt(text, 0, 4);
    month = digitsAt(text, 5, 7);
    day = digitsAt(text, 8, 10);
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > monthDays(year, month)) {
    throw new ClearpegError(
      'date-invalid',
      `${field} must be a calendar date YYYY-MM-DD (got ${JSON.stringify(String(text).slice(0, 40))})`,
      { field, rule: 'a calendar date YYYY-MM-DD' },
    );
  }
  return [year, month, day];
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * Days since 1970-01-01 of a `YYYY-MM-DD` date; anything else is a `date-invalid` error.
 * @example epochDay('1970-01-02') === 1
 */
export function epochDay(date: unknown, field = 'date'): number {
  if (typeof date === 'string') {
    const known = parsedDays.get(date);
    if (known !== undefined) return known;
  }
  const [year, month, day] = dateParts(date, field);
  const days = daysFromCivil(year, month, day);
  if (parsedDays.size >= parsedDaysMax) parsedDays.clear();
  parsedDays.set(date as string, days);
  return days;
}

/**
 * Dates parsed already: a book of 10,000 lots has a few hundred distinct dates, each parsed
 * about ten times a day (accretion, valuation, eligibility) without this. Past the bound it
 * starts over (it only saves work).
 */
const parsedDays = new Map<string, number>();
const parsedDaysMax = 10_000;

/**
 * The ISO date `epochDay` days after 1970-01-01.
 * @example dateOfEpochDay(19_782) === '2024-02-29'
 */
export function dateOfEpochDay(epochDays: number): string {
  const z = epochDays + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36524) -
      Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/**
 * Calendar days from `from` to `to` (negative when `to` is earlier).
 * @example daysBetween('2023-01-24', '2023-02-21') === 28
 */
export function daysBetween(from: string, to: string): number {
  return epochDay(to, 'to') - epochDay(from, 'from');
}

/**
 * The date `days` calendar days after `date` (before, when negative).
 * @example addDays('2024-02-28', 2) === '2024-03-01'
 */
export function addDays(date: string, days: number): string {
  return dateOfEpochDay(epochDay(date) + days);
}

/**
 * `date` held to the days from `first` to `last` (ISO dates order as strings).
 * @example clampDate('2025-01-10', '2024-06-03', '2024-12-02') === '2024-12-02'
 */
export function clampDate(date: string, first: string, last: string): string {
  return date < first ? first : date > last ? last : date;
}

/**
 * `value` checked as a calendar date `YYYY-MM-DD` (a `date-invalid` error naming `field`).
 * @example isoDate('2024-12-31', 'asOf') === '2024-12-31'
 */
export function isoDate(value: unknown, field = 'date'): string {
  epochDay(value, field);
  return value as string;
}

/**
 * Today's date in New York (US Eastern time, where Treasury and the Fed keep their dates).
 * @example newYorkDate(Date.UTC(2026, 10, 22, 3)) === '2026-11-21'
 */
export function newYorkDate(atMs: number = Date.now()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/New_York',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(atMs);
}

/**
 * The end of `date` in New York (its next midnight there), in microseconds since the epoch:
 * a time before it falls on `date` or earlier by `newYorkDate`. New York's midnight is 04:00
 * or 05:00 UTC (daylight time or not; the clocks change at 2 a.m., never at midnight).
 * @example newYorkDayEndUs('2024-01-15') === BigInt(Date.UTC(2024, 0, 16, 5)) * 1000n
 */
export function newYorkDayEndUs(date: string): bigint {
  const next = addDays(isoDate(date), 1);
  const atMs = epochDay(next) * dayMs + 4 * 3_600_000;
  return BigInt(newYorkDate(atMs) === next ? atMs : atMs + 3_600_000) * 1000n;
}

/**
 * The first US business day after `date`.
 * @example nextBusinessDay('2024-12-31') === '2025-01-02'
 */
export function nextBusinessDay(date: string): string {
  let next = addDays(date, 1);
  while (!isBusinessDay(next)) next = addDays(next, 1);
  return next;
}
