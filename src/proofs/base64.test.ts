/**
 * Strict base64: the RFC 4648 §10 test vectors, refusal of every non-canonical spelling, and a
 * round trip against Node's own encoder.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromBase64, toBase64 } from './base64.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('base64', () => {
  it('encodes and decodes the RFC 4648 §10 vectors', () => {
    // RFC 4648, section 10 (Test Vectors), BASE64.
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      assert.equal(toBase64(utf8(plain)), encoded);
      assert.deepEqual(fromBase64(encoded, 'vector'), utf8(plain));
    }
  });

  it('uses the standard alphabet (+ and /), not the URL-safe one', () => {
    assert.equal(toBase64(new Uint8Array([0xfb, 0xff, 0xbf])), '+/+/');
    assert.throws(() => fromBase64('-_-_', 'key'), /key: not standard padded base64/);
  });

  it('refuses a wrong length, naming the field', () => {
    assert.throws(() => fromBase64('Zg', 'root hash'), /^Error: root hash: base64 length 2/);
    assert.throws(() => fromBase64('Zm9vY', 'sig'), /sig: base64 length 5 is not a multiple of 4/);
  });

  it('refuses whitespace, misplaced or excess padding, and foreign characters', () => {
    for (const bad of [
      'Zm9v\n',
      'Zm 9',
      ' Zm9',
      'Zg=\n',
      '=Zg=',
      'Z===',
      'Zg==Zg==',
      'Zm9v====',
      'Zé9v',
    ])
      assert.throws(() => fromBase64(bad, 'field'), /^Error: field: /, JSON.stringify(bad));
  });

  it('refuses non-zero unused bits (one byte has exactly one spelling)', () => {
    // 'Zg==' is 'f'; 'Zh==' decodes to the same byte in lenient decoders.
    assert.throws(() => fromBase64('Zh==', 'sig'), /sig: non-canonical base64/);
    assert.throws(() => fromBase64('Zm9=', 'sig'), /sig: non-canonical base64/);
    assert.deepEqual(fromBase64('Zm8=', 'sig'), utf8('fo'));
  });

  it('agrees with Node on random bytes and decodes its own output', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = toBase64(bytes);
        assert.equal(encoded, Buffer.from(bytes).toString('base64'));
        assert.deepEqual(fromBase64(encoded, 'x'), bytes);
      }),
    );
  });

  it('accepts a string exactly when it is the encoding of its decoding', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AZaz09+/=\n '), maxLength: 12 }), (s) => {
        let decoded: Uint8Array | undefined;
        try {
          decoded = fromBase64(s, 'x');
        } catch {
          decoded = undefined;
        }
        const canonical = Buffer.from(Buffer.from(s, 'base64').toString('base64'));
        assert.equal(decoded !== undefined, canonical.toString() === s);
      }),
    );
  });
});
