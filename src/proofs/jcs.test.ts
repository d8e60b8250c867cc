/**
 * RFC 8785 against the RFC's own examples (§3.2.2 and §3.2.3), and against an independent
 * implementation (the `canonicalize` package, by the RFC's co-author) on random JSON.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalizeModule from 'canonicalize';
import fc from 'fast-check';
import { jcs, jcsBytes } from './jcs.ts';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

describe('RFC 8785 canonical JSON', () => {
  it("gives the RFC's sample output (§3.2.2)", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    assert.equal(
      jcs(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts member names by UTF-16 code units (§3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read back as a string: JSON.parse would list "1" first, as every object lists integer keys.
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    assert.equal(
      jcs(input),
      `{${order.map((name) => `${JSON.stringify(name)}:${JSON.stringify(input[name as keyof typeof input])}`).join(',')}}`,
    );
    assert.ok(jcs(input).startsWith('{"\\r":"Carriage Return","1":"One",'));
    assert.deepEqual(
      jcsBytes({ '\u00f6': 1 }),
      new Uint8Array([0x7b, 0x22, 0xc3, 0xb6, 0x22, 0x3a, 0x31, 0x7d]),
    );
  });

  it('refuses what is not I-JSON, naming where', () => {
    assert.throws(
      () => jcs({ a: [1, Number.NaN] }),
      /^TypeError: \.a\[1\]: must be a finite number$/,
    );
    assert.throws(() => jcs({ s: 'x\ud800' }), /\.s: must be well-formed Unicode/);
    assert.throws(() => jcs(JSON.parse('{"\\udc00": 1}')), /must be well-formed Unicode/);
    assert.throws(() => jcs({ n: 1n }), /must be a JSON value \(got bigint\)/);
    assert.throws(() => jcs({ d: new Date(0) }), /must be a plain object/);
    assert.throws(() => jcs(undefined), /^TypeError: value: must be a JSON value/);
  });

  it('agrees with an independent implementation on random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(jcs(value), canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });
});
