/**
 * What a simulation prints: the text summary (income statement, equity, coverage, breaches,
 * the headlines beside the published figures, the Monte Carlo spreads), the JSON document
 * (`clearpeg-simulation/1`), the daily CSV (with the liquidity buckets of the reserves
 * module), and the SVG chart. All deterministic: the same result gives the same bytes.
 */

import { addDays } from '../calendar.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import type { Holding, Portfolio } from '../reserves/instruments.ts';
import { bucketNames, liquidityBuckets } from '../reserves/liquidity.ts';
import { type Chart, formatCompact, renderSvg } from './chart.ts';
import type { Day, PathSummary } from './engine.ts';
import { type Headline, withinTolerance } from './presets.ts';
import type { ScenarioJson } from './scenario.ts';
import type { MonteCarloSummary, Spread } from './simulate.ts';

/** A simulation's result, as the command prints it. */
export interface SimulationResult {
  readonly scenario: ScenarioJson;
  readonly days: readonly Day[];
  readonly summary: PathSummary;
  readonly headlines: readonly Headline[];
  readonly monteCarlo: MonteCarloSummary | null;
}

/** The format of the JSON document. */
export const simulationFormat = 'clearpeg-simulation/1';

const money = (value: bigint) => formatAmount(value);

/**
 * The liquidity buckets of a day's book (src/reserves/liquidity.ts): cash and the fund
 * same-day, overnight repo next day, bills by maturity or T+1 sale less the haircut, bets
 * beyond; frozen cash at a failed bank is beyond too (the module knows no failed bank).
 * @example bucketsOf(day)['same-day'] >= day.cash
 */
export function bucketsOf(day: Day): Record<(typeof bucketNames)[number], bigint> {
  const base = { custodian: 'simulated', jurisdiction: 'US' };
  const holdings: Holding[] = [
    {
      position: {
        ...base,
        kind: 'cash',
        id: 'cash:banks',
        bank: 'banks',
        amount: day.cash as Micro,
        centralBank: false,
        insuredInstitution: true,
        insured: 0n as Micro,
      },
      value: day.cash as Micro,
    },
    {
      position: {
        ...base,
        kind: 'mmf',
        id: 'mmf:fund',
        fund: 'fund',
        government: true,
        amount: day.mmf as Micro,
      },
      value: day.mmf as Micro,
    },
    {
      position: {
        ...base,
        kind: 'repo',
        id: 'repo:overnight',
        counterparty: 'overnight',
        principal: day.repo as Micro,
        startDate: day.date,
        maturityDate: addDays(day.date, 1),
        ratePct: '0',
        collateral: [],
      },
      value: day.repo as Micro,
      daysToMaturity: 1,
    },
    ...(day.lots ?? []).map(
      (lot, i): Holding => ({
        position: {
          ...base,
          kind: 'tbill',
          id: `tbill:lot-${i}`,
          cusip: '',
          face: lot.face as Micro,
          cost: lot.carrying as Micro,
          issueDate: day.date,
          maturityDate: lot.maturityDate,
          tradeDate: day.date,
          settlementDate: day.date,
        },
        value: lot.carrying as Micro,
      }),
    ),
    {
      position: {
        ...base,
        kind: 'investment',
        id: 'investment:bets',
        asset: 'other',
        name: 'bets',
        amount: day.bets as Micro,
      },
      value: day.bets as Micro,
    },
  ];
  const portfolio: Portfolio = { asOf: day.date, liabilities: day.supply as Micro, holdings };
  const { buckets } = liquidityBuckets(portfolio);
  return { ...buckets, beyond: buckets.beyond + day.frozen };
}

const csvColumns = [
  'date',
  'rate_bp',
  'supply',
  'minted',
  'redeemed',
  'owed',
  'cash',
  'frozen',
  'repo',
  'mmf',
  'bills',
  'bets',
  'equity',
  'eligible',
  'coverage_bps',
  'interest',
  'accretion',
  'trading',
  'fees',
  'bet_result',
  'credit_losses',
  'distribution',
  'operating',
  'net',
  'dividends',
  'same_day',
  'next_day',
  'within_week',
  'beyond',
] as const;

/**
 * The days as CSV: one row a day, money in dollars with six decimals.
 * @example simulationCsv(result).split('\n')[0].startsWith('date,rate_bp,supply')
 */
