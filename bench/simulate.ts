/**
 * What the economics simulator costs: `npm run bench -- simulate` (`BENCH_QUICK=1`: 100 paths).
 *
 * The scenario: a $100B issuer with a Treasury book (weekly 28- and 91-day bills, repo, a
 * fund), growing 10 % a year, on the shipped DTB3 history of the ten years to 2026-03-26
 * (3,652 days), with fees, costs, dividends and an outside bet; Monte Carlo paths add a
 * mean-reverting rate deviation, daily flow noise and random runs (each path's bills are its
 * own, bought at its own rates, so every path computes its own accretion schedules).
 *
 * Timed:
 *   simulate.montecarlo.seconds   1,000 paths (BENCH_QUICK: 100) over the worker threads (one
 *                                 per core), summaries merged: the figure against the 10 s target;
 *   simulate.path.seconds         the scenario's own path, every day's figures kept (median of 5);
 *   simulate.baseline.plain_loop  the same days in a plain loop that only accrues one balance at
 *                                 the day's rate in bigint: the least a daily simulation costs
 *                                 (median of 5), beside the path in the same run.
 *
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { availableParallelism } from 'node:os';
import { runPaths } from '../src/economics/pool.ts';
import { defaultMonteCarlo, treasuryPolicy } from '../src/economics/presets.ts';
import { parseScenario, type ScenarioJson } from '../src/economics/scenario.ts';
import { prepare, simulate, summarize } from '../src/economics/simulate.ts';
import { formatAmount } from '../src/money/money.ts';
import { loadDtb3 } from '../src/reserves/rates.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const paths = quick ? 100 : 1_000;
const threads = availableParallelism();

const scenario: ScenarioJson = {
  name: 'bench',
  title: 'A $100B Treasury issuer over ten years of real rates',
  start: '2016-03-25',
  days: 3_654,
  seed: 2_026,
  capital: '5000000000',
  supply: { initial: '100000000000', growthBpsPerYear: 1_000, points: [], turnoverBpsPerDay: 20 },
  reserves: treasuryPolicy,
  fees: { mintBps: 0, redeemBps: 10 },
  revenueShareBps: 1_000,
  operatingCostsPerYear: '200000000',
  dividendBps: 2_000,
  rates: { kind: 'history' },
  investments: [{ name: 'venture', amount: '1000000000', day: '2018-01-02', annualReturnBps: 500 }],
  stresses: [],
  monteCarlo: { ...defaultMonteCarlo, paths },
};

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The baseline: one balance accrued daily at the day's rate, actual/360, in a plain loop. */
function plainLoop(ratesBp: Int32Array, initial: bigint): bigint {
  let balance = initial;
  for (let d = 1; d < ratesBp.length; d++) balance += (balance * BigInt(ratesBp[d]!)) / 3_600_000n;
  return balance;
}

printMachine();
const parsed = parseScenario(scenario);
const prepared = prepare(parsed, loadDtb3());
console.log(
  `# ${parsed.days} days from ${parsed.start}, ${paths} Monte Carlo paths on ${threads} threads`,
);

const pathMs: number[] = [];
let own: ReturnType<typeof simulate> | undefined;
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  own = simulate(prepared);
  pathMs.push(performance.now() - t);
}
const loopMs: number[] = [];
let sink = 0n;
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  sink += plainLoop(prepared.ratesBp, parsed.supply.initial + parsed.capital);
  loopMs.push(performance.now() - t);
}
console.log(`# the path's net income ${formatAmount(own!.summary.net)}; plain loop ${sink > 0n}`);

const started = performance.now();
const summaries = await runPaths(prepared, scenario, { threads });
const seconds = (performance.now() - started) / 1000;
const spread = summarize(summaries);
console.log(
  `# Monte Carlo net income p5 ${formatAmount(spread.net.p5)}, median ${formatAmount(spread.net.p50)}, p95 ${formatAmount(spread.net.p95)}; coverage breached in ${spread.breaches.coverage.paths} paths`,
);

print('simulate.montecarlo.seconds', seconds, 's');
print('simulate.montecarlo.paths_per_second', paths / seconds, 'paths/s');
print('simulate.path.seconds', median(pathMs) / 1000, 's');
print('simulate.baseline.plain_loop.seconds', median(loopMs) / 1000, 's');
print('simulate.path.vs_plain_loop', median(pathMs) / median(loopMs), '×');
print('simulate.peak_rss', process.resourceUsage().maxRSS / 1024, 'MiB');
