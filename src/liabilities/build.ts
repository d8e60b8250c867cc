/**
 * The fast builder of the liabilities sum tree (ARCHITECTURE §6): the same tree as
 * `buildSumTree` (src/proofs/sumtree.ts; same root, same records at every level, build.test.ts
 * checks it), for ten million accounts in seconds rather than a minute.
 *
 * How: the accounts come packed in flat buffers (`PackedAccounts`: no object per account); every
 * level of the tree lies in one `SharedArrayBuffer` (48-byte records `hash ‖ value`, no object
 * per node); SHA-256 is a JavaScript kernel over typed arrays that allocates nothing per hash
 * (`sha256.ts`; Node's `createHash` costs a microsecond a call); and the leaves are split into
 * one range per core, each range's subtree hashed up in its own thread to a level where ranges
 * meet (`worker.ts`), the few levels above on the main thread.
 *
 * The result is a `SumTree`, so `sumProof`, `sumTreeNode` and `sumTilesFor` read it as they
 * read any other. Memory: about 2 × 48 bytes a leaf for the tree (960 MB for 10,000,000) plus the
 * packed accounts (about 48 bytes and the id a leaf), held until the caller drops them.
 */
import { availableParallelism } from 'node:os';
import { emptyRoot } from '../proofs/hash.ts';
import {
  type SumLeafInput,
  type SumTree,
  SumTreeError,
  saltLabel,
  sumRecordBytes,
  sumTreeNode,
  u128Max,
} from '../proofs/sumtree.ts';
import { startWorker } from '../workers.ts';
import { LevelHasher, type PackedAccounts } from './levels.ts';
import { hmacKeyState, Sha256Kernel } from './sha256.ts';

export type { PackedAccounts } from './levels.ts';

/**
 * Below this many leaves the builder does not start threads: a worker costs tens of
 * milliseconds to start (more under tsx), which a tree this small takes in all.
 */
export const parallelLeavesMin = 1 << 16;

/**
 * The most accounts one tree takes: 16,777,216, whose tree is 1.6 GB in memory (more wants a
 * builder that streams levels to disk). The ids' offsets are u32: their total is checked too.
 */
export const accountsMax = 2 ** 24;

/** The most bytes of ids, all accounts together: offsets into them are u32. */
const idsBytesMax = 2 ** 32 - 1;

/**
 * How `buildLiabilitiesTree` runs.
 * @example
 * const options: BuildOptions = { threads: 2 };
 */
export interface BuildOptions {
  /** Threads hashing (the main one included); default: the machine's cores, at most 8. */
  readonly threads?: number;
  /** Use threads from this many leaves on (default `parallelLeavesMin`; tests lower it). */
  readonly parallelMin?: number;
}

const encoder = new TextEncoder();
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Packs accounts one by one into shared buffers, checking each as `buildSumTree` does (the id
 * 1 to 256 bytes of NFC UTF-8 without lone surrogates, the salt 32 bytes, the value a u128).
 * @example
 * const writer = new PackedAccountsWriter(2);
 * writer.add('a', salt, 5n);
 * const packed = writer.finish();
 */
export class PackedAccountsWriter {
  private ids: Uint8Array;
  private readonly idOffsets: Uint32Array;
  private readonly salts: Uint8Array;
  private readonly values: Uint8Array;
  private readonly valuesView: DataView;
  private count = 0;

