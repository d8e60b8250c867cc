/**
 * The book as the reserve rules see it: positions and ledger balances read together, valued
 * on a day, judged by a ruleset.
 *
 *   book       what the ledger holds: a bill lot at its carrying value through its last
 *              accrued day (Σ of the lots of a CUSIP = that account's balance)
 *   amortized  a bill lot at its carrying value on the day (accretion due included)
 *   market     a bill lot at face × price / 100, the price from the day's discount rate for
 *              the days it has left (../reserves/rates.ts), rounded by the bill-cost rule
 *
 * Cash, repo, fund shares and investments are valued at their ledger balances (repo at
 * principal; pending credits, such as a payout not yet sent, are taken off cash).
 */
import { clampDate, daysBetween, isoDate, newYorkDate, newYorkDayEndUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { type Balance, balanceOf, type Selection } from '../ledger/balances.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { JournalCut } from '../ledger/ports.ts';
import type { Micro } from '../money/money.ts';
import { carryingValue } from '../reserves/accretion.ts';
import { billCost, pricePer100 } from '../reserves/bills.ts';
import {
  type EligibilityReport,
  type EvaluationContext,
  evaluate,
  type Ruleset,
} from '../reserves/eligibility.ts';
import type { CashPosition, Holding, Portfolio, Position } from '../reserves/instruments.ts';
import type { RateCurve } from '../reserves/rates.ts';
import { rateOn } from '../reserves/rates.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import {
  everyInvestment,
  everyReserve,
  everySupply,
  everythingOwed,
  investment,
  reservesCash,
  reservesMmf,
  reservesRepo,
  reservesTbill,
} from '../workflow/accounts.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { billOf } from './book.ts';
import { type StoredPosition, selectPositions } from './positions.ts';

/** How bills are valued. */
export type Basis = 'book' | 'amortized' | 'market';

/** FDIC insurance per depositor per bank. */
export const fdicInsuredMax = 250_000_000_000n as Micro;

/** Balances of the reserve, investment and supply accounts, by code. */
export interface Balances {
  /** Asset accounts: debits − credits (pending credits counted against). */
  readonly assets: Map<string, bigint>;
  /** Tokens outstanding: Σ of `supply:<chain>` posted credits − debits. */
  readonly liabilities: bigint;
  readonly supplyByChain: Map<string, bigint>;
}

/** Where the book is read from: the ledger, and the executor its reads go through (a transaction inside an atomic step). */
export interface BookReader {
  readonly db: SqlExecutor;
  readonly ledger: Ledger<SqlExecutor>;
}

/**
 * Where a book's figures come from: `ledger`, the accounts' running sums now (today's book);
 * `journal`, the journal cut at the end of a past day (`journalCut`).
 */
export type AsOfSource = 'ledger' | 'journal';

/**
 * The business dates treasury postings carry in their metadata (book.ts: a bill's or repo's
 * settlement day; accrual.ts: the day accreted). A record dated by one is as of that day,
 * whenever it was recorded: lots are booked with past settlement days, and a day's accretion
 * after downtime is posted days later.
 */
export const treasuryDateKeys = ['reserves.day', 'reserves.settlement'] as const;

/**
 * The cut of the journal at the end of `day`: a treasury posting by its business date, any
 * other record by its timestamp, before midnight after `day` in New York.
 * @example await ctx.ledger.store.sumsAsOf(everySupply, journalCut('2025-01-31'))
 */
export function journalCut(day: string): JournalCut {
  return { throughDay: day, beforeUs: newYorkDayEndUs(day), dateKeys: treasuryDateKeys };
}

/**
 * How a book on `asOf` is computed when it is `today` (New York): from the journal for a day
 * before today, from the running sums for today or later (a day to come has no journal yet).
 * @example asOfSource('2020-01-31', '2026-12-06') === 'journal'
 */
export function asOfSource(asOf: string, today: string): AsOfSource {
  return daysBetween(asOf, today) > 0 ? 'journal' : 'ledger';
}

/**
 * Refuses a day before the issuer existed: before the New York day of the journal's first
 * record (`as-of-before-issuer`, naming `field`). Nothing is known of such a day.
 * @example await requireIssuerOn(ctx, '2020-01-31', 'month')
 */
