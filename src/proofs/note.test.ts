/**
 * Signed notes against Go's `golang.org/x/mod/sumdb/note` (note.go's package example and
 * note_test.go: TestNewVerifier, TestNewSigner, TestSign, TestOpen) and the example of
 * c2sp.org/signed-note ("Verifier keys", "Example"), then tampering and a round-trip property.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromBase64, toBase64 } from './base64.ts';
import {
  algorithmCosignatureV1,
  algorithmEd25519,
  checkKeyName,
  ed25519Signer,
  ed25519Verifier,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  keyId,
  keyIdHex,
  maxNoteSignatures,
  NoteError,
  type NoteErrorReason,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signerVerifierKey,
  signNote,
} from './note.ts';

// Go, sumdb/note/note_test.go (TestSign, TestOpen) and the package doc example.
const peterSkey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const peterVkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const enochVkey = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const text =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const peterSig =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const enochSig =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

/** Asserts that `fn` throws a NoteError with `reason` and a message matching `message`. */
function throwsNote(fn: () => unknown, reason: NoteErrorReason, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof NoteError, `not a NoteError: ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('keys', () => {
  it("parses Go's PeterNeumann verifier and signer keys, and they agree", () => {
    const vkey = parseVerifierKey(peterVkey);
    assert.equal(vkey.name, 'PeterNeumann');
    assert.equal(vkey.keyId, 0xc74f20a3);
    assert.equal(vkey.algorithm, algorithmEd25519);
    const skey = parseSignerKey(peterSkey);
    assert.deepEqual(skey.publicKey, vkey.publicKey);
    assert.equal(signerVerifierKey(peterSkey), peterVkey);
    assert.equal(formatSignerKey('PeterNeumann', algorithmEd25519, skey.seed), peterSkey);
    assert.equal(formatVerifierKey('PeterNeumann', algorithmEd25519, vkey.publicKey), peterVkey);
    assert.equal(keyIdHex(keyId('PeterNeumann', algorithmEd25519, vkey.publicKey)), 'c74f20a3');
  });

  it("refuses every substring and every one-byte change of Go's keys (TestNewVerifier, TestNewSigner)", () => {
    for (const [key, parse] of [
      [peterVkey, parseVerifierKey],
      [peterSkey, parseSignerKey],
    ] as const) {
      for (let i = 0; i <= key.length; i++)
        for (let j = i + 1; j <= key.length; j++)
          if (i !== 0 || j !== key.length)
            assert.throws(() => parse(key.slice(i, j)), NoteError, key.slice(i, j));
      for (let i = 0; i < key.length; i++) {
        const changed =
          key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1);
        assert.throws(() => parse(changed), NoteError, changed);
      }
    }
  });

  it("refuses Go's wrong-length and unknown-algorithm keys with adjusted key IDs", () => {
    throwsNote(
      () =>
        parseVerifierKey(
          'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==',
        ),
      'malformed-key',
      /verifier key: non-canonical base64/,
    );
    throwsNote(
      () => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      'malformed-key',
      /signature type 0x65/,
    );
  });

  it('names what is wrong with a key', () => {
    throwsNote(
      () => parseVerifierKey(peterVkey.replace('c74f20a3', 'C74F20A3')),
      'malformed-key',
      /8 lowercase hex/,
    );
    throwsNote(
      () => parseVerifierKey(peterVkey.replace('c74f20a3', 'c74f20a4')),
      'malformed-key',
      /does not match.*computed c74f20a3/,
    );
    throwsNote(
      () => parseVerifierKey(`Peter Neumann${peterVkey.slice(12)}`),
      'malformed-key',
      /Unicode space/,
    );
    throwsNote(
      () => parseVerifierKey(`${peterVkey}+x`),
      'malformed-key',
      /verifier key: base64 length/,
    );
    throwsNote(() => parseVerifierKey('PeterNeumann+c74f20a3'), 'malformed-key', /not of the form/);
    throwsNote(
      () => parseSignerKey(peterSkey.replace('PRIVATE', 'PUBLIC')),
      'malformed-key',
      /PRIVATE\+KEY/,
    );
  });

  it('checks key names per the spec: non-empty, no plus, no Unicode spaces', () => {
    for (const bad of [
      '',
      'a+b',
      'a b',
      'a\tb',
      'a\u00a0b',
      'a\u0085b',
      'a\u2003b',
      'a\u3000b',
      'a\u2028b',
      'a\u0001b',
      '\ud800',
    ])
      assert.throws(() => checkKeyName(bad, 'name'), NoteError, JSON.stringify(bad));
    for (const good of [
      'example.com/log',
      'PeterNeumann',
      'quasimodo.example/salvatore',
      'é/ü',
      'oid/1.3.6.1',
    ])
      checkKeyName(good, 'name');
  });

  it('generates fresh keys whose vkey verifies what the skey signs', () => {
    const skey = generateSignerKey('example.com/fresh');
    const vkey = signerVerifierKey(skey);
    assert.match(vkey, /^example\.com\/fresh\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    const opened = openNote(signNote('hi\n', [ed25519Signer(skey)]), [ed25519Verifier(vkey)]);
    assert.equal(opened.text, 'hi\n');
    assert.notEqual(generateSignerKey('example.com/fresh'), skey);
  });

  it('keeps Ed25519 and cosignature keys apart', () => {
    const cosigner = generateSignerKey('witness.example/w', algorithmCosignatureV1);
    assert.throws(() => ed25519Signer(cosigner), /not Ed25519 \(0x01\)/);
    assert.throws(() => ed25519Verifier(signerVerifierKey(cosigner)), /not Ed25519 \(0x01\)/);
  });
});

describe('signNote', () => {
  it("reproduces Go's PeterNeumann note byte for byte (note_test.go TestSign)", () => {
    assert.equal(signNote(text, [ed25519Signer(peterSkey)]), `${text}\n${peterSig}`);
  });

  it('refuses texts that are not note texts', () => {
    const signer = ed25519Signer(peterSkey);
    throwsNote(() => signNote('abc', [signer]), 'malformed-note', /does not end with a newline/);
    throwsNote(
      () => signNote('a\u0001b\n', [signer]),
      'malformed-note',
      /control character U\+0001/,
    );
    throwsNote(() => signNote('a\rb\n', [signer]), 'malformed-note', /U\+000D/);
    throwsNote(() => signNote('\ud800\n', [signer]), 'malformed-note', /well-formed/);
    throwsNote(() => signNote(text, []), 'malformed-note', /at least one signer/);
  });

  it('refuses a signer with an invalid name', () => {
    const signer = { ...ed25519Signer(peterSkey), name: 'bad name' };
    throwsNote(() => signNote(text, [signer]), 'malformed-key', /Unicode space/);
  });
});

describe('openNote', () => {
  const peter = ed25519Verifier(peterVkey);
  const enoch = ed25519Verifier(enochVkey);

  it("opens Go's note, one signature verified and one not (TestOpen)", () => {
    const opened = openNote(`${text}\n${peterSig}${enochSig}`, [peter]);
    assert.equal(opened.text, text);
    assert.deepEqual(
      opened.verified.map((s) => [s.name, keyIdHex(s.keyId), s.base64]),
      [['PeterNeumann', 'c74f20a3', peterSig.slice(15, -1)]],
    );
    assert.deepEqual(
      opened.unverified.map((s) => [s.name, keyIdHex(s.keyId)]),
      [['EnochRoot', 'af0cfe78']],
    );
    const both = openNote(new TextEncoder().encode(`${text}\n${peterSig}${enochSig}`), [
      peter,
      enoch,
    ]);
    assert.deepEqual(
      both.verified.map((s) => s.name),
      ['PeterNeumann', 'EnochRoot'],
    );
    assert.equal(both.unverified.length, 0);
  });

  it('verifies the example note of c2sp.org/signed-note', () => {
    // c2sp.org/signed-note, "Verifier keys", "Example".
    const vkey = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
    const note =
      'This is an example message.\n\n' +
      '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    const opened = openNote(note, [ed25519Verifier(vkey)]);
    assert.equal(opened.text, 'This is an example message.\n');
    assert.deepEqual(
      opened.verified.map((s) => keyIdHex(s.keyId)),
      ['530d903a'],
    );
  });

  it('parses the Quasimodo example of c2sp.org/signed-note (text with an empty line, non-ASCII)', () => {
    // c2sp.org/signed-note, the opening example. Its key is not published: parse only.
    const note =
      'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n' +
      '— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';
    const parsed = parseNote(note);
    assert.equal(
      parsed.text,
      'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n',
    );
    assert.equal(parsed.signatures.length, 1);
    assert.equal(keyIdHex(parsed.signatures[0]!.keyId), '367ba04b');
    assert.equal(parsed.signatures[0]!.signature.length, 64);
    throwsNote(
      () => openNote(note, [peter]),
      'no-verified-signature',
      /quasimodo\.example\/salvatore\+367ba04b/,
    );
  });

  it('refuses a note no known key signed (TestOpen, both unverified)', () => {
    throwsNote(
      () => openNote(`${text}\n${peterSig}${enochSig}`, []),
      'no-verified-signature',
      /signed by: PeterNeumann\+c74f20a3, EnochRoot\+af0cfe78/,
    );
  });

  it('fails on one changed byte of the text', () => {
    const note = `${text.replace('cryptography', 'cryptographY')}\n${peterSig}`;
    throwsNote(
      () => openNote(note, [peter]),
      'invalid-signature',
      /invalid signature by key PeterNeumann\+c74f20a3/,
    );
  });

  it('fails on one changed byte of a signature', () => {
    const bytes = fromBase64(peterSig.slice('— PeterNeumann '.length, -1), 'vector');
    bytes[10]! ^= 0x01; // inside the Ed25519 signature, after the 4-byte key ID
    const tampered = `${text}\n— PeterNeumann ${toBase64(bytes)}\n`;
    throwsNote(() => openNote(tampered, [peter]), 'invalid-signature', /PeterNeumann\+c74f20a3/);
    // Go's own mangling (TestOpen, "Invalid signature"): four characters inserted.
    const inserted = `${text}\n${peterSig.slice(0, 60)}ABCD${peterSig.slice(60)}`;
    throwsNote(() => openNote(inserted, [peter]), 'invalid-signature', /PeterNeumann\+c74f20a3/);
  });

  it('treats a wrong key ID or a wrong name as an unknown key, which does not count', () => {
    const wrongId = `${text}\n${peterSig.replace('x08g', 'xxxx')}`;
    throwsNote(
      () => openNote(wrongId, [peter]),
      'no-verified-signature',
      /signed by: PeterNeumann\+(?!c74f20a3)/,
    );
    const wrongName = `${text}\n${peterSig.replace('PeterNeumann', 'CarmenSandiego')}`;
    throwsNote(
      () => openNote(wrongName, [peter]),
      'no-verified-signature',
      /CarmenSandiego\+c74f20a3/,
    );
    const opened = openNote(`${text}\n${peterSig.replace('x08g', 'xxxx')}${peterSig}`, [peter]);
    assert.equal(opened.verified.length, 1);
    assert.equal(opened.unverified.length, 1);
  });

  it('drops repeated signatures and refuses a bad second one by a known key', () => {
    const opened = openNote(`${text}\n${peterSig}${peterSig}${enochSig}${enochSig}`, [peter]);
    assert.equal(opened.verified.length, 1);
    assert.equal(opened.unverified.length, 1);
    const bad = `${text}\n${peterSig}${peterSig.slice(0, 60)}ABCD${peterSig.slice(60)}`;
    throwsNote(() => openNote(bad, [peter]), 'invalid-signature', /PeterNeumann/);
  });

  it('refuses two verifiers with the same name and key ID', () => {
    throwsNote(
      () => openNote(`${text}\n${peterSig}`, [peter, enoch, peter]),
      'ambiguous-key',
      /PeterNeumann\+c74f20a3/,
    );
  });

  it(`refuses more than ${maxNoteSignatures} signature lines (TestOpen, too many signatures)`, () => {
    throwsNote(
      () => openNote(`${text}\n${peterSig.repeat(101)}`, [peter]),
      'malformed-note',
      /101 signature lines/,
    );
    assert.equal(openNote(`${text}\n${peterSig.repeat(100)}`, [peter]).verified.length, 1);
  });

  it("refuses Go's malformed notes (TestOpen, invalid encoded message syntax), each with its reason", () => {
    const cases: [string | Uint8Array, RegExp][] = [
      [text, /no blank line/],
      [`${text}\n`, /no signature lines/],
      [`${text}\n${peterSig.slice(0, -1)}`, /does not end with a newline/],
      [`\u0001${text}\n${peterSig}`, /control character U\+0001/],
      [
        Uint8Array.from([0xff, ...new TextEncoder().encode(`${text}\n${peterSig}`)]),
        /not valid UTF-8/,
      ],
      [
        `${text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
        /does not end with a newline/,
      ],
      [
        `${text}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
        /signature of Bad/,
      ],
      [`${text}\n${peterSig}Unexpected line.\n`, /does not start with an em dash/],
      [
        `${text}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
        /em dash/,
      ],
      [
        `${text}\n—PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
        /em dash/,
      ],
      [`${text}\n— PeterNeumann\n`, /no space after the key name/],
      [`${text}\n— PeterNeumann x08g\n`, /3 bytes: less than a key ID and one byte/],
      [`${text}\n— PeterNeumann x08go/ZJkuBS9UG\n`, /signature of PeterNeumann: base64 length/],
      [`${text}\n${peterSig}\n`, /no signature lines/],
      [`${text}\n${peterSig}${peterSig.replace('=\n', '\n')}`, /base64/],
      [`${text}\n${'— a AAAAAAA=\n'.repeat(1 << 17)}`, /more than 1048576/],
    ];
    for (const [note, reason] of cases)
      throwsNote(() => openNote(note, [peter]), 'malformed-note', reason);
  });

  it('keeps a byte-order mark in the text rather than dropping it', () => {
    const note = `\ufeff${text}\n${peterSig}`;
    assert.equal(parseNote(new TextEncoder().encode(note)).text, `\ufeff${text}`);
    throwsNote(
      () => openNote(new TextEncoder().encode(note), [peter]),
      'invalid-signature',
      /PeterNeumann/,
    );
  });
});

describe('sign and open (property)', () => {
  const keys = ['a.example/1', 'b.example/2', 'c.example/3'].map((name) => {
    const skey = formatSignerKey(
      name,
      algorithmEd25519,
      new TextEncoder().encode(name.padEnd(32, '.')),
    );
    return { signer: ed25519Signer(skey), verifier: ed25519Verifier(signerVerifierKey(skey)) };
  });
  const line = fc
    .string({ unit: fc.constantFrom(...'ab —é\u2003+😀'), maxLength: 12 })
    .map((s) => s.normalize());

  it('opens what it signs, with the text intact, whatever the text and signers', () => {
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 5 }),
        fc.subarray(keys, { minLength: 1 }),
        fc.subarray(keys, { minLength: 1 }),
        (lines, signers, known) => {
          const body = `${lines.join('\n')}\n`;
          const note = signNote(
            body,
            signers.map((k) => k.signer),
          );
          const shared = signers.filter((k) => known.includes(k));
          if (shared.length === 0) {
            assert.throws(
              () =>
                openNote(
                  note,
                  known.map((k) => k.verifier),
                ),
              /no signature by a known key/,
            );
            return;
          }
          const opened = openNote(
            note,
            known.map((k) => k.verifier),
          );
          assert.equal(opened.text, body);
          assert.deepEqual(
            opened.verified.map((s) => s.name),
            shared.map((k) => k.signer.name),
          );
          assert.equal(opened.unverified.length, signers.length - shared.length);
        },
      ),
    );
  });
});
