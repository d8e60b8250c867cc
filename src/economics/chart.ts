/**
 * A deterministic SVG line chart of the simulator's daily series, with no dependency.
 *
 * Panels are stacked vertically, each with its own y scale, "nice" ticks, a legend and an
 * optional horizontal reference line (100 % coverage, zero equity). Money stays bigint to the
 * last step: a value becomes a pixel by `(v − min) × height / (max − min)` in bigint arithmetic,
 * and only that pixel (in tenths) is a number. Long series are downsampled per pixel column,
 * keeping each column's minimum and maximum, so a one-day spike survives ten years of dates.
 * The same chart always gives the same bytes: no clock, no random ids, no locale formatting.
 */
import { dateParts } from '../calendar.ts';
import { divCeil, divFloor, divHalfAwayFromZero, microPerUnit } from '../money/money.ts';

/** One line: a name for the legend and one value per date of the chart. */
export interface ChartSeries {
  readonly name: string;
  readonly values: readonly bigint[];
}

/** One stacked panel with its own y scale. */
export interface ChartPanel {
  readonly title: string;
  /** 'usd': values are micro-dollars (Micro), labelled $1.2B / $350M / −$4.1M; 'bps': basis points, labelled as percent (10450 → 104.5 %). */
  readonly unit: 'usd' | 'bps';
  readonly series: readonly ChartSeries[];
  /** Optional horizontal reference line (e.g. 10000 bps = 100 % coverage, or 0 equity), same unit. */
  readonly reference?: { readonly label: string; readonly value: bigint };
}

/** A chart: its dates (YYYY-MM-DD, strictly ascending), shared by every panel and series. */
export interface Chart {
  readonly title: string;
  readonly dates: readonly string[];
  readonly panels: readonly ChartPanel[];
  readonly note?: string;
}

/** The most dates a chart takes: a century of calendar days. */
export const chartDatesMax = 36_600;
/** The most panels a chart takes. */
export const chartPanelsMax = 6;
/** Line colours, in series order; a panel takes at most this many series. */
export const chartPalette: readonly string[] = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
];

const width = 960;
const left = 84;
const right = 24;
const titleHeight = 36;
const panelHeight = 250;
const plotTopOffset = 50;
const plotBottomOffset = 30;
const noteHeight = 24;
/** Plot width in pixels, the number of downsampling columns (less one). */
const plotWidth = width - left - right;
const plotHeight = panelHeight - plotTopOffset - plotBottomOffset;
/** At most this many intervals between y ticks. */
const yIntervalsMax = 6;
/** At most this many x labels. */
const xLabelsMax = 12;
const monthNames = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];
const minus = '\u2212';

/**
 * The chart as an SVG document (UTF-8 text, no XML declaration).
 * Throws a RangeError for an empty or oversized chart, a panel without series, a series whose
 * length differs from the dates', or dates not strictly ascending; a `date-invalid`
 * ClearpegError for a date that is not a calendar date.
 * @example
 * renderSvg({
 *   title: 'Coverage',
 *   dates: ['2024-01-02', '2024-01-03'],
 *   panels: [{ title: 'Reserves / supply', unit: 'bps', series: [{ name: 'coverage', values: [10_050n, 10_040n] }],
 *     reference: { label: '100 %', value: 10_000n } }],
 * }).startsWith('<svg') === true
 */
export function renderSvg(chart: Chart): string {
  check(chart);
  const panelsHeight = chart.panels.length * panelHeight;
  const height = titleHeight + panelsHeight + (chart.note === undefined ? 8 : noteHeight);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="${left}" y="24" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  const xs = chart.dates.map((_, index) => xTenths(index, chart.dates.length));
  chart.panels.forEach((panel, index) => {
    out.push(renderPanel(panel, index, titleHeight + index * panelHeight, chart.dates, xs));
  });
  if (chart.note !== undefined)
    out.push(
      `<text class="note" x="${left}" y="${titleHeight + panelsHeight + 14}" fill="#555555">${escapeXml(chart.note)}</text>`,
    );
  out.push('</svg>\n');
  return out.join('\n');
}