export async function requireIssuerOn(reader: BookReader, day: string, field: string) {
  const [first] = await reader.ledger.store.records(0n, 1);
  const since = first === undefined ? null : newYorkDate(Number(first.timestampUs / 1000n));
  if (since === null || daysBetween(since, day) < 0)
    throw new ClearpegError(
      'as-of-before-issuer',
      since === null
        ? `${field}: the ledger has no record yet, so nothing is known of ${day}`
        : `${field}: ${day} is before the issuer's first journal record, on ${since}`,
      { field, rule: "on or after the day of the issuer's first journal record" },
    );
}

/** Each account's balance a selection covers, by code, from the journal as `cut` keeps it. */
async function balancesAsOf(
  reader: BookReader,
  selection: Selection,
  cut: JournalCut,
): Promise<Map<string, Balance>> {
  const sums = await reader.ledger.store.sumsAsOf(selection, cut, reader.db);
  return new Map([...sums].map(([code, s]) => [code, balanceOf(s, selection.side)]));
}

/**
 * The balances of every reserve, investment and supply account: assets as available
 * (pending credits counted against), tokens as posted; now, or as of a past day's end from
 * the journal (`cut`: posted movements only, so available is posted).
 * @example const { assets } = await bookBalances(ctx)
 */
export async function bookBalances(reader: BookReader, cut?: JournalCut): Promise<Balances> {
  const read = (selection: Selection) =>
    cut === undefined
      ? reader.ledger.balancesByCode(selection, reader.db)
      : balancesAsOf(reader, selection, cut);
  const [reserves, investments, supply] = await Promise.all([
    read(everyReserve),
    read(everyInvestment),
    read(everySupply),
  ]);
  const assets = new Map<string, bigint>();
  for (const [code, balance] of [...reserves, ...investments]) assets.set(code, balance.available);
  const supplyByChain = new Map<string, bigint>();
  let liabilities = 0n;
  for (const [code, balance] of supply) {
    supplyByChain.set(code.slice('supply:'.length), balance.posted);
    liabilities += balance.posted;
  }
  return { assets, liabilities, supplyByChain };
}

/**
 * Everything owed to customers, at the most (`everythingOwed`, each at `atMost`): tokens
 * outstanding and being minted, customers' dollars not yet minted or paid out, and money in
 * suspense. What an investment must leave covered: the reserves hold customers' deposits
 * before they become tokens.
 * @example const owed = await owedToCustomers(ctx)
 */
export async function owedToCustomers(reader: BookReader): Promise<bigint> {
  const owed = await reader.ledger.balances(everythingOwed, reader.db);
  return owed.reduce((sum, balance) => sum + balance.atMost, 0n);
}

/**
 * What eligible reserves must stay at or above: `owed` × (1 + `bufferBps`), rounded up to the
 * micro-dollar.
 * @example excessFloor(1_000_000n, 200) === 1_020_000n
 */
export function excessFloor(owed: bigint, bufferBps: number): bigint {
  return (owed * BigInt(10_000 + bufferBps) + 9_999n) / 10_000n;
}

/** What the book holds on a day: its portfolio, and the stored positions behind it. */
export interface Book {
  readonly portfolio: Portfolio;
  /** Where its figures come from (see `AsOfSource`). */
  readonly computedFrom: AsOfSource;
  readonly positions: readonly StoredPosition[];
  readonly supplyByChain: ReadonlyMap<string, bigint>;
}

/**
 * What the ledger carries for an open position: a bill lot's carrying value through its last
 * accrued day, a repo's principal, the balance of a cash, fund or investment account
 * (`assets`, from `bookBalances`).
 * @example bookValueOf(stored, (await bookBalances(db)).assets)
 */
export function bookValueOf(stored: StoredPosition, assets: ReadonlyMap<string, bigint>): Micro {
  const position = stored.position;
  if (position.kind === 'tbill') return carryingValue(position, stored.accruedThrough!);
  if (position.kind === 'repo') return position.principal;
  return (assets.get(stored.accountCode) ?? 0n) as Micro;
}

/** A bank never described: a deposit at a US insured bank, held by the bank itself. */
function defaultCash(bank: string): CashPosition {
  return {
    id: `cash:${bank}`,
    kind: 'cash',
    bank,
    custodian: bank,
    jurisdiction: 'US',
    centralBank: false,
    insuredInstitution: true,
    amount: 0n as Micro,
    insured: 0n as Micro,
  };
}

/**
 * The positions held at the end of `day`, as the journal has them: a bill lot settled by
 * then and not sold or matured by then (its close is dated by its settlement day or its
 * maturity), accrued through `day` at the latest; a repo started and not yet due; a fund or
 * an investment opened by then. Each is as it stood: open.
 */
