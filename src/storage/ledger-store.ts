/**
 * The ledger's store on PostgreSQL (and PGlite, through the same port).
 *
 * One batch is one database transaction:
 *   1. lock the journal head row (`FOR UPDATE`): every writer, in any process, queues here,
 *      so the order of records and the hash chain have one owner at a time;
 *   2. load the referenced accounts, pending transfers and prior outcomes of the ids;
 *   3. plan (pure, in memory);
 *   4. write: the records with one COPY, every touched account with one UPDATE (a
 *      compare-and-set on its previous sums), pending transfers, failures, and the new head.
 * Accounts read under the lock are cached between batches and trusted only while the head
 * is still the one this store wrote last; any other writer moves the head and empties it.
 */
import { addDays } from '../calendar.ts';
import { assert } from '../errors.ts';
import { type Balance, balanceOf, type Selection, type Sums, sideOf } from '../ledger/balances.ts';
import { derivedCommandHash, unusedFields } from '../ledger/journal.ts';
import type { BatchPlan, PlannedCommand, PlanState } from '../ledger/plan.ts';
import {
  type ApplyPlanned,
  type CutMovement,
  type JournalCut,
  type LedgerStore,
  type Planning,
  references,
  referencesOnlyAccountIds,
} from '../ledger/ports.ts';
import {
  type Account,
  accountFlag,
  type JournalHead,
  type JournalRecord,
  type Metadata,
  nilUuid,
  type Outcome,
  type Pending,
  type PendingStatus,
  type Posting,
  type PriorOutcome,
  type RecordKind,
  type Refusal,
  recordKind,
  type Uuid,
} from '../ledger/types.ts';
import { limits } from '../limits.ts';
import type { Micro } from '../money/money.ts';
import { BinaryCopyWriter, numericBytesMax, uuidBytes } from './copy-binary.ts';
import {
  SqlArray,
  type SqlArrayType,
  type SqlDatabase,
  SqlError,
  type SqlExecutor,
  type SqlParam,
  sqlState,
} from './sql.ts';

/** Attempts of one batch when another writer changed an account under us (should not happen: the head lock orders writers). */
const staleRetriesMax = 3;

class StaleState extends Error {
  override name = 'StaleState';
}

/** A batch planned ahead on the head its predecessor will leave. */
interface Speculation {
  readonly plan: BatchPlan;
  readonly base: JournalHead;
  /** The plan's statements, encoded while the previous batch was being written. */
  readonly steps: WriteStep[];
}

function sameHead(a: JournalHead, b: JournalHead): boolean {
  return a.seq === b.seq && Buffer.from(a.hash).equals(Buffer.from(b.hash));
}

/** The optimistic attempt met an id that was used before: plan again knowing its outcome. */
class SeenId extends Error {
  override name = 'SeenId';
}

type AccountRow = {
  id: string;
  code: string;
  asset: string;
  flags: number;
  debits_pending: string;
  debits_posted: string;
  credits_pending: string;
  credits_posted: string;
};

type RecordRow = {
  seq: string;
  id: string;
  kind: number;
  timestamp_us: string;
  asset: string;
  code: string;
  flags: number;
  account_id: string;
  pending_id: string;
  timeout_seconds: number;
  debit_ids: string[];
  credit_ids: string[];
  amounts: string[];
  metadata: Metadata;
  input_hash: Uint8Array | null;
  hash: Uint8Array;
};

const accountColumns =
  'id, code, asset, flags, debits_pending, debits_posted, credits_pending, credits_posted';
const recordColumns = `seq::text, id, kind, timestamp_us::text, asset, coalesce(code, '') AS code,
  coalesce(flags, 0) AS flags, coalesce(account_id, '${nilUuid}') AS account_id,
  coalesce(pending_id, '${nilUuid}') AS pending_id, coalesce(timeout_seconds, 0) AS timeout_seconds,
  debit_ids::text[], credit_ids::text[], amounts::text[], coalesce(metadata, '{}') AS metadata, input_hash, hash`;
const journalCopyColumns = [
  'seq',
  'id',
  'kind',
  'timestamp_us',
  'asset',
  'code',
  'flags',
  'account_id',
  'pending_id',
  'timeout_seconds',
  'debit_ids',
  'credit_ids',
  'amounts',
  'metadata',
  'input_hash',
  'hash',
];

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    code: row.code,
    asset: row.asset,
    flags: row.flags,
    debitsPending: BigInt(row.debits_pending),
    debitsPosted: BigInt(row.debits_posted),
    creditsPending: BigInt(row.credits_pending),
    creditsPosted: BigInt(row.credits_posted),
  };
}

function toRecord(row: RecordRow): JournalRecord {
  return {
    seq: BigInt(row.seq),
    kind: row.kind as RecordKind,
    id: row.id,
    timestampUs: BigInt(row.timestamp_us),
    asset: row.asset,
    code: row.code,
    flags: row.flags,
    accountId: row.account_id,
    pendingId: row.pending_id,
    timeoutSeconds: row.timeout_seconds,
    postings: row.amounts.map((amount, i) => ({
      debit: row.debit_ids[i]!,
      credit: row.credit_ids[i]!,
      amount: BigInt(amount) as Micro,
    })),
    metadata: row.metadata,
    inputHash: row.input_hash === null ? null : new Uint8Array(row.input_hash),
    hash: new Uint8Array(row.hash),
  };
}

function hexBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** One payload buffer, reused: batches are written one at a time. */
const journalWriter = new BinaryCopyWriter();

/**
 * The records as one binary COPY payload, in `journalCopyColumns` order. The bytes are valid
 * until the next call (the store awaits each COPY before it builds the next).
 */
