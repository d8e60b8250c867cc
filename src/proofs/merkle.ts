/**
 * Merkle tree roots and proofs of RFC 6962 / RFC 9162 §2.1: the root of the first `size` leaves
 * of a log, inclusion proofs (a leaf is in a tree) and consistency proofs (a smaller tree is a
 * prefix of a larger one), generated from a log's stored hashes and verified by anyone.
 *
 * Generation reads only complete subtrees through a `NodeReader` (`hash.ts`): a tree's partial
 * right edge is hashed here from the complete subtrees it is made of, so a log stores nothing
 * but complete subtrees (as tiles do). Verification follows the algorithms of RFC 9162
 * §2.1.3.2 and §2.1.4.2 step by step, after checking every input's shape, and answers with a
 * `Verification`: `{ ok: true }` or `{ ok: false, reason }`, the reason in words a person reads.
 * A verifier never throws on what a proof, a root or a size holds.
 *
 * Sizes and indices are `bigint`, 0 to 2^64 − 1, as in RFC 9162's `uint64` fields.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes, hashBytes, type NodeReader, nodeHash, type Sha256, sha256 } from './hash.ts';

/**
 * The largest tree size and leaf index: 2^64 − 1.
 * @example maxTreeSize === 18446744073709551615n
 */
export const maxTreeSize: bigint = (1n << 64n) - 1n;

/**
 * What a verifier answers: the proof holds, or why it does not.
 * @example const v = verifyInclusion(claim); if (!v.ok) console.log(v.reason) // 'root mismatch: …'
 */
export type Verification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * What an inclusion proof claims: the leaf with `leafHash` is at `index` in the tree of `size`
 * leaves with `root`. The size is not bound by the proof alone: take it from the same signed
 * checkpoint as the root.
 * @example const claim: InclusionClaim = { index: 5n, size: 8n, leafHash, proof, root }
 */
