/**
 * Checkpoints against the example of c2sp.org/tlog-checkpoint (and the cosigned one of
 * c2sp.org/tlog-cosignature), every rule of the note text, and a format/parse round trip.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatCheckpoint, maxTreeSize, parseCheckpoint } from './checkpoint.ts';
import { emptyRoot } from './hash.ts';
import { keyIdHex, parseNote } from './note.ts';

// c2sp.org/tlog-checkpoint, the opening example (and c2sp.org/tlog-cosignature's).
const specText =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const specNote =
  `${specText}\n` +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const specRootHex = '0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('parseCheckpoint', () => {
  it("parses the spec's example checkpoint, the text of its signed note", () => {
    const { text, signatures } = parseNote(specNote);
    assert.equal(text, specText);
    assert.equal(signatures[0]!.name, 'example.com/behind-the-sofa');
    assert.equal(keyIdHex(signatures[0]!.keyId), '033de0ae');
    const checkpoint = parseCheckpoint(text);
    assert.equal(checkpoint.origin, 'example.com/behind-the-sofa');
    assert.equal(checkpoint.size, 20852163n);
    assert.equal(hex(checkpoint.root), specRootHex);
    assert.deepEqual(checkpoint.extensions, []);
  });

  it('reads extension lines, and the empty tree, and the largest size', () => {
    const withExtensions = parseCheckpoint(`${specText}ext one\n— ext two\n`);
    assert.deepEqual(withExtensions.extensions, ['ext one', '— ext two']);
    const empty = parseCheckpoint('log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n');
    assert.equal(empty.size, 0n);
    assert.deepEqual(empty.root, emptyRoot);
    const largest = parseCheckpoint(`log\n18446744073709551615\n${specText.split('\n')[2]}\n`);
    assert.equal(largest.size, maxTreeSize);
  });

  it('refuses each broken rule, naming the line', () => {
    const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
    const cases: [string, RegExp][] = [
      ['log\n1\n' + root, /does not end with a newline/],
      ['log\n1\n', /2 lines, not at least 3/],
      [`\n1\n${root}\n`, /origin \(line 1\) is empty/],
      [`log\n01\n${root}\n`, /size \(line 2\) "01" is not a decimal number without leading zeros/],
      [`log\n+1\n${root}\n`, /size \(line 2\)/],
      [`log\n-1\n${root}\n`, /size \(line 2\)/],
      [`log\n 1\n${root}\n`, /size \(line 2\)/],
      [`log\n1.0\n${root}\n`, /size \(line 2\)/],
      [`log\n0x10\n${root}\n`, /size \(line 2\)/],
      [`log\n\n${root}\n`, /size \(line 2\)/],
      [`log\n18446744073709551616\n${root}\n`, /exceeds 2\^64 − 1/],
      [
        'log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n',
        /root hash \(line 3\): base64 length/,
      ],
      [
        'log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n',
        /root hash \(line 3\): non-canonical/,
      ],
      [
        'log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n',
        /root hash \(line 3\) is 30 bytes, not 32/,
      ],
      ['log\n1\n\n', /root hash \(line 3\) is 0 bytes/],
      [`log\n1\n${root}\n\nafter\n`, /extension line \(line 4\) is empty/],
      [`log\n1\n${root}\n\n`, /extension line \(line 4\) is empty/],
      [`log\r\n1\n${root}\n`, /control character U\+000D/],
    ];
    for (const [text, reason] of cases)
      assert.throws(() => parseCheckpoint(text), reason, JSON.stringify(text));
  });
});

describe('formatCheckpoint', () => {
  it("writes the spec's example byte for byte", () => {
    const root = Uint8Array.from(Buffer.from(specRootHex, 'hex'));
    assert.equal(
      formatCheckpoint({ origin: 'example.com/behind-the-sofa', size: 20852163n, root }),
      specText,
    );
    assert.equal(
      formatCheckpoint({ origin: 'o', size: 1n, root, extensions: ['a b', 'c'] }),
      'o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\na b\nc\n',
    );
  });

  it('refuses what could not be parsed back, naming the field', () => {
    const root = emptyRoot;
    assert.throws(
      () => formatCheckpoint({ origin: '', size: 0n, root }),
      /checkpoint origin is empty/,
    );
    assert.throws(
      () => formatCheckpoint({ origin: 'a\nb', size: 0n, root }),
      /origin contains a line break/,
    );
    assert.throws(() => formatCheckpoint({ origin: 'a\tb', size: 0n, root }), /origin: .*U\+0009/);
    assert.throws(() => formatCheckpoint({ origin: 'o', size: -1n, root }), /size: -1 is outside/);
    assert.throws(
      () => formatCheckpoint({ origin: 'o', size: maxTreeSize + 1n, root }),
      /size: .* is outside/,
    );
    assert.throws(
      () => formatCheckpoint({ origin: 'o', size: 0n, root: root.subarray(1) }),
      /root hash: 31 bytes/,
    );
    assert.throws(
      () => formatCheckpoint({ origin: 'o', size: 0n, root, extensions: ['x', ''] }),
      /extension line 2 is empty/,
    );
  });

  it('round-trips through parseCheckpoint', () => {
    const line = fc.string({ unit: fc.constantFrom(...'ab —é+/.😀'), minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(
        line,
        fc.bigInt({ min: 0n, max: maxTreeSize }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, root, extensions) => {
          const text = formatCheckpoint({ origin, size, root, extensions });
          assert.deepEqual(parseCheckpoint(text), { origin, size, root, extensions });
        },
      ),
    );
  });
});
