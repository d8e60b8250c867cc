/**
 * The issuer's chain signing key at rest: an Ethereum "Web3 Secret Storage" file, version 3
 * (https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/),
 * the format geth, ethers and Foundry's `cast wallet` read and write, so that operators can
 * move a key between Clearpeg and those tools.
 *
 * The format: a key derivation function (scrypt, or PBKDF2-HMAC-SHA-256) turns the
 * passphrase and a salt into 32 bytes DK; the private key is encrypted with AES-128-CTR under
 * DK[0..16]; `mac` = keccak256(DK[16..32] ‖ ciphertext) tells a wrong passphrase from a right
 * one before anything is decrypted.
 *
 * Security:
 * - What is protected is the private key, as well as the passphrase and the KDF's cost make it;
 *   the MAC authenticates the ciphertext only. `address`, `id` and the KDF parameters are not
 *   authenticated: the parameters need not be (other ones give another DK, and the MAC fails),
 *   and `address`, when present, is checked against the decrypted key.
 * - A file is input: every field is checked before any work, and the KDF parameters are
 *   bounded (`keystoreLimits`) so that a hostile file cannot make us allocate gigabytes or
 *   spin for minutes. The MAC is compared in constant time.
 * - The passphrase is used as its UTF-8 bytes, as geth and Foundry do (ethers normalises it
 *   to NFKC first: the same for ASCII passphrases, not always for others).
 * - Derived keys and plaintext buffers are zeroed after use; the private key as a hex string
 *   cannot be (JavaScript strings are immutable), so this is a best effort, not a guarantee.
 * - Error messages name the field and the rule, never a key, a passphrase or a ciphertext.
 */
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, type Hex, hexToBytes, keccak256 } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { assert, ClearpegError } from '../errors.ts';

/** The codes a keystore function throws (`ClearpegError.code`); stable, never reworded. */
export type KeystoreErrorCode =
  /** A field of the file, or an argument, is malformed or out of bounds; `field` names it. */
  | 'keystore-invalid'
  /** The MAC does not match: a wrong passphrase, or a file altered after it was written. */
  | 'keystore-passphrase-wrong'
  /** The key decrypted, but its address is not the file's `address` field. */
  | 'keystore-address-mismatch'
  /** `writeKeystoreFile` refuses to replace a file. */
  | 'keystore-exists'
  /** `readKeystoreFile` found no file. */
  | 'keystore-missing';

/** scrypt's parameters as the file spells them. */
export interface ScryptParams {
  /** Derived key length, in bytes. */
  readonly dklen: number;
  /** CPU and memory cost: a power of two. */
  readonly n: number;
  /** Parallelisation. */
  readonly p: number;
  /** Block size, in units of 128 bytes. */
  readonly r: number;
  /** Hex, no `0x`. */
  readonly salt: string;
}

/** PBKDF2's parameters as the file spells them. */
export interface Pbkdf2Params {
  /** Iterations. */
  readonly c: number;
  /** Derived key length, in bytes. */
  readonly dklen: number;
  readonly prf: 'hmac-sha256';
  /** Hex, no `0x`. */
  readonly salt: string;
}

/** A keystore's key derivation function and its parameters. */
export type KeystoreKdf =
  | { readonly kdf: 'scrypt'; readonly kdfparams: ScryptParams }
  | { readonly kdf: 'pbkdf2'; readonly kdfparams: Pbkdf2Params };

/** The `crypto` object of a version 3 keystore; every byte string is hex without `0x`. */
export type KeystoreCrypto = {
  readonly cipher: 'aes-128-ctr';
  readonly ciphertext: string;
  readonly cipherparams: { readonly iv: string };
} & KeystoreKdf & { readonly mac: string };

/** A version 3 keystore as Clearpeg writes it (geth's field order). */
export interface Keystore {
  /** The key's address: lowercase hex without `0x`. */
  readonly address: string;
  readonly crypto: KeystoreCrypto;
  /** A random UUID (version 4); it names the key, not its address. */
  readonly id: string;
  readonly version: 3;
}

