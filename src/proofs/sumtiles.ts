/**
 * The liabilities sum tree (`sumtree.ts`) published as static tiles, with the geometry of the
 * log's tiles (C2SP tlog-tiles, `tiles.ts`): height 8, so a tile at tile level L holds up to 256
 * consecutive records of tree level 8L, each the record of a complete subtree of 256^L leaves;
 * `tile/<L>/<N>` holds the records of subtrees N·256 to N·256 + 255, and the rightmost tile of a
 * level is partial, its width in its path (`tile/<L>/<N>.p/<W>`). The paths are spelled exactly
 * as `tilePath` spells them. The one difference: a record is 48 bytes, `hash ‖ value` (the
 * node's hash, then the sum below it as a big-endian u128), so a full tile is 12,288 bytes.
 *
 * A holder's proof and the root are computed from the tiles alone: `sumProofFromTiles` fetches
 * only the tiles on the leaf's path and those that make up the root (the partial tiles at the
 * right edge), checks each tile's length, and checks each full tile against the record its
 * parent tile holds for it (the tile's 256 records hashed up eight levels must give that record,
 * hash and sum). Every record used is thus bound, through its parents, to the partial tiles the
 * root is computed from; once the caller has compared the returned root with the signed
 * attestation's root and total, every step of the proof is authenticated.
 *
 * Pure: no Node imports (bundled for the browser).
 */
import { emptyRoot, equalBytes, type Sha256, sha256 } from './hash.ts';
import {
  buildSumTree,
  type SumNode,
  type SumProofStep,
  type SumTree,
  SumTreeError,
  sumNode,
  sumRecordBytes,
  sumTreeNode,
} from './sumtree.ts';
import {
  fullTileWidth,
  type TileCoordinate,
  tileCoordinatesFor,
  tileHeight,
  tilePath,
  tileWidthInTree,
} from './tiles.ts';

/**
 * A sum tile to publish: its path (relative to the round's directory) and its records.
 * @example
 * const tile: SumTile = { level: 0, index: 0n, width: 3, path: 'tile/0/000.p/3', bytes };
 */
export interface SumTile extends TileCoordinate {
  /** `tile/<L>/<N>[.p/<W>]`, as `tilePath` spells it. */
  readonly path: string;
  /** The tile's `width` records of 48 bytes, `hash ‖ value`, concatenated. */
  readonly bytes: Uint8Array;
}

/**
 * What `sumProofFromTiles` reads from the tiles: the leaf's record, the proof (siblings from the
 * leaf up, as `sumProof` gives them) and the root. Compare `root.hash` and `root.value` with the
 * signed attestation before trusting any of it.
 * @example
 * const { leaf, proof, root } = await sumProofFromTiles(read, 70000n, 5n);
 */
export interface SumTilesProof {
  readonly leaf: SumNode;
  readonly proof: SumProofStep[];
  readonly root: SumNode;
}

const maxTreeSize = (1n << 64n) - 1n;

/** The bytes of one full tile: 256 records of 48 bytes. */
export const fullSumTileBytes: number = fullTileWidth * sumRecordBytes;

/**
 * Every tile of a built sum tree: for each tile level L, the full tiles and the partial tile at
 * the right edge of tree level 8L (the tiles `tileCoordinatesFor(0n, size)` names). The bytes
 * are views into `tree.levels`, not copies. The empty tree has no tiles.
 * @example
 * const tiles = sumTilesFor(buildSumTree(leaves)); // 300 leaves: tile/0/000, tile/0/001.p/44, tile/1/000.p/1
 */
export function sumTilesFor(tree: SumTree): SumTile[] {
  return tileCoordinatesFor(0n, tree.size).map((tile) => {
    const records = tree.levels[tileHeight * tile.level];
    const start = Number(tile.index) * fullSumTileBytes;
    const end = start + tile.width * sumRecordBytes;
    if (records === undefined || records.length < end) {
      throw new SumTreeError(`tree: level ${tileHeight * tile.level} is missing records`);
    }
    return {
      ...tile,
      path: tilePath(tile.level, tile.index, tile.width),
      bytes: records.subarray(start, end),
    };
  });
}

/** A fetched tile with its records hashed up inside it: `levels[j]` is tree level 8L + j. */
interface ReadTile {
  readonly path: string;
  readonly levels: readonly Uint8Array[];
}

/**
 * The proof of leaf `index` in a sum tree of `size` leaves served as tiles, and the root,
 * computed from the tiles `readTile` returns (given a path such as `tile/0/x001/234.p/7`).
 * Only the tiles on the leaf's path, their parents and the partial tiles at the right edge are
 * fetched, each once. Throws an error naming the tile when one has the wrong length, when a full
 * tile's records do not hash up to the record its parent tile holds for it (a corrupt or
 * substituted tile), or when a sum overflows u128.
 *
 * The result is only as good as the root it is compared with: check `root.hash` and
 * `root.value` against the signed attestation (and `size` with it), then check the proof with
 * `verifySumProof` from your own id, salt and value.
 * @example
 * const { proof, root } = await sumProofFromTiles((p) => fetchBytes(`${base}/${p}`), size, index);
 * if (bytesToHex(root.hash) !== attestation.root || root.value !== attestation.total) throw …;
 * verifySumProof({ customerId, salt, value, index, size, proof, root });
 */
