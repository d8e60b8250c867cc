/**
 * Business days of the US banking system: Monday to Friday except the Federal Reserve's
 * holidays (5 U.S.C. 6103, the days Fedwire is closed), each observed by the Fed's rule: a
 * holiday on a Sunday is observed the Monday after; one on a Saturday is not moved (the Fed
 * stays open the Friday before, unlike federal offices).
 *
 * Dates are UTC calendar dates, `YYYY-MM-DD`; times are microseconds since the epoch.
 */
import { ClearpegError } from './errors.ts';

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
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms))
    throw new ClearpegError(
      'date-invalid',
      `date must be YYYY-MM-DD (got ${JSON.stringify(date)})`,
      {
        field: 'date',
        rule: 'YYYY-MM-DD',
      },
    );
  return isBusinessDayMs(ms);
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
