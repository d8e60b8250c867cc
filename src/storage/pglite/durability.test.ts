import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeUntilKilled as runUntilKilled } from '../crash.ts';
import { openPglite } from './pglite.ts';

/** Acknowledged commits after which the writer is killed, in each round. */
const KILL_AFTER_ACKS = 300;
/** Kill, reopen, write again: recovery must leave a database that takes new commits. */
const ROUNDS = 2;
/** One-row commits in the sync-counting test. */
const COMMITS = 20;

const scratch = mkdtempSync(join(tmpdir(), 'clearpeg-durability-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs crash-writer.ts on `dataDir` and SIGKILLs it after KILL_AFTER_ACKS acknowledgements. */
function writeUntilKilled(dataDir: string, sent: Set<number>, acked: Set<number>) {
  const writer = new URL('./crash-writer.ts', import.meta.url);
  return runUntilKilled(writer, dataDir, KILL_AFTER_ACKS, sent, acked, Number);
}

describe('durable PGlite store', () => {
  it('keeps every acknowledged commit, and nothing never sent, across SIGKILLs', async () => {
    const dataDir = join(scratch, 'crash');
    const sent = new Set<number>();
    const acked = new Set<number>();
    for (let round = 1; round <= ROUNDS; round++) {
      await writeUntilKilled(dataDir, sent, acked);
      const db = await openPglite({ dataDir }); // crash recovery happens here
      try {
        const { rows } = await db.query<{ id: string }>('SELECT id FROM acked ORDER BY id');
        const present = new Set(rows.map((row) => Number(row.id)));
        const lost = [...acked].filter((id) => !present.has(id));
        const invented = [...present].filter((id) => !sent.has(id));
        assert.deepEqual({ lost, invented }, { lost: [], invented: [] });
        assert.ok(acked.size >= KILL_AFTER_ACKS * round, 'each round acknowledged enough');
        const tally = await db.query<{ n: string }>('SELECT n FROM tally');
        assert.deepEqual(tally.rows, [{ n: String(present.size) }], 'tally matches the rows');
        const check = await db.query("SELECT count(*)::int4 AS n FROM acked WHERE payload <> ''");
        assert.deepEqual(check.rows, [{ n: present.size }], 'a full scan reads every row back');
      } finally {
        await db.close();
      }
    }
  });

  it('makes PostgreSQL fsync on and fdatasyncs the WAL at every commit', async () => {
    const db = await openPglite({ dataDir: join(scratch, 'counted') });
    try {
      const { rows } = await db.query('SELECT current_setting($1) AS fsync', ['fsync']);
      assert.deepEqual(rows, [{ fsync: 'on' }]);
      await db.exec('CREATE TABLE counted (n int4)');
      const before = await db.syncCounts();
      for (let n = 0; n < COMMITS; n++) {
        await db.transaction((tx) => tx.query('INSERT INTO counted VALUES ($1)', [n]));
      }
      const committed = await db.syncCounts();
      assert.ok(committed.fdatasync - before.fdatasync >= COMMITS, 'one WAL fdatasync per commit');
      await db.exec('CHECKPOINT');
      const checkpointed = await db.syncCounts();
      assert.ok(checkpointed.fsync > committed.fsync, 'a checkpoint fsyncs the files it wrote');
    } finally {
      await db.close();
    }
  });

  it('counts no sync when durability is off (so the counts above measure the hooks)', async () => {
    const db = await openPglite({ dataDir: join(scratch, 'volatile'), durable: false });
    try {
      const { rows } = await db.query('SELECT current_setting($1) AS fsync', ['fsync']);
      assert.deepEqual(rows, [{ fsync: 'off' }]);
      await db.exec('CREATE TABLE volatile (n int4); INSERT INTO volatile VALUES (1); CHECKPOINT');
      assert.deepEqual(await db.syncCounts(), { fsync: 0, fdatasync: 0 });
    } finally {
      await db.close();
    }
  });
});
