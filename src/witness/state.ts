/**
 * A witness's durable memory: for each log it witnesses, the last checkpoint it cosigned (its
 * size, its root hash and the signed note it came in). One JSON file per log in one directory,
 * named by the SHA-256 of the origin (`<hex>.json`), so that any origin (a valid key name may
 * hold `/`, `:` or non-ASCII) makes a safe file name:
 *
 *     {"format":"clearpeg-witness-state/1","origin":"example.com/log","size":"12",
 *      "root":"<base64>","note":"<the checkpoint's signed note>"}
 *
 * The size is a decimal string (it goes up to 2^64 − 1). A file is replaced atomically: written
 * to a temporary file in the same directory, fsynced, renamed over the old one, and the
 * directory fsynced, so that a crash leaves the old state or the new one, never a mix, and a
 * cosignature is only ever given after the state that explains it is on disk.
 *
 * A file that cannot be read as a state is an error, never "no state": a witness that forgot a
 * log would cosign a fork of it. One process per directory: the witness serializes its
 * check-then-update per log in memory (`witness.ts`), not across processes.
 */
import { mkdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { writeFileAtomically } from '../files.ts';
import { fromBase64, toBase64 } from '../proofs/base64.ts';
import { maxTreeSize, parseCheckpoint } from '../proofs/checkpoint.ts';
import { sha256 } from '../proofs/hash.ts';
import { parseNote } from '../proofs/note.ts';

/** The `format` member of every state file. */
export const witnessStateFormat = 'clearpeg-witness-state/1';

/** What the witness remembers of one log: the last checkpoint it cosigned. */
export interface LogState {
  /** The log's origin (the checkpoint's first line). */
  readonly origin: string;
  /** The tree size of the last cosigned checkpoint. */
  readonly size: bigint;
  /** Its root hash (32 bytes). */
  readonly root: Uint8Array;
  /** The signed note it came in (checkpoint text, blank line, signature lines). */
  readonly note: string;
}

/** Where a witness keeps its states; `DirectoryStateStore` is the durable one. */
export interface WitnessStateStore {
  /** The state of `origin`, or undefined if the witness never cosigned a checkpoint of it. */
  read(origin: string): Promise<LogState | undefined>;
  /** Replaces the state of `state.origin`; durable when the promise resolves. */
  write(state: LogState): Promise<void>;
  /** Keeps a refused request that the log signed (a possible proof of misbehaviour). */
  recordEvidence?(origin: string, reason: string, body: string): Promise<void>;
}

/**
 * The name of the state file of `origin`: the hex SHA-256 of its UTF-8 bytes, then `.json`.
 * @example stateFileName('example.com/log') // '3b…e1.json'
 */
export function stateFileName(origin: string): string {
  return `${bytesToHex(sha256(new TextEncoder().encode(origin)))}.json`;
}

/**
 * The durable store: one JSON file per log in `directory` (created if missing, mode 0700), and
 * refused requests in `directory/evidence/`.
 * @example const store = new DirectoryStateStore('/var/lib/witness'); store.read('example.com/log')?.size
 */
export class DirectoryStateStore implements WitnessStateStore {
  readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  async read(origin: string): Promise<LogState | undefined> {
    const file = join(this.directory, stateFileName(origin));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseStateFile(text, origin, file);
  }

  async write(state: LogState): Promise<void> {
    checkState(state);
    const body = {
      format: witnessStateFormat,
      origin: state.origin,
      size: state.size.toString(),
      root: toBase64(state.root),
      note: state.note,
    };
    await writeFileAtomically(
      this.directory,
      stateFileName(state.origin),
      `${JSON.stringify(body, null, 2)}\n`,
    );
  }

  async recordEvidence(origin: string, reason: string, body: string): Promise<void> {
    const directory = join(this.directory, 'evidence');
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const name = `${stateFileName(origin).slice(0, -'.json'.length)}-${Date.now()}-${bytesToHex(randomBytes(4))}.txt`;
    await writeFileAtomically(directory, name, `# ${reason}\n${body}`);
  }
}

/** A state file's content, checked: format, origin, a size and root that its note states. */
function parseStateFile(text: string, origin: string, file: string): LogState {
  const fail = (rule: string): never => {
    throw new Error(`witness state ${file} (log ${origin}): ${rule}; refusing to guess`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail('not a JSON object');
  const value = json as Record<string, unknown>;
  if (value.format !== witnessStateFormat) fail(`format is not ${witnessStateFormat}`);
  if (value.origin !== origin) fail(`origin is ${JSON.stringify(value.origin)}`);
  if (typeof value.size !== 'string' || !/^(?:0|[1-9][0-9]*)$/.test(value.size))
    fail('size is not a decimal string');
  if (typeof value.root !== 'string') fail('root is not a string');
  if (typeof value.note !== 'string') fail('note is not a string');
  const size = BigInt(value.size as string);
  if (size > maxTreeSize) fail('size exceeds 2^64 − 1');
  let root: Uint8Array;
  try {
    root = fromBase64(value.root as string, 'root');
  } catch (error) {
    return fail((error as Error).message);
  }
  const state = { origin, size, root, note: value.note as string };
  try {
    checkState(state);
  } catch (error) {
    fail((error as Error).message);
  }
  return state;
}

/** Throws unless the state's note is a checkpoint of its origin, size and root. */
function checkState(state: LogState): void {
  const checkpoint = parseCheckpoint(parseNote(state.note).text);
  if (checkpoint.origin !== state.origin)
    throw new Error(`state note is a checkpoint of ${checkpoint.origin}, not ${state.origin}`);
  if (checkpoint.size !== state.size)
    throw new Error(`state note has size ${checkpoint.size}, not ${state.size}`);
  if (toBase64(checkpoint.root) !== toBase64(state.root))
    throw new Error('state note has another root hash than the state');
}
