/**
 * What the ledger needs from storage. Declared here, by the code that uses it; implemented in
 * `src/storage/ledger-store.ts` for PostgreSQL and PGlite alike.
 */
import type { Balance, Selection, Sums } from './balances.ts';
import type { BatchPlan, PlannedCommand, PlanState } from './plan.ts';
import type { Account, JournalHead, JournalRecord, Pending, Uuid } from './types.ts';

/** The ids a batch references, so the store can load exactly that state. */
export interface BatchReferences {
  readonly commandIds: Uuid[];
  readonly accountIds: Uuid[];
  readonly accountCodes: string[];
  readonly pendingIds: Uuid[];
}

/** Plans a batch on the state given (it may be called more than once: it must be pure). */
export type Planning = (state: PlanState) => Promise<BatchPlan>;

/**
 * Applies commands inside an atomic step (`LedgerStore.atomically`): plans them on the state
 * read under the head lock and writes them in the step's transaction; once per step.
 */
export type ApplyPlanned = (commands: readonly PlannedCommand[]) => Promise<BatchPlan>;

/**
 * Where the journal is cut for a figure as of a past day: a record counts if it is dated on
 * or before `throughDay`. Its date is its business date, the first of `dateKeys` its metadata
 * holds (a `YYYY-MM-DD` the caller's own postings write, e.g. a bill's settlement day), or
 * else the time it was recorded: it counts if `timestampUs < beforeUs` (the end of the day).
 */
export interface JournalCut {
  readonly beforeUs: bigint;
  readonly throughDay: string;
  readonly dateKeys: readonly string[];
}

/**
 * Posted movements between consecutive journal cuts (`LedgerStore.movementsByCut`): what cut
 * `cut` keeps and the cut before it does not (cut 0: all it keeps), on the account `key` (or on
 * all of the selection's accounts, key `''`), of records whose metadata `splitBy` is `split`.
 */
export interface CutMovement {
  readonly cut: number;
  readonly key: string;
  readonly split: string | null;
  readonly debits: bigint;
  readonly credits: bigint;
}

/**
 * Storage for the ledger: one writer path, atomic steps and the reads. `Tx` is the store's
 * transaction handle, which an atomic step's body reads and writes through.
 */
export interface LedgerStore<Tx = unknown> {
  /**
   * Runs one batch atomically: takes the journal-head lock (which orders every writer),
   * loads the state the commands reference (see `references`), calls `plan` and writes its
   * result, then commits. Returns the plan that was committed. Throws (and writes nothing)
   * if anything fails.
   */
  writeBatch(commands: readonly PlannedCommand[], plan: Planning): Promise<BatchPlan>;
  /**
   * Runs `body` in one database transaction that holds the head lock from its start, so no
   * ledger write anywhere (any process) interleaves: what `body` reads through `tx`
   * (balances, its own rows) stays true until it commits. `body` may call `apply` once to
   * plan (with `planFor`) and write ledger commands in that transaction, and write rows of
   * its own; if it throws, nothing of it is kept. The check of a gate and the act it guards
   * are one step this way. Ordered with `writeBatch` calls in call order.
   */
  atomically<T>(
    body: (tx: Tx, apply: ApplyPlanned) => Promise<T>,
    planFor: (commands: readonly PlannedCommand[]) => Planning,
  ): Promise<T>;
  /**
   * The balances of the accounts each selection covers, added up, one per selection; read
   * through `tx` when given (inside an atomic step), else as committed now.
   */
  balances(selections: readonly Selection[], tx?: Tx): Promise<Balance[]>;
  /** The balance of each account a selection covers, by code. */
  balancesByCode(selection: Selection, tx?: Tx): Promise<Map<string, Balance>>;
  /**
   * The four sums of each account a selection covers, by code, from the journal's posted
   * movements (transfers posted, pending transfers posted) that `cut` keeps; pending sums are
   * zero (a reservation in flight on a past day is not counted). Compute balances with
   * `balanceOf`. Reads the whole journal: for figures of the past, not for gates.
   */
  sumsAsOf(selection: Selection, cut: JournalCut, tx?: Tx): Promise<Map<string, Sums>>;
  /**
   * The posted movements of `sumsAsOf` at every one of `cuts` (days in increasing order, one
   * set of date keys) in one read of the journal: each record counted once, at the first cut
   * that keeps it (as `sumsAsOf` would keep it), per account (`byCode`) or over the selection,
   * and by the value of the metadata key `splitBy` when given. Summed cut by cut, they are
   * `sumsAsOf` at each cut. Records no cut keeps are left out.
   */
  movementsByCut(
    selection: Selection,
    cuts: readonly JournalCut[],
    options: { readonly byCode: boolean; readonly splitBy?: string },
    tx?: Tx,
  ): Promise<CutMovement[]>;
  head(): Promise<JournalHead>;
  accountById(id: Uuid): Promise<Account | undefined>;
  accountByCode(code: string): Promise<Account | undefined>;
  /** Accounts ordered by code, after `afterCode`, at most `limit`. */
  accounts(options: { afterCode?: string; limit: number }): Promise<Account[]>;
  /** The committed record of a command id, if any. */
  recordById(id: Uuid): Promise<JournalRecord | undefined>;
  /** Committed records with seq > `afterSeq`, in seq order, at most `limit`. */
  records(afterSeq: bigint, limit: number): Promise<JournalRecord[]>;
  /** Every pending transfer (any status) with seq > `afterSeq`, in seq order, at most `limit`. */
  pendings(afterSeq: bigint, limit: number): Promise<Array<Pending & { seq: bigint }>>;
  /** The pending transfers (any status) of these ids that are stored. */
  pendingsByIds(ids: readonly Uuid[]): Promise<Array<Pending & { seq: bigint }>>;
  /** How many pending transfers (any status) are stored. */
  pendingCount(): Promise<bigint>;
  /** Pending transfers whose timeout passed by `nowUs`, oldest first. */
  duePendingIds(nowUs: bigint, limit: number): Promise<Uuid[]>;
}

/**
 * Every id a batch of commands references.
 * @example references([{ type: 'voidPending', id, pendingId }]).pendingIds // [pendingId]
 */
export function references(commands: readonly PlannedCommand[]): BatchReferences {
  const commandIds = new Set<Uuid>();
  const accountIds = new Set<Uuid>();
  const accountCodes = new Set<string>();
  const pendingIds = new Set<Uuid>();
  for (const command of commands) {
    commandIds.add(command.id);
    switch (command.type) {
      case 'createAccount':
        accountCodes.add(command.code);
        break;
      case 'setAccountFlags':
        accountIds.add(command.accountId);
        break;
      case 'transfer':
        for (const posting of command.postings) {
          accountIds.add(posting.debit);
          accountIds.add(posting.credit);
        }
        break;
      default:
        pendingIds.add(command.pendingId);
    }
  }
  return {
    commandIds: [...commandIds],
    accountIds: [...accountIds],
    accountCodes: [...accountCodes],
    pendingIds: [...pendingIds],
  };
}

/**
 * Whether a batch references accounts by id and nothing else (transfers and flag changes):
 * no pending transfer, no account code. A store that holds every account it names can plan
 * such a batch without reading anything.
 * @example referencesOnlyAccountIds([{ type: 'transfer', id, asset, postings }]) === true
 */
export function referencesOnlyAccountIds(commands: readonly PlannedCommand[]): boolean {
  for (const command of commands)
    if (command.type !== 'transfer' && command.type !== 'setAccountFlags') return false;
  return true;
}
