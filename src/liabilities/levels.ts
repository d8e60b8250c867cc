/**
 * The hot loops of the liabilities tree builder (`build.ts`), over flat buffers: the leaf
 * records of a range of accounts, and the parent records of a range of a level. They run on the
 * main thread and in the builder's worker threads alike, on the same `SharedArrayBuffer`s; each
 * call writes only the records of its own range.
 *
 * The bytes hashed are those of `src/proofs/sumtree.ts` (leaf `SHA-256(0x00 ‖ SHA-256(customerId
 * ‖ salt) ‖ value)`, node `SHA-256(0x01 ‖ recordL ‖ recordR)`, records `hash ‖ value`, values u128
 * big-endian), so the tree is the one `buildSumTree` builds (build.test.ts checks it). Sums are
 * added as four 32-bit limbs with a carry, and a carry out of the top limb is refused.
 */
import { SumTreeError, sumRecordBytes } from '../proofs/sumtree.ts';
import { paddedBlocks, Sha256Kernel } from './sha256.ts';

/**
 * Accounts in flat buffers, so that ten million accounts are a few buffers and not ten million
 * objects. Account i's id is the UTF-8 `ids[idOffsets[i] .. idOffsets[i + 1]]`, its salt
 * `salts[32i .. 32i + 32]`, its balance the u128 big-endian `values[16i .. 16i + 16]`.
 * Build one with `packAccounts` or `PackedAccountsWriter` (build.ts), which check every field.
 * @example
 * const packed: PackedAccounts = packAccounts([{ customerId: 'a', salt, value: 5n }]);
 */
export interface PackedAccounts {
  readonly count: number;
  readonly ids: Uint8Array;
  /** `count + 1` offsets into `ids`, the first 0. */
  readonly idOffsets: Uint32Array;
  readonly salts: Uint8Array;
  readonly values: Uint8Array;
}

const hashBytes = 32;
const saltBytes = 32;
const valueBytes = 16;
const idBytesMax = 256;

/** The padded `customerId ‖ salt` of the longest id: five blocks. */
const innerBlocksMax = 5;
if (paddedBlocks(idBytesMax + saltBytes) !== innerBlocksMax) {
  throw new Error('assertion failed: the longest id and its salt pad to innerBlocksMax blocks');
}

/**
 * The per-thread state of the loops: the kernel, and the buffer of the leaf's inner message
 * with its padding.
 * @example
 * const hasher = new LevelHasher();
 * hasher.leaves(packed, 0, packed.count, levels[0]);
 * hasher.parents(levels[0], 0, packed.count, levels[1], 1);
 */
export class LevelHasher {
  readonly kernel = new Sha256Kernel(64);
  /** `customerId ‖ salt`, padded (§5.1.1). */
  private readonly inner = new Uint8Array(64 * innerBlocksMax);
  private readonly innerView = new DataView(this.inner.buffer);

  /**
   * Writes the leaf records of accounts `from` to `to` − 1 into `level` (48 bytes each, at the
   * account's index). Throws a `SumTreeError` naming the account when its id is not 1 to 256 bytes.
   */
  leaves(accounts: PackedAccounts, from: number, to: number, level: Uint8Array): void {
    const { ids, idOffsets, salts } = accounts;
    const values = new DataView(
      accounts.values.buffer,
      accounts.values.byteOffset,
      accounts.values.byteLength,
    );
    const out = new DataView(level.buffer, level.byteOffset, level.byteLength);
    const inner = this.inner;
    const kernel = this.kernel;
    const w = kernel.words;
    const s = kernel.state;
    for (let i = from; i < to; i++) {
      const idStart = idOffsets[i]!;
      const idLength = idOffsets[i + 1]! - idStart;
      if (idLength < 1 || idLength > idBytesMax) {
        throw new SumTreeError(`leaves[${i}].customerId: must be 1 to 256 bytes, got ${idLength}`);
      }
      // SHA-256(customerId ‖ salt): the message and its padding written in place, once.
      for (let k = 0; k < idLength; k++) inner[k] = ids[idStart + k]!;
      const salt = i * saltBytes;
      for (let k = 0; k < saltBytes; k++) inner[idLength + k] = salts[salt + k]!;
      const length = idLength + saltBytes;
      const blocks = paddedBlocks(length);
      inner[length] = 0x80;
      for (let k = length + 1; k < 64 * blocks - 4; k++) inner[k] = 0;
      this.innerView.setUint32(64 * blocks - 4, length * 8);
      kernel.reset();
      for (let block = 0; block < blocks; block++) {
        for (let j = 0; j < 16; j++) w[j] = this.innerView.getInt32(64 * block + 4 * j);
        kernel.compress();
      }
      // SHA-256(0x00 ‖ inner ‖ value), 49 bytes: one block, its words straight from the inner
      // hash (shifted one byte by the 0x00) and the value; the padding fixed.
      const value = i * valueBytes;
      let previous = 0;
      for (let j = 0; j < 8; j++) {
        const word = s[j]!;
        w[j] = (previous << 24) | (word >>> 8);
        previous = word & 0xff;
      }
      for (let j = 0; j < 4; j++) {
        const word = values.getInt32(value + 4 * j);
        w[8 + j] = (previous << 24) | (word >>> 8);
        previous = word & 0xff;
      }
      w[12] = (previous << 24) | (0x80 << 16);
      w[13] = 0;
      w[14] = 0;
      w[15] = (1 + hashBytes + valueBytes) * 8;
      kernel.reset();
      kernel.compress();
      const record = i * sumRecordBytes;
      for (let j = 0; j < 8; j++) out.setInt32(record + 4 * j, s[j]!);
      for (let j = 0; j < 4; j++)
        out.setInt32(record + hashBytes + 4 * j, values.getInt32(value + 4 * j));
    }
  }