/** How `encryptKeystore` derives and encrypts; every field has a safe default. */
export interface EncryptKeystoreOptions {
  /** The key derivation function; `scrypt` unless told. */
  readonly kdf?: 'scrypt' | 'pbkdf2';
  /** scrypt's cost N, a power of two; `scryptNDefault` unless told (lower only in tests). */
  readonly scryptN?: number;
  /** scrypt's block size r; 8 unless told (another only to reproduce a test vector). */
  readonly scryptR?: number;
  /** scrypt's parallelisation p; 1 unless told (another only to reproduce a test vector). */
  readonly scryptP?: number;
  /** PBKDF2's iterations; `pbkdf2IterationsDefault` unless told (lower only in tests). */
  readonly pbkdf2C?: number;
  /** The KDF salt; 32 random bytes unless told (a test vector fixes it). */
  readonly salt?: Uint8Array;
  /** AES-CTR's initial counter block, 16 bytes; random unless told. */
  readonly iv?: Uint8Array;
  /** The keystore's UUID; a random version 4 one unless told. */
  readonly id?: string;
}

/** scrypt's cost N written by default: 2^18, geth's "standard" (about 1 s and 256 MiB here). */
export const scryptNDefault = 2 ** 18;
/** scrypt's block size r written by default: 8 (128·8 = 1 KiB blocks), as geth and ethers. */
const scryptRDefault = 8;
/** scrypt's parallelisation p written by default: 1, as geth and ethers. */
const scryptPDefault = 1;
/** PBKDF2-HMAC-SHA-256 iterations written by default: 2^18, as geth and the definition's vector. */
export const pbkdf2IterationsDefault = 262_144;
/** DK's length, in bytes: 16 for the AES-128 key, then 16 for the MAC. */
const derivedKeyBytes = 32;
/** AES-128's key length, in bytes: DK[0..16]. */
const cipherKeyBytes = 16;
/** The salt written by default, in bytes: 32, as geth and ethers. */
const saltBytesDefault = 32;
/** AES's block, and so the CTR initial counter block, in bytes. */
const ivBytes = 16;
/** A secp256k1 private key, in bytes; the ciphertext has the same length (CTR mode). */
const privateKeyBytes = 32;
/** keccak-256's output, in bytes. */
const macBytes = 32;
/** An address, in bytes. */
const addressBytes = 20;
/** scrypt's working memory, in bytes: its table of N blocks of 128·r bytes. */
const scryptMemoryBytes = (n: number, r: number) => 128 * r * n;

/**
 * What a keystore file may ask of us, each bound with its reason. Standard files are far
 * inside: geth's standard scrypt is N 2^18, r 8, p 1 (256 MiB, 2^21 block mixes), its light
 * one N 2^12; ethers writes N 2^17; Foundry N 2^13.
 */
export const keystoreLimits = {
  /** scrypt's N: 4 × geth's standard, the most any tool writes. */
  scryptNMax: 2 ** 20,
  /** scrypt's r: twice the r = 8 every tool writes. */
  scryptRMax: 16,
  /** scrypt's p: 16, room for the definition's older scrypt vector (r 1, p 8). */
  scryptPMax: 16,
  /** scrypt's table, 128·r·N bytes: 512 MiB, twice geth's standard (the host has 24 GiB). */
  scryptMemoryBytesMax: 512 * 1024 * 1024,
  /** scrypt's work, N·r·p block mixes: 2^23, 4 × geth's standard (about 4 s here). */
  scryptWorkMax: 2 ** 23,
  /** PBKDF2's iterations: 10,000,000, about 38 × geth's (about 11 s here). */
  pbkdf2IterationsMax: 10_000_000,
  /** DK's length, in bytes: the definition asks for at least 32; only 32 are used. */
  derivedKeyBytesMax: 64,
  /** The salt, in bytes: 16 is the least a salt should be (NIST SP 800-132 asks 16). */
  saltBytesMin: 16,
  /** The salt, in bytes: no tool writes more than 32. */
  saltBytesMax: 64,
  /** A keystore file, in bytes: a real one is about 500; reading stops well before memory matters. */
  fileBytesMax: 64 * 1024,
} as const;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const hexPattern = /^(?:[0-9a-fA-F]{2})*$/;

