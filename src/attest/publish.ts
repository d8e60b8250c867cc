/**
 * The log as static files (docs/transparency.md, "What is published"): under one directory,
 * `log/checkpoint`, `log/vkey`, `log/witnesses`, the hash tiles and entry bundles of C2SP
 * tlog-tiles under `log/tile/`, each round's customer-fiat sum tiles under
 * `log/liabilities/<round>/tile/`, and custodian statements under `log/statements/<sha256>`.
 * Any static host or CDN can serve the directory; `clearpeg serve` serves it at `/log/`.
 *
 * Order makes it safe to read while it is written: every file is written to a temporary name
 * and renamed into place, tiles and bundles before the checkpoint that needs them, so a reader
 * never finds a checkpoint whose tiles are missing. Full tiles never change; a partial tile's
 * path names its width, so no published path ever changes its bytes except `checkpoint` (and
 * the informational `witnesses`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readTextIfExists } from '../files.ts';
import type { NodeReader } from '../proofs/hash.ts';
import { sumTilesFor } from '../proofs/sumtiles.ts';
import type { SumTree } from '../proofs/sumtree.ts';
import { entryBundlesFor, tilesFor } from '../proofs/tiles.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import { nodeSha256 } from './log.ts';

/** A witness as the log's operator configures it: its verifier key and where it listens. */
export interface WitnessEndpoint {
  readonly vkey: string;
  readonly url: string;
}

/** Writes `bytes` at `path` by a rename, so a reader sees the old file or the new one. */
async function writeAtomically(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The size a published checkpoint note states (its second line), or 0 for none.
 * @example publishedCheckpointSize('example.com/log\n12\nAbC…=\n\n— …') === 12n
 */
export function publishedCheckpointSize(note: string | undefined): bigint {
  const size = note?.split('\n')[1];
  return size !== undefined && /^(?:0|[1-9][0-9]{0,19})$/.test(size) ? BigInt(size) : 0n;
}

/**
 * Publishes one log under `<root>/log/`.
 * @example const publisher = new LogPublisher(join(dataDir, 'public'), vkey)
 */
export class LogPublisher {
  /** The size whose tiles are published (-1: not known yet, so the first publish writes all). */
  private publishedSize = -1n;
  private readonly statements = new Set<string>();

  constructor(
    readonly root: string,
    private readonly vkey: string,
  ) {}

  /**
   * The size of the checkpoint published at `log/checkpoint` (0 before one is): read from the
   * file, since with several processes (docs/deployment.md) the one that published it may be
   * another one.
   */
  get checkpointSize(): bigint {
    return publishedCheckpointSize(readTextIfExists(join(this.directory, 'checkpoint')));
  }

  /** Where the log's files are: `<root>/log`. */
  get directory(): string {
    return join(this.root, 'log');
  }

  /**
   * Publishes the tree of `size` entries (the tiles and bundles not yet written), then the
   * checkpoint note, then `vkey`.
   * @example await publisher.publish(await log.synced(), cosignedNote)
   */
  async publish(
    tree: {
      readonly size: bigint;
      readonly reader: NodeReader;
      readonly entries: readonly Uint8Array[];
    },
    checkpointNote: string,
  ): Promise<void> {
    const from =
      this.publishedSize < 0n || this.publishedSize > tree.size ? 0n : this.publishedSize;
    if (tree.size > from) {
      const tiles = await tilesFor(from, tree.size, tree.reader, nodeSha256);
      const bundles = entryBundlesFor(from, tree.size, tree.entries);
      for (const file of [...tiles, ...bundles]) {
        const path = join(this.directory, file.path);
        // A full tile is immutable: one written before is the same bytes.
        if (file.width === 256 && (await exists(path))) continue;
        await writeAtomically(path, file.bytes);
      }
    }
    this.publishedSize = tree.size;
    // Never back: a process that lost the log's lease, late with an older checkpoint, must not
    // replace a newer one that the log's next writer published.
    if (this.checkpointSize <= tree.size)
      await writeAtomically(join(this.directory, 'checkpoint'), checkpointNote);
    await writeAtomically(join(this.directory, 'vkey'), `${this.vkey}\n`);
  }

  /** Publishes a round's customer-fiat sum tree as tiles under `log/liabilities/<round>/`. */
  async publishRound(round: bigint, tree: SumTree): Promise<void> {
    const base = join(this.directory, 'liabilities', round.toString());
    for (const tile of sumTilesFor(tree)) await writeAtomically(join(base, tile.path), tile.bytes);
  }

  /** Publishes the witness policy the log asks for (informational: verifiers pin their own). */
  async publishWitnesses(witnesses: readonly WitnessEndpoint[], quorum: number): Promise<void> {
    const lines = witnesses.map((w) => `witness ${w.vkey} ${w.url}\n`).join('');
    await writeAtomically(join(this.directory, 'witnesses'), `${lines}quorum ${quorum}\n`);
  }

  /**
   * Publishes the custodian statements recorded with their bytes, each once, by its SHA-256
   * (every cycle asks: only the bytes of statements this process has not published are read).
   */
  async publishStatements(db: SqlExecutor): Promise<void> {
    const { rows: names } = await db.query<{ sha: string }>(
      "SELECT encode(sha256, 'hex') AS sha FROM custodian_statements WHERE bytes IS NOT NULL",
    );
    for (const { sha } of names) {
      if (this.statements.has(sha)) continue;
      const { rows } = await db.query<{ bytes: Uint8Array }>(
        "SELECT bytes FROM custodian_statements WHERE sha256 = decode($1, 'hex')",
        [sha],
      );
      await writeAtomically(
        join(this.directory, 'statements', sha),
        new Uint8Array(rows[0]!.bytes),
      );
      this.statements.add(sha);
    }
  }
}
