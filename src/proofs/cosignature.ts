/**
 * Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 `cosignature/v1`): a witness that
 * has checked a checkpoint is consistent with everything it saw of the log before adds its own
 * signature line to the checkpoint's note. A client that requires k of n pinned witnesses
 * (`checkWitnesses`) cannot be shown a view of the log those witnesses did not see.
 *
 * The signed message is `cosignature/v1\ntime <seconds>\n` followed by the checkpoint's note
 * text (final newline included, no signature lines). The signature line's value is
 * base64(key ID ‖ timestamp as u64 big-endian ‖ 64-byte Ed25519 signature), and the key ID is
 * SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]. Witness keys are vkeys and skeys of signature
 * type 0x04 (`note.ts`); keys of type 0x01 are refused, so that one key never signs both kinds.
 *
 * The message does not commit to the witness's name: each witness must have its own key, and
 * `checkWitnesses` counts distinct public keys.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { parseCheckpoint } from './checkpoint.ts';
import {
  algorithmCosignatureV1,
  formatSignatureLine,
  formatVerifierKey,
  type KeyRef,
  keyIdHex,
  NoteError,
  type NoteSignature,
  type NoteVerifier,
  parseNote,
  parseSignatureLine,
  parseSignerKey,
  parseVerifierKey,
  type SignerKey,
  type VerifierKey,
  verifyEd25519,
} from './note.ts';

/** The header line of the signed message. */
export const cosignatureV1Header = 'cosignature/v1';
/** The largest timestamp a cosignature may carry: 2^63 − 1 seconds. */
export const maxCosignatureTimestamp = (1n << 63n) - 1n;

/** Strict UTF-8 that keeps a leading byte-order mark (it is part of the signed text). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes of a cosignature after the key ID: timestamp (8) ‖ Ed25519 signature (64). */
const cosignatureBytes = 8 + 64;

/** A cosignature line, read (not verified). */
export interface Cosignature extends KeyRef {
  /** When the witness signed, in seconds since the epoch (POSIX). */
  readonly timestamp: bigint;
  /** The 64-byte Ed25519 signature over `cosignedMessage(text, timestamp)`. */
  readonly signature: Uint8Array;
}

/** A witness whose cosignature verified, and when it signed. */
export interface WitnessCosignature extends KeyRef {
  readonly timestamp: bigint;
}

/** What `checkWitnesses` found. */
export interface WitnessCheck {
  /** Whether at least `required` distinct pinned witnesses cosigned. */
  readonly satisfied: boolean;
  /** k, as asked. */
  readonly required: number;
  /** The pinned witnesses whose cosignature verified, in the order they were pinned. */
  readonly cosigned: readonly WitnessCosignature[];
  /** The pinned witnesses with no cosignature on the note, in the order they were pinned. */
  readonly missing: readonly KeyRef[];
}

/**
 * The message a witness signs: `cosignature/v1\ntime <time>\n` ‖ the checkpoint's note text.
 * The text must be a valid checkpoint (`parseCheckpoint`); `time` must be 0…2^63 − 1.
 * @example new TextDecoder().decode(cosignedMessage('log\n0\n47DE…=\n', 1679315147n)) === 'cosignature/v1\ntime 1679315147\nlog\n0\n47DE…=\n'
 */
export function cosignedMessage(checkpointText: string, time: bigint): Uint8Array {
  parseCheckpoint(checkpointText);
  checkTimestamp(time);
  return new TextEncoder().encode(`${cosignatureV1Header}\ntime ${time}\n${checkpointText}`);
}

/**
 * A witness's cosignature of a checkpoint at `time` (seconds since the epoch): the signature
 * line, newline included, to append to the checkpoint's signed note. `witness` is a signer
 * key of type 0x04 (`generateSignerKey(name, algorithmCosignatureV1)`).
 * @example note + cosign(checkpointText, witnessSkey, 1679315147n) // '…— witness.example.com/w1 …\n'
 */
