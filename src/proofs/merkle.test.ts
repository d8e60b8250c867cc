/**
 * Merkle roots and proofs (RFC 9162 §2.1): the reference tree of RFC 6962's implementations
 * (transparency-dev/merkle, Certificate Transparency), a naive recursion written from the RFC
 * text to compare against, properties over random trees, and the edges (sizes 0 and 1, the
 * last leaf, 2^64 − 1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { emptyRoot, leafHash, type NodeReader, nodeHash, type Sha256, sha256 } from './hash.ts';
import {
  consistencyProof,
  inclusionProof,
  maxTreeSize,
  memoryNodes,
  rootOf,
  type Verification,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

// ---------------------------------------------------------------------------------------------
// The reference tree: transparency-dev/merkle, commit 417fb0c314750d94e53942e9f92e79b6d35915db,
// testonly/constants.go (LeafInputs, RootHashes) and testonly/reference_test.go
// (TestRefInclusionProof, TestRefConsistencyProof). The same eight leaves and roots are those of
// Certificate Transparency's merkle_tree_test.cc.

const referenceLeaves = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hexToBytes);

/** RootHashes(): the root of the first n leaves, n = 0 … 8. */
const referenceRoots = [
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

/** TestRefInclusionProof: the audit path of leaf `index` in the tree of `size`. */
const referenceInclusion: { index: bigint; size: bigint; proof: string[] }[] = [
  { index: 0n, size: 1n, proof: [] },
  {
    index: 0n,
    size: 2n,
    proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7'],
  },
  {
    index: 1n,
    size: 2n,
    proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'],
  },
  {
    index: 2n,
    size: 3n,
    proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'],
  },
  {
    index: 1n,
    size: 5n,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    index: 0n,
    size: 8n,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5n,
    size: 8n,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

/** TestRefConsistencyProof: the consistency path from `size1` to `size2`. */
const referenceConsistency: { size1: bigint; size2: bigint; proof: string[] }[] = [
  { size1: 1n, size2: 1n, proof: [] },
  {
    size1: 1n,
    size2: 8n,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 2n,
    size2: 5n,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6n,
    size2: 8n,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const referenceNodes = memoryNodes(referenceLeaves.map((leaf) => leafHash(leaf)));
const hex = (hashes: readonly Uint8Array[]) => hashes.map(bytesToHex);

const assertValid = (verification: Verification, what: string) =>
  assert.deepEqual(verification, { ok: true }, what);

function assertInvalid(verification: Verification, pattern: RegExp, what = ''): void {
  assert.equal(verification.ok, false, `${what}: accepted`);
  if (!verification.ok) assert.match(verification.reason, pattern, what);
}

describe('the RFC 6962 reference tree (transparency-dev/merkle testonly)', () => {
  it('has the published root for every size 0 to 8', async () => {
    for (const [size, root] of referenceRoots.entries())
      assert.equal(bytesToHex(await rootOf(BigInt(size), referenceNodes)), root, `size ${size}`);
  });

  it('gives the published inclusion paths, and they verify', async () => {
    for (const { index, size, proof } of referenceInclusion) {
      const made = await inclusionProof(index, size, referenceNodes);
      assert.deepEqual(hex(made), proof, `index ${index} size ${size}`);
      assertValid(
        verifyInclusion({
          index,
          size,
          leafHash: leafHash(referenceLeaves[Number(index)]!),
          proof: proof.map(hexToBytes),
          root: hexToBytes(referenceRoots[Number(size)]!),
        }),
        `index ${index} size ${size}`,
      );
    }
  });

  it('gives the published consistency paths, and they verify', async () => {
    for (const { size1, size2, proof } of referenceConsistency) {
      const made = await consistencyProof(size1, size2, referenceNodes);
      assert.deepEqual(hex(made), proof, `${size1} to ${size2}`);
      assertValid(
        verifyConsistency({
          size1,
          size2,
          root1: hexToBytes(referenceRoots[Number(size1)]!),
          root2: hexToBytes(referenceRoots[Number(size2)]!),
          proof: proof.map(hexToBytes),
        }),
        `${size1} to ${size2}`,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A naive reading of RFC 9162 §2.1 over a list of leaf hashes: MTH, PATH and SUBPROOF exactly as
// the RFC writes them, recursing over the list itself (no stored nodes, no bits).

function mth(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha256(new Uint8Array());
  if (hashes.length === 1) return hashes[0]!;
  const k = largestPowerOfTwoBelow(hashes.length);
  return nodeHash(mth(hashes.slice(0, k)), mth(hashes.slice(k)));
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function naivePath(m: number, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length === 1) return [];
  const k = largestPowerOfTwoBelow(hashes.length);
  return m < k
    ? [...naivePath(m, hashes.slice(0, k)), mth(hashes.slice(k))]
    : [...naivePath(m - k, hashes.slice(k)), mth(hashes.slice(0, k))];
}

function naiveSubproof(m: number, hashes: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === hashes.length) return b ? [] : [mth(hashes)];
  const k = largestPowerOfTwoBelow(hashes.length);
  return m <= k
    ? [...naiveSubproof(m, hashes.slice(0, k), b), mth(hashes.slice(k))]
    : [...naiveSubproof(m - k, hashes.slice(k), false), mth(hashes.slice(0, k))];
}

/** The leaf hashes of the leaves "0", "1", …: distinct, so every subtree hash differs. */
const numberedLeaves = (count: number) =>
  Array.from({ length: count }, (_, i) => leafHash(utf8ToBytes(String(i))));

const allLeaves = numberedLeaves(300);

/** A reader over exactly the first `size` leaves: a read beyond them throws. */
const nodesOf = (size: bigint) => memoryNodes(allLeaves.slice(0, Number(size)));

describe('proofs against a naive reading of RFC 9162 §2.1', () => {
  it('agree for every index and pair of sizes up to 40', async () => {
    for (let n = 1; n <= 40; n++) {
      const hashes = allLeaves.slice(0, n);
      const nodes = nodesOf(BigInt(n));
      assert.equal(
        bytesToHex(await rootOf(BigInt(n), nodes)),
        bytesToHex(mth(hashes)),
        `root ${n}`,
      );
      for (let m = 0; m < n; m++)
        assert.deepEqual(
          hex(await inclusionProof(BigInt(m), BigInt(n), nodes)),
          hex(naivePath(m, hashes)),
        );
      for (let m = 1; m <= n; m++)
        assert.deepEqual(
          hex(await consistencyProof(BigInt(m), BigInt(n), nodes)),
          hex(naiveSubproof(m, hashes, true)),
          `${m} to ${n}`,
        );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random trees of up to 300 leaves.

const roots = new Map<bigint, Uint8Array>();
async function rootFor(size: bigint): Promise<Uint8Array> {
  let root = roots.get(size);
  if (root === undefined) {
    root = await rootOf(size, nodesOf(size));
    roots.set(size, root);
  }
  return root;
}

/** `bytes` with bit `bit` (mod its length in bits) flipped, in a copy. */
function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  const at = bit % (copy.length * 8);
  copy[at >> 3]! ^= 1 << (at & 7);
  return copy;
}

/** A tree size, an index below it, and a second size and index to try instead. */
const treeAndIndex = fc.integer({ min: 1, max: 300 }).chain((size) =>
  fc.record({
    size: fc.constant(BigInt(size)),
    index: fc.bigInt({ min: 0n, max: BigInt(size - 1) }),
    otherSize: fc.bigInt({ min: 1n, max: 300n }),
    otherIndex: fc.bigInt({ min: 0n, max: BigInt(size - 1) }),
    bit: fc.nat(),
    at: fc.nat(),
    extra: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
);

describe('inclusion proofs of random trees', () => {
  it('verify, and read only the nodes they need', async () => {
    await fc.assert(
      fc.asyncProperty(treeAndIndex, async ({ size, index }) => {
        let reads = 0;
        const inner = nodesOf(size);
        const counted: NodeReader = (level, i) => {
          reads++;
          return inner(level, i);
        };
        const proof = await inclusionProof(index, size, counted);
        // One read per hash, but for a partial right edge: one read per complete subtree in it.
        assert.ok(reads <= proof.length + size.toString(2).length, `${reads} reads`);
        const leaf = allLeaves[Number(index)]!;
        assertValid(
          verifyInclusion({ index, size, leafHash: leaf, proof, root: await rootFor(size) }),
          `index ${index} size ${size}`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('fail with any bit flipped, a hash missing or added, or another index or size', async () => {
    await fc.assert(
      fc.asyncProperty(
        treeAndIndex,
        async ({ size, index, otherSize, otherIndex, bit, at, extra }) => {
          const proof = await inclusionProof(index, size, nodesOf(size));
          const root = await rootFor(size);
          const leaf = allLeaves[Number(index)]!;
          const claim = { index, size, leafHash: leaf, proof, root };
          const fails = (changed: Partial<typeof claim>, what: string) =>
            assertInvalid(verifyInclusion({ ...claim, ...changed }), /./, what);
          fails({ leafHash: flip(leaf, bit) }, 'leaf hash flipped');
          fails({ root: flip(root, bit) }, 'root flipped');
          if (proof.length > 0) {
            const i = at % proof.length;
            fails(
              { proof: proof.map((h, j) => (j === i ? flip(h, bit) : h)) },
              `hash ${i} flipped`,
            );
            fails({ proof: proof.slice(1) }, 'first hash removed');
            fails({ proof: proof.slice(0, -1) }, 'last hash removed');
          }
          fails({ proof: [...proof, extra] }, 'hash appended');
          fails({ proof: [extra, ...proof] }, 'hash prepended');
          if (otherIndex !== index) fails({ index: otherIndex }, `index ${otherIndex}`);
          // Another size, with that tree's root: an inclusion proof does not name its tree's
          // size (see the test below), but it leads to one root only.
          if (otherSize !== size && otherSize > index)
            fails({ size: otherSize, root: await rootFor(otherSize) }, `size ${otherSize}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('do not bind the tree size by themselves: the size is trusted with the root', async () => {
    // Leaf 0 of the tree of 7 has the path (h1, h23, h456); the tree of 8 would have (h1, h23,
    // h4567), hashed the same way. So the proof for size 7 also "verifies" for size 8 with the
    // root of 7: a verifier must take the size from the same signed checkpoint as the root.
    const proof = await inclusionProof(0n, 7n, referenceNodes);
    const root = hexToBytes(referenceRoots[7]!);
    const leaf = leafHash(referenceLeaves[0]!);
    assertValid(verifyInclusion({ index: 0n, size: 8n, leafHash: leaf, proof, root }), 'size 8');
    assertInvalid(
      verifyInclusion({
        index: 0n,
        size: 8n,
        leafHash: leaf,
        proof,
        root: hexToBytes(referenceRoots[8]!),
      }),
      /^root mismatch/,
    );
  });
});

describe('consistency proofs of random trees', () => {
  const sizes = fc
    .tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }))
    .map(([a, b]) => ({ size1: BigInt(Math.min(a, b)), size2: BigInt(Math.max(a, b)) }));
  const trial = fc.record({
    sizes,
    other: fc.bigInt({ min: 1n, max: 300n }),
    bit: fc.nat(),
    at: fc.nat(),
    extra: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  });

  it('verify', async () => {
    await fc.assert(
      fc.asyncProperty(trial, async ({ sizes: { size1, size2 } }) => {
        const proof = await consistencyProof(size1, size2, nodesOf(size2));
        const [root1, root2] = [await rootFor(size1), await rootFor(size2)];
        assertValid(
          verifyConsistency({ size1, size2, root1, root2, proof }),
          `${size1} to ${size2}`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('fail with any bit flipped, a hash missing or added, or another size', async () => {
    await fc.assert(
      fc.asyncProperty(trial, async ({ sizes: { size1, size2 }, other, bit, at, extra }) => {
        const proof = await consistencyProof(size1, size2, nodesOf(size2));
        const [root1, root2] = [await rootFor(size1), await rootFor(size2)];
        const claim = { size1, size2, root1, root2, proof };
        const fails = (changed: Partial<typeof claim>, what: string) =>
          assertInvalid(
            verifyConsistency({ ...claim, ...changed }),
            /./,
            `${size1} to ${size2}: ${what}`,
          );
        fails({ root1: flip(root1, bit) }, 'root1 flipped');
        fails({ root2: flip(root2, bit) }, 'root2 flipped');
        if (proof.length > 0) {
          const i = at % proof.length;
          fails({ proof: proof.map((h, j) => (j === i ? flip(h, bit) : h)) }, `hash ${i} flipped`);
          fails({ proof: proof.slice(1) }, 'first hash removed');
          fails({ proof: proof.slice(0, -1) }, 'last hash removed');
        }
        fails({ proof: [...proof, extra] }, 'hash appended');
        fails({ proof: [extra, ...proof] }, 'hash prepended');
        if (other !== size1 && other <= size2)
          fails({ size1: other, root1: await rootFor(other) }, `size1 ${other}`);
        if (other !== size2 && other >= size1)
          fails({ size2: other, root2: await rootFor(other) }, `size2 ${other}`);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Edges.

/**
 * A reader over a log of 2^64 leaves, all with the hash `plain` but leaf `special`: every
 * subtree hash is computed in 64 steps, so proofs of the largest trees can be made and checked.
 */
function hugeLog(special: bigint): NodeReader {
  const plain = [leafHash(utf8ToBytes('plain'))];
  const marked = [leafHash(utf8ToBytes('special'))];
  for (let level = 0; level < 64; level++) {
    plain.push(nodeHash(plain[level]!, plain[level]!));
    const right = ((special >> BigInt(level)) & 1n) === 1n;
    marked.push(
      right ? nodeHash(plain[level]!, marked[level]!) : nodeHash(marked[level]!, plain[level]!),
    );
  }
  return async (level, index) =>
    (index === special >> BigInt(level) ? marked : plain)[level]!.slice();
}

describe('edges', () => {
  it('size 0: the empty root, no inclusion, no consistency from it', async () => {
    assert.equal(bytesToHex(await rootOf(0n, referenceNodes)), bytesToHex(emptyRoot));
    await assert.rejects(inclusionProof(0n, 0n, referenceNodes), /index 0 is not below size 0/);
    await assert.rejects(consistencyProof(0n, 3n, referenceNodes), /size1 is 0/);
    await assert.rejects(consistencyProof(0n, 0n, referenceNodes), /size1 is 0/);
    assertInvalid(
      verifyInclusion({ index: 0n, size: 0n, leafHash: emptyRoot, proof: [], root: emptyRoot }),
      /^index 0 is not below size 0$/,
    );
    assertInvalid(
      verifyConsistency({ size1: 0n, size2: 0n, root1: emptyRoot, root2: emptyRoot, proof: [] }),
      /^size1 is 0/,
    );
  });

  it('size 1: the root is the leaf hash, the proof is empty', async () => {
    const leaf = leafHash(referenceLeaves[0]!);
    assert.deepEqual(await inclusionProof(0n, 1n, referenceNodes), []);
    assertValid(
      verifyInclusion({ index: 0n, size: 1n, leafHash: leaf, proof: [], root: leaf }),
      '0 of 1',
    );
    assertInvalid(
      verifyInclusion({ index: 0n, size: 1n, leafHash: leaf, proof: [leaf], root: leaf }),
      /^proof has 1 hash, index 0 in a tree of 1 needs 0$/,
    );
    assertInvalid(
      verifyInclusion({ index: 0n, size: 1n, leafHash: leaf, proof: [], root: emptyRoot }),
      /^root mismatch/,
    );
  });

  it('equal sizes: an empty proof and equal roots', () => {
    const root = hexToBytes(referenceRoots[5]!);
    const other = hexToBytes(referenceRoots[6]!);
    assertValid(
      verifyConsistency({ size1: 5n, size2: 5n, root1: root, root2: root, proof: [] }),
      '5 to 5',
    );
    assertInvalid(
      verifyConsistency({ size1: 5n, size2: 5n, root1: root, root2: other, proof: [] }),
      /^root1 and root2 differ for the same size 5$/,
    );
    assertInvalid(
      verifyConsistency({ size1: 5n, size2: 5n, root1: root, root2: root, proof: [root] }),
      /^proof has 1 hash, equal sizes need none$/,
    );
    assertInvalid(
      verifyConsistency({ size1: 6n, size2: 5n, root1: root, root2: root, proof: [] }),
      /^size1 6 is above size2 5$/,
    );
  });

  it('the last leaf of every size up to 64', async () => {
    for (let size = 1n; size <= 64n; size++) {
      const nodes = nodesOf(size);
      const proof = await inclusionProof(size - 1n, size, nodes);
      const claim = { index: size - 1n, size, leafHash: allLeaves[Number(size) - 1]!, proof };
      assertValid(verifyInclusion({ ...claim, root: await rootOf(size, nodes) }), `size ${size}`);
    }
  });

  it('refuses indices and sizes at and beyond 2^64 − 1 cleanly', async () => {
    const h = emptyRoot;
    assertInvalid(
      verifyInclusion({ index: maxTreeSize, size: 1n, leafHash: h, proof: [], root: h }),
      /^index 18446744073709551615 is not below size 1$/,
    );
    assertInvalid(
      verifyInclusion({ index: maxTreeSize, size: maxTreeSize, leafHash: h, proof: [], root: h }),
      /^index 18446744073709551615 is not below size 18446744073709551615$/,
    );
    assertInvalid(
      verifyInclusion({ index: 0n, size: maxTreeSize + 1n, leafHash: h, proof: [], root: h }),
      /^size 18446744073709551616 is above 2\^64 − 1$/,
    );
    assertInvalid(
      verifyInclusion({ index: -1n, size: 1n, leafHash: h, proof: [], root: h }),
      /^index -1 is negative$/,
    );
    assertInvalid(
      verifyConsistency({ size1: 1n, size2: maxTreeSize + 1n, root1: h, root2: h, proof: [] }),
      /^size2 18446744073709551616 is above 2\^64 − 1$/,
    );
    await assert.rejects(inclusionProof(maxTreeSize, maxTreeSize, referenceNodes), RangeError);
    await assert.rejects(inclusionProof(0n, maxTreeSize + 1n, referenceNodes), /above 2\^64 − 1/);
  });

  it('proves and checks in the tree of 2^64 − 1 leaves', async () => {
    for (const special of [maxTreeSize - 1n, 12345n, 1n << 63n]) {
      const nodes = hugeLog(special);
      const size = maxTreeSize;
      const root = await rootOf(size, nodes);
      const leaf = await nodes(0, special);
      const proof = await inclusionProof(special, size, nodes);
      assertValid(
        verifyInclusion({ index: special, size, leafHash: leaf, proof, root }),
        `${special}`,
      );
      assertInvalid(
        verifyInclusion({ index: special - 1n, size, leafHash: leaf, proof, root }),
        /./,
        `${special} − 1`,
      );
      const size1 = (1n << 63n) + 3n;
      const consistency = await consistencyProof(size1, size, nodes);
      const root1 = await rootOf(size1, nodes);
      assertValid(
        verifyConsistency({ size1, size2: size, root1, root2: root, proof: consistency }),
        `${size1} to 2^64 − 1`,
      );
      assertInvalid(
        verifyConsistency({ size1, size2: size, root1: root, root2: root1, proof: consistency }),
        /mismatch/,
      );
    }
    // The last leaf of the largest tree: 63 left siblings.
    const last = await inclusionProof(maxTreeSize - 1n, maxTreeSize, hugeLog(0n));
    assert.equal(last.length, 63);
  });

  it('says what is wrong with a hash', () => {
    const h = emptyRoot;
    const short = h.slice(0, 31);
    assertInvalid(
      verifyInclusion({ index: 0n, size: 2n, leafHash: h, proof: [short], root: h }),
      /^proof hash 0 is 31 bytes, not 32$/,
    );
    assertInvalid(
      verifyInclusion({ index: 0n, size: 2n, leafHash: short, proof: [h], root: h }),
      /^leaf hash is 31 bytes, not 32$/,
    );
    assertInvalid(
      verifyConsistency({ size1: 1n, size2: 2n, root1: h, root2: short, proof: [h] }),
      /^root2 is 31 bytes, not 32$/,
    );
    assertInvalid(
      verifyInclusion({ index: 1n, size: 5n, leafHash: h, proof: [h, h, h, h], root: h }),
      /^proof has 4 hashes, index 1 in a tree of 5 needs 3$/,
    );
  });

  it('takes another SHA-256 implementation where it is given one', async () => {
    // A different function stands in, to show that it is the one used everywhere.
    const twice: Sha256 = (data) => sha256(sha256(data));
    const hashes = referenceLeaves.map((leaf) => leafHash(leaf, twice));
    const nodes = memoryNodes(hashes, twice);
    const root = await rootOf(8n, nodes, twice);
    assert.notEqual(bytesToHex(root), referenceRoots[8]);
    assert.equal(bytesToHex(await rootOf(0n, nodes, twice)), bytesToHex(twice(new Uint8Array())));
    const proof = await inclusionProof(5n, 8n, nodes, twice);
    const claim = { index: 5n, size: 8n, leafHash: hashes[5]!, proof, root };
    assertValid(verifyInclusion(claim, twice), 'with the same function');
    assertInvalid(verifyInclusion(claim), /^root mismatch/);
    const consistency = await consistencyProof(3n, 8n, nodes, twice);
    const root1 = await rootOf(3n, nodes, twice);
    assertValid(
      verifyConsistency({ size1: 3n, size2: 8n, root1, root2: root, proof: consistency }, twice),
      '3 to 8',
    );
  });

  it('memoryNodes refuses what is not a hash or not a complete subtree, and keeps its own copies', async () => {
    assert.throws(() => memoryNodes([new Uint8Array(31)]), /leaf hash 0 is 31 bytes, not 32/);
    const nodes = memoryNodes(allLeaves.slice(0, 5));
    await assert.rejects(nodes(0, 5n), /not a complete subtree of 5 leaves/);
    await assert.rejects(nodes(1, 2n), /not a complete subtree of 5 leaves/);
    await assert.rejects(nodes(3, 0n), /not a complete subtree of 5 leaves/);
    const read = await nodes(2, 0n);
    read.fill(0);
    assert.notDeepEqual(await nodes(2, 0n), read);
    assert.deepEqual(await nodes(2, 0n), mth(allLeaves.slice(0, 4)));
  });

  it('refuses a node reader that gives something other than a hash', async () => {
    const broken: NodeReader = async () => new Uint8Array(16);
    await assert.rejects(
      rootOf(3n, broken),
      /gave 16 bytes for level \d+ index \d+, not a 32-byte hash/,
    );
  });
});
