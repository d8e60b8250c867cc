/**
 * A C2SP tlog-witness (c2sp.org/tlog-witness), without HTTP: `Witness.addCheckpoint` takes the
 * body of a `POST <prefix>/add-checkpoint` and answers the status, body and content type to send.
 *
 * The request body is `old <size>\n`, zero to 63 lines of one base64 consistency-proof hash,
 * an empty line, then the checkpoint's signed note:
 *
 *     old 10
 *     <base64 hash>
 *     …
 *
 *     example.com/log
 *     12
 *     <base64 root>
 *
 *     — example.com/log <base64 signature>
 *
 * The checks run in the order the spec states them:
 * - a body over `maxRequestBytes`, or malformed (the old line, a proof line, the note, the
 *   checkpoint): 400;
 * - an origin the witness was not configured with: 404;
 * - no signature by the log's configured key(s) verifies (or one by such a key fails): 403;
 * - old size above the checkpoint's size: 400;
 * - old size other than the size of the last checkpoint cosigned for that log (0 if none):
 *   409, `Content-Type: text/x.tlog.size`, body that size and a newline, so that the log can
 *   retry with a proof from it;
 * - a consistency proof that does not verify from the stored (size, root) to the checkpoint's,
 *   a proof given with old size 0, or a size-0 checkpoint whose root is not the empty tree's:
 *   422;
 * - old size equal to the checkpoint's size, and its root not the stored one (a fork): 409,
 *   plain text;
 * - then the state is written (durably) and the answer is 200 with one cosignature/v1 line.
 *
 * The check and the update are atomic per log: requests for one origin run one at a time (an
 * in-process queue per origin), so two concurrent requests cannot both pass the check against
 * the same old state. A witness thus never cosigns two checkpoints of one log of which neither
 * extends the other, and never moves back. A refused request that the log signed (a bad proof,
 * a fork at the same size) is kept as evidence when the store can.
 */
import { fromBase64, toBase64 } from '../proofs/base64.ts';
import { type Checkpoint, maxTreeSize, parseCheckpoint } from '../proofs/checkpoint.ts';
import { cosign, cosignerVerifierKey } from '../proofs/cosignature.ts';
import { emptyRoot, equalBytes, hashBytes } from '../proofs/hash.ts';
import { verifyConsistency } from '../proofs/merkle.ts';
import {
  algorithmEd25519,
  ed25519Verifier,
  keyIdHex,
  NoteError,
  type NoteVerifier,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  type SignerKey,
} from '../proofs/note.ts';
import type { LogState, WitnessStateStore } from './state.ts';

/** The most consistency-proof lines a request may carry (c2sp.org/tlog-witness). */
export const maxProofLines = 63;
/** The largest request body read: 63 proof lines and a note with 100 signatures fit well. */
export const maxRequestBytes = 64 * 1024;
/** The content type of a 409 that carries the witness's size. */
export const sizeContentType = 'text/x.tlog.size';
/** The content type of every other answer. */
export const textContentType = 'text/plain; charset=utf-8';

/** What to answer: the HTTP status, the body and its content type. */
export interface WitnessResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** A parsed add-checkpoint request body. */
export interface AddCheckpointRequest {
  /** The size of the previous checkpoint, which the proof starts from. */
  readonly oldSize: bigint;
  /** The consistency proof from `oldSize` to the checkpoint's size (empty from 0). */
  readonly proof: readonly Uint8Array[];
  /** The checkpoint's signed note. */
  readonly checkpointNote: string;
}

/** How to make a witness. */
export interface WitnessOptions {
  /** The witness's signer key, of type cosignature/v1 (0x04): `witness keygen` writes one. */
  readonly key: string | SignerKey;
  /** The verifier keys (Ed25519, 0x01) of the logs it witnesses; a key's name is its log's origin. */
  readonly logs: readonly string[];
  /** Where it keeps the last checkpoint cosigned per log. */
  readonly store: WitnessStateStore;
  /** The time to put in cosignatures, in seconds since the epoch (default: the clock). */
  readonly now?: () => bigint;
}

