/**
 * Treasury bill rate history: secondary-market discount rates (percent, bank-discount basis,
 * actual/360) by date and tenor, exact (`Ratio`), never floats.
 *
 * Two sources are read:
 *
 *   FRED series CSV   `observation_date,DTB3`, ascending, YYYY-MM-DD; one tenor (DTB3: the
 *                     3-month bill, H.15). A blank value (or `.`, FRED's older export) is a
 *                     market holiday: skipped, never read as zero.
 *   Treasury CSV      "Daily Treasury Bill Rates" (home.treasury.gov, daily_treasury_bill_rates):
 *                     `Date,"4 WEEKS BANK DISCOUNT","4 WEEKS COUPON EQUIVALENT",…,"52 WEEKS
 *                     COUPON EQUIVALENT"`, MM/DD/YYYY, newest first. The tenors present vary by
 *                     year (17 weeks since 2022, 6 weeks since 2025), so columns are found by
 *                     name; a blank or `N/A` cell is a missing quote. Only the BANK DISCOUNT
 *                     columns are read; the coupon equivalents follow from them (./bills.ts).
 *
 * `rateOn` takes the last observation on or before a date. With several tenors it
 * interpolates linearly in days between the nearest two, flat beyond the ends. With one tenor
 * (DTB3, the shipped history) the curve is flat: the 13-week rate stands for every term. It
 * is a fair proxy up to 182 days (26 weeks); for a 52-week bill it ignores the slope of the
 * curve (tens of basis points): load Treasury's file for those, or pass `flatMaxDays: 182`
 * to refuse longer terms outright.
 */
import { readFileSync } from 'node:fs';
import { epochDay } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { billDaysMax } from './bills.ts';
import { add, div, mul, parseRatio, type Ratio, ratio, sub } from './decimal.ts';
import type { IsoDate } from './instruments.ts';

/** Limits on a rate file: daily rows since 1954 are about 19,000; a row is under 300 bytes. */
export const rateFileRowsMax = 50_000;
export const rateFileLineBytesMax = 4_096;

/** One day's discount rates, aligned with the curve's `tenorsDays` (undefined: no quote). */
export interface RateRow {
  readonly date: IsoDate;
  readonly ratesPct: readonly (Ratio | undefined)[];
}

/** Discount rates by date and tenor. */
export interface RateCurve {
  /** The file the rates came from, for messages. */
  readonly source: string;
  /** Tenors in days (13 weeks = 91), ascending. */
  readonly tenorsDays: readonly number[];
  /** Dates ascending, each with at least one rate. */
  readonly rows: readonly RateRow[];
  /** The longest term `rateOn` answers for. */
  readonly flatMaxDays: number;
}

/** A rate for a date and a term, and the day it was observed. */
export interface RateQuote {
  readonly discountRatePct: Ratio;
  readonly observedOn: IsoDate;
}

/** A refused rate file: the message names the file, line and column, and the rule. */
export class RateFileError extends ClearpegError {
  override name = 'RateFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string,
    rule: string,
    got: string,
  ) {
    super('rate-file-invalid', `${file}, line ${line}, column ${column}: ${rule} (got ${got})`, {
      field: column,
      rule,
    });
  }
}

/** A refused rate look-up. */
export class RateError extends ClearpegError {
  override name = 'RateError';
}

/** Splits one CSV line; fields may be double-quoted, with "" for a quote. */
function splitCsvLine(text: string, fail: (rule: string) => never): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) fail('a quoted field must end with a quote');
        if (text[i] === '"' && text[i + 1] === '"') field += text[i++];
        else if (text[i] === '"') break;
        else field += text[i];
      }
      i++;
      if (i < text.length && text[i] !== ',') fail('a quoted field must be followed by a comma');
    } else {
      const end = text.indexOf(',', i);
      field = text.slice(i, end === -1 ? text.length : end);
      i = end === -1 ? text.length : end;
    }
    fields.push(field.trim());
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

interface Line {
  readonly number: number;
  readonly cells: string[];
}

