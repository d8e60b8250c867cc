/**
 * `clearpeg reserves price|buy|sell|positions|accrue|value|report`: what backs the token.
 * `reserves price` computes on this machine (31 CFR 356 App. B, no server); the others act
 * through a running server's API (`CLEARPEG_URL`, `CLEARPEG_API_KEY`). Every read takes
 * `--json`; `reserves report --html` prints the printable page.
 */
import type { z } from 'zod';
import type {
  accrualRun,
  compositionReport,
  reservePosition,
  reserveValue,
} from '../api/schemas.ts';
import { daysBetween, isoDate, newYorkDate } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { investmentRatePct, pricePer100 } from '../reserves/bills.ts';
import { parseRatio } from '../reserves/decimal.ts';
import { instrumentKinds } from '../reserves/instruments.ts';
import type { CompositionReport } from '../treasury/report.ts';
import {
  type Command,
  commandOptions,
  exitCode,
  readOptions,
  requiredOption,
  strings,
  UsageError,
} from './io.ts';
import { itemPath, listCommand, remoteCommand, writeOptions } from './remote.ts';

type PositionView = z.infer<typeof reservePosition>;
type ValueView = z.infer<typeof reserveValue>;
type ReportView = z.infer<typeof compositionReport>;
type AccrualView = z.infer<typeof accrualRun>;

const bases = ['book', 'amortized', 'market'] as const;

/** How a past day's figures were found, as the lines say it (nothing for today's). */
const fromJournal = (view: { computedFrom: 'ledger' | 'journal' }) =>
  view.computedFrom === 'journal' ? ' (end of day, from the journal)' : '';

/** `f()`, its refusal of a value turned into a wrong command line (exit 2). */
function commandLine<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof ClearpegError) throw new UsageError(error.message);
    throw error;
  }
}

/** A bill's price and investment rate for `days` from the discount rate, as `reserves price` prints it. */
export interface BillQuote {
  readonly days: number;
  readonly pricePer100: string;
  readonly investmentRatePct: string;
}

/**
 * The quote as one JSON line, keys in this order, a space after each colon and comma (the
 * form the docs and scripts compare against).
 * @example quoteJson({ days: 28, pricePer100: '99.651556', investmentRatePct: '4.558' }) === '{"days": 28, "pricePer100": "99.651556", "investmentRatePct": "4.558"}'
 */
export function quoteJson(quote: BillQuote): string {
  return `{"days": ${quote.days}, "pricePer100": ${JSON.stringify(quote.pricePer100)}, "investmentRatePct": ${JSON.stringify(quote.investmentRatePct)}}`;
}

export const reservesPrice: Command = {
  name: 'reserves price',
  usage:
    'clearpeg reserves price --discount-rate PCT --issue-date YYYY-MM-DD --maturity-date YYYY-MM-DD [--json]',
  async run(args, context) {
    const { values, positionals } = commandOptions(args, {
      ...readOptions,
      ...strings('discount-rate', 'issue-date', 'maturity-date'),
    });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const rateText = requiredOption(
      values['discount-rate'],
      '--discount-rate',
      'the discount rate in percent, e.g. 4.480',
    );
    const rate = commandLine(() => parseRatio(rateText, '--discount-rate'));
    if (rate.num < 0n) throw new UsageError('--discount-rate: give an auction rate, 0 or more');
    const issueDate = commandLine(() =>
      isoDate(
        requiredOption(values['issue-date'], '--issue-date', 'the issue date, YYYY-MM-DD'),
        '--issue-date',
      ),
    );
    const maturityDate = commandLine(() =>
      isoDate(
        requiredOption(values['maturity-date'], '--maturity-date', 'the maturity date, YYYY-MM-DD'),
        '--maturity-date',
      ),
    );
    const days = daysBetween(issueDate, maturityDate);
    if (days < 1 || days > 366)
      throw new UsageError(
        `--maturity-date: give a day 1 to 366 days after --issue-date (got ${days} days)`,
      );
    const price = commandLine(() => pricePer100(rate, days));
    const quote: BillQuote = {
      days,
      pricePer100: price.text,
      investmentRatePct: commandLine(() => investmentRatePct(price, days, issueDate)),
    };
    context.out(
      values.json
        ? quoteJson(quote)
        : `${days} days at a discount rate of ${rateText} %: price ${quote.pricePer100} per 100, investment rate ${quote.investmentRatePct} %`,
    );
    return exitCode.ok;
  },
};

