/**
 * Cosignatures (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1).
 *
 * The spec publishes a signed message and a cosigned note, but not the witness's key, so its
 * signature cannot be verified: the tests check that the message we build is the spec's byte
 * for byte and that its cosignature line parses to the spec's timestamp.
 *
 * The signing vectors are our own, derived so that anyone can reproduce them:
 * - witness `witness.example.com/w1`, Ed25519 seed the 32 bytes 0x00, 0x01, …, 0x1f;
 *   witness `witness.example.com/w2`, seed 0x20, 0x21, …, 0x3f;
 * - the checkpoint of c2sp.org/tlog-checkpoint (example.com/behind-the-sofa, 20852163);
 * - times 1679315147 (the spec's) for w1 and 1679315200 for w2.
 * The key ID is SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]; the line's value is
 * key ID ‖ u64be(time) ‖ Ed25519(seed, "cosignature/v1\ntime <time>\n" ‖ checkpoint).
 * Ed25519 is deterministic, so in Go: `ed25519.Sign(ed25519.NewKeyFromSeed(seed), msg)` with
 * `msg` as above gives the same bytes, and `note.NewVerifierForCosignatureV1(vkey)` of
 * github.com/transparency-dev/formats/note with `note.Open` of golang.org/x/mod/sumdb/note
 * verifies the lines. Below, Node's own Ed25519 and SHA-256 recompute them independently.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHash, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromBase64, toBase64 } from './base64.ts';
import {
  checkWitnesses,
  cosign,
  cosignatureVerifier,
  cosignedMessage,
  cosignerVerifierKey,
  maxCosignatureTimestamp,
  parseCosignature,
  verifyCosignature,
} from './cosignature.ts';
import {
  algorithmCosignatureV1,
  algorithmEd25519,
  ed25519Signer,
  ed25519Verifier,
  formatSignerKey,
  keyIdHex,
  NoteError,
  type NoteErrorReason,
  openNote,
  parseNote,
  signerVerifierKey,
  signNote,
} from './note.ts';

// c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature, the examples.
const checkpoint =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const specLogLine =
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const specWitnessLine =
  '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

// Our vectors (see the header comment).
const seed1 = Uint8Array.from({ length: 32 }, (_, i) => i);
const seed2 = Uint8Array.from({ length: 32 }, (_, i) => 32 + i);
const w1Skey =
  'PRIVATE+KEY+witness.example.com/w1+a0059f11+BAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f';
const w1Vkey = 'witness.example.com/w1+a0059f11+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4';
const w1Line =
  '— witness.example.com/w1 oAWfEQAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n';
const w2Skey =
  'PRIVATE+KEY+witness.example.com/w2+23e77dad+BCAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/';
const w2Vkey = 'witness.example.com/w2+23e77dad+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X';
const w2Line =
  '— witness.example.com/w2 I+d9rQAAAABkGFEA+GoEQAlTLPqBmfPAKC7DCReY0ZgN+piI/MuIoa0Yx4l7rM5nnZZPM4+M5MUXEIs5w7Ct85GaI7Kgp0vE3KSJDw==\n';

// A log key for whole notes (Go's PeterNeumann key, sumdb/note/note_test.go).
const logSkey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const logVkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';

/** Ed25519 by Node (OpenSSL), from a 32-byte seed: the independent check of our vectors. */
function nodeEd25519(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return new Uint8Array(nodeSign(null, message, key));
}