/** A keystore's KDF, checked and decoded. */
type Kdf =
  | {
      readonly name: 'scrypt';
      readonly n: number;
      readonly r: number;
      readonly p: number;
      readonly dklen: number;
      readonly salt: Uint8Array;
    }
  | {
      readonly name: 'pbkdf2';
      readonly c: number;
      readonly dklen: number;
      readonly salt: Uint8Array;
    };

/** A keystore, checked and decoded: what decryption needs. */
interface ParsedKeystore {
  readonly kdf: Kdf;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
  /** The `address` field, lowercase with `0x`, when the file has one. */
  readonly address: Hex | undefined;
}

function invalid(field: string, rule: string, got?: string): never {
  throw new ClearpegError(
    'keystore-invalid',
    `keystore: ${field} must be ${rule}${got === undefined ? '' : ` (got ${got})`}`,
    { field, rule },
  );
}

/** A short, secret-free description of a value for an error message. */
function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  if (typeof value === 'string')
    return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  return Array.isArray(value) ? 'an array' : typeof value;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(field, 'an object', describe(value));
  return value as Record<string, unknown>;
}

function integer(value: unknown, field: string, min: number, max: number, rule?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    invalid(field, rule ?? `an integer from ${min} to ${max}`, describe(value));
  return value;
}

/** Hex without `0x`, of `min` to `max` bytes. */
function hexBytes(value: unknown, field: string, min: number, max = min): Uint8Array {
  const length = min === max ? `${min} bytes` : `${min} to ${max} bytes`;
  const rule = `${length} as hex digits, without 0x`;
  if (typeof value !== 'string') invalid(field, rule, describe(value));
  if (!hexPattern.test(value)) invalid(field, rule, 'a string that is not hex bytes');
  const bytes = value.length / 2;
  if (bytes < min || bytes > max) invalid(field, rule, `${bytes} bytes`);
  return hexToBytes(`0x${value}`);
}

/** Names a KDF parameter in errors: its path in the file, or the option that set it. */
type FieldOf = (key: 'n' | 'r' | 'p' | 'c' | 'dklen' | 'prf' | 'salt' | '') => string;
const fileField: FieldOf = (key) => (key === '' ? 'crypto.kdfparams' : `crypto.kdfparams.${key}`);
const optionFields: Record<string, string | undefined> = {
  c: 'pbkdf2C',
  salt: 'salt',
  r: 'scryptR',
  p: 'scryptP',
};
/** n, and the memory and work bounds, are the caller's `scryptN`. */
const optionField: FieldOf = (key) => optionFields[key] ?? 'scryptN';

/** The parameters both KDFs have: the derived key's length and the salt. */
function keyLengthAndSalt(
  params: Record<string, unknown>,
  fieldOf: FieldOf,
): { dklen: number; salt: Uint8Array } {
  const dklen = integer(
    params.dklen,
    fieldOf('dklen'),
    derivedKeyBytes,
    keystoreLimits.derivedKeyBytesMax,
  );
  const salt = hexBytes(
    params.salt,
    fieldOf('salt'),
    keystoreLimits.saltBytesMin,
    keystoreLimits.saltBytesMax,
  );
  return { dklen, salt };
}

function parseScrypt(params: Record<string, unknown>, fieldOf: FieldOf): Kdf {
  const nRule = 'a power of two from 2 to 2^20';
  const n = integer(params.n, fieldOf('n'), 2, keystoreLimits.scryptNMax, nRule);
  if ((n & (n - 1)) !== 0) invalid(fieldOf('n'), nRule, describe(n));
  const r = integer(params.r, fieldOf('r'), 1, keystoreLimits.scryptRMax);
  const p = integer(params.p, fieldOf('p'), 1, keystoreLimits.scryptPMax);
  if (scryptMemoryBytes(n, r) > keystoreLimits.scryptMemoryBytesMax)
    invalid(fieldOf(''), 'within 512 MiB of scrypt memory, 128·r·n bytes', `n ${n}, r ${r}`);
  if (n * r * p > keystoreLimits.scryptWorkMax)
    invalid(fieldOf(''), 'within 2^23 scrypt block mixes, n·r·p', `n ${n}, r ${r}, p ${p}`);
  const { dklen, salt } = keyLengthAndSalt(params, fieldOf);
  return { name: 'scrypt', n, r, p, dklen, salt };
}