export async function sumProofFromTiles(
  readTile: (path: string) => Promise<Uint8Array>,
  size: bigint,
  index: bigint,
  hash: Sha256 = sha256,
): Promise<SumTilesProof> {
  if (typeof size !== 'bigint' || size < 1n || size > maxTreeSize) {
    throw new SumTreeError(`size: must be a bigint from 1 to 2^64 − 1, got ${String(size)}`);
  }
  if (typeof index !== 'bigint' || index < 0n || index >= size) {
    throw new SumTreeError(`index: must be a bigint from 0 to size − 1, got ${String(index)}`);
  }
  const cache = new Map<string, Promise<ReadTile>>();

  const fetchTile = (tile: TileCoordinate): Promise<ReadTile> => {
    const path = tilePath(tile.level, tile.index, tile.width);
    let pending = cache.get(path);
    if (pending === undefined) {
      pending = fetchChecked(tile, path);
      cache.set(path, pending);
      pending.catch(() => cache.delete(path));
    }
    return pending;
  };

  const fetchChecked = async (tile: TileCoordinate, path: string): Promise<ReadTile> => {
    const bytes = await readTile(path);
    if (!(bytes instanceof Uint8Array)) throw new SumTreeError(`tile ${path}: not a Uint8Array`);
    const want = tile.width * sumRecordBytes;
    if (bytes.length !== want) {
      throw new SumTreeError(
        `tile ${path}: ${bytes.length} bytes, want ${want} (${tile.width} records of ${sumRecordBytes} bytes)`,
      );
    }
    let levels: readonly Uint8Array[];
    try {
      levels = buildSumTree(bytes.slice(), hash).levels;
    } catch (error) {
      if (error instanceof SumTreeError) throw new SumTreeError(`tile ${path}: ${error.message}`);
      throw error;
    }
    if (tile.width === fullTileWidth) {
      const parentIndex = tile.index >> BigInt(tileHeight);
      const parent = await fetchTile({
        level: tile.level + 1,
        index: parentIndex,
        width: tileWidthInTree(tile.level + 1, parentIndex, size),
      });
      const position = Number(tile.index % BigInt(fullTileWidth));
      const expected = parent.levels[0]!.subarray(
        position * sumRecordBytes,
        (position + 1) * sumRecordBytes,
      );
      if (!equalBytes(levels[tileHeight]!, expected)) {
        throw new SumTreeError(
          `tile ${path}: its records do not hash up to record ${position} of tile ${parent.path} (a corrupt tile)`,
        );
      }
    }
    return { path, levels };
  };

  /** The record of the complete subtree (level, i): from the one tile that holds it. */
  const complete = async (level: number, i: bigint): Promise<SumNode> => {
    const tileLevel = Math.floor(level / tileHeight);
    const inTile = level % tileHeight;
    const first = i << BigInt(inTile);
    const tileIndex = first >> BigInt(tileHeight);
    const tile = await fetchTile({
      level: tileLevel,
      index: tileIndex,
      width: tileWidthInTree(tileLevel, tileIndex, size),
    });
    const offset = Number(first % BigInt(fullTileWidth)) >> inTile;
    // The tile's own levels, read as a small tree: level j of it is tree level 8L + j.
    return sumTreeNode({ size: 0n, root: emptyNode, levels: tile.levels }, inTile, BigInt(offset));
  };

  /**
   * The node over leaves `start` to `size` − 1 (RFC 6962's shape): its complete subtrees, largest
   * first, joined from the right. `start` is a multiple of a power of two above `size − start`.
   */
  const edge = async (start: bigint): Promise<SumNode> => {
    const parts: Promise<SumNode>[] = [];
    let at = start;
    for (let level = 63; level >= 0; level--) {
      const span = 1n << BigInt(level);
      if (((size - start) & span) === 0n) continue;
      parts.push(complete(level, at >> BigInt(level)));
      at += span;
    }
    const nodes = await Promise.all(parts);
    let node = nodes[nodes.length - 1]!;
    for (let k = nodes.length - 2; k >= 0; k--) node = joined(nodes[k]!, node, hash);
    return node;
  };

  const steps: Promise<SumProofStep>[] = [];
  let position = index;
  let count = size;
  for (let level = 0; count > 1n; level++) {
    const isRight = position % 2n === 1n;
    const sibling = isRight ? position - 1n : position + 1n;
    if (sibling < count) {
      const side = isRight ? 'left' : 'right';
      const completeCount = size >> BigInt(level);
      const read =
        sibling < completeCount ? complete(level, sibling) : edge(sibling << BigInt(level));
      steps.push(read.then((node) => ({ ...node, side })));
    }
    position >>= 1n;
    count = (count + 1n) >> 1n;
  }
  const [leaf, proof, root] = await Promise.all([complete(0, index), Promise.all(steps), edge(0n)]);
  return { leaf, proof, root };
}

const emptyNode: SumNode = { hash: emptyRoot, value: 0n };

function joined(left: SumNode, right: SumNode, hash: Sha256): SumNode {
  try {
    return sumNode(left, right, hash);
  } catch (error) {
    if (error instanceof SumTreeError) throw new SumTreeError(`tiles: ${error.message}`);
    throw error;
  }
}
