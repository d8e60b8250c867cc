/**
 * The log's tree as the verifier reads it from its published tiles (C2SP tlog-tiles): one
 * `tileNodeReader` for the checkpoint's size, through which every hash is read (roots,
 * consistency and inclusion proofs), and the entry bundles, each checked entry by entry against
 * the leaf hashes of the tiles. Every path fetched is remembered, and every failure names the
 * path: the `tiles` check reports them all.
 *
 * Pure: no Node imports (bundled for the browser).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Checkpoint } from '../proofs/checkpoint.ts';
import { equalBytes, leafHash, type NodeReader } from '../proofs/hash.ts';
import { rootOf } from '../proofs/merkle.ts';
import {
  decodeEntryBundle,
  entriesPath,
  fullTileWidth,
  tileNodeReader,
  tileWidthInTree,
} from '../proofs/tiles.ts';

/**
 * Reads a file of the log by its path under `log/` (`checkpoint`, `tile/0/000.p/3`, …): its
 * bytes, or null when the log has no such file. Throws when the file cannot be read (a network
 * failure, a server error).
 * @example const fetch: Fetcher = async (path) => files.get(path) ?? null
 */
export type Fetcher = (path: string) => Promise<Uint8Array | null>;

/** A file the log should have and does not. */
export class MissingFileError extends Error {
  override readonly name = 'MissingFileError';
  constructor(readonly path: string) {
    super(`log/${path} is not published`);
  }
}

/**
 * The bytes at `path`, or a `MissingFileError`.
 * @example const note = await required(fetch, 'checkpoint')
 */
export async function required(fetch: Fetcher, path: string): Promise<Uint8Array> {
  const bytes = await fetch(path);
  if (bytes === null) throw new MissingFileError(path);
  return bytes;
}

/**
 * The tree of a verified checkpoint, read from tiles.
 * @example const tree = new TileTree(fetch, checkpoint); await tree.checkRoot(); await tree.entry(size - 1n)
 */
export class TileTree {
  /** Every tile and bundle path read, in the order first read. */
  readonly fetched: string[] = [];
  /** What failed, each naming its path (empty: every file read agrees with the checkpoint). */
  readonly failures: string[] = [];
  /** Hashes by (level, index), through which every proof is computed. */
  readonly reader: NodeReader;
  private readonly bundles = new Map<string, Promise<Uint8Array[]>>();

  constructor(
    private readonly fetch: Fetcher,
    readonly checkpoint: Checkpoint,
  ) {
    const read = tileNodeReader(async (path) => {
      this.fetched.push(path);
      return required(fetch, path);
    }, checkpoint.size);
    this.reader = async (level, index) => {
      try {
        return await read(level, index);
      } catch (error) {
        this.fail((error as Error).message);
        throw error;
      }
    };
  }

  private fail(message: string): void {
    if (!this.failures.includes(message)) this.failures.push(message);
  }

  /**
   * Whether the tiles hash to the checkpoint's root; a failure is recorded naming what differs.
   * @example if (!(await tree.checkRoot())) console.log(tree.failures)
   */
  async checkRoot(): Promise<boolean> {
    let root: Uint8Array;
    try {
      root = await rootOf(this.checkpoint.size, this.reader);
    } catch {
      return false;
    }
    if (equalBytes(root, this.checkpoint.root)) return true;
    const edge = this.fetched.filter((path) => path.includes('.p/'));
    this.fail(
      `the tiles hash to root ${bytesToHex(root)}, not the checkpoint's ${bytesToHex(this.checkpoint.root)} (read from ${edge.join(', ') || this.fetched.join(', ')})`,
    );
    return false;
  }

  /**
   * The entry at `index`, from its bundle; the whole bundle is checked against the tiles' leaf
   * hashes first (a failure names the bundle and the entry, and throws).
   * @example const attestationBytes = await tree.entry(tree.checkpoint.size - 1n)
   */
  async entry(index: bigint): Promise<Uint8Array> {
    const bundleIndex = index / BigInt(fullTileWidth);
    const entries = await this.bundle(bundleIndex);
    return entries[Number(index % BigInt(fullTileWidth))]!;
  }

  private bundle(bundleIndex: bigint): Promise<Uint8Array[]> {
    const width = tileWidthInTree(0, bundleIndex, this.checkpoint.size);
    const path = entriesPath(bundleIndex, width);
    let pending = this.bundles.get(path);
    if (pending === undefined) {
      pending = this.checkedBundle(path, bundleIndex, width).catch((error: Error) => {
        this.fail(error.message);
        throw error;
      });
      this.bundles.set(path, pending);
    }
    return pending;
  }

  private async checkedBundle(
    path: string,
    bundleIndex: bigint,
    width: number,
  ): Promise<Uint8Array[]> {
    this.fetched.push(path);
    const bytes = await required(this.fetch, path);
    let entries: Uint8Array[];
    try {
      entries = decodeEntryBundle(bytes, width);
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`);
    }
    const first = bundleIndex * BigInt(fullTileWidth);
    for (const [i, entry] of entries.entries()) {
      const want = await this.reader(0, first + BigInt(i));
      if (!equalBytes(leafHash(entry), want))
        throw new Error(
          `${path}: entry ${first + BigInt(i)} does not hash to leaf ${first + BigInt(i)} of the tiles (a changed entry)`,
        );
    }
    return entries;
  }
}
