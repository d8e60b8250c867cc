/**
 * The Merkle sum tree of the proof of liabilities (ARCHITECTURE §6): every account holder's
 * balance is a leaf, every interior node carries the sum of its subtree, and the root carries
 * the total the issuer owes. A holder checks that its own balance is counted in the published
 * total from its leaf index, its salt and the sibling nodes on its path.
 *
 * Byte formats (all integers big-endian, `‖` is concatenation):
 *
 * - `customerId`: the account id as UTF-8, 1 to 256 bytes, in Unicode NFC, no lone surrogates.
 * - `salt`: exactly 32 bytes. The salt's fixed length makes `customerId ‖ salt` unambiguous.
 * - `value`: an unsigned 128-bit integer, 16 bytes (u128). Balances are never negative (the
 *   ledger's flags forbid it); the builder refuses a negative value, one ≥ 2^128, and any node
 *   whose sum overflows u128.
 * - Salt derivation, per round and per account, given only to that account's holder:
 *   `salt = HMAC-SHA256(roundSecret, "clearpeg-liabilities-salt/1\n" ‖ roundId ‖ "\n" ‖ customerId)`
 *   with a 32-byte `roundSecret`, and `roundId` 1 to 256 bytes of NFC UTF-8 without "\n" (so
 *   the message splits one way only; `customerId` comes last and needs no such rule).
 * - Leaf: `hash = SHA-256(0x00 ‖ SHA-256(customerId ‖ salt) ‖ value)` (49 bytes hashed).
 *   The leaf binds the holder's own id, which the holder knows: two holders with equal
 *   balances cannot both be shown one shared leaf (the clash attack on salts not bound to the
 *   user). The salt hides the id and balance from everyone else.
 * - Node: `hash = SHA-256(0x01 ‖ hashL ‖ valueL ‖ hashR ‖ valueR)` (97 bytes hashed),
 *   `value = valueL + valueR`. Both child sums are hashed: a node that hashed only the sum
 *   (Maxwell's tree) would let the issuer show each child a different split of the same sum
 *   and so understate the total.
 * - A node record, as stored in memory and in tiles: `hash ‖ value`, 48 bytes. The input of a
 *   node hash is then `0x01` followed by its two children's records side by side.
 *
 * Shape: the tree of RFC 6962 §2.1 (RFC 9162 §2.1.1), the same as the log's: a tree of n > 1
 * leaves is the node of the tree of the first k leaves and the tree of the other n − k, where k
 * is the largest power of two below n. Built level by level this is the same as carrying the
 * last node of an odd level up unchanged; level L then holds ⌈n / 2^L⌉ records, of which the
 * first ⌊n / 2^L⌋ are the complete subtrees of 2^L leaves that tiles publish. The empty tree's
 * root is `{ hash: SHA-256(""), value: 0 }`.
 *
 * Memory: a tree of n leaves holds about 2n records of 48 bytes in one flat `Uint8Array` per
 * level (10,000,000 leaves: about 960 MB); sums are added on the bytes, without bigints.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { emptyRoot, equalBytes, hashBytes, type Sha256, sha256 } from './hash.ts';

/**
 * A node of the sum tree (or a leaf): its hash and the sum of the balances below it.
 * @example
 * const node: SumNode = { hash: new Uint8Array(32), value: 15n };
 */
export interface SumNode {
  readonly hash: Uint8Array;
  readonly value: bigint;
}

/**
 * One account's entry: its id, its salt for the round, and its balance in minor units.
 * @example
 * const leaf: SumLeafInput = { customerId: 'acct-42', salt: deriveSalt(secret, round, 'acct-42'), value: 5n };
 */
export interface SumLeafInput {
  readonly customerId: string;
  readonly salt: Uint8Array;
  readonly value: bigint;
}

/**
 * A sibling on the path from a leaf to the root, and the side of the path it stands on.
 * @example
 * const step: SumProofStep = { hash: siblingHash, value: 10n, side: 'right' };
 */
export interface SumProofStep {
  readonly hash: Uint8Array;
  readonly value: bigint;
  readonly side: 'left' | 'right';
}

/**
 * Everything a holder needs to check its balance against a published root.
 * @example
 * const input: SumProofInput = { customerId, salt, value, index, size, proof, root };
 */
