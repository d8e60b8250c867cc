/**
 * The issuer's income statement, from the ledger, for any period of New York business days
 * (docs/income.md):
 *
 *   interest income   income:interest, split by the journal's `reserves.op`: the accretion of
 *                     bills (`accrue`) and other interest (repo, fund dividends)
 *   realized gains    income:trading (signed: a loss is negative)
 *   fee income        income:fees
 *   distribution      expenses:distribution:<partner>, by partner
 *   operating costs   expenses:operating:<category>, by category
 *   net income        income − expenses
 *
 * Each line is the change of its accounts between the journal cut at the end of the day before
 * `from` and at the end of `to` (`journalCut`: a treasury posting by its business date, any
 * other record by its New York time), so a figure as of a date is computed from the records as
 * of that date. Then equity (assets − liabilities, which in this ledger is retained earnings:
 * there are no owners' contributions or distributions) and the excess of eligible reserves at
 * the end of each day, week or month, all from one read of the journal per group of accounts;
 * and a reconciliation: every line against its accounts' balances read by `sumsAsOf`, and net
 * income against the change of equity.
 */
import { addDays, daysBetween, isoDate, newYorkDayEndUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { investBufferBps, policyAsOf, type RevenueShare } from '../issuance/policy.ts';
import { balanceOf, type Selection, type Side, type Sums } from '../ledger/balances.ts';
import type { CutMovement } from '../ledger/ports.ts';
import { limits } from '../limits.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { type EvaluationContext, evaluate, type Ruleset } from '../reserves/eligibility.ts';
import {
  everyCustomerFiat,
  everyExpense,
  everyIncome,
  everyInvestment,
  everyReserve,
  everySupply,
  everySuspense,
} from '../workflow/accounts.ts';
import {
  type Balances,
  type BookReader,
  booksOn,
  excessFloor,
  journalCut,
  requireIssuerOn,
} from './valuation.ts';

/** How often the series of equity and excess is given. */
export const incomeSteps = ['day', 'week', 'month'] as const;
export type IncomeStep = (typeof incomeSteps)[number];

/** What a statement is asked for. */
export interface IncomeQuery {
  readonly from: string;
  readonly to: string;
  readonly every?: IncomeStep;
}

/** What the statement is judged by: today (New York), the ruleset and its context. */
export interface IncomeOptions {
  readonly today: string;
  readonly ruleset: Ruleset;
  readonly context?: EvaluationContext;
  /** Revenue-share partners (the policy's `revenueShare`), for what is due. */
  readonly revenueShare?: readonly RevenueShare[];
  /** What each partner was paid for a period inside the statement's (`distributionsBooked`). */
  readonly booked?: ReadonlyMap<string, bigint>;
}

/** One point of the series, at the end of `asOf`. */
export interface IncomePoint {
  readonly asOf: string;
  /** Assets (reserves, investments) − liabilities (tokens, customers' dollars, suspense). */
  readonly equity: bigint;
  readonly eligibleReserves: bigint;
  /** Everything owed: tokens out, customers' dollars, suspense (`everythingOwed`). */
  readonly owed: bigint;
  /** The ruleset's excess: eligible reserves − tokens outstanding (the reserve report's). */
  readonly excess: bigint;
  /** The policy's buffer that day, in basis points. */
  readonly bufferBps: number;
  /**
   * What may leave the reserves (an investment or an expense): eligible reserves − everything
   * owed × (1 + buffer), rounded up, as the execution checks it; negative when short.
   */
  readonly spendable: bigint;
}

/** One reconciled account: its line against its ledger balance change. */
export interface ReconciledAccount {
  readonly code: string;
  readonly line: bigint;
  readonly ledgerChange: bigint;
}

/** The statement. */
export interface IncomeStatement {
  readonly from: string;
  readonly to: string;
  readonly every: IncomeStep;
  /** The day whose end the period starts from (the day before `from`). */
  readonly openingDay: string;
  readonly interest: { readonly accretion: bigint; readonly other: bigint; readonly total: bigint };
  readonly trading: bigint;
  readonly fees: bigint;
  readonly revenue: bigint;
  readonly distribution: ReadonlyMap<string, bigint>;
  readonly operating: ReadonlyMap<string, bigint>;
  readonly expenses: bigint;
  readonly netIncome: bigint;
  readonly equity: { readonly opening: bigint; readonly closing: bigint };
  readonly series: readonly IncomePoint[];
  /** Each partner's share of the period's reserve income (interest and trading), and what is left due. */
  readonly distributionDue: readonly {
    readonly partner: string;
    readonly shareBps: number;
    readonly share: bigint;
    readonly booked: bigint;
    readonly due: bigint;
  }[];
  readonly reconciliation: {
    readonly accounts: readonly ReconciledAccount[];
    /** Every line equals its ledger change, and net income equals the change of equity. */
    readonly reconciled: boolean;
    readonly equityChange: bigint;
  };
}

function refuse(field: string, rule: string, message: string): never {
  throw new ClearpegError('income-invalid', `${field}: ${message}`, { field, rule });
}

/**
 * The days a statement's series is given on: the end of each day, week (Sunday) or month in
 * `from`…`to`, and `to` itself.
 * @example seriesDays('2026-01-15', '2026-03-10', 'month') // ['2026-01-31', '2026-02-28', '2026-03-10']
 */
export function seriesDays(from: string, to: string, every: IncomeStep): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const next = addDays(day, 1);
    const ends =
      every === 'day' ||
      (every === 'week' && new Date(`${day}T00:00:00Z`).getUTCDay() === 0) ||
      (every === 'month' && next.slice(0, 7) !== day.slice(0, 7));
    if (ends || day === to) days.push(day);
    if (days.length > limits.incomeSeriesPointsMax) break;
  }
  return days;
}

