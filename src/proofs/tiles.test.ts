/**
 * Tests of the tiles (C2SP tlog-tiles): paths against the spec's, Go's and tessera's examples,
 * the spec's worked examples of which tiles a tree has, the CT reference roots read back from
 * tiles, and property tests that write random trees as tiles and read every subtree hash back,
 * grow them, and corrupt them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { emptyRoot, leafHash, type NodeReader, nodeHash, type Sha256 } from './hash.ts';
import {
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  entryBundlesFor,
  parseTilePath,
  rootFromTiles,
  tileCoordinatesFor,
  tileNodeReader,
  tilePath,
  tilesFor,
  tileWidthInTree,
} from './tiles.ts';

/** Node's native SHA-256, to keep the large trees fast (and to exercise the `hash` parameter). */
const nodeSha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

const maxUint64 = (1n << 64n) - 1n;

/** Distinct leaves: leaf i is the 8-byte big-endian encoding of i. */
function leafHashesOf(count: number, hash?: Sha256): Uint8Array[] {
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const leaf = new Uint8Array(8);
    new DataView(leaf.buffer).setBigUint64(0, BigInt(i));
    hashes.push(leafHash(leaf, hash));
  }
  return hashes;
}

/**
 * Every complete subtree hash of a tree, computed directly: levels[l][i] is the hash of leaves
 * i·2^l to (i + 1)·2^l − 1.
 */
function referenceLevels(leaves: Uint8Array[], hash?: Sha256): Uint8Array[][] {
  const levels = [leaves];
  for (let row = leaves; row.length > 1; ) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!, hash));
    levels.push(next);
    row = next;
  }
  return levels;
}

/** The RFC 6962 root of the first `size` leaves, from the reference levels. */
function referenceRoot(levels: Uint8Array[][], size: number, hash?: Sha256): Uint8Array {
  if (size === 0) return emptyRoot;
  let root: Uint8Array | undefined;
  let end = size;
  for (let level = 0; end > 0; level++) {
    // Peel the complete subtrees off the right end, smallest first.
    if (size & (1 << level)) {
      const start = end - (1 << level);
      const subtree = levels[level]![start >> level]!;
      root = root ? nodeHash(subtree, root, hash) : subtree;
      end = start;
    }
  }
  return root!;
}

function referenceReader(levels: Uint8Array[][]): NodeReader {
  return async (level, index) => levels[level]![Number(index)]!;
}

/** A tile store: the published tiles by path, and a fetch that counts what it is asked for. */
function storeOf(...batches: { path: string; bytes: Uint8Array }[][]) {
  const tiles = new Map<string, Uint8Array>();
  for (const batch of batches) for (const tile of batch) tiles.set(tile.path, tile.bytes);
  const fetched: string[] = [];
  const fetchTile = async (path: string): Promise<Uint8Array> => {
    fetched.push(path);
    const bytes = tiles.get(path);
    if (!bytes) throw new Error(`404 ${path}`);
    return bytes;
  };
  return { tiles, fetched, fetchTile };
}

/** Checks every complete subtree of the tree against the reference, read through the tiles. */
async function assertEveryNode(reader: NodeReader, levels: Uint8Array[][], size: number) {
  for (let level = 0; 1 << level <= size; level++) {
    for (let index = 0; (index + 1) << level <= size; index++) {
      const got = await reader(level, BigInt(index));
      assert.equal(
        bytesToHex(got),
        bytesToHex(levels[level]![index]!),
        `size ${size}, node (${level}, ${index})`,
      );
    }
  }
}

