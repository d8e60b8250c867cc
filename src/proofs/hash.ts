/**
 * The hashes of the transparency log (RFC 6962 §2.1, RFC 9162 §2.1.1): a leaf's hash is
 * `SHA-256(0x00 ‖ leaf)`, an interior node's `SHA-256(0x01 ‖ left ‖ right)`. The prefixes
 * separate the two domains, so that no leaf can pass for a node (the second-preimage attack on
 * plain Merkle trees).
 *
 * `src/proofs/` depends on nothing but `@noble/hashes` and `@noble/curves`, and imports
 * nothing of Node: it bundles for a browser. Code that builds large trees may pass its own
 * SHA-256 (`Sha256`, e.g. Node's native one) where the functions take one.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** A SHA-256 implementation: 32 bytes out. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** @noble/hashes' SHA-256, the default everywhere here. */
export const sha256: Sha256 = (data) => nobleSha256(data);

/** A hash's length in bytes. */
export const hashBytes = 32;

/**
 * The hash of a leaf: `SHA-256(0x00 ‖ leaf)`.
 * @example bytesToHex(leafHash(new Uint8Array())) === '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'
 */
export function leafHash(leaf: Uint8Array, hash: Sha256 = sha256): Uint8Array {
  const input = new Uint8Array(1 + leaf.length);
  input[0] = 0x00;
  input.set(leaf, 1);
  return hash(input);
}

/**
 * The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
 * @example nodeHash(leafHash(a), leafHash(b)) // the root of the tree [a, b]
 */
export function nodeHash(left: Uint8Array, right: Uint8Array, hash: Sha256 = sha256): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return hash(input);
}

/**
 * Whether two byte strings are equal (in time that depends on their length only).
 * @example equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)) === true
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** The root of the empty tree: `SHA-256("")` (RFC 6962 §2.1). */
export const emptyRoot: Uint8Array = sha256(new Uint8Array());

/**
 * Where a log's stored hashes come from: the hash of the complete subtree of `2^level` leaves
 * that starts at leaf `index × 2^level` (level 0: the leaf hashes). Proofs and roots of any
 * size are computed from these alone (`merkle.ts`), whether they are held in memory or read
 * from tiles (`tiles.ts`). Indices are `bigint`: a log may hold up to 2^64 − 1 leaves.
 */
export type NodeReader = (level: number, index: bigint) => Promise<Uint8Array>;