/**
 * The query checked: dates `YYYY-MM-DD`, `from` ≤ `to` ≤ today, a known step, at most
 * `limits.incomeSeriesPointsMax` points; each refusal (`income-invalid`, `date-invalid`)
 * names its field.
 * @example checkIncomeQuery({ from: '2026-01-01', to: '2026-03-31' }, '2026-12-06').days.length === 3
 */
export function checkIncomeQuery(
  query: IncomeQuery,
  today: string,
): { from: string; to: string; every: IncomeStep; days: string[] } {
  const from = isoDate(query.from, 'from');
  const to = isoDate(query.to, 'to');
  const every = query.every ?? 'month';
  if (!incomeSteps.includes(every))
    refuse('every', incomeSteps.join(', '), `must be one of ${incomeSteps.join(', ')}`);
  if (daysBetween(from, to) < 0) refuse('from', 'on or before to', `${from} is after to, ${to}`);
  if (daysBetween(to, today) < 0)
    refuse('to', 'on or before today in New York', `${to} is after today, ${today}`);
  const days = seriesDays(from, to, every);
  if (days.length > limits.incomeSeriesPointsMax)
    refuse(
      'every',
      `at most ${limits.incomeSeriesPointsMax} points in the period`,
      `a ${every} series of ${from}…${to} has more than ${limits.incomeSeriesPointsMax} points: ask by week or month`,
    );
  return { from, to, every, days };
}

/** Balances at each cut, by key, summed up from the movements between cuts. */
function cumulative(
  movements: readonly CutMovement[],
  cuts: number,
  side: Side,
): Map<string, bigint>[] {
  const out = Array.from({ length: cuts }, () => new Map<string, bigint>());
  for (const m of movements) {
    const change = side === 'debit' ? m.debits - m.credits : m.credits - m.debits;
    for (let i = m.cut; i < cuts; i++) out[i]!.set(m.key, (out[i]!.get(m.key) ?? 0n) + change);
  }
  return out;
}

const total = (balances: ReadonlyMap<string, bigint>) =>
  [...balances.values()].reduce((sum, v) => sum + v, 0n);

/** The change of each code under `prefix` between two balances by code, without the prefix. */
function changes(
  opening: ReadonlyMap<string, bigint>,
  closing: ReadonlyMap<string, bigint>,
  prefix: string,
): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const code of [...new Set([...opening.keys(), ...closing.keys()])].sort()) {
    if (!code.startsWith(prefix)) continue;
    out.set(code.slice(prefix.length), (closing.get(code) ?? 0n) - (opening.get(code) ?? 0n));
  }
  return out;
}

/** Each account's balance change between two cuts by `sumsAsOf`: the reconciliation's reference. */
async function ledgerChanges(
  reader: BookReader,
  selection: Selection,
  openingDay: string,
  to: string,
): Promise<Map<string, bigint>> {
  const read = (day: string) => reader.ledger.store.sumsAsOf(selection, journalCut(day), reader.db);
  const [opening, closing] = [await read(openingDay), await read(to)];
  const posted = (sums: Sums | undefined) =>
    sums === undefined ? 0n : balanceOf(sums, selection.side).posted;
  const out = new Map<string, bigint>();
  for (const code of new Set([...opening.keys(), ...closing.keys()]))
    out.set(code, posted(closing.get(code)) - posted(opening.get(code)));
  return out;
}