export function simulationCsv(result: SimulationResult): string {
  const lines = [csvColumns.join(',')];
  for (const d of result.days) {
    const b = bucketsOf(d);
    lines.push(
      [
        d.date,
        String(d.rateBp),
        ...[
          d.supply,
          d.minted,
          d.redeemed,
          d.owed,
          d.cash,
          d.frozen,
          d.repo,
          d.mmf,
          d.bills,
          d.bets,
          d.equity,
          d.eligible,
        ].map(money),
        d.coverageBps === null ? '' : String(d.coverageBps),
        ...[
          d.interest,
          d.accretion,
          d.trading,
          d.fees,
          d.betResult,
          d.creditLosses,
          d.distribution,
          d.operating,
          d.net,
          d.dividends,
          b['same-day'],
          b['next-day'],
          b['within-week'],
          b.beyond,
        ].map(money),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function headlineJson(h: Headline) {
  const value = (v: bigint | string | null) =>
    v === null ? null : typeof v === 'string' ? v : h.unit === 'usd' ? money(v) : v.toString();
  const t = h.tolerance;
  return {
    label: h.label,
    unit: h.unit,
    simulated: value(h.simulated),
    published: value(h.published),
    source: h.source,
    tolerance:
      t === null
        ? null
        : t.kind === 'relative'
          ? { kind: t.kind, bps: t.bps }
          : t.kind === 'absolute'
            ? { kind: t.kind, amount: h.unit === 'usd' ? money(t.amount) : t.amount.toString() }
            : { kind: t.kind },
    within: withinTolerance(h),
  };
}

function summaryJson(s: PathSummary) {
  return {
    net: money(s.net),
    interest: money(s.interest),
    trading: money(s.trading),
    fees: money(s.fees),
    betResult: money(s.betResult),
    creditLosses: money(s.creditLosses),
    distribution: money(s.distribution),
    operating: money(s.operating),
    dividends: money(s.dividends),
    endEquity: money(s.endEquity),
    minEquity: money(s.minEquity),
    minCoverageBps: s.minCoverageBps === null ? null : s.minCoverageBps.toString(),
    maxOwed: money(s.maxOwed),
    endSupply: money(s.endSupply),
    breaches: s.breaches,
    unfunded: s.unfunded.map((u) => ({ name: u.name, missing: money(u.missing) })),
  };
}

function spreadJson(s: Spread, unit: 'usd' | 'bps') {
  const f = (v: bigint) => (unit === 'usd' ? money(v) : v.toString());
  return { p5: f(s.p5), p50: f(s.p50), p95: f(s.p95), min: f(s.min), max: f(s.max) };
}

/**
 * The JSON document: the scenario, the headlines, the summary, every day, the Monte Carlo
 * spreads. Money as decimal strings.
 * @example JSON.parse(simulationJson(result)).format === 'clearpeg-simulation/1'
 */
export function simulationJson(result: SimulationResult): string {
  const mc = result.monteCarlo;
  return `${JSON.stringify(
    {
      format: simulationFormat,
      scenario: result.scenario,
      headlines: result.headlines.map(headlineJson),
      summary: summaryJson(result.summary),
      monteCarlo:
        mc === null
          ? null
          : {
              paths: mc.paths,
              net: spreadJson(mc.net, 'usd'),
              endEquity: spreadJson(mc.endEquity, 'usd'),
              minEquity: spreadJson(mc.minEquity, 'usd'),
              minCoverageBps:
                mc.minCoverageBps === null ? null : spreadJson(mc.minCoverageBps, 'bps'),
              maxOwed: spreadJson(mc.maxOwed, 'usd'),
              breaches: mc.breaches,
            },
      days: result.days.map((d) => {
        const { lots: _lots, ...figures } = d;
        const out: Record<string, string | number | null | Record<string, string>> = {};
        for (const [key, value] of Object.entries(figures))
          out[key] =
            typeof value === 'bigint'
              ? key === 'coverageBps'
                ? value.toString()
                : money(value)
              : value;
        const buckets = bucketsOf(d);
        out.liquidity = Object.fromEntries(bucketNames.map((name) => [name, money(buckets[name])]));
        return out;
      }),
    },
    null,
    2,
  )}\n`;
}

/**
 * The chart: cumulative net income and interest; eligible coverage with its 100 % line;
 * equity with its zero line.
 * @example simulationSvg(result).startsWith('<svg')
 */
export function simulationSvg(result: SimulationResult): string {
  const days = result.days;
  let net = 0n;
  let interest = 0n;
  const cumulativeNet: bigint[] = [];
  const cumulativeInterest: bigint[] = [];
  for (const d of days) {
    net += d.net;
    interest += d.interest;
    cumulativeNet.push(net);
    cumulativeInterest.push(interest);
  }
  const chart: Chart = {
    title: `${result.scenario.name}: ${result.scenario.title}`,
    dates: days.map((d) => d.date),
    panels: [
      {
        title: 'Income since the first day',
        unit: 'usd',
        series: [
          { name: 'interest income', values: cumulativeInterest },
          { name: 'net income', values: cumulativeNet },
        ],
        reference: { label: 'zero', value: 0n },
      },
      {
        title: 'Eligible reserves ÷ what is owed',
        unit: 'bps',
        series: [{ name: 'coverage', values: days.map((d) => d.coverageBps ?? 10_000n) }],
        reference: { label: '100 %', value: 10_000n },
      },
      {
        title: 'Equity',
        unit: 'usd',
        series: [{ name: 'equity', values: days.map((d) => d.equity) }],
        reference: { label: 'zero', value: 0n },
      },
    ],
    note: `seed ${result.scenario.seed}; clearpeg simulate --preset ${result.scenario.name}`,
  };
  return renderSvg(chart);
}

function describeHeadline(h: Headline): string[] {
  const show = (v: bigint | string | null) =>
    v === null
      ? '—'
      : typeof v === 'string'
        ? v
        : h.unit === 'usd'
          ? formatCompact('usd', v)
          : h.unit === 'bps'
            ? formatCompact('bps', v)
            : v.toString();
  const within = withinTolerance(h);
  const mark = within === null ? '·' : within ? 'ok' : 'OUT';
  const lines = [`  ${mark.padEnd(3)} ${h.label}`];
  let detail = `      simulated ${show(h.simulated)}`;
  if (h.published !== null) detail += `, published ${show(h.published)}`;
  if (typeof h.simulated === 'bigint' && typeof h.published === 'bigint') {
    const gap = h.simulated - h.published;
    if (h.unit === 'bps') detail += `, difference ${gap < 0n ? `−${-gap}` : gap} bp`;
    else if (h.published !== 0n) {
      const bps = (gap * 10_000n) / (h.published < 0n ? -h.published : h.published);
      detail += `, difference ${formatCompact('bps', bps)}`;
    }
  }
  const t = h.tolerance;
  if (t !== null)
    detail +=
      t.kind === 'relative'
        ? `, tolerance ±${formatCompact('bps', BigInt(t.bps))}`
        : t.kind === 'absolute'
          ? `, tolerance ±${h.unit === 'usd' ? formatCompact('usd', t.amount) : `${t.amount} bp`}`
          : ', tolerance: exact';
  lines.push(detail, `      source: ${h.source}`);
  return lines;
}

/**
 * The text the command prints by default.
 * @example simulationText(result).join('\n')
 */
export function simulationText(result: SimulationResult): string[] {
  const s = result.scenario;
  const sum = result.summary;
  const first = result.days[0]!;
  const last = result.days.at(-1)!;
  const row = (label: string, value: bigint) =>
    `  ${label.padEnd(36)} ${money(value).padStart(26)}`;
  const lines = [
    `${s.name}: ${s.title}`,
    `  ${first.date} to ${last.date}, ${result.days.length} days, seed ${s.seed}`,
    '',
    'income statement (simulated)',
    row('interest income', sum.interest),
    row('realized gains and losses', sum.trading),
    row('fee income', sum.fees),
    row('outside bets (return, write-downs)', sum.betResult),
    row('credit losses', -sum.creditLosses),
    row('distribution costs', -sum.distribution),
    row('operating costs', -sum.operating),
    row('net income', sum.net),
    row('dividends paid', sum.dividends),
    '',
    row('equity, first day', first.equity),
    row('equity, last day', last.equity),
    row('lowest equity', sum.minEquity),
    row('supply, last day', last.supply),
    `  ${'lowest eligible coverage'.padEnd(36)} ${(sum.minCoverageBps === null ? '—' : formatCompact('bps', sum.minCoverageBps)).padStart(26)}`,
    '',
    'breaches (first day)',
    `  coverage under 100 %: ${sum.breaches.coverage ?? 'none'}; under the buffer: ${sum.breaches.buffer ?? 'none'}`,
    `  a payment not made when due: ${sum.breaches.liquidity ?? 'none'}; equity under zero: ${sum.breaches.equity ?? 'none'}`,
  ];
  for (const u of sum.unfunded)
    lines.push(`  bet ${u.name} not funded in full: ${money(u.missing)} missing excess`);
  if (result.headlines.length > 0) {
    lines.push('', 'headlines beside the published figures');
    for (const h of result.headlines) lines.push(...describeHeadline(h));
  }
  const mc = result.monteCarlo;
  if (mc !== null) {
    const spread = (label: string, x: Spread, unit: 'usd' | 'bps') =>
      `  ${label.padEnd(24)} p5 ${formatCompact(unit, x.p5)}, median ${formatCompact(unit, x.p50)}, p95 ${formatCompact(unit, x.p95)}`;
    lines.push('', `Monte Carlo: ${mc.paths} paths of rates and redemptions, seed ${s.seed}`);
    lines.push(
      spread('net income', mc.net, 'usd'),
      spread('equity, last day', mc.endEquity, 'usd'),
    );
    if (mc.minCoverageBps !== null) lines.push(spread('lowest coverage', mc.minCoverageBps, 'bps'));
    for (const [name, b] of Object.entries(mc.breaches))
      lines.push(
        `  ${`${name} breached`.padEnd(24)} in ${b.paths} of ${mc.paths} paths${b.paths === 0 ? '' : `, first on ${b.earliest}, median first day ${b.median}`}`,
      );
  }
  return lines;
}