function check(chart: Chart): void {
  const count = chart.dates.length;
  if (count === 0) throw new RangeError('chart.dates: at least one date is required');
  if (count > chartDatesMax)
    throw new RangeError(`chart.dates: at most ${chartDatesMax} dates (got ${count})`);
  chart.dates.forEach((date, index) => {
    dateParts(date, `dates.${index}`);
    if (index > 0 && date <= chart.dates[index - 1]!)
      throw new RangeError(`chart.dates.${index}: dates must be strictly ascending (got ${date})`);
  });
  if (chart.panels.length === 0)
    throw new RangeError('chart.panels: at least one panel is required');
  if (chart.panels.length > chartPanelsMax)
    throw new RangeError(`chart.panels: at most ${chartPanelsMax} panels`);
  chart.panels.forEach((panel, p) => {
    if (panel.unit !== 'usd' && panel.unit !== 'bps')
      throw new RangeError(`chart.panels.${p}.unit: 'usd' or 'bps' (got ${String(panel.unit)})`);
    if (panel.series.length === 0)
      throw new RangeError(`chart.panels.${p}.series: panel '${panel.title}' has no series`);
    if (panel.series.length > chartPalette.length)
      throw new RangeError(`chart.panels.${p}.series: at most ${chartPalette.length} series`);
    panel.series.forEach((series, s) => {
      if (series.values.length !== count)
        throw new RangeError(
          `chart.panels.${p}.series.${s}.values: one value per date (${count}, got ${series.values.length})`,
        );
      for (const value of series.values)
        if (typeof value !== 'bigint')
          throw new TypeError(`chart.panels.${p}.series.${s}.values: bigints only`);
    });
    if (panel.reference !== undefined && typeof panel.reference.value !== 'bigint')
      throw new TypeError(`chart.panels.${p}.reference.value: a bigint`);
  });
}

/** The y scale of a panel: its ticks run from `low` to `high` by `step`. */
interface Scale {
  readonly low: bigint;
  readonly high: bigint;
  readonly step: bigint;
}

