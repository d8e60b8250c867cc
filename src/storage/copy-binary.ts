/**
 * Rows in PostgreSQL's binary COPY format (PostgreSQL docs, COPY, "Binary Format"), for bulk
 * loads where parsing text would cost more than the load itself (the ledger's journal: uuid,
 * arrays and bytea parse several times faster in binary).
 *
 * Each value is written in its type's binary send format (the `*send` functions of
 * PostgreSQL's src/backend/utils/adt): big-endian integers, uuid as 16 bytes, numeric as
 * base-10000 digits, jsonb as a version byte and JSON text, one-dimensional arrays with a
 * header of dimensions and the element type's oid.
 *
 * `row(fields, bytesMax)` reserves room for the whole row once; the field writers then write
 * without checking (this is the writer's hot loop), and `row` checks the previous row stayed
 * within what it reserved.
 */
import { assert } from '../errors.ts';
import { writeUuid } from '../ledger/uuid.ts';
import type { SqlArray, SqlArrayType } from './sql.ts';

const signature = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
/** Type oids of array elements (pg_type.oid). */
export const oid = { uuid: 2950, numeric: 1700, text: 25, int8: 20, int4: 23 } as const;
const utf8 = new TextEncoder();
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);

/** Bytes a numeric of at most 2^128 takes: length word, 8-byte header, 10 base-10000 digits. */
export const numericBytesMax = 4 + 8 + 2 * 10;
/** Bytes a uuid field takes: length word and 16 bytes. */
export const uuidBytes = 4 + 16;

/**
 * Builds one binary COPY payload.
 * @example const w = new BinaryCopyWriter(); w.row(2, 64); w.int8(1n); w.text('a'); w.finish()
 */
export class BinaryCopyWriter {
  private buffer = new Uint8Array(1 << 20);
  private view = new DataView(this.buffer.buffer);
  private at = 0;
  /** Where the current row must end at the latest. */
  private rowEnd = 0;

  constructor() {
    this.reset();
  }

  /** Bytes written so far. */
  offset(): number {
    return this.at;
  }

  /** Starts a new payload, keeping the buffer (one writer can serve batch after batch). */
  reset(): this {
    this.buffer.set(signature, 0);
    this.buffer.fill(0, signature.length, signature.length + 8); // flags, header extension
    this.at = signature.length + 8;
    this.rowEnd = this.at;
    return this;
  }

  /** Starts a row of `fields` values taking at most `bytesMax` bytes (field lengths included). */
  row(fields: number, bytesMax: number): void {
    assert(this.at <= this.rowEnd, 'a COPY row stayed within the bytes it reserved');
    this.ensure(2 + bytesMax + 2);
    this.rowEnd = this.at + 2 + bytesMax;
    this.view.setInt16(this.at, fields);
    this.at += 2;
  }

  /** A NULL value. */
  null(): void {
    this.length(-1);
  }

  int2(value: number): void {
    this.length(2);
    this.view.setInt16(this.at, value);
    this.at += 2;
  }

  int4(value: number): void {
    this.length(4);
    this.view.setInt32(this.at, value);
    this.at += 4;
  }

  int8(value: bigint): void {
    this.length(8);
    if (value >= 0n && value <= safeMax) {
      const n = Number(value);
      this.view.setUint32(this.at, Math.floor(n / 2 ** 32));
      this.view.setUint32(this.at + 4, n >>> 0);
    } else {
      this.view.setBigInt64(this.at, value);
    }
    this.at += 8;
  }

  uuid(value: string): void {
    this.length(16);
    writeUuid(value, this.buffer, this.at);
    this.at += 16;
  }

  /** Text; reserve 3 bytes per character for it. */
  text(value: string): void {
    this.bytes(asciiOrUtf8(value));
  }

  bytea(value: Uint8Array): void {
    this.bytes(value);
  }

  /** jsonb: version 1, then the JSON text; reserve 1 + 3 bytes per character for it. */
  jsonb(json: string): void {
    const body = asciiOrUtf8(json);
    this.length(body.length + 1);
    this.buffer[this.at++] = 1;
    this.buffer.set(body, this.at);
    this.at += body.length;
  }

  /** An integer as numeric (magnitude at most 2^128); at most `numericBytesMax` bytes. */
  numeric(value: bigint): void {
    const negative = value < 0n;
    const magnitude = negative ? -value : value;
    if (magnitude > safeMax) {
      this.numericDigits(negative, base10000(magnitude));
      return;
    }
    // Below 2^53 (every real balance): base-10000 digits with plain numbers, no array.
    const n = Number(magnitude);
    let count = 0; // digits
    for (let v = n; v > 0; v = Math.floor(v / 10000)) count++;
    let trailing = 0; // trailing zero digits, implied by the weight
    for (let v = n; v > 0 && v % 10000 === 0; v = v / 10000) trailing++;
    const used = count - trailing;
    this.numericHeader(negative, used, count);
    let v = Math.floor(n / 10000 ** trailing);
    for (let i = used - 1; i >= 0; i--) {
      this.view.setInt16(this.at + 2 * i, v % 10000);
      v = Math.floor(v / 10000);
    }
    this.at += 2 * used;
  }

  private numericDigits(negative: boolean, digits: number[]): void {
    assert(digits.length <= 10, 'a numeric written here is at most 2^128 in magnitude');
    let used = digits.length;
    while (used > 0 && digits[used - 1] === 0) used--; // trailing zero digits are implied by the weight
    this.numericHeader(negative, used, digits.length);
    for (let i = 0; i < used; i++, this.at += 2) this.view.setInt16(this.at, digits[i]!);
  }

