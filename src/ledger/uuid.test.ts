import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatUuid, isUuid, namedUuid, uuidv7, writeUuid } from './uuid.ts';

/** The definition, as a regular expression: what `isUuid` must agree with. */
const canonical = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('uuid', () => {
  it('accepts canonical lowercase uuids of any version', () => {
    for (const text of [
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7e',
      '123e4567-e89b-12d3-a456-426614174000',
    ])
      assert.equal(isUuid(text), true, text);
  });

  it('refuses everything else', () => {
    for (const text of [
      '019AB0C4-5E1A-7000-8F3E-2D1C0B9A8F7E', // uppercase
      '019ab0c45e1a70008f3e2d1c0b9a8f7e', // no dashes
      '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7', // short
      '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7e0', // long
      '019ab0c4-5e1a-7000-8f3e2-d1c0b9a8f7e', // a dash moved
      '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f-e', // a dash where a digit goes
      '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7g', // not hex
      '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7\u0130', // low byte 0x30 ('0')
      '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7\u0661', // an Arabic-Indic digit
      '019ab0c4-5e1a-7000-8\u0166e-2d1c0b9a8f7e', // low byte 0x66 ('f')
      '019ab0c4\u012d5e1a-7000-8f3e-2d1c0b9a8f7e', // low byte 0x2d ('-')
      ' 19ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7e',
      '',
    ])
      assert.equal(isUuid(text), false, JSON.stringify(text));
    for (const value of [undefined, null, 7, {}, ['019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7e']])
      assert.equal(isUuid(value), false);
  });

  it('agrees with the definition on random 36-character strings near the format', () => {
    const near = fc.constantFrom(...'0123456789abcdefABCDEF-g \u0130\u0661\u012d');
    const text = fc.oneof(
      fc.array(near, { minLength: 36, maxLength: 36 }).map((chars) => chars.join('')),
      fc.uint8Array({ minLength: 16, maxLength: 16 }).chain((bytes) =>
        fc.tuple(fc.nat(35), near).map(([at, c]) => {
          const good = formatUuid(bytes);
          return good.slice(0, at) + c + good.slice(at + 1);
        }),
      ),
    );
    fc.assert(
      fc.property(text, (t) => isUuid(t) === canonical.test(t)),
      { seed: 36, numRuns: 20_000 },
    );
  });

  it('names a UUIDv8 by namespace and name: stable, distinct, version 8 (vector)', () => {
    const id = namedUuid('clearpeg-deposit/1', 'REF-1');
    // SHA-256("clearpeg-deposit/1" ‖ 0x00 ‖ "REF-1"), first 16 bytes, version 8, variant 10.
    assert.equal(id, namedUuid('clearpeg-deposit/1', 'REF-1'));
    assert.equal(id, '1beb4d53-fb72-82f1-8ec8-95b97815b7b4');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(id, namedUuid('clearpeg-deposit/1', 'REF-2'));
    assert.notEqual(namedUuid('a', 'bc'), namedUuid('ab', 'c'), 'the separator keeps names apart');
  });

  it('formats and parses 16 bytes both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(8), (bytes, at) => {
        const text = formatUuid(bytes);
        assert.equal(
          text,
          Buffer.from(bytes)
            .toString('hex')
            .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
        );
        assert.equal(isUuid(text), true);
        const target = new Uint8Array(32);
        writeUuid(text, target, at);
        assert.deepEqual(target.subarray(at, at + 16), bytes);
        assert.equal(
          target.subarray(0, at).every((b) => b === 0),
          true,
          'nothing before it',
        );
        assert.equal(
          target.subarray(at + 16).every((b) => b === 0),
          true,
          'nothing after it',
        );
      }),
      { seed: 16, numRuns: 2_000 },
    );
  });

  it('makes version 7 ids that increase strictly, even within one millisecond', () => {
    const ids = Array.from({ length: 5_000 }, () => uuidv7(1_700_000_000_000));
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      assert.equal(isUuid(id), true);
      assert.equal(id[14], '7', 'version 7');
      assert.match(id[19]!, /[89ab]/, 'RFC 9562 variant');
      if (i > 0) assert.ok(ids[i - 1]! < id, `${ids[i - 1]} < ${id}`);
    }
    // 4,096 ids fit one millisecond's counter; the rest carried into the next millisecond.
    const ms = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    assert.equal(ms(ids.at(-1)!), ms(ids[0]!) + 1);
  });
});
