import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  openTestDatabase,
  postgresUnavailable,
  type TestBackend,
  type TestDatabase,
} from '../storage/testing.ts';
import { sampleAuditEntry } from '../testing.ts';
import { appendAudit, verifyAudit } from './audit-store.ts';

const entry = sampleAuditEntry;

const skip = await postgresUnavailable();
for (const backend of ['pglite', 'postgres'] as TestBackend[]) {
  describe(`audit log on ${backend}`, { skip: backend === 'postgres' ? skip : undefined }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(backend);
    });
    after(() => t?.dispose());

    it('appends in one chain, verified from the first entry', async () => {
      for (let n = 1; n <= 5; n++) await t.db.transaction((tx) => appendAudit(tx, entry(n)));
      const report = await verifyAudit(t.db);
      assert.equal(report.ok, true);
      assert.equal(report.entries, 5n);
    });

    it('concurrent appends are numbered and linked in one order', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.db.transaction((tx) => appendAudit(tx, entry(100 + i))),
        ),
      );
      const report = await verifyAudit(t.db);
      assert.deepEqual([report.ok, report.entries, report.broken], [true, 25n, undefined]);
    });

    it('an entry rolled back with its change leaves no trace', async () => {
      await assert.rejects(
        t.db.transaction(async (tx) => {
          await appendAudit(tx, entry(999));
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      assert.deepEqual(
        [(await verifyAudit(t.db)).ok, (await verifyAudit(t.db)).entries],
        [true, 25n],
      );
    });

    it('names the first altered entry, and a deleted one', async () => {
      await t.db.query(
        `UPDATE audit_log SET detail = jsonb_set(detail, '{amount}', '"1000000.000000"') WHERE seq = 3`,
      );
      assert.deepEqual((await verifyAudit(t.db)).broken, { seq: 3n, reason: 'hash-mismatch' });
      await t.db.query('DELETE FROM audit_log WHERE seq = 2');
      assert.deepEqual((await verifyAudit(t.db)).broken, { seq: 2n, reason: 'missing' });
    });

    it('a deleted last entry is found by the head', async () => {
      const fresh = await openTestDatabase(backend);
      try {
        for (let n = 1; n <= 3; n++) await fresh.db.transaction((tx) => appendAudit(tx, entry(n)));
        await fresh.db.query('DELETE FROM audit_log WHERE seq = 3');
        assert.deepEqual((await verifyAudit(fresh.db)).broken, { seq: 3n, reason: 'missing' });
      } finally {
        await fresh.dispose();
      }
    });

    it('verifies across pages of 1,000 and names a break on a later page', async () => {
      const fresh = await openTestDatabase(backend);
      try {
        await fresh.db.transaction(async (tx) => {
          for (let n = 1; n <= 1_005; n++) await appendAudit(tx, entry(n));
        });
        assert.deepEqual((await verifyAudit(fresh.db)).entries, 1_005n);
        await fresh.db.query(`UPDATE audit_log SET subject = 'edited' WHERE seq = 1003`);
        assert.deepEqual((await verifyAudit(fresh.db)).broken, {
          seq: 1_003n,
          reason: 'hash-mismatch',
        });
      } finally {
        await fresh.dispose();
      }
    });
  });
}
