/**
 * The presets: scenarios built from what their subjects published, each with the headline
 * figures it is checked against (docs/economics.md gives every source and why each tolerance
 * is what it is). A headline compares a simulated figure with a published one (or one derived
 * from published figures by a stated formula) within a tolerance; a headline without a
 * tolerance is context, printed and not judged.
 */
import { daysBetween } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { parseAmount } from '../money/money.ts';
import type { Day, PathSummary } from './engine.ts';
import type { ScenarioJson } from './scenario.ts';

/** How far a simulated figure may be from the published one. */
export type Tolerance =
  | { readonly kind: 'relative'; readonly bps: number }
  | { readonly kind: 'absolute'; readonly amount: bigint }
  | { readonly kind: 'exact' };

/** One headline figure beside the published one. */
export interface Headline {
  readonly label: string;
  /** `usd`: micro-dollars; `bps`: basis points; `date`: a day (or none). */
  readonly unit: 'usd' | 'bps' | 'date';
  readonly simulated: bigint | string | null;
  readonly published: bigint | string | null;
  /** Where the published figure comes from (docs/economics.md has the links). */
  readonly source: string;
  /** Null: context, not judged. */
  readonly tolerance: Tolerance | null;
}

/** What a preset's headlines are computed from: the scenario's own path. */
export interface PresetRun {
  readonly days: readonly Day[];
  readonly summary: PathSummary;
}

/** A preset: its scenario and its headlines. */
export interface Preset {
  readonly name: string;
  readonly scenario: ScenarioJson;
  readonly headlines: (run: PresetRun) => Headline[];
}

/** The presets one can name (`clearpeg-demo` is built from a running issuer's attestation). */
export const presetNames = [
  'issuer-2024',
  'circle-2024',
  'svb-2023',
  'rate-cuts',
  'clearpeg-demo',
] as const;
export type PresetName = (typeof presetNames)[number];

/**
 * Whether a headline is within its tolerance (null: context, not judged).
 * @example withinTolerance({ ...h, simulated: 105n, published: 100n, tolerance: { kind: 'relative', bps: 500 } }) === true
 */
export function withinTolerance(h: Headline): boolean | null {
  const t = h.tolerance;
  if (t === null) return null;
  if (typeof h.simulated !== 'bigint' || typeof h.published !== 'bigint')
    return h.simulated === h.published;
  const gap = h.simulated - h.published;
  const size = gap < 0n ? -gap : gap;
  if (t.kind === 'exact') return gap === 0n;
  if (t.kind === 'absolute') return size <= t.amount;
  const base = h.published < 0n ? -h.published : h.published;
  return size * 10_000n <= base * BigInt(t.bps);
}

/** `x` billion (or million) dollars, in micro-dollars: `billion('4.95')`. */
const billion = (x: number | string) => parseAmount(`${x}`) * 1_000_000_000n;
const million = (x: number | string) => parseAmount(`${x}`) * 1_000_000n;

/** Sums a day figure over the days from `from` to `to` (inclusive). */
function sumBetween(days: readonly Day[], key: keyof Day, from: string, to: string): bigint {
  let sum = 0n;
  for (const day of days) if (day.date >= from && day.date <= to) sum += day[key] as bigint;
  return sum;
}

/** A day's figures, by date (the last day on or before it). */
function dayOn(days: readonly Day[], date: string): Day {
  let found = days[0]!;
  for (const day of days) if (day.date <= date) found = day;
  return found;
}

/** The mean of (cash + repo + fund + bills) over the days from `from` to `to`. */
function meanReserves(days: readonly Day[], from: string, to: string): bigint {
  let sum = 0n;
  let n = 0n;
  for (const d of days)
    if (d.date >= from && d.date <= to) {
      sum += d.cash + d.repo + d.mmf + d.bills;
      n++;
    }
  return n === 0n ? 0n : sum / n;
}

/**
 * The Monte Carlo settings every preset starts with (no paths until asked): a rate deviation
 * of 4 bp a day fading 1 % a day, flows 0.4 % of supply a day, a 15 % run over 5 days 3 % of
 * years (docs/economics.md, "Monte Carlo").
 */