describe('tile paths', () => {
  it('encodes N in three-digit groups, all but the last prefixed with x (C2SP tlog-tiles)', () => {
    // "index 1234067 will be encoded as x001/x234/067" (c2sp.org/tlog-tiles, "Merkle Tree").
    assert.equal(tilePath(0, 1234067n), 'tile/0/x001/x234/067');
    // transparency-dev/tessera api/layout/paths.go, ParseTileLevelIndexPartial's examples
    // (level 0), and the same partial tile one level up.
    assert.equal(tilePath(0, 1234067n, 8), 'tile/0/x001/x234/067.p/8');
    assert.equal(tilePath(1, 1234067n, 8), 'tile/1/x001/x234/067.p/8');
    assert.equal(entriesPath(1234067n), 'tile/entries/x001/x234/067');
    assert.equal(entriesPath(1234067n, 8), 'tile/entries/x001/x234/067.p/8');
    // golang.org/x/mod/sumdb/tlog tlog_test.go tilePaths, with the height element (tile/H/...)
    // dropped, as C2SP fixes it at 8.
    assert.equal(tilePath(0, 1n), 'tile/0/001');
    assert.equal(tilePath(0, 1n, 5), 'tile/0/001.p/5');
    assert.equal(tilePath(5, 123456078n), 'tile/5/x123/x456/078');
    assert.equal(tilePath(5, 123456078n, 2), 'tile/5/x123/x456/078.p/2');
    assert.equal(tilePath(0, 3057500n), 'tile/0/x003/x057/500');
    // The edges: 0, a group boundary, the largest index.
    assert.equal(tilePath(0, 0n), 'tile/0/000');
    assert.equal(tilePath(63, 1000n, 255), 'tile/63/x001/000.p/255');
    assert.equal(tilePath(0, maxUint64), 'tile/0/x018/x446/x744/x073/x709/x551/615');
  });

  it('parses the same vectors back', () => {
    assert.deepEqual(parseTilePath('tile/0/x001/x234/067'), {
      kind: 'hashes',
      level: 0,
      index: 1234067n,
      width: 256,
    });
    assert.deepEqual(parseTilePath('tile/1/x001/x234/067.p/8'), {
      kind: 'hashes',
      level: 1,
      index: 1234067n,
      width: 8,
    });
    assert.deepEqual(parseTilePath('tile/5/x123/x456/078.p/2'), {
      kind: 'hashes',
      level: 5,
      index: 123456078n,
      width: 2,
    });
    assert.deepEqual(parseTilePath('tile/entries/x003/x057/500'), {
      kind: 'entries',
      index: 3057500n,
      width: 256,
    });
    assert.deepEqual(parseTilePath('tile/entries/000.p/1'), {
      kind: 'entries',
      index: 0n,
      width: 1,
    });
  });

  it('round-trips every level, index and width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.bigInt({ min: 0n, max: maxUint64 }),
        fc.integer({ min: 1, max: 256 }),
        (level, index, width) => {
          assert.deepEqual(parseTilePath(tilePath(level, index, width)), {
            kind: 'hashes',
            level,
            index,
            width,
          });
          assert.deepEqual(parseTilePath(entriesPath(index, width)), {
            kind: 'entries',
            index,
            width,
          });
        },
      ),
    );
  });

  it('refuses every spelling but the canonical one', () => {
    for (const path of [
      'tile/5/123/456/078', // Go's tlog_test.go: groups before the last need their x
      'tile/-1/123/456/078', // Go's tlog_test.go: a negative level
      'tile/data/000', // Go's sumdb data tiles are not C2SP's
      'tile/64/000', // the level is at most 63
      'tile/01/000', // no leading zero in L
      'tile/0/x000/001', // no leading zero group in N
      'tile/0/x001', // the last group has no x
      'tile/0/1', // groups are three digits
      'tile/0/0001',
      'tile/0/x01/000',
      'tile/0/000.p/0', // W from 1 to 255
      'tile/0/000.p/256',
      'tile/0/000.p/08',
      'tile/0/000.p/',
      'tile/0/000.p',
      'tile/0/000.p/5/6',
      'tile/0/x018/x446/x744/x073/x709/x551/616', // 2^64
      '/tile/0/000',
      'tile/0/000/',
      'tile/0/',
      'tile/0',
      'tiles/0/000',
      'tile/entries',
      'tile/entries/abc',
      'tile/0/+12',
      'tile/0/ 12',
    ]) {
      assert.throws(() => parseTilePath(path), /malformed tile path/, path);
    }
  });

  it('refuses coordinates outside the spec', () => {
    assert.throws(() => tilePath(64, 0n), /tile level must be an integer from 0 to 63/);
    assert.throws(() => tilePath(0.5, 0n), /tile level/);
    assert.throws(() => tilePath(0, -1n), /tile index must be a bigint/);
    assert.throws(() => tilePath(0, maxUint64 + 1n), /tile index/);
    assert.throws(() => tilePath(0, 0n, 0), /tile width must be an integer from 1 to 256/);
    assert.throws(() => tilePath(0, 0n, 257), /tile width/);
    assert.throws(() => entriesPath(0n, 300), /entry bundle width/);
  });
});

