/**
 * The log served as tiles (C2SP tlog-tiles, https://c2sp.org/tlog-tiles): instead of answering
 * proof requests, the log publishes its Merkle tree as static, cacheable files, and clients
 * compute any root or proof from them.
 *
 * A tile at level L holds up to 256 consecutive hashes of the tree, each the hash of a complete
 * subtree of 256^L leaves (tree level 8L): `tile/<L>/<N>` holds those of subtrees N·256 to
 * N·256 + 255. A full tile (256 hashes, 8,192 bytes) never changes. The rightmost tile of each
 * level is usually partial, and its width is in its path (`tile/<L>/<N>.p/<W>`), so a partial
 * tile, too, never changes once published. The levels between 8L and 8L + 8 are not stored:
 * they are hashed up from the tile's hashes. The entries themselves are served in bundles of up
 * to 256 (`tile/entries/<N>[.p/<W>]`), each entry a big-endian uint16 length and its bytes.
 *
 * This file holds the paths (writing and strict parsing), what a log publishes when it grows
 * (`tilesFor`), the entry bundle format, and the reading side: a `NodeReader` over fetched tiles
 * (`tileNodeReader`) from which `merkle.ts` computes roots and proofs. The tile math follows
 * Go's reference implementation (golang.org/x/mod/sumdb/tlog, tile.go) with height 8.
 *
 * Nothing here trusts a fetched tile: the reader checks each tile's length and each full tile
 * against its parent, which binds every hash it returns to the tiles the root is computed from;
 * the root, or a proof computed from the reader, is then checked against a signed checkpoint.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import {
  emptyRoot,
  equalBytes,
  hashBytes,
  type NodeReader,
  nodeHash,
  type Sha256,
  sha256,
} from './hash.ts';

/** A tile's height: each tile spans 8 levels of the tree. */
export const tileHeight = 8;

/** The number of hashes in a full tile (2^8), and of entries in a full entry bundle. */
export const fullTileWidth = 256;

/** The largest entry an entry bundle can hold: its length is a uint16. */
export const maxEntryBytes = 0xffff;

/** The largest tree size (and, below it, leaf index) this library accepts: 2^64 − 1. */
const maxTreeSize = (1n << 64n) - 1n;

/** The highest tile level a path may name (C2SP tlog-tiles: "between 0 and 63"). */
const maxTileLevel = 63;

/** The highest tree level a subtree can have in a tree of at most 2^64 − 1 leaves. */
const maxTreeLevel = 63;

/** Where a tile sits: its level, its index within the level, and how many hashes it holds. */
export interface TileCoordinate {
  /** The tile level L: the tile's hashes are of subtrees of 256^L leaves. */
  level: number;
  /** The tile's index N within its level. */
  index: bigint;
  /** The number of hashes (or entries) in the tile: 256 for a full tile, 1–255 for a partial. */
  width: number;
}

/** A tile to publish: where it goes and its bytes (its hashes, 32 bytes each, concatenated). */
export interface PublishedTile extends TileCoordinate {
  /** The tile's path, relative to the log's prefix, e.g. `tile/0/x001/x234/067.p/8`. */
  path: string;
  /** The concatenated hashes: `width × 32` bytes. */
  bytes: Uint8Array;
}

/** A parsed tile path: a tile of hashes, or an entry bundle. */
export type ParsedTilePath =
  | ({ kind: 'hashes' } & TileCoordinate)
  | { kind: 'entries'; index: bigint; width: number };

/** Where the leaf hashes come from when writing tiles: all of them in memory, or a reader. */
export type LeafSource = readonly Uint8Array[] | NodeReader;

// ---------------------------------------------------------------------------------------------
// Input checks

function requireTileLevel(level: number, field: string): void {
  if (!Number.isSafeInteger(level) || level < 0 || level > maxTileLevel) {
    throw new Error(`${field} must be an integer from 0 to ${maxTileLevel}, got ${level}`);
  }
}

function requireTreeLevel(level: number, field: string): void {
  if (!Number.isSafeInteger(level) || level < 0 || level > maxTreeLevel) {
    throw new Error(`${field} must be an integer from 0 to ${maxTreeLevel}, got ${level}`);
  }
}

function requireUint64(value: bigint, field: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > maxTreeSize) {
    throw new Error(`${field} must be a bigint from 0 to 2^64 − 1, got ${String(value)}`);
  }
}