export interface InclusionClaim {
  readonly index: bigint;
  readonly size: bigint;
  readonly leafHash: Uint8Array;
  /** The audit path, from the leaf up (RFC 9162 §2.1.3.1). */
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/**
 * What a consistency proof claims: the tree of `size1` leaves with `root1` is a prefix of the
 * tree of `size2` leaves with `root2`.
 * @example const claim: ConsistencyClaim = { size1: 6n, size2: 8n, root1, root2, proof }
 */
export interface ConsistencyClaim {
  readonly size1: bigint;
  readonly size2: bigint;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  /** The consistency path, from the leaves up (RFC 9162 §2.1.4.1). */
  readonly proof: readonly Uint8Array[];
}

// ---------------------------------------------------------------------------------------------
// Bits of tree sizes.

/** The number of bits of `x` (0 for 0): a subtree of `2^bitLength(x − 1)` leaves holds x leaves. */
function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The number of 1 bits of `x`. */
function onesCount(x: bigint): number {
  let count = 0;
  for (let rest = x; rest > 0n; rest >>= 1n) if (rest & 1n) count++;
  return count;
}

/** The number of trailing 0 bits of `x` > 0. */
function trailingZeros(x: bigint): number {
  let count = 0;
  for (let rest = x; (rest & 1n) === 0n; rest >>= 1n) count++;
  return count;
}

/** k of RFC 9162 §2.1.1: the largest power of two smaller than `n` (n ≥ 2). */
function split(n: bigint): bigint {
  return 1n << BigInt(bitLength(n - 1n) - 1);
}

/** Whether `x` > 0 is a power of two. */
function isPowerOfTwo(x: bigint): boolean {
  return (x & (x - 1n)) === 0n;
}

/** Why `value` is no size or index (a `bigint` from 0 to 2^64 − 1), or undefined. */
function notUint64(name: string, value: unknown): string | undefined {
  if (typeof value !== 'bigint') return `${name} is not a bigint`;
  if (value < 0n) return `${name} ${value} is negative`;
  if (value > maxTreeSize) return `${name} ${value} is above 2^64 − 1`;
  return undefined;
}

/** `notUint64` as a thrown `RangeError`, for the generators. */
function requireUint64(name: string, value: bigint): void {
  const problem = notUint64(name, value);
  if (problem !== undefined) throw new RangeError(`${problem}: give a bigint from 0 to 2^64 − 1`);
}

// ---------------------------------------------------------------------------------------------
// Generation: roots and proofs from complete subtrees.

/** Reads a node and checks that it is a hash. */
async function readNode(nodes: NodeReader, level: number, index: bigint): Promise<Uint8Array> {
  const node = await nodes(level, index);
  if (!(node instanceof Uint8Array) || node.length !== hashBytes)
    throw new Error(
      `the node reader gave ${node instanceof Uint8Array ? `${node.length} bytes` : typeof node} for level ${level} index ${index}, not a ${hashBytes}-byte hash`,
    );
  return node;
}

/**
 * MTH of the `count` > 0 leaves from `begin` (RFC 9162 §2.1.1), where `begin` is a multiple of
 * the largest power of two in `count`: every range RFC 9162's recursion splits a tree into.
 * Read as the complete subtrees of `count`'s binary form, largest first, then hashed right to
 * left (the largest power of two on the left, the rest of the range on the right).
 */
async function rangeHash(
  nodes: NodeReader,
  begin: bigint,
  count: bigint,
  hash: Sha256,
): Promise<Uint8Array> {
  const reads: Promise<Uint8Array>[] = [];
  let at = begin;
  for (let level = bitLength(count) - 1; level >= 0; level--) {
    const width = 1n << BigInt(level);
    if ((count & width) === 0n) continue;
    if (at % width !== 0n)
      throw new Error(`assertion failed: the range from ${begin} is not aligned at ${at}`);
    reads.push(readNode(nodes, level, at >> BigInt(level)));
    at += width;
  }
  const subtrees = await Promise.all(reads);
  let root = subtrees[subtrees.length - 1]!;
  for (let i = subtrees.length - 2; i >= 0; i--) root = nodeHash(subtrees[i]!, root, hash);
  return root;
}

/**
 * The root hash of the first `size` leaves (MTH, RFC 9162 §2.1.1), from the complete subtrees
 * `nodes` holds: one read per 1 bit of `size`. The empty tree's root is `SHA-256("")`.
 * @example await rootOf(3n, memoryNodes([a, b, c].map((x) => leafHash(x)))) // nodeHash(nodeHash(A, B), C)
 */
export async function rootOf(
  size: bigint,
  nodes: NodeReader,
  hash: Sha256 = sha256,
): Promise<Uint8Array> {
  requireUint64('size', size);
  if (size === 0n) return hash(new Uint8Array());
  return rangeHash(nodes, 0n, size, hash);
}

/**
 * The inclusion proof (audit path) of the leaf at `index` in the tree of the first `size`
 * leaves: PATH(index, D[size]) of RFC 9162 §2.1.3.1, the sibling hashes from the leaf up. Reads
 * one node per level, and the complete subtrees of the tree's partial right edge once.
 * @example await inclusionProof(5n, 8n, nodes) // 3 hashes
 */
export async function inclusionProof(
  index: bigint,
  size: bigint,
  nodes: NodeReader,
  hash: Sha256 = sha256,
): Promise<Uint8Array[]> {
  requireUint64('index', index);
  requireUint64('size', size);
  if (index >= size) throw new RangeError(`index ${index} is not below size ${size}`);
  return path(index, 0n, size, nodes, hash);
}

/** PATH(m, D[begin : begin + n]) of RFC 9162 §2.1.3.1, `m` relative to `begin`. */
async function path(
  m: bigint,
  begin: bigint,
  n: bigint,
  nodes: NodeReader,
  hash: Sha256,
): Promise<Uint8Array[]> {
  if (n === 1n) return [];
  const k = split(n);
  if (m < k)
    return [
      ...(await path(m, begin, k, nodes, hash)),
      await rangeHash(nodes, begin + k, n - k, hash),
    ];
  return [
    ...(await path(m - k, begin + k, n - k, nodes, hash)),
    await rangeHash(nodes, begin, k, hash),
  ];
}

/**
 * The consistency proof that the tree of the first `size1` leaves is a prefix of the tree of
 * the first `size2`: PROOF(size1, D[size2]) of RFC 9162 §2.1.4.1, from the leaves up. Empty
 * when the sizes are equal; refused from size 0 (nothing proves anything from the empty tree).
 * @example await consistencyProof(6n, 8n, nodes) // 3 hashes
 */
export async function consistencyProof(
  size1: bigint,
  size2: bigint,
  nodes: NodeReader,
  hash: Sha256 = sha256,
): Promise<Uint8Array[]> {
  requireUint64('size1', size1);
  requireUint64('size2', size2);
  if (size1 === 0n)
    throw new RangeError('size1 is 0: no consistency proof exists from the empty tree');
  if (size1 > size2) throw new RangeError(`size1 ${size1} is above size2 ${size2}`);
  return subproof(size1, 0n, size2, true, nodes, hash);
}

/** SUBPROOF(m, D[begin : begin + n], b) of RFC 9162 §2.1.4.1. */
async function subproof(
  m: bigint,
  begin: bigint,
  n: bigint,
  b: boolean,
  nodes: NodeReader,
  hash: Sha256,
): Promise<Uint8Array[]> {
  if (m === n) return b ? [] : [await rangeHash(nodes, begin, n, hash)];
  const k = split(n);
  if (m <= k)
    return [
      ...(await subproof(m, begin, k, b, nodes, hash)),
      await rangeHash(nodes, begin + k, n - k, hash),
    ];
  return [
    ...(await subproof(m - k, begin + k, n - k, false, nodes, hash)),
    await rangeHash(nodes, begin, k, hash),
  ];
}

// ---------------------------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2, §2.1.4.2).

const valid: Verification = { ok: true };
const invalid = (reason: string): Verification => ({ ok: false, reason });

/** Why `value` is not a 32-byte hash, or undefined. */
function notAHash(name: string, value: unknown): string | undefined {
  if (!(value instanceof Uint8Array)) return `${name} is not bytes`;
  if (value.length !== hashBytes) return `${name} is ${value.length} bytes, not ${hashBytes}`;
  return undefined;
}

/** Why `proof` is not a list of 32-byte hashes, or undefined. */
function notAPath(proof: unknown): string | undefined {
  if (!Array.isArray(proof)) return 'proof is not a list of hashes';
  for (const [i, node] of proof.entries()) {
    const problem = notAHash(`proof hash ${i}`, node);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The first of `problems` that is one. */
function firstProblem(...problems: (string | undefined)[]): string | undefined {
  return problems.find((problem) => problem !== undefined);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 'es'}`;

/**
 * The length of a correct inclusion proof: one hash per level below the point where the paths
 * to `index` and to the last leaf part (`inner`), then one per left sibling above it.
 */
function inclusionLength(index: bigint, size: bigint): number {
  const inner = bitLength(index ^ (size - 1n));
  return inner + onesCount(index >> BigInt(inner));
}

/**
 * Checks an inclusion proof: RFC 9162 §2.1.3.2, after checking that the index is below the
 * size, that every hash is 32 bytes, and that the proof has the length the index and size call for.
 * @example verifyInclusion({ index: 5n, size: 8n, leafHash, proof, root }) // { ok: true }
 */
export function verifyInclusion(claim: InclusionClaim, hash: Sha256 = sha256): Verification {
  const { index, size, leafHash, proof, root } = claim;
  const shape = firstProblem(notUint64('index', index), notUint64('size', size));
  if (shape !== undefined) return invalid(shape);
  // Step 1.
  if (index >= size) return invalid(`index ${index} is not below size ${size}`);
  const hashes = firstProblem(
    notAHash('leaf hash', leafHash),
    notAHash('root', root),
    notAPath(proof),
  );
  if (hashes !== undefined) return invalid(hashes);
  const want = inclusionLength(index, size);
  if (proof.length !== want)
    return invalid(
      `proof has ${plural(proof.length, 'hash')}, index ${index} in a tree of ${size} needs ${want}`,
    );
  // Steps 2 to 4.
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0n) return invalid('proof is longer than the tree is high');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r, hash);
      if ((fn & 1n) === 0n)
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
    } else r = nodeHash(r, p, hash);
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5.
  if (sn !== 0n) return invalid('proof is shorter than the tree is high');
  if (!equalBytes(r, root)) return invalid(`root mismatch: the proof leads to ${bytesToHex(r)}`);
  return valid;
}

/**
 * The length of a correct consistency proof from `size1` to `size2` (0 < size1 < size2): the
 * proof is the inclusion path of the last leaf of the first tree, from the level of the
 * largest complete subtree that ends there, plus that subtree's own hash unless it is the
 * whole first tree (size1 a power of two, whose root the verifier holds).
 */
function consistencyLength(size1: bigint, size2: bigint): number {
  const last = size1 - 1n;
  const fork = bitLength(last ^ (size2 - 1n));
  const border = onesCount(last >> BigInt(fork));
  const inner = fork - trailingZeros(size1);
  return (isPowerOfTwo(size1) ? 0 : 1) + inner + border;
}

/**
 * Checks a consistency proof: RFC 9162 §2.1.4.2, after checking the sizes (0 < size1 ≤ size2),
 * that every hash is 32 bytes, and that the proof has the length the sizes call for. Equal
 * sizes need an empty proof and equal roots.
 * @example verifyConsistency({ size1: 6n, size2: 8n, root1, root2, proof }) // { ok: true }
 */
export function verifyConsistency(claim: ConsistencyClaim, hash: Sha256 = sha256): Verification {
  const { size1, size2, root1, root2, proof } = claim;
  const shape = firstProblem(notUint64('size1', size1), notUint64('size2', size2));
  if (shape !== undefined) return invalid(shape);
  if (size1 === 0n)
    return invalid('size1 is 0: a consistency proof from the empty tree proves nothing');
  if (size1 > size2) return invalid(`size1 ${size1} is above size2 ${size2}`);
  const hashes = firstProblem(notAHash('root1', root1), notAHash('root2', root2), notAPath(proof));
  if (hashes !== undefined) return invalid(hashes);
  if (size1 === size2) {
    if (proof.length > 0)
      return invalid(`proof has ${plural(proof.length, 'hash')}, equal sizes need none`);
    return equalBytes(root1, root2)
      ? valid
      : invalid(`root1 and root2 differ for the same size ${size1}`);
  }
  const want = consistencyLength(size1, size2);
  if (proof.length !== want)
    return invalid(
      `proof has ${plural(proof.length, 'hash')}, sizes ${size1} to ${size2} need ${want}`,
    );
  return consistencySteps(size1, size2, root1, root2, proof, hash);
}

/** Steps 1 to 7 of RFC 9162 §2.1.4.2 for 0 < size1 < size2. */
function consistencySteps(
  size1: bigint,
  size2: bigint,
  root1: Uint8Array,
  root2: Uint8Array,
  consistencyPath: readonly Uint8Array[],
  hash: Sha256,
): Verification {
  // Step 1.
  if (consistencyPath.length === 0) return invalid('proof is empty, different sizes need hashes');
  // Step 2.
  const path = isPowerOfTwo(size1) ? [root1, ...consistencyPath] : consistencyPath;
  // Steps 3 and 4.
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0n) return invalid('proof is longer than the trees are high');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr, hash);
      sr = nodeHash(c, sr, hash);
      if ((fn & 1n) === 0n)
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
    } else sr = nodeHash(sr, c, hash);
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 7.
  if (sn !== 0n) return invalid('proof is shorter than the trees are high');
  if (!equalBytes(fr, root1))
    return invalid(`root1 mismatch: the proof leads to ${bytesToHex(fr)}`);
  if (!equalBytes(sr, root2))
    return invalid(`root2 mismatch: the proof leads to ${bytesToHex(sr)}`);
  return valid;
}

// ---------------------------------------------------------------------------------------------
// An in-memory log.

/**
 * A `NodeReader` over leaf hashes held in memory: each subtree hash is computed once, then
 * kept. The list is copied, so later changes to it or to its bytes change nothing; every read
 * returns a fresh copy, so a caller may change what it gets. For tests and small logs.
 * @example const nodes = memoryNodes(['a', 'b', 'c'].map((s) => leafHash(utf8ToBytes(s))))
 */
export function memoryNodes(leafHashes: readonly Uint8Array[], hash: Sha256 = sha256): NodeReader {
  for (const [i, leaf] of leafHashes.entries()) {
    const problem = notAHash(`leaf hash ${i}`, leaf);
    if (problem !== undefined) throw new RangeError(problem);
  }
  const levels: Uint8Array[][] = Array.from({ length: 65 }, () => []);
  levels[0] = leafHashes.map((leaf) => leaf.slice());
  const node = (level: number, index: number): Uint8Array => {
    const row = levels[level]!;
    let found = row[index];
    if (found === undefined) {
      found = nodeHash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1), hash);
      row[index] = found;
    }
    return found;
  };
  return async (level, index) => {
    const count = BigInt(leafHashes.length);
    if (!Number.isInteger(level) || level < 0 || level > 64 || index < 0n)
      throw new RangeError(`no node at level ${level} index ${index}`);
    if ((index + 1n) << BigInt(level) > count)
      throw new RangeError(
        `level ${level} index ${index} is not a complete subtree of ${count} leaves`,
      );
    return node(level, Number(index)).slice();
  };
}
