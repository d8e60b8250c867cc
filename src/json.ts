import { jcs } from './proofs/jcs.ts';

/**
 * RFC 8785 (JCS) canonical JSON of `value`: keys sorted by UTF-16 code units, no whitespace,
 * numbers in ECMAScript form; not I-JSON (a lone surrogate, NaN, a bigint) is refused. What
 * Clearpeg hashes or signs as JSON goes through here: the one implementation is
 * `src/proofs/jcs.ts`, which the holder's verifier uses too.
 * @example canonicalJson({ b: '1', a: [true] }) === '{"a":[true],"b":"1"}'
 */
export function canonicalJson(value: unknown): string {
  return jcs(value);
}

/**
 * JSON that knows Clearpeg's values: a `bigint` becomes its decimal string, bytes become hex.
 * @example toJson({ seq: 5n }) === '{"seq":"5"}'
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    function (this: Record<string, unknown>, key, v) {
      // `this[key]` is the value before toJSON (a Buffer's toJSON would give {type, data}).
      const raw = this[key];
      if (raw instanceof Uint8Array)
        return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex');
      return typeof v === 'bigint' ? v.toString() : v;
    },
    indent,
  );
}
