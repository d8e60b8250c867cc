/**
 * `clearpeg log check-inclusion|check-consistency FILE.json`: checks a Merkle proof of RFC 6962 /
 * RFC 9162 read from a file, on this machine (no server, no database), with the verifiers of
 * `src/proofs/merkle.ts`. The files have the JSON shape of transparency-dev/merkle's test data
 * (`testdata/inclusion/`, `testdata/consistency/`), so a proof from any log speaking that shape
 * can be checked, and Clearpeg's verifiers can be run against that suite:
 *
 * - inclusion: `leafIdx`, `treeSize`, `root`, `leafHash`, `proof`;
 * - consistency: `size1`, `size2`, `root1`, `root2`, `proof`;
 *
 * hashes in standard base64 with padding, `proof` a list of them from the leaves up, or `null`
 * for none. Other keys (`desc`, `wantErr`) are ignored.
 *
 * Sizes and indices go up to 2^64 − 1, beyond what a JavaScript number holds exactly, and
 * `JSON.parse` would round them. So before parsing, the integer literals of those four keys are
 * quoted (`"leafIdx": 18446744073709551615` becomes `"leafIdx": "18446744073709551615"`); the
 * rewrite steps over whole string tokens, so it never touches text inside a string. A decimal
 * string is accepted too, as protobuf's JSON writes a uint64.
 *
 * Prints one line, `valid: …` or `invalid: <reason>` (`--json`: `{"valid":…,"reason":…}`), and
 * exits 0 when the proof holds, 1 when it does not, 2 for a wrong command line or a file that
 * cannot be read as a proof.
 */
import { readFileSync, statSync } from 'node:fs';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  maxTreeSize,
  type Verification,
  verifyConsistency,
  verifyInclusion,
} from '../proofs/merkle.ts';
import {
  type Command,
  type CommandContext,
  commandOptions,
  exitCode,
  readOptions,
  UsageError,
} from './io.ts';

/** A proof file is a few kilobytes (a proof has at most 64 hashes or so); more is not one. */
const proofFileBytesMax = 1 << 20;

/** The keys whose values are sizes or indices (uint64). */
const integerKeys = new Set(['leafIdx', 'treeSize', 'size1', 'size2']);

/** A file that is not a proof: what is wrong, to print with the file's name (exit 2). */
class ProofFileError extends Error {
  override name = 'ProofFileError';
}

/**
 * `text` with the integer literals of the uint64 keys quoted, so `JSON.parse` keeps every
 * digit. A JSON string token is matched whole (quotes, escapes and all) before anything else, so
 * the rewrite sees keys only where they are keys.
 * @example quoteIntegers('{"leafIdx": 18446744073709551615}') === '{"leafIdx": "18446744073709551615"}'
 */
export function quoteIntegers(text: string): string {
  return text.replace(
    /"((?:[^"\\]|\\.)*)"(?:(\s*:\s*)(-?\d+)(?=\s*[,}]))?/g,
    (token, key: string, colon: string | undefined, digits: string | undefined) =>
      digits !== undefined && integerKeys.has(key) ? `"${key}"${colon}"${digits}"` : token,
  );
}

/** The JSON object in the file at `path`, its uint64 values as decimal strings. */
function readProofFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > proofFileBytesMax)
      throw new ProofFileError(`${size} bytes: over ${proofFileBytesMax}, not a proof`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ProofFileError) throw error;
    throw new ProofFileError(`cannot read it: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(quoteIntegers(text));
  } catch (error) {
    throw new ProofFileError(`not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ProofFileError('not a JSON object');
  return value as Record<string, unknown>;
}

/** The uint64 at `key`: a whole number from 0 to 2^64 − 1, written without sign or leading zeros. */
function uint64Field(file: Record<string, unknown>, key: string): bigint {
  const value = file[key];
  if (typeof value !== 'string' || !/^(0|[1-9]\d*)$/.test(value) || BigInt(value) > maxTreeSize)
    throw new ProofFileError(
      `${key}: give a whole number from 0 to 2^64 − 1 (got ${JSON.stringify(value) ?? 'nothing'})`,
    );
  return BigInt(value);
}

