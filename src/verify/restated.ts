/**
 * The business tables that restate a ledger fact, compared with the ledger: each deposit,
 * mint, redemption, payout, investment request and reserve lot names the ledger transfer that carries its money,
 * and its amount, accounts and state must be what that transfer says. Each difference is
 * named `{ table, id, column, stored, journal }`.
 *
 * The comparisons (`compareDeposit`, …) are pure; `restatedDifferences` walks the tables a
 * page at a time through a narrow port (`RestatedPort`, implemented over SQL in
 * restated-sql.ts). The port reads the ledger's derived tables (accounts' codes and sums,
 * pending transfers' states) beside the journal's records: run `verifyLedger` first, which
 * proves those equal to what the journal implies (`verifyAll` does).
 *
 * What is compared, per table (docs/operations.md, "verify-all"):
 *
 * | table | columns | against |
 * |---|---|---|
 * | deposits | ledger_transfer, amount, bank, customer_id | the posted transfer `clearpeg-deposit/1` named by the reference: `reserves:cash:<bank>` → `customers:<id>:fiat` (or `suspense:deposits`) |
 * | mint_requests | amount, status | the pending transfer `ledger_pending`: pending while open, posted when final (or the late transfer), voided/expired/none when failed or expired |
 * | redemptions | amount, fee, customer_id | the transfer `ledger_transfer`: supply → the customer's fiat (or `suspense:redemptions` when held), the fee → `income:fees` |
 * | payouts | amount, status | the pending transfer `ledger_pending`: pending until sent, posted when sent, voided/expired when cancelled |
 * | investment_requests | amount, bank, name, purpose, status | the transfer `clearpeg-reserves/1` named `invest:<name>:<reference>` (an expense: `expense:<purpose>:<name>:<reference>`): posted `reserves:cash:<bank>` → `investments:<name>` (`expenses:<purpose>:<name>`) when executed, absent before and when cancelled |
 * | reserve_positions | cost, principal, carrying, status, and each account's lots | the transfers tagged `reserves.position` with the lot's id: its buy (or repo-open), its net on the lot's account, and the account's balance |
 */
import { namedUuid } from '../ledger/uuid.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { carryingValue } from '../reserves/accretion.ts';
import type { IsoDate } from '../reserves/instruments.ts';

/** One difference: what the row says and what the ledger says (null: nothing). */
export interface Difference {
  readonly table: string;
  /** The row's key (a reference, an id; for an account's lots, the account code). */
  readonly id: string;
  readonly column: string;
  readonly stored: string | null;
  readonly journal: string | null;
}

/** A posting with its accounts' codes. */
export interface CodedPosting {
  readonly debit: string;
  readonly credit: string;
  readonly amount: bigint;
}

/** What the ledger holds of one transfer. */
export interface TransferFact {
  /** `posted`: a plain posted transfer; `pending`: a reservation, with its state now. */
  readonly kind: 'posted' | 'pending';
  readonly postings: readonly CodedPosting[];
  /** A reservation's state (its resolution); `posted` for a plain transfer. */
  readonly state: 'pending' | 'posted' | 'voided' | 'expired';
}

export interface DepositRow {
  readonly reference: string;
  readonly bank: string;
  readonly amount: bigint;
  readonly customerId: string | null;
  readonly ledgerTransfer: string;
}

export interface MintRow {
  readonly id: string;
  readonly amount: bigint;
  readonly status: string;
  readonly ledgerPending: string;
}

export interface RedemptionRow {
  readonly id: string;
  readonly customerId: string;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly status: string;
  readonly ledgerTransfer: string;
}

export interface PayoutRow {
  readonly id: string;
  readonly amount: bigint;
  readonly status: string;
  readonly ledgerPending: string;
}

export interface InvestmentRow {
  readonly id: string;
  /** `investment`, or an expense's `distribution` or `operating` (migration 0013). */
  readonly purpose: string;
  readonly reference: string;
  readonly name: string;
  readonly bank: string;
  readonly amount: bigint;
  readonly status: string;
}

/** A bill or repo lot as stored, with its accrual row's `accrued_through`. */
export interface LotRow {
  readonly id: string;
  readonly kind: 'tbill' | 'repo';
  readonly accountCode: string;
  readonly status: string;
  readonly face: bigint | null;
  readonly cost: bigint | null;
  readonly principal: bigint | null;
  readonly settlementDate: IsoDate | null;
  readonly maturityDate: IsoDate | null;
  readonly accruedThrough: IsoDate | null;
}