function journalCopy(records: readonly JournalRecord[]): Uint8Array {
  const w = journalWriter.reset();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const json =
      r.metadata === unusedFields.metadata || Object.keys(r.metadata).length === 0
        ? '{}'
        : JSON.stringify(r.metadata);
    const bytesMax =
      16 * 4 +
      8 +
      16 +
      2 +
      8 +
      3 * (r.asset.length + r.code.length) +
      4 +
      16 +
      16 +
      4 +
      3 * 24 +
      r.postings.length * (2 * uuidBytes + numericBytesMax) +
      1 +
      3 * json.length +
      32 +
      32;
    w.row(journalCopyColumns.length, bytesMax);
    w.int8(r.seq);
    w.uuid(r.id);
    w.int2(r.kind);
    w.int8(r.timestampUs);
    w.text(r.asset);
    // Fields the kind does not use are NULL (see the migration): less to parse and store.
    if (r.code === '') w.null();
    else w.text(r.code);
    if (r.flags === 0) w.null();
    else w.int4(r.flags);
    if (r.accountId === nilUuid) w.null();
    else w.uuid(r.accountId);
    if (r.pendingId === nilUuid) w.null();
    else w.uuid(r.pendingId);
    if (r.timeoutSeconds === 0) w.null();
    else w.int4(r.timeoutSeconds);
    w.uuidArray(r.postings, debitOf);
    w.uuidArray(r.postings, creditOf);
    w.numericArray(r.postings, amountOf);
    if (json === '{}') w.null();
    else w.jsonb(json);
    if (r.inputHash === null) w.null();
    else w.bytea(r.inputHash);
    w.bytea(r.hash);
  }
  return w.finish();
}

const debitOf = (p: Posting) => p.debit;
const creditOf = (p: Posting) => p.credit;
const amountOf = (p: Posting) => p.amount;

/** One statement of a batch's write, its parameters already computed. */
type WriteStep = (tx: SqlExecutor) => Promise<void>;

/**
 * One statement of a batch's write as data: its SQL (one INSERT or UPDATE, no WITH), its
 * parameters, the rows it may touch, and the rows it must affect.
 */
interface WriteStatement {
  readonly sql: string;
  readonly params: readonly SqlParam[];
  /**
   * The rows it may change, named: two statements naming the same rows are never merged into
   * one (the sub-statements of one statement see one snapshot, so an UPDATE would miss a row
   * inserted beside it, and two UPDATEs of one row keep only one).
   */
  readonly rows: string;
  /** The number of rows it must affect, and the `StaleState` message when it does not. */
  readonly affects?: { readonly count: number; readonly stale: string };
  /** A unique violation on a command id is `SeenId` (the journal's and the failures' inserts). */
  readonly ids?: true;
  /**
   * A SELECT that must find nothing, else `SeenId` with this message (an id seen before, in
   * the other table: see `idChecks`). Merged, it sees the tables as they were before the write.
   */
  readonly seen?: string;
}

/**
 * Records up to which a batch's journal rows go in one INSERT (one round trip, and merged with
 * the rest of the write); a larger batch sends them as one binary COPY (two round trips, but
 * far less to encode and parse per row).
 */
const journalInsertRecordsMax = 32;

/** The journal's columns as an INSERT's placeholders' casts, in `journalCopyColumns` order. */
const journalCasts = [
  'bigint',
  'uuid',
  'smallint',
  'bigint',
  'text',
  'text',
  'integer',
  'uuid',
  'uuid',
  'integer',
  'uuid[]',
  'uuid[]',
  'numeric[]',
  'jsonb',
  'bytea',
  'bytea',
];

/** The records as one INSERT (for a few: `journalInsertRecordsMax`); NULLs as `journalCopy`. */
function journalInsert(records: readonly JournalRecord[]): WriteStatement {
  const params: SqlParam[] = [];
  const rows = records.map((r) => {
    const json =
      r.metadata === unusedFields.metadata || Object.keys(r.metadata).length === 0
        ? null
        : JSON.stringify(r.metadata);
    const values: SqlParam[] = [
      r.seq,
      r.id,
      r.kind,
      r.timestampUs,
      r.asset,
      r.code === '' ? null : r.code,
      r.flags === 0 ? null : r.flags,
      r.accountId === nilUuid ? null : r.accountId,
      r.pendingId === nilUuid ? null : r.pendingId,
      r.timeoutSeconds === 0 ? null : r.timeoutSeconds,
      column('uuid', r.postings, debitOf),
      column('uuid', r.postings, creditOf),
      column('numeric', r.postings, amountOf),
      json,
      r.inputHash,
      r.hash,
    ];
    const placeholders = values.map((value, i) => `$${params.push(value)}::${journalCasts[i]}`);
    return `(${placeholders.join(', ')})`;
  });
  return {
    sql: `INSERT INTO ledger_journal (${journalCopyColumns.join(', ')}) VALUES ${rows.join(', ')}`,
    params,
    rows: 'ledger_journal',
    affects: { count: records.length, stale: 'every record was inserted' },
    ids: true,
  };
}

/**
 * Everything a plan writes, as statements with their parameters computed, so that a batch
 * planned ahead is also encoded ahead, outside the transaction (the head lock is held only
 * while the statements run). `base` is the head the plan extends. A small write (the usual
 * one: a request's atomic step, a quiet moment's batch) is one statement, each part of it a
 * data-modifying WITH: one round trip to the store instead of five or more.
 */
