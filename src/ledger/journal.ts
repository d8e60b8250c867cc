/**
 * The journal's canonical encoding and hash chain (docs/formats.md, "Journal record v1").
 *
 * `hash(n) = SHA-256(hash(n−1) ‖ canonicalBytes(record n))`, `hash(0)` = 32 zero bytes.
 * One fixed layout serves every record kind; fields a kind does not use are encoded empty
 * (zero, nil UUID, empty string or list), so a decoder needs no table of layouts. Integers
 * are big-endian; strings are a u16 byte length then UTF-8; amounts are u128.
 */
import { createHash } from 'node:crypto';
import { assert } from '../errors.ts';
import type { Command, JournalHead, JournalRecord, Metadata, Posting } from './types.ts';
import { nilUuid, recordKind } from './types.ts';
import { writeUuid } from './uuid.ts';

/** The encoding's version byte. */
export const journalVersion = 1;
/** The hash before the first record. */
export const genesisHash = new Uint8Array(32);
/** The head of an empty journal. */
export const genesisHead: JournalHead = { seq: 0n, hash: genesisHash, timestampUs: 0n };

const utf8 = new TextEncoder();
/** Bytes of the fixed part: version, kind, seq, id, timestamp, flags, accountId, pendingId, timeout, counts. */
const fixedBytes = 1 + 1 + 8 + 16 + 8 + 4 + 16 + 16 + 4 + 2 + 2;
const postingBytes = 16 + 16 + 16;
/** Domain separation for command hashes, so a command encoding can never pass for a record. */
const commandDomain = utf8.encode('clearpeg/ledger/command/v1\n');

/** The fields that make up a record's canonical bytes (everything but the hashes). */
export type RecordContent = Omit<JournalRecord, 'hash' | 'inputHash'>;

function sortedMetadata(metadata: Metadata): Array<[Uint8Array, Uint8Array]> {
  const entries = Object.entries(metadata).map(([k, v]): [Uint8Array, Uint8Array] => [
    utf8.encode(k),
    utf8.encode(v),
  ]);
  // Sort by the key's UTF-8 bytes (not by JavaScript's UTF-16 order).
  entries.sort(([a], [b]) => Buffer.compare(a, b));
  return entries;
}

/**
 * The canonical bytes of one record.
 * @example canonicalBytes(record).length // 78 + strings + 48 per posting + metadata
 */
export function canonicalBytes(record: RecordContent): Uint8Array {
  const asset = utf8.encode(record.asset);
  const code = utf8.encode(record.code);
  const metadata = sortedMetadata(record.metadata);
  let size =
    fixedBytes + 2 + asset.length + 2 + code.length + record.postings.length * postingBytes;
  for (const [k, v] of metadata) size += 4 + k.length + v.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  out[at++] = journalVersion;
  out[at++] = record.kind;
  view.setBigUint64(at, record.seq);
  at += 8;
  writeUuid(record.id, out, at);
  at += 16;
  view.setBigUint64(at, record.timestampUs);
  at += 8;
  at = writeString(out, view, at, asset);
  at = writeString(out, view, at, code);
  view.setUint32(at, record.flags);
  at += 4;
  writeUuid(record.accountId, out, at);
  at += 16;
  writeUuid(record.pendingId, out, at);
  at += 16;
  view.setUint32(at, record.timeoutSeconds);
  at += 4;
  view.setUint16(at, record.postings.length);
  at += 2;
  for (const posting of record.postings) {
    writeUuid(posting.debit, out, at);
    writeUuid(posting.credit, out, at + 16);
    assert(posting.amount >= 0n && posting.amount >> 128n === 0n, 'amount fits in a u128');
    view.setBigUint64(at + 32, posting.amount >> 64n);
    view.setBigUint64(at + 40, posting.amount & 0xffff_ffff_ffff_ffffn);
    at += postingBytes;
  }
  view.setUint16(at, metadata.length);
  at += 2;
  for (const [k, v] of metadata) {
    at = writeString(out, view, at, k);
    at = writeString(out, view, at, v);
  }
  assert(at === size, 'record encoding fills its buffer');
  return out;
}

function writeString(out: Uint8Array, view: DataView, at: number, bytes: Uint8Array): number {
  assert(bytes.length <= 0xffff, 'string fits a u16 length');
  view.setUint16(at, bytes.length);
  out.set(bytes, at + 2);
  return at + 2 + bytes.length;
}

/**
 * SHA-256(previous ‖ bytes): the link of the chain.
 * @example chainHash(genesisHash, canonicalBytes(first))
 */
export function chainHash(previous: Uint8Array, bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(previous).update(bytes).digest();
}

/**
 * The hash that identifies a command's content for idempotency: the canonical encoding of the
 * command as submitted (seq and timestamp zero), under its own domain prefix. Not chained.
 * @example commandHash(command).length === 32
 */
export function commandHash(command: Command): Uint8Array {
  return createHash('sha256')
    .update(commandDomain)
    .update(canonicalBytes(commandContent(command)))
    .digest();
}