function renderPanel(
  panel: ChartPanel,
  index: number,
  top: number,
  dates: readonly string[],
  xs: readonly number[],
): string {
  const plotTop = top + plotTopOffset;
  const plotBottom = plotTop + plotHeight;
  const scale = niceScale(panel);
  const y = (value: bigint) => yTenths(value, scale, plotBottom);
  const out: string[] = [`<g class="panel" data-panel="${index}">`];
  out.push(
    `<text class="panel-title" x="${left}" y="${top + 20}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
  );
  let legendX = left;
  panel.series.forEach((series, s) => {
    const colour = chartPalette[s]!;
    out.push(
      `<line class="legend" x1="${legendX}" y1="${top + 34}" x2="${legendX + 16}" y2="${top + 34}" stroke="${colour}" stroke-width="2"/>`,
      `<text class="legend" x="${legendX + 20}" y="${top + 38}">${escapeXml(series.name)}</text>`,
    );
    legendX += 20 + series.name.length * 7 + 18;
  });
  for (let tick = scale.low; tick <= scale.high; tick += scale.step) {
    const at = fmt(y(tick));
    out.push(
      `<line class="grid" x1="${left}" y1="${at}" x2="${width - right}" y2="${at}" stroke="#e6e6e6"/>`,
      `<text class="y-tick" x="${left - 6}" y="${fmt(y(tick) + 35)}" text-anchor="end">${escapeXml(formatTick(panel.unit, tick, scale.step))}</text>`,
    );
  }
  out.push(
    `<line class="axis" x1="${left}" y1="${plotBottom}" x2="${width - right}" y2="${plotBottom}" stroke="#999999"/>`,
  );
  for (const { index: at, label } of xTicks(dates)) {
    const x = fmt(xs[at]!);
    out.push(
      `<line class="x-tick" x1="${x}" y1="${plotBottom}" x2="${x}" y2="${plotBottom + 4}" stroke="#999999"/>`,
      `<text class="x-tick" x="${x}" y="${plotBottom + 16}" text-anchor="middle">${escapeXml(label)}</text>`,
    );
  }
  if (panel.reference !== undefined) {
    const at = fmt(y(panel.reference.value));
    out.push(
      `<line class="reference" x1="${left}" y1="${at}" x2="${width - right}" y2="${at}" stroke="#555555" stroke-dasharray="4 3"/>`,
      `<text class="reference" x="${width - right - 4}" y="${fmt(y(panel.reference.value) - 40)}" text-anchor="end" fill="#555555">${escapeXml(panel.reference.label)}</text>`,
    );
  }
  panel.series.forEach((series, s) => {
    out.push(renderLine(series, chartPalette[s]!, xs, y));
  });
  out.push('</g>');
  return out.join('\n');
}

/**
 * One series as a path, one or two points per pixel column: the column's minimum and maximum,
 * in date order, so the extremes of every column are drawn. A single point is a dot.
 */
function renderLine(
  series: ChartSeries,
  colour: string,
  xs: readonly number[],
  y: (value: bigint) => number,
): string {
  const values = series.values;
  const kept: number[] = [];
  let column = -1;
  let lowest = 0;
  let highest = 0;
  const flush = () => {
    if (column < 0) return;
    kept.push(Math.min(lowest, highest));
    if (lowest !== highest) kept.push(Math.max(lowest, highest));
  };
  values.forEach((value, index) => {
    const at = columnOf(index, values.length);
    if (at !== column) {
      flush();
      column = at;
      lowest = index;
      highest = index;
    } else if (value < values[lowest]!) lowest = index;
    else if (value > values[highest]!) highest = index;
  });
  flush();
  const name = escapeXml(series.name);
  if (kept.length === 1) {
    const at = kept[0]!;
    return `<circle class="series" data-name="${name}" cx="${fmt(xs[at]!)}" cy="${fmt(y(values[at]!))}" r="2.5" fill="${colour}"/>`;
  }
  const points: string[] = [];
  let previous = '';
  for (const at of kept) {
    const point = `${fmt(xs[at]!)} ${fmt(y(values[at]!))}`;
    if (point === previous) continue;
    points.push((points.length === 0 ? 'M' : 'L') + point);
    previous = point;
  }
  return `<path class="series" data-name="${name}" d="${points.join('')}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-linejoin="round"/>`;
}

/** The pixel column (0 … plotWidth) of the `index`th of `count` dates. */
function columnOf(index: number, count: number): number {
  return count === 1 ? 0 : Math.floor((index * plotWidth) / (count - 1));
}

/** The x of the `index`th of `count` dates, in tenths of a pixel; a lone date sits mid-plot. */
function xTenths(index: number, count: number): number {
  if (count === 1) return (left + plotWidth / 2) * 10;
  const span = count - 1;
  return left * 10 + Math.floor((2 * index * plotWidth * 10 + span) / (2 * span));
}

/** The y of `value`, in tenths of a pixel: bigint arithmetic until the pixel. */
function yTenths(value: bigint, scale: Scale, plotBottom: number): number {
  const offset = divHalfAwayFromZero(
    (value - scale.low) * BigInt(plotHeight * 10),
    scale.high - scale.low,
  );
  return plotBottom * 10 - Number(offset);
}

/** The smallest tick step of each unit: one cent, one basis point. */
const stepMin = { usd: microPerUnit / 100n, bps: 1n } as const;
/** Half the span given to a constant series of zeros: one dollar, one percent. */
const padZero = { usd: microPerUnit, bps: 100n } as const;

/**
 * The y scale of a panel: the range of its values and reference, widened to whole ticks of
 * the smallest step 1, 2 or 5 × 10^k that gives at most `yIntervalsMax` intervals.
 */
function niceScale(panel: ChartPanel): Scale {
  let min = panel.series[0]!.values[0]!;
  let max = min;
  const seen = panel.series.flatMap((series) => series.values);
  if (panel.reference !== undefined) seen.push(panel.reference.value);
  for (const value of seen) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min === max) {
    const magnitude = min < 0n ? -min : min;
    const pad = magnitude === 0n ? padZero[panel.unit] : divCeil(magnitude, 10n);
    min -= pad;
    max += pad;
  }
  for (let power = 1n; ; power *= 10n)
    for (const mantissa of [1n, 2n, 5n]) {
      const step = mantissa * power;
      if (step < stepMin[panel.unit]) continue;
      const low = divFloor(min, step) * step;
      const high = divCeil(max, step) * step;
      if ((high - low) / step <= BigInt(yIntervalsMax)) return { low, high, step };
    }
}