  /** @param capacity the most accounts this writer takes */
  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0 || capacity > accountsMax) {
      throw new SumTreeError(
        `capacity: must be an integer from 0 to ${accountsMax}, got ${capacity}`,
      );
    }
    this.ids = shared(Math.max(1024, 16 * capacity));
    this.idOffsets = new Uint32Array(new SharedArrayBuffer(4 * (capacity + 1)));
    this.salts = shared(32 * capacity);
    this.values = shared(16 * capacity);
    this.valuesView = new DataView(this.values.buffer);
  }

  /** Appends one account; throws `SumTreeError` naming `leaves[i].<field>` when it is bad. */
  add(customerId: string, salt: Uint8Array | undefined, value: bigint): void {
    const i = this.count;
    if (i >= this.capacity)
      throw new SumTreeError(`leaves: more than the capacity ${this.capacity}`);
    const start = this.idOffsets[i]!;
    if (this.ids.length - start < 3 * 256) this.grow();
    const written = idInto(`leaves[${i}].customerId`, customerId, this.ids, start);
    if (salt !== undefined) {
      if (!(salt instanceof Uint8Array) || salt.length !== 32) {
        throw new SumTreeError(`leaves[${i}].salt: must be 32 bytes`);
      }
      this.salts.set(salt, 32 * i);
    }
    if (typeof value !== 'bigint' || value < 0n || value > u128Max) {
      throw new SumTreeError(
        `leaves[${i}].value: must be a bigint from 0 to 2^128 − 1, got ${value}`,
      );
    }
    this.valuesView.setBigUint64(16 * i, value >> 64n);
    this.valuesView.setBigUint64(16 * i + 8, BigInt.asUintN(64, value));
    if (start + written > idsBytesMax) {
      throw new SumTreeError(`leaves[${i}].customerId: the ids pass 4 GiB in all`);
    }
    this.idOffsets[i + 1] = start + written;
    this.count = i + 1;
  }

  /** The accounts added so far (views on the writer's buffers; add no more afterwards). */
  finish(): PackedAccounts {
    const n = this.count;
    return {
      count: n,
      ids: this.ids.subarray(0, this.idOffsets[n]!),
      idOffsets: this.idOffsets.subarray(0, n + 1),
      salts: this.salts.subarray(0, 32 * n),
      values: this.values.subarray(0, 16 * n),
    };
  }

  private grow(): void {
    const bigger = shared(2 * this.ids.length);
    bigger.set(this.ids);
    this.ids = bigger;
  }
}

function shared(bytes: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(bytes));
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Checks an id (as `sumtree.ts` does) and writes its UTF-8 at `start`; returns its length. */
function idInto(field: string, id: unknown, into: Uint8Array, start: number): number {
  if (typeof id !== 'string' || id.length === 0)
    throw new SumTreeError(`${field}: must be a non-empty string`);
  if (id.length > 256) throw new SumTreeError(`${field}: must be at most 256 bytes of UTF-8`);
  if (!isAscii(id)) {
    if (loneSurrogate.test(id)) throw new SumTreeError(`${field}: must not hold lone surrogates`);
    if (id.normalize('NFC') !== id) throw new SumTreeError(`${field}: must be in Unicode NFC`);
  }
  const { written } = encoder.encodeInto(id, into.subarray(start, start + 3 * 256));
  if (written > 256) throw new SumTreeError(`${field}: must be at most 256 bytes of UTF-8`);
  return written;
}

/**
 * Packs a list of accounts (for tests and small inputs; large inputs use the writer directly).
 * @example
 * const packed = packAccounts([{ customerId: 'a', salt, value: 5n }]);
 */
export function packAccounts(accounts: readonly SumLeafInput[]): PackedAccounts {
  const writer = new PackedAccountsWriter(accounts.length);
  for (const { customerId, salt, value } of accounts) writer.add(customerId, salt, value);
  return writer.finish();
}

/**
 * Fills every account's salt with `deriveSalt(roundSecret, roundId, customerId)` (sumtree.ts):
 * HMAC-SHA256 on the kernel, the key's blocks hashed once for all accounts, the accounts split
 * over threads as the tree's leaves are.
 * @example
 * await deriveSalts(packed, secret, '2026-12-06'); // packed.salts now holds each account's salt
 */
export async function deriveSalts(
  packed: PackedAccounts,
  roundSecret: Uint8Array,
  roundId: string,
  options: BuildOptions = {},
): Promise<void> {
  if (!(roundSecret instanceof Uint8Array) || roundSecret.length !== 32) {
    throw new SumTreeError('roundSecret: must be 32 bytes');
  }
  if (typeof roundId !== 'string' || roundId.includes('\n')) {
    throw new SumTreeError('roundId: must be a string without a newline');
  }
  idInto('roundId', roundId, new Uint8Array(3 * 256), 0);
  // Workers write into the salts themselves: only salts on shared memory can be split.
  const shares = sharesOf(packed.count, isShared(packed) ? options : { threads: 1 });
  const secret = roundSecret.slice();
  const others = shares.slice(1).map((share) =>
    runInWorker({
      kind: 'salts',
      accounts: packed,
      roundSecret: secret,
      roundId,
      share,
    }),
  );
  await settle(() => saltRange(packed, secret, roundId, shares[0]!), others);
}

/**
 * Writes the salts of the accounts of `share` (its leaves `from` to `to` − 1).
 * @example saltRange(packed, secret, '1', { from: 0, to: packed.count, top: 0 })
 */