async function positionsHeldOn(db: SqlExecutor, day: string): Promise<StoredPosition[]> {
  const held = await selectPositions(
    db,
    `CASE p.kind
       WHEN 'tbill' THEN p.settlement_date <= $1::date AND (p.status = 'open' OR
         (CASE WHEN p.status = 'sold' THEN (p.close_detail->>'settlementDate')::date ELSE p.maturity_date END) > $1::date)
       WHEN 'repo' THEN p.start_date <= $1::date AND (p.status = 'open' OR p.maturity_date > $1::date)
       ELSE p.opened_at_us < $2::bigint END`,
    [day, String(newYorkDayEndUs(day))],
  );
  return held.map((stored) => ({
    ...stored,
    status: 'open',
    closeDetail: null,
    accruedThrough:
      stored.accruedThrough === null || daysBetween(stored.accruedThrough, day) >= 0
        ? stored.accruedThrough
        : day,
  }));
}

/** How `readBook` reads: from the running sums or from the journal, and the field a refused day names. */
export interface ReadOptions {
  readonly source?: AsOfSource;
  readonly field?: string;
}

/**
 * The book on `asOf`: open positions valued on `basis` (the `market` basis needs `curve`);
 * positions and balances as they are now (`source: 'ledger'`, the default), or as they were
 * at the end of `asOf` by the journal (`journal`; `as-of-before-issuer` naming `field` for a
 * day before the journal's first record).
 * @example const { portfolio } = await readBook(ctx, '2024-12-31', 'amortized')
 */
export async function readBook(
  reader: BookReader,
  asOf: string,
  basis: Basis = 'book',
  curve?: RateCurve,
  options: ReadOptions = {},
): Promise<Book> {
  const day = isoDate(asOf, options.field ?? 'asOf');
  if (basis === 'market' && curve === undefined)
    throw new Error('assertion failed: market values need a rate curve');
  const source = options.source ?? 'ledger';
  if (source === 'journal') await requireIssuerOn(reader, day, options.field ?? 'asOf');
  const [positions, held] = await Promise.all([
    source === 'ledger'
      ? selectPositions(reader.db, `p.status = 'open'`)
      : positionsHeldOn(reader.db, day),
    bookBalances(reader, source === 'ledger' ? undefined : journalCut(day)),
  ]);
  return bookOf(day, basis, curve, positions, held, source);
}

/**
 * The book on `day` from what was read for it (`readBook`'s reads, or a series' own): the
 * positions held, and the balances of the reserve, investment and supply accounts.
 */
function bookOf(
  day: string,
  basis: Basis,
  curve: RateCurve | undefined,
  positions: readonly StoredPosition[],
  held: Balances,
  source: AsOfSource,
): Book {
  const holdings: Holding[] = [];
  const described = new Map<string, StoredPosition>();
  for (const stored of positions) described.set(stored.accountCode, stored);
  const value = (code: string) => (held.assets.get(code) ?? 0n) as Micro;
  // Cash: every bank account, described or not.
  for (const code of held.assets.keys()) {
    if (!code.startsWith('reserves:cash:')) continue;
    const bank = code.slice('reserves:cash:'.length);
    const stored = described.get(code);
    const amount = value(code);
    const base = stored?.position.kind === 'cash' ? stored.position : defaultCash(bank);
    const insured = (
      !base.insuredInstitution || amount < 0n
        ? 0n
        : amount < fdicInsuredMax
          ? amount
          : fdicInsuredMax
    ) as Micro;
    holdings.push({ position: { ...base, amount, insured }, value: amount });
  }
  for (const stored of positions) {
    const position: Position = stored.position;
    switch (position.kind) {
      case 'cash':
        break;
      case 'tbill': {
        const bill = billOf(stored);
        const daysToMaturity = daysBetween(day, bill.maturityDate);
        const worth =
          basis === 'book'
            ? bookValueOf(stored, held.assets)
            : basis === 'amortized'
              ? // At cost before settlement, at face once due (matured or not yet).
                carryingValue(bill, clampDate(day, bill.settlementDate, bill.maturityDate))
              : daysToMaturity <= 0
                ? bill.face
                : billCost(
                    bill.face,
                    pricePer100(rateOn(curve!, day, daysToMaturity), daysToMaturity),
                  );
        holdings.push({ position, value: worth, daysToMaturity });
        break;
      }
      case 'repo':
        holdings.push({
          position,
          value: position.principal,
          daysToMaturity: daysBetween(day, position.maturityDate),
        });
        break;
      case 'mmf':
      case 'investment': {
        const amount = bookValueOf(stored, held.assets);
        holdings.push({ position: { ...position, amount }, value: amount });
        break;
      }
    }
  }
  return {
    portfolio: { asOf: day, liabilities: held.liabilities as Micro, holdings },
    computedFrom: source,
    positions,
    supplyByChain: held.supplyByChain,
  };
}

