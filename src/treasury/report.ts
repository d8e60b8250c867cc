/**
 * The monthly reserve composition report (GENIUS Act §4(a)(1)(C): total outstanding tokens,
 * and the reserves' amount and composition, with each category's average tenor and where it
 * is held), judged by a ruleset, with liquidity; as JSON and as a printable HTML page.
 *
 * Figures are decimal strings. Average tenor is value-weighted days to maturity, two
 * decimals, rounded half-up; cash and fund shares have a tenor of 0 days (redeemable the same
 * day). Shares of reserves are percent with two decimals, rounded half-up (they describe, they
 * decide nothing: the rules compare exactly).
 */
import { addDays, isoDate, newYorkDate, newYorkDayEndUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { formatRatio, halfUp, ratio } from '../reserves/decimal.ts';
import {
  type AssetClass,
  type EligibilityReport,
  type EvaluationContext,
  evaluate,
  type Ruleset,
} from '../reserves/eligibility.ts';
import { daysCovered, liquidityBuckets } from '../reserves/liquidity.ts';
import type { RateCurve } from '../reserves/rates.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { type AsOfSource, asOfSource, type Basis, readBook } from './valuation.ts';

/** One category of reserves in the report. */
export interface ReportCategory {
  readonly category: AssetClass;
  readonly eligible: boolean;
  readonly amount: string;
  /** Of total reserves, percent. */
  readonly sharePct: string;
  readonly averageTenorDays: string;
  readonly custody: readonly { custodian: string; jurisdiction: string; amount: string }[];
  readonly holdings: number;
}

/** The report. */
export interface CompositionReport {
  readonly format: 'clearpeg-reserve-report/1';
  /** `YYYY-MM`, or null for a report on any day. */
  readonly month: string | null;
  readonly asOf: string;
  /**
   * `ledger`: today's book, from the accounts' running sums; `journal`: a past day's, from the
   * journal cut at the end of it (docs/reserves.md, "As of a past day").
   */
  readonly computedFrom: AsOfSource;
  readonly basis: Basis;
  readonly ruleset: string;
  readonly outstanding: { readonly total: string; readonly byChain: Record<string, string> };
  readonly categories: readonly ReportCategory[];
  readonly totals: {
    readonly totalReserves: string;
    readonly eligibleReserves: string;
    readonly liabilities: string;
    readonly coverageRatioPct: string | null;
    readonly excess: string;
    readonly shortfall: string;
  };
  readonly rules: readonly { id: string; outcome: string; reason: string }[];
  readonly ineligible: readonly { assetClass: string; amount: string; reason: string }[];
  readonly liquidity: {
    readonly buckets: Record<string, string>;
    /** The worst day of redemptions seen (UTC days), and how many such days same-day cash covers. */
    readonly worstDailyRedemptions: string;
    readonly sameDayCoversDays: string;
  };
}

/** The last day of `month` (`YYYY-MM`). */
export function monthEnd(month: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
    throw new ClearpegError('report-invalid', 'month must be YYYY-MM', {
      field: 'month',
      rule: 'YYYY-MM',
    });
  const [year, m] = month.split('-').map(Number) as [number, number];
  return addDays(`${m === 12 ? year + 1 : year}-${String((m % 12) + 1).padStart(2, '0')}-01`, -1);
}

const percentOf = (part: bigint, whole: bigint) =>
  whole === 0n ? '0.00' : formatRatio(ratio(part * 100n, whole), 2, halfUp);

/** The worst UTC day of redemptions on record (before `beforeUs` when given), micro-dollars. */
async function worstDailyRedemptions(ctx: IssuanceContext, beforeUs?: bigint): Promise<Micro> {
  const { rows } = await ctx.db.query<{ worst: string | null }>(
    `SELECT max(total)::text AS worst FROM (
       SELECT sum(amount) AS total FROM redemptions WHERE created_at_us < $1::bigint
       GROUP BY created_at_us / 86400000000
     ) days`,
    [String(beforeUs ?? 2n ** 63n - 1n)],
  );
  return BigInt(rows[0]?.worst ?? '0') as Micro;
}

/**
 * The composition report on `asOf` (a month's report: its last day), judged by `ruleset`.
 * @example const report = await compositionReport(ctx, genius, { month: '2024-12' })
 */
export async function compositionReport(
  ctx: IssuanceContext,
  ruleset: Ruleset,
  options: {
    month?: string;
    asOf?: string;
    basis?: Basis;
    curve?: RateCurve;
    context?: EvaluationContext;
  },
): Promise<CompositionReport> {
  const month = options.month ?? null;
  const asOf = month === null ? isoDate(options.asOf, 'asOf') : monthEnd(month);
  const basis = options.basis ?? 'amortized';
  // A past day (New York, by the context's clock) is read from the journal.
  const source = asOfSource(asOf, newYorkDate(Number(ctx.clockUs() / 1000n)));
  const book = await readBook(ctx, asOf, basis, options.curve, {
    source,
    field: month === null ? 'asOf' : 'month',
  });
  const judged: EligibilityReport = evaluate(ruleset, book.portfolio, options.context);
  const byClass = new Map<
    AssetClass,
    {
      eligible: boolean;
      amount: bigint;
      tenorWeighted: bigint;
      holdings: number;
      custody: Map<string, { custodian: string; jurisdiction: string; amount: bigint }>;
    }
  >();
  book.portfolio.holdings.forEach((holding, i) => {
    const verdict = judged.holdings[i]!;
    const entry = byClass.get(verdict.assetClass) ?? {
      eligible: true,
      amount: 0n,
      tenorWeighted: 0n,
      holdings: 0,
      custody: new Map(),
    };
    entry.eligible &&= verdict.eligible;
    entry.amount += holding.value;
    entry.tenorWeighted += holding.value * BigInt(Math.max(0, holding.daysToMaturity ?? 0));
    entry.holdings++;
    const where = `${holding.position.custodian}\u0000${holding.position.jurisdiction}`;
    const custody = entry.custody.get(where) ?? {
      custodian: holding.position.custodian,
      jurisdiction: holding.position.jurisdiction,
      amount: 0n,
    };
    custody.amount += holding.value;
    entry.custody.set(where, custody);
    byClass.set(verdict.assetClass, entry);
  });
  const total = judged.totals.totalReserves;
  const liquidity = liquidityBuckets(book.portfolio);
  const worst = await worstDailyRedemptions(
    ctx,
    source === 'journal' ? newYorkDayEndUs(asOf) : undefined,
  );
  const covered = daysCovered(liquidity.buckets['same-day'], worst);
  return {
    format: 'clearpeg-reserve-report/1',
    month,
    asOf,
    computedFrom: source,
    basis,
    ruleset: ruleset.name,
    outstanding: {
      total: formatAmount(book.portfolio.liabilities),
      byChain: Object.fromEntries(
        [...book.supplyByChain].map(([chain, amount]) => [chain, formatAmount(amount)]),
      ),
    },
    categories: [...byClass].map(([category, entry]) => ({
      category,
      eligible: entry.eligible,
      amount: formatAmount(entry.amount),
      sharePct: percentOf(entry.amount, total),
      averageTenorDays:
        entry.amount === 0n
          ? '0.00'
          : formatRatio(ratio(entry.tenorWeighted, entry.amount), 2, halfUp),
      custody: [...entry.custody.values()].map((c) => ({
        custodian: c.custodian,
        jurisdiction: c.jurisdiction,
        amount: formatAmount(c.amount),
      })),
      holdings: entry.holdings,
    })),
    totals: {
      totalReserves: formatAmount(judged.totals.totalReserves),
      eligibleReserves: formatAmount(judged.totals.eligibleReserves),
      liabilities: formatAmount(judged.totals.liabilities),
      coverageRatioPct: judged.totals.coverageRatioPct,
      excess: formatAmount(judged.totals.excess),
      shortfall: formatAmount(judged.totals.shortfall),
    },
    rules: judged.rules.map((rule) => ({
      id: rule.id,
      outcome: rule.outcome,
      reason: rule.reason,
    })),
    ineligible: judged.ineligible.map((entry) => ({
      assetClass: entry.assetClass,
      amount: formatAmount(entry.amount),
      reason: entry.reason,
    })),
    liquidity: {
      buckets: Object.fromEntries(
        Object.entries(liquidity.buckets).map(([name, amount]) => [name, formatAmount(amount)]),
      ),
      worstDailyRedemptions: formatAmount(worst),
      sameDayCoversDays: covered.infinite ? 'unbounded' : String(covered.days),
    },
  };
}

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const html = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]!);