function parsePbkdf2(params: Record<string, unknown>, fieldOf: FieldOf): Kdf {
  if (params.prf !== 'hmac-sha256') invalid(fieldOf('prf'), "'hmac-sha256'", describe(params.prf));
  const c = integer(params.c, fieldOf('c'), 1, keystoreLimits.pbkdf2IterationsMax);
  const { dklen, salt } = keyLengthAndSalt(params, fieldOf);
  return { name: 'pbkdf2', c, dklen, salt };
}

/** Checks every field a decryption reads, before any work; unknown fields are ignored (ethers adds `x-ethers`). */
function parseKeystore(value: unknown): ParsedKeystore {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      invalid('(the file)', 'JSON');
    }
  }
  const file = record(value, '(the file)');
  if (file.version !== 3) invalid('version', 'the number 3', describe(file.version));
  // Older geth and keythereum write `Crypto`.
  if (file.crypto !== undefined && file.Crypto !== undefined)
    invalid('crypto', 'present once (crypto or Crypto, not both)');
  const crypto = record(file.crypto ?? file.Crypto, 'crypto');
  if (crypto.cipher !== 'aes-128-ctr')
    invalid('crypto.cipher', "'aes-128-ctr'", describe(crypto.cipher));
  const iv = hexBytes(
    record(crypto.cipherparams, 'crypto.cipherparams').iv,
    'crypto.cipherparams.iv',
    ivBytes,
  );
  const ciphertext = hexBytes(crypto.ciphertext, 'crypto.ciphertext', privateKeyBytes);
  const mac = hexBytes(crypto.mac, 'crypto.mac', macBytes);
  const params = record(crypto.kdfparams, 'crypto.kdfparams');
  const kdf =
    crypto.kdf === 'scrypt'
      ? parseScrypt(params, fileField)
      : crypto.kdf === 'pbkdf2'
        ? parsePbkdf2(params, fileField)
        : invalid('crypto.kdf', "'scrypt' or 'pbkdf2'", describe(crypto.kdf));
  if (file.id !== undefined && (typeof file.id !== 'string' || !uuidPattern.test(file.id)))
    invalid('id', 'a UUID', describe(file.id));
  let address: Hex | undefined;
  if (file.address !== undefined) {
    const text = typeof file.address === 'string' ? file.address.replace(/^0x/i, '') : file.address;
    address = bytesToHex(hexBytes(text, 'address', addressBytes));
  }
  return { kdf, iv, ciphertext, mac, address };
}

async function deriveKey(passphrase: string, kdf: Kdf): Promise<Uint8Array> {
  const password = new TextEncoder().encode(passphrase);
  try {
    return kdf.name === 'scrypt'
      ? await scryptAsync(password, kdf.salt, {
          N: kdf.n,
          r: kdf.r,
          p: kdf.p,
          dkLen: kdf.dklen,
          // Checked above; noble counts p + 1 more blocks than the table, so this is its bound.
          maxmem: 128 * kdf.r * (kdf.n + kdf.p + 1),
        })
      : await pbkdf2Async(sha256, password, kdf.salt, { c: kdf.c, dkLen: kdf.dklen });
  } finally {
    password.fill(0);
  }
}

/** keccak256(DK[16..32] ‖ ciphertext), the definition's MAC. */
function macOf(derivedKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return keccak256(
    concatBytes([derivedKey.subarray(cipherKeyBytes, derivedKeyBytes), ciphertext]),
    'bytes',
  );
}

/** AES-128-CTR under DK[0..16]; in CTR mode encryption and decryption are the same operation. */
function aes128Ctr(
  direction: 'encrypt' | 'decrypt',
  derivedKey: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const key = derivedKey.subarray(0, cipherKeyBytes);
  const cipher =
    direction === 'encrypt'
      ? createCipheriv('aes-128-ctr', key, iv)
      : createDecipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** The key's address, or `keystore-invalid` naming `field`; the key never appears in the error. */
function addressOf(privateKey: Hex, field: string): Hex {
  const rule = 'a secp256k1 private key: 32 bytes, from 1 to the curve order − 1';
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) invalid(field, rule);
  try {
    return privateKeyToAddress(privateKey);
  } catch {
    // viem's message quotes the key: it is dropped, not chained as a cause.
    return invalid(field, rule);
  }
}