describe('which tiles a log publishes', () => {
  it("matches the spec's tree of 70,000 and tree of 256 (C2SP tlog-tiles, Partial Tiles)", () => {
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
    // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
    // partial level 2 tile of width 1."
    const tiles = tileCoordinatesFor(0n, 70000n);
    const full0 = tiles.filter((t) => t.level === 0 && t.width === 256);
    assert.equal(full0.length, 273);
    assert.deepEqual(
      full0.map((t) => t.index),
      Array.from({ length: 273 }, (_, i) => BigInt(i)),
    );
    assert.deepEqual(
      tiles.filter((t) => t.level > 0 || t.width < 256),
      [
        { level: 0, index: 273n, width: 112 },
        { level: 1, index: 0n, width: 256 },
        { level: 1, index: 1n, width: 17 },
        { level: 2, index: 0n, width: 1 },
      ],
    );
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile
    // of width 1."
    assert.deepEqual(tileCoordinatesFor(0n, 256n), [
      { level: 0, index: 0n, width: 256 },
      { level: 1, index: 0n, width: 1 },
    ]);
    assert.equal(tileWidthInTree(0, 273n, 70000n), 112);
    assert.equal(tileWidthInTree(1, 1n, 70000n), 17);
    assert.equal(tileWidthInTree(2, 0n, 70000n), 1);
    assert.equal(tileWidthInTree(0, 274n, 70000n), 0);
    assert.equal(tileWidthInTree(3, 0n, 70000n), 0);
  });

  it('publishes only what changed when the log grows', () => {
    assert.deepEqual(tileCoordinatesFor(0n, 0n), []);
    assert.deepEqual(tileCoordinatesFor(5n, 5n), []);
    assert.deepEqual(tileCoordinatesFor(300n, 600n), [
      { level: 0, index: 1n, width: 256 },
      { level: 0, index: 2n, width: 88 },
      { level: 1, index: 0n, width: 2 },
    ]);
    // Within one level-0 tile, the level-1 tile does not change.
    assert.deepEqual(tileCoordinatesFor(257n, 258n), [{ level: 0, index: 1n, width: 2 }]);
    assert.deepEqual(tileCoordinatesFor(maxUint64 - 1n, maxUint64), [
      { level: 0, index: maxUint64 >> 8n, width: 255 },
    ]);
  });

  it('refuses a shrinking log or sizes outside uint64', () => {
    assert.throws(() => tileCoordinatesFor(2n, 1n), /old tree size 2 must not exceed/);
    assert.throws(() => tileCoordinatesFor(0n, maxUint64 + 1n), /new tree size/);
    assert.throws(() => tileCoordinatesFor(-1n, 1n), /old tree size/);
  });
});