function csvLines(text: string, file: string): Line[] {
  if (typeof text !== 'string') {
    throw new RateFileError(file, 0, '-', 'must be the text of a CSV file', typeof text);
  }
  const raw = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lines: Line[] = [];
  for (const [index, content] of raw.entries()) {
    if (content.trim() === '') continue;
    const number = index + 1;
    const fail = (rule: string): never => {
      throw new RateFileError(file, number, '-', rule, JSON.stringify(content.slice(0, 60)));
    };
    if (content.length > rateFileLineBytesMax) {
      fail(`a line must be at most ${rateFileLineBytesMax} characters`);
    }
    if (lines.length > rateFileRowsMax) fail(`a file must have at most ${rateFileRowsMax} rows`);
    lines.push({ number, cells: splitCsvLine(content, fail) });
  }
  if (lines.length === 0) throw new RateFileError(file, 1, '-', 'must have a header row', 'empty');
  return lines;
}

interface Column {
  readonly index: number;
  readonly name: string;
}

function cellRate(file: string, line: Line, column: Column, missing: readonly string[]) {
  const cell = line.cells[column.index] ?? '';
  if (missing.includes(cell)) return undefined;
  try {
    return parseRatio(cell, column.name);
  } catch {
    throw new RateFileError(
      file,
      line.number,
      `${column.index + 1} (${column.name})`,
      'must be a decimal rate in percent such as 4.23, or blank',
      JSON.stringify(cell.slice(0, 40)),
    );
  }
}

function checkWidth(file: string, line: Line, width: number): void {
  if (line.cells.length !== width) {
    throw new RateFileError(
      file,
      line.number,
      '-',
      `must have ${width} fields like the header`,
      `${line.cells.length} fields`,
    );
  }
}

function finish(
  file: string,
  tenorsDays: number[],
  rows: (RateRow & { line: number })[],
  flatMaxDays: number,
): RateCurve {
  rows.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i]!.date === rows[i - 1]!.date) {
      throw new RateFileError(
        file,
        rows[i]!.line,
        '1 (date)',
        'dates must not repeat',
        rows[i]!.date,
      );
    }
  }
  return {
    source: file,
    tenorsDays,
    rows: rows.map(({ date, ratesPct }) => ({ date, ratesPct })),
    flatMaxDays,
  };
}

/** How one rate CSV format lays out its rows, as its header tells. */
interface RateLayout {
  /** The rate columns, ascending by tenor in days. */
  readonly columns: readonly (Column & { days: number })[];
  /** The date column as messages name it, e.g. `1 (Date)`. */
  readonly dateColumn: string;
  /** How dates are written, for messages: `YYYY-MM-DD`. */
  readonly dateFormat: string;
  /** The date cell as YYYY-MM-DD (anything else is refused). */
  readonly isoDate: (cell: string) => string;
  /** The cells that mean "no quote". */
  readonly missing: readonly string[];
}

/** Refuses a rate file's header: `got` defaults to the start of the header line. */
type RefuseHeader = (column: string, rule: string, got?: string) => never;

/**
 * Reads a rate CSV: `layoutOf` checks the header (refusing it through `refuse`) and says where
 * the dates and rates are; every row after it must be as wide as the header, with a date, and
 * a row without a single rate (a holiday) is skipped.
 */
function parseRateCsv(
  text: string,
  file: string,
  flatMaxDays: number,
  layoutOf: (header: Line, refuse: RefuseHeader) => RateLayout,
): RateCurve {
  const [header, ...body] = csvLines(text, file);
  const refuse: RefuseHeader = (column, rule, got) => {
    const start = JSON.stringify(header!.cells.join(',').slice(0, 60));
    throw new RateFileError(file, header!.number, column, rule, got ?? start);
  };
  const { columns, dateColumn, dateFormat, isoDate, missing } = layoutOf(header!, refuse);
  const rows: (RateRow & { line: number })[] = [];
  for (const line of body) {
    checkWidth(file, line, header!.cells.length);
    const cell = line.cells[0]!;
    const date = isoDate(cell);
    try {
      epochDay(date);
    } catch {
      const rule = `must be a date ${dateFormat}`;
      throw new RateFileError(file, line.number, dateColumn, rule, JSON.stringify(cell));
    }
    const ratesPct = columns.map((column) => cellRate(file, line, column, missing));
    if (ratesPct.some((rate) => rate !== undefined)) {
      rows.push({ date, ratesPct, line: line.number });
    }
  }
  return finish(
    file,
    columns.map((column) => column.days),
    rows,
    flatMaxDays,
  );
}

