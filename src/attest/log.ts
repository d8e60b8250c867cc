/**
 * The transparency log of attestations, kept in the issuer's database (migration 0011): entries
 * appended in order, and a checkpoint signed over every new size (docs/transparency.md).
 *
 * The one rule a log must never break is to sign two checkpoints that are not consistent (two
 * roots for one size, or a root that does not extend an earlier one): a witness, or any holder
 * who kept an earlier checkpoint, would prove the issuer showed different books to different
 * people. `append` keeps it across processes, restarts and crashes:
 *
 * - one appender at a time: the `log_lock` row is locked from reading the size to committing
 *   (and, where several processes share the database, the appender must hold the log's lease:
 *   its fencing token is checked under that lock, src/cluster/leases.ts);
 * - a checkpoint is signed over entries read back from the database in the transaction that
 *   commits it with them, after the tree of the previous checkpoint has been recomputed from
 *   those entries and found to have its signed root (an entry edited or removed behind the
 *   log's back stops the log: it signs nothing until an operator looks);
 * - nothing is published or sent to a witness before that transaction commits. A crash before
 *   the commit loses the entry and its checkpoint, which nobody saw; a crash after it leaves
 *   a committed checkpoint that the next start publishes (`latest`).
 */
import { createHash } from 'node:crypto';
import { formatCheckpoint } from '../proofs/checkpoint.ts';
import { hashBytes, leafHash, type NodeReader, nodeHash, type Sha256 } from '../proofs/hash.ts';
import { rootOf } from '../proofs/merkle.ts';
import { ed25519Signer, type NoteSigner, signNote } from '../proofs/note.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';

/** Node's SHA-256: the log's hashing runs in the issuer's process. */
export const nodeSha256: Sha256 = (data) =>
  new Uint8Array(createHash('sha256').update(data).digest());

/** A signed checkpoint as stored: the note the log signed, and the one its witnesses cosigned. */
export interface StoredCheckpoint {
  readonly size: bigint;
  readonly root: Uint8Array;
  /** The checkpoint note with the log's signature alone. */
  readonly note: string;
  /** The note with the witnesses' cosignatures added, once they answered (else null). */
  readonly cosigned: string | null;
  readonly signedAtUs: bigint;
}

/** Thrown when the stored log no longer has the tree its last checkpoint signed. */
export class LogCorruptError extends Error {
  override readonly name = 'LogCorruptError';
}

/**
 * The log's Merkle tree in memory: every complete subtree's hash, added to as leaves are
 * appended (one hash per level at most per leaf), so roots, proofs and tiles cost a read per
 * level. It holds 2 hashes per entry: a year of attestations once a minute is about 34 MB.
 * @example const tree = new MemoryTree(); tree.push(leafHash(bytes)); await rootOf(1n, tree.reader)
 */
export class MemoryTree {
  private readonly levels: Uint8Array[][] = [[]];

  constructor(private readonly hash: Sha256 = nodeSha256) {}

  /** The number of leaves. */
  get size(): bigint {
    return BigInt(this.levels[0]!.length);
  }

  /** Appends a leaf hash and every subtree it completes. */
  push(leaf: Uint8Array): void {
    if (leaf.length !== hashBytes) throw new Error('assertion failed: a leaf hash is 32 bytes');
    let level = 0;
    let row = this.levels[0]!;
    row.push(leaf);
    while (row.length % 2 === 0) {
      const parent = nodeHash(row[row.length - 2]!, row[row.length - 1]!, this.hash);
      level++;
      if (this.levels[level] === undefined) this.levels[level] = [];
      row = this.levels[level]!;
      row.push(parent);
    }
  }

  /** Forgets the leaves from `size` on (a transaction that appended them rolled back). */
  truncate(size: bigint): void {
    for (let level = 0; level < this.levels.length; level++)
      this.levels[level]!.length = Number(size >> BigInt(level));
  }

