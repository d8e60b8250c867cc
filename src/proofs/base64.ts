/**
 * Strict standard base64 (RFC 4648 §4: alphabet `A–Z a–z 0–9 + /`, `=` padding), as signed
 * notes, checkpoints and cosignatures use it. Decoding refuses anything but the one canonical
 * encoding of the bytes: no whitespace, no missing or extra padding, no URL-safe alphabet, no
 * non-zero bits in the last character's unused low bits. So a value has exactly one spelling,
 * and two parties that compare strings compare bytes.
 *
 * `atob` is not used: it ignores whitespace and accepts unpadded input. Nothing of Node here.
 */

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Each character's 6-bit value, −1 for characters outside the alphabet. */
const values: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** The shape of canonical padded base64: groups of 4, the last one possibly `xx==` or `xxx=`. */
const shape = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The standard, padded base64 encoding of `bytes`.
 * @example toBase64(new Uint8Array([0xff, 0xfe])) === '//4='
 */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    const group = (a << 16) | (b << 8) | c;
    out += alphabet[(group >> 18) & 63]! + alphabet[(group >> 12) & 63]!;
    out += i + 1 < bytes.length ? alphabet[(group >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? alphabet[group & 63]! : '=';
  }
  return out;
}

/**
 * The bytes that `text` encodes in canonical, padded, standard base64. Throws an error naming
 * `field` and the rule broken (length, alphabet or padding, non-canonical trailing bits).
 * @example fromBase64('//4=', 'root hash') // Uint8Array [0xff, 0xfe]
 * @example fromBase64('//4', 'root hash') // throws: root hash: base64 length 3 is not a multiple of 4
 */
export function fromBase64(text: string, field: string): Uint8Array {
  if (text.length % 4 !== 0)
    throw new Error(`${field}: base64 length ${text.length} is not a multiple of 4`);
  if (!shape.test(text))
    throw new Error(
      `${field}: not standard padded base64 (only A–Z a–z 0–9 + / and final = padding)`,
    );
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let group = 0;
    for (let j = 0; j < 4; j++) {
      const code = text.charCodeAt(i + j);
      group = (group << 6) | (code === 0x3d ? 0 : values[code]!);
    }
    if (o < out.length) out[o++] = (group >> 16) & 0xff;
    if (o < out.length) out[o++] = (group >> 8) & 0xff;
    if (o < out.length) out[o++] = group & 0xff;
  }
  if (toBase64(out) !== text)
    throw new Error(
      `${field}: non-canonical base64 (the unused bits before the padding are not zero)`,
    );
  return out;
}
