/**
 * Simple interest on a money-market balance: overnight repo (actual/360, as the repo market
 * quotes it), a government money-market fund's daily dividend (actual/365) and interest on a
 * bank deposit. One rounding, half-up to the micro-dollar, of the exact product. Pure.
 */
import type { Micro } from '../money/money.ts';
import { halfUp, type Ratio } from './decimal.ts';

/** The day-count bases: money-market instruments count actual days over 360 or 365. */
export type DayCountBasis = 360 | 365;

/**
 * Interest on `principal` at `ratePct` (percent per year) for `days` on actual/`basis`,
 * rounded half-up to the micro-dollar. A negative rate gives negative interest.
 * @example simpleInterest(1_000_000_000_000n as Micro, { num: 5n, den: 1n }, 1, 360) === 138_888_889n
 */
export function simpleInterest(
  principal: Micro,
  ratePct: Ratio,
  days: number,
  basis: DayCountBasis,
): bigint {
  // principal × rate/100 × days/basis, exactly, then rounded once (`ratePct.den` > 0).
  return halfUp(principal * ratePct.num * BigInt(days), ratePct.den * BigInt(basis) * 100n);
}

/**
 * Interest on `principal` at `ratePct` for `days` on actual/360, rounded half-up to the
 * micro-dollar: what a repo pays at its maturity.
 * @example repoInterest(1_000_000_000_000n as Micro, { num: 5n, den: 1n }, 1) === 138_888_889n
 */
export function repoInterest(principal: Micro, ratePct: Ratio, days: number): Micro {
  return simpleInterest(principal, ratePct, days, 360) as Micro;
}