/**
 * The book at the end of each of `days` from the journal, as `readBook` with `source:
 * 'journal'` reads it, but with the balances given (`held`, one per day: a series computes
 * them from one read of the journal) and the positions held read per day (the small
 * positions table, not the journal).
 * @example const books = await booksOn(ctx, ['2026-11-30', '2026-12-31'], balances)
 */
export async function booksOn(
  reader: BookReader,
  days: readonly string[],
  held: readonly Balances[],
): Promise<Book[]> {
  const books: Book[] = [];
  for (const [i, day] of days.entries())
    books.push(
      bookOf(day, 'book', undefined, await positionsHeldOn(reader.db, day), held[i]!, 'journal'),
    );
  return books;
}

/**
 * The reserve accounts that count toward the mint's supply gate: those the configured
 * ruleset last judged eligible (`judgeReserves` records them), and cash never judged (a bank
 * never described is a deposit at a US insured bank). The owner of `reserve_eligibility`
 * answers for it, so no other module reads that table.
 * @example const codes = await eligibleReserveCodes(tx)
 */
export async function eligibleReserveCodes(db: SqlExecutor): Promise<string[]> {
  const { rows } = await db.query<{ code: string }>(
    `SELECT a.code FROM ledger_accounts a LEFT JOIN reserve_eligibility e ON e.account_code = a.code
     WHERE a.code LIKE 'reserves:%' AND coalesce(e.eligible, a.code LIKE 'reserves:cash:%')`,
  );
  return rows.map((row) => row.code);
}

/**
 * Judges the book by `ruleset` and records each reserve account's eligibility
 * (`reserve_eligibility`), which the mint path's supply gate sums. Returns the report, whose
 * rules read `context` (MiCA's significance and the redemption fee); what is recorded does not
 * depend on it (an asset's eligibility is the ruleset's alone).
 * @example await judgeReserves(ctx, genius, '2024-12-31')
 */
export async function judgeReserves(
  ctx: IssuanceContext,
  ruleset: Ruleset,
  asOf: string,
  context: EvaluationContext = {},
): Promise<{ book: Book; report: EligibilityReport }> {
  const book = await readBook(ctx, asOf, 'book');
  const report = evaluate(ruleset, book.portfolio, context);
  // An account is eligible only if every open position in it is.
  const byAccount = new Map<string, { eligible: boolean; reason: string }>();
  book.portfolio.holdings.forEach((holding, i) => {
    const code = accountCodeOf(holding.position);
    const judged = report.holdings[i]!;
    const before = byAccount.get(code);
    if (before === undefined || (before.eligible && !judged.eligible))
      byAccount.set(code, { eligible: judged.eligible, reason: judged.reason });
  });
  await ctx.db.transaction(async (tx) => {
    await tx.query('DELETE FROM reserve_eligibility');
    if (byAccount.size > 0)
      await tx.query(
        `INSERT INTO reserve_eligibility (account_code, eligible, ruleset, as_of, reason)
         SELECT code, eligible, $4, $5::date, reason FROM unnest($1::text[], $2::boolean[], $3::text[]) AS v(code, eligible, reason)`,
        [
          [...byAccount.keys()],
          [...byAccount.values()].map((v) => String(v.eligible)),
          [...byAccount.values()].map((v) => v.reason.slice(0, 500)),
          ruleset.name,
          book.portfolio.asOf,
        ],
      );
  });
  return { book, report };
}

/** The ledger account a position's value sits in. */
export function accountCodeOf(position: Position): string {
  switch (position.kind) {
    case 'cash':
      return reservesCash(position.bank).code;
    case 'tbill':
      return reservesTbill(position.cusip).code;
    case 'repo':
      return reservesRepo(position.counterparty).code;
    case 'mmf':
      return reservesMmf(position.fund).code;
    case 'investment':
      return investment(position.name).code;
  }
}