/** What the journal says of one lot: the amount it opened with and its net on its account. */
export interface LotFact {
  /** The buy's (or repo-open's) debit to the lot's account; undefined: no such transfer. */
  readonly opened: bigint | undefined;
  /** Σ debits − credits to the lot's account over the transfers tagged with the lot. */
  readonly net: bigint;
}

/** The journal's side of the reserve lots. */
export interface LotJournal {
  readonly lots: ReadonlyMap<string, LotFact>;
  /** Posted balance (debits − credits) of each account that holds lots. */
  readonly balances: ReadonlyMap<string, bigint>;
}

/** The reads the comparison needs: pages of each table by key, and the ledger's facts. */
export interface RestatedPort {
  deposits(after: string, limit: number): Promise<DepositRow[]>;
  mints(after: string, limit: number): Promise<MintRow[]>;
  redemptions(after: string, limit: number): Promise<RedemptionRow[]>;
  payouts(after: string, limit: number): Promise<PayoutRow[]>;
  investments(after: string, limit: number): Promise<InvestmentRow[]>;
  /** Every bill and repo lot (a few thousand at most: one per purchase). */
  lots(): Promise<LotRow[]>;
  /** The ledger's transfers of `ids` (absent: no such transfer). */
  transfers(ids: readonly string[]): Promise<ReadonlyMap<string, TransferFact>>;
  /** The journal's side of the lots of `accountCodes`. */
  lotJournal(accountCodes: readonly string[]): Promise<LotJournal>;
}

const money = (value: bigint | null | undefined): string | null =>
  value === null || value === undefined ? null : formatAmount(value);

/** A difference maker for one row. */
function differ(table: string, id: string, out: Difference[]) {
  return (column: string, stored: string | null, journal: string | null) => {
    if (stored !== journal) out.push({ table, id, column, stored, journal });
  };
}

/**
 * A deposit against its posted transfer, named by its reference.
 * @example compareDeposit(row, facts.get(row.ledgerTransfer)) // [] when they agree
 */
export function compareDeposit(row: DepositRow, fact: TransferFact | undefined): Difference[] {
  const out: Difference[] = [];
  const check = differ('deposits', row.reference, out);
  check('ledger_transfer', row.ledgerTransfer, namedUuid('clearpeg-deposit/1', row.reference));
  const posting =
    fact?.kind === 'posted' && fact.postings.length === 1 ? fact.postings[0] : undefined;
  if (posting === undefined) {
    check('amount', money(row.amount), null);
    return out;
  }
  check('amount', money(row.amount), money(posting.amount));
  check('bank', `reserves:cash:${row.bank}`, posting.debit);
  const credit = row.customerId === null ? 'suspense:deposits' : `customers:${row.customerId}:fiat`;
  check('customer_id', credit, posting.credit);
  return out;
}

/** The reservation states each mint status allows. */
const mintStates: Readonly<Record<string, readonly (TransferFact['state'] | 'none')[]>> = {
  'pending-approval': ['pending'],
  approved: ['pending'],
  submitted: ['pending'],
  final: ['posted'],
  failed: ['voided', 'expired', 'none'],
  expired: ['voided', 'expired', 'none'],
};

/**
 * A mint against its reservation (and, when final with its reservation gone, the late
 * transfer `clearpeg-mint-late/1` that posted it instead).
 * @example compareMint(row, facts.get(row.ledgerPending), facts.get(lateMintTransfer(row.id)))
 */
export function compareMint(
  row: MintRow,
  fact: TransferFact | undefined,
  late: TransferFact | undefined,
): Difference[] {
  const out: Difference[] = [];
  const check = differ('mint_requests', row.id, out);
  const carrier = row.status === 'final' && fact?.state !== 'posted' && late ? late : fact;
  const state = carrier?.state ?? 'none';
  if (!(mintStates[row.status] ?? []).includes(state)) check('status', row.status, state);
  if (carrier !== undefined)
    check('amount', money(row.amount), money(carrier.postings[0]?.amount ?? null));
  return out;
}

/**
 * The id of the transfer that posts a final mint whose reservation was gone.
 * @example lateMintTransfer(mintId)
 */
export function lateMintTransfer(mintId: string): string {
  return namedUuid('clearpeg-mint-late/1', mintId);
}