/**
 * A partner's share of a period's reserve income: `shareBps` of it, rounded down; nothing of
 * a loss.
 * @example shareOf(1_000_000n, 2_500) === 250_000n
 */
export function shareOf(reserveIncome: bigint, shareBps: number): bigint {
  return reserveIncome > 0n ? (reserveIncome * BigInt(shareBps)) / 10_000n : 0n;
}

/**
 * The reserve income of `from`…`to` (the change of `income:interest` and `income:trading`
 * between the journal cuts, as the statement's lines): what revenue-share partners share.
 * @example await reserveIncome(ctx, '2026-11-01', '2026-11-30')
 */
export async function reserveIncome(reader: BookReader, from: string, to: string): Promise<bigint> {
  const selection: Selection = { codes: ['income:interest', 'income:trading'], side: 'credit' };
  const changes = await ledgerChanges(reader, selection, addDays(from, -1), to);
  return total(changes);
}

/**
 * The income statement of `from`…`to` (New York business days), with the series of equity and
 * excess at the end of each `every` step; refuses a bad query naming the field, and a period
 * that ends before the issuer's first journal record (`as-of-before-issuer`, field `to`).
 * @example const statement = await incomeStatement(ctx, { from: '2026-11-01', to: '2026-11-30' }, { today, ruleset })
 */
export async function incomeStatement(
  reader: BookReader,
  query: IncomeQuery,
  options: IncomeOptions,
): Promise<IncomeStatement> {
  const { from, to, every, days } = checkIncomeQuery(query, options.today);
  // A period that ends before the issuer's first record is refused: nothing is known of it. One
  // that only starts before opens on nothing (the journal starts there): a first month is whole.
  await requireIssuerOn(reader, to, 'to');
  const openingDay = addDays(from, -1);
  const cutDays = [openingDay, ...days];
  const cuts = cutDays.map(journalCut);
  const read = (selection: Selection, byCode: boolean, splitBy?: string) =>
    reader.ledger.store.movementsByCut(
      selection,
      cuts,
      { byCode, ...(splitBy === undefined ? {} : { splitBy }) },
      reader.db,
    );
  // One read of the journal per group of accounts, for every point at once.
  const income = await read(everyIncome, true, 'reserves.op');
  const expense = await read(everyExpense, true);
  const reserves = await read(everyReserve, true);
  const investments = await read(everyInvestment, true);
  const supply = await read(everySupply, true);
  const fiat = await read(everyCustomerFiat, false);
  const suspense = await read(everySuspense, false);
  const n = cuts.length;
  const incomeAt = cumulative(income, n, 'credit');
  const expenseAt = cumulative(expense, n, 'debit');
  const assetsAt = cumulative([...reserves, ...investments], n, 'debit');
  const supplyAt = cumulative(supply, n, 'credit');
  const fiatAt = cumulative(fiat, n, 'credit');
  const suspenseAt = cumulative(suspense, n, 'credit');

  const equityAt = (i: number) =>
    total(assetsAt[i]!) - total(supplyAt[i]!) - total(fiatAt[i]!) - total(suspenseAt[i]!);
  const held: Balances[] = days.map((_, k) => ({
    assets: assetsAt[k + 1]!,
    liabilities: total(supplyAt[k + 1]!),
    supplyByChain: new Map(
      [...supplyAt[k + 1]!].map(([code, amount]) => [code.slice('supply:'.length), amount]),
    ),
  }));
  const books = await booksOn(reader, days, held);
  const series: IncomePoint[] = [];
  for (const [k, day] of days.entries()) {
    const { totals } = evaluate(options.ruleset, books[k]!.portfolio, options.context);
    const owed = total(supplyAt[k + 1]!) + total(fiatAt[k + 1]!) + total(suspenseAt[k + 1]!);
    const bufferBps = investBufferBps(await policyAsOf(reader.db, newYorkDayEndUs(day)));
    series.push({
      asOf: day,
      equity: equityAt(k + 1),
      eligibleReserves: totals.eligibleReserves,
      owed,
      excess: totals.excess,
      bufferBps,
      spendable: totals.eligibleReserves - excessFloor(owed, bufferBps),
    });
  }

  // The lines: the change between the opening cut and the closing one.
  const last = n - 1;
  let accretion = 0n;
  let otherInterest = 0n;
  for (const m of income)
    if (m.key === 'income:interest' && m.cut > 0) {
      const change = m.credits - m.debits;
      if (m.split === 'accrue') accretion += change;
      else otherInterest += change;
    }
  const incomeChange = changes(incomeAt[0]!, incomeAt[last]!, 'income:');
  const trading = incomeChange.get('trading') ?? 0n;
  const fees = incomeChange.get('fees') ?? 0n;
  const interest = { accretion, other: otherInterest, total: accretion + otherInterest };
  const revenue = [...incomeChange.values()].reduce((sum, v) => sum + v, 0n);
  const distribution = changes(expenseAt[0]!, expenseAt[last]!, 'expenses:distribution:');
  const operating = changes(expenseAt[0]!, expenseAt[last]!, 'expenses:operating:');
  const expenses = total(changes(expenseAt[0]!, expenseAt[last]!, 'expenses:'));
  const netIncome = revenue - expenses;

  // The reconciliation: every income and expense account against `sumsAsOf`'s balances.
  const [incomeLedger, expenseLedger] = [
    await ledgerChanges(reader, everyIncome, openingDay, to),
    await ledgerChanges(reader, everyExpense, openingDay, to),
  ];
  const accounts: ReconciledAccount[] = [];
  const lineOf = (code: string): bigint => {
    if (code === 'income:interest') return interest.total;
    if (code.startsWith('income:')) return incomeChange.get(code.slice('income:'.length)) ?? 0n;
    if (code.startsWith('expenses:distribution:'))
      return distribution.get(code.slice('expenses:distribution:'.length)) ?? 0n;
    return operating.get(code.slice('expenses:operating:'.length)) ?? 0n;
  };
  for (const ledger of [incomeLedger, expenseLedger])
    for (const code of [...ledger.keys()].sort())
      accounts.push({ code, line: lineOf(code), ledgerChange: ledger.get(code)! });
  const equity = { opening: equityAt(0), closing: equityAt(last) };
  const equityChange = equity.closing - equity.opening;
  const lines = [
    ...[...incomeChange.keys()].map((k) => `income:${k}`),
    ...[...distribution.keys()].map((k) => `expenses:distribution:${k}`),
    ...[...operating.keys()].map((k) => `expenses:operating:${k}`),
  ];
  const reconciled =
    accounts.every((a) => a.line === a.ledgerChange) &&
    lines.every((code) => accounts.some((a) => a.code === code) || lineOf(code) === 0n) &&
    netIncome === equityChange;

  const periodIncome = interest.total + trading;
  const distributionDue = (options.revenueShare ?? []).map(({ partner, shareBps }) => {
    const share = shareOf(periodIncome, shareBps);
    const booked = options.booked?.get(partner) ?? 0n;
    return { partner, shareBps, share, booked, due: share > booked ? share - booked : 0n };
  });

  return {
    from,
    to,
    every,
    openingDay,
    interest,
    trading,
    fees,
    revenue,
    distribution,
    operating,
    expenses,
    netIncome,
    equity,
    series,
    distributionDue,
    reconciliation: { accounts, reconciled, equityChange },
  };
}