describe('tiles written and read back', () => {
  // transparency-dev/merkle testonly/constants.go: LeafInputs() and RootHashes() (from the
  // certificate-transparency reference implementation's tests).
  const ctLeaves = [
    '',
    '00',
    '10',
    '2021',
    '3031',
    '40414243',
    '5051525354555657',
    '606162636465666768696a6b6c6d6e6f',
  ].map(hexToBytes);
  const ctRoots = [
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];

  it('gives the RFC 6962 roots of the CT test vectors at every size the log published', async () => {
    const hashes = ctLeaves.map((leaf) => leafHash(leaf));
    const store = storeOf();
    for (let size = 1; size <= 8; size++) {
      const tiles = await tilesFor(BigInt(size - 1), BigInt(size), hashes);
      assert.deepEqual(
        tiles.map((t) => t.path),
        [`tile/0/000.p/${size}`],
      );
      for (const tile of tiles) store.tiles.set(tile.path, tile.bytes);
    }
    assert.deepEqual(store.tiles.get('tile/0/000.p/8'), concatBytes(...hashes));
    for (let size = 0; size <= 8; size++) {
      const root = await rootFromTiles(BigInt(size), store.fetchTile);
      assert.equal(bytesToHex(root), ctRoots[size], `size ${size}`);
    }
  });

  it('reads back every subtree hash of random trees (fast-check, up to 3,000 leaves)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3000 }), async (size) => {
        const leaves = leafHashesOf(size);
        const levels = referenceLevels(leaves);
        const store = storeOf(await tilesFor(0n, BigInt(size), leaves));
        const reader = tileNodeReader(store.fetchTile, BigInt(size));
        await assertEveryNode(reader, levels, size);
        // Each tile was fetched once, however many nodes were read from it.
        assert.equal(new Set(store.fetched).size, store.fetched.length);
        const root = await rootFromTiles(BigInt(size), store.fetchTile);
        assert.deepEqual(root, referenceRoot(levels, size));
      }),
      { numRuns: 15 },
    );
  });

  it('fetches each tile once and reads partial tiles at the size given', async () => {
    const leaves = leafHashesOf(1000);
    const store = storeOf(await tilesFor(0n, 1000n, leaves));
    const reader = tileNodeReader(store.fetchTile, 1000n);
    await assertEveryNode(reader, referenceLevels(leaves), 1000);
    assert.deepEqual([...store.fetched].sort(), [
      'tile/0/000',
      'tile/0/001',
      'tile/0/002',
      'tile/0/003.p/232',
      'tile/1/000.p/3',
    ]);
  });

  it('publishes, as a log grows, exactly the tiles that changed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        async (a, b) => {
          const [oldSize, newSize] = a <= b ? [a, b] : [b, a];
          const leaves = leafHashesOf(newSize);
          const before = await tilesFor(0n, BigInt(oldSize), leaves);
          const growth = await tilesFor(BigInt(oldSize), BigInt(newSize), leaves);
          const after = await tilesFor(0n, BigInt(newSize), leaves);
          const beforePaths = new Set(before.map((t) => t.path));
          // The growth is what the new tree has and the old one had not, byte for byte.
          assert.deepEqual(
            growth.map((t) => [t.path, bytesToHex(t.bytes)]),
            after.filter((t) => !beforePaths.has(t.path)).map((t) => [t.path, bytesToHex(t.bytes)]),
          );
          // Both trees are readable from the accumulated store.
          const store = storeOf(before, growth);
          const levels = referenceLevels(leaves);
          for (const size of [oldSize, newSize]) {
            const root = await rootFromTiles(BigInt(size), store.fetchTile);
            assert.deepEqual(root, referenceRoot(levels, size), `size ${size}`);
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('handles larger trees grown from a non-zero size, across tile levels 1 and 2', async () => {
    const leaves = leafHashesOf(70300, nodeSha256);
    const levels = referenceLevels(leaves, nodeSha256);
    const store = storeOf();
    let published = 0;
    for (const [oldSize, newSize] of [
      [0, 65535],
      [65535, 65536],
      [65536, 65537],
      [65537, 70000],
      [70000, 70300],
    ] as const) {
      const tiles = await tilesFor(BigInt(oldSize), BigInt(newSize), leaves, nodeSha256);
      for (const tile of tiles) store.tiles.set(tile.path, tile.bytes);
      published += tiles.length;
      const root = await rootFromTiles(BigInt(newSize), store.fetchTile, nodeSha256);
      assert.deepEqual(root, referenceRoot(levels, newSize, nodeSha256), `size ${newSize}`);
    }
    // 65536 leaves make 256 full level-0 tiles, a full level-1 tile, and tile/2/000.p/1.
    assert.ok(store.tiles.has('tile/1/000'));
    assert.ok(store.tiles.has('tile/2/000.p/1'));
    assert.equal(store.tiles.get('tile/2/000.p/1')!.length, 32);
    assert.equal(published, store.tiles.size);
    // Every node at levels 8 and above, and a stride of the lower ones, in the 70,000 tree.
    const reader = tileNodeReader(store.fetchTile, 70000n, nodeSha256);
    for (let level = 0; 1 << level <= 70000; level++) {
      const stride = level < 8 ? 97 : 1;
      for (let index = 0; (index + 1) << level <= 70000; index += stride) {
        const got = await reader(level, BigInt(index));
        assert.deepEqual(got, levels[level]![index]!, `node (${level}, ${index})`);
      }
    }
  });

  it('writes the same tiles from a NodeReader as from the leaf hashes', async () => {
    const leaves = leafHashesOf(1300);
    const reader = referenceReader(referenceLevels(leaves));
    for (const [oldSize, newSize] of [
      [0n, 1300n],
      [255n, 1025n],
    ] as const) {
      assert.deepEqual(
        await tilesFor(oldSize, newSize, reader),
        await tilesFor(oldSize, newSize, leaves),
      );
    }
  });

  it('refuses missing or malformed leaf hashes', async () => {
    await assert.rejects(tilesFor(0n, 3n, leafHashesOf(2)), /leaf hashes: 2 given/);
    await assert.rejects(
      tilesFor(0n, 2n, [leafHash(new Uint8Array()), new Uint8Array(31)]),
      /leaf hash 1 must be 32 bytes/,
    );
    await assert.rejects(
      tilesFor(0n, 1n, async () => new Uint8Array(33)),
      /the hash at level 0, index 0 must be 32 bytes/,
    );
  });
});