/**
 * Encrypts a private key under a passphrase into a version 3 keystore (scrypt N 2^18, r 8,
 * p 1 unless told; about 1 s). Throws `keystore-invalid` for a malformed key or option, or an
 * empty passphrase.
 * @example (await encryptKeystore(generatePrivateKey(), 'correct horse', { scryptN: 1024 })).version === 3
 */
export async function encryptKeystore(
  privateKey: Hex,
  passphrase: string,
  options: EncryptKeystoreOptions = {},
): Promise<Keystore> {
  const address = addressOf(privateKey, 'privateKey').slice(2).toLowerCase();
  if (typeof passphrase !== 'string' || passphrase === '')
    invalid('passphrase', 'a non-empty string');
  const salt = options.salt ?? randomBytes(saltBytesDefault);
  if (
    !(salt instanceof Uint8Array) ||
    salt.length < keystoreLimits.saltBytesMin ||
    salt.length > keystoreLimits.saltBytesMax
  )
    invalid('salt', 'from 16 to 64 bytes');
  const iv = options.iv ?? randomBytes(ivBytes);
  if (!(iv instanceof Uint8Array) || iv.length !== ivBytes) invalid('iv', '16 bytes');
  const id = options.id ?? randomUUID();
  if (!uuidPattern.test(id)) invalid('id', 'a UUID', describe(id));
  const kdf = optionsKdf(options, salt);
  const derivedKey = await deriveKey(passphrase, kdf);
  const plaintext = hexToBytes(privateKey);
  try {
    const ciphertext = aes128Ctr('encrypt', derivedKey, iv, plaintext);
    const crypto: KeystoreCrypto = {
      cipher: 'aes-128-ctr',
      ciphertext: hexOf(ciphertext),
      cipherparams: { iv: hexOf(iv) },
      ...kdfFields(kdf),
      mac: hexOf(macOf(derivedKey, ciphertext)),
    };
    const keystore: Keystore = { address, crypto, id: id.toLowerCase(), version: 3 };
    assert(parseKeystore(keystore).address === `0x${address}`, 'a written keystore reads back');
    return keystore;
  } finally {
    derivedKey.fill(0);
    plaintext.fill(0);
  }
}

/** Bytes as hex without `0x`, as the file spells them. */
const hexOf = (bytes: Uint8Array): string => bytesToHex(bytes).slice(2);

/** The KDF `encryptKeystore` uses: the options checked as a file's parameters would be. */
function optionsKdf(options: EncryptKeystoreOptions, salt: Uint8Array): Kdf {
  const kdf = options.kdf ?? 'scrypt';
  if (kdf === 'scrypt') {
    const n = options.scryptN ?? scryptNDefault;
    const r = options.scryptR ?? scryptRDefault;
    const p = options.scryptP ?? scryptPDefault;
    const params = { dklen: derivedKeyBytes, n, p, r };
    return parseScrypt({ ...params, salt: hexOf(salt) }, optionField);
  }
  if (kdf === 'pbkdf2') {
    const c = options.pbkdf2C ?? pbkdf2IterationsDefault;
    const params = { c, dklen: derivedKeyBytes, prf: 'hmac-sha256' };
    return parsePbkdf2({ ...params, salt: hexOf(salt) }, optionField);
  }
  return invalid('kdf', "'scrypt' or 'pbkdf2'", describe(kdf));
}

/** `kdf` and `kdfparams` as the file spells them (geth's key order). */
function kdfFields(kdf: Kdf): KeystoreKdf {
  const salt = hexOf(kdf.salt);
  return kdf.name === 'scrypt'
    ? { kdf: 'scrypt', kdfparams: { dklen: kdf.dklen, n: kdf.n, p: kdf.p, r: kdf.r, salt } }
    : { kdf: 'pbkdf2', kdfparams: { c: kdf.c, dklen: kdf.dklen, prf: 'hmac-sha256', salt } };
}

/**
 * Decrypts a version 3 keystore (an object, or its JSON text) to its private key, lowercase
 * hex. Throws `keystore-invalid` naming the malformed field (checked before any work),
 * `keystore-passphrase-wrong` when the MAC does not match, `keystore-address-mismatch` when
 * the key is not the file's `address`.
 * @example await decryptKeystore(JSON.parse(text), 'correct horse') // '0x7a28…fe9d'
 */