export interface SumProofInput {
  readonly customerId: string;
  readonly salt: Uint8Array;
  readonly value: bigint;
  /** The leaf's index, told privately to the holder. */
  readonly index: bigint;
  /** The number of leaves in the tree. */
  readonly size: bigint;
  /** The siblings from the leaf up (`sumProof`). */
  readonly proof: readonly SumProofStep[];
  /** The root to check against: take it from the signed checkpoint, not from the prover. */
  readonly root: SumNode;
}

/**
 * The answer of `verifySumProof`.
 * @example
 * const result: SumVerifyResult = { ok: false, reason: 'root.hash: differs …' };
 */
export type SumVerifyResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string };

/**
 * A built tree: `levels[0]` holds the leaf records, `levels[L]` the ⌈size / 2^L⌉ records of
 * level L, each `hash ‖ value` (48 bytes); the last level holds the root alone (the empty
 * tree has one empty level and the root `{ SHA-256(""), 0 }`).
 * @example
 * const tree: SumTree = buildSumTree(accounts); // tree.levels[0].length === 48 * accounts.length
 */
export interface SumTree {
  readonly size: bigint;
  readonly root: SumNode;
  readonly levels: readonly Uint8Array[];
}

/**
 * Thrown on input that breaks a rule of the format; the message names the field and rule.
 * @example
 * sumLeaf('a', salt, -1n); // throws SumTreeError('value: must not be negative, got -1')
 */
export class SumTreeError extends Error {
  override readonly name = 'SumTreeError';
}

/**
 * The largest value a node may carry: 2^128 − 1.
 * @example
 * u128Max + 1n === 2n ** 128n
 */
export const u128Max: bigint = (1n << 128n) - 1n;

/**
 * A salt's length in bytes.
 * @example
 * deriveSalt(secret, round, id).length === saltBytes
 */
export const saltBytes = 32;

/**
 * A value's length in bytes (u128, big-endian).
 * @example
 * valueBytes === 16
 */
export const valueBytes = 16;

/**
 * A node record's length in bytes: `hash ‖ value`.
 * @example
 * tree.levels[0].length === sumRecordBytes * Number(tree.size)
 */
export const sumRecordBytes: number = hashBytes + valueBytes;

/**
 * The longest customer id, in UTF-8 bytes.
 * @example
 * new TextEncoder().encode(customerId).length <= customerIdMaxBytes
 */
export const customerIdMaxBytes = 256;

/**
 * The domain-separation prefix of `deriveSalt`.
 * @example
 * saltLabel === 'clearpeg-liabilities-salt/1\n'
 */
export const saltLabel = 'clearpeg-liabilities-salt/1\n';

/**
 * The `format` field of a serialised proof.
 * @example
 * JSON.parse(encodeSumProof(input)).format === sumProofFormat
 */
export const sumProofFormat = 'clearpeg-sum-proof/1';

const encoder = new TextEncoder();
const mask64 = (1n << 64n) - 1n;
const maxSize = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------------------
// Field checks

function fail(message: string): never {
  throw new SumTreeError(message);
}

/** A UTF-16 code unit of a surrogate not in a pair. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The room `encodeText` needs: 256 UTF-16 units take at most 3 bytes each in UTF-8. */
const textScratchBytes = 3 * customerIdMaxBytes;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Checks an id-like string (1 to 256 bytes of NFC UTF-8) and writes its UTF-8 into `into`
 * (at least `textScratchBytes` long), returning its length. ASCII, the common case, skips the
 * Unicode checks: it is always well formed and in NFC.
 */
function encodeText(field: string, text: unknown, into: Uint8Array): number {
  if (typeof text !== 'string') fail(`${field}: must be a string`);
  if (text.length === 0) fail(`${field}: must not be empty`);
  if (text.length > customerIdMaxBytes) fail(`${field}: must be at most 256 bytes of UTF-8`);
  if (!isAscii(text)) {
    if (loneSurrogate.test(text)) fail(`${field}: must not hold lone surrogates`);
    if (text.normalize('NFC') !== text) fail(`${field}: must be in Unicode NFC`);
  }
  const { written } = encoder.encodeInto(text, into);
  if (written > customerIdMaxBytes) fail(`${field}: must be at most 256 bytes of UTF-8`);
  return written;
}

