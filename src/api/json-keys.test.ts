import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findDuplicateKey } from './json-keys.ts';
import { parseJsonBody } from './request.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('duplicate JSON keys', () => {
  it('finds a key named twice at the top, in a nested object and in an array of objects', () => {
    assert.deepEqual(findDuplicateKey('{"a":1,"a":2}'), { path: ['a'] });
    assert.deepEqual(findDuplicateKey('{"approval":{"intentHash":"x","s":1,"intentHash":"y"}}'), {
      path: ['approval', 'intentHash'],
    });
    assert.deepEqual(findDuplicateKey('{"x":[{"b":1},{"b":1,"c":[1,2],"b":3}]}'), {
      path: ['x', '1', 'b'],
    });
  });

  it('compares keys as decoded: an escape does not hide a duplicate', () => {
    assert.deepEqual(findDuplicateKey('{"amount":"1","\\u0061mount":"9"}'), { path: ['amount'] });
    assert.deepEqual(findDuplicateKey('{"a\\"b":1,"a\\u0022b":2}'), { path: ['a"b'] });
  });

  it('takes the same key in different objects, and keys or values that look like JSON', () => {
    for (const text of [
      '{"a":{"a":{"a":1}},"b":{"a":2}}',
      '[{"a":1},{"a":2}]',
      '{"a":"\\"a\\":1,","b":"{\\"a\\":2}"}',
      '{"a\\\\":1,"a":2}',
      '"a"',
      '[]',
      '{}',
    ])
      assert.equal(findDuplicateKey(text), undefined, text);
  });

  it('finds a duplicate put into any object of random JSON, by its path, and none without it', () => {
    /** `value` as JSON text, the object at `target` naming its first key once more. */
    const withDuplicate = (value: unknown, target: unknown): string => {
      if (Array.isArray(value)) return `[${value.map((v) => withDuplicate(v, target)).join(',')}]`;
      if (typeof value !== 'object' || value === null) return JSON.stringify(value);
      const entries = Object.entries(value).map(
        ([k, v]) => `${JSON.stringify(k)}:${withDuplicate(v, target)}`,
      );
      if (value === target) entries.push(`${JSON.stringify(Object.keys(value)[0])}:null`);
      return `{${entries.join(',')}}`;
    };
    /** Every non-empty object in `value` with its path. */
    const objects = (value: unknown, path: string[] = []): [unknown, string[]][] => {
      if (typeof value !== 'object' || value === null) return [];
      const inner = Object.entries(value).flatMap(([k, v]) => objects(v, [...path, k]));
      return !Array.isArray(value) && Object.keys(value).length > 0
        ? [[value, path], ...inner]
        : inner;
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), (value, choice) => {
        assert.equal(findDuplicateKey(JSON.stringify(value) ?? 'null'), undefined);
        const found = objects(value);
        if (found.length === 0) return;
        const [target, path] = found[choice % found.length]!;
        const text = withDuplicate(value, target);
        const first = Object.keys(target as object)[0]!;
        assert.deepEqual(findDuplicateKey(text), { path: [...path, first] }, text);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a body with a nested duplicate as json-duplicate-key naming its path', () => {
    assert.throws(() => parseJsonBody(bytes('{"approval":{"signature":"a","signature":"b"}}')), {
      code: 'json-duplicate-key',
      field: 'approval.signature',
    });
    assert.throws(() => parseJsonBody(bytes('{"amount":"1","amount":"1000000"}')), {
      code: 'json-duplicate-key',
      field: 'amount',
    });
    assert.deepEqual(parseJsonBody(bytes('{"a":{"b":1},"b":{"b":2}}')), {
      a: { b: 1 },
      b: { b: 2 },
    });
  });

  it('scans bodies at the size limit: thousands of keys in one object, a string of escapes', () => {
    // 64 KiB of one object's distinct keys, and of one string of backslashes.
    const keys = `{${Array.from({ length: 6000 }, (_, i) => `"k${i}":0`).join(',')}}`;
    const slashes = `{"a":"${'\\\\'.repeat(32_000)}"}`;
    for (const text of [keys, slashes]) {
      assert.equal(findDuplicateKey(text), undefined);
      JSON.parse(text);
    }
    assert.deepEqual(findDuplicateKey(`${keys.slice(0, -1)},"k5999":1}`), { path: ['k5999'] });
  });
});