function prepareWrites(base: JournalHead, plan: BatchPlan, checkIds: boolean): WriteStep[] {
  const statements: WriteStatement[] = checkIds ? idChecks(plan) : [];
  const steps: WriteStep[] = [];
  const count = plan.records.length;
  if (count > journalInsertRecordsMax) {
    const data = journalCopy(plan.records).slice(); // a copy: the writer's buffer is reused
    steps.push(async (tx) => {
      const copied = await seenIdOnDuplicate(
        tx.copyFrom('ledger_journal', journalCopyColumns, data),
      );
      assert(copied === count, 'every record was copied');
    });
  } else if (count > 0) statements.push(journalInsert(plan.records));
  statements.push(...prepareAccounts(plan), ...preparePendings(plan));
  if (plan.failures.length > 0)
    statements.push({
      sql: `INSERT INTO ledger_failures (id, input_hash, error, failed_at_us)
           SELECT id, decode(h, 'hex'), e::jsonb, $4 FROM unnest($1::uuid[], $2::text[], $3::text[]) AS f(id, h, e)`,
      params: [
        column('uuid', plan.failures, (f) => f.id),
        plan.failures.map((f) => hexBytes(f.inputHash)),
        plan.failures.map((f) => JSON.stringify(f.error)),
        plan.head.timestampUs,
      ],
      rows: 'ledger_failures',
      ids: true,
    });
  if (plan.head.seq !== base.seq)
    statements.push({
      sql: 'UPDATE ledger_head SET seq = $1, hash = $2, timestamp_us = $3 WHERE seq = $4',
      params: [plan.head.seq, plan.head.hash, plan.head.timestampUs, base.seq],
      rows: 'ledger_head',
      affects: { count: 1, stale: 'the journal head moved' },
    });
  const named = new Set(statements.map((statement) => statement.rows));
  if (statements.length > 1 && named.size === statements.length) steps.push(mergedStep(statements));
  else steps.push(...statements.map((statement) => mergedStep([statement])));
  return steps;
}

/**
 * After an optimistic plan (earlier outcomes not looked up): no id committed now had failed
 * before, and no id that failed now was committed before. (The unique indexes catch an id
 * committed twice or failed twice.)
 */
function idChecks(plan: BatchPlan): WriteStatement[] {
  const checks: WriteStatement[] = [];
  if (plan.records.length > 0)
    checks.push({
      sql: 'SELECT 1 FROM ledger_failures WHERE id = ANY($1::uuid[])',
      params: [column('uuid', plan.records, (r) => r.id)],
      rows: 'ledger_failures (read)',
      seen: 'an id committed now failed before',
    });
  if (plan.failures.length > 0)
    checks.push({
      sql: 'SELECT 1 FROM ledger_journal WHERE id = ANY($1::uuid[])',
      params: [column('uuid', plan.failures, (f) => f.id)],
      rows: 'ledger_journal (read)',
      seen: 'an id that failed now was committed before',
    });
  return checks;
}

/**
 * The statements as one: each a data-modifying WITH whose affected rows are counted, their
 * placeholders renumbered. One statement alone is sent as it is.
 */
function mergedStep(statements: readonly WriteStatement[]): WriteStep {
  const ids = statements.some((statement) => statement.ids);
  const judge = (counts: readonly number[]) => {
    statements.forEach((statement, i) => {
      const { affects, seen } = statement;
      if (seen !== undefined && counts[i] !== 0) throw new SeenId(seen);
      if (affects !== undefined && counts[i] !== affects.count) throw new StaleState(affects.stale);
    });
  };
  const only = statements.length === 1 ? statements[0] : undefined;
  if (only !== undefined)
    return async (tx) => {
      const sent = tx.query(only.sql, only.params);
      const { rows, affectedRows } = await (ids ? seenIdOnDuplicate(sent) : sent);
      judge([only.seen === undefined ? affectedRows : rows.length]);
    };
  const params: SqlParam[] = [];
  const parts = statements.map((statement, i) => {
    assert(!/^\s*WITH\b/i.test(statement.sql), 'a merged statement is a plain INSERT or UPDATE');
    const offset = params.length;
    params.push(...statement.params);
    const sql = statement.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    return `w${i} AS (${sql}${statement.seen === undefined ? ' RETURNING 1' : ''})`;
  });
  const counts = statements.map((_, i) => `(SELECT count(*) FROM w${i})::int AS n${i}`);
  const sql = `WITH ${parts.join(',\n')}\nSELECT ${counts.join(', ')}`;
  return async (tx) => {
    const sent = tx.query<Record<string, number>>(sql, params);
    const { rows } = await (ids ? seenIdOnDuplicate(sent) : sent);
    judge(statements.map((_, i) => Number(rows[0]![`n${i}`])));
  };
}

/** Turns a unique violation on a command id into `SeenId`. */
async function seenIdOnDuplicate<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const duplicateId =
      error instanceof SqlError &&
      error.code === sqlState.uniqueViolation &&
      (error.constraint === 'ledger_journal_id_key' || error.constraint === 'ledger_failures_pkey');
    throw duplicateId ? new SeenId(error.message) : error;
  }
}

const pendingStatuses: readonly PendingStatus[] = ['pending', 'posted', 'voided', 'expired'];

/** The ledger store over any `SqlDatabase`. */
export class SqlLedgerStore implements LedgerStore<SqlExecutor> {
  private cacheSeq = -1n;
  private readonly cache = new Map<Uuid, Account>();
  /** The batch being written: its plan once made, and its end. */
  private inFlight: { planned: Promise<BatchPlan | undefined>; done: Promise<unknown> } | undefined;

  constructor(readonly db: SqlDatabase) {}

  /**
   * See `LedgerStore.writeBatch`. Batches are written one after the other, in call order,
   * but a batch is planned while the one before it is still being written (pipelining): it is
   * planned on the state that batch will leave, and written only if, under the head lock, the
   * head is exactly the one that batch committed; otherwise it is planned again.
   *
   * Optimistic about ids: the first attempt does not look up earlier outcomes of the batch's
   * ids (almost every id is new); the journal's unique index and `idChecks` catch any
   * id seen before, and the batch is then planned again, knowing them.
   */
  writeBatch(commands: readonly PlannedCommand[], plan: Planning): Promise<BatchPlan> {
    const previous = this.inFlight;
    let planned!: (value: BatchPlan | undefined) => void;
    const mine = {
      planned: new Promise<BatchPlan | undefined>((resolve) => {
        planned = resolve;
      }),
      done: Promise.resolve() as Promise<unknown>,
    };
    const work = this.write_(previous, commands, plan, planned);
    mine.done = work.catch(() => undefined);
    this.inFlight = mine;
    return work.finally(() => {
      planned(undefined);
      if (this.inFlight === mine) this.inFlight = undefined;
    });
  }