function requireWidth(width: number, field: string): void {
  if (!Number.isSafeInteger(width) || width < 1 || width > fullTileWidth) {
    throw new Error(`${field} must be an integer from 1 to ${fullTileWidth}, got ${width}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Paths

/** Encodes N as the spec says: three-digit groups, all but the last prefixed with `x`. */
function encodeTileIndex(index: bigint): string {
  const group = (n: bigint) => n.toString().padStart(3, '0');
  let encoded = group(index % 1000n);
  for (let rest = index / 1000n; rest > 0n; rest /= 1000n) {
    encoded = `x${group(rest % 1000n)}/${encoded}`;
  }
  return encoded;
}

function encodeWidthSuffix(width: number): string {
  return width === fullTileWidth ? '' : `.p/${width}`;
}

/**
 * The path of a tile of hashes: `tile/<L>/<N>`, or `tile/<L>/<N>.p/<W>` for a partial tile of
 * `width` hashes (C2SP tlog-tiles, "Merkle Tree").
 * @example tilePath(0, 1234067n) === 'tile/0/x001/x234/067'
 * @example tilePath(1, 1234067n, 8) === 'tile/1/x001/x234/067.p/8'
 */
export function tilePath(level: number, index: bigint, width: number = fullTileWidth): string {
  requireTileLevel(level, 'tile level');
  requireUint64(index, 'tile index');
  requireWidth(width, 'tile width');
  return `tile/${level}/${encodeTileIndex(index)}${encodeWidthSuffix(width)}`;
}

/**
 * The path of an entry bundle: `tile/entries/<N>`, or `tile/entries/<N>.p/<W>` for a partial
 * bundle of `width` entries (C2SP tlog-tiles, "Log entries").
 * @example entriesPath(1234067n) === 'tile/entries/x001/x234/067'
 * @example entriesPath(0n, 3) === 'tile/entries/000.p/3'
 */
export function entriesPath(index: bigint, width: number = fullTileWidth): string {
  requireUint64(index, 'entry bundle index');
  requireWidth(width, 'entry bundle width');
  return `tile/entries/${encodeTileIndex(index)}${encodeWidthSuffix(width)}`;
}

const decimal = /^(0|[1-9][0-9]*)$/;

/**
 * Parses a tile or entry bundle path, strictly: only the one canonical spelling that
 * `tilePath`/`entriesPath` write is accepted (no leading zeros in L or W, no `x000` group in
 * front, W from 1 to 255, L from 0 to 63, N below 2^64). Throws an error naming the path and
 * the rule otherwise.
 * @example parseTilePath('tile/1/x001/x234/067.p/8') // { kind: 'hashes', level: 1, index: 1234067n, width: 8 }
 * @example parseTilePath('tile/entries/000') // { kind: 'entries', index: 0n, width: 256 }
 */
export function parseTilePath(path: string): ParsedTilePath {
  const fail = (rule: string): never => {
    throw new Error(`malformed tile path ${JSON.stringify(path)}: ${rule}`);
  };
  if (typeof path !== 'string') fail('not a string');
  const parts = path.split('/');
  if (parts.length < 3 || parts[0] !== 'tile') fail('must start with "tile/<L or entries>/"');
  const levelPart = parts[1]!;
  let level = -1;
  if (levelPart !== 'entries') {
    if (!decimal.test(levelPart)) fail('the level must be "entries" or a decimal integer');
    level = Number(levelPart);
    if (level > maxTileLevel) fail(`the level must be at most ${maxTileLevel}`);
  }
  const indexParts = parts.slice(2);
  let width = fullTileWidth;
  const beforeLast = indexParts[indexParts.length - 2];
  if (beforeLast?.endsWith('.p')) {
    const widthPart = indexParts.pop()!;
    if (!decimal.test(widthPart)) fail('the width must be a decimal integer');
    width = Number(widthPart);
    if (width < 1 || width >= fullTileWidth) fail('a partial width must be from 1 to 255');
    indexParts[indexParts.length - 1] = beforeLast.slice(0, -'.p'.length);
  }
  let index = 0n;
  indexParts.forEach((part, i) => {
    const last = i === indexParts.length - 1;
    const shape = last ? /^[0-9]{3}$/ : /^x[0-9]{3}$/;
    if (!shape.test(part)) {
      fail('the index must be three-digit groups, all but the last prefixed with "x"');
    }
    index = index * 1000n + BigInt(last ? part : part.slice(1));
  });
  if (index > maxTreeSize) fail('the index must be below 2^64');
  const canonical = level < 0 ? entriesPath(index, width) : tilePath(level, index, width);
  if (canonical !== path) fail(`not canonical (the canonical spelling is ${canonical})`);
  return level < 0 ? { kind: 'entries', index, width } : { kind: 'hashes', level, index, width };
}

// ---------------------------------------------------------------------------------------------
// Tile math

/**
 * The width of tile `index` at tile level `level` in a tree of `size` leaves: 256 if the tile
 * is full, 1–255 if it is the partial tile at the right edge, 0 if the tree has no such tile
 * (C2SP tlog-tiles: the partial tile at level l has floor(s / 256^l) mod 256 hashes). Level 0
 * is also the entry bundles' level.
 * @example tileWidthInTree(0, 273n, 70000n) === 112
 * @example tileWidthInTree(1, 0n, 70000n) === 256
 */
export function tileWidthInTree(level: number, index: bigint, size: bigint): number {
  requireTileLevel(level, 'tile level');
  requireUint64(index, 'tile index');
  requireUint64(size, 'tree size');
  const hashesAtLevel = size >> BigInt(tileHeight * level);
  const start = index * BigInt(fullTileWidth);
  if (hashesAtLevel <= start) return 0;
  const held = hashesAtLevel - start;
  return held >= BigInt(fullTileWidth) ? fullTileWidth : Number(held);
}

/**
 * The tiles a log must publish when it grows from `oldSize` to `newSize` leaves, at every
 * level: the tiles that became full, and the new partial tile at the right edge of each level
 * whose hash count changed (Go's tlog.NewTiles with height 8). The entry bundles to publish are
 * the level-0 coordinates. Nothing is published for a tree of size 0, or when the size does not
 * change.
 * @example tileCoordinatesFor(0n, 256n) // [{ level: 0, index: 0n, width: 256 }, { level: 1, index: 0n, width: 1 }]
 */
export function tileCoordinatesFor(oldSize: bigint, newSize: bigint): TileCoordinate[] {
  requireUint64(oldSize, 'old tree size');
  requireUint64(newSize, 'new tree size');
  if (oldSize > newSize) {
    throw new Error(`old tree size ${oldSize} must not exceed new tree size ${newSize}`);
  }
  const height = BigInt(tileHeight);
  const tiles: TileCoordinate[] = [];
  for (let level = 0; newSize >> (height * BigInt(level)) > 0n; level++) {
    const shift = height * BigInt(level);
    const oldCount = oldSize >> shift;
    const newCount = newSize >> shift;
    if (oldCount === newCount) continue;
    for (let index = oldCount >> height; index < newCount >> height; index++) {
      tiles.push({ level, index, width: fullTileWidth });
    }
    const edge = newCount >> height;
    const width = Number(newCount - (edge << height));
    if (width > 0) tiles.push({ level, index: edge, width });
  }
  return tiles;
}

/** The hash of a complete subtree from the 2^k hashes it spans at some level below (k ≥ 0). */
function hashPowerOfTwo(hashes: Uint8Array[], hash: Sha256): Uint8Array {
  let row = hashes;
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!, hash));
    row = next;
  }
  return row[0]!;
}

function requireHash(value: Uint8Array, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== hashBytes) {
    throw new Error(`${what} must be ${hashBytes} bytes`);
  }
  return value;
}

/** Whether (level, index) names a complete subtree inside a tree of `size` leaves. */
function isCompleteSubtree(level: number, index: bigint, size: bigint): boolean {
  return (index + 1n) << BigInt(level) <= size;
}

/**
 * A `NodeReader` over leaf hashes held in memory: the first `size` of `leafHashes`. Hashes at
 * tree levels that are multiples of 8 are remembered, since tiles are built from them.
 */
function leafArrayReader(
  leafHashes: readonly Uint8Array[],
  size: bigint,
  hash: Sha256,
): NodeReader {
  if (BigInt(leafHashes.length) < size) {
    throw new Error(
      `leaf hashes: ${leafHashes.length} given, the tree of size ${size} needs ${size}`,
    );
  }
  const stored = new Map<string, Uint8Array>();
  const read = (level: number, index: bigint): Uint8Array => {
    if (level === 0) return requireHash(leafHashes[Number(index)]!, `leaf hash ${index}`);
    const below = level % tileHeight === 0 ? level - tileHeight : level - (level % tileHeight);
    const span = level - below;
    const key = `${level}/${index}`;
    const known = stored.get(key);
    if (known) return known;
    const children: Uint8Array[] = [];
    for (let i = 0n; i < 1n << BigInt(span); i++)
      children.push(read(below, (index << BigInt(span)) + i));
    const result = hashPowerOfTwo(children, hash);
    if (level % tileHeight === 0) stored.set(key, result);
    return result;
  };
  return async (level, index) => {
    requireTreeLevel(level, 'node level');
    requireUint64(index, 'node index');
    if (!isCompleteSubtree(level, index, size)) {
      throw new Error(
        `node (level ${level}, index ${index}) is not complete in a tree of size ${size}`,
      );
    }
    return read(level, index);
  };
}

/**
 * The tiles (paths and bytes) a log grown from `oldSize` to `newSize` leaves must publish: the
 * tiles of `tileCoordinatesFor(oldSize, newSize)`, each the concatenation of its 32-byte hashes
 * (at level L, the hashes of subtrees of 256^L leaves). Full tiles are immutable; partial ones
 * carry their width in their path. The leaf hashes come from `source`: an array holding at
 * least the first `newSize` leaf hashes (only those are read), or a `NodeReader` over the tree
 * of `newSize` leaves (asked only for levels that are multiples of 8). `hash` is the SHA-256
 * used to hash an array's leaves up.
 * @example
 * const tiles = await tilesFor(0n, 3n, [leafHash(a), leafHash(b), leafHash(c)]);
 * tiles[0].path === 'tile/0/000.p/3' && tiles[0].bytes.length === 96
 */
export async function tilesFor(
  oldSize: bigint,
  newSize: bigint,
  source: LeafSource,
  hash: Sha256 = sha256,
): Promise<PublishedTile[]> {
  const coordinates = tileCoordinatesFor(oldSize, newSize);
  const reader = typeof source === 'function' ? source : leafArrayReader(source, newSize, hash);
  const tiles: PublishedTile[] = [];
  for (const tile of coordinates) {
    const first = tile.index * BigInt(fullTileWidth);
    const level = tileHeight * tile.level;
    const reads: Promise<Uint8Array>[] = [];
    for (let i = 0; i < tile.width; i++) reads.push(reader(level, first + BigInt(i)));
    const hashes = await Promise.all(reads);
    hashes.forEach((h, i) => {
      requireHash(h, `the hash at level ${level}, index ${first + BigInt(i)}`);
    });
    tiles.push({
      ...tile,
      path: tilePath(tile.level, tile.index, tile.width),
      bytes: concatBytes(...hashes),
    });
  }
  return tiles;
}

// ---------------------------------------------------------------------------------------------
// Entry bundles

function requireBundleCount(count: number, what: string): void {
  if (count < 1 || count > fullTileWidth) {
    throw new Error(`${what} must hold 1 to ${fullTileWidth} entries, got ${count}`);
  }
}

/**
 * An entry bundle: each entry as a big-endian uint16 length, then its bytes (C2SP tlog-tiles,
 * "Log entries"). A bundle holds 1 to 256 entries; an entry longer than 65,535 bytes is refused.
 * @example encodeEntryBundle([utf8ToBytes('hi')]) // Uint8Array [0, 2, 104, 105]
 */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  requireBundleCount(entries.length, 'an entry bundle');
  const parts: Uint8Array[] = [];
  entries.forEach((entry, i) => {
    if (!(entry instanceof Uint8Array)) throw new Error(`entry ${i} must be a Uint8Array`);
    if (entry.length > maxEntryBytes) {
      throw new Error(`entry ${i} is ${entry.length} bytes, more than ${maxEntryBytes} (uint16)`);
    }
    parts.push(new Uint8Array([entry.length >> 8, entry.length & 0xff]), entry);
  });
  return concatBytes(...parts);
}

/**
 * The entries of an entry bundle, strictly: every length prefix and entry must be whole, with
 * nothing left over, and the bundle must hold 1 to 256 entries (exactly `width`, if given: the
 * width its path names).
 * @example decodeEntryBundle(new Uint8Array([0, 2, 104, 105])) // [Uint8Array [104, 105]]
 */
export function decodeEntryBundle(bytes: Uint8Array, width?: number): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new Error('an entry bundle must be a Uint8Array');
  if (width !== undefined) requireWidth(width, 'entry bundle width');
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) {
      throw new Error(
        `entry bundle: entry ${entries.length}'s length prefix is cut off at byte ${offset}`,
      );
    }
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
    offset += 2;
    if (offset + length > bytes.length) {
      throw new Error(
        `entry bundle: entry ${entries.length} needs ${length} bytes, ${bytes.length - offset} remain`,
      );
    }
    entries.push(bytes.slice(offset, offset + length));
    offset += length;
    if (entries.length > fullTileWidth) {
      throw new Error(`entry bundle: more than ${fullTileWidth} entries`);
    }
  }
  requireBundleCount(entries.length, 'an entry bundle');
  if (width !== undefined && entries.length !== width) {
    throw new Error(`entry bundle: ${entries.length} entries, its path says ${width}`);
  }
  return entries;
}

