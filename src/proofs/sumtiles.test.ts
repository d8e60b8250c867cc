/**
 * Tests of the sum tree's tiles (`sumtiles.ts`): for edge sizes around tile boundaries, the
 * tiles give proofs `verifySumProof` accepts, equal to `sumProof`'s, with the tree's root; only
 * the tiles on the path are read; and any changed byte in any tile a read uses fails the read
 * with an error naming that tile.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Sha256 } from './hash.ts';
import { fullSumTileBytes, sumProofFromTiles, sumTilesFor } from './sumtiles.ts';
import {
  buildSumTree,
  type SumTree,
  sumLeaf,
  sumProof,
  sumRecordBytes,
  verifySumProof,
} from './sumtree.ts';
import { parseTilePath } from './tiles.ts';

const nodeSha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());
const salt = new Uint8Array(32).fill(9);

/** A tree of `size` leaves, `cust-<i>` with value i + 1, built from leaf records. */
function tree(size: number): SumTree {
  const records = new Uint8Array(size * sumRecordBytes);
  for (let i = 0; i < size; i++) {
    const leaf = sumLeaf(`cust-${i}`, salt, BigInt(i + 1), nodeSha256);
    records.set(leaf.hash, i * sumRecordBytes);
    new DataView(records.buffer).setBigUint64(i * sumRecordBytes + 40, BigInt(i + 1));
  }
  return buildSumTree(records, nodeSha256);
}

function store(t: SumTree): Map<string, Uint8Array> {
  return new Map(sumTilesFor(t).map((tile) => [tile.path, tile.bytes.slice()]));
}

function reader(tiles: Map<string, Uint8Array>, log: string[] = []) {
  return async (path: string) => {
    log.push(path);
    const bytes = tiles.get(path);
    if (bytes === undefined) throw new Error(`no tile ${path}`);
    return bytes;
  };
}

describe('sumTilesFor', () => {
  it('writes the tlog-tiles paths with 48-byte records', () => {
    const tiles = sumTilesFor(tree(300));
    assert.deepEqual(
      tiles.map((t) => t.path),
      ['tile/0/000', 'tile/0/001.p/44', 'tile/1/000.p/1'],
    );
    assert.equal(tiles[0]!.bytes.length, fullSumTileBytes);
    assert.equal(tiles[1]!.bytes.length, 44 * 48);
    for (const t of tiles) assert.equal(parseTilePath(t.path).kind, 'hashes');
  });

  it('has no tiles for the empty tree', () => {
    assert.deepEqual(sumTilesFor(buildSumTree([])), []);
  });

  it('pins a small vector: the one tile of a tree of 2 leaves', () => {
    const tiles = sumTilesFor(tree(2));
    assert.equal(tiles.length, 1);
    assert.equal(tiles[0]!.path, 'tile/0/000.p/2');
    const leaf0 = sumLeaf('cust-0', salt, 1n, nodeSha256);
    assert.equal(
      bytesToHex(tiles[0]!.bytes.subarray(0, 48)),
      `${bytesToHex(leaf0.hash)}00000000000000000000000000000001`,
    );
  });
});

describe('sumProofFromTiles', () => {
  for (const size of [1, 2, 3, 255, 256, 257, 511, 65_536, 65_537]) {
    it(`gives proofs verifySumProof accepts, size ${size}`, async () => {
      const t = tree(size);
      const tiles = store(t);
      const picks = new Set(
        [0, 1, size >> 1, size - 2, size - 1, 255, 256].filter((i) => i >= 0 && i < size),
      );
      for (const i of picks) {
        const index = BigInt(i);
        const got = await sumProofFromTiles(reader(tiles), t.size, index, nodeSha256);
        assert.deepEqual(got.root, t.root);
        assert.deepEqual(got.proof, sumProof(t, index));
        assert.equal(got.leaf.value, BigInt(i + 1));
        const result = verifySumProof(
          {
            customerId: `cust-${i}`,
            salt,
            value: BigInt(i + 1),
            index,
            size: t.size,
            proof: got.proof,
            root: got.root,
          },
          nodeSha256,
        );
        assert.deepEqual(result, { ok: true });
      }
    });
  }

  it('reads only the tiles on the path, the parents and the right edge', async () => {
    const t = tree(65_537);
    const log: string[] = [];
    await sumProofFromTiles(reader(store(t), log), t.size, 1000n, nodeSha256);
    assert.deepEqual([...new Set(log)].sort(), [
      'tile/0/003',
      'tile/0/256.p/1',
      'tile/1/000',
      'tile/2/000.p/1',
    ]);
  });

  it('fails naming a full tile when any of its bytes changes; a changed partial tile changes the root', async () => {
    const t = tree(65_537);
    const clean = store(t);
    const used: string[] = [];
    await sumProofFromTiles(reader(clean, used), t.size, 70n, nodeSha256);
    const paths = [...new Set(used)];
    assert.ok(paths.some((p) => p.includes('.p/')) && paths.some((p) => !p.includes('.p/')));
    for (const path of paths) {
      for (const at of [0, 31, 32, 47, clean.get(path)!.length - 1]) {
        const tiles = store(t);
        tiles.get(path)![at]! ^= 1;
        const read = sumProofFromTiles(reader(tiles), t.size, 70n, nodeSha256);
        if (path.includes('.p/')) {
          // Nothing above a partial tile holds its records: either a full tile below it no
          // longer matches it (the error names both), or the root is not the signed one.
          const got = await read.catch((error: Error) => {
            assert.ok(error.message.includes(`of tile ${path}`), error.message);
            return undefined;
          });
          if (got !== undefined) assert.notDeepEqual(got.root, t.root, `${path} byte ${at}`);
        } else {
          await assert.rejects(read, (error: Error) =>
            error.message.startsWith(`tile ${path}: its records do not hash up to record`),
          );
        }
      }
    }
  });

  it('refuses a tile of the wrong length, naming it', async () => {
    const t = tree(300);
    const tiles = store(t);
    tiles.set('tile/0/000', tiles.get('tile/0/000')!.subarray(0, 100));
    await assert.rejects(
      sumProofFromTiles(reader(tiles), t.size, 3n, nodeSha256),
      /^SumTreeError: tile tile\/0\/000: 100 bytes, want 12288/,
    );
  });

  it('refuses a size of 0 or an index outside the tree', async () => {
    await assert.rejects(sumProofFromTiles(reader(new Map()), 0n, 0n), /size: must be/);
    await assert.rejects(sumProofFromTiles(reader(new Map()), 3n, 3n), /index: must be/);
  });
});