export function saltRange(
  packed: PackedAccounts,
  roundSecret: Uint8Array,
  roundId: string,
  share: Share,
): void {
  const prefix = encoder.encode(`${saltLabel}${roundId}\n`);
  const kernel = new Sha256Kernel(640);
  const inner = hmacKeyState(kernel, roundSecret, 0x36);
  const outer = hmacKeyState(kernel, roundSecret, 0x5c);
  const message = new Uint8Array(prefix.length + 256);
  message.set(prefix);
  const innerHash = new Uint8Array(32);
  const { ids, idOffsets, salts } = packed;
  for (let i = share.from; i < share.to; i++) {
    const start = idOffsets[i]!;
    const length = idOffsets[i + 1]! - start;
    for (let k = 0; k < length; k++) message[prefix.length + k] = ids[start + k]!;
    kernel.resume(inner);
    kernel.sha256Into(message, 0, prefix.length + length, innerHash, 0, 64);
    kernel.resume(outer);
    kernel.sha256Into(innerHash, 0, 32, salts, 32 * i, 64);
  }
}

/** The shares of `size` leaves for the threads `options` allow (one share below `parallelMin`). */
function sharesOf(size: number, options: BuildOptions): Share[] {
  const threads = Math.max(1, Math.min(options.threads ?? Math.min(8, availableParallelism()), 64));
  const parallel = threads > 1 && size >= (options.parallelMin ?? parallelLeavesMin);
  return parallel
    ? sharesFor(size, threads)
    : [{ from: 0, to: size, top: levelCounts(size).length - 1 }];
}

/**
 * Runs `mine` on this thread while `others` run in workers, then waits for them all (a failure
 * here still waits for the workers, so none writes after this returns); throws the first error.
 */
