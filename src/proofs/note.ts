/**
 * Signed notes (c2sp.org/signed-note, Go's `golang.org/x/mod/sumdb/note`): a UTF-8 text ending
 * in a newline, a blank line, then signature lines `— <key name> base64(key ID ‖ signature)`.
 * Checkpoints (`checkpoint.ts`) are notes, and witnesses' cosignatures (`cosignature.ts`) are
 * more signature lines on the same note.
 *
 * Keys are written as Go writes them, so that keys and notes pass between this code and Go's
 * tools unchanged:
 * - a verifier key (vkey): `<name>+<hex key ID>+base64(algorithm ‖ public key)`;
 * - a signer key (skey): `PRIVATE+KEY+<name>+<hex key ID>+base64(algorithm ‖ Ed25519 seed)`.
 *
 * A key ID is the first 4 bytes of SHA-256(name ‖ "\n" ‖ algorithm ‖ public key), read as a
 * big-endian uint32. Opening a note verifies every signature by a known key (name and ID both
 * match) and fails on any that does not verify; signatures by unknown keys are kept, reported
 * as unverified, and never count. A note with no verified signature is refused.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { fromBase64, toBase64 } from './base64.ts';
import { sha256 } from './hash.ts';

/** The signature type of plain Ed25519 note signatures (c2sp.org/signed-note). */
export const algorithmEd25519 = 0x01;
/** The signature type of timestamped Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature). */
export const algorithmCosignatureV1 = 0x04;

/** The most signature lines `openNote` reads; the spec asks for at least 16, Go allows 100. */
export const maxNoteSignatures = 100;
/** The largest note `openNote` reads, in bytes (a checkpoint with 100 signatures is ~10 kB). */
export const maxNoteBytes = 1 << 20;

/** The separator between the text and the signatures, and the signature line's prefix. */
const emDashSpace = '\u2014 ';

/** Why a note, a key or a signature was refused. */
export type NoteErrorReason =
  | 'malformed-note'
  | 'malformed-key'
  | 'invalid-signature'
  | 'no-verified-signature'
  | 'ambiguous-key';

/**
 * A refused note, key or signature: `reason` for code, the message for people.
 * @example try { openNote(note, verifiers) } catch (e) { if (e instanceof NoteError && e.reason === 'invalid-signature') alert(e.message) }
 */
export class NoteError extends Error {
  readonly reason: NoteErrorReason;
  constructor(reason: NoteErrorReason, message: string) {
    super(message);
    this.name = 'NoteError';
    this.reason = reason;
  }
}

/** A key, as its name and ID identify it in signature lines. */
export interface KeyRef {
  /** The key's name (e.g. a schema-less URL such as `example.com/log`). */
  readonly name: string;
  /** The key ID: a uint32 (see `keyId`). */
  readonly keyId: number;
}