export const defaultMonteCarlo = {
  paths: 0,
  rateVolBp: 4,
  rateReversionBps: 100,
  flowVolBps: 40,
  runChanceBpsPerYear: 300,
  runShareBps: 1_500,
  runDays: 5,
};

/** What every preset's scenario shares unless it says otherwise. */
export const presetDefaults = {
  seed: 20_240_101,
  fees: { mintBps: 0, redeemBps: 0 },
  revenueShareBps: 0,
  dividendBps: 0,
  investments: [],
  stresses: [],
  monteCarlo: defaultMonteCarlo,
} satisfies Partial<ScenarioJson>;

/** A Treasury book like the largest issuer's: bills on a weekly ladder, repo, a fund. */
export const treasuryPolicy = {
  cashBps: 100,
  repoBps: 1_200,
  mmfBps: 1_000,
  tenorsDays: [28, 91],
  buyEveryDays: 7,
  repoSpreadBp: 0,
  mmfFeeBp: 10,
  cashRateBp: 0,
  eligibleMaxDays: 93,
  bufferBps: 300,
  saleSpreadBp: 5,
};

const issuer2024: Preset = {
  name: 'issuer-2024',
  scenario: {
    ...presetDefaults,
    name: 'issuer-2024',
    title: "The largest issuer's Treasury book through 2024, on the 3-month bill rate",
    start: '2024-01-01',
    days: 366,
    capital: '4000000000',
    supply: {
      initial: '80700000000',
      growthBpsPerYear: 0,
      points: [
        { date: '2024-03-31', supply: '90000000000' },
        { date: '2024-06-30', supply: '97600000000' },
        { date: '2024-12-31', supply: '113000000000' },
      ],
      turnoverBpsPerDay: 10,
    },
    reserves: treasuryPolicy,
    fees: { mintBps: 0, redeemBps: 10 },
    operatingCostsPerYear: '200000000',
    rates: { kind: 'history' },
    investments: [
      { name: 'gpu-cloud-loan', amount: '610000000', day: '2024-01-02', annualReturnBps: 0 },
      { name: 'brain-interface', amount: '200000000', day: '2024-04-29', annualReturnBps: 0 },
      { name: 'robotics-stake', amount: '75600000', day: '2024-12-02', annualReturnBps: 0 },
      { name: 'robotics-round', amount: '1200000000', day: '2024-12-16', annualReturnBps: 0 },
    ],
    stresses: [{ kind: 'drawdown', day: '2024-12-31', shareBps: 5_000 }],
  },
  headlines: ({ days, summary }) => {
    const before = dayOn(days, '2024-12-30');
    const after = dayOn(days, '2024-12-31');
    const profit = summary.net - summary.betResult;
    const bets = issuer2024.scenario.investments.map((bet) => ({
      label: `${bet.name} ($${bet.amount}): its share of the year's profit before write-downs`,
      unit: 'bps' as const,
      simulated: profit <= 0n ? null : (parseAmount(bet.amount) * 10_000n) / profit,
      published: null,
      source: 'the amount as reported (docs/economics.md)',
      tolerance: null,
    }));
    return [
      {
        label: 'Treasury income 2024 (bills, repo, fund)',
        unit: 'usd',
        simulated: summary.interest,
        published: billion(7),
        source: "Tether's Q4 2024 attestation release, 2025-01-31",
        tolerance: { kind: 'relative', bps: 3_500 },
      },
      {
        label: 'Treasury income 2024: exposure × the 2024 bill yield',
        unit: 'usd',
        simulated: summary.interest,
        published: billion('4.95'),
        source: 'exposure path × DTB3 2024 mean, bond-equivalent (docs/economics.md)',
        tolerance: { kind: 'relative', bps: 500 },
      },
      {
        label: 'Net profit 2024 (context: $5B of it were unrealized gold and bitcoin gains)',
        unit: 'usd',
        simulated: summary.net,
        published: billion(13),
        source: "Tether's Q4 2024 attestation release, 2025-01-31",
        tolerance: null,
      },
      ...bets,
      {
        label: 'Equity before the bets are written down by half (2024-12-30)',
        unit: 'usd',
        simulated: before.equity,
        published: null,
        source: 'simulated',
        tolerance: null,
      },
      {
        label: 'Equity after (2024-12-31)',
        unit: 'usd',
        simulated: after.equity,
        published: null,
        source: 'simulated',
        tolerance: null,
      },
      {
        label: 'Eligible coverage after the write-down: unchanged, the bets were never reserves',
        unit: 'bps',
        simulated: after.coverageBps,
        published: before.coverageBps,
        source: 'simulated, the day before',
        tolerance: { kind: 'absolute', amount: 5n },
      },
    ];
  },
};