  /** A `NodeReader` over the complete subtrees held. */
  readonly reader: NodeReader = async (level, index) => {
    const node = this.levels[level]?.[Number(index)];
    if (node === undefined)
      throw new RangeError(`level ${level} index ${index} is not a complete subtree of the log`);
    return node;
  };

  /** The root of the first `size` leaves. */
  root(size: bigint = this.size): Promise<Uint8Array> {
    return rootOf(size, this.reader, this.hash);
  }
}

type CheckpointRow = {
  size: string;
  root: Uint8Array;
  note: string;
  cosigned: string | null;
  signed_at_us: string;
};

const checkpointOf = (row: CheckpointRow): StoredCheckpoint => ({
  size: BigInt(row.size),
  root: new Uint8Array(row.root),
  note: row.note,
  cosigned: row.cosigned,
  signedAtUs: BigInt(row.signed_at_us),
});

const checkpointColumns = 'size::text, root, note, cosigned, signed_at_us::text';

/** What an append is given to build its entry: the log's size (the entry's index) and the previous entry. */
export interface AppendContext {
  readonly index: bigint;
  /** The previous entry's bytes (null for the first). */
  readonly previous: Uint8Array | null;
  /** The transaction the append runs in (which holds the log's lock). */
  readonly tx: SqlExecutor;
}

/**
 * The log of one origin in one database, signed with one key.
 * @example const log = new TransparencyLog(db, { origin: 'clearpeg.example/log', signerKey })
 */
export class TransparencyLog {
  readonly origin: string;
  private readonly signer: NoteSigner;
  private readonly tree = new MemoryTree();
  /** The entries held in memory (the tree's leaves' bytes), for publishing bundles. */
  private readonly entries: Uint8Array[] = [];

  private readonly fence: { check(tx: SqlExecutor): Promise<void> } | undefined;

  constructor(
    private readonly db: SqlDatabase,
    options: {
      readonly origin: string;
      readonly signerKey: string;
      /**
       * The log's lease guard when several processes share the database (src/cluster/leases.ts):
       * checked under the log's lock before anything is appended or signed.
       */
      readonly fence?: { check(tx: SqlExecutor): Promise<void> };
    },
    private readonly clockUs: () => bigint = () => BigInt(Date.now()) * 1000n,
  ) {
    this.origin = options.origin;
    this.signer = ed25519Signer(options.signerKey);
    this.fence = options.fence;
  }

  /** The newest signed checkpoint, or undefined for a log that never signed one. */
  async latest(db: SqlExecutor = this.db): Promise<StoredCheckpoint | undefined> {
    const { rows } = await db.query<CheckpointRow>(
      `SELECT ${checkpointColumns} FROM log_checkpoints c ORDER BY c.size DESC LIMIT 1`,
    );
    return rows[0] === undefined ? undefined : checkpointOf(rows[0]);
  }