const emptyMetadata: Metadata = Object.freeze({});

/** The record-shaped content of a command as submitted (for its hash). */
function commandContent(command: Command): RecordContent {
  const base = {
    seq: 0n,
    id: command.id,
    timestampUs: 0n,
    asset: '',
    code: '',
    flags: 0,
    accountId: nilUuid,
    pendingId: nilUuid,
    timeoutSeconds: 0,
    postings: [] as readonly Posting[],
    metadata: emptyMetadata,
  };
  switch (command.type) {
    case 'createAccount':
      return {
        ...base,
        kind: recordKind.accountCreated,
        asset: command.asset,
        code: command.code,
        flags: command.flags,
      };
    case 'setAccountFlags':
      return {
        ...base,
        kind: recordKind.accountFlagsSet,
        accountId: command.accountId,
        flags: command.flags,
      };
    case 'transfer':
      return {
        ...base,
        kind:
          command.pendingTimeoutSeconds === undefined
            ? recordKind.transferPosted
            : recordKind.transferPending,
        asset: command.asset,
        timeoutSeconds: command.pendingTimeoutSeconds ?? 0,
        postings: command.postings,
        metadata: command.metadata ?? emptyMetadata,
      };
    case 'postPending':
      return {
        ...base,
        kind: recordKind.pendingPosted,
        pendingId: command.pendingId,
        // Requested amounts only; an absent list (post everything) encodes as no postings.
        postings: (command.amounts ?? []).map((amount) => ({
          debit: nilUuid,
          credit: nilUuid,
          amount,
        })),
        metadata: command.metadata ?? emptyMetadata,
      };
    case 'voidPending':
      return {
        ...base,
        kind: recordKind.pendingVoided,
        pendingId: command.pendingId,
        metadata: command.metadata ?? emptyMetadata,
      };
  }
}

/** Where and why a journal stopped verifying. */
export interface BrokenLink {
  /** The sequence number of the first record that does not verify (or that is missing). */
  readonly seq: bigint;
  readonly reason:
    | 'missing'
    | 'out-of-order'
    | 'hash-mismatch'
    | 'head-mismatch'
    | 'balance-mismatch'
    | 'invalid-record';
  readonly detail: string;
}

/**
 * Follows the chain through `records` (in seq order, starting right after `from`) and returns
 * the head reached, or the first broken link.
 * @example const r = new ChainVerifier(genesisHead); for (const rec of records) r.push(rec);
 */
export class ChainVerifier {
  private seq: bigint;
  private hash: Uint8Array;
  private timestampUs: bigint;
  broken: BrokenLink | undefined;

  constructor(from: JournalHead) {
    this.seq = from.seq;
    this.hash = from.hash;
    this.timestampUs = from.timestampUs;
  }

  /** Checks the next record; returns false once the chain is broken. */
  push(record: JournalRecord): boolean {
    if (this.broken) return false;
    const expected = this.seq + 1n;
    if (record.seq !== expected) {
      this.broken =
        record.seq > expected
          ? {
              seq: expected,
              reason: 'missing',
              detail: `record ${expected} is missing (next stored is ${record.seq})`,
            }
          : {
              seq: record.seq,
              reason: 'out-of-order',
              detail: `record ${record.seq} follows ${this.seq}`,
            };
      return false;
    }
    const hash = chainHash(this.hash, canonicalBytes(record));
    if (!Buffer.from(hash).equals(Buffer.from(record.hash))) {
      this.broken = {
        seq: record.seq,
        reason: 'hash-mismatch',
        detail: `stored hash ${hex(record.hash)} but the record hashes to ${hex(hash)}`,
      };
      return false;
    }
    if (record.timestampUs <= this.timestampUs) {
      this.broken = {
        seq: record.seq,
        reason: 'out-of-order',
        detail: `timestamp ${record.timestampUs} is not after ${this.timestampUs}`,
      };
      return false;
    }
    this.seq = record.seq;
    this.hash = hash;
    this.timestampUs = record.timestampUs;
    return true;
  }

  /** Checks the stored head against the end of the chain. */
  finish(head: JournalHead): BrokenLink | undefined {
    if (this.broken) return this.broken;
    if (head.seq !== this.seq || !Buffer.from(head.hash).equals(Buffer.from(this.hash))) {
      this.broken =
        head.seq > this.seq
          ? {
              seq: this.seq + 1n,
              reason: 'missing',
              detail: `the head says ${head.seq} records, the journal ends at ${this.seq}`,
            }
          : {
              seq: head.seq,
              reason: 'head-mismatch',
              detail: `the head (seq ${head.seq}, ${hex(head.hash)}) does not match the journal's end (seq ${this.seq}, ${hex(this.hash)})`,
            };
    }
    return this.broken;
  }

  /** The head verified so far. */
  get head(): JournalHead {
    return { seq: this.seq, hash: this.hash, timestampUs: this.timestampUs };
  }
}

/**
 * Lowercase hex of bytes.
 * @example hex(new Uint8Array([1, 255])) === '01ff'
 */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
