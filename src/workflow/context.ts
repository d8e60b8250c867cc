/**
 * What the workflows (issuance, treasury, later attest) share: the database, the ledger, the
 * sanctions list, the clock; and `audited`, the one way a workflow changes anything: the change and its audit
 * entry commit together, and a refusal is recorded before it is thrown. (The ledger is not
 * called inside a database transaction: it has its own writer, and on the embedded store one
 * connection.)
 */
import { ClearpegError } from '../errors.ts';
import type { SanctionsList } from '../issuance/sanctions.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Command, Outcome } from '../ledger/types.ts';
import { raiseAlert } from '../policy/alerts.ts';
import type { AuditDetail } from '../policy/audit.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import { type Actor, actorName } from './actors.ts';
import { appendAudit, auditWrite, lockAuditHead } from './audit-store.ts';

export interface IssuanceContext {
  readonly db: SqlDatabase;
  readonly ledger: Ledger<SqlExecutor>;
  readonly sanctions: SanctionsList;
  /** Microseconds since the epoch. */
  readonly clockUs: () => bigint;
}

/** What a change returns: its result, its audit detail, and its last statements unawaited. */
export type Change<R> = { result: R; detail: AuditDetail; writes?: Promise<unknown> };

/** Ledger commands applied inside an atomic step; their outcomes, in order. */
export type Apply = (commands: readonly Command[]) => Promise<Outcome[]>;

/**
 * Commits a change with its audit entry: `change` runs in one database transaction. It may
 * return its last statements unawaited as `writes` (statements only: their answers are not
 * looked at): the audit entry and COMMIT are sent right behind them, in the same round trip
 * to the store, and a failure of any of them rolls the change back with its error.
 *
 * `commit.ledger` is the same with the ledger in it (`Ledger.atomically`): the transaction
 * holds the journal-head lock from its start, so what the change reads of balances stays
 * true until it commits, and the ledger commands it applies commit with its rows and its
 * audit entry, or none of them do. Locks are taken in one order, the journal head then the
 * audit head, and no other path takes both, so the two kinds never deadlock.
 */
export interface Commit {
  <R>(change: (tx: SqlExecutor) => Promise<Change<R>>): Promise<R>;
  ledger<R>(change: (tx: SqlExecutor, apply: Apply) => Promise<Change<R>>): Promise<R>;
}

/**
 * Runs a workflow step that is audited as `action` on `named` (its first 200 characters:
 * the subject). `body` checks and prepares (reads, ledger commands: the ledger commits on
 * its own, so its commands are made idempotent by id), then calls `commit` (or
 * `commit.ledger`) once with the database change, which commits with an audit entry
 * (outcome ok, the detail it returns). A `ClearpegError` anywhere is recorded as a refusal
 * (its code and message) and rethrown.
 * @example await audited(ctx, actor, 'customer.create', id, (commit) => commit(async (tx) => ({ result: id, detail: {} })))
 */
export async function audited<T>(
  ctx: IssuanceContext,
  actor: Actor,
  action: string,
  named: string,
  body: (commit: Commit) => Promise<T>,
): Promise<T> {
  // As given by the caller's input (a string by its type, not always in fact), cut to what
  // the log holds.
  const subject = String(named).slice(0, 200);
  const entry = { actor: actorName(actor), action, subject, outcome: 'ok' } as const;
  const commit = (<R>(change: (tx: SqlExecutor) => Promise<Change<R>>) =>
    ctx.db.transaction((tx) => withAuditEntry(ctx, tx, entry, () => change(tx)))) as Commit;
  commit.ledger = (change) =>
    ctx.ledger.atomically((tx, apply) => withAuditEntry(ctx, tx, entry, () => change(tx, apply)));
  try {
    return await body(commit);
  } catch (error) {
    if (error instanceof ClearpegError) await recordRefusal(ctx, actor, action, subject, error);
    throw error;
  }
}

/** Runs a change in `tx` and sends its audit entry behind its last writes. */
async function withAuditEntry<R>(
  ctx: IssuanceContext,
  tx: SqlExecutor,
  entry: { actor: string; action: string; subject: string; outcome: 'ok' },
  change: () => Promise<Change<R>>,
): Promise<R> {
  // The audit head is locked first, with the change's first statements (one round trip
  // fewer; every audited transaction takes this lock first, so none waits on another's).
  const head = lockAuditHead(tx);
  head.catch(() => {}); // awaited below; a failed change must not leave it unhandled
  const { result, detail, writes } = await change();
  // An invalid entry throws here, before anything more is sent.
  const write = auditWrite({ ...entry, detail }, ctx.clockUs(), await head);
  // Left unanswered with `writes`: the transaction sends COMMIT right behind them and
  // resolves once all are answered (SqlDatabase.transaction); their failures are its own.
  void tx.query(write.sql, write.params);
  writes?.catch(() => {});
  return result;
}

/**
 * Records a refused request in the audit log, on its own; a sanctions hit also raises an
 * alert (compliance must look at who tried).
 */
export async function recordRefusal(
  ctx: IssuanceContext,
  actor: Actor,
  action: string,
  subject: string,
  error: ClearpegError,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    if (error.code === 'sanctions-hit')
      await raiseAlert(
        tx,
        'sanctions-hit',
        `${action} ${subject}`.slice(0, 200),
        { actor: actorName(actor), field: error.field ?? null, message: error.message },
        ctx.clockUs(),
      );
    await appendAudit(
      tx,
      {
        actor: actorName(actor),
        action,
        subject: subject.slice(0, 200) || '-',
        outcome: 'refused',
        detail: {
          code: error.code,
          message: error.message.slice(0, 2000),
          field: error.field ?? null,
        },
      },
      ctx.clockUs(),
    );
  });
}