const circle2024: Preset = {
  name: 'circle-2024',
  scenario: {
    ...presetDefaults,
    name: 'circle-2024',
    title: 'USDC through 2024: reserve income, distribution costs, operating costs',
    start: '2024-01-01',
    days: 366,
    capital: '300000000',
    supply: {
      initial: '24400000000',
      growthBpsPerYear: 0,
      points: [{ date: '2024-12-31', supply: '44000000000' }],
      turnoverBpsPerDay: 20,
    },
    reserves: {
      ...treasuryPolicy,
      cashBps: 1_200,
      repoBps: 0,
      mmfBps: 8_800,
      mmfFeeBp: 8,
      cashRateBp: 400,
      bufferBps: 100,
    },
    revenueShareBps: 6_087,
    operatingCostsPerYear: '492000000',
    rates: { kind: 'history' },
  },
  headlines: ({ summary }) => [
    {
      label: 'Reserve income 2024',
      unit: 'usd',
      simulated: summary.interest,
      published: million(1661),
      source: 'Circle Internet Group, Form S-1, 2025-04-01',
      tolerance: { kind: 'relative', bps: 500 },
    },
    {
      label: 'Distribution and transaction costs 2024',
      unit: 'usd',
      simulated: summary.distribution,
      published: million(1011),
      source: 'Circle Internet Group, Form S-1, 2025-04-01',
      tolerance: { kind: 'relative', bps: 500 },
    },
    {
      label: 'Net income 2024 (simulated before tax and other items)',
      unit: 'usd',
      simulated: summary.net,
      published: million(156),
      source: 'Circle Internet Group, Form S-1, 2025-04-01',
      tolerance: { kind: 'absolute', amount: million(30) },
    },
  ],
};

const svb2023: Preset = {
  name: 'svb-2023',
  scenario: {
    ...presetDefaults,
    name: 'svb-2023',
    title: 'USDC and Silicon Valley Bank, March 2023: $3.3B frozen over a weekend, and the run',
    start: '2023-03-01',
    days: 45,
    capital: '50000000',
    supply: {
      initial: '43500000000',
      growthBpsPerYear: 0,
      points: [
        { date: '2023-03-09', supply: '43500000000' },
        { date: '2023-03-10', supply: '42400000000' },
        { date: '2023-03-14', supply: '38200000000' },
        { date: '2023-03-31', supply: '32600000000' },
      ],
      turnoverBpsPerDay: 0,
    },
    reserves: {
      ...treasuryPolicy,
      cashBps: 2_300,
      repoBps: 0,
      mmfBps: 0,
      tenorsDays: [28, 56, 91],
      bufferBps: 0,
    },
    operatingCostsPerYear: '0',
    rates: { kind: 'history' },
    stresses: [
      {
        kind: 'bank-failure',
        day: '2023-03-10',
        days: 3,
        shareBps: 0,
        amount: '3300000000',
        lossBps: 0,
      },
    ],
  },
  headlines: ({ days, summary }) => [
    {
      label: 'Lowest eligible coverage while $3.3B was frozen',
      unit: 'bps',
      simulated: summary.minCoverageBps,
      published: 9_220n,
      source: 'Circle, 2023-03-10 and 03-11: $3.3B of ~$40B at SVB; 38.8 / 42.1',
      tolerance: { kind: 'absolute', amount: 50n },
    },
    {
      label: 'First day under 100 % coverage',
      unit: 'date',
      simulated: summary.breaches.coverage,
      published: '2023-03-10',
      source: 'SVB closed Friday 2023-03-10',
      tolerance: { kind: 'exact' },
    },
    {
      label: 'Coverage on Monday 2023-03-13, when deposits were released (≥ 100 %)',
      unit: 'bps',
      simulated: (dayOn(days, '2023-03-13').coverageBps ?? 0n) >= 10_000n ? 10_000n : 0n,
      published: 10_000n,
      source: 'Treasury, Fed and FDIC joint statement, 2023-03-12',
      tolerance: { kind: 'exact' },
    },
    {
      label: 'Net redemptions 2023-03-10 to 03-14',
      unit: 'usd',
      simulated:
        sumBetween(days, 'redeemed', '2023-03-10', '2023-03-14') -
        sumBetween(days, 'minted', '2023-03-10', '2023-03-14'),
      published: million(5300),
      source: 'The Block, on-chain: $43.5B → $38.2B',
      tolerance: { kind: 'relative', bps: 1_000 },
    },
    {
      label: 'Redemptions left unpaid on the day they fell due',
      unit: 'usd',
      simulated: summary.maxOwed,
      published: 0n,
      source: 'Circle paid every redemption at par',
      tolerance: { kind: 'exact' },
    },
  ],
};

