/**
 * The audit log: every mutation and every refused request, in one hash chain like the
 * ledger's journal, so that a rewritten or deleted entry is found by `clearpeg audit verify`.
 *
 *   hash(0) = 32 zero bytes
 *   hash(n) = SHA-256( hash(n−1) ‖ "clearpeg-audit/1\n" ‖ JCS(entry n) )
 *
 * where JCS is RFC 8785 canonical JSON of `{ seq, atUs, actor, action, subject, outcome,
 * detail }` with `seq` and `atUs` as decimal strings. `detail` holds strings, booleans, null,
 * arrays and objects only (no JSON numbers: amounts are decimal strings), so that it reads
 * back from the database byte for byte the same. Byte format and vectors: docs/formats.md.
 *
 * An entry is appended in the database transaction of the change it records (a mutation and
 * its entry commit together or not at all); a refusal is appended on its own.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bytesToHex } from 'viem';
import { wallClockUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { canonicalJson } from '../json.ts';
import type { SqlDatabase, SqlExecutor, SqlParam } from '../storage/sql.ts';

/** What an audit entry says. */
export interface AuditEntry {
  /** Who: an operator id, `customer:<id>`, `system`, or `anonymous`. */
  readonly actor: string;
  /** What, as `noun.verb` (`mint.request`, `policy.propose`, `breaker.clear`). */
  readonly action: string;
  /** The thing acted on (a request id, a customer id). */
  readonly subject: string;
  readonly outcome: 'ok' | 'refused';
  readonly detail: AuditDetail;
}

/** JSON without numbers. */
export type AuditDetail = { readonly [key: string]: AuditValue };
export type AuditValue = string | boolean | null | readonly AuditValue[] | AuditDetail;

/** A stored entry. */
export interface AuditRecord extends AuditEntry {
  readonly seq: bigint;
  readonly atUs: bigint;
  readonly hash: Uint8Array;
}

const domain = utf8ToBytes('clearpeg-audit/1\n');
/** The hash before the first entry. */
export const auditGenesis = new Uint8Array(32);
/** An entry's detail, as canonical JSON, at most this long: an audit entry is a record, not a file. */
const detailBytesMax = 16_384;

function checkDetail(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkDetail(v, `${path}.${i}`);
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkDetail(v, `${path}.${k}`);
    return;
  }
  throw new ClearpegError(
    'audit-invalid',
    `${path} must be a string, boolean, null, array or object`,
    {
      field: path,
      rule: 'no JSON numbers in audit details (amounts are decimal strings)',
    },
  );
}

/**
 * The bytes hashed for an entry after its predecessor's hash.
 * @example auditBytes({ seq: 1n, atUs: 1n, actor: 'system', action: 'x.y', subject: 's', outcome: 'ok', detail: {} })
 */
export function auditBytes(record: Omit<AuditRecord, 'hash'>): Uint8Array {
  checkDetail(record.detail, 'detail');
  const json = canonicalJson({
    seq: String(record.seq),
    atUs: String(record.atUs),
    actor: record.actor,
    action: record.action,
    subject: record.subject,
    outcome: record.outcome,
    detail: record.detail,
  });
  return concatBytes(domain, utf8ToBytes(json));
}

/** hash(n) from hash(n−1) and entry n. */
export function auditHash(previous: Uint8Array, record: Omit<AuditRecord, 'hash'>): Uint8Array {
  return sha256(concatBytes(previous, auditBytes(record)));
}

/** The audit chain's head: the last entry's sequence number and hash. */
export interface AuditHead {
  readonly seq: bigint;
  readonly hash: Uint8Array;
}

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
  checkEntry(entry);
  const seq = head.seq + 1n;
  const bytes = auditBytes({ ...entry, seq, atUs });
  if (bytes.length > detailBytesMax + 1024)
    throw new ClearpegError('audit-invalid', `detail is over ${detailBytesMax} bytes`, {
      field: 'detail',
      rule: `at most ${detailBytesMax} bytes of canonical JSON`,
    });
  // auditHash over the bytes already made: the entry is canonicalized once.
  const hash = sha256(concatBytes(head.hash, bytes));
  return {
    seq,
    sql: `WITH entry AS (
       INSERT INTO audit_log (seq, at_us, actor, action, subject, outcome, detail, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
     )
     UPDATE audit_head SET seq = $1, hash = $8 WHERE singleton`,
    params: [
      seq,
      atUs,
      entry.actor,
      entry.action,
      entry.subject,
      entry.outcome,
      JSON.stringify(entry.detail),
      hash,
    ],
  };
}