export function cosign(checkpointText: string, witness: string | SignerKey, time: bigint): string {
  const key = cosignerKey(witness);
  const signature = ed25519.sign(cosignedMessage(checkpointText, time), key.seed);
  const value = new Uint8Array(cosignatureBytes);
  new DataView(value.buffer).setBigUint64(0, time);
  value.set(signature, 8);
  return `${formatSignatureLine(key.name, key.keyId, value)}\n`;
}

/**
 * The verifier key (type 0x04) to pin for a witness's signer key.
 * @example cosignerVerifierKey(witnessSkey) // 'witness.example.com/w1+…+B…'
 */
export function cosignerVerifierKey(witness: string | SignerKey): string {
  const key = cosignerKey(witness);
  return formatVerifierKey(key.name, algorithmCosignatureV1, key.publicKey);
}

/**
 * Reads a cosignature from a note's signature line (as `parseNote` returns it): the timestamp
 * and the Ed25519 signature. Throws if the value is not 4 + 8 + 64 bytes or the timestamp
 * exceeds 2^63 − 1. Nothing is verified.
 * @example parseCosignature(parseNote(note).signatures[1]!).timestamp === 1679315147n
 */
export function parseCosignature(line: NoteSignature): Cosignature {
  const bytes = line.signature;
  if (bytes.length !== cosignatureBytes)
    throw new NoteError(
      'malformed-note',
      `cosignature by ${refString(line)} is ${bytes.length} bytes after the key ID, not ${cosignatureBytes} (timestamp and Ed25519 signature)`,
    );
  const timestamp = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  if (timestamp > maxCosignatureTimestamp)
    throw new NoteError(
      'malformed-note',
      `cosignature by ${refString(line)} has timestamp ${timestamp}, above 2^63 − 1`,
    );
  return { name: line.name, keyId: line.keyId, timestamp, signature: bytes.slice(8) };
}

/**
 * A `NoteVerifier` for a witness's cosignatures (vkey of type 0x04), to pass to `openNote`
 * beside the log's own verifier. It accepts only checkpoint texts.
 * @example openNote(note, [ed25519Verifier(logVkey), cosignatureVerifier(witnessVkey)])
 */
export function cosignatureVerifier(witness: string | VerifierKey): NoteVerifier {
  const key = witnessKey(witness);
  return {
    name: key.name,
    keyId: key.keyId,
    verify: (text, signature) => {
      if (signature.length !== cosignatureBytes) return false;
      const time = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
      let message: Uint8Array;
      try {
        message = cosignedMessage(utf8.decode(text), time);
      } catch {
        return false;
      }
      return verifyEd25519(key.publicKey, message, signature.subarray(8));
    },
  };
}

/**
 * Verifies one witness's cosignature line (with or without its final newline) on a checkpoint
 * and returns its timestamp. Throws a `NoteError` that says why otherwise: the text is not a
 * checkpoint, the line is malformed, it is by another key, or the signature does not verify.
 * @example verifyCosignature(checkpointText, cosign(checkpointText, witnessSkey, 1n), witnessVkey) === 1n
 */
export function verifyCosignature(
  checkpointText: string,
  line: string,
  witness: string | VerifierKey,
): bigint {
  const key = witnessKey(witness);
  try {
    parseCheckpoint(checkpointText);
  } catch (error) {
    throw new NoteError('malformed-note', (error as Error).message);
  }
  const signature = parseSignatureLine(line.endsWith('\n') ? line.slice(0, -1) : line);
  if (signature.name !== key.name || signature.keyId !== key.keyId)
    throw new NoteError(
      'invalid-signature',
      `cosignature is by ${refString(signature)}, not by witness ${refString(key)}`,
    );
  return verifiedTimestamp(key, checkpointText, signature);
}

/**
 * Checks a witness policy on a signed checkpoint: counts the distinct pinned witnesses (by
 * public key) whose cosignature on the note verifies, and says which have none. Lines by
 * other keys are ignored; a line by a pinned witness that does not verify makes it throw
 * (`invalid-signature`), as does a malformed note or checkpoint. `k` must be 1 to the number
 * of distinct pinned witnesses.
 *
 * It checks only the witnesses: open the note with the log's key too (`openNote`).
 * @example checkWitnesses(note, [w1Vkey, w2Vkey, w3Vkey], 2).satisfied
 */