describe('tiles that are not what they should be', () => {
  it('refuses a full tile with a flipped byte, naming it and its parent', async () => {
    const leaves = leafHashesOf(70000, nodeSha256);
    const published = await tilesFor(0n, 70000n, leaves, nodeSha256);
    const expectedRoot = referenceRoot(referenceLevels(leaves, nodeSha256), 70000, nodeSha256);
    for (const [victim, level, index, parent] of [
      ['tile/0/000', 0, 0n, 'tile/1/000'],
      ['tile/0/272', 3, 272n * 32n + 5n, 'tile/1/001.p/17'],
      ['tile/1/000', 8, 17n, 'tile/2/000.p/1'],
    ] as const) {
      const store = storeOf(published);
      const bytes = store.tiles.get(victim)!.slice();
      bytes[100]! ^= 0x01;
      store.tiles.set(victim, bytes);
      const reader = tileNodeReader(store.fetchTile, 70000n, nodeSha256);
      await assert.rejects(
        reader(level, index),
        new RegExp(`^Error: tile ${victim}: its hashes do not hash to hash \\d+ of tile ${parent}`),
        victim,
      );
      // The tiles the root is computed from are untouched: the root still matches.
      const root = await rootFromTiles(70000n, store.fetchTile, nodeSha256);
      assert.deepEqual(root, expectedRoot);
    }
  });

  it('detects a partial tile with a flipped byte: the root no longer matches', async () => {
    const leaves = leafHashesOf(600);
    const levels = referenceLevels(leaves);
    const published = await tilesFor(0n, 600n, leaves);
    for (const victim of ['tile/0/002.p/88', 'tile/1/000.p/2']) {
      for (const at of [0, 31, 33]) {
        const store = storeOf(published);
        const bytes = store.tiles.get(victim)!.slice();
        bytes[at]! ^= 0x80;
        store.tiles.set(victim, bytes);
        const root = await rootFromTiles(600n, store.fetchTile);
        assert.notDeepEqual(root, referenceRoot(levels, 600), `${victim} byte ${at}`);
      }
    }
  });

  it('refuses a short or long tile, naming its path', async () => {
    const leaves = leafHashesOf(300);
    for (const [path, level, index, change] of [
      ['tile/0/000', 0, 0n, (b: Uint8Array) => b.slice(0, -1)],
      ['tile/0/000', 1, 3n, (b: Uint8Array) => concatBytes(b, new Uint8Array(32))],
      ['tile/0/001.p/44', 0, 256n, (b: Uint8Array) => b.slice(0, 32 * 43)],
      ['tile/1/000.p/1', 8, 0n, () => new Uint8Array()],
      ['tile/1/000.p/1', 0, 255n, () => new Uint8Array(64)], // the parent of tile/0/000
    ] as const) {
      const store = storeOf(await tilesFor(0n, 300n, leaves));
      store.tiles.set(path, change(store.tiles.get(path)!));
      const reader = tileNodeReader(store.fetchTile, 300n);
      await assert.rejects(
        reader(level, index),
        (error: Error) =>
          error.message.startsWith(`tile ${path}: `) && / bytes, want \d+ /.test(error.message),
        path,
      );
    }
  });

  it('does not cache a failed fetch', async () => {
    const leaves = leafHashesOf(10);
    const store = storeOf();
    const reader = tileNodeReader(store.fetchTile, 10n);
    await assert.rejects(reader(0, 3n), /404 tile\/0\/000.p\/10/);
    for (const tile of await tilesFor(0n, 10n, leaves)) store.tiles.set(tile.path, tile.bytes);
    assert.deepEqual(await reader(0, 3n), leaves[3]);
    assert.deepEqual(await reader(1, 4n), nodeHash(leaves[8]!, leaves[9]!));
    assert.deepEqual(store.fetched, ['tile/0/000.p/10', 'tile/0/000.p/10']);
  });

  it('refuses a node that is not a complete subtree of the tree', async () => {
    const reader = tileNodeReader(async () => new Uint8Array(32 * 10), 10n);
    await assert.rejects(
      reader(0, 10n),
      /node \(level 0, index 10\) is not complete in a tree of size 10/,
    );
    await assert.rejects(reader(2, 2n), /not complete/);
    await assert.rejects(reader(4, 0n), /not complete/);
    await assert.rejects(reader(64, 0n), /node level must be an integer from 0 to 63/);
    await assert.rejects(reader(0, -1n), /node index/);
    assert.throws(() => tileNodeReader(async () => new Uint8Array(), -1n), /tree size/);
  });
});