  /** Length word and header of a numeric of `used` digits out of `count` (the weight). */
  private numericHeader(negative: boolean, used: number, count: number): void {
    this.length(8 + 2 * used);
    const view = this.view;
    view.setInt16(this.at, used);
    view.setInt16(this.at + 2, count - 1); // weight; 0 for zero is fine with no digits
    view.setUint16(this.at + 4, negative ? 0x4000 : 0); // sign
    view.setInt16(this.at + 6, 0); // display scale
    this.at += 8;
  }

  /**
   * A one-dimensional array of the uuids `pick` gives for each item;
   * at most 24 + `uuidBytes` per item.
   */
  uuidArray<T>(items: readonly T[], pick: (item: T) => string): void {
    this.arrayHeader(items.length, oid.uuid);
    for (let i = 0; i < items.length; i++) this.uuid(pick(items[i]!));
    this.closeArray();
  }

  /** A one-dimensional array of integer numerics; at most 24 + `numericBytesMax` per item. */
  numericArray<T>(items: readonly T[], pick: (item: T) => bigint): void {
    this.arrayHeader(items.length, oid.numeric);
    for (let i = 0; i < items.length; i++) this.numeric(pick(items[i]!));
    this.closeArray();
  }

  /**
   * A one-dimensional array of `type` whose elements may be NULL; at most
   * `arrayBytesMax(type, count)` bytes. Integers are bigints or safe integers; uuids are
   * canonical text.
   */
  array(type: SqlArrayType, values: SqlArray['values']): void {
    this.arrayHeader(values.length, oid[type]);
    let nulls = false;
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (value === null) {
        nulls = true;
        this.null();
      } else if (type === 'uuid') this.uuid(value as string);
      else {
        // The elements were checked when the SqlArray was made.
        const integer = typeof value === 'bigint' ? value : BigInt(value);
        if (type === 'int4') this.int4(Number(integer));
        else if (type === 'int8') this.int8(integer);
        else this.numeric(integer);
      }
    }
    if (nulls) this.view.setInt32(this.arrayStart + 8, 1); // the has-nulls flag
    this.closeArray();
  }

  /** The finished payload (the buffer's bytes up to the trailer), valid until the next reset. */
  finish(): Uint8Array {
    assert(this.at <= this.rowEnd, 'a COPY row stayed within the bytes it reserved');
    this.ensure(2);
    this.view.setInt16(this.at, -1);
    this.at += 2;
    return this.buffer.subarray(0, this.at);
  }

  /** Where the open array's length word is. */
  private arrayStart = 0;

  private arrayHeader(count: number, elementOid: number): void {
    this.arrayStart = this.at;
    this.at += 4; // the length word, written by closeArray
    const view = this.view;
    view.setInt32(this.at, count === 0 ? 0 : 1); // dimensions
    view.setInt32(this.at + 4, 0); // no nulls
    view.setInt32(this.at + 8, elementOid);
    this.at += 12;
    if (count > 0) {
      view.setInt32(this.at, count);
      view.setInt32(this.at + 4, 1); // lower bound
      this.at += 8;
    }
  }

  private closeArray(): void {
    this.view.setInt32(this.arrayStart, this.at - this.arrayStart - 4);
  }

  private bytes(value: Uint8Array): void {
    this.length(value.length);
    this.buffer.set(value, this.at);
    this.at += value.length;
  }

  /** Writes a field's length word (room was reserved by `row`). */
  private length(bytes: number): void {
    this.view.setInt32(this.at, bytes);
    this.at += 4;
  }

  private ensure(more: number): void {
    if (this.at + more <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.at + more));
    grown.set(this.buffer.subarray(0, this.at));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** The most bytes one array element of each type takes, its length word included. */
const elementBytesMax: Record<SqlArrayType, number> = {
  uuid: uuidBytes,
  numeric: numericBytesMax,
  int8: 4 + 8,
  int4: 4 + 4,
};

/** Writes array parameters: one at a time, each copied out. */
const parameterWriter = new BinaryCopyWriter();

/**
 * An array in PostgreSQL's binary send format (`array_send`), for a binary query parameter.
 * @example binaryArray(new SqlArray('numeric', [1n, null])) // bytes array_recv reads as {1,NULL}
 */
export function binaryArray(array: SqlArray): Buffer {
  const w = parameterWriter.reset();
  w.row(1, arrayBytesMax(array.type, array.values.length));
  const from = w.offset();
  w.array(array.type, array.values);
  const end = w.offset();
  // Without the field's length word: a parameter's length travels in the Bind message.
  return Buffer.from(w.finish().subarray(from + 4, end));
}

/**
 * The most bytes an array field of `count` elements of `type` takes, its length word included.
 * @example arrayBytesMax('uuid', 1) === 4 + 20 + 20
 */
export function arrayBytesMax(type: SqlArrayType, count: number): number {
  return 4 + 20 + count * elementBytesMax[type];
}

/** Base-10000 digits, most significant first (none for zero). */
function base10000(value: bigint): number[] {
  const digits: number[] = [];
  for (let v = value; v > 0n; v /= 10000n) digits.push(Number(v % 10000n));
  return digits.reverse();
}

const empty = new Uint8Array(0);
const ascii = new Map<string, Uint8Array>();

/** UTF-8 bytes; short strings (asset codes, `{}`) are encoded once and reused. */
function asciiOrUtf8(text: string): Uint8Array {
  if (text.length === 0) return empty;
  if (text.length > 16) return utf8.encode(text);
  let bytes = ascii.get(text);
  if (bytes === undefined) {
    bytes = utf8.encode(text);
    if (ascii.size < 1024) ascii.set(text, bytes);
  }
  return bytes;
}
