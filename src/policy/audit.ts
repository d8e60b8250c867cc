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
 * This module is the format alone (pure: no SQL): encoding, hashing, validation, and the
 * verification of a list of entries. Storing and reading them is `src/workflow/audit-store.ts`,
 * where an entry is appended in the database transaction of the change it records (a mutation
 * and its entry commit together or not at all); a refusal is appended on its own.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bytesToHex } from 'viem';
import { ClearpegError } from '../errors.ts';
import { canonicalJson } from '../json.ts';

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

/** The audit chain's head: the last entry's sequence number and hash (0 and genesis: none). */
export interface AuditHead {
  readonly seq: bigint;
  readonly hash: Uint8Array;
}

/** The head of an empty chain. */
export const auditGenesisHead: AuditHead = { seq: 0n, hash: auditGenesis };

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

/**
 * The record `entry` becomes when appended at `atUs` after `head`: its sequence number and
 * hash. An invalid entry (a field's length, a number in the detail, a detail over 16 KiB)
 * throws `audit-invalid`.
 * @example const record = chainAudit(entry, atUs, auditGenesisHead); record.seq === 1n
 */
export function chainAudit(entry: AuditEntry, atUs: bigint, head: AuditHead): AuditRecord {
  checkEntry(entry);
  const seq = head.seq + 1n;
  const bytes = auditBytes({ ...entry, seq, atUs });
  if (bytes.length > detailBytesMax + 1024)
    throw new ClearpegError('audit-invalid', `detail is over ${detailBytesMax} bytes`, {
      field: 'detail',
      rule: `at most ${detailBytesMax} bytes of canonical JSON`,
    });
  // auditHash over the bytes already made: the entry is canonicalized once.
  return { ...entry, seq, atUs, hash: sha256(concatBytes(head.hash, bytes)) };
}

/** Where a chain breaks: the first entry missing or altered, or a head that is not the last. */
export interface AuditBreak {
  readonly seq: bigint;
  readonly reason: 'missing' | 'hash-mismatch' | 'head-mismatch';
}

/** How far a list of entries verified: the head after the last good one, and the break. */
export interface AuditCheck {
  readonly head: AuditHead;
  readonly broken?: AuditBreak;
}

/** What a verification found. */
export interface AuditReport {
  readonly ok: boolean;
  readonly entries: bigint;
  /** The recomputed head hash, hex. */
  readonly head: string;
  readonly broken?: AuditBreak;
}

/**
 * Checks `records`, in order, as the entries that follow `from` (the genesis by default; a
 * page after the one before): returns the head after the last one, or the first break with
 * the head before it.
 * @example const { head, broken } = verifyAuditRecords(records); broken === undefined
 */
export function verifyAuditRecords(
  records: Iterable<AuditRecord>,
  from: AuditHead = auditGenesisHead,
): AuditCheck {
  let head = from;
  for (const record of records) {
    const seq = head.seq + 1n;
    if (record.seq !== seq) return { head, broken: { seq, reason: 'missing' } };
    const hash = auditHash(head.hash, record);
    if (bytesToHex(hash) !== bytesToHex(record.hash))
      return { head, broken: { seq, reason: 'hash-mismatch' } };
    head = { seq, hash };
  }
  return { head };
}

/**
 * The report on a chain whose entries verified up to `verified` (or broke there), given the
 * head the store holds: a stored head past the last entry names a deleted entry (`missing`),
 * one that differs from it `head-mismatch`.
 * @example auditReport(verifyAuditRecords(records), storedHead).ok
 */
export function auditReport(checked: AuditCheck, stored: AuditHead): AuditReport {
  const { head: verified, broken } = checked;
  const summary = { entries: verified.seq, head: bytesToHex(verified.hash) };
  if (broken !== undefined) return { ok: false, ...summary, broken };
  if (stored.seq === verified.seq && bytesToHex(stored.hash) === bytesToHex(verified.hash))
    return { ok: true, ...summary };
  return {
    ok: false,
    ...summary,
    broken:
      stored.seq > verified.seq
        ? { seq: verified.seq + 1n, reason: 'missing' }
        : { seq: stored.seq, reason: 'head-mismatch' },
  };
}

/**
 * Verifies a whole chain given as a list, from the first entry, against the stored head.
 * @example verifyAuditChain(records, { seq: 3n, hash }).ok
 */
export function verifyAuditChain(records: Iterable<AuditRecord>, stored: AuditHead): AuditReport {
  return auditReport(verifyAuditRecords(records), stored);
}
