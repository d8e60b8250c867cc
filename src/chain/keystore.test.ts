import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Hex, hexToBytes } from 'viem';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import {
  decryptKeystore,
  type EncryptKeystoreOptions,
  encryptKeystore,
  type Keystore,
  keystoreLimits,
  pbkdf2IterationsDefault,
  readKeystoreFile,
  scryptNDefault,
  writeKeystoreFile,
} from './keystore.ts';

/** The Web3 Secret Storage Definition's test vectors, with their provenance. */
const file = JSON.parse(
  readFileSync(new URL('./vectors/keystore-v3.json', import.meta.url), 'utf8'),
) as {
  passphrase: string;
  privateKey: Hex;
  address: string;
  vectors: { name: string; refused?: string; keystore: Keystore }[];
};

const bytes = (hex: string) => hexToBytes(`0x${hex}`);
/** scrypt N for tests: 1024 keeps a derivation near 5 ms. */
const fast = { scryptN: 1024 } as const;
const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Deletes the field, for `altered`. */
const removed = Symbol('removed');

/**
 * A deep copy of `keystore` with the field at the dotted `path` set to `value`, or to
 * `value(old, copy)` when it is a function, or deleted when it is `removed`.
 */
function altered(
  keystore: object,
  path: string,
  value: unknown | ((old: unknown, copy: Record<string, unknown>) => unknown),
): Record<string, unknown> {
  const copy = structuredClone(keystore) as Record<string, unknown>;
  const keys = path.split('.');
  const last = keys.pop()!;
  let parent = copy;
  for (const key of keys) parent = parent[key] as Record<string, unknown>;
  const next = typeof value === 'function' ? value(parent[last], copy) : value;
  if (next === removed) delete parent[last];
  else parent[last] = next;
  return copy;
}

describe('keystore: the definition’s test vectors, both ways', () => {
  // Alternately as an object and as the JSON text a file holds: decryptKeystore takes both.
  for (const [i, { name, refused, keystore }] of file.vectors.entries()) {
    const input = i % 2 === 0 ? keystore : JSON.stringify(keystore);
    if (refused !== undefined) {
      it(`${name}: refused as ${refused}`, async () => {
        await assert.rejects(decryptKeystore(input, file.passphrase), { code: refused });
      });
      continue;
    }
    it(`${name}: decrypts to the key, and encrypts back to the same ciphertext and MAC`, async () => {
      assert.equal(await decryptKeystore(input, file.passphrase), file.privateKey);
      const { crypto } = keystore;
      // No cost (scrypt's N, PBKDF2's iterations) is given: the default is the vector's, geth's.
      const options: EncryptKeystoreOptions =
        crypto.kdf === 'pbkdf2'
          ? { kdf: 'pbkdf2' }
          : { scryptR: crypto.kdfparams.r, scryptP: crypto.kdfparams.p };
      const written = await encryptKeystore(file.privateKey, file.passphrase, {
        ...options,
        salt: bytes(crypto.kdfparams.salt),
        iv: bytes(crypto.cipherparams.iv),
        id: keystore.id,
      });
      assert.deepEqual(written, { ...keystore, address: file.address });
      if (crypto.kdf === 'pbkdf2') assert.equal(pbkdf2IterationsDefault, crypto.kdfparams.c);
      else assert.equal(scryptNDefault, crypto.kdfparams.n);
    });
  }

  it('the vector key has the published address', () => {
    assert.equal(privateKeyToAddress(file.privateKey).toLowerCase(), `0x${file.address}`);
  });
});

