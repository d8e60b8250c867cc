/**
 * The log's secrets and settings: its Ed25519 signing key (a C2SP signer key, `PRIVATE+KEY+…`)
 * and the master secret of the liabilities rounds, each a file under `<dataDir>/keys/` made on
 * first use with mode 0600 (never under the published directory); the log's origin; the
 * witnesses it asks and how many must cosign (docs/operations.md, "The transparency log").
 *
 *   CLEARPEG_LOG_ORIGIN      the origin line of the log's checkpoints (default
 *                            `clearpeg.invalid/<first 8 hex of the key's SHA-256>`)
 *   CLEARPEG_WITNESSES       witnesses, separated by commas: `<vkey> <url>` each
 *   CLEARPEG_WITNESS_QUORUM  how many must cosign (default: all of them)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClearpegError } from '../errors.ts';
import {
  algorithmEd25519,
  checkKeyName,
  formatSignerKey,
  parseSignerKey,
  parseVerifierKey,
  signerVerifierKey,
} from '../proofs/note.ts';
import type { WitnessEndpoint } from './publish.ts';

/** Reads `path`, or writes `make()` there (mode 0600, refusing to overwrite) and returns it. */
function readOrCreate(path: string, make: () => Uint8Array | string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, make(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(path);
}

/** The log's identity: its origin, signer key and verifier key. */
export interface LogIdentity {
  readonly origin: string;
  readonly signerKey: string;
  readonly vkey: string;
}

/**
 * The log's signing key and origin for the issuer in `dataDir`. The key's name is the origin
 * (as transparency-dev logs name theirs); the default origin is unique to the key.
 * @example const { origin, vkey } = logIdentity(config.dataDir)
 */
export function logIdentity(dataDir: string, env: NodeJS.ProcessEnv = process.env): LogIdentity {
  const seedFile = join(dataDir, 'keys', 'log-ed25519.seed');
  const seed = readOrCreate(seedFile, () => randomBytes(32));
  if (seed.length !== 32)
    throw new ClearpegError('log-key-invalid', `${seedFile}: must hold exactly 32 bytes`, {
      field: seedFile,
      rule: 'a 32-byte Ed25519 seed',
    });
  const origin =
    env.CLEARPEG_LOG_ORIGIN ??
    `clearpeg.invalid/${createHash('sha256').update(seed).digest('hex').slice(0, 8)}`;
  try {
    checkKeyName(origin, 'CLEARPEG_LOG_ORIGIN');
  } catch (error) {
    throw new ClearpegError('config-invalid', (error as Error).message, {
      field: 'CLEARPEG_LOG_ORIGIN',
      rule: 'a key name: printable, no spaces or "+"',
    });
  }
  const signerKey = formatSignerKey(origin, algorithmEd25519, new Uint8Array(seed));
  parseSignerKey(signerKey);
  return { origin, signerKey, vkey: signerVerifierKey(signerKey) };
}

/**
 * The 32-byte master secret of the liabilities rounds (`<dataDir>/keys/liabilities.secret`).
 * @example const master = liabilitiesSecret(config.dataDir)
 */
export function liabilitiesSecret(dataDir: string): Uint8Array {
  const file = join(dataDir, 'keys', 'liabilities.secret');
  const secret = readOrCreate(file, () => randomBytes(32));
  if (secret.length !== 32)
    throw new ClearpegError('log-key-invalid', `${file}: must hold exactly 32 bytes`, {
      field: file,
      rule: '32 random bytes',
    });
  return new Uint8Array(secret);
}

/**
 * The witnesses of `CLEARPEG_WITNESSES` and the quorum of `CLEARPEG_WITNESS_QUORUM`; none
 * configured is `undefined` (serve --demo then runs its own two).
 * @example witnessesFromEnv({ CLEARPEG_WITNESSES: 'w1+…+… http://127.0.0.1:7380' })
 */
export function witnessesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { witnesses: WitnessEndpoint[]; quorum: number } | undefined {
  const text = env.CLEARPEG_WITNESSES?.trim();
  if (text === undefined || text === '') return undefined;
  const witnesses = text.split(',').map((item, i) => {
    const [vkey, url, ...rest] = item.trim().split(/\s+/);
    const field = `CLEARPEG_WITNESSES[${i}]`;
    const rule = '"<verifier key> <http(s) URL>"';
    if (vkey === undefined || url === undefined || rest.length > 0 || !/^https?:\/\//.test(url))
      throw new ClearpegError('config-invalid', `${field}: must be ${rule}`, { field, rule });
    try {
      parseVerifierKey(vkey);
    } catch (error) {
      throw new ClearpegError('config-invalid', `${field}: ${(error as Error).message}`, {
        field,
        rule,
      });
    }
    return { vkey, url: url.replace(/\/+$/, '') };
  });
  const quorumText = env.CLEARPEG_WITNESS_QUORUM ?? String(witnesses.length);
  const quorum = Number(quorumText);
  if (!/^[0-9]+$/.test(quorumText) || quorum < 1 || quorum > witnesses.length)
    throw new ClearpegError(
      'config-invalid',
      `CLEARPEG_WITNESS_QUORUM: must be a whole number from 1 to ${witnesses.length} (got ${quorumText})`,
      { field: 'CLEARPEG_WITNESS_QUORUM', rule: `1 to ${witnesses.length}` },
    );
  return { witnesses, quorum };
}