  private async write_(
    previous: typeof this.inFlight,
    commands: readonly PlannedCommand[],
    plan: Planning,
    planned: (value: BatchPlan) => void,
  ): Promise<BatchPlan> {
    let speculative: Speculation | undefined;
    if (previous !== undefined) {
      const before = await previous.planned;
      if (before !== undefined) speculative = await this.speculate(before, commands, plan);
      await previous.done;
    }
    let knowPriors = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.db.transaction((tx) =>
          this.writeOnce(tx, commands, plan, knowPriors, speculative, planned),
        );
        this.remember(result);
        return result;
      } catch (error) {
        this.forget();
        speculative = undefined;
        const retry = error instanceof SeenId ? !knowPriors : error instanceof StaleState;
        if (!retry || attempt >= staleRetriesMax) throw error;
        if (error instanceof SeenId) knowPriors = true;
      }
    }
  }

  /**
   * Plans a batch on the state the previous batch will leave, when everything it needs is in
   * memory (no pending transfers, no account codes, every account known); else undefined.
   */
  private async speculate(
    previous: BatchPlan,
    commands: readonly PlannedCommand[],
    plan: Planning,
  ): Promise<Speculation | undefined> {
    if (this.cacheSeq < 0n || !referencesOnlyAccountIds(commands)) return undefined;
    // An account not in memory (or a cache emptied while this plans: it yields) makes the
    // plan useless: it is thrown away rather than trusted to say the account does not exist.
    let missed = false;
    const planned = await plan({
      head: previous.head,
      account: (id) => {
        const index = previous.accountIndex.get(id);
        const account = index === undefined ? this.cache.get(id) : previous.accounts[index];
        if (account === undefined) missed = true;
        return account;
      },
      accountIdByCode: () => undefined,
      pending: () => undefined,
      prior: () => undefined,
    });
    if (missed) return undefined;
    return {
      plan: planned,
      base: previous.head,
      steps: prepareWrites(previous.head, planned, true),
    };
  }

  private remember(plan: BatchPlan): void {
    if (this.cache.size + plan.accounts.length > limits.accountCacheMax) this.cache.clear();
    const { accounts } = plan;
    for (let i = 0; i < accounts.length; i++) this.cache.set(accounts[i]!.id, accounts[i]!);
    this.cacheSeq = plan.head.seq;
  }

  private forget(): void {
    this.cache.clear();
    this.cacheSeq = -1n;
  }

  private async writeOnce(
    tx: SqlExecutor,
    commands: readonly PlannedCommand[],
    plan: Planning,
    knowPriors: boolean,
    speculative: Speculation | undefined,
    planned: (value: BatchPlan) => void,
  ): Promise<BatchPlan> {
    const head = await lockHead(tx);
    if (head.seq !== this.cacheSeq) {
      this.cache.clear();
      this.cacheSeq = head.seq;
    }
    // The speculative plan holds if the previous batch committed and nobody wrote since.
    const holds = speculative !== undefined && !knowPriors && sameHead(speculative.base, head);
    const result = holds
      ? speculative.plan
      : await plan(await this.load(tx, head, commands, knowPriors));
    planned(result);
    // The writes and the check after them in one round trip: each statement is sent without
    // waiting for the one before (the session runs them in order; the first error wins).
    const steps = holds ? speculative.steps : prepareWrites(head, result, !knowPriors);
    await Promise.all(steps.map((step) => step(tx)));
    return result;
  }

  /** Loads the state a batch references (accounts not cached, pending transfers, codes, priors). */
  private async load(
    tx: SqlExecutor,
    head: JournalHead,
    commands: readonly PlannedCommand[],
    knowPriors: boolean,
  ): Promise<PlanState> {
    const refs = references(commands);
    const pendings = await loadPendings(tx, refs.pendingIds);
    const wanted = new Set(refs.accountIds);
    for (const pending of pendings.values())
      for (const p of pending.postings) wanted.add(p.debit).add(p.credit);
    const missing = [...wanted].filter((id) => !this.cache.has(id));
    if (missing.length > 0) {
      const { rows } = await tx.query<AccountRow>(
        `SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::uuid[])`,
        [missing],
      );
      for (const row of rows) this.cache.set(row.id, toAccount(row));
    }
    const codes = new Map<string, Uuid>();
    if (refs.accountCodes.length > 0) {
      const { rows } = await tx.query<{ id: string; code: string }>(
        'SELECT id, code FROM ledger_accounts WHERE code = ANY($1::text[])',
        [refs.accountCodes],
      );
      for (const row of rows) codes.set(row.code, row.id);
    }
    const priors = knowPriors
      ? await loadPriors(tx, refs.commandIds)
      : new Map<Uuid, PriorOutcome>();
    return {
      head,
      account: (id) => this.cache.get(id),
      accountIdByCode: (code) => codes.get(code),
      pending: (id) => pendings.get(id),
      prior: (id) => priors.get(id),
    };
  }

  /**
   * See `LedgerStore.atomically`. Ordered with batches: it starts when the batch before it has
   * ended, and the batch after it is planned on what it leaves (never speculatively).
   */
  atomically<T>(
    body: (tx: SqlExecutor, apply: ApplyPlanned) => Promise<T>,
    planFor: (commands: readonly PlannedCommand[]) => Planning,
  ): Promise<T> {
    const previous = this.inFlight;
    const mine = {
      planned: Promise.resolve(undefined) as Promise<BatchPlan | undefined>,
      done: Promise.resolve() as Promise<unknown>,
    };
    const work = (async () => {
      await previous?.done;
      // Optimistic about ids first, as batches are; an id seen before runs the step again,
      // from its start (its transaction rolled back), with the earlier outcomes loaded: a
      // retried step is the same command, answered as before.
      for (const knowPriors of [false, true]) {
        try {
          return await this.atomicStep(body, planFor, knowPriors);
        } catch (error) {
          this.forget();
          if (!(error instanceof SeenId) || knowPriors) throw error;
        }
      }
      throw new Error('assertion failed: an atomic step ends in its second attempt');
    })();
    mine.done = work.catch(() => undefined);
    this.inFlight = mine;
    return work.finally(() => {
      if (this.inFlight === mine) this.inFlight = undefined;
    });
  }

  /** One attempt of an atomic step (`atomically`). */
  private async atomicStep<T>(
    body: (tx: SqlExecutor, apply: ApplyPlanned) => Promise<T>,
    planFor: (commands: readonly PlannedCommand[]) => Planning,
    knowPriors: boolean,
  ): Promise<T> {
    let committed: BatchPlan | undefined;
    const result = await this.db.transaction(async (tx) => {
      // Not awaited: the body's first statements (its locks) travel with it, and the session
      // runs them after it, under the lock.
      const locked = lockHead(tx);
      locked.catch(() => {}); // the transaction fails with it; awaited where it is used
      return body(tx, async (commands) => {
        const head = await locked;
        if (head.seq !== this.cacheSeq) {
          this.cache.clear();
          this.cacheSeq = head.seq;
        }
        assert(committed === undefined, 'an atomic step applies its commands once');
        const plan = await planFor(commands)(await this.load(tx, head, commands, knowPriors));
        await Promise.all(prepareWrites(head, plan, !knowPriors).map((step) => step(tx)));
        committed = plan;
        return plan;
      });
    });
    if (committed !== undefined) this.remember(committed);
    return result;
  }

  /** See `LedgerStore.balances`: one statement for every selection. */
  async balances(selections: readonly Selection[], tx?: SqlExecutor): Promise<Balance[]> {
    if (selections.length === 0) return [];
    const params: SqlParam[] = [];
    const parts = selections.map(
      (selection, index) =>
        `SELECT ${index} AS i, ${sumColumns(selection)} FROM ledger_accounts WHERE ${selectionWhere(selection, params)}`,
    );
    const { rows } = await (tx ?? this.db).query<SumRow & { i: number }>(
      parts.join('\nUNION ALL\n'),
      params,
    );
    const out: Balance[] = new Array(selections.length);
    for (const row of rows) out[Number(row.i)] = sumsBalance(row, selections[Number(row.i)]!);
    return out;
  }

  /** See `LedgerStore.balancesByCode`. */
  async balancesByCode(selection: Selection, tx?: SqlExecutor): Promise<Map<string, Balance>> {
    const params: SqlParam[] = [];
    const { rows } = await (tx ?? this.db).query<SumRow & { code: string }>(
      `SELECT code, ${sumColumns(selection)} FROM ledger_accounts WHERE ${selectionWhere(selection, params)} GROUP BY code`,
      params,
    );
    return new Map(rows.map((row) => [row.code, sumsBalance(row, selection)]));
  }

  /**
   * See `LedgerStore.sumsAsOf`: the selection's accounts, and the posted movements on them of
   * the records the cut keeps (kinds 3 and 5: a transfer posted, a pending transfer posted),
   * summed in one statement. An account with no movement kept is left out.
   */
  async sumsAsOf(
    selection: Selection,
    cut: JournalCut,
    tx?: SqlExecutor,
  ): Promise<Map<string, Sums>> {
    const params: SqlParam[] = [];
    const where = selectionWhere(selection, params);
    const date = recordDate(cut.dateKeys, params);
    const day = `$${params.push(cut.throughDay)}`;
    const before = `$${params.push(cut.beforeUs)}`;
    const { rows } = await (tx ?? this.db).query<{
      code: string;
      flags: number;
      dpo: string;
      cpo: string;
    }>(
      `WITH sel AS (SELECT id, code, flags FROM ledger_accounts WHERE ${where}),
       kept AS (
         SELECT j.debit_ids, j.credit_ids, j.amounts FROM ledger_journal j
         WHERE j.kind IN (${recordKind.transferPosted}, ${recordKind.pendingPosted})
           AND CASE WHEN ${date} IS NULL THEN j.timestamp_us < ${before}::bigint
                    ELSE ${date} <= ${day}::text END),
       ${movesOf('kept', '')}
       SELECT sel.code, sel.flags, sum(m.debit)::text AS dpo, sum(m.credit)::text AS cpo
       FROM sel JOIN moves m ON m.id = sel.id GROUP BY sel.code, sel.flags`,
      params,
    );
    const out = new Map<string, Sums>();
    for (const row of rows) {
      assert(
        sideOf(Number(row.flags)) === selection.side,
        `every account of a balance selection is on its side (${JSON.stringify(selection)})`,
      );
      out.set(row.code, {
        debitsPending: 0n,
        debitsPosted: BigInt(row.dpo),
        creditsPending: 0n,
        creditsPosted: BigInt(row.cpo),
      });
    }
    return out;
  }

  /**
   * See `LedgerStore.movementsByCut`: the cut a record first counts in is the number of cuts
   * that leave it out (`width_bucket` over the cuts' ends: a dated record's day against the
   * day after each cut's, any other's timestamp against each cut's end), so the journal is
   * read once for every cut.
   */
  async movementsByCut(
    selection: Selection,
    cuts: readonly JournalCut[],
    options: { readonly byCode: boolean; readonly splitBy?: string },
    tx?: SqlExecutor,
  ): Promise<CutMovement[]> {
    if (cuts.length === 0) return [];
    const dateKeys = cuts[0]!.dateKeys;
    for (const [i, cut] of cuts.entries()) {
      assert(cut.dateKeys.join() === dateKeys.join(), 'the cuts of a series share their date keys');
      if (i > 0)
        assert(
          cut.throughDay > cuts[i - 1]!.throughDay && cut.beforeUs > cuts[i - 1]!.beforeUs,
          'the cuts of a series are in increasing order',
        );
    }
    const params: SqlParam[] = [];
    const where = selectionWhere(selection, params);
    const date = recordDate(dateKeys, params);
    const ends = `$${params.push(cuts.map((cut) => String(cut.beforeUs)))}::bigint[]`;
    const nextDays = `$${params.push(cuts.map((cut) => addDays(cut.throughDay, 1)))}::text[]`;
    const split =
      options.splitBy === undefined
        ? 'NULL::text'
        : `j.metadata->>($${params.push(options.splitBy)}::text)`;
    const { rows } = await (tx ?? this.db).query<{
      cut: number;
      key: string;
      split: string | null;
      flags: number;
      flags_max: number;
      dpo: string;
      cpo: string;
    }>(
      `WITH sel AS (SELECT id, ${options.byCode ? 'code' : "''::text"} AS key, flags FROM ledger_accounts WHERE ${where}),
       bucketed AS (
         SELECT j.debit_ids, j.credit_ids, j.amounts, ${split} AS split,
           CASE WHEN ${date} IS NULL THEN width_bucket(j.timestamp_us, ${ends})
                ELSE width_bucket(${date}, ${nextDays}) END AS cut
         FROM ledger_journal j
         WHERE j.kind IN (${recordKind.transferPosted}, ${recordKind.pendingPosted})),
       kept AS (SELECT * FROM bucketed WHERE cut < ${cuts.length}),
       ${movesOf('kept', 'kept.cut, kept.split, ')}
       SELECT m.cut, sel.key, m.split, bit_and(sel.flags) AS flags, bit_or(sel.flags) AS flags_max,
         sum(m.debit)::text AS dpo, sum(m.credit)::text AS cpo
       FROM sel JOIN moves m ON m.id = sel.id GROUP BY m.cut, sel.key, m.split ORDER BY m.cut`,
      params,
    );
    return rows.map((row) => {
      assert(
        sideOf(Number(row.flags)) === selection.side &&
          sideOf(Number(row.flags_max)) === selection.side,
        `every account of a balance selection is on its side (${JSON.stringify(selection)})`,
      );
      return {
        cut: Number(row.cut),
        key: row.key,
        split: row.split,
        debits: BigInt(row.dpo),
        credits: BigInt(row.cpo),
      };
    });
  }

  /** See `LedgerStore.head`. */
  async head(): Promise<JournalHead> {
    return readHead(this.db, '');
  }

  /** See `LedgerStore.accountById`. */
  async accountById(id: Uuid): Promise<Account | undefined> {
    const { rows } = await this.db.query<AccountRow>(
      `SELECT ${accountColumns} FROM ledger_accounts WHERE id = $1`,
      [id],
    );
    return rows[0] && toAccount(rows[0]);
  }

  /** See `LedgerStore.accountByCode`. */
  async accountByCode(code: string): Promise<Account | undefined> {
    const { rows } = await this.db.query<AccountRow>(
      `SELECT ${accountColumns} FROM ledger_accounts WHERE code = $1`,
      [code],
    );
    return rows[0] && toAccount(rows[0]);
  }

  /** See `LedgerStore.accounts`. */
  async accounts(options: { afterCode?: string; limit: number }): Promise<Account[]> {
    const { rows } = await this.db.query<AccountRow>(
      `SELECT ${accountColumns} FROM ledger_accounts WHERE code COLLATE "C" > $1 ORDER BY code COLLATE "C" LIMIT $2`,
      [options.afterCode ?? '', options.limit],
    );
    return rows.map(toAccount);
  }

  /** See `LedgerStore.recordById`. */
  async recordById(id: Uuid): Promise<JournalRecord | undefined> {
    const { rows } = await this.db.query<RecordRow>(
      `SELECT ${recordColumns} FROM ledger_journal WHERE id = $1`,
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** See `LedgerStore.records`. */
  async records(afterSeq: bigint, limit: number): Promise<JournalRecord[]> {
    const { rows } = await this.db.query<RecordRow>(
      `SELECT ${recordColumns} FROM ledger_journal j WHERE j.seq > $1 ORDER BY j.seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map(toRecord);
  }

  /** See `LedgerStore.pendings`. */
  async pendings(afterSeq: bigint, limit: number): Promise<Array<Pending & { seq: bigint }>> {
    const { rows } = await this.db.query<PendingRow>(
      `${pendingSelect} WHERE p.seq > $1 ORDER BY p.seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map(toPending);
  }

  /** See `LedgerStore.pendingsByIds`. */
  async pendingsByIds(ids: readonly Uuid[]): Promise<Array<Pending & { seq: bigint }>> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<PendingRow>(
      `${pendingSelect} WHERE p.id = ANY($1::uuid[])`,
      [new SqlArray('uuid', ids)],
    );
    return rows.map(toPending);
  }

  /** See `LedgerStore.pendingCount`. */
  async pendingCount(): Promise<bigint> {
    const { rows } = await this.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM ledger_pending',
    );
    return BigInt(rows[0]!.n);
  }

  /** See `LedgerStore.duePendingIds`. */
  async duePendingIds(nowUs: bigint, limit: number): Promise<Uuid[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM ledger_pending WHERE status = 'pending' AND expires_at_us <= $1 ORDER BY expires_at_us LIMIT $2`,
      [nowUs, limit],
    );
    return rows.map((row) => row.id);
  }
}

type PendingRow = {
  id: string;
  seq: string;
  status: PendingStatus;
  expires_at_us: string;
  asset: string;
  debit_ids: string[];
  credit_ids: string[];
  amounts: string[];
};

const pendingSelect = `SELECT p.id, p.seq::text, p.status, p.expires_at_us::text, j.asset,
  j.debit_ids::text[], j.credit_ids::text[], j.amounts::text[]
  FROM ledger_pending p JOIN ledger_journal j ON j.seq = p.seq`;

function toPending(row: PendingRow): Pending & { seq: bigint } {
  assert(pendingStatuses.includes(row.status), 'a stored pending status is known');
  return {
    id: row.id,
    seq: BigInt(row.seq),
    asset: row.asset,
    status: row.status,
    expiresAtUs: BigInt(row.expires_at_us),
    postings: row.amounts.map((amount, i) => ({
      debit: row.debit_ids[i]!,
      credit: row.credit_ids[i]!,
      amount: BigInt(amount) as Micro,
    })),
  };
}

async function readHead(tx: SqlExecutor, lock: '' | 'FOR UPDATE'): Promise<JournalHead> {
  const { rows } = await tx.query<{ seq: string; hash: Uint8Array; timestamp_us: string }>(
    `SELECT seq::text, hash, timestamp_us::text FROM ledger_head ${lock}`,
  );
  const row = rows[0];
  assert(row !== undefined, 'the ledger head row exists (run the migrations)');
  return {
    seq: BigInt(row.seq),
    hash: new Uint8Array(row.hash),
    timestampUs: BigInt(row.timestamp_us),
  };
}

type SumRow = { on_side: number; n: number; dpe: string; dpo: string; cpe: string; cpo: string };

/** The four sums of a selection's accounts, and how many of them are on its side. */
function sumColumns(selection: Selection): string {
  const side = selection.side === 'debit' ? '<>' : '=';
  return `count(*) FILTER (WHERE (flags & ${accountFlag.creditsMustNotExceedDebits}) ${side} 0)::int AS on_side,
    count(*)::int AS n, coalesce(sum(debits_pending), 0)::text AS dpe, coalesce(sum(debits_posted), 0)::text AS dpo,
    coalesce(sum(credits_pending), 0)::text AS cpe, coalesce(sum(credits_posted), 0)::text AS cpo`;
}

/** The WHERE of a selection; its code list goes into `params`. */
function selectionWhere(selection: Selection, params: SqlParam[]): string {
  const where: string[] = [];
  if (selection.codes !== undefined && selection.codes.length > 0) {
    params.push([...selection.codes]);
    where.push(`code = ANY($${params.length}::text[])`);
  }
  if (selection.prefix !== undefined || selection.suffix !== undefined)
    where.push(`code LIKE '${likePattern(selection.prefix ?? '', selection.suffix ?? '')}'`);
  return where.length === 0 ? 'false' : where.join(' OR ');
}

/** A selection's balance from its sums; a selection mixing sides is a bug of its caller. */
function sumsBalance(row: SumRow, selection: Selection): Balance {
  assert(
    Number(row.on_side) === Number(row.n),
    `every account of a balance selection is on its side (${JSON.stringify(selection)})`,
  );
  return balanceOf(
    {
      debitsPending: BigInt(row.dpe),
      debitsPosted: BigInt(row.dpo),
      creditsPending: BigInt(row.cpe),
      creditsPosted: BigInt(row.cpo),
    },
    selection.side,
  );
}

/**
 * A LIKE pattern for codes starting with `prefix` and ending with `suffix`, inlined (a literal
 * prefix lets the planner use the code index); only the chart of accounts' characters pass.
 */
function likePattern(prefix: string, suffix: string): string {
  for (const part of [prefix, suffix])
    assert(
      /^[A-Za-z0-9:.-]*$/.test(part),
      `a balance selection's prefix or suffix is a code part (${part})`,
    );
  return `${prefix}%${suffix}`;
}