function positionLine(p: PositionView): string {
  return `${p.id.padEnd(36)} ${p.status.padEnd(7)} ${(p.bookValue ?? '-').padStart(22)}  ${p.custodian} (${p.jurisdiction})`;
}

function termsLine(p: PositionView): string {
  switch (p.kind) {
    case 'cash':
      return `  cash at ${p.bank}${p.centralBank ? ', a central-bank balance' : ''}${p.insuredInstitution ? ', an insured institution' : ''}`;
    case 'tbill':
      return `  ${p.cusip}: face ${p.face}, cost ${p.cost}; issued ${p.issueDate}, settled ${p.settlementDate}, matures ${p.maturityDate}; cash ${p.bank}`;
    case 'repo':
      return `  lent ${p.principal} to ${p.counterparty} at ${p.ratePct} % from ${p.startDate} to ${p.maturityDate} against ${p.collateral.length} bill(s); cash ${p.bank}`;
    case 'mmf':
      return `  fund ${p.fund}${p.government ? ' (government)' : ''}`;
    case 'investment':
      return `  ${p.asset} ${p.name} (not a reserve)`;
  }
}

function positionLines(p: PositionView): string[] {
  return [
    `position ${p.id}: ${p.status}`,
    termsLine(p),
    ...(p.bookValue === null
      ? []
      : [
          `  book value ${p.bookValue}${p.accruedThrough === null ? '' : ` (accrued through ${p.accruedThrough})`}`,
        ]),
    `  held by ${p.custodian} (${p.jurisdiction})${
      p.evidence === null
        ? ', no statement'
        : `, statement ${p.evidence.statementSha256}${p.evidence.signatureVerified ? ' (signature verified)' : ''}`
    }`,
    ...(p.closeDetail === null
      ? []
      : [
          `  closed: ${Object.entries(p.closeDetail)
            .map(([key, value]) => `${key} ${value}`)
            .join(', ')}`,
        ]),
  ];
}

export const reservesBuy = remoteCommand({
  name: 'reserves buy',
  usage:
    'clearpeg reserves buy --reference REF --cusip CUSIP --face A --issue-date D --maturity-date D [--settlement-date D] [--trade-date D] --bank B (--discount-rate PCT | --cost A) --custodian NAME --jurisdiction CC [--statement SHA256] [--json] [--idempotency-key K]',
  options: writeOptions(
    'reference',
    'cusip',
    'face',
    'issue-date',
    'maturity-date',
    'settlement-date',
    'trade-date',
    'bank',
    'discount-rate',
    'cost',
    'custodian',
    'jurisdiction',
    'statement',
  ),
  async run({ values, option, amount, send }) {
    if ((values['discount-rate'] === undefined) === (values.cost === undefined))
      throw new UsageError('--discount-rate or --cost: give one, not both');
    const issueDate = option('issue-date', 'the issue date, YYYY-MM-DD');
    const settlementDate = values['settlement-date'] ?? issueDate;
    const body = {
      reference: option('reference', 'your ticket for the purchase, e.g. T-2026-11-19'),
      cusip: option('cusip', 'the CUSIP, e.g. 912797LB1'),
      face: amount('face'),
      issueDate,
      maturityDate: option('maturity-date', 'the maturity date, YYYY-MM-DD'),
      tradeDate: values['trade-date'] ?? settlementDate,
      settlementDate,
      bank: option('bank', 'the bank that pays, e.g. bank-a'),
      ...(values.cost === undefined
        ? { discountRatePct: option('discount-rate', 'the discount rate in percent') }
        : { cost: amount('cost') }),
      custodian: option('custodian', 'who holds the bill, e.g. "BNY Mellon"'),
      jurisdiction: option('jurisdiction', "the custodian's country code, e.g. US"),
      ...(values.statement === undefined ? {} : { statement: values.statement }),
    };
    return send('/v1/reserves/bills', body, positionLines);
  },
});