function checkEntry(entry: AuditEntry): void {
  for (const [field, value] of [
    ['actor', entry.actor],
    ['action', entry.action],
    ['subject', entry.subject],
  ] as const)
    if (value.length < 1 || value.length > 200)
      throw new ClearpegError('audit-invalid', `${field} must be 1 to 200 characters`, {
        field,
        rule: '1 to 200 characters',
      });
}

/** What `verifyAudit` found. */
export interface AuditReport {
  readonly ok: boolean;
  readonly entries: bigint;
  /** The recomputed head hash, hex. */
  readonly head: string;
  readonly broken?: {
    readonly seq: bigint;
    readonly reason: 'missing' | 'hash-mismatch' | 'head-mismatch';
  };
}

/** Entries read per query while verifying. */
const verifyPageSize = 1_000;

type AuditRow = {
  seq: string;
  at_us: string;
  actor: string;
  action: string;
  subject: string;
  outcome: 'ok' | 'refused';
  detail: AuditDetail;
  hash: Uint8Array;
};

/** The chain verified so far: the next sequence number expected and the hash before it. */
interface AuditChain {
  expected: bigint;
  previous: Uint8Array;
}

/**
 * Verifies the entries from `chain.expected` on, through `upTo` (all when undefined), moving
 * `chain` along; the first broken entry, or undefined.
 */
async function verifyEntries(
  db: SqlDatabase,
  chain: AuditChain,
  upTo?: bigint,
): Promise<AuditReport['broken']> {
  for (;;) {
    const { rows } = await db.query<AuditRow>(
      // By the bigint column (a.seq), not the text the query returns.
      `SELECT a.seq::text, a.at_us::text, a.actor, a.action, a.subject, a.outcome, a.detail, a.hash
       FROM audit_log a WHERE a.seq >= $1 ${upTo === undefined ? '' : 'AND a.seq <= $2'}
       ORDER BY a.seq LIMIT ${verifyPageSize}`,
      upTo === undefined ? [chain.expected] : [chain.expected, upTo],
    );
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (seq !== chain.expected) return { seq: chain.expected, reason: 'missing' };
      const hash = auditHash(chain.previous, {
        seq,
        atUs: BigInt(row.at_us),
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        outcome: row.outcome,
        detail: row.detail,
      });
      if (bytesToHex(hash) !== bytesToHex(row.hash)) return { seq, reason: 'hash-mismatch' };
      chain.previous = hash;
      chain.expected++;
    }
    if (rows.length < verifyPageSize) return undefined;
  }
}

/**
 * Recomputes the chain from the first entry; names the first entry that is missing or whose
 * stored hash differs, or a head that is not the last entry. Safe beside a running server:
 * the head is read after the entries, and the entries appended meanwhile (up to that head)
 * are verified too. Deleting the newest entries and moving the head back is not found here:
 * only a head noted or published before can show it (docs/operations.md).
 * @example const report = await verifyAudit(db); report.ok
 */
export async function verifyAudit(db: SqlDatabase): Promise<AuditReport> {
  const chain: AuditChain = { expected: 1n, previous: auditGenesis };
  const report = (broken?: AuditReport['broken']): AuditReport => ({
    ok: broken === undefined,
    entries: chain.expected - 1n,
    head: bytesToHex(chain.previous),
    ...(broken === undefined ? {} : { broken }),
  });
  const early = await verifyEntries(db, chain);
  if (early !== undefined) return report(early);
  const { rows } = await db.query<{ seq: string; hash: Uint8Array }>(
    'SELECT seq::text, hash FROM audit_head WHERE singleton',
  );
  const headSeq = BigInt(rows[0]!.seq);
  if (headSeq >= chain.expected) {
    const late = await verifyEntries(db, chain, headSeq);
    if (late !== undefined) return report(late);
  }
  const entries = chain.expected - 1n;
  if (headSeq > entries) return report({ seq: entries + 1n, reason: 'missing' });
  if (headSeq !== entries || bytesToHex(rows[0]!.hash) !== bytesToHex(chain.previous))
    return report({ seq: headSeq, reason: 'head-mismatch' });
  return report();
}