function lockHead(tx: SqlExecutor): Promise<JournalHead> {
  return readHead(tx, 'FOR UPDATE');
}

async function loadPendings(tx: SqlExecutor, ids: readonly Uuid[]): Promise<Map<Uuid, Pending>> {
  const pendings = new Map<Uuid, Pending>();
  if (ids.length === 0) return pendings;
  const { rows } = await tx.query<PendingRow>(`${pendingSelect} WHERE p.id = ANY($1::uuid[])`, [
    ids,
  ]);
  for (const row of rows) pendings.set(row.id, toPending(row));
  return pendings;
}

/**
 * The earlier outcomes of `ids`, committed (journal records) or failed, in one statement: a
 * failure's row has no `seq`.
 */
async function loadPriors(tx: SqlExecutor, ids: readonly Uuid[]): Promise<Map<Uuid, PriorOutcome>> {
  const priors = new Map<Uuid, PriorOutcome>();
  const { rows } = await tx.query<
    RecordRow & { seq: string | null; error: Refusal | null; input_hash: Uint8Array | null }
  >(
    `SELECT ${recordColumns}, NULL::jsonb AS error FROM ledger_journal WHERE id = ANY($1::uuid[])
     UNION ALL
     SELECT NULL, id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       input_hash, NULL, error FROM ledger_failures WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  // Failures after the records, as two statements read them (an id in both is a bug
  // `idChecks` keeps out).
  for (const row of rows) {
    if (row.seq === null) continue;
    const record = toRecord(row as RecordRow);
    const outcome: Outcome = {
      id: record.id,
      status: 'committed',
      seq: record.seq,
      timestampUs: record.timestampUs,
    };
    priors.set(record.id, { inputHash: record.inputHash ?? derivedCommandHash(record), outcome });
  }
  for (const row of rows) {
    if (row.seq !== null) continue;
    priors.set(row.id, {
      inputHash: new Uint8Array(row.input_hash!),
      outcome: { id: row.id, status: 'failed', error: row.error! },
    });
  }
  return priors;
}

function prepareAccounts(plan: BatchPlan): WriteStatement[] {
  const steps: WriteStatement[] = [];
  // One pass: new accounts, and the changed sums of the others.
  const created: Account[] = [];
  const changed: Uuid[] = [];
  const reflagged: Account[] = [];
  // A sum that did not change is NULL, and kept (most accounts change one sum).
  const dp: Array<bigint | null> = [];
  const dpo: Array<bigint | null> = [];
  const cp: Array<bigint | null> = [];
  const cpo: Array<bigint | null> = [];
  const { accounts, before } = plan;
  for (let i = 0; i < accounts.length; i++) {
    const a = accounts[i]!;
    const b = before[i];
    if (b === undefined) {
      created.push(a);
      continue;
    }
    if (a.flags !== b.flags) reflagged.push(a);
    const dpChanged = a.debitsPending !== b.debitsPending;
    const dpoChanged = a.debitsPosted !== b.debitsPosted;
    const cpChanged = a.creditsPending !== b.creditsPending;
    const cpoChanged = a.creditsPosted !== b.creditsPosted;
    if (!(dpChanged || dpoChanged || cpChanged || cpoChanged)) continue;
    changed.push(a.id);
    dp.push(dpChanged ? a.debitsPending : null);
    dpo.push(dpoChanged ? a.debitsPosted : null);
    cp.push(cpChanged ? a.creditsPending : null);
    cpo.push(cpoChanged ? a.creditsPosted : null);
  }
  if (created.length > 0) {
    const createdSeq = new Map<Uuid, bigint>();
    for (const record of plan.records)
      if (record.kind === recordKind.accountCreated) createdSeq.set(record.id, record.seq);
    assert(
      created.every((a) => createdSeq.has(a.id)),
      'every new account has a creation record',
    );
    const params = [
      column('uuid', created, (a) => a.id),
      created.map((a) => a.code),
      created.map((a) => a.asset),
      column('int4', created, (a) => a.flags),
      ...sums(created),
      column('int8', created, (a) => createdSeq.get(a.id)!),
    ];
    steps.push({
      sql: `INSERT INTO ledger_accounts (id, code, asset, flags, debits_pending, debits_posted, credits_pending, credits_posted, created_seq)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::bigint[])`,
      params,
      // New accounts: no other statement of the batch touches them.
      rows: 'ledger_accounts (new)',
    });
  }
  if (changed.length > 0) {
    // Absolute values: the planner computed them from balances read under the head lock,
    // which every writer holds while it writes (the CHECK constraints guard the flags again).
    const params = [
      new SqlArray('uuid', changed),
      new SqlArray('numeric', dp),
      new SqlArray('numeric', dpo),
      new SqlArray('numeric', cp),
      new SqlArray('numeric', cpo),
    ];
    steps.push({
      sql: `UPDATE ledger_accounts a SET debits_pending = coalesce(v.dp, a.debits_pending),
         debits_posted = coalesce(v.dpo, a.debits_posted), credits_pending = coalesce(v.cp, a.credits_pending),
         credits_posted = coalesce(v.cpo, a.credits_posted)
       FROM unnest($1::uuid[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[]) AS v(id, dp, dpo, cp, cpo)
       WHERE a.id = v.id`,
      params,
      rows: 'ledger_accounts',
      affects: { count: changed.length, stale: 'an account vanished under the writer' },
    });
  }
  if (reflagged.length > 0) {
    const flags = [
      column('uuid', reflagged, (a) => a.id),
      column('int4', reflagged, (a) => a.flags),
    ];
    steps.push({
      sql: 'UPDATE ledger_accounts a SET flags = v.flags FROM unnest($1::uuid[], $2::int[]) AS v(id, flags) WHERE a.id = v.id',
      params: flags,
      rows: 'ledger_accounts',
    });
  }
  return steps;
}

/** One column of `items` as an array parameter. */
function column<T>(
  type: SqlArrayType,
  items: readonly T[],
  pick: (item: T) => SqlArray['values'][number],
): SqlArray {
  return new SqlArray(type, items.map(pick));
}

function sums(accounts: readonly Account[]): SqlArray[] {
  return [
    column('numeric', accounts, (a) => a.debitsPending),
    column('numeric', accounts, (a) => a.debitsPosted),
    column('numeric', accounts, (a) => a.creditsPending),
    column('numeric', accounts, (a) => a.creditsPosted),
  ];
}

function preparePendings(plan: BatchPlan): WriteStatement[] {
  const steps: WriteStatement[] = [];
  const created = plan.pendingsCreated;
  if (created.length > 0) {
    const params = [
      column('uuid', created, (p) => p.id),
      column('int8', created, (p) => p.seq),
      column('int8', created, (p) => p.expiresAtUs!),
    ];
    steps.push({
      sql: `INSERT INTO ledger_pending (id, seq, expires_at_us, status)
         SELECT id, seq, expires, 'pending' FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS p(id, seq, expires)`,
      params,
      rows: 'ledger_pending',
    });
  }
  const resolved = plan.pendingsResolved;
  if (resolved.length > 0) {
    const params = [
      column('uuid', resolved, (r) => r.id),
      resolved.map((r) => r.status),
      column('int8', resolved, (r) => r.seq),
    ];
    steps.push({
      sql: `UPDATE ledger_pending p SET status = v.status, resolved_seq = v.seq
         FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS v(id, status, seq)
         WHERE p.id = v.id AND p.status = 'pending'`,
      params,
      rows: 'ledger_pending',
      affects: {
        count: resolved.length,
        stale: 'a pending transfer was resolved under the writer',
      },
    });
  }
  return steps;
}

/**
 * The business date of a journal record `j` in SQL: the first of `dateKeys` its metadata holds,
 * or NULL (then its timestamp dates it). The keys are appended to `params`.
 */
function recordDate(dateKeys: readonly string[], params: SqlParam[]): string {
  assert(dateKeys.length <= 8, 'a journal cut names at most 8 date keys');
  const dated = dateKeys.map((key) => `j.metadata->>($${params.push(key)}::text)`);
  return dated.length === 0 ? 'NULL::text' : `coalesce(${dated.join(', ')}, NULL::text)`;
}

/**
 * The CTE `moves` over the records of `from`: one row per posting leg (the account's id, its
 * debit or credit), with the columns `carried` (each ending in a comma) of the record.
 */
function movesOf(from: string, carried: string): string {
  return `moves AS (
         SELECT ${carried}d.id, d.amount AS debit, 0::numeric AS credit FROM ${from}, unnest(${from}.debit_ids, ${from}.amounts) AS d(id, amount)
         UNION ALL
         SELECT ${carried}c.id, 0::numeric, c.amount FROM ${from}, unnest(${from}.credit_ids, ${from}.amounts) AS c(id, amount))`;
}