const rateCuts: Preset = {
  name: 'rate-cuts',
  scenario: {
    ...presetDefaults,
    name: 'rate-cuts',
    title: 'A $100B Treasury book through the 2024–2026 cuts, on the shipped bill rate',
    start: '2024-01-01',
    days: daysBetween('2024-01-01', '2026-03-26') + 1,
    capital: '5000000000',
    supply: { initial: '100000000000', growthBpsPerYear: 0, points: [], turnoverBpsPerDay: 0 },
    reserves: treasuryPolicy,
    operatingCostsPerYear: '0',
    rates: { kind: 'history' },
  },
  headlines: ({ days }) => {
    const income = (from: string, to: string) => sumBetween(days, 'interest', from, to);
    const perBillion = (from: string, to: string) =>
      (income(from, to) * billion(1)) / meanReserves(days, from, to);
    const y2024 = perBillion('2024-01-01', '2024-12-31');
    const y2025 = perBillion('2025-01-01', '2025-12-31');
    return [
      {
        label: 'Interest per $1B of reserves, 2024',
        unit: 'usd',
        simulated: y2024,
        published: million('51.0'),
        source: 'DTB3 2024 mean 4.97 %, bond-equivalent 5.10 % (FRED)',
        tolerance: { kind: 'relative', bps: 200 },
      },
      {
        label: 'Interest per $1B of reserves, 2025',
        unit: 'usd',
        simulated: y2025,
        published: million('41.6'),
        source: 'DTB3 2025 mean 4.07 %, bond-equivalent 4.16 % (FRED)',
        tolerance: { kind: 'relative', bps: 200 },
      },
      {
        label: 'Interest per $1B, 2026 to 03-26, a year’s pace',
        unit: 'usd',
        simulated:
          (income('2026-01-01', '2026-03-26') * billion(1) * 365n) /
          (85n * meanReserves(days, '2026-01-01', '2026-03-26')),
        published: null,
        source: 'after 175 bp of cuts, 2024-09-18 to 2025-12-10',
        tolerance: null,
      },
    ];
  },
};

/**
 * The preset named `name` (`clearpeg-demo` is not here: it needs the running issuer's book,
 * see src/economics/demo.ts); an unknown name is refused listing the names.
 * @example preset('circle-2024').scenario.revenueShareBps === 6087
 */
export function preset(name: string): Preset {
  const found = [issuer2024, circle2024, svb2023, rateCuts].find((p) => p.name === name);
  if (found === undefined)
    throw new ClearpegError(
      'preset-unknown',
      `preset: must be one of ${presetNames.join(', ')} (got ${JSON.stringify(name)})`,
      { field: 'preset', rule: `one of ${presetNames.join(', ')}` },
    );
  return found;
}