describe('entry bundles', () => {
  it('writes each entry as a big-endian uint16 length and its bytes (C2SP tlog-tiles)', () => {
    assert.equal(
      bytesToHex(encodeEntryBundle([utf8ToBytes('hi'), new Uint8Array(), new Uint8Array(258)])),
      `00026869` + `0000` + `0102${'00'.repeat(258)}`,
    );
    const big = new Uint8Array(65535).fill(7);
    assert.deepEqual(decodeEntryBundle(encodeEntryBundle([big])), [big]);
  });

  it('round-trips any bundle of 1 to 256 entries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 256 }),
        (entries) => {
          const bytes = encodeEntryBundle(entries);
          assert.equal(
            bytes.length,
            entries.reduce((n, e) => n + 2 + e.length, 0),
          );
          assert.deepEqual(decodeEntryBundle(bytes), entries);
          assert.deepEqual(decodeEntryBundle(bytes, entries.length), entries);
        },
      ),
    );
  });

  it("hashes to the level-0 tile's leaf hashes", async () => {
    const entries = Array.from({ length: 40 }, (_, i) => utf8ToBytes(`entry ${i}`));
    const [tile] = await tilesFor(
      0n,
      40n,
      entries.map((e) => leafHash(e)),
    );
    assert.equal(tile!.path, 'tile/0/000.p/40');
    const bundle = decodeEntryBundle(encodeEntryBundle(entries), tile!.width);
    assert.deepEqual(concatBytes(...bundle.map((e) => leafHash(e))), tile!.bytes);
  });

  it('publishes the bundles that changed as the log grows, matching the level-0 tiles', async () => {
    const entries = Array.from({ length: 600 }, (_, i) => utf8ToBytes(`entry ${i}`));
    const hashes = entries.map((e) => leafHash(e));
    for (const [oldSize, newSize] of [
      [0n, 600n],
      [255n, 513n],
      [300n, 301n],
      [512n, 512n],
    ] as const) {
      const bundles = entryBundlesFor(oldSize, newSize, entries);
      const tiles = (await tilesFor(oldSize, newSize, hashes)).filter((t) => t.level === 0);
      assert.deepEqual(
        bundles.map((b) => b.path),
        tiles.map((t) => t.path.replace('tile/0/', 'tile/entries/')),
      );
      bundles.forEach((bundle, i) => {
        const decoded = decodeEntryBundle(bundle.bytes, bundle.width);
        assert.deepEqual(concatBytes(...decoded.map((e) => leafHash(e))), tiles[i]!.bytes);
      });
    }
    assert.deepEqual(
      entryBundlesFor(255n, 513n, entries).map((b) => b.path),
      ['tile/entries/000', 'tile/entries/001', 'tile/entries/002.p/1'],
    );
    assert.throws(() => entryBundlesFor(0n, 601n, entries), /entries: 600 given/);
  });

  it('refuses what is not a bundle', () => {
    assert.throws(
      () => encodeEntryBundle([new Uint8Array(65536)]),
      /entry 0 is 65536 bytes, more than 65535/,
    );
    assert.throws(() => encodeEntryBundle([]), /must hold 1 to 256 entries, got 0/);
    assert.throws(
      () => encodeEntryBundle(Array.from({ length: 257 }, () => new Uint8Array())),
      /got 257/,
    );
    assert.throws(() => decodeEntryBundle(new Uint8Array()), /got 0/);
    assert.throws(() => decodeEntryBundle(hexToBytes('00')), /entry 0's length prefix is cut off/);
    assert.throws(() => decodeEntryBundle(hexToBytes('0001')), /entry 0 needs 1 bytes, 0 remain/);
    assert.throws(
      () => decodeEntryBundle(hexToBytes('000141' + '00')),
      /entry 1's length prefix is cut off/,
    );
    assert.throws(() => decodeEntryBundle(hexToBytes('0000'.repeat(257))), /more than 256 entries/);
    assert.throws(() => decodeEntryBundle(hexToBytes('00000000'), 3), /2 entries, its path says 3/);
    assert.throws(() => decodeEntryBundle(hexToBytes('0000'), 0), /entry bundle width/);
  });
});
