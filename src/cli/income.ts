/**
 * `clearpeg income --from YYYY-MM-DD --to YYYY-MM-DD [--every day|week|month] [--json]`: the
 * issuer's income statement of a period from the ledger, through a running server's API
 * (`GET /v1/income`; `CLEARPEG_URL`, `CLEARPEG_API_KEY`), as `reserves report` reads its
 * report. docs/income.md says what each line is.
 */
import type { z } from 'zod';
import type { incomeStatement } from '../api/schemas.ts';
import { readOptions, strings } from './io.ts';
import { remoteCommand } from './remote.ts';

type IncomeView = z.infer<typeof incomeStatement>;

const row = (label: string, amount: string) => `  ${label.padEnd(34)} ${amount.padStart(22)}`;

/** The statement as a person reads it. */
function incomeLines(s: IncomeView): string[] {
  const named = (amounts: Record<string, string>, what: string) =>
    Object.entries(amounts).map(([name, amount]) => row(`  ${what} ${name}`, amount));
  return [
    `income statement ${s.from} to ${s.to} (New York business days; opening balances at the end of ${s.openingDay})`,
    row('interest: accretion of bills', s.income.interest.accretion),
    row('interest: other (repo, funds)', s.income.interest.other),
    row('realized gains and losses', s.income.realizedGains),
    row('fee income', s.income.fees),
    row('total income', s.income.total),
    ...named(s.expenses.distribution, 'distribution to'),
    ...named(s.expenses.operating, 'operating:'),
    row('total expenses', s.expenses.total),
    row('net income', s.netIncome),
    row(`equity at the end of ${s.openingDay}`, s.equity.opening),
    row(`equity at the end of ${s.to}`, s.equity.closing),
    ...s.distributionDue.map(
      (d) =>
        `  due to ${d.partner} (${d.shareBps} bp of reserve income ${d.share}): ${d.due}, booked ${d.booked}`,
    ),
    `  ${s.every === 'day' ? 'daily' : `${s.every}ly`}: as of, equity, eligible reserves, everything owed, excess over tokens, spendable (over owed + buffer)`,
    ...s.series.map(
      (p) =>
        `  ${p.asOf} ${p.equity.padStart(20)} ${p.eligibleReserves.padStart(20)} ${p.owed.padStart(20)} ${p.excess.padStart(20)} ${p.spendable.padStart(20)}`,
    ),
    s.reconciliation.reconciled
      ? `  reconciled: every line equals its ledger accounts' change, and net income the change of equity (${s.reconciliation.equityChange})`
      : `  NOT RECONCILED: ${s.reconciliation.accounts
          .filter((a) => a.line !== a.ledgerChange)
          .map((a) => `${a.code} line ${a.line}, ledger ${a.ledgerChange}`)
          .join(
            '; ',
          )}; net income ${s.netIncome}, change of equity ${s.reconciliation.equityChange}`,
  ];
}

export const income = remoteCommand({
  name: 'income',
  usage: 'clearpeg income --from YYYY-MM-DD --to YYYY-MM-DD [--every day|week|month] [--json]',
  options: { ...readOptions, ...strings('from', 'to', 'every') },
  run: ({ values, option, show }) =>
    show('/v1/income', incomeLines, {
      from: option('from', 'the first day of the period, e.g. 2026-11-01'),
      to: option('to', 'the last day of the period, e.g. 2026-11-30'),
      every: values.every,
    }),
});