/** An entry bundle to publish: where it goes and its bytes. */
export interface PublishedEntryBundle {
  /** The bundle's index N: it holds entries N·256 onwards. */
  index: bigint;
  /** The number of entries in it: 256 for a full bundle, 1–255 for a partial one. */
  width: number;
  /** The bundle's path, relative to the log's prefix, e.g. `tile/entries/000.p/3`. */
  path: string;
  /** The encoded bundle (`encodeEntryBundle`). */
  bytes: Uint8Array;
}

/**
 * The entry bundles a log grown from `oldSize` to `newSize` entries must publish: those that
 * became full, and the new partial bundle at the end (the level-0 tiles of
 * `tileCoordinatesFor`). `entries` holds at least the first `newSize` entries.
 * @example
 * entryBundlesFor(0n, 3n, [a, b, c]) // [{ index: 0n, width: 3, path: 'tile/entries/000.p/3', bytes }]
 */
export function entryBundlesFor(
  oldSize: bigint,
  newSize: bigint,
  entries: readonly Uint8Array[],
): PublishedEntryBundle[] {
  const coordinates = tileCoordinatesFor(oldSize, newSize).filter((tile) => tile.level === 0);
  if (BigInt(entries.length) < newSize) {
    throw new Error(
      `entries: ${entries.length} given, the log of size ${newSize} needs ${newSize}`,
    );
  }
  return coordinates.map(({ index, width }) => {
    const first = Number(index) * fullTileWidth;
    return {
      index,
      width,
      path: entriesPath(index, width),
      bytes: encodeEntryBundle(entries.slice(first, first + width)),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

/** The `count` hashes of a tile's bytes starting at hash `from`, each a copy. */
function hashesOf(bytes: Uint8Array, from: number, count: number): Uint8Array[] {
  const hashes: Uint8Array[] = [];
  for (let i = from; i < from + count; i++) {
    hashes.push(bytes.slice(i * hashBytes, (i + 1) * hashBytes));
  }
  return hashes;
}

/**
 * A `NodeReader` over a tree of `size` leaves served as tiles: it answers the hash of any
 * complete subtree (level, index) of the tree by fetching the one tile that holds it (the full
 * tile, or the partial tile of this tree size) and, for a level that is not a multiple of 8,
 * hashing up the tile's hashes beneath it. Tiles are fetched once and cached (a failed fetch is
 * not cached). A tile of the wrong length is refused with an error naming its path.
 *
 * As in Go's tlog.TileHashReader, a full tile is only used once it hashes to the hash its parent
 * tile (one level up) holds for it; a tile that does not is refused with an error naming it.
 * Every hash the reader returns is thus bound, through the parents, to the partial tiles at the
 * right edge of the tree, and those are exactly the tiles the root is computed from: once
 * `rootFromTiles` (or a proof computed from this reader) matches a signed checkpoint's root,
 * every hash read is authenticated.
 * @example
 * const reader = tileNodeReader((path) => fetchBytes(`${prefix}/${path}`), 70000n);
 * const left = await reader(16, 0n); // the root of the first 65,536 leaves: tile/2/000.p/1
 */
export function tileNodeReader(
  fetchTile: (path: string) => Promise<Uint8Array>,
  size: bigint,
  hash: Sha256 = sha256,
): NodeReader {
  requireUint64(size, 'tree size');
  const cache = new Map<string, Promise<Uint8Array>>();

  const fetchChecked = async (path: string, width: number): Promise<Uint8Array> => {
    const bytes = await fetchTile(path);
    if (!(bytes instanceof Uint8Array)) throw new Error(`tile ${path}: not a Uint8Array`);
    const want = width * hashBytes;
    if (bytes.length !== want) {
      throw new Error(
        `tile ${path}: ${bytes.length} bytes, want ${want} (${width} hashes of ${hashBytes} bytes)`,
      );
    }
    return bytes;
  };

  // A full tile and its parent are fetched together; the tile is checked against the parent.
  const fetchAuthenticated = async (tile: TileCoordinate, path: string): Promise<Uint8Array> => {
    if (tile.width !== fullTileWidth) return fetchChecked(path, tile.width);
    const parentIndex = tile.index >> BigInt(tileHeight);
    const parent: TileCoordinate = {
      level: tile.level + 1,
      index: parentIndex,
      width: tileWidthInTree(tile.level + 1, parentIndex, size),
    };
    const [bytes, parentBytes] = await Promise.all([
      fetchChecked(path, tile.width),
      readTile(parent),
    ]);
    const position = Number(tile.index % BigInt(fullTileWidth));
    const expected = hashesOf(parentBytes, position, 1)[0]!;
    if (!equalBytes(hashPowerOfTwo(hashesOf(bytes, 0, fullTileWidth), hash), expected)) {
      const parentPath = tilePath(parent.level, parent.index, parent.width);
      throw new Error(
        `tile ${path}: its hashes do not hash to hash ${position} of tile ${parentPath} (a corrupt tile)`,
      );
    }
    return bytes;
  };

  const readTile = (tile: TileCoordinate): Promise<Uint8Array> => {
    const path = tilePath(tile.level, tile.index, tile.width);
    let pending = cache.get(path);
    if (!pending) {
      pending = fetchAuthenticated(tile, path);
      cache.set(path, pending);
      pending.catch(() => cache.delete(path));
    }
    return pending;
  };

  return async (level, index) => {
    requireTreeLevel(level, 'node level');
    requireUint64(index, 'node index');
    if (!isCompleteSubtree(level, index, size)) {
      throw new Error(
        `node (level ${level}, index ${index}) is not complete in a tree of size ${size}`,
      );
    }
    const tileLevel = Math.floor(level / tileHeight);
    const levelInTile = level % tileHeight;
    const first = index << BigInt(levelInTile); // its first hash at tree level 8 × tileLevel
    const tileIndex = first >> BigInt(tileHeight);
    const width = tileWidthInTree(tileLevel, tileIndex, size);
    const bytes = await readTile({ level: tileLevel, index: tileIndex, width });
    const offset = Number(first % BigInt(fullTileWidth));
    return hashPowerOfTwo(hashesOf(bytes, offset, 1 << levelInTile), hash);
  };
}

/**
 * The root of a tree of `size` leaves from a `NodeReader`: the hashes of the complete subtrees
 * that make up the tree, largest first, hashed together from the right (RFC 9162 §2.1.1).
 */
async function rootOverReader(size: bigint, read: NodeReader, hash: Sha256): Promise<Uint8Array> {
  if (size === 0n) return emptyRoot;
  const subtrees: Promise<Uint8Array>[] = [];
  let start = 0n;
  for (let level = maxTreeLevel; level >= 0; level--) {
    const leaves = 1n << BigInt(level);
    if ((size & leaves) === 0n) continue;
    subtrees.push(read(level, start >> BigInt(level)));
    start += leaves;
  }
  const hashes = await Promise.all(subtrees);
  let root = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i]!, root, hash);
  return root;
}

/**
 * The root hash of a tree of `size` leaves served as tiles, read through `tileNodeReader`. Compare
 * it with a verified checkpoint's root to authenticate the tiles it read.
 * @example
 * const root = await rootFromTiles(70000n, (path) => fetchBytes(`${prefix}/${path}`));
 * equalBytes(root, checkpoint.rootHash) // the tiles agree with the checkpoint
 */
export function rootFromTiles(
  size: bigint,
  fetchTile: (path: string) => Promise<Uint8Array>,
  hash: Sha256 = sha256,
): Promise<Uint8Array> {
  return rootOverReader(size, tileNodeReader(fetchTile, size, hash), hash);
}
