/**
 * A log for the witness's tests: real RFC 6962 trees of leaves `leaf-0`, `leaf-1`, …, their
 * checkpoints signed with a fresh Ed25519 key, and consistency proofs between them. A test log
 * with the same key but another prefix (after `shared` common leaves) is a fork of it.
 */
import { formatCheckpoint } from '../proofs/checkpoint.ts';
import { leafHash } from '../proofs/hash.ts';
import { consistencyProof, memoryNodes, rootOf } from '../proofs/merkle.ts';
import { ed25519Signer, generateSignerKey, signerVerifierKey, signNote } from '../proofs/note.ts';
import { formatAddCheckpointRequest } from './witness.ts';

/** A test log: its keys, and its checkpoints and proofs at any size. */
export interface TestLog {
  readonly origin: string;
  readonly skey: string;
  readonly vkey: string;
  /** The signed checkpoint note of the first `size` leaves. */
  note(size: number): Promise<string>;
  /** The root hash of the first `size` leaves. */
  root(size: number): Promise<Uint8Array>;
  /** The consistency proof from `from` to `to` leaves (empty from 0). */
  proof(from: number, to: number): Promise<Uint8Array[]>;
  /** The add-checkpoint request body from `from` to `to`. */
  request(from: number, to: number): Promise<string>;
}

/** How a test log differs from the plain one. */
export interface TestLogOptions {
  /** The leaves' prefix (default `leaf`). */
  readonly prefix?: string;
  /** The log's signer key (default a new one): give another log's to make a fork of it. */
  readonly skey?: string;
  /** The first leaves are the plain log's `leaf-i` (default 0): a fork after them. */
  readonly shared?: number;
  /** How many leaves the tree has (default 64). */
  readonly leaves?: number;
}

/**
 * A log named `origin` whose leaves are `leaf-i` for the `shared` first, then `prefix-i`.
 * @example const log = testLog('example.com/log'); const body = await log.request(0, 5)
 */
export function testLog(origin: string, options: TestLogOptions = {}): TestLog {
  const { prefix = 'leaf', shared = 0, leaves = 64 } = options;
  const key = options.skey ?? generateSignerKey(origin);
  const hashes = Array.from({ length: leaves }, (_, i) =>
    leafHash(new TextEncoder().encode(`${i < shared ? 'leaf' : prefix}-${i}`)),
  );
  const nodes = memoryNodes(hashes);
  const root = (size: number) => rootOf(BigInt(size), nodes);
  const note = async (size: number) =>
    signNote(formatCheckpoint({ origin, size: BigInt(size), root: await root(size) }), [
      ed25519Signer(key),
    ]);
  const proof = async (from: number, to: number) =>
    from === 0 ? [] : consistencyProof(BigInt(from), BigInt(to), nodes);
  return {
    origin,
    skey: key,
    vkey: signerVerifierKey(key),
    note,
    root,
    proof,
    request: async (from, to) =>
      formatAddCheckpointRequest({
        oldSize: BigInt(from),
        proof: await proof(from, to),
        checkpointNote: await note(to),
      }),
  };
}
