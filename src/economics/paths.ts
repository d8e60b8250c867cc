/**
 * The two paths a scenario runs on: the bill rate of each day (whole basis points) and the
 * supply it aims at each day. Both are the scenario's own (history, a hold, cuts; published
 * supply points or a growth rate); a Monte Carlo path adds seeded noise around them
 * (`Random`), in integers only.
 */
import { addDays, daysBetween } from '../calendar.ts';
import { assert, ClearpegError } from '../errors.ts';
import type { Micro } from '../money/money.ts';
import type { RateCurve } from '../reserves/rates.ts';
import type { Random } from './random.ts';
import type { MonteCarlo, Scenario } from './scenario.ts';

/** The day of the scenario a date falls on (0 = `start`). */
export function dayIndex(scenario: Scenario, date: string): number {
  return daysBetween(scenario.start, date);
}

/** Every date of the scenario, `start` first. */
export function scenarioDates(scenario: Scenario): string[] {
  const dates = new Array<string>(scenario.days);
  for (let d = 0; d < scenario.days; d++) dates[d] = addDays(scenario.start, d);
  return dates;
}

/**
 * The history's rate (bp) on each date: the last observation on or before it, the last one
 * after the history ends. A date before the history starts is refused naming `start`.
 * @example historyBp(loadDtb3(), ['2024-12-31'])[0] === 423
 */
export function historyBp(curve: RateCurve, dates: readonly string[]): Int32Array {
  const out = new Int32Array(dates.length);
  const rows = curve.rows;
  const first = rows[0];
  if (first === undefined || (dates.length > 0 && dates[0]! < first.date))
    throw new ClearpegError(
      'scenario-invalid',
      `start: the rate history ${curve.source} begins on ${first?.date ?? 'no date'} (got ${dates[0]})`,
      { field: 'start', rule: `on or after the first day of ${curve.source}` },
    );
  let row = 0;
  for (const [d, date] of dates.entries()) {
    while (row + 1 < rows.length && rows[row + 1]!.date <= date) row++;
    const rate = rows[row]!.ratesPct[0];
    assert(rate !== undefined, 'every row of a one-tenor curve has its rate');
    const scaled = rate.num * 100n;
    assert(scaled % rate.den === 0n, 'a DTB3 rate has at most two decimals');
    out[d] = Number(scaled / rate.den);
  }
  return out;
}

/**
 * The scenario's own rate path (bp per day): its model, then its rate shocks from their day on.
 * @example baseRates(holdScenario, curve).every((r) => r === holdScenario.rates.bp)
 */
export function baseRates(
  scenario: Scenario,
  curve: RateCurve,
  dates: readonly string[],
): Int32Array {
  const model = scenario.rates;
  let out: Int32Array;
  if (model.kind === 'history') out = historyBp(curve, dates);
  else if (model.kind === 'hold') out = new Int32Array(scenario.days).fill(model.bp);
  else {
    out = new Int32Array(scenario.days);
    let rate = model.fromBp ?? historyBp(curve, dates.slice(0, 1))[0]!;
    for (let d = 0; d < scenario.days; d++) {
      if (d > 0 && d % model.everyDays === 0) rate = Math.max(model.floorBp, rate - model.cutBp);
      out[d] = rate;
    }
  }
  for (const stress of scenario.stresses) {
    if (stress.kind !== 'rate-shock') continue;
    for (let d = dayIndex(scenario, stress.day); d < scenario.days; d++) out[d]! += stress.bp;
  }
  return out;
}

/**
 * A Monte Carlo rate path: the base path plus a mean-reverting deviation, each day
 * x ← x − x × reversion + vol × z (z standard normal, in 1/4096 bp), rounded to whole bp.
 * @example noisyRates(base, mc, new Random(1, 7)).length === base.length
 */
export function noisyRates(base: Int32Array, mc: MonteCarlo, random: Random): Int32Array {
  const out = new Int32Array(base.length);
  let x = 0; // deviation × 4096 (bp)
  for (let d = 0; d < base.length; d++) {
    if (d > 0)
      x = x - Math.trunc((x * mc.rateReversionBps) / 10_000) + mc.rateVolBp * random.normal4096();
    out[d] = base[d]! + Math.round(x / 4096);
  }
  return out;
}

/**
 * The supply the scenario aims at on each day: straight lines between published points (the
 * first from `initial` on day 0), flat after the last; or `initial` grown daily by
 * `growthBpsPerYear` / 365, rounded down.
 * @example targetSupply(s, dates)[0] === s.supply.initial
 */
export function targetSupply(scenario: Scenario, dates: readonly string[]): bigint[] {
  const { initial, points, growthBpsPerYear } = scenario.supply;
  const out = new Array<bigint>(dates.length);
  if (points.length === 0) {
    let supply: bigint = initial;
    for (let d = 0; d < dates.length; d++) {
      if (d > 0) supply += (supply * BigInt(growthBpsPerYear)) / 3_650_000n;
      out[d] = supply < 0n ? 0n : supply;
    }
    return out;
  }
  let from = { day: 0, supply: initial as bigint };
  let next = 0;
  for (let d = 0; d < dates.length; d++) {
    while (next < points.length && dayIndex(scenario, points[next]!.date) <= d) {
      from = { day: dayIndex(scenario, points[next]!.date), supply: points[next]!.supply };
      next++;
    }
    const to = points[next];
    if (to === undefined) out[d] = from.supply;
    else {
      const span = BigInt(dayIndex(scenario, to.date) - from.day);
      out[d] = from.supply + ((to.supply - from.supply) * BigInt(d - from.day)) / span;
    }
  }
  return out;
}

/** A day's gross flows. */
export interface Flows {
  readonly minted: Micro;
  readonly redeemed: Micro;
}

/**
 * Draws each day's flows against the supply as it stands: the target's relative change,
 * plus noise (`flowVolBps` × z of the supply) on a Monte Carlo path, plus the turnover both
 * ways. The caller adds runs.
 */
export class FlowModel {
  constructor(
    private readonly target: readonly bigint[],
    private readonly turnoverBpsPerDay: number,
    private readonly flowVolBps: number,
    private readonly random: Random | undefined,
  ) {}

  /** The flows of day `d` (≥ 1) for a supply of `supply` at the end of the day before. */
  on(d: number, supply: bigint): Flows {
    const before = this.target[d - 1]!;
    let net = before === 0n ? this.target[d]! : ((this.target[d]! - before) * supply) / before;
    if (this.random !== undefined && this.flowVolBps > 0)
      net += (supply * BigInt(this.flowVolBps * this.random.normal4096())) / 40_960_000n;
    const turnover = (supply * BigInt(this.turnoverBpsPerDay)) / 10_000n;
    const minted = (net > 0n ? net : 0n) + turnover;
    let redeemed = (net < 0n ? -net : 0n) + turnover;
    if (redeemed > supply + minted) redeemed = supply + minted;
    return { minted: minted as Micro, redeemed: redeemed as Micro };
  }
}
