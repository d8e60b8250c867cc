/**
 * The audit log in the database: the chain's head locked, entries appended in the transaction
 * of the change they record, and the whole chain read back and verified. The format itself
 * (encoding, hashing, validation, verification of a list) is `src/policy/audit.ts`, pure.
 */
import { wallClockUs } from '../calendar.ts';
import {
  type AuditCheck,
  type AuditDetail,
  type AuditEntry,
  type AuditHead,
  type AuditReport,
  auditGenesisHead,
  auditReport,
  chainAudit,
  verifyAuditRecords,
} from '../policy/audit.ts';
import type { SqlDatabase, SqlExecutor, SqlParam } from '../storage/sql.ts';

/**
 * Locks the audit chain's head in `tx` until it commits, and reads it. A transaction that
 * will append may take it first, so that the read travels with its other first statements.
 * @example const head = await lockAuditHead(tx)
 */
export async function lockAuditHead(tx: SqlExecutor): Promise<AuditHead> {
  const { rows } = await tx.query<{ seq: string; hash: Uint8Array }>(
    'SELECT seq::text, hash FROM audit_head WHERE singleton FOR UPDATE',
  );
  const head = rows[0];
  if (head === undefined) throw new Error('assertion failed: the audit head row exists');
  return { seq: BigInt(head.seq), hash: head.hash };
}

/**
 * Appends `entry` in the transaction `tx` (taking the chain's head lock until it commits,
 * unless `head` says the transaction holds it already); returns its sequence number.
 * @example await db.transaction((tx) => appendAudit(tx, { actor: 'alice', action: 'customer.create', subject: 'C-1', outcome: 'ok', detail: {} }))
 */
export async function appendAudit(
  tx: SqlExecutor,
  entry: AuditEntry,
  atUs: bigint = wallClockUs(),
  head?: AuditHead,
): Promise<bigint> {
  const write = auditWrite(entry, atUs, head ?? (await lockAuditHead(tx)));
  await tx.query(write.sql, write.params);
  return write.seq;
}

/** The statement that appends an entry after `head`: the entry and the new head in one. */
export interface AuditWrite {
  readonly seq: bigint;
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

/**
 * The statement appending `entry` after `head` (held by the caller's transaction), made
 * without sending it: a caller may send it unawaited, with its last writes. An invalid entry
 * throws here, before anything is sent.
 * @example const write = auditWrite(entry, atUs, head); void tx.query(write.sql, write.params)
 */
export function auditWrite(entry: AuditEntry, atUs: bigint, head: AuditHead): AuditWrite {
  const record = chainAudit(entry, atUs, head);
  return {
    seq: record.seq,
    sql: `WITH entry AS (
       INSERT INTO audit_log (seq, at_us, actor, action, subject, outcome, detail, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
     )
     UPDATE audit_head SET seq = $1, hash = $8 WHERE singleton`,
    params: [
      record.seq,
      atUs,
      entry.actor,
      entry.action,
      entry.subject,
      entry.outcome,
      JSON.stringify(entry.detail),
      record.hash,
    ],
  };
}

/** Entries read per query while verifying. */
const verifyPageSize = 1_000;

/**
 * Checks the entries after `checked` (through `upTo`, or all), a page at a time.
 */
async function verifyPages(
  db: SqlDatabase,
  checked: AuditCheck,
  upTo?: bigint,
): Promise<AuditCheck> {
  for (;;) {
    const { rows } = await db.query<{
      seq: string;
      at_us: string;
      actor: string;
      action: string;
      subject: string;
      outcome: 'ok' | 'refused';
      detail: AuditDetail;
      hash: Uint8Array;
    }>(
      // By the bigint column (a.seq), not the text the query returns.
      `SELECT a.seq::text, a.at_us::text, a.actor, a.action, a.subject, a.outcome, a.detail, a.hash
       FROM audit_log a WHERE a.seq > $1 ${upTo === undefined ? '' : 'AND a.seq <= $2'}
       ORDER BY a.seq LIMIT ${verifyPageSize}`,
      upTo === undefined ? [checked.head.seq] : [checked.head.seq, upTo],
    );
    checked = verifyAuditRecords(
      rows.map((row) => ({
        seq: BigInt(row.seq),
        atUs: BigInt(row.at_us),
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        outcome: row.outcome,
        detail: row.detail,
        hash: row.hash,
      })),
      checked.head,
    );
    if (checked.broken !== undefined || rows.length < verifyPageSize) return checked;
  }
}

/**
 * Recomputes the chain from the first entry, a page at a time; names the first entry that is
 * missing or whose stored hash differs, or a head that is not the last entry. Safe beside a
 * running server: the head is read after the entries, and the entries appended meanwhile (up
 * to that head) are verified too. Deleting the newest entries and moving the head back is not
 * found here: only a head noted or published before can show it (docs/operations.md).
 * @example const report = await verifyAudit(db); report.ok
 */
export async function verifyAudit(db: SqlDatabase): Promise<AuditReport> {
  let checked = await verifyPages(db, { head: auditGenesisHead });
  const { rows } = await db.query<{ seq: string; hash: Uint8Array }>(
    'SELECT seq::text, hash FROM audit_head WHERE singleton',
  );
  const head = { seq: BigInt(rows[0]!.seq), hash: rows[0]!.hash };
  if (checked.broken === undefined && head.seq > checked.head.seq)
    checked = await verifyPages(db, checked, head.seq);
  return auditReport(checked, head);
}
