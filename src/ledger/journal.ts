/**
 * The journal's canonical encoding and hash chain (docs/formats.md, "Journal record v1").
 *
 * `hash(n) = SHA-256(hash(n−1) ‖ canonicalBytes(record n))`, `hash(0)` = 32 zero bytes.
 * One fixed layout serves every record kind; fields a kind does not use are encoded empty
 * (zero, nil UUID, empty string or list), so a decoder needs no table of layouts. Integers
 * are big-endian; strings are a u16 byte length then UTF-8; amounts are u128.
 */
import { hash } from 'node:crypto';
import { assert } from '../errors.ts';
import type {
  Command,
  JournalHead,
  JournalRecord,
  Metadata,
  Posting,
  RecordKind,
} from './types.ts';
import { nilUuid, recordKind } from './types.ts';
import { formatUuid, writeUuid } from './uuid.ts';

/** The encoding's version byte. */
export const journalVersion = 1;
/** The hash before the first record. */
export const genesisHash = new Uint8Array(32);
/** The head of an empty journal. */
export const genesisHead: JournalHead = { seq: 0n, hash: genesisHash, timestampUs: 0n };

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
/** Bytes of the fixed part: version, kind, seq, id, timestamp, flags, accountId, pendingId, timeout, counts. */
const fixedBytes = 1 + 1 + 8 + 16 + 8 + 4 + 16 + 16 + 4 + 2 + 2;
const postingBytes = 16 + 16 + 16;
/** Domain separation for command hashes, so a command encoding can never pass for a record. */
const commandDomain = utf8.encode('clearpeg/ledger/command/v1\n');
assert(commandDomain.length <= 32, 'the command domain tag fits the scratch prefix');

/** The fields that make up a record's canonical bytes (everything but the hashes). */
export type RecordContent = Omit<JournalRecord, 'hash' | 'inputHash'>;

/**
 * The value of each field a record's kind does not use: encoded empty (docs/formats.md).
 * @example const record: RecordContent = { ...unusedFields, seq, kind, id, timestampUs, asset }
 */
export const unusedFields = Object.freeze({
  code: '',
  flags: 0,
  accountId: nilUuid,
  pendingId: nilUuid,
  timeoutSeconds: 0,
  postings: Object.freeze([]) as readonly Posting[],
  metadata: Object.freeze({}) as Metadata,
});

const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

/** Lengths of chained encodings whose views `Encoder` keeps. */
const viewsMax = 4096;

/** Room in front of the record in the scratch buffer for the previous hash or a domain tag. */
const prefixBytes = 32;

/**
 * Encodes records into one reused buffer and hashes them there: the writer encodes every
 * record it commits, so this path allocates nothing but the 32-byte digest.
 */
class Encoder {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  /** Views of the buffer from 0, by end offset (see `view_`). */
  private views: Array<Uint8Array | undefined> = [];

  /** Encodes `record` after the prefix; returns the end offset. */
  encode(record: RecordContent): number {
    this.ensure(
      prefixBytes +
        fixedBytes +
        4 +
        record.asset.length * 3 +
        record.code.length * 3 +
        record.postings.length * postingBytes +
        (record.metadata === unusedFields.metadata ? 0 : metadataBound(record.metadata)),
    );
    const out = this.buffer;
    const view = this.view;
    let at = prefixBytes;
    out[at++] = journalVersion;
    out[at++] = record.kind;
    this.u64(at, record.seq);
    at += 8;
    writeUuid(record.id, out, at);
    at += 16;
    this.u64(at, record.timestampUs);
    at += 8;
    at = this.string(at, record.asset);
    at = this.string(at, record.code);
    view.setUint32(at, record.flags);
    at += 4;
    this.uuid(at, record.accountId);
    at += 16;
    this.uuid(at, record.pendingId);
    at += 16;
    view.setUint32(at, record.timeoutSeconds);
    at += 4;
    view.setUint16(at, record.postings.length);
    at += 2;
    const postings = record.postings;
    for (let i = 0; i < postings.length; i++) {
      const posting = postings[i]!;
      writeUuid(posting.debit, out, at);
      writeUuid(posting.credit, out, at + 16);
      this.u128(at + 32, posting.amount);
      at += postingBytes;
    }
    if (record.metadata === unusedFields.metadata) {
      view.setUint16(at, 0);
      return at + 2;
    }
    const metadata = record.metadata;
    const keys = Object.keys(metadata);
    view.setUint16(at, keys.length);
    at += 2;
    if (!keys.every(isAscii)) {
      for (const [key, value] of sortedMetadata(metadata)) {
        at = this.bytes(at, key);
        at = this.bytes(at, value);
      }
      return at;
    }
    // ASCII keys (every key a command may carry): UTF-16 order is their UTF-8 byte order.
    keys.sort();
    for (const key of keys) {
      at = this.string(at, key);
      at = this.string(at, metadata[key]!);
    }
    return at;
  }