describe('keystore: encrypt and decrypt', () => {
  it('round-trips random keys with scrypt and with PBKDF2, each with fresh salt, iv and id', async () => {
    const seen = new Set<string>();
    for (const kdf of ['scrypt', 'pbkdf2'] as const) {
      for (let i = 0; i < 4; i++) {
        const privateKey = generatePrivateKey();
        const keystore = await encryptKeystore(privateKey, 'correct horse battery staple', {
          kdf,
          ...fast,
          pbkdf2C: 1000,
        });
        assert.equal(keystore.version, 3);
        assert.equal(keystore.address, privateKeyToAddress(privateKey).slice(2).toLowerCase());
        assert.match(keystore.id, uuidV4);
        assert.equal(keystore.crypto.cipher, 'aes-128-ctr');
        assert.equal(keystore.crypto.kdf, kdf);
        assert.match(keystore.crypto.kdfparams.salt, /^[0-9a-f]{64}$/);
        assert.match(keystore.crypto.cipherparams.iv, /^[0-9a-f]{32}$/);
        assert.match(keystore.crypto.ciphertext, /^[0-9a-f]{64}$/);
        assert.match(keystore.crypto.mac, /^[0-9a-f]{64}$/);
        for (const value of [
          keystore.id,
          keystore.crypto.kdfparams.salt,
          keystore.crypto.cipherparams.iv,
        ]) {
          assert.ok(!seen.has(value), 'salt, iv and id are fresh each time');
          seen.add(value);
        }
        // Through JSON, as a file would carry it.
        const text = JSON.stringify(keystore);
        assert.equal(
          await decryptKeystore(JSON.parse(text), 'correct horse battery staple'),
          privateKey,
        );
      }
    }
  });

  it('writes scrypt r 8, p 1, dklen 32 and the chosen N', async () => {
    const keystore = await encryptKeystore(generatePrivateKey(), 'pass', fast);
    if (keystore.crypto.kdf !== 'scrypt') assert.fail('scrypt is the default');
    const { dklen, n, p, r } = keystore.crypto.kdfparams;
    assert.deepEqual({ dklen, n, p, r }, { dklen: 32, n: 1024, p: 1, r: 8 });
  });

  it('a wrong passphrase is keystore-passphrase-wrong', async () => {
    const keystore = await encryptKeystore(generatePrivateKey(), 'right', fast);
    await assert.rejects(decryptKeystore(keystore, 'wrong'), {
      code: 'keystore-passphrase-wrong',
      field: 'passphrase',
    });
    await assert.rejects(decryptKeystore(keystore, ''), { code: 'keystore-passphrase-wrong' });
  });

  it('a ciphertext or MAC altered after writing fails the MAC, as a wrong passphrase does', async () => {
    const keystore = await encryptKeystore(generatePrivateKey(), 'right', fast);
    const flip = (hex: unknown) => `${hex}`.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    for (const path of ['crypto.ciphertext', 'crypto.mac', 'crypto.kdfparams.salt'])
      await assert.rejects(decryptKeystore(altered(keystore, path, flip), 'right'), {
        code: 'keystore-passphrase-wrong',
      });
    // The MAC does not cover the iv: the key decrypts wrong, and the address check catches it.
    await assert.rejects(
      decryptKeystore(altered(keystore, 'crypto.cipherparams.iv', flip), 'right'),
      { code: 'keystore-address-mismatch' },
    );
  });

  it('a file whose address is not its key’s is keystore-address-mismatch; no address is fine', async () => {
    const privateKey = generatePrivateKey();
    const keystore = await encryptKeystore(privateKey, 'pass', fast);
    const other = privateKeyToAddress(generatePrivateKey()).slice(2).toLowerCase();
    await assert.rejects(decryptKeystore(altered(keystore, 'address', other), 'pass'), {
      code: 'keystore-address-mismatch',
      field: 'address',
    });
    const withoutAddress = altered(keystore, 'address', removed);
    assert.equal(await decryptKeystore(withoutAddress, 'pass'), privateKey);
    // Checksummed or 0x-prefixed addresses, as some tools write them, are the same address.
    const checksummed = altered(keystore, 'address', privateKeyToAddress(privateKey));
    assert.equal(await decryptKeystore(checksummed, 'pass'), privateKey);
  });

  it('reads `Crypto`, as older geth and keythereum write it', async () => {
    const privateKey = generatePrivateKey();
    const keystore = await encryptKeystore(privateKey, 'pass', fast);
    const legacy = altered(altered(keystore, 'Crypto', keystore.crypto), 'crypto', removed);
    assert.equal(await decryptKeystore(legacy, 'pass'), privateKey);
  });
});