  /**
   * Writes the parents of records `from` to `to` − 1 of `below` (`from` even) into `level`, at
   * index `from / 2` on; an odd last record (`to` odd: the end of the level) goes up unchanged.
   * `levelNumber` names the level in the overflow error.
   */
  parents(
    below: Uint8Array,
    from: number,
    to: number,
    level: Uint8Array,
    levelNumber: number,
  ): void {
    if (from % 2 !== 0)
      throw new Error('assertion failed: a range of parents starts at an even record');
    const source = new DataView(below.buffer, below.byteOffset, below.byteLength);
    const target = new DataView(level.buffer, level.byteOffset, level.byteLength);
    const end = to - (to % 2);
    for (let i = from; i < end; i += 2) {
      const parent = i / 2;
      this.node(source, i * sumRecordBytes, target, parent * sumRecordBytes);
      if (!addSums(source, i * sumRecordBytes, target, parent * sumRecordBytes)) {
        throw new SumTreeError(
          `buildSumTree: the sum of node ${parent} at level ${levelNumber} overflows u128`,
        );
      }
    }
    if (to % 2 === 1) {
      const last = (to - 1) * sumRecordBytes;
      const into = ((to - 1) / 2) * sumRecordBytes;
      for (let k = 0; k < sumRecordBytes; k++) level[into + k] = below[last + k]!;
    }
  }

  /**
   * The hash `SHA-256(0x01 ‖ 96 bytes of records at o)` into `out` at `at`: two blocks, the
   * message read straight from the records with the 0x01 prefix shifting it by one byte, the
   * padding fixed (97 bytes: 0x80 after the last byte, the bit length 776 in the last word).
   */
  private node(view: DataView, o: number, out: DataView, at: number): void {
    const kernel = this.kernel;
    const w = kernel.words;
    kernel.reset();
    // Message word j of block 1 is bytes 4j − 1 .. 4j + 2 of the records: the low 3 bytes of
    // their big-endian word j, under the last byte of word j − 1 (the 0x01 prefix for j = 0).
    let previous = 0x01;
    for (let j = 0; j < 16; j++) {
      const word = view.getInt32(o + 4 * j);
      w[j] = (previous << 24) | (word >>> 8);
      previous = word & 0xff;
    }
    kernel.compress();
    for (let j = 0; j < 8; j++) {
      const word = view.getInt32(o + 64 + 4 * j);
      w[j] = (previous << 24) | (word >>> 8);
      previous = word & 0xff;
    }
    w[8] = (previous << 24) | (0x80 << 16);
    for (let j = 9; j < 15; j++) w[j] = 0;
    w[15] = 97 * 8;
    kernel.compress();
    const state = kernel.state;
    for (let j = 0; j < 8; j++) out.setInt32(at + 4 * j, state[j]!);
  }
}

/**
 * Writes valueL + valueR of the two records at `o` (left) and `o + 48` (right) as the value of
 * the record at `at` in `out`; false when the sum does not fit 128 bits.
 */
function addSums(view: DataView, o: number, out: DataView, at: number): boolean {
  let carry = 0;
  for (let limb = 12; limb >= 0; limb -= 4) {
    const sum =
      view.getUint32(o + hashBytes + limb) +
      view.getUint32(o + sumRecordBytes + hashBytes + limb) +
      carry;
    out.setUint32(at + hashBytes + limb, sum >>> 0);
    carry = sum > 0xffffffff ? 1 : 0;
  }
  return carry === 0;
}