/** Thousands separators for display: `1234567.000000` → `1,234,567.00`. */
function dollars(amount: string): string {
  const [whole, fraction = ''] = amount.split('.');
  const sign = whole!.startsWith('-') ? '-' : '';
  const digits = whole!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}$${digits}.${fraction.slice(0, 2).padEnd(2, '0')}`;
}

/**
 * The report as a self-contained printable HTML page (no scripts, no outside resources).
 * @example const page = reportHtml(await compositionReport(ctx, genius, { month: '2024-12' }))
 */
export function reportHtml(report: CompositionReport): string {
  const rows = (cells: readonly string[][]) =>
    cells.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  const title = `Reserve composition ${report.month ?? report.asOf}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#111}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
td:nth-child(n+2){font-variant-numeric:tabular-nums}
.fail{color:#a00}.pass{color:#060}
@media print{body{margin:0}}
</style></head><body>
<h1>${html(title)}</h1>
<p>As of ${html(report.asOf)}${report.computedFrom === 'journal' ? ' (the end of the day, from the journal)' : ''}; bills valued at ${html(report.basis)} cost; judged by the <b>${html(report.ruleset)}</b> ruleset.</p>
<h2>Outstanding tokens</h2>
<table><tr><th>Chain</th><th>Outstanding</th></tr>
${rows(Object.entries(report.outstanding.byChain).map(([chain, amount]) => [html(chain), dollars(amount)]))}
<tr><th>Total</th><th>${dollars(report.outstanding.total)}</th></tr></table>
<h2>Reserves</h2>
<table><tr><th>Category</th><th>Amount</th><th>Share</th><th>Average tenor (days)</th><th>Custody</th><th>Eligible</th></tr>
${rows(
  report.categories.map((c) => [
    html(c.category),
    dollars(c.amount),
    `${c.sharePct} %`,
    c.averageTenorDays,
    c.custody
      .map((x) => `${html(x.custodian)} (${html(x.jurisdiction)}): ${dollars(x.amount)}`)
      .join('<br>'),
    c.eligible ? 'yes' : '<span class="fail">no</span>',
  ]),
)}
</table>
<h2>Coverage</h2>
<table>
${rows([
  ['Total reserves', dollars(report.totals.totalReserves)],
  ['Eligible reserves', dollars(report.totals.eligibleReserves)],
  ['Liabilities (tokens outstanding)', dollars(report.totals.liabilities)],
  [
    'Coverage ratio',
    report.totals.coverageRatioPct === null ? 'n/a' : `${report.totals.coverageRatioPct} %`,
  ],
  ['Excess', dollars(report.totals.excess)],
  ['Shortfall', dollars(report.totals.shortfall)],
])}
</table>
<h2>Rules</h2>
<table><tr><th>Rule</th><th>Outcome</th><th>Reason</th></tr>
${rows(report.rules.map((r) => [html(r.id), `<span class="${r.outcome === 'fail' ? 'fail' : 'pass'}">${html(r.outcome)}</span>`, html(r.reason)]))}
</table>
<h2>Liquidity</h2>
<table>
${rows(Object.entries(report.liquidity.buckets).map(([bucket, amount]) => [html(bucket), dollars(amount)]))}
${rows([
  ['Worst day of redemptions', dollars(report.liquidity.worstDailyRedemptions)],
  ['Days of it the same-day bucket covers', html(report.liquidity.sameDayCoversDays)],
])}
</table>
</body></html>
`;
}