/** A parsed verifier key. */
export interface VerifierKey extends KeyRef {
  /** The signature type byte (`algorithmEd25519` or `algorithmCosignatureV1`). */
  readonly algorithm: number;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** A parsed signer key; keep it secret. */
export interface SignerKey extends VerifierKey {
  /** The 32-byte Ed25519 seed (RFC 8032 private key). */
  readonly seed: Uint8Array;
}

/** Checks signatures by one key: `signature` is the line's bytes after the 4-byte key ID. */
export interface NoteVerifier extends KeyRef {
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Signs note texts with one key: returns the bytes to write after the 4-byte key ID. */
export interface NoteSigner extends KeyRef {
  sign(text: Uint8Array): Uint8Array;
}

/** One signature line of a note. */
export interface NoteSignature extends KeyRef {
  /** The line's base64 field, as written (key ID ‖ signature). */
  readonly base64: string;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
}

/** A note split into its text and signature lines, nothing verified yet. */
export interface ParsedNote {
  /** The text, with its final newline, without the blank line. */
  readonly text: string;
  /** The text's UTF-8 bytes: what the signatures sign. */
  readonly textBytes: Uint8Array;
  /** The signature lines in order, repeated identical lines dropped. */
  readonly signatures: readonly NoteSignature[];
}

/** An opened note: its text, the signatures verified by known keys, and the others. */
export interface OpenedNote {
  readonly text: string;
  readonly verified: readonly NoteSignature[];
  readonly unverified: readonly NoteSignature[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A key ID as 8 lowercase hex digits, as vkeys and messages write it.
 * @example keyIdHex(0xc74f20a3) === 'c74f20a3'
 */
export function keyIdHex(id: number): string {
  return id.toString(16).padStart(8, '0');
}

/**
 * The key ID of a public key: the first 4 bytes, big-endian, of
 * SHA-256(name ‖ 0x0A ‖ algorithm ‖ publicKey) (c2sp.org/signed-note, "Signatures").
 * @example keyIdHex(keyId('PeterNeumann', algorithmEd25519, publicKey)) === 'c74f20a3'
 */
export function keyId(name: string, algorithm: number, publicKey: Uint8Array): number {
  checkKeyName(name, 'key name');
  const nameBytes = encoder.encode(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = algorithm;
  input.set(publicKey, nameBytes.length + 2);
  return readUint32(sha256(input));
}

/**
 * Throws unless `name` is a valid key name: non-empty, well-formed Unicode, and without plus
 * (U+002B), Unicode white space (Go's `unicode.IsSpace`) or other control characters.
 * @example checkKeyName('example.com/log', 'origin') // passes
 * @example checkKeyName('a b', 'key name') // throws
 */
export function checkKeyName(name: string, field: string): void {
  const fail = (rule: string) => {
    throw new NoteError('malformed-key', `${field} ${JSON.stringify(name)} ${rule}`);
  };
  if (name.length === 0) fail('is empty');
  if (name.includes('+')) fail('contains a plus (U+002B)');
  if (/\p{White_Space}/u.test(name)) fail('contains a Unicode space');
  if (/\p{Cc}/u.test(name)) fail('contains a control character');
  if (!isWellFormed(name)) fail('is not well-formed Unicode (lone surrogate)');
}

/**
 * Parses and checks a verifier key `<name>+<hex key ID>+base64(algorithm ‖ public key)`:
 * valid name, 8 lowercase hex digits equal to the key ID computed from the rest, a known
 * algorithm (Ed25519 0x01 or cosignature/v1 0x04) and a 32-byte public key.
 * @example parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').name === 'PeterNeumann'
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  const parts = cut(vkey, 2);
  if (parts === undefined) throw keyError('verifier key is not of the form <name>+<key ID>+<key>');
  const [name, hex, material] = parts as [string, string, string];
  checkKeyName(name, 'verifier key name');
  const id = parseKeyIdHex(hex, 'verifier key');
  const { algorithm, key } = splitKeyMaterial(material, 'verifier key');
  const computed = keyId(name, algorithm, key);
  if (computed !== id)
    throw keyError(
      `verifier key ID ${hex} does not match its name and public key (computed ${keyIdHex(computed)})`,
    );
  return { name, keyId: id, algorithm, publicKey: key };
}

/**
 * The verifier key string of a name, algorithm and 32-byte Ed25519 public key.
 * @example formatVerifierKey('PeterNeumann', algorithmEd25519, publicKey) // 'PeterNeumann+c74f20a3+ARpc…'
 */
export function formatVerifierKey(name: string, algorithm: number, publicKey: Uint8Array): string {
  checkAlgorithm(algorithm, 'verifier key');
  if (publicKey.length !== 32)
    throw keyError(`verifier key: Ed25519 public key is ${publicKey.length} bytes, not 32`);
  const id = keyId(name, algorithm, publicKey);
  return `${name}+${keyIdHex(id)}+${toBase64(prefixed(algorithm, publicKey))}`;
}

/**
 * Parses and checks a signer key `PRIVATE+KEY+<name>+<hex key ID>+base64(algorithm ‖ seed)`;
 * the key ID must be that of the public key derived from the seed.
 * @example parseSignerKey('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').keyId === 0xc74f20a3
 */
export function parseSignerKey(skey: string): SignerKey {
  const parts = cut(skey, 4);
  if (parts === undefined || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY')
    throw keyError('signer key is not of the form PRIVATE+KEY+<name>+<key ID>+<key>');
  const [, , name, hex, material] = parts as [string, string, string, string, string];
  checkKeyName(name, 'signer key name');
  const id = parseKeyIdHex(hex, 'signer key');
  const { algorithm, key: seed } = splitKeyMaterial(material, 'signer key');
  const publicKey = ed25519.getPublicKey(seed);
  const computed = keyId(name, algorithm, publicKey);
  if (computed !== id)
    throw keyError(
      `signer key ID ${hex} does not match its name and key (computed ${keyIdHex(computed)})`,
    );
  return { name, keyId: id, algorithm, publicKey, seed };
}

/**
 * The signer key string of a name, algorithm and 32-byte Ed25519 seed.
 * @example formatSignerKey('PeterNeumann', algorithmEd25519, seed) // 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEK…'
 */
export function formatSignerKey(name: string, algorithm: number, seed: Uint8Array): string {
  checkAlgorithm(algorithm, 'signer key');
  if (seed.length !== 32)
    throw keyError(`signer key: Ed25519 seed is ${seed.length} bytes, not 32`);
  const id = keyId(name, algorithm, ed25519.getPublicKey(seed));
  return `PRIVATE+KEY+${name}+${keyIdHex(id)}+${toBase64(prefixed(algorithm, seed))}`;
}

/**
 * A new signer key for `name` from a fresh random seed (Ed25519 by default; pass
 * `algorithmCosignatureV1` for a witness).
 * @example const skey = generateSignerKey('example.com/log'); const vkey = signerVerifierKey(skey);
 */
export function generateSignerKey(name: string, algorithm: number = algorithmEd25519): string {
  return formatSignerKey(name, algorithm, randomBytes(32));
}

/**
 * The verifier key that goes with a signer key (same name, algorithm and key ID).
 * @example signerVerifierKey('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEK…') === 'PeterNeumann+c74f20a3+ARpc…'
 */
export function signerVerifierKey(skey: string): string {
  const key = parseSignerKey(skey);
  return formatVerifierKey(key.name, key.algorithm, key.publicKey);
}

/**
 * A verifier of plain Ed25519 note signatures (signature type 0x01) from a vkey.
 * Verification is strict RFC 8032 (no ZIP-215 leniency).
 * @example openNote(note, [ed25519Verifier('PeterNeumann+c74f20a3+ARpc…')])
 */
export function ed25519Verifier(vkey: string | VerifierKey): NoteVerifier {
  const key = typeof vkey === 'string' ? parseVerifierKey(vkey) : vkey;
  if (key.algorithm !== algorithmEd25519)
    throw keyError(
      `verifier key ${key.name}+${keyIdHex(key.keyId)} has signature type 0x${hexByte(key.algorithm)}, not Ed25519 (0x01)`,
    );
  const publicKey = key.publicKey;
  return {
    name: key.name,
    keyId: key.keyId,
    verify: (text, signature) => verifyEd25519(publicKey, text, signature),
  };
}

/**
 * A signer of plain Ed25519 note signatures (signature type 0x01) from an skey.
 * @example signNote('hello\n', [ed25519Signer(skey)])
 */
export function ed25519Signer(skey: string | SignerKey): NoteSigner {
  const key = typeof skey === 'string' ? parseSignerKey(skey) : skey;
  if (key.algorithm !== algorithmEd25519)
    throw keyError(
      `signer key ${key.name}+${keyIdHex(key.keyId)} has signature type 0x${hexByte(key.algorithm)}, not Ed25519 (0x01)`,
    );
  const seed = key.seed;
  return { name: key.name, keyId: key.keyId, sign: (text) => ed25519.sign(text, seed) };
}

/**
 * Ed25519 verification (RFC 8032, strict encodings) that returns false, never throws.
 * @example verifyEd25519(publicKey, message, signature) // true or false
 */
export function verifyEd25519(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * Throws unless `text` may be a note's text: non-empty, ending in a newline, and (as the whole
 * note must be) well-formed Unicode without control characters other than newline.
 * @example checkNoteText('hello\n') // passes
 * @example checkNoteText('hello') // throws: does not end with a newline
 */
export function checkNoteText(text: string): void {
  if (!text.endsWith('\n')) throw malformed('note text does not end with a newline');
  checkCharacters(text, 'note text');
}

/**
 * One signature line, `— <name> base64(key ID ‖ signature)` without its newline.
 * @example formatSignatureLine('PeterNeumann', 0xc74f20a3, sig) // '— PeterNeumann x08go/…'
 */
export function formatSignatureLine(name: string, id: number, signature: Uint8Array): string {
  checkKeyName(name, 'signer name');
  const bytes = new Uint8Array(4 + signature.length);
  new DataView(bytes.buffer).setUint32(0, id >>> 0);
  bytes.set(signature, 4);
  return `${emDashSpace}${name} ${toBase64(bytes)}`;
}

/**
 * Parses one signature line (without its newline). The signature after the key ID must be
 * at least one byte.
 * @example parseSignatureLine('— PeterNeumann x08go/…').keyId === 0xc74f20a3
 */
export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(emDashSpace))
    throw malformed(`signature line does not start with an em dash and a space: ${quote(line)}`);
  const rest = line.slice(emDashSpace.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw malformed(`signature line has no space after the key name: ${quote(line)}`);
  const name = rest.slice(0, space);
  const base64 = rest.slice(space + 1);
  try {
    checkKeyName(name, 'signature key name');
  } catch (error) {
    throw malformed((error as Error).message);
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(base64, `signature of ${name}`);
  } catch (error) {
    throw malformed((error as Error).message);
  }
  if (bytes.length < 5)
    throw malformed(
      `signature of ${name} is ${bytes.length} bytes: less than a key ID and one byte`,
    );
  return { name, keyId: readUint32(bytes), base64, signature: bytes.subarray(4) };
}

/**
 * Signs `text` with each signer, in order: `text ‖ "\n" ‖ one line per signature`.
 * @example signNote('hello\n', [ed25519Signer(skey)]) // 'hello\n\n— name base64…\n'
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  if (signers.length === 0) throw malformed('a note needs at least one signer');
  if (signers.length > maxNoteSignatures)
    throw malformed(`${signers.length} signers: more than ${maxNoteSignatures}`);
  const textBytes = encoder.encode(text);
  const lines = signers.map(
    (signer) => `${formatSignatureLine(signer.name, signer.keyId, signer.sign(textBytes))}\n`,
  );
  return `${text}\n${lines.join('')}`;
}

/**
 * Splits a note into its text and signature lines and checks its form, verifying nothing:
 * size, UTF-8, no control characters but newline, a blank line before the signatures, at
 * least one and at most `maxNoteSignatures` well-formed signature lines, each ending in a
 * newline. Identical repeated lines are dropped.
 * @example parseNote('hello\n\n— name base64…\n').text === 'hello\n'
 */
export function parseNote(note: Uint8Array | string): ParsedNote {
  const size = typeof note === 'string' ? encoder.encode(note).length : note.length;
  if (size > maxNoteBytes) throw malformed(`note is ${size} bytes: more than ${maxNoteBytes}`);
  const whole = typeof note === 'string' ? note : decodeUtf8(note);
  checkCharacters(whole, 'note');
  const split = whole.lastIndexOf('\n\n');
  if (split < 0) throw malformed('note has no blank line before its signatures');
  const text = whole.slice(0, split + 1);
  const block = whole.slice(split + 2);
  if (block.length === 0) throw malformed('note has no signature lines');
  if (!block.endsWith('\n')) throw malformed('note does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > maxNoteSignatures)
    throw malformed(`note has ${lines.length} signature lines: more than ${maxNoteSignatures}`);
  const seen = new Set<string>();
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const signature = parseSignatureLine(line);
    if (seen.has(line)) continue;
    seen.add(line);
    signatures.push(signature);
  }
  return { text, textBytes: encoder.encode(text), signatures };
}

/**
 * Opens a signed note: parses it (`parseNote`), verifies every signature whose name and key ID
 * match a verifier, and returns the text with the verified signatures (one per key) and the
 * unverified ones (unknown keys; they do not count). Throws a `NoteError` if the note is
 * malformed, if a signature by a known key fails (`invalid-signature`), if two verifiers share
 * a name and key ID (`ambiguous-key`), or if no known key signed it (`no-verified-signature`).
 * @example openNote(signed, [ed25519Verifier(vkey)]).text === 'hello\n'
 */
export function openNote(
  note: Uint8Array | string,
  verifiers: readonly NoteVerifier[],
): OpenedNote {
  const known = verifierMap(verifiers);
  const { text, textBytes, signatures } = parseNote(note);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const verifiedKeys = new Set<string>();
  for (const signature of signatures) {
    const ref = refString(signature);
    const verifier = known.get(ref);
    if (verifier === undefined) {
      unverified.push(signature);
      continue;
    }
    if (!verifier.verify(textBytes, signature.signature))
      throw new NoteError('invalid-signature', `invalid signature by key ${ref}`);
    if (verifiedKeys.has(ref)) continue;
    verifiedKeys.add(ref);
    verified.push(signature);
  }
  if (verified.length === 0) {
    const found = signatures.map(refString).join(', ');
    throw new NoteError(
      'no-verified-signature',
      `note has no signature by a known key (signed by: ${found})`,
    );
  }
  return { text, verified, unverified };
}

/** The verifiers by `name+keyid`; two with the same name and ID are refused. */
function verifierMap(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  const map = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    const ref = refString(verifier);
    if (map.has(ref))
      throw new NoteError('ambiguous-key', `two verifiers have the same name and key ID: ${ref}`);
    map.set(ref, verifier);
  }
  return map;
}

/** `name+keyid`, how keys are named in messages. */
function refString(key: KeyRef): string {
  return `${key.name}+${keyIdHex(key.keyId)}`;
}

/** Throws unless `text` is well-formed and has no control character but newline. */
function checkCharacters(text: string, field: string): void {
  if (!isWellFormed(text)) throw malformed(`${field} is not well-formed Unicode`);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a)
      throw malformed(
        `${field} contains the control character U+${code.toString(16).padStart(4, '0').toUpperCase()} at ${i}`,
      );
  }
}

/** The text of UTF-8 `bytes`; throws on invalid UTF-8. A leading BOM is kept, not dropped. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw malformed('note is not valid UTF-8');
  }
}

/** Whether `text` has no lone surrogate (so that it has a UTF-8 encoding). */
function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

/** The 8-hex-digit key ID of a key string; lowercase only, as Go writes it. */
function parseKeyIdHex(hex: string, field: string): number {
  if (!/^[0-9a-f]{8}$/.test(hex))
    throw keyError(`${field} ID ${quote(hex)} is not 8 lowercase hex digits`);
  return Number.parseInt(hex, 16);
}

/** Splits base64(algorithm ‖ 32-byte key), checking the algorithm and the length. */
function splitKeyMaterial(material: string, field: string): { algorithm: number; key: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(material, field);
  } catch (error) {
    throw keyError((error as Error).message);
  }
  if (bytes.length === 0) throw keyError(`${field} has no key material`);
  const algorithm = bytes[0]!;
  checkAlgorithm(algorithm, field);
  const key = bytes.slice(1);
  if (key.length !== 32) throw keyError(`${field}: Ed25519 key is ${key.length} bytes, not 32`);
  return { algorithm, key };
}

/**
 * `text` cut at its first `count` plus signs into `count + 1` parts (the last part, base64,
 * may hold more plus signs), or `undefined` if `text` has fewer than `count` plus signs.
 */
function cut(text: string, count: number): string[] | undefined {
  const parts: string[] = [];
  let rest = text;
  for (let i = 0; i < count; i++) {
    const plus = rest.indexOf('+');
    if (plus < 0) return undefined;
    parts.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  parts.push(rest);
  return parts;
}

/** Throws unless `algorithm` is one this library implements. */
function checkAlgorithm(algorithm: number, field: string): void {
  if (algorithm !== algorithmEd25519 && algorithm !== algorithmCosignatureV1)
    throw keyError(
      `${field} has signature type 0x${hexByte(algorithm)}; supported are 0x01 (Ed25519) and 0x04 (cosignature/v1)`,
    );
}

function prefixed(algorithm: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + key.length);
  out[0] = algorithm;
  out.set(key, 1);
  return out;
}

function readUint32(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
}

function hexByte(byte: number): string {
  return bytesToHex(new Uint8Array([byte]));
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function malformed(message: string): NoteError {
  return new NoteError('malformed-note', message);
}

function keyError(message: string): NoteError {
  return new NoteError('malformed-key', message);
}
