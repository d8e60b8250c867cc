/**
 * The issuer's signing key on each chain, at rest: an encrypted Web3 Secret Storage (v3) file
 * under the data directory, `keys/chain-<name>.json`, so it moves between Clearpeg and the
 * standard tools (geth, foundry's `cast wallet`, ethers). The passphrase comes from
 * `CLEARPEG_KEY_PASSPHRASE`. A production deployment puts a KMS/HSM behind the same
 * `LocalAccount` port instead.
 *
 * The embedded default (in-process chains only) needs no set-up: the key is generated on first
 * use and, without `CLEARPEG_KEY_PASSPHRASE`, encrypted under a random passphrase kept beside
 * it in `keys/dev-passphrase`. That protects nothing and says so: it is for chains that live
 * inside the process, whose tokens are worth nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hex, LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ClearpegError } from '../errors.ts';
import type { ChainConfig } from './config.ts';
import { readKeystoreFile, writeKeystoreFile } from './keystore.ts';

/** The passphrase's environment variable. */
export const passphraseVariable = 'CLEARPEG_KEY_PASSPHRASE';

/** A passphrase shorter than this is refused: it would fall to a dictionary in hours. */
const passphraseLengthMin = 12;

/** Where the issuer's key for `chain` is kept. */
export function issuerKeyFile(dataDir: string, chain: Pick<ChainConfig, 'name'>): string {
  return join(dataDir, 'keys', `chain-${chain.name}.json`);
}

/** Where the embedded default keeps its generated passphrase. */
export function devPassphraseFile(dataDir: string): string {
  return join(dataDir, 'keys', 'dev-passphrase');
}

/**
 * scrypt's cost for keys under the development passphrase: 2^14 (about 20 ms, 16 MiB) instead
 * of the standard 2^18, since that passphrase sits beside the key anyway.
 */
const devScryptN = 2 ** 14;

/**
 * The passphrase of the key files: `CLEARPEG_KEY_PASSPHRASE`, or for in-process chains the
 * generated development passphrase (created on first use; `dev` is then true).
 */
export function keyPassphrase(
  dataDir: string,
  chain: Pick<ChainConfig, 'name' | 'rpcUrl'>,
  env: NodeJS.ProcessEnv = process.env,
): { passphrase: string; dev: boolean } {
  const given = env[passphraseVariable];
  if (given !== undefined && given !== '') {
    if (given.length < passphraseLengthMin)
      throw new ClearpegError(
        'key-passphrase-weak',
        `${passphraseVariable}: must be at least ${passphraseLengthMin} characters`,
        { field: passphraseVariable, rule: `at least ${passphraseLengthMin} characters` },
      );
    return { passphrase: given, dev: false };
  }
  if (chain.rpcUrl !== 'in-process')
    throw new ClearpegError(
      'key-passphrase-missing',
      `${passphraseVariable} is not set: the issuer's key for chain ${chain.name} (${chain.rpcUrl}) is encrypted with it`,
      { field: passphraseVariable, rule: 'set for any chain that is not in-process' },
    );
  const file = devPassphraseFile(dataDir);
  if (!existsSync(file)) {
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { passphrase: readFileSync(file, 'utf8').trim(), dev: true };
}

/**
 * Creates the issuer's key for `chain` (a new random key, or `privateKey` to import one);
 * refuses to replace an existing key file.
 * @example const { address } = await createIssuerKey(dataDir, chain)
 */
export async function createIssuerKey(
  dataDir: string,
  chain: Pick<ChainConfig, 'name' | 'rpcUrl'>,
  options: { privateKey?: Hex; env?: NodeJS.ProcessEnv } = {},
): Promise<{ address: Hex; file: string }> {
  const privateKey = options.privateKey ?? generatePrivateKey();
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey))
    throw new ClearpegError('key-invalid', 'the private key must be 32 bytes of hex with 0x', {
      field: 'privateKey',
      rule: '0x and 64 hex digits',
    });
  const file = issuerKeyFile(dataDir, chain);
  const { passphrase, dev } = keyPassphrase(dataDir, chain, options.env);
  await writeKeystoreFile(file, privateKey, passphrase, dev ? { scryptN: devScryptN } : {});
  return { address: privateKeyToAccount(privateKey).address, file };
}

/**
 * The issuer's signing account for `chain`, from its key file. For an in-process chain a
 * missing key is created; for any other it is an error that says how to make one.
 */
export async function issuerAccount(
  dataDir: string,
  chain: Pick<ChainConfig, 'name' | 'rpcUrl'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalAccount> {
  if (chain.rpcUrl === 'in-process' && !existsSync(issuerKeyFile(dataDir, chain)))
    await createIssuerKey(dataDir, chain, { env });
  return readIssuerAccount(dataDir, chain, env);
}

/** The issuer's signing account for `chain`, from its key file, which must exist. */
export async function readIssuerAccount(
  dataDir: string,
  chain: Pick<ChainConfig, 'name' | 'rpcUrl'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalAccount> {
  const file = issuerKeyFile(dataDir, chain);
  if (!existsSync(file))
    throw new ClearpegError(
      'key-missing',
      `no issuer key for chain ${chain.name} at ${file}: run "clearpeg chain key create --chain ${chain.name}" and fund its address`,
      { field: 'chain', rule: 'a key file for every chain that is not in-process' },
    );
  const { privateKey } = await readKeystoreFile(
    file,
    keyPassphrase(dataDir, chain, env).passphrase,
  );
  return privateKeyToAccount(privateKey);
}