/**
 * A redemption against its transfer: the amount from supply, to the customer's fiat (or to
 * suspense when held), and the fee from that fiat to `income:fees`.
 * @example compareRedemption(row, facts.get(row.ledgerTransfer))
 */
export function compareRedemption(
  row: RedemptionRow,
  fact: TransferFact | undefined,
): Difference[] {
  const out: Difference[] = [];
  const check = differ('redemptions', row.id, out);
  if (fact === undefined || fact.kind !== 'posted') {
    check('amount', money(row.amount), null);
    return out;
  }
  const fiat = `customers:${row.customerId}:fiat`;
  const credited =
    fact.postings.find((p) => p.debit.startsWith('supply:') && p.credit === fiat) ??
    fact.postings.find((p) => p.debit.startsWith('supply:'));
  const fee = fact.postings.find((p) => p.credit === 'income:fees');
  check('amount', money(row.amount), money(credited?.amount));
  check('fee', money(row.fee), money(fee?.amount ?? 0n));
  const to = row.status === 'held' ? 'suspense:redemptions' : fiat;
  check('customer_id', to, credited?.credit ?? null);
  return out;
}

/** The reservation states each payout status allows. */
const payoutStates: Readonly<Record<string, readonly TransferFact['state'][]>> = {
  'pending-approval': ['pending'],
  approved: ['pending'],
  sent: ['posted'],
  cancelled: ['voided', 'expired'],
};

/**
 * A payout against its reservation: its amount, and a state its status allows.
 * @example comparePayout(row, facts.get(row.ledgerPending))
 */
export function comparePayout(row: PayoutRow, fact: TransferFact | undefined): Difference[] {
  const out: Difference[] = [];
  const check = differ('payouts', row.id, out);
  const state = fact?.state ?? 'none';
  if (!(payoutStates[row.status] ?? []).includes(state as TransferFact['state']))
    check('status', row.status, state);
  check('amount', money(row.amount), money(fact?.postings[0]?.amount ?? null));
  return out;
}

/**
 * The id of the ledger transfer a request out of excess posts when executed (treasury/book.ts
 * `treasuryTransfer`, keyed `invest:<name>:<reference>` for an investment and
 * `expense:<purpose>:<name>:<reference>` for an expense).
 * @example investmentTransfer({ purpose: 'investment', name: 'btc', reference: 'I-1' })
 */
export function investmentTransfer(
  row: Pick<InvestmentRow, 'purpose' | 'name' | 'reference'>,
): string {
  return namedUuid(
    'clearpeg-reserves/1',
    row.purpose === 'investment'
      ? `invest:${row.name}:${row.reference}`
      : `expense:${row.purpose}:${row.name}:${row.reference}`,
  );
}

/**
 * A request out of excess against its transfer: posted, from the bank's cash to the
 * investment's (or the expense's) account, for its amount, exactly when it is executed; none otherwise.
 * @example compareInvestment(row, facts.get(investmentTransfer(row)))
 */
export function compareInvestment(
  row: InvestmentRow,
  fact: TransferFact | undefined,
): Difference[] {
  const out: Difference[] = [];
  const check = differ('investment_requests', row.id, out);
  const posted =
    fact?.kind === 'posted' && fact.postings.length === 1 ? fact.postings[0] : undefined;
  if (row.status !== 'executed') {
    if (fact !== undefined) check('status', row.status, 'executed (a posted transfer)');
    return out;
  }
  if (posted === undefined) {
    check('status', row.status, 'none (no transfer)');
    return out;
  }
  check('amount', money(row.amount), money(posted.amount));
  check('bank', `reserves:cash:${row.bank}`, posted.credit);
  check(
    'name',
    row.purpose === 'investment'
      ? `investments:${row.name}`
      : `expenses:${row.purpose}:${row.name}`,
    posted.debit,
  );
  return out;
}

/** What an open lot carries by its row: a bill's carrying value through its last accrued day. */
function storedCarrying(row: LotRow): bigint | null {
  if (row.kind === 'repo') return row.principal;
  if (row.face === null || row.cost === null || row.accruedThrough === null) return null;
  try {
    const bill = {
      face: row.face as Micro,
      cost: row.cost as Micro,
      settlementDate: row.settlementDate!,
      maturityDate: row.maturityDate!,
    };
    return carryingValue(bill, row.accruedThrough);
  } catch {
    return null; // terms that do not make a bill: a difference of their own
  }
}

