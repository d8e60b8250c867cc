/**
 * The `clearpeg-demo` preset: the running issuer's own book as the starting point, read from
 * its latest attestation (which `clearpeg simulate` fetches and verifies as `clearpeg verify`
 * does, so the book simulated is the book anyone can check). Positions the attestation counts
 * as eligible open the book as cash, repo, fund shares and bills; the rest (outside
 * investments, anything ineligible) opens as non-reserve assets. Everything owed (tokens,
 * customers' dollars, payables) is the supply. Then the issuer's year ahead on the policy of a
 * Treasury book, at the last published bill rate.
 */
import { daysBetween, newYorkDate } from '../calendar.ts';
import { parseAmount } from '../money/money.ts';
import type { Attestation } from '../proofs/attestation.ts';
import type { Preset } from './presets.ts';
import { presetDefaults, treasuryPolicy } from './presets.ts';
import { dollars, type ScenarioJson } from './scenario.ts';

/** The day an attestation speaks for, in New York. */
function attestationDay(a: Attestation): string {
  const at = Date.parse(a.asOf);
  return Number.isNaN(at) ? a.asOf.slice(0, 10) : newYorkDate(at);
}

/**
 * The preset of the issuer whose latest attestation is `a`.
 * @example demoPreset(attestation).scenario.start === '2026-12-06'
 */
export function demoPreset(a: Attestation): Preset {
  const start = attestationDay(a);
  let cash = 0n;
  let repo = 0n;
  let mmf = 0n;
  let bets = 0n;
  const bills: { face: string; value: string; maturityDate: string }[] = [];
  for (const [i, p] of a.reserves.positions.entries()) {
    const value = parseAmount(p.value, `reserves.positions.${i}.value`);
    if (!p.eligible || p.kind === 'investment') bets += value;
    else if (p.kind === 'tbill' && p.bill !== null && daysBetween(start, p.bill.maturity) >= 1)
      bills.push({ face: p.bill.face, value: p.value, maturityDate: p.bill.maturity });
    else if (p.kind === 'repo') repo += value;
    else if (p.kind === 'mmf') mmf += value;
    else cash += value; // cash, and a bill maturing today
  }
  const owed = parseAmount(a.liabilities.total, 'liabilities.total');
  const assets =
    cash + repo + mmf + bets + bills.reduce((sum, b) => sum + parseAmount(b.value), 0n);
  const eligible = parseAmount(a.reserves.eligible, 'reserves.eligible');
  const scenario: ScenarioJson = {
    name: 'clearpeg-demo',
    title: `The running issuer's attested book of ${start}, a year ahead`,
    start,
    days: 365,
    ...presetDefaults,
    seed: 1,
    capital: dollars(assets - owed),
    supply: { initial: dollars(owed), growthBpsPerYear: 0, points: [], turnoverBpsPerDay: 0 },
    reserves: treasuryPolicy,
    operatingCostsPerYear: '0',
    rates: { kind: 'history' },
    book: {
      cash: dollars(cash),
      repo: dollars(repo),
      mmf: dollars(mmf),
      bets: dollars(bets),
      bills,
    },
  };
  return {
    name: 'clearpeg-demo',
    scenario,
    headlines: ({ days }) => [
      {
        label: 'Owed to holders on the first day (tokens, customer dollars, payables)',
        unit: 'usd',
        simulated: days[0]!.supply,
        published: owed,
        source: `the attestation of ${a.asOf}, ledger record ${a.ledger.seq}`,
        tolerance: { kind: 'exact' },
      },
      {
        label: 'Eligible reserves on the first day',
        unit: 'usd',
        simulated: days[0]!.eligible,
        published: eligible,
        source: `the attestation of ${a.asOf} (ruleset ${a.reserves.ruleset})`,
        tolerance: { kind: 'exact' },
      },
      {
        label: 'Equity on the first day',
        unit: 'usd',
        simulated: days[0]!.equity,
        published: assets - owed,
        source: 'the attestation: every position less everything owed',
        tolerance: { kind: 'exact' },
      },
    ],
  };
}
