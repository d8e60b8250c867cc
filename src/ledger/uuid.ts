/**
 * UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then random bits, so ids sort by
 * creation time and index well. Ids made by one process are strictly increasing: within one
 * millisecond the 12-bit `rand_a` field is used as a counter (RFC 9562 §6.2, method 1), and
 * when it overflows the timestamp is advanced by one millisecond.
 */
import { getRandomValues, hash } from 'node:crypto';

const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

let lastMs = 0;
let counter = 0;

/**
 * A new UUIDv7 in canonical lowercase form.
 * @example uuidv7() // '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7e'
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = 0;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = 0;
  }
  const bytes = getRandomValues(new Uint8Array(16));
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  return formatUuid(bytes);
}

/**
 * A UUIDv8 (RFC 9562 §5.8) named by `name` in `namespace`: the first 16 bytes of
 * SHA-256(namespace ‖ 0x00 ‖ name) with the version and variant bits set. The same name gives
 * the same id, so a step retried after a crash (a deposit's ledger transfer, named by its
 * statement reference) is the same ledger command, which the ledger applies once.
 * @example namedUuid('clearpeg-deposit/1', 'REF-1') === namedUuid('clearpeg-deposit/1', 'REF-1')
 */
export function namedUuid(namespace: string, name: string): string {
  // One native digest of the UTF-8 string (a few times faster than hashing in JavaScript: the
  // daily accrual names 10,000 transfers).
  const bytes = hash('sha256', `${namespace}\0${name}`, 'buffer');
  bytes[6] = 0x80 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  return formatUuid(bytes);
}

/**
 * Canonical text of 16 bytes.
 * @example formatUuid(new Uint8Array(16)) === '00000000-0000-0000-0000-000000000000'
 */
export function formatUuid(bytes: Uint8Array): string {
  // Joined from parts rather than concatenated: V8 then makes one flat string, not a rope
  // that every later character access would have to flatten first.
  const parts: string[] = new Array(20);
  let p = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) parts[p++] = '-';
    parts[p++] = hex[bytes[i]!]!;
  }
  return parts.join('');
}

/**
 * Whether `text` is a UUID in canonical lowercase form (any version).
 * @example isUuid('00000000-0000-0000-0000-000000000000') === true
 */
export function isUuid(text: unknown): text is string {
  if (typeof text !== 'string' || text.length !== 36) return false;
  if (
    text.charCodeAt(8) !== 45 || // '-'
    text.charCodeAt(13) !== 45 ||
    text.charCodeAt(18) !== 45 ||
    text.charCodeAt(23) !== 45
  )
    return false;
  // Every other character a lowercase hex digit: a table lookup each, no branch per digit
  // (a code of 128 or more sets a bit of its own).
  let bad = 0;
  for (let i = 0; i < 8; i++) bad |= hexCheck(text.charCodeAt(i));
  for (let i = 9; i < 13; i++) bad |= hexCheck(text.charCodeAt(i));
  for (let i = 14; i < 18; i++) bad |= hexCheck(text.charCodeAt(i));
  for (let i = 19; i < 23; i++) bad |= hexCheck(text.charCodeAt(i));
  for (let i = 24; i < 36; i++) bad |= hexCheck(text.charCodeAt(i));
  return bad === 0;
}

/**
 * Writes the 16 bytes of a canonical UUID into `target` at `offset` (the caller validated it).
 * @example writeUuid('00000000-0000-0000-0000-000000000001', buf, 0)
 */
export function writeUuid(uuid: string, target: Uint8Array, offset: number): void {
  // Unrolled over the five groups (8-4-4-4-12 hex digits): the writer's hottest loop.
  const h = hexValue;
  const u = uuid;
  const t = target;
  const o = offset;
  t[o] = (h[u.charCodeAt(0)]! << 4) | h[u.charCodeAt(1)]!;
  t[o + 1] = (h[u.charCodeAt(2)]! << 4) | h[u.charCodeAt(3)]!;
  t[o + 2] = (h[u.charCodeAt(4)]! << 4) | h[u.charCodeAt(5)]!;
  t[o + 3] = (h[u.charCodeAt(6)]! << 4) | h[u.charCodeAt(7)]!;
  t[o + 4] = (h[u.charCodeAt(9)]! << 4) | h[u.charCodeAt(10)]!;
  t[o + 5] = (h[u.charCodeAt(11)]! << 4) | h[u.charCodeAt(12)]!;
  t[o + 6] = (h[u.charCodeAt(14)]! << 4) | h[u.charCodeAt(15)]!;
  t[o + 7] = (h[u.charCodeAt(16)]! << 4) | h[u.charCodeAt(17)]!;
  t[o + 8] = (h[u.charCodeAt(19)]! << 4) | h[u.charCodeAt(20)]!;
  t[o + 9] = (h[u.charCodeAt(21)]! << 4) | h[u.charCodeAt(22)]!;
  t[o + 10] = (h[u.charCodeAt(24)]! << 4) | h[u.charCodeAt(25)]!;
  t[o + 11] = (h[u.charCodeAt(26)]! << 4) | h[u.charCodeAt(27)]!;
  t[o + 12] = (h[u.charCodeAt(28)]! << 4) | h[u.charCodeAt(29)]!;
  t[o + 13] = (h[u.charCodeAt(30)]! << 4) | h[u.charCodeAt(31)]!;
  t[o + 14] = (h[u.charCodeAt(32)]! << 4) | h[u.charCodeAt(33)]!;
  t[o + 15] = (h[u.charCodeAt(34)]! << 4) | h[u.charCodeAt(35)]!;
}

/** The value of each lowercase hex digit by character code (the caller validated the text). */
const hexValue = new Uint8Array(128);
for (let c = 0; c < 10; c++) hexValue[48 + c] = c;
for (let c = 0; c < 6; c++) hexValue[97 + c] = 10 + c;

/** 0 for a lowercase hex digit's code, else non-zero. */
function hexCheck(code: number): number {
  return notHex[code & 0x7f]! | (code >> 7);
}

/** By character code below 128: 0 for a lowercase hex digit, else 1. */
const notHex = new Uint8Array(128).fill(1);
for (let c = 0; c < 10; c++) notHex[48 + c] = 0;
for (let c = 0; c < 6; c++) notHex[97 + c] = 0;