function throwsNote(fn: () => unknown, reason: NoteErrorReason, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof NoteError, `not a NoteError: ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('the spec', () => {
  it("builds the spec's signed message byte for byte", () => {
    // c2sp.org/tlog-cosignature, "Ed25519 signed message".
    const expected =
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    assert.equal(new TextDecoder().decode(cosignedMessage(checkpoint, 1679315147n)), expected);
  });

  it("reads the spec's cosigned note: the witness line's key ID, timestamp and signature", () => {
    const { text, signatures } = parseNote(`${checkpoint}\n${specLogLine}${specWitnessLine}`);
    assert.equal(text, checkpoint);
    const cosignature = parseCosignature(signatures[1]!);
    assert.equal(cosignature.name, 'witness.example.com/w1');
    assert.equal(keyIdHex(cosignature.keyId), '8d66cf3f');
    assert.equal(cosignature.timestamp, 1679315147n);
    assert.equal(cosignature.signature.length, 64);
    // The log's line is a plain Ed25519 signature (64 bytes), not a cosignature (72).
    throwsNote(
      () => parseCosignature(signatures[0]!),
      'malformed-note',
      /64 bytes after the key ID, not 72/,
    );
  });
});

describe('cosign', () => {
  it('reproduces our vectors, recomputed with Node’s Ed25519 and SHA-256', () => {
    assert.equal(formatSignerKey('witness.example.com/w1', algorithmCosignatureV1, seed1), w1Skey);
    assert.equal(signerVerifierKey(w1Skey), w1Vkey);
    assert.equal(cosignerVerifierKey(w2Skey), w2Vkey);
    assert.equal(cosign(checkpoint, w1Skey, 1679315147n), w1Line);
    assert.equal(cosign(checkpoint, w2Skey, 1679315200n), w2Line);
    for (const [name, seed, vkey, line, time] of [
      ['witness.example.com/w1', seed1, w1Vkey, w1Line, 1679315147n],
      ['witness.example.com/w2', seed2, w2Vkey, w2Line, 1679315200n],
    ] as const) {
      const publicKey = fromBase64(vkey.split('+').slice(2).join('+'), 'vkey').subarray(1);
      const id = createHash('sha256')
        .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([0x04]), publicKey]))
        .digest()
        .subarray(0, 4);
      assert.equal(vkey.split('+')[1], id.toString('hex'));
      const message = Buffer.from(`cosignature/v1\ntime ${time}\n${checkpoint}`);
      const value = Buffer.alloc(8);
      value.writeBigUInt64BE(time);
      const expected = Buffer.concat([id, value, nodeEd25519(seed, message)]);
      assert.equal(line, `— ${name} ${toBase64(expected)}\n`);
    }
  });

  it('refuses a plain Ed25519 key, a non-checkpoint and an out-of-range time', () => {
    throwsNote(
      () => cosign(checkpoint, logSkey, 1n),
      'malformed-key',
      /not cosignature\/v1 \(0x04\)/,
    );
    assert.throws(() => cosign('hello\n', w1Skey, 1n), /checkpoint has 1 lines/);
    assert.throws(() => cosign(checkpoint, w1Skey, -1n), /timestamp -1 is outside/);
    assert.throws(
      () => cosign(checkpoint, w1Skey, maxCosignatureTimestamp + 1n),
      /outside 0 to 2\^63 − 1/,
    );
    assert.match(
      cosign(checkpoint, w1Skey, maxCosignatureTimestamp),
      /^— witness\.example\.com\/w1 /,
    );
  });
});

describe('verifyCosignature', () => {
  it('returns the timestamp of a valid cosignature, with or without the newline', () => {
    assert.equal(verifyCosignature(checkpoint, w1Line, w1Vkey), 1679315147n);
    assert.equal(verifyCosignature(checkpoint, w2Line.slice(0, -1), w2Vkey), 1679315200n);
  });

  it('fails on a changed checkpoint, timestamp, signature or key, saying why', () => {
    const otherSize = checkpoint.replace('20852163', '20852164');
    throwsNote(
      () => verifyCosignature(otherSize, w1Line, w1Vkey),
      'invalid-signature',
      /invalid cosignature by witness witness\.example\.com\/w1\+a0059f11 \(timestamp 1679315147\)/,
    );
    const bytes = fromBase64(w1Line.slice('— witness.example.com/w1 '.length, -1), 'vector');
    const later = bytes.slice();
    later[11]! ^= 0x01; // the timestamp's last byte: 1679315146
    throwsNote(
      () => verifyCosignature(checkpoint, `— witness.example.com/w1 ${toBase64(later)}`, w1Vkey),
      'invalid-signature',
      /timestamp 1679315146/,
    );
    const forged = bytes.slice();
    forged[40]! ^= 0x80;
    throwsNote(
      () => verifyCosignature(checkpoint, `— witness.example.com/w1 ${toBase64(forged)}`, w1Vkey),
      'invalid-signature',
      /invalid cosignature/,
    );
    throwsNote(
      () => verifyCosignature(checkpoint, w1Line, w2Vkey),
      'invalid-signature',
      /is by witness\.example\.com\/w1\+a0059f11, not by witness witness\.example\.com\/w2\+23e77dad/,
    );
    const huge = bytes.slice();
    huge[4] = 0x80;
    throwsNote(
      () => verifyCosignature(checkpoint, `— witness.example.com/w1 ${toBase64(huge)}`, w1Vkey),
      'malformed-note',
      /above 2\^63 − 1/,
    );
    throwsNote(
      () => verifyCosignature(checkpoint, w1Line, logVkey),
      'malformed-key',
      /not cosignature\/v1/,
    );
    throwsNote(
      () => verifyCosignature('x\n', w1Line, w1Vkey),
      'malformed-note',
      /checkpoint has 1 lines/,
    );
  });

  it('verifies what it cosigns, and only at that time (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: maxCosignatureTimestamp }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (time, size) => {
          const text = checkpoint.replace('20852163', size.toString());
          const line = cosign(text, w2Skey, time);
          assert.equal(verifyCosignature(text, line, w2Vkey), time);
          assert.throws(
            () => verifyCosignature(checkpoint.replace('20852163', `${size}0`), line, w2Vkey),
            NoteError,
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('openNote with witnesses', () => {
  it('verifies the log and its witnesses together', () => {
    const note = signNote(checkpoint, [ed25519Signer(logSkey)]) + w1Line + w2Line;
    const opened = openNote(note, [ed25519Verifier(logVkey), cosignatureVerifier(w1Vkey)]);
    assert.deepEqual(
      opened.verified.map((s) => s.name),
      ['PeterNeumann', 'witness.example.com/w1'],
    );
    assert.deepEqual(
      opened.unverified.map((s) => s.name),
      ['witness.example.com/w2'],
    );
    const cosigned = note.replace(w1Line, w1Line.replace('oAWfEQAAAABkGFDL', 'oAWfEQAAAABkGFDM'));
    throwsNote(
      () => openNote(cosigned, [ed25519Verifier(logVkey), cosignatureVerifier(w1Vkey)]),
      'invalid-signature',
      /witness\.example\.com\/w1\+a0059f11/,
    );
  });
});

describe('cosignatureVerifier', () => {
  it('verifies the exact text, a leading byte-order mark included', () => {
    const text = `\ufeff${checkpoint}`;
    const note = signNote(text, [ed25519Signer(logSkey)]) + cosign(text, w1Skey, 5n);
    const verifiers = [ed25519Verifier(logVkey), cosignatureVerifier(w1Vkey)];
    assert.equal(openNote(new TextEncoder().encode(note), verifiers).verified.length, 2);
  });
});

describe('checkWitnesses', () => {
  const signed = signNote(checkpoint, [ed25519Signer(logSkey)]);
  const w3Skey = formatSignerKey(
    'witness.example.com/w3',
    algorithmCosignatureV1,
    new Uint8Array(32).fill(7),
  );
  const w3Vkey = cosignerVerifierKey(w3Skey);
  const w3Line = () => cosign(checkpoint, w3Skey, 1700000000n);

  it('counts the pinned witnesses that cosigned and names the missing ones', () => {
    const note = signed + w1Line + w2Line;
    const two = checkWitnesses(note, [w1Vkey, w2Vkey, w3Vkey], 2);
    assert.equal(two.satisfied, true);
    assert.equal(two.required, 2);
    assert.deepEqual(
      two.cosigned.map((w) => [w.name, w.timestamp]),
      [
        ['witness.example.com/w1', 1679315147n],
        ['witness.example.com/w2', 1679315200n],
      ],
    );
    assert.deepEqual(
      two.missing.map((w) => [w.name, keyIdHex(w.keyId)]),
      [['witness.example.com/w3', w3Vkey.split('+')[1]]],
    );
    const three = checkWitnesses(note, [w1Vkey, w2Vkey, w3Vkey], 3);
    assert.equal(three.satisfied, false);
    assert.deepEqual(
      three.missing.map((w) => w.name),
      ['witness.example.com/w3'],
    );
    assert.equal(checkWitnesses(signed + w3Line(), [w1Vkey, w3Vkey], 2).satisfied, false);
  });

  it('counts a witness once, however many lines or pins it has', () => {
    const again = cosign(checkpoint, w1Skey, 1679315999n);
    const note = signed + w1Line + again + w1Line;
    const result = checkWitnesses(note, [w1Vkey, w1Vkey, w2Vkey], 1);
    assert.equal(result.cosigned.length, 1);
    assert.equal(result.cosigned[0]!.timestamp, 1679315147n);
    assert.equal(checkWitnesses(note, [w1Vkey, w2Vkey], 2).satisfied, false);
    // The same public key under another name is the same witness: it cannot count twice.
    const alias = formatSignerKey('witness.example.com/alias', algorithmCosignatureV1, seed1);
    const aliasLine = cosign(checkpoint, alias, 1679315147n);
    const twice = checkWitnesses(
      signed + w1Line + aliasLine,
      [w1Vkey, cosignerVerifierKey(alias)],
      1,
    );
    assert.equal(twice.cosigned.length, 1);
    assert.throws(
      () => checkWitnesses(signed + w1Line + aliasLine, [w1Vkey, cosignerVerifierKey(alias)], 2),
      /k = 2 must be an integer from 1 to the 1 distinct/,
    );
  });

  it('ignores lines by unpinned keys, and the log’s own line does not count', () => {
    const result = checkWitnesses(signed + w2Line, [w1Vkey], 1);
    assert.equal(result.satisfied, false);
    assert.deepEqual(
      result.missing.map((w) => w.name),
      ['witness.example.com/w1'],
    );
  });

  it('throws on a bad cosignature by a pinned witness, a bad note, or a bad policy', () => {
    const bad = w1Line.replace('oAWfEQAAAABkGFDL', 'oAWfEQAAAABkGFDM');
    throwsNote(
      () => checkWitnesses(signed + bad + w2Line, [w1Vkey, w2Vkey], 1),
      'invalid-signature',
      /witness\.example\.com\/w1\+a0059f11/,
    );
    throwsNote(
      () => checkWitnesses(`${checkpoint}${w1Line}`, [w1Vkey], 1),
      'malformed-note',
      /no blank line|signature line/,
    );
    throwsNote(
      () => checkWitnesses(`hello\n\n${w1Line}`, [w1Vkey], 1),
      'malformed-note',
      /checkpoint has 1 lines/,
    );
    assert.throws(
      () => checkWitnesses(signed + w1Line, [w1Vkey], 0),
      /k = 0 must be an integer from 1/,
    );
    assert.throws(() => checkWitnesses(signed + w1Line, [w1Vkey], 1.5), /k = 1.5/);
    assert.throws(
      () => checkWitnesses(signed + w1Line, [], 1),
      /k = 1 must be an integer from 1 to the 0/,
    );
    throwsNote(
      () => checkWitnesses(signed + w1Line, [logVkey], 1),
      'malformed-key',
      /not cosignature\/v1/,
    );
  });

  it('is satisfied exactly when k of the pinned witnesses cosigned (property)', () => {
    const witnesses = [
      { skey: w1Skey, vkey: w1Vkey },
      { skey: w2Skey, vkey: w2Vkey },
      { skey: w3Skey, vkey: w3Vkey },
    ];
    fc.assert(
      fc.property(
        fc.subarray(witnesses),
        fc.subarray(witnesses, { minLength: 1 }),
        fc.integer({ min: 1, max: 3 }),
        (signers, pinned, k) => {
          fc.pre(k <= pinned.length);
          const note = signed + signers.map((w) => cosign(checkpoint, w.skey, 1n)).join('');
          const result = checkWitnesses(
            note,
            pinned.map((w) => w.vkey),
            k,
          );
          const count = pinned.filter((w) => signers.includes(w)).length;
          assert.equal(result.cosigned.length, count);
          assert.equal(result.missing.length, pinned.length - count);
          assert.equal(result.satisfied, count >= k);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps plain Ed25519 keys and cosignature keys apart', () => {
    const sameSeed = formatSignerKey('witness.example.com/w1', algorithmEd25519, seed1);
    assert.notEqual(signerVerifierKey(sameSeed).split('+')[1], 'a0059f11');
  });
});