describe('keystore: a malformed file is keystore-invalid, naming the field', () => {
  let keystore: Keystore;
  before(async () => {
    keystore = await encryptKeystore(generatePrivateKey(), 'pass', fast);
  });

  const cases: Array<[what: string, field: string, path: string, value: unknown]> = [
    ['version 2', 'version', 'version', 2],
    ['version as a string', 'version', 'version', '3'],
    ['no crypto', 'crypto', 'crypto', removed],
    ['crypto and Crypto', 'crypto', 'Crypto', (_: unknown, k: Record<string, unknown>) => k.crypto],
    ['an unknown cipher', 'crypto.cipher', 'crypto.cipher', 'aes-128-cbc'],
    ['an unknown kdf', 'crypto.kdf', 'crypto.kdf', 'argon2id'],
    ['no kdfparams', 'crypto.kdfparams', 'crypto.kdfparams', removed],
    ['n not a power of two', 'crypto.kdfparams.n', 'crypto.kdfparams.n', 1000],
    ['n too large', 'crypto.kdfparams.n', 'crypto.kdfparams.n', 2 ** 21],
    ['n hostile', 'crypto.kdfparams.n', 'crypto.kdfparams.n', 2 ** 40],
    ['n 1', 'crypto.kdfparams.n', 'crypto.kdfparams.n', 1],
    ['n a fraction', 'crypto.kdfparams.n', 'crypto.kdfparams.n', 1024.5],
    ['n a string', 'crypto.kdfparams.n', 'crypto.kdfparams.n', '1024'],
    ['r 0', 'crypto.kdfparams.r', 'crypto.kdfparams.r', 0],
    ['r too large', 'crypto.kdfparams.r', 'crypto.kdfparams.r', 17],
    ['p too large', 'crypto.kdfparams.p', 'crypto.kdfparams.p', 17],
    [
      'scrypt memory over 512 MiB (n 2^20, r 8)',
      'crypto.kdfparams',
      'crypto.kdfparams',
      (old: unknown) => ({ ...(old as object), n: 2 ** 20, r: 8 }),
    ],
    [
      'scrypt work over 2^23 (n 2^18, r 4, p 16)',
      'crypto.kdfparams',
      'crypto.kdfparams',
      (old: unknown) => ({ ...(old as object), n: 2 ** 18, r: 4, p: 16 }),
    ],
    ['dklen 16', 'crypto.kdfparams.dklen', 'crypto.kdfparams.dklen', 16],
    ['a short salt', 'crypto.kdfparams.salt', 'crypto.kdfparams.salt', 'abcd'],
    ['a short iv', 'crypto.cipherparams.iv', 'crypto.cipherparams.iv', '00'.repeat(8)],
    [
      'an iv with 0x',
      'crypto.cipherparams.iv',
      'crypto.cipherparams.iv',
      (iv: unknown) => `0x${iv}`,
    ],
    ['no cipherparams', 'crypto.cipherparams', 'crypto.cipherparams', removed],
    ['a non-hex ciphertext', 'crypto.ciphertext', 'crypto.ciphertext', 'zz'.repeat(32)],
    ['an odd-length ciphertext', 'crypto.ciphertext', 'crypto.ciphertext', '0'.repeat(63)],
    ['a short ciphertext', 'crypto.ciphertext', 'crypto.ciphertext', '00'.repeat(31)],
    ['a short mac', 'crypto.mac', 'crypto.mac', '00'.repeat(31)],
    ['a malformed address', 'address', 'address', 'not an address'],
    ['a malformed id', 'id', 'id', 'key-1'],
  ];

  for (const [what, field, path, value] of cases)
    it(`${what}: ${field}`, async () => {
      await assert.rejects(
        decryptKeystore(altered(keystore, path, value), 'pass'),
        (error: Error & { code?: string; field?: string }) => {
          assert.equal(error.code, 'keystore-invalid');
          assert.equal(error.field, field);
          assert.ok(error.message.includes(field), `${error.message} names ${field}`);
          return true;
        },
      );
    });

  it('PBKDF2 with another prf, or too many iterations', async () => {
    const pbkdf2 = await encryptKeystore(generatePrivateKey(), 'pass', {
      kdf: 'pbkdf2',
      pbkdf2C: 1000,
    });
    for (const [field, value] of [
      ['crypto.kdfparams.prf', 'hmac-sha512'],
      ['crypto.kdfparams.c', keystoreLimits.pbkdf2IterationsMax + 1],
    ] as const)
      await assert.rejects(decryptKeystore(altered(pbkdf2, field, value), 'pass'), {
        code: 'keystore-invalid',
        field,
      });
  });

  it('not an object, or not JSON', async () => {
    for (const value of [null, [], 3, '{', '[]'])
      await assert.rejects(decryptKeystore(value, 'pass'), {
        code: 'keystore-invalid',
        field: '(the file)',
      });
  });
});

