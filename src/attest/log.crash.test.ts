import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseCheckpoint } from '../proofs/checkpoint.ts';
import { leafHash } from '../proofs/hash.ts';
import { ed25519Verifier, openNote } from '../proofs/note.ts';
import { writeUntilKilled } from '../storage/crash.ts';
import { migrate } from '../storage/migrate.ts';
import { openPglite } from '../storage/pglite/pglite.ts';
import { logIdentity } from './keys.ts';
import { MemoryTree, TransparencyLog } from './log.ts';

/** Acknowledged appends after which the writer is killed, in each round. */
const KILL_AFTER_ACKS = 40;
/** Kill, restart, append again. */
const ROUNDS = 3;

const scratch = mkdtempSync(join(tmpdir(), 'clearpeg-log-crash-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('the transparency log across SIGKILLs', () => {
  it('never signs two inconsistent checkpoints: every acknowledged one is a prefix of the final tree', async () => {
    const dataDir = join(scratch, 'log');
    const writer = new URL('./log-crash-writer.ts', import.meta.url);
    const sent = new Set<string>();
    const acked = new Set<string>();
    for (let round = 1; round <= ROUNDS; round++)
      await writeUntilKilled(writer, dataDir, KILL_AFTER_ACKS, sent, acked, String);
    const db = await openPglite({ dataDir });
    try {
      await migrate(db);
      const identity = logIdentity(dataDir, {});
      const log = new TransparencyLog(db, identity);
      // The log restarts: it appends over what the crashes left.
      const { checkpoint: last } = await log.append(async () => new TextEncoder().encode('after'));
      const { rows } = await db.query<{ data: Uint8Array }>(
        'SELECT data FROM log_entries ORDER BY idx',
      );
      const tree = new MemoryTree();
      for (const row of rows) tree.push(leafHash(new Uint8Array(row.data)));
      assert.equal(tree.size, last.size);
      const roots = new Map<bigint, string>();
      for (const ack of acked) {
        const [size, root] = ack.split(':') as [string, string];
        const n = BigInt(size);
        assert.ok(!roots.has(n) || roots.get(n) === root, `two roots acknowledged for size ${n}`);
        roots.set(n, root);
        assert.equal(
          Buffer.from(await tree.root(n)).toString('hex'),
          root,
          `checkpoint ${n} is a prefix of the final tree`,
        );
      }
      assert.ok(roots.size >= KILL_AFTER_ACKS * ROUNDS);
      // Every stored checkpoint is signed by the log's key over the final tree's root of its size.
      const stored = await db.query<{ size: string; note: string }>(
        'SELECT size::text, note FROM log_checkpoints',
      );
      for (const row of stored.rows) {
        const cp = parseCheckpoint(openNote(row.note, [ed25519Verifier(identity.vkey)]).text);
        assert.equal(cp.size, BigInt(row.size));
        assert.deepEqual(cp.root, await tree.root(cp.size));
      }
      assert.equal(stored.rows.length, Number(last.size));
    } finally {
      await db.close();
    }
  });
});