/** A refused request: the status and why. */
class Refusal extends Error {
  readonly status: number;
  readonly contentType: string;
  constructor(status: number, message: string, contentType = textContentType) {
    super(message);
    this.status = status;
    this.contentType = contentType;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses an add-checkpoint request body (strictly: every line ends in a newline, the old size
 * is decimal without leading zeros, each proof line is canonical base64 of 32 bytes, at most
 * 63 of them). Throws an `Error` naming the line and the rule.
 * @example parseAddCheckpointRequest('old 0\n\nexample.com/log\n1\n…=\n\n— example.com/log …\n').oldSize === 0n
 */
export function parseAddCheckpointRequest(body: Uint8Array | string): AddCheckpointRequest {
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = utf8.decode(body);
    } catch {
      throw new Error('request body is not valid UTF-8');
    }
  }
  const end = text.indexOf('\n\n');
  if (end < 0) throw new Error('request body has no empty line before the checkpoint');
  const header = text.slice(0, end).split('\n');
  const checkpointNote = text.slice(end + 2);
  const oldLine = header[0]!;
  const old = /^old (0|[1-9][0-9]*)$/.exec(oldLine);
  if (old === null)
    throw new Error(
      `request line 1 ${quote(oldLine)} is not "old <size>" (decimal, no leading zeros)`,
    );
  const oldSize = BigInt(old[1]!);
  if (oldSize > maxTreeSize) throw new Error(`request old size ${oldSize} exceeds 2^64 − 1`);
  const lines = header.slice(1);
  if (lines.length > maxProofLines)
    throw new Error(`request has ${lines.length} proof lines, more than ${maxProofLines}`);
  const proof = lines.map((line, i) => {
    const hash = fromBase64(line, `request proof line ${i + 1}`);
    if (hash.length !== hashBytes)
      throw new Error(`request proof line ${i + 1} is ${hash.length} bytes, not ${hashBytes}`);
    return hash;
  });
  if (checkpointNote === '') throw new Error('request has no checkpoint after the empty line');
  return { oldSize, proof, checkpointNote };
}

/**
 * The body of an add-checkpoint request: `old <size>\n`, one base64 proof hash a line, an
 * empty line, the checkpoint's signed note.
 * @example formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpointNote: note }) === `old 0\n\n${note}`
 */
export function formatAddCheckpointRequest(request: AddCheckpointRequest): string {
  const { oldSize, proof, checkpointNote } = request;
  if (oldSize < 0n || oldSize > maxTreeSize)
    throw new Error(`old size ${oldSize} is outside 0 to 2^64 − 1`);
  if (proof.length > maxProofLines)
    throw new Error(`proof has ${proof.length} hashes, more than ${maxProofLines}`);
  const lines = proof.map((hash, i) => {
    if (hash.length !== hashBytes)
      throw new Error(`proof hash ${i + 1} is ${hash.length} bytes, not ${hashBytes}`);
    return `${toBase64(hash)}\n`;
  });
  return `old ${oldSize}\n${lines.join('')}\n${checkpointNote}`;
}

/**
 * A tlog-witness over a state store: one signer key, the logs it accepts, the state per log.
 * @example const witness = new Witness({ key: skey, logs: [logVkey], store: new DirectoryStateStore(dir) }); const { status, body } = await witness.addCheckpoint(requestBody)
 */