/**
 * Each lot against the transfers tagged with it, then each account's balance against its
 * lots: a bill's cost against its buy, a repo's principal against its opening, an open lot's
 * carrying value (from its face, cost, dates and last accrued day) against its net on the
 * account, a closed lot's net against zero.
 * @example compareLots(rows, await port.lotJournal(codes))
 */
export function compareLots(rows: readonly LotRow[], journal: LotJournal): Difference[] {
  const out: Difference[] = [];
  const accounted = new Map<string, bigint>();
  for (const row of rows) {
    const check = differ('reserve_positions', row.id, out);
    const fact = journal.lots.get(row.id);
    const opening = row.kind === 'tbill' ? row.cost : row.principal;
    const opened = money(fact?.opened);
    check(row.kind === 'tbill' ? 'cost' : 'principal', money(opening), opened);
    const net = fact?.net ?? 0n;
    accounted.set(row.accountCode, (accounted.get(row.accountCode) ?? 0n) + net);
    if (row.status === 'open') {
      if (net === 0n) check('status', row.status, 'closed (no balance)');
      // The carrying value follows from the cost: a wrong cost is named once, as the cost.
      else if (money(opening) === opened) check('carrying', money(storedCarrying(row)), money(net));
    } else if (net !== 0n) check('status', row.status, `open (${money(net)})`);
  }
  for (const [code, balance] of journal.balances)
    differ('reserve_positions', code, out)(
      'lots (the account balance)',
      money(accounted.get(code) ?? 0n),
      money(balance),
    );
  return out;
}

/** Rows compared per page (and ids looked up per query). */
const pageSize = 1_000;

/**
 * Runs `body` with a port on one consistent view (a read-only snapshot per page on a live
 * issuer, so that a row and the ledger facts it is compared with are of one moment).
 */
export type RestatedView = <T>(body: (port: RestatedPort) => Promise<T>) => Promise<T>;

/** Pages through one table: rows after the last key, compared with the facts of their ids. */
async function walk<R>(
  view: RestatedView,
  page: (port: RestatedPort, after: string) => Promise<R[]>,
  key: (row: R) => string,
  ids: (row: R) => readonly string[],
  compare: (row: R, facts: ReadonlyMap<string, TransferFact>) => Difference[],
  out: Difference[],
): Promise<void> {
  for (let after = ''; ; ) {
    const rows = await view(async (port) => {
      const rows = await page(port, after);
      const facts = await port.transfers(rows.flatMap(ids));
      for (const row of rows) out.push(...compare(row, facts));
      return rows;
    });
    if (rows.length < pageSize) return;
    after = key(rows[rows.length - 1]!);
  }
}

/**
 * Every difference between the business tables and the ledger, table by table.
 * @example const differences = await restatedDifferences((body) => body(sqlRestatedPort(db)))
 */
export async function restatedDifferences(view: RestatedView): Promise<Difference[]> {
  const out: Difference[] = [];
  await walk(
    view,
    (port, after) => port.deposits(after, pageSize),
    (row) => row.reference,
    (row) => [row.ledgerTransfer],
    (row, facts) => compareDeposit(row, facts.get(row.ledgerTransfer)),
    out,
  );
  await walk(
    view,
    (port, after) => port.mints(after, pageSize),
    (row) => row.id,
    (row) => [row.ledgerPending, lateMintTransfer(row.id)],
    (row, facts) =>
      compareMint(row, facts.get(row.ledgerPending), facts.get(lateMintTransfer(row.id))),
    out,
  );
  await walk(
    view,
    (port, after) => port.redemptions(after, pageSize),
    (row) => row.id,
    (row) => [row.ledgerTransfer],
    (row, facts) => compareRedemption(row, facts.get(row.ledgerTransfer)),
    out,
  );
  await walk(
    view,
    (port, after) => port.payouts(after, pageSize),
    (row) => row.id,
    (row) => [row.ledgerPending],
    (row, facts) => comparePayout(row, facts.get(row.ledgerPending)),
    out,
  );
  await walk(
    view,
    (port, after) => port.investments(after, pageSize),
    (row) => row.id,
    (row) => [investmentTransfer(row)],
    (row, facts) => compareInvestment(row, facts.get(investmentTransfer(row))),
    out,
  );
  await view(async (port) => {
    const lots = await port.lots();
    const codes = [...new Set(lots.map((lot) => lot.accountCode))];
    out.push(...compareLots(lots, await port.lotJournal(codes)));
  });
  return out;
}
