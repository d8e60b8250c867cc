/**
 * The simulator's entry points: the scenario's own path, day by day (`simulate`), and the
 * Monte Carlo paths around it (`monteCarloPaths` for a range of paths, which the worker pool of
 * src/economics/pool.ts spreads over threads; `summarize` for what the paths say together).
 * Path p draws from `new Random(seed, p + 1)` whatever thread runs it, so the same seed gives
 * the same paths, and the same bytes out, on one thread or many.
 */
import type { RateCurve } from '../reserves/rates.ts';
import { type Day, type PathSummary, runPath } from './engine.ts';
import { baseRates, FlowModel, noisyRates, scenarioDates, targetSupply } from './paths.ts';
import { Random } from './random.ts';
import type { Scenario } from './scenario.ts';

/** What every path of a scenario shares: its dates, its own rate path, its target supply. */
export interface Prepared {
  readonly scenario: Scenario;
  readonly dates: readonly string[];
  readonly ratesBp: Int32Array;
  readonly target: readonly bigint[];
}

/**
 * Computes what every path shares.
 * @example prepare(scenario, loadDtb3()).dates.length === scenario.days
 */
export function prepare(scenario: Scenario, curve: RateCurve): Prepared {
  const dates = scenarioDates(scenario);
  return {
    scenario,
    dates,
    ratesBp: baseRates(scenario, curve, dates),
    target: targetSupply(scenario, dates),
  };
}

/**
 * The scenario's own path (no noise, no random runs), every day's figures.
 * @example simulate(prepare(scenario, curve)).summary.net
 */
export function simulate(prepared: Prepared): { days: Day[]; summary: PathSummary } {
  const { scenario, dates, ratesBp, target } = prepared;
  const flows = new FlowModel(target, scenario.supply.turnoverBpsPerDay, 0, undefined);
  return runPath({ scenario, dates, ratesBp, flows, detail: true });
}

/**
 * Monte Carlo paths `from` … `to − 1`: each with its own rate deviation, flow noise and
 * random runs. `onPath` is called after each.
 * @example monteCarloPaths(prepared, 0, 10).length === 10
 */
export function monteCarloPaths(
  prepared: Prepared,
  from: number,
  to: number,
  onPath?: (done: number) => void,
): PathSummary[] {
  const { scenario, dates, target } = prepared;
  const mc = scenario.monteCarlo;
  const out: PathSummary[] = [];
  for (let p = from; p < to; p++) {
    const random = new Random(scenario.seed, p + 1);
    const ratesBp = noisyRates(prepared.ratesBp, mc, random);
    const flows = new FlowModel(target, scenario.supply.turnoverBpsPerDay, mc.flowVolBps, random);
    out.push(runPath({ scenario, dates, ratesBp, flows, random, detail: false }).summary);
    onPath?.(p - from + 1);
  }
  return out;
}

/** Percentiles of one figure over the paths (nearest rank). */
export interface Spread {
  readonly p5: bigint;
  readonly p50: bigint;
  readonly p95: bigint;
  readonly min: bigint;
  readonly max: bigint;
}

/** What the Monte Carlo paths say together. */
export interface MonteCarloSummary {
  readonly paths: number;
  readonly net: Spread;
  readonly endEquity: Spread;
  readonly minEquity: Spread;
  /** Over the paths that owed anything; null when none did. */
  readonly minCoverageBps: Spread | null;
  readonly maxOwed: Spread;
  /** How many paths broke each way, and the earliest and median first day of those that did. */
  readonly breaches: Readonly<
    Record<
      'coverage' | 'buffer' | 'liquidity' | 'equity',
      { readonly paths: number; readonly earliest: string | null; readonly median: string | null }
    >
  >;
}

function spread(values: bigint[]): Spread {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q * sorted.length) / 100) - 1))]!;
  return {
    p5: rank(5),
    p50: rank(50),
    p95: rank(95),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

/**
 * Percentiles and breach counts over Monte Carlo paths (at least one).
 * @example summarize(monteCarloPaths(prepared, 0, 100)).breaches.coverage.paths
 */
export function summarize(paths: readonly PathSummary[]): MonteCarloSummary {
  if (paths.length === 0) throw new RangeError('paths: at least one Monte Carlo path to summarize');
  const coverage = paths.flatMap((p) => (p.minCoverageBps === null ? [] : [p.minCoverageBps]));
  const breach = (key: keyof PathSummary['breaches']) => {
    const days = paths.flatMap((p) => (p.breaches[key] === null ? [] : [p.breaches[key]!])).sort();
    return {
      paths: days.length,
      earliest: days[0] ?? null,
      median: days.length === 0 ? null : days[Math.ceil(days.length / 2) - 1]!,
    };
  };
  return {
    paths: paths.length,
    net: spread(paths.map((p) => p.net)),
    endEquity: spread(paths.map((p) => p.endEquity)),
    minEquity: spread(paths.map((p) => p.minEquity)),
    minCoverageBps: coverage.length === 0 ? null : spread(coverage),
    maxOwed: spread(paths.map((p) => p.maxOwed)),
    breaches: {
      coverage: breach('coverage'),
      buffer: breach('buffer'),
      liquidity: breach('liquidity'),
      equity: breach('equity'),
    },
  };
}
