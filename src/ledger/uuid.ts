/**
 * UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then random bits, so ids sort by
 * creation time and index well. Ids made by one process are strictly increasing: within one
 * millisecond the 12-bit `rand_a` field is used as a counter (RFC 9562 §6.2, method 1), and
 * when it overflows the timestamp is advanced by one millisecond.
 */
import { getRandomValues } from 'node:crypto';

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
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false; // '-'
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
      return false; // not 0-9 or a-f
    }
  }
  return true;
}

/**
 * Writes the 16 bytes of a canonical UUID into `target` at `offset`.
 * @example writeUuid('00000000-0000-0000-0000-000000000001', buf, 0)
 */
export function writeUuid(uuid: string, target: Uint8Array, offset: number): void {
  // Unrolled over the five groups (8-4-4-4-12 hex digits), with a table for digit values.
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) j++;
    target[offset + i] = (hexValue[uuid.charCodeAt(j)]! << 4) | hexValue[uuid.charCodeAt(j + 1)]!;
    j += 2;
  }
}

/** The value of each lowercase hex digit by character code (the caller validated the text). */
const hexValue = new Uint8Array(128);
for (let c = 0; c < 10; c++) hexValue[48 + c] = c;
for (let c = 0; c < 6; c++) hexValue[97 + c] = 10 + c;
