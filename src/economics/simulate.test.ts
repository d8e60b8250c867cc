import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays } from '../calendar.ts';
import type { Micro } from '../money/money.ts';
import { accretionBetween } from '../reserves/accretion.ts';
import { billCost, marketValue, pricePer100 } from '../reserves/bills.ts';
import { loadDtb3 } from '../reserves/rates.ts';
import { unitSchedule } from './engine.ts';
import { runPaths } from './pool.ts';
import { bucketsOf, simulationCsv, simulationJson, simulationSvg } from './report.ts';
import { parseScenario, type ScenarioJson } from './scenario.ts';
import { monteCarloPaths, prepare, simulate, summarize } from './simulate.ts';
import { assertIdentities, smallScenario } from './testing.ts';

const curve = loadDtb3();
const run = (json: ScenarioJson) => {
  const scenario = parseScenario(json);
  return { scenario, ...simulate(prepare(scenario, curve)) };
};

describe('the simulator', () => {
  it('keeps the accounting identities on every day, with every line moving', () => {
    const r = run(
      smallScenario({
        investments: [
          { name: 'loan', amount: '100000000', day: '2024-02-01', annualReturnBps: 800 },
        ],
        stresses: [
          { kind: 'bank-failure', day: '2024-03-01', days: 4, shareBps: 500, lossBps: 1_000 },
          { kind: 'rate-shock', day: '2024-03-04', bp: 150 },
          { kind: 'run', day: '2024-03-05', days: 3, shareBps: 3_000 },
          { kind: 'drawdown', day: '2024-04-01', shareBps: 5_000 },
        ],
      }),
    );
    assertIdentities(r.days, r.scenario.capital);
    // The liquidity buckets (the reserves module's) hold every asset, frozen cash beyond.
    for (const d of r.days) {
      const b = bucketsOf(d);
      const total = b['same-day'] + b['next-day'] + b['within-week'] + b.beyond;
      assert.equal(total, d.cash + d.frozen + d.repo + d.mmf + d.bills + d.bets, d.date);
      assert.ok(b.beyond >= d.frozen + d.bets, d.date);
    }
    const s = r.summary;
    for (const [line, value] of Object.entries({
      interest: s.interest,
      fees: s.fees,
      distribution: s.distribution,
      operating: s.operating,
      creditLosses: s.creditLosses,
      dividends: s.dividends,
    }))
      assert.ok(value > 0n, `${line} moved`);
    assert.ok(s.trading < 0n, 'bills sold after a rate rise realize a loss');
    assert.ok(s.betResult < 0n, 'the drawdown outweighs the loan’s interest');
    // The run redeems 30 % of supply over three days, on top of the day's flows.
    const during = r.days.filter((d) => d.date >= '2024-03-05' && d.date <= '2024-03-07');
    for (const d of during) assert.ok(d.redeemed > (d.supply * 900n) / 10_000n, `run on ${d.date}`);
    // Frozen from the failure to its release, and back in cash after.
    assert.ok(r.days.find((d) => d.date === '2024-03-02')!.frozen > 0n);
    assert.equal(r.days.find((d) => d.date === '2024-03-05')!.frozen, 0n);
  });

  it('earns on a bill exactly the reserves module’s accretion, face − cost over its life', () => {
    // A book of one 91-day bill and nothing else moving: the interest of its life is the
    // accretion of `accretionBetween`, day for day.
    const start = '2024-01-02';
    const face = 1_000_000_000_000n as Micro; // $1,000,000
    const price = pricePer100({ num: 500n, den: 100n }, 91);
    const cost = billCost(face, price);
    const json = smallScenario({
      start,
      days: 92,
      capital: '0',
      supply: { initial: '0', growthBpsPerYear: 0, points: [], turnoverBpsPerDay: 0 },
      fees: { mintBps: 0, redeemBps: 0 },
      revenueShareBps: 0,
      operatingCostsPerYear: '0',
      dividendBps: 0,
      rates: { kind: 'hold', bp: 500 },
      reserves: {
        ...smallScenario().reserves,
        cashBps: 10_000,
        repoBps: 0,
        mmfBps: 0,
        cashRateBp: 0,
      },
    });
    const value = `${cost / 1_000_000n}.${(cost % 1_000_000n).toString().padStart(6, '0')}`;
    const r = run({
      ...json,
      capital: value,
      book: {
        cash: '0',
        repo: '0',
        mmf: '0',
        bets: '0',
        bills: [{ face: '1000000', value, maturityDate: addDays(start, 91) }],
      },
    });
    const expected = accretionBetween(
      { cost, face, settlementDate: start, maturityDate: addDays(start, 91) },
      start,
      addDays(start, 91),
    );
    assert.deepEqual(
      r.days.slice(1).map((d) => d.accretion),
      expected,
    );
    assert.equal(r.summary.interest, face - cost);
    assert.equal(r.days.at(-1)!.cash, face);
    assertIdentities(r.days, r.scenario.capital);
  });

  it('carries a bought lot as that many $100 bills on the reserves module’s schedule', () => {
    // The schedule of one $100 bill is `billCost` then `accretionBetween`, cumulated.
    const table = unitSchedule(437, 91).carrying;
    const price = pricePer100({ num: 437n, den: 100n }, 91);
    const cost = billCost(100_000_000n as Micro, price);
    const acc = accretionBetween(
      {
        cost,
        face: 100_000_000n as Micro,
        settlementDate: '2000-01-03',
        maturityDate: addDays('2000-01-03', 91),
      },
      '2000-01-03',
      addDays('2000-01-03', 91),
    );
    assert.equal(table[0], cost);
    assert.equal(table.length, 92);
    for (let t = 1; t <= 91; t++) assert.equal(table[t]! - table[t - 1]!, acc[t - 1]);
    // A whole run's bills: each day's accretion is a multiple-of-units sum of those steps, and
    // every lot reaches its face (the engine asserts it at each maturity).
    const r = run(
      smallScenario({
        rates: { kind: 'hold', bp: 437 },
        reserves: { ...smallScenario().reserves, tenorsDays: [91] },
      }),
    );
    assert.ok(r.summary.interest > 0n);
    assertIdentities(r.days, r.scenario.capital);
  });

  it('sells bills in a run at the market price, realizing the difference from their carrying value', () => {
    const r = run(
      smallScenario({
        reserves: { ...smallScenario().reserves, cashBps: 0, repoBps: 0, mmfBps: 0 },
        stresses: [
          { kind: 'rate-shock', day: '2024-02-01', bp: 300 },
          { kind: 'run', day: '2024-02-02', days: 1, shareBps: 2_000 },
        ],
      }),
    );
    const day = r.days.find((d) => d.date === '2024-02-02')!;
    assert.ok(day.trading < 0n, 'a 300 bp rise makes the sale a loss');
    assert.equal(day.owed, 0n, 'the run is paid in full from the sale');
    // The loss is bounded by what a 300 bp rise does to a 91-day bill's price (plus the spread).
    const worst =
      marketValue(day.supply as Micro, { num: 0n, den: 1n }, 91) -
      marketValue(day.supply as Micro, { num: 305n, den: 100n }, 91);
    assert.ok(-day.trading < worst, 'the loss is what the price fell, not more');
    assertIdentities(r.days, r.scenario.capital);
  });

  it('funds an outside bet only from excess over the buffer, and says what was missing', () => {
    const r = run(
      smallScenario({
        dividendBps: 0,
        investments: [
          { name: 'moonshot', amount: '2000000000', day: '2024-01-10', annualReturnBps: 0 },
        ],
      }),
    );
    const day = r.days.find((d) => d.date === '2024-01-10')!;
    assert.ok(day.betsFunded > 0n && day.betsFunded < 2_000_000_000_000_000n);
    assert.equal(r.summary.unfunded.length, 1);
    assert.equal(r.summary.unfunded[0]!.missing, 2_000_000_000_000_000n - day.betsFunded);
    // After funding, eligible reserves still cover supply plus the 3 % buffer.
    assert.ok(day.eligible * 10_000n >= (day.supply + day.owed) * 10_300n);
    assert.equal(r.summary.breaches.buffer, null);
  });

  it('writes a bet down without touching eligible coverage: the bets were never reserves', () => {
    const r = run(
      smallScenario({
        investments: [
          { name: 'stake', amount: '100000000', day: '2024-01-10', annualReturnBps: 0 },
        ],
        stresses: [{ kind: 'drawdown', day: '2024-02-01', shareBps: 10_000 }],
      }),
    );
    const before = r.days.find((d) => d.date === '2024-01-31')!;
    const after = r.days.find((d) => d.date === '2024-02-01')!;
    assert.equal(after.bets, 0n);
    assert.equal(after.betResult, -before.bets);
    assert.ok(after.coverageBps! >= before.coverageBps! - 1n);
  });

  it('finds the day a frozen bank breaks coverage, and the day it heals', () => {
    const r = run(
      smallScenario({
        capital: '100000000',
        stresses: [
          {
            kind: 'bank-failure',
            day: '2024-02-05',
            days: 2,
            shareBps: 0,
            amount: '300000000',
            lossBps: 0,
          },
        ],
      }),
    );
    assert.equal(r.summary.breaches.coverage, '2024-02-05');
    assert.ok(r.days.find((d) => d.date === '2024-02-07')!.coverageBps! >= 10_000n);
  });

  it('gives byte-identical output for the same seed, and different Monte Carlo paths for another', async () => {
    const json = smallScenario({ monteCarlo: { ...smallScenario().monteCarlo, paths: 6 } });
    const once = run(json);
    const again = run(json);
    const result = (r: typeof once) => ({ ...r, scenario: json, headlines: [], monteCarlo: null });
    assert.equal(simulationJson(result(once)), simulationJson(result(again)));
    assert.equal(simulationCsv(result(once)), simulationCsv(result(again)));
    assert.equal(simulationSvg(result(once)), simulationSvg(result(again)));
    const prepared = prepare(parseScenario(json), curve);
    const inline = monteCarloPaths(prepared, 0, 6);
    assert.deepEqual(monteCarloPaths(prepared, 0, 6), inline);
    // On two threads, the same paths in the same order.
    assert.deepEqual(await runPaths(prepared, json, { threads: 2 }), inline);
    const other = monteCarloPaths(prepare(parseScenario({ ...json, seed: 8 }), curve), 0, 6);
    assert.notDeepEqual(other, inline);
    // Every path differs from the others and from the scenario's own.
    const nets = new Set(inline.map((p) => p.net));
    assert.equal(nets.size, 6);
    assert.ok(!nets.has(once.summary.net));
    const summary = summarize(inline);
    assert.ok(summary.net.p5 <= summary.net.p50 && summary.net.p50 <= summary.net.p95);
  });

  it('runs a Monte Carlo path with the same identities (a path in detail)', () => {
    // The engine asserts equity = capital + Σ net − Σ dividends on every day of every path; a
    // hundred paths with runs and rate noise exercise sales, owed amounts and dividends.
    const json = smallScenario({
      monteCarlo: {
        ...smallScenario().monteCarlo,
        paths: 100,
        runChanceBpsPerYear: 10_000,
        runShareBps: 6_000,
        runDays: 2,
      },
    });
    const paths = monteCarloPaths(prepare(parseScenario(json), curve), 0, 100);
    assert.ok(
      paths.some((p) => p.trading !== 0n),
      'some path sold bills',
    );
  });
});