/**
 * Parses a FRED series CSV (`observation_date,DTB3`) into a one-tenor curve; blank or `.`
 * values are holidays and skipped.
 * @example parseFredCsv('observation_date,DTB3\n2024-12-31,4.23\n', { file: 'DTB3.csv' })
 */
export function parseFredCsv(
  text: string,
  options: { file: string; tenorDays?: number; flatMaxDays?: number },
): RateCurve {
  const { file, tenorDays = 91, flatMaxDays = billDaysMax } = options;
  return parseRateCsv(text, file, flatMaxDays, (header, refuse) => {
    const [dateName, series] = header.cells;
    if (header.cells.length !== 2 || (dateName !== 'observation_date' && dateName !== 'DATE')) {
      refuse('1', 'the header must be observation_date (or DATE) and one series');
    }
    return {
      columns: [{ index: 1, name: series!, days: tenorDays }],
      dateColumn: `1 (${dateName})`,
      dateFormat: 'YYYY-MM-DD',
      isoDate: (cell) => cell,
      missing: ['', '.'],
    };
  });
}

const discountColumn = /^([1-9][0-9]?) WEEKS BANK DISCOUNT$/i;

/** A Treasury date cell, MM/DD/YYYY, as YYYY-MM-DD ('' when it is not written so). */
function treasuryIsoDate(cell: string): string {
  const match = /^([0-9]{2})\/([0-9]{2})\/([0-9]{4})$/.exec(cell);
  return match === null ? '' : `${match[3]}-${match[1]}-${match[2]}`;
}

/**
 * Parses Treasury's "Daily Treasury Bill Rates" CSV into a curve of its bank-discount
 * columns (tenor = weeks × 7 days); blank or `N/A` cells are missing quotes.
 * @example parseTreasuryBillRatesCsv('Date,"13 WEEKS BANK DISCOUNT"\n12/31/2024,4.23\n', { file: 'bills.csv' })
 */
export function parseTreasuryBillRatesCsv(text: string, options: { file: string }): RateCurve {
  return parseRateCsv(text, options.file, billDaysMax, (header, refuse) => {
    if (header.cells[0]?.toLowerCase() !== 'date') {
      refuse('1', 'the first column must be Date', JSON.stringify(header.cells[0]));
    }
    const columns: (Column & { days: number })[] = [];
    for (const [index, name] of header.cells.entries()) {
      const match = discountColumn.exec(name);
      if (match !== null) columns.push({ index, name, days: Number(match[1]) * 7 });
    }
    if (columns.length === 0) {
      refuse('-', 'the header must name at least one "N WEEKS BANK DISCOUNT" column');
    }
    columns.sort((a, b) => a.days - b.days);
    return {
      columns,
      dateColumn: '1 (Date)',
      dateFormat: 'MM/DD/YYYY',
      isoDate: treasuryIsoDate,
      missing: ['', 'N/A'],
    };
  });
}

/**
 * The shipped DTB3 history (`data/rates/DTB3.csv`, FRED), read once.
 * @example formatRatio(rateOn(loadDtb3(), '2024-12-31', 91), 2, halfUp) === '4.23'
 */
export function loadDtb3(): RateCurve {
  if (dtb3 === undefined) {
    const url = new URL('../../data/rates/DTB3.csv', import.meta.url);
    dtb3 = parseFredCsv(readFileSync(url, 'utf8'), { file: 'data/rates/DTB3.csv' });
  }
  return dtb3;
}
let dtb3: RateCurve | undefined;

