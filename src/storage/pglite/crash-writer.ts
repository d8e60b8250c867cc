/**
 * Child process of durability.test.ts: writes to a durable store until it is killed.
 * Usage: node --import tsx crash-writer.ts <dataDir>. Prints `send <id>` before each
 * transaction and `ack <id>` only after its commit resolved (synchronous writes to stdout).
 */
import { writeSync } from 'node:fs';
import { openPglite } from './pglite.ts';

/** Bytes of filler per row, so the WAL grows and pages fill and split. */
const PAYLOAD_BYTES = 2000;
/** Every this many commits: a CHECKPOINT, so a kill may also land during or after one. */
const CHECKPOINT_EVERY = 97;

const db = await openPglite({ dataDir: process.argv[2]! });
await db.exec(`CREATE TABLE IF NOT EXISTS acked (id int8 PRIMARY KEY, payload text);
  CREATE TABLE IF NOT EXISTS tally (n int8);
  INSERT INTO tally SELECT 0 WHERE NOT EXISTS (SELECT FROM tally);`);
const { rows } = await db.query<{ last: string }>('SELECT coalesce(max(id), 0) AS last FROM acked');
for (let id = Number(rows[0]!.last) + 1; ; id++) {
  writeSync(1, `send ${id}\n`);
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO acked VALUES ($1, $2)', [id, 'x'.repeat(PAYLOAD_BYTES)]);
    await tx.query('UPDATE tally SET n = n + 1');
  });
  writeSync(1, `ack ${id}\n`);
  if (id % CHECKPOINT_EVERY === 0) await db.exec('CHECKPOINT');
}
