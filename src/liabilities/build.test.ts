/**
 * The fast builder against the reference: `buildLiabilitiesTree` must give the tree
 * `buildSumTree` (src/proofs/sumtree.ts, on @noble/hashes) gives, record for record at every
 * level, on random accounts (ids of 1 to 256 bytes, ASCII and not; values up to 2^96) and
 * sizes 0, 1, 2, 3, 257 and 65537, on one thread and split over worker threads. Then what the
 * tree is used for (proofs, tiles), the salts, and the refusals.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { sumTilesFor } from '../proofs/sumtiles.ts';
import {
  buildSumTree,
  deriveSalt,
  type SumLeafInput,
  type SumTree,
  SumTreeError,
  sumProof,
  sumTreeNode,
  u128Max,
  verifySumProof,
} from '../proofs/sumtree.ts';
import {
  buildLiabilitiesTree,
  deriveSalts,
  levelCounts,
  PackedAccountsWriter,
  packAccounts,
  sharesFor,
} from './build.ts';

const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_.éß€😀';

function randomId(): string {
  const chars = Array.from(alphabet);
  const length = randomInt(1, 60);
  let id = '';
  for (let i = 0; i < length; i++) id += chars[randomInt(chars.length)];
  return id;
}

function randomAccounts(count: number): SumLeafInput[] {
  return Array.from({ length: count }, (_, i) => ({
    // Every so often an id of exactly 256 bytes, the longest.
    customerId: i % 97 === 5 ? `${i}`.padEnd(256, 'x') : `${randomId()}-${i}`,
    salt: randomBytes(32),
    value: BigInt(`0x${randomBytes(12).toString('hex')}`) >> BigInt(randomInt(96)),
  }));
}

function assertSameTree(fast: SumTree, reference: SumTree, what: string): void {
  assert.equal(fast.size, reference.size, `${what}: size`);
  assert.equal(fast.levels.length, reference.levels.length, `${what}: levels`);
  for (const [i, level] of fast.levels.entries()) {
    assert.ok(Buffer.from(level).equals(Buffer.from(reference.levels[i]!)), `${what}: level ${i}`);
  }
  assert.deepEqual(fast.root, reference.root, `${what}: root`);
}

describe('buildLiabilitiesTree', () => {
  it('builds the tree buildSumTree builds, on one thread and on two, for 0, 1, 2, 3, 257 and 65537 accounts', async () => {
    for (const count of [0, 1, 2, 3, 257, 65537]) {
      const accounts = randomAccounts(count);
      const reference = buildSumTree(accounts);
      const packed = packAccounts(accounts);
      assertSameTree(
        await buildLiabilitiesTree(packed, { threads: 1 }),
        reference,
        `${count}, 1 thread`,
      );
      if (count >= 2) {
        const split = await buildLiabilitiesTree(packed, { threads: 2, parallelMin: 2 });
        assertSameTree(split, reference, `${count}, 2 threads`);
      }
    }
  });

  it('splits any size into shares that meet at a level, covering every leaf once', () => {
    for (const size of [2, 3, 5, 127, 128, 129, 1000, 65537, 10_000_000]) {
      for (const threads of [2, 3, 8]) {
        const shares = sharesFor(size, threads);
        assert.equal(shares[0]!.from, 0);
        assert.equal(shares[shares.length - 1]!.to, size);
        for (const [j, share] of shares.entries()) {
          assert.ok(share.from < share.to);
          assert.equal(share.from % 2 ** share.top, 0, `${size}/${threads}: from is aligned`);
          if (j > 0) assert.equal(share.from, shares[j - 1]!.to);
          assert.ok(share.top < levelCounts(size).length);
        }
      }
    }
  });

  it('gives a tree whose proofs verify and whose tiles are buildSumTree’s', async () => {
    const accounts = randomAccounts(700);
    const tree = await buildLiabilitiesTree(packAccounts(accounts), { threads: 2, parallelMin: 2 });
    const reference = buildSumTree(accounts);
    for (const index of [0, 1, 255, 256, 511, 698, 699]) {
      const proof = sumProof(tree, BigInt(index));
      assert.deepEqual(proof, sumProof(reference, BigInt(index)));
      const { customerId, salt, value } = accounts[index]!;
      const input = {
        customerId,
        salt,
        value,
        index: BigInt(index),
        size: tree.size,
        proof,
        root: tree.root,
      };
      assert.deepEqual(verifySumProof(input), { ok: true });
    }
    assert.deepEqual(sumTreeNode(tree, 3, 10n), sumTreeNode(reference, 3, 10n));
    const tiles = sumTilesFor(tree);
    const referenceTiles = sumTilesFor(reference);
    assert.deepEqual(
      tiles.map((t) => t.path),
      ['tile/0/000', 'tile/0/001', 'tile/0/002.p/188', 'tile/1/000.p/2'],
    );
    for (const [i, tile] of tiles.entries()) {
      assert.ok(Buffer.from(tile.bytes).equals(Buffer.from(referenceTiles[i]!.bytes)));
    }
  });

  it('refuses a sum overflowing u128, on the main thread and in a worker, as buildSumTree does', async () => {
    const salt = randomBytes(32);
    const big = (count: number, at: number) =>
      Array.from({ length: count }, (_, i) => ({
        customerId: `c${i}`,
        salt,
        value: i === at || i === at + 1 ? u128Max : 1n,
      }));
    const early = big(8, 2);
    assert.throws(() => buildSumTree(early), /the sum of node 1 at level 1 overflows u128/);
    await assert.rejects(
      buildLiabilitiesTree(packAccounts(early)),
      (error) =>
        error instanceof SumTreeError &&
        /the sum of node 1 at level 1 overflows u128/.test(error.message),
    );
    const late = big(4000, 3990);
    await assert.rejects(
      buildLiabilitiesTree(packAccounts(late), { threads: 2, parallelMin: 2 }),
      (error) =>
        error instanceof SumTreeError &&
        /the sum of node 1995 at level 1 overflows u128/.test(error.message),
    );
    // Values that only overflow higher up, in the levels the main thread joins.
    const top = Array.from({ length: 300 }, (_, i) => ({
      customerId: `c${i}`,
      salt,
      value: u128Max / 200n,
    }));
    await assert.rejects(
      buildLiabilitiesTree(packAccounts(top), { threads: 2, parallelMin: 2 }),
      /overflows u128/,
    );
  });
});

describe('buildLiabilitiesTree on hand-made packed accounts', () => {
  it('refuses an empty id in a worker’s share, naming the leaf', async () => {
    const salt = randomBytes(32);
    const packed = packAccounts(
      Array.from({ length: 1000 }, (_, i) => ({ customerId: `c${i}`, salt, value: 1n })),
    );
    // Account 900's id made empty: its start moved onto its end (899's grows to 8 bytes).
    const idOffsets = packed.idOffsets.slice();
    idOffsets[900] = idOffsets[901]!;
    await assert.rejects(
      buildLiabilitiesTree({ ...packed, idOffsets }, { threads: 2, parallelMin: 2 }),
      (error) =>
        error instanceof SumTreeError &&
        error.message === 'leaves[900].customerId: must be 1 to 256 bytes, got 0',
    );
  });
});

describe('PackedAccountsWriter', () => {
  it('refuses what buildSumTree refuses, naming the account and field', () => {
    const salt = randomBytes(32);
    const cases: [string, Uint8Array, bigint, RegExp][] = [
      ['', salt, 1n, /leaves\[0\]\.customerId: must be a non-empty string/],
      ['x'.repeat(257), salt, 1n, /leaves\[0\]\.customerId: must be at most 256 bytes/],
      ['é'.repeat(129), salt, 1n, /leaves\[0\]\.customerId: must be at most 256 bytes/],
      ['e\u0301', salt, 1n, /leaves\[0\]\.customerId: must be in Unicode NFC/],
      ['a\ud800', salt, 1n, /leaves\[0\]\.customerId: must not hold lone surrogates/],
      ['a', salt.subarray(0, 31), 1n, /leaves\[0\]\.salt: must be 32 bytes/],
      ['a', salt, -1n, /leaves\[0\]\.value: must be a bigint from 0 to 2\^128 − 1, got -1/],
      ['a', salt, u128Max + 1n, /leaves\[0\]\.value/],
    ];
    for (const [id, s, value, message] of cases) {
      assert.throws(() => new PackedAccountsWriter(1).add(id, s, value), message);
      assert.throws(() => buildSumTree([{ customerId: id, salt: s, value }]), SumTreeError);
    }
    const full = new PackedAccountsWriter(1);
    full.add('a', salt, 1n);
    assert.throws(() => full.add('b', salt, 1n), /more than the capacity 1/);
  });

  it('grows its id buffer for long ids', () => {
    const accounts = Array.from({ length: 50 }, (_, i) => ({
      customerId: `${i}`.padEnd(256, 'y'),
      salt: randomBytes(32),
      value: BigInt(i),
    }));
    const packed = packAccounts(accounts);
    assert.equal(packed.ids.length, 50 * 256);
    assert.equal(packed.idOffsets[50], 50 * 256);
  });
});

describe('deriveSalts', () => {
  it('gives each account deriveSalt(secret, round, id), on one thread and on two', async () => {
    const secret = randomBytes(32);
    const ids = ['a', 'acct-42', 'é€😀', 'x'.repeat(256), ...Array.from({ length: 50 }, randomId)];
    const writer = new PackedAccountsWriter(ids.length);
    for (const id of ids) writer.add(id, undefined, 1n);
    const packed = writer.finish();
    for (const [round, options] of [
      ['1', { threads: 1 }],
      ['2026-12-06', { threads: 2, parallelMin: 2 }],
      ['r'.repeat(256), {}],
    ] as const) {
      packed.salts.fill(0);
      await deriveSalts(packed, secret, round, options);
      for (const [i, id] of ids.entries()) {
        const salt = packed.salts.slice(32 * i, 32 * i + 32);
        assert.deepEqual(salt, deriveSalt(secret, round, id), `${round}/${id}`);
      }
    }
    // Accounts on ordinary memory: salted on this thread, whatever the options say.
    const plain = { ...packed, salts: new Uint8Array(packed.salts.length) };
    await deriveSalts(plain, secret, '1', { threads: 2, parallelMin: 2 });
    assert.deepEqual(plain.salts.slice(32, 64), deriveSalt(secret, '1', ids[1]!));
    assert.deepEqual(plain.salts.slice(-32), deriveSalt(secret, '1', ids[ids.length - 1]!));
    await assert.rejects(
      deriveSalts(packed, secret.subarray(1), '1'),
      /roundSecret: must be 32 bytes/,
    );
    await assert.rejects(
      deriveSalts(packed, secret, 'a\nb'),
      /roundId: must be a string without a newline/,
    );
  });
});
