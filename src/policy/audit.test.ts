import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bytesToHex } from 'viem';
import {
  openTestDatabase,
  postgresUnavailable,
  type TestBackend,
  type TestDatabase,
} from '../storage/testing.ts';
import {
  type AuditEntry,
  appendAudit,
  auditBytes,
  auditGenesis,
  auditHash,
  verifyAudit,
} from './audit.ts';

const entry = (n: number): AuditEntry => ({
  actor: n % 2 === 0 ? 'alice' : 'customer:C-0001',
  action: 'mint.request',
  subject: `request-${n}`,
  outcome: n % 3 === 0 ? 'refused' : 'ok',
  detail: { amount: `${n}.000000`, reasons: ['a', 'b'], nested: { ok: true, none: null } },
});

describe('audit record v1 bytes', () => {
  it('is the domain line and RFC 8785 JSON, keys sorted, numbers as strings (vector)', () => {
    const record = {
      seq: 1n,
      atUs: 1_795_000_000_000_000n,
      actor: 'alice',
      action: 'mint.request',
      subject: 'R-1',
      outcome: 'ok' as const,
      detail: { z: '1.000000', a: [true, null] },
    };
    assert.equal(
      new TextDecoder().decode(auditBytes(record)),
      'clearpeg-audit/1\n{"action":"mint.request","actor":"alice","atUs":"1795000000000000","detail":{"a":[true,null],"z":"1.000000"},"outcome":"ok","seq":"1","subject":"R-1"}',
    );
    assert.equal(
      bytesToHex(auditHash(auditGenesis, record)),
      '0x013dc74eac13653cee00b86620dd167d0f1223818d2f3c0259223978968df9e4',
    );
  });

  it('refuses a JSON number in the detail, naming where', () => {
    assert.throws(
      () =>
        auditBytes({
          seq: 1n,
          atUs: 1n,
          actor: 'a',
          action: 'x.y',
          subject: 's',
          outcome: 'ok',
          detail: { amounts: [{ value: 5 as unknown as string }] },
        }),
      { code: 'audit-invalid', field: 'detail.amounts.0.value' },
    );
  });
});

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
  });
}