/** Checks an id-like string and returns its UTF-8 bytes. */
function textBytes(field: string, text: unknown): Uint8Array {
  const into = new Uint8Array(textScratchBytes);
  return into.subarray(0, encodeText(field, text, into));
}

function checkBytes(field: string, bytes: unknown, length: number): Uint8Array {
  if (!(bytes instanceof Uint8Array)) fail(`${field}: must be a Uint8Array`);
  if (bytes.length !== length) fail(`${field}: must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function checkValue(field: string, value: unknown): bigint {
  if (typeof value !== 'bigint') fail(`${field}: must be a bigint`);
  if (value < 0n) fail(`${field}: must not be negative, got ${value}`);
  if (value > u128Max) fail(`${field}: must be below 2^128, got ${value}`);
  return value;
}

/** `field.key`, or `key` alone at the top. */
function at(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}

function checkSumNode(field: string, node: unknown): SumNode {
  if (typeof node !== 'object' || node === null) fail(`${field || 'node'}: must be an object`);
  const { hash, value } = node as Partial<SumNode>;
  checkBytes(at(field, 'hash'), hash, hashBytes);
  checkValue(at(field, 'value'), value);
  return node as SumNode;
}

// ---------------------------------------------------------------------------------------------
// u128 on bytes

function writeU128(out: Uint8Array, offset: number, value: bigint): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setBigUint64(offset, value >> 64n);
  view.setBigUint64(offset + 8, value & mask64);
}

function readU128(bytes: Uint8Array, offset: number): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (view.getBigUint64(offset) << 64n) | view.getBigUint64(offset + 8);
}

/** Writes `a + b` (u128 at byte offsets of `view`) at `outOffset`; false when it overflows. */
function addU128(view: DataView, a: number, b: number, out: DataView, outOffset: number): boolean {
  let carry = 0;
  for (let limb = 12; limb >= 0; limb -= 4) {
    const sum = view.getUint32(a + limb) + view.getUint32(b + limb) + carry;
    out.setUint32(outOffset + limb, sum >>> 0);
    carry = sum > 0xffffffff ? 1 : 0;
  }
  return carry === 0;
}

function hashOf(hash: Sha256, input: Uint8Array): Uint8Array {
  const out = hash(input);
  if (out.length !== hashBytes) fail(`hash: must return ${hashBytes} bytes, got ${out.length}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Salts, leaves and nodes

/**
 * The salt of one account for one round:
 * `HMAC-SHA256(roundSecret, "clearpeg-liabilities-salt/1\n" ‖ roundId ‖ "\n" ‖ customerId)`.
 * The issuer keeps `roundSecret` (32 bytes) and tells each holder its own salt, once, privately.
 * @example
 * const salt = deriveSalt(secret, '2026-12-06', 'acct-42'); // 32 bytes
 */
export function deriveSalt(
  roundSecret: Uint8Array,
  roundId: string,
  customerId: string,
): Uint8Array {
  checkBytes('roundSecret', roundSecret, 32);
  const round = textBytes('roundId', roundId);
  if (roundId.includes('\n')) fail('roundId: must not contain a newline');
  const id = textBytes('customerId', customerId);
  const label = encoder.encode(saltLabel);
  const message = new Uint8Array(label.length + round.length + 1 + id.length);
  message.set(label, 0);
  message.set(round, label.length);
  message[label.length + round.length] = 0x0a;
  message.set(id, label.length + round.length + 1);
  return hmac(nobleSha256, roundSecret, message);
}

/**
 * Hashes leaves into records, reusing its buffers from one leaf to the next (a tree of ten
 * million leaves should not allocate twenty million small arrays).
 */
class LeafHasher {
  /** `customerId ‖ salt`. */
  private readonly inner = new Uint8Array(textScratchBytes + saltBytes);
  /** `0x00 ‖ SHA-256(customerId ‖ salt) ‖ value`. */
  private readonly outer = new Uint8Array(1 + hashBytes + valueBytes);
  private readonly outerView = new DataView(this.outer.buffer);

  constructor(private readonly hash: Sha256) {}

  /** Checks `leaf` and writes its record `hash ‖ value` into `out` at `offset`. */
  leafInto(leaf: SumLeafInput, out: Uint8Array, offset: number): void {
    const idLength = encodeText('customerId', leaf.customerId, this.inner);
    this.inner.set(checkBytes('salt', leaf.salt, saltBytes), idLength);
    const value = checkValue('value', leaf.value);
    this.outer.set(hashOf(this.hash, this.inner.subarray(0, idLength + saltBytes)), 1);
    this.outerView.setBigUint64(1 + hashBytes, value >> 64n);
    this.outerView.setBigUint64(1 + hashBytes + 8, value & mask64);
    out.set(hashOf(this.hash, this.outer), offset);
    out.set(this.outer.subarray(1 + hashBytes), offset + hashBytes);
  }
}

/**
 * The leaf of one account: `SHA-256(0x00 ‖ SHA-256(customerId ‖ salt) ‖ value)`.
 * @example
 * const leaf = sumLeaf('acct-42', salt, 1_250_000n); // { hash, value: 1250000n }
 */
export function sumLeaf(
  customerId: string,
  salt: Uint8Array,
  value: bigint,
  hash: Sha256 = sha256,
): SumNode {
  const record = new Uint8Array(sumRecordBytes);
  new LeafHasher(hash).leafInto({ customerId, salt, value }, record, 0);
  return { hash: record.slice(0, hashBytes), value };
}

/**
 * The parent of two nodes: `SHA-256(0x01 ‖ hashL ‖ valueL ‖ hashR ‖ valueR)`, carrying
 * `valueL + valueR`. Throws when the sum overflows u128.
 * @example
 * const root = sumNode(sumLeaf('a', saltA, 5n), sumLeaf('b', saltB, 10n)); // value 15n
 */
export function sumNode(left: SumNode, right: SumNode, hash: Sha256 = sha256): SumNode {
  checkSumNode('left', left);
  checkSumNode('right', right);
  const value = left.value + right.value;
  if (value > u128Max) fail(`sumNode: the sum ${left.value} + ${right.value} overflows u128`);
  return { hash: nodeHashOf(left, right, hash), value };
}

function nodeHashOf(left: SumNode, right: SumNode, hash: Sha256): Uint8Array {
  const input = new Uint8Array(1 + 2 * sumRecordBytes);
  input[0] = 0x01;
  input.set(left.hash, 1);
  writeU128(input, 1 + hashBytes, left.value);
  input.set(right.hash, 1 + sumRecordBytes);
  writeU128(input, 1 + sumRecordBytes + hashBytes, right.value);
  return hashOf(hash, input);
}

// ---------------------------------------------------------------------------------------------
// Building

function leafLevel(leaves: readonly (SumLeafInput | SumNode)[], hash: Sha256): Uint8Array {
  const level = new Uint8Array(leaves.length * sumRecordBytes);
  const view = new DataView(level.buffer);
  const hasher = new LeafHasher(hash);
  leaves.forEach((leaf, i) => {
    const offset = i * sumRecordBytes;
    try {
      if (typeof leaf === 'object' && leaf !== null && 'customerId' in leaf) {
        hasher.leafInto(leaf, level, offset);
      } else {
        const node = checkSumNode('', leaf);
        level.set(node.hash, offset);
        view.setBigUint64(offset + hashBytes, node.value >> 64n);
        view.setBigUint64(offset + hashBytes + 8, node.value & mask64);
      }
    } catch (error) {
      // Name the leaf only when it is wrong: no string is built for the good ones.
      if (error instanceof SumTreeError) fail(`leaves[${i}].${error.message}`);
      throw error;
    }
  });
  return level;
}

function parentLevel(below: Uint8Array, levelNumber: number, hash: Sha256): Uint8Array {
  const count = below.length / sumRecordBytes;
  const pairs = Math.floor(count / 2);
  const level = new Uint8Array(Math.ceil(count / 2) * sumRecordBytes);
  const belowView = new DataView(below.buffer, below.byteOffset, below.byteLength);
  const levelView = new DataView(level.buffer, level.byteOffset, level.byteLength);
  const input = new Uint8Array(1 + 2 * sumRecordBytes);
  input[0] = 0x01;
  for (let i = 0; i < pairs; i++) {
    const left = 2 * i * sumRecordBytes;
    const offset = i * sumRecordBytes;
    input.set(below.subarray(left, left + 2 * sumRecordBytes), 1);
    level.set(hashOf(hash, input), offset);
    const right = left + sumRecordBytes;
    if (!addU128(belowView, left + hashBytes, right + hashBytes, levelView, offset + hashBytes)) {
      fail(`buildSumTree: the sum of node ${i} at level ${levelNumber} overflows u128`);
    }
  }
  if (count % 2 === 1) {
    // The last node of an odd level goes up unchanged: RFC 6962's shape.
    level.set(below.subarray((count - 1) * sumRecordBytes), pairs * sumRecordBytes);
  }
  return level;
}

/**
 * Builds the sum tree of `leaves`, in order. Each leaf is an account (`{ customerId, salt,
 * value }`, hashed here) or a leaf node already computed (`{ hash, value }`); or, to save
 * memory, `leaves` is one `Uint8Array` of 48-byte leaf records `hash ‖ value`, which the tree
 * keeps as its level 0 (do not change it afterwards). Throws on a bad field or a sum
 * overflowing u128. Pass Node's native SHA-256 as `hash` for large trees.
 * @example
 * const tree = buildSumTree([{ customerId: 'a', salt, value: 5n }]);
 * tree.root.value; // 5n
 */
export function buildSumTree(
  leaves: readonly (SumLeafInput | SumNode)[] | Uint8Array,
  hash: Sha256 = sha256,
): SumTree {
  let level: Uint8Array;
  if (leaves instanceof Uint8Array) {
    if (leaves.length % sumRecordBytes !== 0) {
      fail(`leaves: a packed leaf file must be a multiple of ${sumRecordBytes} bytes`);
    }
    level = leaves;
  } else if (Array.isArray(leaves)) {
    level = leafLevel(leaves, hash);
  } else {
    fail('leaves: must be an array or a Uint8Array of leaf records');
  }
  const levels = [level];
  while (level.length > sumRecordBytes) {
    level = parentLevel(level, levels.length, hash);
    levels.push(level);
  }
  const size = BigInt(levels[0]!.length / sumRecordBytes);
  const root = size === 0n ? { hash: emptyRoot.slice(), value: 0n } : recordAt(level, 0);
  return { size, root, levels };
}

function recordAt(level: Uint8Array, index: number): SumNode {
  const offset = index * sumRecordBytes;
  return {
    hash: level.slice(offset, offset + hashBytes),
    value: readU128(level, offset + hashBytes),
  };
}

/**
 * The node at `level` and `index` of a built tree (level 0: the leaves). Index i of level L
 * is the subtree of leaves from i × 2^L, complete when i < ⌊size / 2^L⌋.
 * @example
 * sumTreeNode(tree, 0, 3n); // the fourth leaf
 */
export function sumTreeNode(tree: SumTree, level: number, index: bigint): SumNode {
  const records = tree.levels[level];
  if (!Number.isInteger(level) || records === undefined) {
    fail(`level: must be an integer from 0 to ${tree.levels.length - 1}, got ${level}`);
  }
  const count = BigInt(records.length / sumRecordBytes);
  if (typeof index !== 'bigint' || index < 0n || index >= count) {
    fail(`index: must be a bigint from 0 to ${count - 1n} at level ${level}, got ${index}`);
  }
  return recordAt(records, Number(index));
}

// ---------------------------------------------------------------------------------------------
// Proofs

/**
 * The siblings on the path from leaf `index` to the root, from the leaf up. A level where the
 * path's node is the last of an odd level has no sibling (the node goes up unchanged).
 * @example
 * const proof = sumProof(tree, 2n);
 * verifySumProof({ customerId, salt, value, index: 2n, size: tree.size, proof, root: tree.root });
 */
export function sumProof(tree: SumTree, index: bigint): SumProofStep[] {
  if (typeof index !== 'bigint' || index < 0n || index >= tree.size) {
    fail(`index: must be a bigint from 0 to size − 1 (${tree.size - 1n}), got ${index}`);
  }
  const steps: SumProofStep[] = [];
  let position = Number(index);
  for (let level = 0; level < tree.levels.length - 1; level++) {
    const records = tree.levels[level]!;
    const isRight = position % 2 === 1;
    const sibling = isRight ? position - 1 : position + 1;
    if (sibling < records.length / sumRecordBytes) {
      steps.push({ ...recordAt(records, sibling), side: isRight ? 'left' : 'right' });
    }
    position = Math.floor(position / 2);
  }
  return steps;
}

/** The sides of the siblings on the path from `index` in a tree of `size` leaves. */
function pathSides(index: bigint, size: bigint): Array<'left' | 'right'> {
  const sides: Array<'left' | 'right'> = [];
  let position = index;
  let count = size;
  while (count > 1n) {
    if (position % 2n === 1n) sides.push('left');
    else if (position + 1n < count) sides.push('right');
    position >>= 1n;
    count = (count + 1n) >> 1n;
  }
  return sides;
}

function checkProofInput(input: SumProofInput): void {
  if (typeof input !== 'object' || input === null) fail('input: must be an object');
  const { size, index, proof } = input;
  if (typeof size !== 'bigint' || size < 1n || size > maxSize) {
    fail(`size: must be a bigint from 1 to 2^64 − 1, got ${String(size)}`);
  }
  if (typeof index !== 'bigint' || index < 0n || index >= size) {
    fail(`index: must be a bigint from 0 to size − 1, got ${String(index)}`);
  }
  if (!Array.isArray(proof)) fail('proof: must be an array');
  checkSumNode('root', input.root);
  textBytes('customerId', input.customerId);
  checkBytes('salt', input.salt, saltBytes);
  checkValue('value', input.value);
}

/**
 * Checks that an account's balance is counted in `root`: recomputes the leaf from the
 * holder's own id, salt and value, then the path up with the given siblings, and compares the
 * result with `root`, hash and total. Returns `{ ok: false, reason }` on any mismatch, on a sum
 * overflowing u128, on a proof of the wrong length or sides, and on malformed input; it never
 * throws on bad data.
 *
 * `size` and `root` must come from the same signed checkpoint: the proof fixes the shape of
 * the path only, so it cannot tell two sizes apart whose paths from `index` have one shape.
 * @example
 * const result = verifySumProof({ customerId, salt, value, index, size, proof, root });
 * if (!result.ok) console.log(result.reason);
 */
export function verifySumProof(input: SumProofInput, hash: Sha256 = sha256): SumVerifyResult {
  try {
    return verifyChecked(input, hash);
  } catch (error) {
    if (error instanceof SumTreeError) return { ok: false, reason: error.message };
    throw error;
  }
}

function verifyChecked(input: SumProofInput, hash: Sha256): SumVerifyResult {
  checkProofInput(input);
  const sides = pathSides(input.index, input.size);
  if (input.proof.length !== sides.length) {
    return {
      ok: false,
      reason: `proof: has ${input.proof.length} steps, leaf ${input.index} of a tree of ${input.size} needs ${sides.length}`,
    };
  }
  let node = sumLeaf(input.customerId, input.salt, input.value, hash);
  for (const [k, side] of sides.entries()) {
    const step = input.proof[k]!;
    checkSumNode(`proof[${k}]`, step);
    if (step.side !== side) {
      return { ok: false, reason: `proof[${k}].side: must be ${side}, got ${String(step.side)}` };
    }
    const value = node.value + step.value;
    if (value > u128Max) return { ok: false, reason: `proof[${k}]: the sum overflows u128` };
    const parentHash =
      side === 'left' ? nodeHashOf(step, node, hash) : nodeHashOf(node, step, hash);
    node = { hash: parentHash, value };
  }
  if (!equalBytes(node.hash, input.root.hash)) {
    return { ok: false, reason: 'root.hash: differs from the hash recomputed from the proof' };
  }
  if (node.value !== input.root.value) {
    return {
      ok: false,
      reason: `root.value: the proof sums to ${node.value}, the root says ${input.root.value}`,
    };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// Serialisation

/**
 * The JSON of a proof, for the holder to keep and check later: values and indices as decimal
 * strings, hashes and the salt as lowercase hex. Keys, in this order:
 * `{"format":"clearpeg-sum-proof/1","customerId","salt","value","index","size",
 * "proof":[{"side","hash","value"}…],"root":{"hash","value"}}`.
 * @example
 * const text = encodeSumProof({ customerId, salt, value, index, size, proof, root });
 */
export function encodeSumProof(input: SumProofInput): string {
  checkProofInput(input);
  const node = (field: string, n: SumNode) => {
    checkSumNode(field, n);
    return { hash: bytesToHex(n.hash), value: n.value.toString() };
  };
  return JSON.stringify({
    format: sumProofFormat,
    customerId: input.customerId,
    salt: bytesToHex(input.salt),
    value: input.value.toString(),
    index: input.index.toString(),
    size: input.size.toString(),
    proof: input.proof.map((step, k) => {
      if (step.side !== 'left' && step.side !== 'right') {
        fail(`proof[${k}].side: must be left or right`);
      }
      return { side: step.side, ...node(`proof[${k}]`, step) };
    }),
    root: node('root', input.root),
  });
}

function objectWithKeys(
  field: string,
  value: unknown,
  keys: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${field}: must be a JSON object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.includes(key)) fail(`${field}: unknown key "${key}"`);
  }
  for (const key of keys) {
    if (!(key in record)) fail(`${field}: missing key "${key}"`);
  }
  return record;
}

function decimal(field: string, value: unknown, max: bigint): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) {
    fail(`${field}: must be a decimal string without sign or leading zeros`);
  }
  const n = BigInt(value);
  if (n > max) fail(`${field}: must be at most ${max}, got ${value}`);
  return n;
}