/** Divisors and suffixes of dollar labels, largest first, in micro-dollars. */
const usdUnits = [
  { divisor: 1_000_000_000n * microPerUnit, suffix: 'B' },
  { divisor: 1_000_000n * microPerUnit, suffix: 'M' },
  { divisor: 1_000n * microPerUnit, suffix: 'K' },
  { divisor: microPerUnit, suffix: '' },
];

/** The divisor and suffix of a tick's label: percent, or dollars by the tick's magnitude. */
function labelUnit(unit: 'usd' | 'bps', value: bigint): { divisor: bigint; suffix: string } {
  if (unit === 'bps') return { divisor: 100n, suffix: ' %' };
  const magnitude = value < 0n ? -value : value;
  return usdUnits.find((candidate) => magnitude >= candidate.divisor) ?? usdUnits.at(-1)!;
}

/**
 * A tick label: `$1.5B`, `−$350M`, `$0`, `104.5 %`. Its decimals are the fewest that print
 * every multiple of `step` exactly in the tick's unit, so the labels of one unit align.
 */
function formatTick(unit: 'usd' | 'bps', value: bigint, step: bigint): string {
  if (value === 0n) return unit === 'usd' ? '$0' : '0 %';
  const { divisor, suffix } = labelUnit(unit, value);
  let decimals = 0;
  while ((step * 10n ** BigInt(decimals)) % divisor !== 0n) decimals += 1;
  const magnitude = value < 0n ? -value : value;
  const tenPower = 10n ** BigInt(decimals);
  const scaled = divHalfAwayFromZero(magnitude * tenPower, divisor).toString();
  const digits = scaled.padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const number = decimals === 0 ? whole : `${whole}.${digits.slice(digits.length - decimals)}`;
  const sign = value < 0n ? minus : '';
  return unit === 'usd' ? `${sign}$${number}${suffix}` : `${sign}${number}${suffix}`;
}

/**
 * The x ticks: the first date of each month (or January, over more than two years), thinned to
 * at most `xLabelsMax`; a chart that crosses no boundary labels its first date.
 */
function xTicks(dates: readonly string[]): { index: number; label: string }[] {
  const months: { index: number; year: string; month: number }[] = [];
  dates.forEach((date, index) => {
    const previous = dates[index - 1];
    const starts =
      previous === undefined ? date.endsWith('-01') : previous.slice(0, 7) !== date.slice(0, 7);
    if (starts) months.push({ index, year: date.slice(0, 4), month: Number(date.slice(5, 7)) });
  });
  if (months.length === 0) return [{ index: 0, label: dates[0]! }];
  const years = months.filter((tick) => tick.month === 1);
  if (months.length > 24 && years.length >= 2) {
    const every = [1, 2, 5, 10, 20].find((n) => Math.ceil(years.length / n) <= xLabelsMax) ?? 50;
    return years
      .filter((tick) => Number(tick.year) % every === 0)
      .map((tick) => ({ index: tick.index, label: tick.year }));
  }
  const every = [1, 2, 3, 6, 12].find((n) => Math.ceil(months.length / n) <= xLabelsMax) ?? 12;
  return months
    .filter((tick) => (tick.month - 1) % every === 0)
    .map((tick, i) => ({
      index: tick.index,
      label:
        tick.month === 1 || i === 0
          ? `${monthNames[tick.month - 1]} ${tick.year}`
          : monthNames[tick.month - 1]!,
    }));
}

/** Tenths of a pixel as text with at most one decimal: 1234 → "123.4", 1230 → "123". */
function fmt(tenths: number): string {
  const whole = Math.trunc(tenths / 10);
  const rest = Math.abs(tenths % 10);
  const sign = tenths < 0 && whole === 0 ? '-' : '';
  return rest === 0 ? `${sign}${whole}` : `${sign}${whole}.${rest}`;
}

/** Text safe in XML content and attribute values. */
function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/**
 * A figure in the charts' compact form with two decimals: `$5.18B`, `−$350.00M`, `92.05 %`.
 * @example formatCompact('usd', 5_184_158_720_463_543n) === '$5.18B'
 */
export function formatCompact(unit: 'usd' | 'bps', value: bigint): string {
  const { divisor } = labelUnit(unit, value);
  return formatTick(unit, value, divisor >= 100n ? divisor / 100n : 1n);
}