  /** A uuid; the nil uuid (an unused field of most records) without parsing it. */
  private uuid(at: number, uuid: string): void {
    if (uuid === nilUuid) this.buffer.fill(0, at, at + 16);
    else writeUuid(uuid, this.buffer, at);
  }

  /** SHA-256(prefix ‖ canonical bytes), the prefix being a previous hash or a domain tag. */
  hash(prefix: Uint8Array, record: RecordContent): Uint8Array {
    const end = this.encode(record);
    const from = prefixBytes - prefix.length;
    this.buffer.set(prefix, from);
    // A 'binary' (latin1) digest string and a pooled Buffer cost a third of a 'buffer' digest, which
    // allocates an ArrayBuffer of its own for every record.
    return Buffer.from(hash('sha256', this.view_(from, end), 'binary'), 'latin1');
  }

  /**
   * The buffer from `from` to `end`. Views of a chained record (from 0) are kept by length:
   * records of one shape (a plain transfer) have one length, so hashing allocates no view.
   */
  private view_(from: number, end: number): Uint8Array {
    if (from !== 0) return this.buffer.subarray(from, end);
    let view = this.views[end];
    if (view === undefined) {
      view = this.buffer.subarray(0, end);
      if (end < viewsMax) this.views[end] = view;
    }
    return view;
  }

  /** A copy of the canonical bytes (for vectors and tools; the writer never needs them). */
  copy(record: RecordContent): Uint8Array {
    return this.buffer.slice(prefixBytes, this.encode(record));
  }

  /** A u64; values below 2^53 (every seq and timestamp) avoid BigInt arithmetic. */
  private u64(at: number, value: bigint): void {
    if (value >= 0n && value <= safeMax) {
      const n = Number(value);
      this.view.setUint32(at, Math.floor(n / 2 ** 32));
      this.view.setUint32(at + 4, n >>> 0);
    } else {
      this.view.setBigUint64(at, value);
    }
  }

  private u128(at: number, value: bigint): void {
    if (value >= 0n && value <= safeMax) {
      this.view.setUint32(at, 0);
      this.view.setUint32(at + 4, 0);
      this.u64(at + 8, value);
      return;
    }
    assert(value >= 0n && value >> 128n === 0n, 'amount fits in a u128');
    this.view.setBigUint64(at, value >> 64n);
    this.view.setBigUint64(at + 8, value & 0xffff_ffff_ffff_ffffn);
  }

  private ensure(size: number): void {
    if (size <= this.buffer.length) return;
    this.buffer = new Uint8Array(2 ** Math.ceil(Math.log2(size)));
    this.view = new DataView(this.buffer.buffer);
    this.views = [];
  }

  /** A u16 length and the UTF-8 of `text` (ASCII, the usual case, without an encoder). */
  private string(at: number, text: string): number {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 0x7f) return this.bytes(at, utf8.encode(text));
      this.buffer[at + 2 + i] = text.charCodeAt(i);
    }
    assert(text.length <= 0xffff, 'string fits a u16 length');
    this.view.setUint16(at, text.length);
    return at + 2 + text.length;
  }

  private bytes(at: number, bytes: Uint8Array): number {
    assert(bytes.length <= 0xffff, 'string fits a u16 length');
    this.view.setUint16(at, bytes.length);
    this.buffer.set(bytes, at + 2);
    return at + 2 + bytes.length;
  }
}

const isAscii = (text: string) => /^\p{ASCII}*$/u.test(text);

function sortedMetadata(metadata: Metadata): Array<[Uint8Array, Uint8Array]> {
  const entries = Object.entries(metadata).map(([k, v]): [Uint8Array, Uint8Array] => [
    utf8.encode(k),
    utf8.encode(v),
  ]);
  // Sort by the key's UTF-8 bytes (not by JavaScript's UTF-16 order).
  entries.sort(([a], [b]) => Buffer.compare(a, b));
  return entries;
}

function metadataBound(metadata: Metadata): number {
  let size = 0;
  for (const key in metadata) size += 4 + (key.length + metadata[key]!.length) * 3;
  return size;
}

const encoder = new Encoder();

/**
 * The canonical bytes of one record.
 * @example canonicalBytes(record).length // 110 + strings + 48 per posting + metadata
 */
export function canonicalBytes(record: RecordContent): Uint8Array {
  return encoder.copy(record);
}

/** Reads the big-endian fields of an encoding, refusing to read past its end. */
class Reader {
  at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(n: number): number {
    if (this.at + n > this.bytes.length)
      throw new Error(`journal record: truncated at byte ${this.at}`);
    this.at += n;
    return this.at - n;
  }

