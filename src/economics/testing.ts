/**
 * What the simulator's tests share: a small scenario to vary, and the accounting identities
 * every simulated day must satisfy.
 */
import assert from 'node:assert/strict';
import type { Day } from './engine.ts';
import { defaultMonteCarlo, treasuryPolicy } from './presets.ts';
import type { ScenarioJson } from './scenario.ts';

/**
 * A $10B issuer on the 2024 history: a 28/91-day ladder, repo, a fund, costs and fees.
 * @example parseScenario(smallScenario({ days: 30 }))
 */
export function smallScenario(overrides: Partial<ScenarioJson> = {}): ScenarioJson {
  return {
    name: 'small',
    title: 'A small issuer for tests',
    start: '2024-01-02',
    days: 120,
    seed: 7,
    capital: '500000000',
    supply: { initial: '10000000000', growthBpsPerYear: 2_000, points: [], turnoverBpsPerDay: 30 },
    reserves: { ...treasuryPolicy, cashBps: 300, repoBps: 1_000, mmfBps: 500, cashRateBp: 100 },
    fees: { mintBps: 5, redeemBps: 10 },
    revenueShareBps: 2_000,
    operatingCostsPerYear: '36500000',
    dividendBps: 2_500,
    rates: { kind: 'history' },
    investments: [],
    stresses: [],
    monteCarlo: { ...defaultMonteCarlo, runChanceBpsPerYear: 2_000 },
    ...overrides,
  };
}

/**
 * Asserts, for every day: assets − liabilities = equity; the day's net income is the sum of its
 * lines; equity moves by exactly net income less dividends from the day before; and over the
 * whole run, income equals the change in equity net of dividends.
 */
export function assertIdentities(days: readonly Day[], capital: bigint): void {
  let previous = capital;
  let income = 0n;
  let dividends = 0n;
  for (const d of days) {
    const assets = d.cash + d.frozen + d.repo + d.mmf + d.bills + d.bets;
    assert.equal(
      assets - d.supply - d.owed,
      d.equity,
      `assets − liabilities = equity on ${d.date}`,
    );
    assert.equal(
      d.interest + d.trading + d.fees + d.betResult - d.creditLosses - d.distribution - d.operating,
      d.net,
      `net income is the sum of its lines on ${d.date}`,
    );
    assert.equal(
      d.equity - previous,
      d.net - d.dividends,
      `equity moves by net − dividends on ${d.date}`,
    );
    assert.ok(
      d.cash >= 0n && d.repo >= 0n && d.mmf >= 0n && d.bills >= 0n,
      `no negative asset on ${d.date}`,
    );
    previous = d.equity;
    income += d.net;
    dividends += d.dividends;
  }
  assert.equal(days.at(-1)!.equity - capital, income - dividends, 'income = Δequity + dividends');
}
