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