async function settle(mine: () => void, others: readonly Promise<void>[]): Promise<void> {
  let failure: unknown;
  try {
    mine();
  } catch (error) {
    failure = error;
  }
  const results = await Promise.allSettled(others);
  if (failure !== undefined) throw failure;
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

/** The number of records of each level of a tree of `size` leaves, leaves first. */
export function levelCounts(size: number): number[] {
  const counts = [size];
  while (counts[counts.length - 1]! > 1) counts.push(Math.ceil(counts[counts.length - 1]! / 2));
  return counts;
}

/** Where each level starts in the tree's one buffer, in bytes. */
function levelOffsets(counts: readonly number[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const count of counts) {
    offsets.push(at);
    at += count * sumRecordBytes;
  }
  offsets.push(at);
  return offsets;
}

/**
 * One thread's share: the leaves `from` to `to` − 1 and their subtrees up to level `top`
 * (`from` and, unless it is the end, `to` are multiples of 2^top, so no pair straddles two shares).
 */
export interface Share {
  readonly from: number;
  readonly to: number;
  readonly top: number;
}

/**
 * Hashes one share into `levels`: the leaves, then at each level up to `top` the parents of the
 * share's records.
 */
export function hashShare(
  hasher: LevelHasher,
  accounts: PackedAccounts,
  levels: readonly Uint8Array[],
  counts: readonly number[],
  share: Share,
): void {
  const { from, to, top } = share;
  const atEnd = to === accounts.count;
  hasher.leaves(accounts, from, to, levels[0]!);
  for (let level = 1; level <= top; level++) {
    const first = from / 2 ** (level - 1);
    const end = atEnd ? counts[level - 1]! : to / 2 ** (level - 1);
    hasher.parents(levels[level - 1]!, first, end, levels[level]!, level);
  }
}

/** Splits `size` leaves into `threads` shares that meet at level `top`. */
export function sharesFor(size: number, threads: number): Share[] {
  const top = Math.max(
    0,
    Math.min(levelCounts(size).length - 1, Math.floor(Math.log2(size / (64 * threads)))),
  );
  const unit = 2 ** top;
  const bounds = [0];
  for (let j = 1; j < threads; j++)
    bounds.push(Math.min(size, Math.round((size * j) / threads / unit) * unit));
  bounds.push(size);
  const shares: Share[] = [];
  for (let j = 0; j < threads; j++) {
    if (bounds[j + 1]! > bounds[j]!) shares.push({ from: bounds[j]!, to: bounds[j + 1]!, top });
  }
  return shares;
}

/**
 * Builds the sum tree of `accounts`, in order: the same tree as `buildSumTree` of the same
 * accounts, as a `SumTree` whose levels are views on one `SharedArrayBuffer`. Rejects with a
 * `SumTreeError` on an id of the wrong length or a sum overflowing u128 (as `buildSumTree`
 * throws them).
 * @example
 * const tree = await buildLiabilitiesTree(packAccounts(accounts));
 * const proof = sumProof(tree, 7n);
 */
export async function buildLiabilitiesTree(
  accounts: PackedAccounts,
  options: BuildOptions = {},
): Promise<SumTree> {
  const size = accounts.count;
  if (!Number.isSafeInteger(size) || size < 0 || size > accountsMax) {
    throw new SumTreeError(
      `accounts.count: must be an integer from 0 to ${accountsMax}, got ${size}`,
    );
  }
  if (size === 0)
    return { size: 0n, root: { hash: emptyRoot.slice(), value: 0n }, levels: [new Uint8Array(0)] };
  const counts = levelCounts(size);
  const offsets = levelOffsets(counts);
  const buffer = new SharedArrayBuffer(offsets[offsets.length - 1]!);
  const levels = counts.map(
    (_, level) => new Uint8Array(buffer, offsets[level]!, counts[level]! * sumRecordBytes),
  );
  const shares = sharesOf(size, options);
  const hasher = new LevelHasher();
  const accountsShared = shares.length > 1 ? sharedAccounts(accounts) : accounts;
  const others = shares
    .slice(1)
    .map((share) =>
      runInWorker({ kind: 'tree', accounts: accountsShared, buffer, counts, offsets, share }),
    );
  await settle(() => hashShare(hasher, accounts, levels, counts, shares[0]!), others);
  for (let level = shares[0]!.top + 1; level < counts.length; level++) {
    hasher.parents(levels[level - 1]!, 0, counts[level - 1]!, levels[level]!, level);
  }
  const tree: SumTree = {
    size: BigInt(size),
    root: { hash: new Uint8Array(32), value: 0n },
    levels,
  };
  return { ...tree, root: sumTreeNode(tree, counts.length - 1, 0n) };
}

/** Whether every buffer of `accounts` is on shared memory. */
function isShared(accounts: PackedAccounts): boolean {
  const { ids, idOffsets, salts, values } = accounts;
  return [ids, idOffsets, salts, values].every((a) => a.buffer instanceof SharedArrayBuffer);
}

/** `accounts` on shared memory (copied there when they are not), for the workers. */
function sharedAccounts(accounts: PackedAccounts): PackedAccounts {
  if (isShared(accounts)) return accounts;
  const copy = <T extends Uint8Array | Uint32Array>(a: T, make: (b: SharedArrayBuffer) => T): T => {
    const out = make(new SharedArrayBuffer(a.byteLength));
    out.set(a as never);
    return out;
  };
  return {
    count: accounts.count,
    ids: copy(accounts.ids, (b) => new Uint8Array(b)),
    idOffsets: copy(accounts.idOffsets, (b) => new Uint32Array(b)),
    salts: copy(accounts.salts, (b) => new Uint8Array(b)),
    values: copy(accounts.values, (b) => new Uint8Array(b)),
  };
}

/** What a worker is given (worker.ts): a share of the tree, or of the salts. */
export type WorkerJob =
  | {
      readonly kind: 'tree';
      readonly accounts: PackedAccounts;
      readonly buffer: SharedArrayBuffer;
      readonly counts: readonly number[];
      readonly offsets: readonly number[];
      readonly share: Share;
    }
  | {
      readonly kind: 'salts';
      readonly accounts: PackedAccounts;
      readonly roundSecret: Uint8Array;
      readonly roundId: string;
      readonly share: Share;
    };

/** What a worker answers: done, or the error it met (a `SumTreeError` is rethrown as one). */
export type WorkerAnswer =
  | { readonly ok: true }
  | { readonly ok: false; readonly message: string; readonly sumTree: boolean };

function runInWorker(job: WorkerJob): Promise<void> {
  const worker = startWorker(import.meta.url, 'worker', job);
  return new Promise<void>((resolve, reject) => {
    worker.once('message', (answer: WorkerAnswer) => {
      if (answer.ok) resolve();
      else reject(answer.sumTree ? new SumTreeError(answer.message) : new Error(answer.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`assertion failed: the tree worker exited (${code}) without an answer`)),
    );
  }).finally(() => void worker.terminate());
}