export function checkWitnesses(
  note: Uint8Array | string,
  witnesses: readonly (string | VerifierKey)[],
  k: number,
): WitnessCheck {
  const pinned = distinctWitnesses(witnesses);
  if (!Number.isSafeInteger(k) || k < 1 || k > pinned.length)
    throw new Error(
      `witness policy: k = ${k} must be an integer from 1 to the ${pinned.length} distinct pinned witnesses`,
    );
  const { text, signatures } = parseNote(note);
  try {
    parseCheckpoint(text);
  } catch (error) {
    throw new NoteError('malformed-note', (error as Error).message);
  }
  const timestamps = new Map<VerifierKey, bigint>();
  for (const signature of signatures) {
    const key = pinned.find((w) => w.name === signature.name && w.keyId === signature.keyId);
    if (key === undefined) continue;
    const timestamp = verifiedTimestamp(key, text, signature);
    if (!timestamps.has(key)) timestamps.set(key, timestamp);
  }
  const cosigned: WitnessCosignature[] = [];
  const missing: KeyRef[] = [];
  for (const key of pinned) {
    const timestamp = timestamps.get(key);
    if (timestamp === undefined) missing.push({ name: key.name, keyId: key.keyId });
    else cosigned.push({ name: key.name, keyId: key.keyId, timestamp });
  }
  return { satisfied: cosigned.length >= k, required: k, cosigned, missing };
}

/** Verifies a parsed line by `key` on `text`, returning its timestamp; throws if it fails. */
function verifiedTimestamp(key: VerifierKey, text: string, line: NoteSignature): bigint {
  const { timestamp, signature } = parseCosignature(line);
  if (!verifyEd25519(key.publicKey, cosignedMessage(text, timestamp), signature))
    throw new NoteError(
      'invalid-signature',
      `invalid cosignature by witness ${refString(key)} (timestamp ${timestamp})`,
    );
  return timestamp;
}

/** The pinned witnesses, parsed, one per public key (the first name given wins). */
function distinctWitnesses(witnesses: readonly (string | VerifierKey)[]): VerifierKey[] {
  const byPublicKey = new Map<string, VerifierKey>();
  for (const witness of witnesses) {
    const key = witnessKey(witness);
    const id = bytesToHex(key.publicKey);
    if (!byPublicKey.has(id)) byPublicKey.set(id, key);
  }
  return [...byPublicKey.values()];
}

/** A witness's verifier key, which must be of signature type 0x04. */
function witnessKey(witness: string | VerifierKey): VerifierKey {
  const key = typeof witness === 'string' ? parseVerifierKey(witness) : witness;
  if (key.algorithm !== algorithmCosignatureV1)
    throw new NoteError(
      'malformed-key',
      `witness key ${refString(key)} has signature type 0x${key.algorithm.toString(16).padStart(2, '0')}, not cosignature/v1 (0x04)`,
    );
  return key;
}

/** A witness's signer key, which must be of signature type 0x04. */
function cosignerKey(witness: string | SignerKey): SignerKey {
  const key = typeof witness === 'string' ? parseSignerKey(witness) : witness;
  if (key.algorithm !== algorithmCosignatureV1)
    throw new NoteError(
      'malformed-key',
      `witness signer key ${refString(key)} has signature type 0x${key.algorithm.toString(16).padStart(2, '0')}, not cosignature/v1 (0x04)`,
    );
  return key;
}

/** Throws unless `time` is a valid cosignature timestamp. */
function checkTimestamp(time: bigint): void {
  if (time < 0n || time > maxCosignatureTimestamp)
    throw new Error(`cosignature timestamp ${time} is outside 0 to 2^63 − 1`);
}

function refString(key: KeyRef): string {
  return `${key.name}+${keyIdHex(key.keyId)}`;
}