export const reservesSell = remoteCommand({
  name: 'reserves sell',
  usage:
    'clearpeg reserves sell ID --settlement-date D --discount-rate PCT [--json] [--idempotency-key K]',
  options: writeOptions('settlement-date', 'discount-rate'),
  run: ({ arg, option, send }) =>
    send(
      `${itemPath('/v1/reserves/bills', arg('ID: give the lot id, e.g. tbill:912797LB1:T-1'))}/sell`,
      {
        settlementDate: option('settlement-date', 'the settlement date, YYYY-MM-DD'),
        discountRatePct: option('discount-rate', 'the market discount rate in percent'),
      },
      positionLines,
    ),
});

export const reservesPositions = listCommand({
  name: 'reserves positions',
  path: '/v1/reserves/positions',
  key: 'positions',
  line: positionLine,
  filters: {
    status: { query: 'status', usage: 'open|all' },
    kind: { query: 'kind', usage: instrumentKinds.join('|') },
  },
});

export const reservesAccrue = remoteCommand({
  name: 'reserves accrue',
  usage: 'clearpeg reserves accrue [--through YYYY-MM-DD] [--json] [--idempotency-key K]',
  options: writeOptions('through'),
  run: ({ values, send }) =>
    send<AccrualView>(
      '/v1/reserves/accrue',
      { through: values.through ?? newYorkDate() },
      (run) => [
        `accrued through ${run.through}: ${run.lots} lot(s), ${run.days} day(s), ${run.amount} of interest in ${run.transfers} transfer(s); ${run.matured} lot(s) matured`,
      ],
    ),
});

function valueLines(book: ValueView): string[] {
  return [
    `the book as of ${book.asOf}${fromJournal(book)} (bills at ${book.basis} value): ${book.totals.value}; tokens outstanding ${book.totals.liabilities}`,
    ...Object.entries(book.totals.byKind).map(
      ([kind, amount]) => `  ${kind.padEnd(12)} ${amount.padStart(22)}`,
    ),
    ...book.holdings.map(
      (h) =>
        `  ${h.id.padEnd(36)} ${h.value.padStart(22)}${h.daysToMaturity === null ? '' : `  ${h.daysToMaturity} days`}`,
    ),
  ];
}

export const reservesValue = remoteCommand({
  name: 'reserves value',
  usage: `clearpeg reserves value [--as-of YYYY-MM-DD] [--basis ${bases.join('|')}] [--json]`,
  options: { ...readOptions, ...strings('as-of', 'basis') },
  run: ({ values, show }) =>
    show('/v1/reserves/value', valueLines, { asOf: values['as-of'], basis: values.basis }),
});

function reportLines(report: ReportView): string[] {
  const t = report.totals;
  return [
    `reserve report ${report.month ?? report.asOf} (as of ${report.asOf}${fromJournal(report)}, bills at ${report.basis} value, ${report.ruleset} rules)`,
    `  tokens outstanding ${report.outstanding.total}`,
    ...report.categories.map(
      (c) =>
        `  ${c.category.padEnd(22)} ${c.amount.padStart(22)} ${`${c.sharePct} %`.padStart(9)}  ${c.averageTenorDays} days${c.eligible ? '' : '  NOT ELIGIBLE'}`,
    ),
    `  total ${t.totalReserves}, eligible ${t.eligibleReserves}, coverage ${t.coverageRatioPct === null ? 'n/a' : `${t.coverageRatioPct} %`}, excess ${t.excess}, shortfall ${t.shortfall}`,
    ...report.rules.map((r) => `  ${r.outcome.toUpperCase().padEnd(14)} ${r.id}: ${r.reason}`),
  ];
}

export const reservesReport = remoteCommand({
  name: 'reserves report',
  usage: `clearpeg reserves report [--month YYYY-MM | --as-of YYYY-MM-DD] [--basis ${bases.join('|')}] [--html | --json]`,
  options: { ...readOptions, html: { type: 'boolean' }, ...strings('month', 'as-of', 'basis') },
  async run({ values, client, context, show }) {
    const query = { month: values.month, asOf: values['as-of'], basis: values.basis };
    if (!values.html) return show('/v1/reserves/report', reportLines, query);
    if (values.json) throw new UsageError('--html or --json: give one, not both');
    // The page the server serves at /v1/reserves/report.html, made here of the same JSON.
    const { body } = await client.get<CompositionReport>('/v1/reserves/report', query);
    // Loaded here: the valuation it renders with is more than the other commands need.
    const { reportHtml } = await import('../treasury/report.ts');
    context.out(reportHtml(body));
    return exitCode.ok;
  },
});