const money = (amount: bigint) => formatAmount(amount as Micro);
const byName = (amounts: ReadonlyMap<string, bigint>) =>
  Object.fromEntries([...amounts].map(([name, amount]) => [name, money(amount)]));

/**
 * The statement as JSON: every amount a decimal string with six decimals.
 * @example incomeStatementJson(statement).netIncome // '1234.500000'
 */
export function incomeStatementJson(s: IncomeStatement) {
  return {
    format: 'clearpeg-income-statement/1' as const,
    from: s.from,
    to: s.to,
    every: s.every,
    openingDay: s.openingDay,
    income: {
      interest: {
        accretion: money(s.interest.accretion),
        other: money(s.interest.other),
        total: money(s.interest.total),
      },
      realizedGains: money(s.trading),
      fees: money(s.fees),
      total: money(s.revenue),
    },
    expenses: {
      distribution: byName(s.distribution),
      operating: byName(s.operating),
      total: money(s.expenses),
    },
    netIncome: money(s.netIncome),
    equity: { opening: money(s.equity.opening), closing: money(s.equity.closing) },
    series: s.series.map((p) => ({
      asOf: p.asOf,
      equity: money(p.equity),
      eligibleReserves: money(p.eligibleReserves),
      owed: money(p.owed),
      excess: money(p.excess),
      bufferBps: p.bufferBps,
      spendable: money(p.spendable),
    })),
    distributionDue: s.distributionDue.map((d) => ({
      partner: d.partner,
      shareBps: d.shareBps,
      share: money(d.share),
      booked: money(d.booked),
      due: money(d.due),
    })),
    reconciliation: {
      reconciled: s.reconciliation.reconciled,
      equityChange: money(s.reconciliation.equityChange),
      accounts: s.reconciliation.accounts.map((a) => ({
        code: a.code,
        line: money(a.line),
        ledgerChange: money(a.ledgerChange),
      })),
    },
  };
}