describe('keystore: encryption refuses bad input without echoing secrets', () => {
  // secp256k1's order n: 32 bytes of valid hex, but not a key.
  const order: Hex = '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
  const cases: Array<[string, () => Promise<unknown>]> = [
    ['privateKey', () => encryptKeystore(order, 'pass', fast)],
    ['privateKey', () => encryptKeystore(`0x${'00'.repeat(32)}`, 'pass', fast)],
    ['privateKey', () => encryptKeystore('0x1234', 'pass', fast)],
    ['passphrase', () => encryptKeystore(generatePrivateKey(), '', fast)],
    ['scryptN', () => encryptKeystore(generatePrivateKey(), 'pass', { scryptN: 1000 })],
    ['scryptN', () => encryptKeystore(generatePrivateKey(), 'pass', { scryptN: 2 ** 20 })],
    ['pbkdf2C', () => encryptKeystore(generatePrivateKey(), 'pass', { kdf: 'pbkdf2', pbkdf2C: 0 })],
    [
      'salt',
      () => encryptKeystore(generatePrivateKey(), 'pass', { ...fast, salt: new Uint8Array(8) }),
    ],
    ['iv', () => encryptKeystore(generatePrivateKey(), 'pass', { ...fast, iv: new Uint8Array(8) })],
    ['id', () => encryptKeystore(generatePrivateKey(), 'pass', { ...fast, id: 'key-1' })],
  ];
  for (const [field, call] of cases)
    it(field, async () => {
      await assert.rejects(call(), (error: Error & { code?: string; field?: string }) => {
        assert.equal(error.code, 'keystore-invalid');
        assert.equal(error.field, field);
        assert.ok(!error.message.includes(order.slice(2)), 'the key is not in the message');
        assert.equal(error.cause, undefined, 'no cause carries the key');
        return true;
      });
    });
});

describe('keystore files', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'clearpeg-keystore-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes mode 0600 in a new directory of mode 0700, and reads back key and address', async () => {
    const directory = join(root, 'a', 'keys');
    const path = join(directory, 'issuer.json');
    const privateKey = generatePrivateKey();
    const written = await writeKeystoreFile(path, privateKey, 'pass', fast);
    assert.equal((await stat(directory)).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(directory), ['issuer.json'], 'no temporary file is left');
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), written);
    assert.deepEqual(await readKeystoreFile(path, 'pass'), {
      privateKey,
      address: privateKeyToAddress(privateKey),
    });
    await assert.rejects(readKeystoreFile(path, 'wrong'), { code: 'keystore-passphrase-wrong' });
  });

  it('never replaces a file, not even against a concurrent writer', async () => {
    const path = join(root, 'b', 'issuer.json');
    const first = generatePrivateKey();
    await writeKeystoreFile(path, first, 'pass', fast);
    const before = await readFile(path, 'utf8');
    await assert.rejects(writeKeystoreFile(path, generatePrivateKey(), 'pass', fast), {
      code: 'keystore-exists',
      field: 'path',
    });
    assert.equal(await readFile(path, 'utf8'), before);

    const racePath = join(root, 'b', 'race.json');
    const results = await Promise.allSettled(
      [0, 1, 2, 3].map(() => writeKeystoreFile(racePath, generatePrivateKey(), 'pass', fast)),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results)
      if (r.status === 'rejected') assert.equal(r.reason.code, 'keystore-exists');
    assert.deepEqual((await readdir(join(root, 'b'))).sort(), ['issuer.json', 'race.json']);
  });

  it('a missing file is keystore-missing, naming the path', async () => {
    const path = join(root, 'nowhere', 'issuer.json');
    await assert.rejects(readKeystoreFile(path, 'pass'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'keystore-missing');
      assert.ok(error.message.includes(path));
      return true;
    });
  });

  it('a file that is not JSON, or over 64 KiB, is keystore-invalid', async () => {
    const notJson = join(root, 'not-json.json');
    await writeFile(notJson, 'not json');
    await assert.rejects(readKeystoreFile(notJson, 'pass'), {
      code: 'keystore-invalid',
      field: '(the file)',
    });
    const large = join(root, 'large.json');
    await writeFile(large, ' '.repeat(keystoreLimits.fileBytesMax + 1));
    await assert.rejects(readKeystoreFile(large, 'pass'), {
      code: 'keystore-invalid',
      field: '(the file)',
    });
  });
});
