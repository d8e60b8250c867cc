/**
 * The embedded ledger survives SIGKILL: a process streaming transfers (several batches in
 * flight, group commit and pipelining engaged) is killed; after a restart every transfer it
 * acknowledged is in the journal, nothing it never sent is, and the journal verifies.
 * (A SIGKILL keeps the OS page cache; that the syncs reach the disk is durability.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { toJson } from '../json.ts';
import { verifyLedger } from '../ledger/verify.ts';
import { SqlLedgerStore } from './ledger-store.ts';
import { openPglite } from './pglite/pglite.ts';

/** Acknowledged transfers after which the writer is killed, per round. */
const killAfterAcks = 2000;
const rounds = 2;

const scratch = mkdtempSync(join(tmpdir(), 'clearpeg-ledger-crash-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function writeUntilKilled(
  dataDir: string,
  sent: Set<string>,
  acked: Set<string>,
): Promise<void> {
  const writer = fileURLToPath(new URL('./ledger-crash-writer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (_, signal) => resolve(signal)));
  let acks = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, id] = line.split(' ');
    if (kind === 'send') sent.add(id!);
    if (kind === 'ack') {
      acked.add(id!);
      if (++acks === killAfterAcks) child.kill('SIGKILL');
    }
  }
  assert.equal(await exited, 'SIGKILL', 'the writer ran until it was killed');
}

describe('the embedded ledger under SIGKILL', () => {
  it('keeps every acknowledged transfer, invents none, and verifies after restart', {
    timeout: 300_000,
  }, async () => {
    const dataDir = join(scratch, 'ledger');
    const sent = new Set<string>();
    const acked = new Set<string>();
    for (let round = 1; round <= rounds; round++) {
      await writeUntilKilled(dataDir, sent, acked);
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