/** Standard base64 with padding; anything else (URL alphabet, no padding, spaces) is refused. */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of the base64 string `value` (of `what`), refusing all but the one canonical form. */
function base64Bytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !base64Pattern.test(value))
    throw new ProofFileError(`${what}: give a hash in standard base64 with padding`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value)
    throw new ProofFileError(`${what}: not canonical base64 (its last character has stray bits)`);
  return new Uint8Array(bytes);
}

/** The hashes at `key`: a list of base64 strings, or `null` for none. */
function pathField(file: Record<string, unknown>, key: string): Uint8Array[] {
  const value = file[key];
  if (value === null) return [];
  if (!Array.isArray(value))
    throw new ProofFileError(`${key}: give a list of base64 hashes, or null for none`);
  return value.map((item, i) => base64Bytes(item, `${key}[${i}]`));
}

/** An inclusion proof file's claim. */
function inclusionVerdict(file: Record<string, unknown>): {
  verification: Verification;
  valid: string;
} {
  const claim = {
    index: uint64Field(file, 'leafIdx'),
    size: uint64Field(file, 'treeSize'),
    leafHash: base64Bytes(file.leafHash, 'leafHash'),
    root: base64Bytes(file.root, 'root'),
    proof: pathField(file, 'proof'),
  };
  return {
    verification: verifyInclusion(claim),
    valid: `leaf hash ${bytesToHex(claim.leafHash)} is at index ${claim.index} of the tree of size ${claim.size} with root ${bytesToHex(claim.root)}`,
  };
}

/** A consistency proof file's claim. */
function consistencyVerdict(file: Record<string, unknown>): {
  verification: Verification;
  valid: string;
} {
  const claim = {
    size1: uint64Field(file, 'size1'),
    size2: uint64Field(file, 'size2'),
    root1: base64Bytes(file.root1, 'root1'),
    root2: base64Bytes(file.root2, 'root2'),
    proof: pathField(file, 'proof'),
  };
  return {
    verification: verifyConsistency(claim),
    valid: `the tree of size ${claim.size1} with root ${bytesToHex(claim.root1)} is a prefix of the tree of size ${claim.size2} with root ${bytesToHex(claim.root2)}`,
  };
}

/** A `log check-*` command: reads the file, checks the proof, prints the verdict. */
function checkCommand(
  name: string,
  shape: string,
  verdict: (file: Record<string, unknown>) => { verification: Verification; valid: string },
): Command {
  return {
    name,
    usage: `clearpeg ${name} FILE.json [--json]   (the JSON of ${shape}, hashes in base64)`,
    async run(args, context) {
      const { values, positionals } = commandOptions(args, readOptions);
      if (positionals.length === 0) throw new UsageError('give the proof file, FILE.json');
      if (positionals.length > 1)
        throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
      const path = positionals[0]!;
      let result: ReturnType<typeof verdict>;
      try {
        result = verdict(readProofFile(path));
      } catch (error) {
        if (!(error instanceof ProofFileError)) throw error;
        context.err(`clearpeg ${name}: ${path}: ${error.message}`);
        return exitCode.usage;
      }
      return print(context, values.json, result);
    },
  };
}

/** Prints the verdict as one line; the exit code says it too. */
function print(
  context: Pick<CommandContext, 'out'>,
  json: boolean | undefined,
  { verification, valid }: { verification: Verification; valid: string },
): number {
  const reason = verification.ok ? null : verification.reason;
  if (json) context.out(JSON.stringify({ valid: verification.ok, reason }));
  else context.out(verification.ok ? `valid: ${valid}` : `invalid: ${reason}`);
  return verification.ok ? exitCode.ok : exitCode.failed;
}

/**
 * `clearpeg log check-inclusion FILE.json [--json]`: exit 0 when the inclusion proof holds, 1 when not.
 * @example await logCheckInclusion.run(['proof.json', '--json'], context) // prints {"valid":true,"reason":null}
 */
export const logCheckInclusion: Command = checkCommand(
  'log check-inclusion',
  'leafIdx, treeSize, root, leafHash, proof',
  inclusionVerdict,
);

/**
 * `clearpeg log check-consistency FILE.json [--json]`: exit 0 when the consistency proof holds, 1 when not.
 * @example await logCheckConsistency.run(['proof.json'], context) // prints 'valid: the tree of size 6 …'
 */
export const logCheckConsistency: Command = checkCommand(
  'log check-consistency',
  'size1, size2, root1, root2, proof',
  consistencyVerdict,
);
