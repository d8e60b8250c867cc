/**
 * RFC 8785, the JSON Canonicalization Scheme (JCS): one byte string per JSON value, so that
 * what is hashed or signed as JSON (an attestation, an approval's intent) has exactly one
 * encoding, reproducible in any language.
 *
 *   - object members sorted by their names' UTF-16 code units (RFC 8785 §3.2.3), no
 *     whitespace;
 *   - strings escaped as ECMAScript's JSON.stringify escapes them (§3.2.2.2): `\b \t \n \f \r
 *     \" \\`, other controls as `\u00xx` in lowercase hex, everything else as itself;
 *   - numbers in ECMAScript's shortest round-trip form (§3.2.2.3), finite only;
 *   - input is I-JSON (RFC 7493): a string with a lone surrogate cannot be encoded as UTF-8
 *     and is refused, as is a value that is not JSON (undefined, a function, a bigint, NaN).
 *
 * Clearpeg's own documents carry amounts and sizes as decimal strings, never as numbers, so
 * no value depends on floating point; numbers are still encoded as the RFC says.
 */

/** A JSON value, as JCS takes it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function refuse(path: string, rule: string): never {
  throw new TypeError(`${path || 'value'}: must be ${rule}`);
}

function encodeString(value: string, path: string): string {
  if (loneSurrogate.test(value)) refuse(path, 'well-formed Unicode (no lone surrogate)');
  return JSON.stringify(value);
}

function encode(value: unknown, path: string, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, 'a finite number');
      out.push(JSON.stringify(value)); // ECMAScript's Number::toString; -0 becomes 0
      return;
    case 'string':
      out.push(encodeString(value, path));
      return;
    case 'object':
      break;
    default:
      refuse(path, `a JSON value (got ${typeof value})`);
  }
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      encode(item, `${path}[${i}]`, out);
    });
    out.push(']');
    return;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null)
    refuse(path, 'a plain object, an array or a JSON scalar');
  // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 orders member names.
  const keys = Object.keys(value).sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(encodeString(key, `${path}.${key}`), ':');
    encode((value as Record<string, unknown>)[key], `${path}.${key}`, out);
  });
  out.push('}');
}

/**
 * The RFC 8785 canonical JSON of `value`; a value that is not I-JSON is refused with a
 * `TypeError` naming where it is (`value.a[2]: must be a finite number`).
 * @example jcs({ b: '1', a: [true, null] }) === '{"a":[true,null],"b":"1"}'
 */
export function jcs(value: unknown): string {
  const out: string[] = [];
  encode(value, '', out);
  return out.join('');
}

/**
 * The UTF-8 bytes of `jcs(value)`: what is hashed or signed.
 * @example jcsBytes({ a: 1 }) // the bytes of '{"a":1}'
 */
export function jcsBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(jcs(value));
}