  u8(): number {
    return this.bytes[this.take(1)]!;
  }

  u16(): number {
    return this.view.getUint16(this.take(2));
  }

  u32(): number {
    return this.view.getUint32(this.take(4));
  }

  u64(): bigint {
    return this.view.getBigUint64(this.take(8));
  }

  uuid(): string {
    const from = this.take(16);
    return formatUuid(this.bytes.subarray(from, from + 16));
  }

  text(): string {
    const length = this.u16();
    const from = this.take(length);
    return utf8Decoder.decode(this.bytes.subarray(from, from + length));
  }
}

/**
 * Decodes canonical bytes back into a record's content (the inverse of `canonicalBytes`);
 * throws on anything that is not exactly one well-formed v1 record.
 * @example decodeRecord(canonicalBytes(record)) // deep-equals record
 */
export function decodeRecord(bytes: Uint8Array): RecordContent {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== journalVersion)
    throw new Error(`journal record: version ${version} is not ${journalVersion}`);
  const kind = r.u8();
  if (kind < 1 || kind > 7) throw new Error(`journal record: unknown kind ${kind}`);
  const seq = r.u64();
  const id = r.uuid();
  const timestampUs = r.u64();
  const asset = r.text();
  const code = r.text();
  const flags = r.u32();
  const accountId = r.uuid();
  const pendingId = r.uuid();
  const timeoutSeconds = r.u32();
  const postings: Posting[] = Array.from({ length: r.u16() }, () => {
    const debit = r.uuid();
    const credit = r.uuid();
    const amount = (r.u64() << 64n) | r.u64();
    return { debit, credit, amount: amount as Posting['amount'] };
  });
  const metadata: Record<string, string> = {};
  let previousKey: Uint8Array | undefined;
  for (let n = r.u16(); n > 0; n--) {
    const key = r.text();
    const keyBytes = utf8.encode(key);
    if (previousKey !== undefined && Buffer.compare(previousKey, keyBytes) >= 0)
      throw new Error('journal record: metadata keys are not in strictly increasing byte order');
    previousKey = keyBytes;
    metadata[key] = r.text();
  }
  if (r.at !== bytes.length)
    throw new Error(`journal record: ${bytes.length - r.at} bytes after the record`);
  return {
    seq,
    kind: kind as RecordKind,
    id,
    timestampUs,
    asset,
    code,
    flags,
    accountId,
    pendingId,
    timeoutSeconds,
    postings,
    metadata,
  };
}

/**
 * SHA-256(previous ‖ canonical bytes of `record`): the link of the chain.
 * @example recordHash(genesisHash, first)
 */
export function recordHash(previous: Uint8Array, record: RecordContent): Uint8Array {
  assert(previous.length === 32, 'a chain hash is 32 bytes');
  return encoder.hash(previous, record);
}

/**
 * The hash that identifies a command's content for idempotency: the canonical encoding of the
 * command as submitted (seq and timestamp zero), under its own domain prefix. Not chained.
 * @example commandHash(command).length === 32
 */
export function commandHash(command: Command): Uint8Array {
  return encoder.hash(commandDomain, commandContent(command));
}

/**
 * Whether a record of this kind stores its command's hash. Creating an account, setting its
 * flags and a transfer are recorded exactly as submitted, so their command hash is derived
 * from the record itself (`derivedCommandHash`); a post or void records amounts the command
 * may not have named, so its hash is stored.
 * @example storesCommandHash(recordKind.transferPosted) === false
 */
export function storesCommandHash(kind: RecordKind): boolean {
  return (
    kind === recordKind.pendingPosted ||
    kind === recordKind.pendingVoided ||
    kind === recordKind.pendingExpired
  );
}

/**
 * The command hash of a record that is its own command (see `storesCommandHash`).
 * @example derivedCommandHash(record) // equals commandHash(the transfer that made it)
 */
export function derivedCommandHash(record: RecordContent): Uint8Array {
  assert(!storesCommandHash(record.kind), 'this record kind stores its command hash');
  return encoder.hash(commandDomain, { ...record, seq: 0n, timestampUs: 0n });
}

/** The record-shaped content of a command as submitted (for its hash). */
function commandContent(command: Command): RecordContent {
  const base = { ...unusedFields, seq: 0n, id: command.id, timestampUs: 0n, asset: '' };
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
        metadata: command.metadata ?? unusedFields.metadata,
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
        metadata: command.metadata ?? unusedFields.metadata,
      };
    case 'voidPending':
      return {
        ...base,
        kind: recordKind.pendingVoided,
        pendingId: command.pendingId,
        metadata: command.metadata ?? unusedFields.metadata,
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
    const hash = recordHash(this.hash, record);
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