/** The index of the last row on or before `date`, or −1. */
function rowIndexOn(curve: RateCurve, date: IsoDate): number {
  let low = 0;
  let high = curve.rows.length; // rows[low − 1] ≤ date < rows[high]
  while (low < high) {
    const middle = (low + high) >> 1;
    if (curve.rows[middle]!.date <= date) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/**
 * The discount rate (percent) for a term of `daysToMaturity` on `date`, from the last
 * observation on or before it: interpolated linearly in days between the nearest tenors
 * quoted that day, flat beyond the ends. It may be old: `quoteOn` says when it was observed
 * and can refuse stale ones.
 * @example formatRatio(rateOn(loadDtb3(), '2025-01-01', 60), 2, halfUp) === '4.23'
 */
export function rateOn(curve: RateCurve, date: IsoDate, daysToMaturity: number): Ratio {
  return quoteOn(curve, date, daysToMaturity).discountRatePct;
}

/**
 * `rateOn` with the date of the observation used, refusing one older than `maxStaleDays`
 * (a week covers any holiday weekend; by default any age is accepted).
 * @example quoteOn(loadDtb3(), '2025-01-01', 91, 7).observedOn === '2024-12-31'
 */
export function quoteOn(
  curve: RateCurve,
  date: IsoDate,
  daysToMaturity: number,
  maxStaleDays = Number.POSITIVE_INFINITY,
): RateQuote {
  const day = epochDay(date, 'date');
  if (
    !Number.isSafeInteger(daysToMaturity) ||
    daysToMaturity < 0 ||
    daysToMaturity > curve.flatMaxDays
  ) {
    const rule = `must be an integer from 0 to ${curve.flatMaxDays} for ${curve.source}`;
    throw new RateError('rate-term-invalid', `daysToMaturity: ${rule} (got ${daysToMaturity})`, {
      field: 'daysToMaturity',
      rule,
    });
  }
  const row = curve.rows[rowIndexOn(curve, date)];
  if (row === undefined || day - epochDay(row.date) > maxStaleDays) {
    const rule = `needs an observation in ${curve.source} at most ${maxStaleDays} days before`;
    const got = row === undefined ? 'none' : `last ${row.date}`;
    throw new RateError('rate-unavailable', `date: ${rule} ${date} (got ${got})`, {
      field: 'date',
      rule,
    });
  }
  return {
    discountRatePct: interpolate(curve.tenorsDays, row.ratesPct, daysToMaturity),
    observedOn: row.date,
  };
}

function interpolate(
  tenors: readonly number[],
  rates: readonly (Ratio | undefined)[],
  days: number,
): Ratio {
  let below: [number, Ratio] | undefined;
  let above: [number, Ratio] | undefined;
  for (const [i, tenor] of tenors.entries()) {
    const rate = rates[i];
    if (rate === undefined) continue;
    if (tenor <= days) below = [tenor, rate];
    if (tenor >= days && above === undefined) above = [tenor, rate];
  }
  if (below === undefined) return above![1];
  if (above === undefined || above[0] === below[0]) return below[1];
  const weight = ratio(BigInt(days - below[0]), BigInt(above[0] - below[0]));
  return add(below[1], mul(sub(above[1], below[1]), weight));
}

/**
 * The mean of the observations from `from` to `to` (inclusive) of one tenor, exact.
 * @example formatRatio(meanRate(loadDtb3(), '2024-01-01', '2024-12-31'), 2, halfUp) === '4.97'
 */
export function meanRate(curve: RateCurve, from: IsoDate, to: IsoDate, tenorDays?: number): Ratio {
  epochDay(from, 'from');
  epochDay(to, 'to');
  const column = tenorDays === undefined ? 0 : curve.tenorsDays.indexOf(tenorDays);
  if (column < 0 || (tenorDays === undefined && curve.tenorsDays.length !== 1)) {
    const rule = `must be one of ${curve.source}'s tenors: ${curve.tenorsDays.join(', ')} days`;
    throw new RateError('rate-term-invalid', `tenorDays: ${rule} (got ${tenorDays})`, {
      field: 'tenorDays',
      rule,
    });
  }
  let sum = ratio(0n);
  let count = 0n;
  for (const row of curve.rows) {
    const rate = row.ratesPct[column];
    if (row.date < from || row.date > to || rate === undefined) continue;
    sum = add(sum, rate);
    count += 1n;
  }
  if (count === 0n) {
    const rule = `needs at least one observation in ${curve.source}`;
    throw new RateError('rate-unavailable', `from..to: ${rule} (got none from ${from} to ${to})`, {
      field: 'from',
      rule,
    });
  }
  return div(sum, ratio(count));
}