  /** The signed checkpoint of `size`, if the log signed one. */
  async checkpoint(size: bigint): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.db.query<CheckpointRow>(
      `SELECT ${checkpointColumns} FROM log_checkpoints WHERE size = $1`,
      [size],
    );
    return rows[0] === undefined ? undefined : checkpointOf(rows[0]);
  }

  /**
   * Brings the in-memory tree up to `size` entries from the database (entries appended by
   * another process, or all of them after a start), checking each stored leaf hash.
   */
  private async load(db: SqlExecutor, size: bigint): Promise<void> {
    if (this.tree.size > size) {
      this.tree.truncate(size);
      this.entries.length = Number(size);
    }
    while (this.tree.size < size) {
      const { rows } = await db.query<{ idx: string; data: Uint8Array; leaf_hash: Uint8Array }>(
        'SELECT e.idx::text, e.data, e.leaf_hash FROM log_entries e WHERE e.idx >= $1 AND e.idx < $2 ORDER BY e.idx LIMIT 10000',
        [this.tree.size, size],
      );
      if (rows.length === 0)
        throw new LogCorruptError(
          `log entry ${this.tree.size} is missing: the log's checkpoint of size ${size} covers it`,
        );
      for (const row of rows) {
        const index = BigInt(row.idx);
        if (index !== this.tree.size)
          throw new LogCorruptError(`log entry ${this.tree.size} is missing (found ${index})`);
        const data = new Uint8Array(row.data);
        const hash = leafHash(data, nodeSha256);
        if (Buffer.compare(hash, row.leaf_hash) !== 0)
          throw new LogCorruptError(`log entry ${index}: its bytes do not hash to its leaf hash`);
        this.tree.push(hash);
        this.entries.push(data);
      }
    }
  }

  /**
   * Appends the entry `build` makes (given the index it will have and the previous entry) and
   * signs the checkpoint of the new size, in one transaction that holds the log's lock; returns
   * that checkpoint. Before signing, the tree of the newest stored checkpoint is recomputed from
   * the stored entries and compared with its signed root: a `LogCorruptError` names what
   * differs, and nothing is appended or signed.
   * @example const checkpoint = await log.append(async ({ index, previous }) => bytesOf(index, previous))
   */
  async append(
    build: (context: AppendContext) => Promise<Uint8Array>,
  ): Promise<{ checkpoint: StoredCheckpoint; entry: Uint8Array }> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.query('SELECT id FROM log_lock FOR UPDATE');
        await this.fence?.check(tx);
        const last = await this.latest(tx);
        const size = last?.size ?? 0n;
        const { rows: count } = await tx.query<{ n: string }>(
          'SELECT count(*)::text AS n FROM log_entries',
        );
        if (BigInt(count[0]!.n) !== size)
          throw new LogCorruptError(
            `the log holds ${count[0]!.n} entries, its newest checkpoint signs ${size}`,
          );
        await this.load(tx, size);
        if (last !== undefined) {
          const root = await this.tree.root(size);
          if (Buffer.compare(root, last.root) !== 0)
            throw new LogCorruptError(
              `the stored entries' root of size ${size} is not the root the log signed`,
            );
        }
        const previous = size === 0n ? null : this.entries[Number(size) - 1]!;
        const entry = await build({ index: size, previous, tx });
        const hash = leafHash(entry, nodeSha256);
        const now = this.clockUs();
        await tx.query(
          'INSERT INTO log_entries (idx, data, leaf_hash, appended_at_us) VALUES ($1, $2, $3, $4)',
          [size, entry, hash, now],
        );
        this.tree.push(hash);
        this.entries.push(entry);
        const newSize = size + 1n;
        const root = await this.tree.root(newSize);
        const note = signNote(formatCheckpoint({ origin: this.origin, size: newSize, root }), [
          this.signer,
        ]);
        await tx.query(
          'INSERT INTO log_checkpoints (size, root, note, signed_at_us) VALUES ($1, $2, $3, $4)',
          [newSize, root, note, now],
        );
        return {
          checkpoint: { size: newSize, root, note, cosigned: null, signedAtUs: now },
          entry,
        };
      });
    } catch (error) {
      // The transaction rolled back: the tree must not keep what it did not commit.
      this.tree.truncate(0n);
      this.entries.length = 0;
      throw error;
    }
  }

  /** Records the note with its witnesses' cosignatures for the checkpoint of `size`. */
  async saveCosigned(size: bigint, cosigned: string): Promise<void> {
    await this.db.query('UPDATE log_checkpoints SET cosigned = $2 WHERE size = $1', [
      size,
      cosigned,
    ]);
  }

  /** The tree up to the newest checkpoint, loaded from the database (for publishing and proofs). */
  async synced(): Promise<{
    size: bigint;
    reader: NodeReader;
    entries: readonly Uint8Array[];
  }> {
    const last = await this.latest();
    const size = last?.size ?? 0n;
    await this.load(this.db, size);
    return { size, reader: this.tree.reader, entries: this.entries };
  }
}

export { hashBytes };
