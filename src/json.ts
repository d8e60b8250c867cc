import canonicalizeModule from 'canonicalize';

// `canonicalize` is CommonJS (`module.exports = serialize`) with a declaration file that says
// `export default`: Node hands the function to a default import, but TypeScript under NodeNext
// types the import as the module object. The cast says what Node does.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/**
 * RFC 8785 (JCS) canonical JSON of `value`: keys sorted by UTF-16 code units, no whitespace,
 * numbers in ECMAScript form. What Clearpeg hashes or signs as JSON goes through here.
 * @example canonicalJson({ b: '1', a: [true] }) === '{"a":[true],"b":"1"}'
 */
export function canonicalJson(value: unknown): string {
  const json = canonicalize(value);
  if (typeof json !== 'string') throw new Error('assertion failed: a JSON value canonicalizes');
  return json;
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