function hex(field: string, value: unknown, length: number): Uint8Array {
  if (typeof value !== 'string' || value.length !== 2 * length || !/^[0-9a-f]*$/.test(value)) {
    fail(`${field}: must be ${2 * length} lowercase hex digits`);
  }
  return hexToBytes(value);
}

function decodeNode(field: string, value: unknown): SumNode {
  const record = objectWithKeys(field, value, ['hash', 'value']);
  return {
    hash: hex(`${field}.hash`, record.hash, hashBytes),
    value: decimal(`${field}.value`, record.value, u128Max),
  };
}

function decodeStep(field: string, value: unknown): SumProofStep {
  const record = objectWithKeys(field, value, ['side', 'hash', 'value']);
  if (record.side !== 'left' && record.side !== 'right') {
    fail(`${field}.side: must be "left" or "right"`);
  }
  return {
    side: record.side,
    hash: hex(`${field}.hash`, record.hash, hashBytes),
    value: decimal(`${field}.value`, record.value, u128Max),
  };
}

/**
 * Reads the JSON of `encodeSumProof`, strictly: every key present, no other key, canonical
 * decimals, lowercase hex of the right length, a valid customer id. Throws `SumTreeError`
 * naming the field. (Duplicate keys cannot be seen through `JSON.parse`: the last one wins.)
 * @example
 * const input = decodeSumProof(text);
 * verifySumProof({ ...input, root: rootFromCheckpoint });
 */
export function decodeSumProof(text: string): SumProofInput {
  if (typeof text !== 'string') fail('proof JSON: must be a string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('proof JSON: is not valid JSON');
  }
  const keys = ['format', 'customerId', 'salt', 'value', 'index', 'size', 'proof', 'root'];
  const record = objectWithKeys('proof JSON', parsed, keys);
  if (record.format !== sumProofFormat) fail(`format: must be "${sumProofFormat}"`);
  textBytes('customerId', record.customerId);
  if (!Array.isArray(record.proof)) fail('proof: must be an array');
  const size = decimal('size', record.size, maxSize);
  if (size === 0n) fail('size: must be at least 1');
  const index = decimal('index', record.index, maxSize);
  if (index >= size) fail(`index: must be below size (${size}), got ${index}`);
  return {
    customerId: record.customerId as string,
    salt: hex('salt', record.salt, saltBytes),
    value: decimal('value', record.value, u128Max),
    index,
    size,
    proof: record.proof.map((step, k) => decodeStep(`proof[${k}]`, step)),
    root: decodeNode('root', record.root),
  };
}