export class Witness {
  /** The verifier key (type 0x04) that clients pin for this witness. */
  readonly verifierKey: string;
  /** The origins it witnesses, in the order configured. */
  readonly origins: readonly string[];
  readonly #key: SignerKey;
  readonly #verifiers: ReadonlyMap<string, readonly NoteVerifier[]>;
  readonly #store: WitnessStateStore;
  readonly #now: () => bigint;
  /** Per origin, the tail of its queue: requests for one log run one after the other. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(options: WitnessOptions) {
    this.#key = typeof options.key === 'string' ? parseSignerKey(options.key) : options.key;
    this.verifierKey = cosignerVerifierKey(this.#key);
    this.#verifiers = logVerifiers(options.logs);
    this.origins = [...this.#verifiers.keys()];
    this.#store = options.store;
    this.#now = options.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
  }

  /**
   * Answers one add-checkpoint request body (see the module's comment for every status).
   * Never throws for a bad request; a store that fails gives 500 and no cosignature.
   * @example (await witness.addCheckpoint(`old 0\n\n${note}`)).status === 200
   */
  async addCheckpoint(body: Uint8Array | string): Promise<WitnessResponse> {
    try {
      const size = typeof body === 'string' ? new TextEncoder().encode(body).length : body.length;
      if (size > maxRequestBytes)
        throw new Refusal(400, `request body is ${size} bytes, more than ${maxRequestBytes}`);
      let request: AddCheckpointRequest;
      let checkpoint: Checkpoint;
      try {
        request = parseAddCheckpointRequest(body);
        checkpoint = parseCheckpoint(parseNote(request.checkpointNote).text);
      } catch (error) {
        throw new Refusal(400, (error as Error).message);
      }
      const verifiers = this.#verifiers.get(checkpoint.origin);
      if (verifiers === undefined)
        throw new Refusal(404, `unknown log origin ${quote(checkpoint.origin)}`);
      try {
        openNote(request.checkpointNote, verifiers);
      } catch (error) {
        if (error instanceof NoteError) throw new Refusal(403, error.message);
        throw error;
      }
      if (request.oldSize > checkpoint.size)
        throw new Refusal(
          400,
          `old size ${request.oldSize} is above the checkpoint's size ${checkpoint.size}`,
        );
      const text = typeof body === 'string' ? body : utf8.decode(body);
      return await this.#serialized(checkpoint.origin, () =>
        this.#update(request, checkpoint, text),
      );
    } catch (error) {
      if (error instanceof Refusal)
        return { status: error.status, body: `${error.message}\n`, contentType: error.contentType };
      return {
        status: 500,
        body: `witness error: ${(error as Error).message}\n`,
        contentType: textContentType,
      };
    }
  }

  /** Check against the stored state, update it, cosign: the critical section of one log. */
  async #update(
    request: AddCheckpointRequest,
    checkpoint: Checkpoint,
    body: string,
  ): Promise<WitnessResponse> {
    const { origin } = checkpoint;
    const stored = await this.#store.read(origin);
    const storedSize = stored?.size ?? 0n;
    if (request.oldSize !== storedSize) throw new Refusal(409, `${storedSize}`, sizeContentType);
    const evidence = async (reason: string) => {
      await this.#store.recordEvidence?.(origin, reason, body);
      return reason;
    };
    if (request.oldSize === 0n && request.proof.length > 0)
      throw new Refusal(422, 'old size is 0: the consistency proof must be empty');
    if (checkpoint.size === 0n && !equalBytes(checkpoint.root, emptyRoot))
      throw new Refusal(
        422,
        await evidence('a checkpoint of size 0 must have the empty tree root'),
      );
    if (stored !== undefined && request.oldSize === checkpoint.size) {
      if (request.proof.length > 0)
        throw new Refusal(422, 'old size equals the size: the consistency proof must be empty');
      if (!equalBytes(stored.root, checkpoint.root))
        throw new Refusal(
          409,
          await evidence(
            `root hash differs from the checkpoint of size ${checkpoint.size} this witness cosigned (a fork)`,
          ),
        );
    } else if (stored !== undefined && stored.size > 0n) {
      // From size 0 nothing needs proving: every tree extends the empty one.
      const verification = verifyConsistency({
        size1: stored.size,
        size2: checkpoint.size,
        root1: stored.root,
        root2: checkpoint.root,
        proof: request.proof,
      });
      if (!verification.ok)
        throw new Refusal(
          422,
          await evidence(
            `consistency proof from size ${stored.size} to ${checkpoint.size} does not verify: ${verification.reason}`,
          ),
        );
    }
    if (stored === undefined || stored.size !== checkpoint.size) {
      const next: LogState = {
        origin,
        size: checkpoint.size,
        root: checkpoint.root,
        note: request.checkpointNote,
      };
      await this.#store.write(next);
    }
    const text = parseNote(request.checkpointNote).text;
    return {
      status: 200,
      body: cosign(text, this.#key, this.#now()),
      contentType: textContentType,
    };
  }

  /** Runs `task` after every earlier task of `origin` has finished. */
  async #serialized<T>(origin: string, task: () => T | Promise<T>): Promise<T> {
    const previous = this.#queues.get(origin) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(origin, tail);
    try {
      return await run;
    } finally {
      if (this.#queues.get(origin) === tail) this.#queues.delete(origin);
    }
  }
}

/** The logs' verifiers by origin (the key's name); a key given twice counts once. */
function logVerifiers(logs: readonly string[]): Map<string, NoteVerifier[]> {
  if (logs.length === 0) throw new Error('witness: give at least one log verifier key');
  const byOrigin = new Map<string, NoteVerifier[]>();
  const seen = new Set<string>();
  for (const vkey of logs) {
    const key = parseVerifierKey(vkey);
    if (key.algorithm !== algorithmEd25519)
      throw new Error(
        `log key ${key.name}+${keyIdHex(key.keyId)}: a log signs checkpoints with Ed25519 (type 0x01), not 0x${key.algorithm.toString(16).padStart(2, '0')}`,
      );
    const ref = `${key.name}+${keyIdHex(key.keyId)}`;
    if (seen.has(ref)) continue;
    seen.add(ref);
    const list = byOrigin.get(key.name) ?? [];
    list.push(ed25519Verifier(key));
    byOrigin.set(key.name, list);
  }
  return byOrigin;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
