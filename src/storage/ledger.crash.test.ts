/**
 * The embedded ledger survives SIGKILL: a process streaming transfers (several batches in
 * flight, group commit and pipelining engaged) is killed; after a restart every transfer it
 * acknowledged is in the journal, nothing it never sent is, and the journal verifies.
 * (A SIGKILL keeps the OS page cache; that the syncs reach the disk is durability.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { toJson } from '../json.ts';
import { verifyLedger } from '../ledger/verify.ts';
import { writeUntilKilled } from './crash.ts';
import { SqlLedgerStore } from './ledger-store.ts';
import { openPglite } from './pglite/pglite.ts';

/** Acknowledged transfers after which the writer is killed, per round. */
const killAfterAcks = 2000;
const rounds = 2;

const scratch = mkdtempSync(join(tmpdir(), 'clearpeg-ledger-crash-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const writer = new URL('./ledger-crash-writer.ts', import.meta.url);

describe('the embedded ledger under SIGKILL', () => {
  it('keeps every acknowledged transfer, invents none, and verifies after restart', {
    timeout: 300_000,
  }, async () => {
    const dataDir = join(scratch, 'ledger');
    const sent = new Set<string>();
    const acked = new Set<string>();
    for (let round = 1; round <= rounds; round++) {
      await writeUntilKilled(writer, dataDir, killAfterAcks, sent, acked, String);
      const db = await openPglite({ dataDir });
      try {
        const store = new SqlLedgerStore(db);
        const report = await verifyLedger(store);
        assert.ok(report.ok, toJson(report));
        const { rows } = await db.query<{ id: string }>(
          'SELECT id FROM ledger_journal WHERE kind = 3',
        );
        const stored = new Set(rows.map((r) => r.id));
        const lost = [...acked].filter((id) => !stored.has(id));
        assert.deepEqual(
          lost,
          [],
          `round ${round}: acknowledged transfers missing after the crash`,
        );
        const invented = [...stored].filter((id) => !sent.has(id));
        assert.deepEqual(
          invented,
          [],
          `round ${round}: transfers in the journal that were never sent`,
        );
        assert.ok(stored.size >= acked.size && acked.size >= round * killAfterAcks);
        const { rows: sums } = await db.query<{ d: string; c: string }>(
          'SELECT sum(debits_posted)::text AS d, sum(credits_posted)::text AS c FROM ledger_accounts',
        );
        assert.equal(sums[0]!.d, sums[0]!.c, 'Σ debits = Σ credits after recovery');
      } finally {
        await db.close();
      }
    }
  });
});
