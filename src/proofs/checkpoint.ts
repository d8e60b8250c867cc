/**
 * Checkpoints (c2sp.org/tlog-checkpoint): the text of a signed note that states a log's tree
 * head, one field a line:
 *
 *     <origin>\n<tree size in decimal>\n<base64 of the 32-byte root hash>\n[extension lines\n]
 *
 * The log signs this text (`note.ts`) and witnesses cosign it (`cosignature.ts`). Parsing is
 * strict so that one tree head has one spelling: a size without leading zeros that fits in 64
 * bits, canonical base64 of exactly 32 bytes, no empty lines.
 */
import { fromBase64, toBase64 } from './base64.ts';
import { hashBytes } from './hash.ts';
import { checkNoteText } from './note.ts';

/** The largest tree size: 2^64 − 1. */
export const maxTreeSize = (1n << 64n) - 1n;

/** A log's tree head as a checkpoint states it. */
export interface Checkpoint {
  /** The log's identity, e.g. `example.com/log` (non-empty). */
  readonly origin: string;
  /** The number of leaves, 0 to 2^64 − 1. */
  readonly size: bigint;
  /** The RFC 6962 root hash of the tree of `size` leaves (32 bytes). */
  readonly root: Uint8Array;
  /** Optional opaque extension lines, each non-empty (not recommended by the spec). */
  readonly extensions: readonly string[];
}

/** A checkpoint to format; extensions default to none. */
export interface CheckpointInput {
  readonly origin: string;
  readonly size: bigint;
  readonly root: Uint8Array;
  readonly extensions?: readonly string[];
}

/**
 * The note text of a checkpoint: `origin\nsize\nbase64(root)\n` and one line per extension.
 * Throws, naming the field, on an empty origin or extension, a line break or control
 * character in one, a size outside 0…2^64 − 1 or a root that is not 32 bytes.
 * @example formatCheckpoint({ origin: 'example.com/log', size: 0n, root: emptyRoot }) === 'example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n'
 */
export function formatCheckpoint(checkpoint: CheckpointInput): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  checkLine(origin, 'checkpoint origin');
  if (size < 0n || size > maxTreeSize)
    throw new Error(`checkpoint size: ${size} is outside 0 to 2^64 − 1`);
  if (root.length !== hashBytes)
    throw new Error(`checkpoint root hash: ${root.length} bytes, not ${hashBytes}`);
  for (const [i, line] of extensions.entries())
    checkLine(line, `checkpoint extension line ${i + 1}`);
  const text = [origin, size.toString(), toBase64(root), ...extensions].join('\n') + '\n';
  checkNoteText(text);
  return text;
}

/**
 * Parses a checkpoint's note text (as `openNote` returns it, final newline included).
 * Throws, naming the line and the rule, unless: it has at least three lines and ends in a
 * newline; the origin is non-empty; the size is decimal without leading zeros and at most
 * 2^64 − 1; the root hash is canonical base64 of 32 bytes; extension lines are non-empty.
 * @example parseCheckpoint('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n').size === 20852163n
 */
export function parseCheckpoint(text: string): Checkpoint {
  checkNoteText(text);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3)
    throw new Error(
      `checkpoint has ${lines.length} lines, not at least 3 (origin, size, root hash)`,
    );
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string];
  if (origin === '') throw new Error('checkpoint origin (line 1) is empty');
  const size = parseTreeSize(sizeLine);
  const root = fromBase64(rootLine, 'checkpoint root hash (line 3)');
  if (root.length !== hashBytes)
    throw new Error(`checkpoint root hash (line 3) is ${root.length} bytes, not ${hashBytes}`);
  for (const [i, line] of extensions.entries())
    if (line === '') throw new Error(`checkpoint extension line (line ${i + 4}) is empty`);
  return { origin, size, root, extensions };
}

/** The tree size of line 2: decimal, no sign, no leading zeros, at most 2^64 − 1. */
function parseTreeSize(line: string): bigint {
  if (!/^(?:0|[1-9][0-9]*)$/.test(line))
    throw new Error(
      `checkpoint size (line 2) ${JSON.stringify(line)} is not a decimal number without leading zeros`,
    );
  const size = BigInt(line);
  if (size > maxTreeSize) throw new Error(`checkpoint size (line 2) ${line} exceeds 2^64 − 1`);
  return size;
}

/** Throws unless `line` is non-empty and holds no line break or control character. */
function checkLine(line: string, field: string): void {
  if (line === '') throw new Error(`${field} is empty`);
  if (line.includes('\n')) throw new Error(`${field} contains a line break`);
  try {
    checkNoteText(`${line}\n`);
  } catch (error) {
    throw new Error(`${field}: ${(error as Error).message}`);
  }
}