export async function decryptKeystore(keystore: unknown, passphrase: string): Promise<Hex> {
  if (typeof passphrase !== 'string') invalid('passphrase', 'a string', describe(passphrase));
  const parsed = parseKeystore(keystore);
  const derivedKey = await deriveKey(passphrase, parsed.kdf);
  try {
    if (!timingSafeEqual(macOf(derivedKey, parsed.ciphertext), parsed.mac))
      throw new ClearpegError(
        'keystore-passphrase-wrong',
        'keystore: the passphrase is wrong, or the file was altered (its MAC does not match)',
        { field: 'passphrase', rule: 'the one the keystore was encrypted with' },
      );
    const plaintext = aes128Ctr('decrypt', derivedKey, parsed.iv, parsed.ciphertext);
    const privateKey = bytesToHex(plaintext);
    plaintext.fill(0);
    const address = addressOf(privateKey, 'crypto.ciphertext').toLowerCase();
    if (parsed.address !== undefined && parsed.address !== address)
      throw new ClearpegError(
        'keystore-address-mismatch',
        `keystore: address is ${parsed.address} but the key decrypts to ${address}`,
        { field: 'address', rule: 'the address of the encrypted key' },
      );
    return privateKey;
  } finally {
    derivedKey.fill(0);
  }
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

function exists(path: string): ClearpegError {
  return new ClearpegError(
    'keystore-exists',
    `keystore file ${path} exists: it is never replaced`,
    {
      field: 'path',
      rule: 'a file that does not exist yet',
    },
  );
}

/**
 * Encrypts a key into a new keystore file, mode 0600, creating its directory (mode 0700; an
 * existing one is left as it is). The file appears whole or not at all: it is written to a
 * temporary file in the same directory, synced, then linked to its name, which fails if the
 * name exists (`keystore-exists`) even against a concurrent writer, where a rename would
 * silently replace it. Returns the keystore written.
 * @example await writeKeystoreFile('/var/lib/clearpeg/keys/issuer.json', key, passphrase)
 */
export async function writeKeystoreFile(
  path: string,
  privateKey: Hex,
  passphrase: string,
  options: EncryptKeystoreOptions = {},
): Promise<Keystore> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  // Fail fast, before a second of scrypt; the link below is what guarantees it.
  if (await pathExists(path)) throw exists(path);
  const keystore = await encryptKeystore(privateKey, passphrase, options);
  const temporary = join(directory, `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(keystore));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await linkNoClobber(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
  const directoryHandle = await open(directory, 'r');
  try {
    await directoryHandle.sync();
  } finally {
    await directoryHandle.close();
  }
  return keystore;
}

/** Gives `temporary` the name `path` unless `path` exists, atomically where hard links work. */
async function linkNoClobber(temporary: string, path: string): Promise<void> {
  try {
    await link(temporary, path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST') throw exists(path);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')
      throw error;
    // A file system without hard links: check, then rename (a race with a concurrent writer remains).
    if (await pathExists(path)) throw exists(path);
    await rename(temporary, path);
  }
}

/**
 * Reads and decrypts a keystore file: its private key and checksummed address. Throws
 * `keystore-missing` (with the path) when there is no file, and otherwise as
 * `decryptKeystore`; a file over 64 KiB or not JSON is `keystore-invalid`.
 * @example const { address } = await readKeystoreFile('/var/lib/clearpeg/keys/issuer.json', passphrase)
 */
export async function readKeystoreFile(
  path: string,
  passphrase: string,
): Promise<{ privateKey: Hex; address: Hex }> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      // Reads at most one byte past the limit, whatever the file's size says or becomes.
      const buffer = Buffer.alloc(keystoreLimits.fileBytesMax + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > keystoreLimits.fileBytesMax)
        invalid('(the file)', 'at most 64 KiB', `more in ${path}`);
      text = buffer.toString('utf8', 0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT')
      throw new ClearpegError('keystore-missing', `keystore file ${path} does not exist`, {
        field: 'path',
        rule: 'an existing keystore file',
      });
    throw error;
  }
  const privateKey = await decryptKeystore(text, passphrase);
  return { privateKey, address: privateKeyToAddress(privateKey) };
}
