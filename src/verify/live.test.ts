/**
 * The verifications beside a running writer: transfers and audit entries committed all the
 * while a verification reads are not mistaken for a broken chain or a wrong balance (the head
 * and the balances are read in one snapshot, after the records). Run on PGlite and, when a
 * server answers, on PostgreSQL, where the writer does not wait for the snapshot.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Ledger } from '../ledger/ledger.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import type { Micro } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import {
  openTestDatabase,
  postgresUnavailable,
  type TestBackend,
  type TestDatabase,
} from '../storage/testing.ts';
import { appendAudit } from '../workflow/audit-store.ts';
import { auditCheck, ledgerCheck } from './checks.ts';

const skipPostgres = await postgresUnavailable();

for (const backend of ['pglite', 'postgres'] as TestBackend[])
  describe(`verification beside a writer (${backend})`, {
    skip: backend === 'postgres' ? skipPostgres : undefined,
  }, () => {
    let t: TestDatabase | undefined;
    after(() => t?.dispose());

    it('ledger and audit verifications pass while transfers and entries are committed', async () => {
      t = await openTestDatabase(backend);
      const db = t.db;
      const store = new SqlLedgerStore(db);
      const ledger = new Ledger(store);
      const [a, b] = [uuidv7(), uuidv7()];
      await ledger.submit([
        { type: 'createAccount', id: a, code: 'live:a', asset: 'USD', flags: 0 },
        { type: 'createAccount', id: b, code: 'live:b', asset: 'USD', flags: 0 },
      ]);
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await ledger.submit([
            {
              type: 'transfer',
              id: uuidv7(),
              asset: 'USD',
              postings: [{ debit: a, credit: b, amount: 1n as Micro }],
            },
          ]);
          await db.transaction((tx) =>
            appendAudit(tx, {
              actor: 'system',
              action: 'live.test',
              subject: 's',
              outcome: 'ok',
              detail: {},
            }),
          );
          written++;
        }
      })();
      let interleaved = 0;
      let rounds = 0;
      try {
        // Until the writer has committed during four verifications (a fast verification may
        // finish between two commits: then another round).
        for (; rounds < 40 && interleaved < 4; rounds++) {
          const before = written;
          const [ledgerView, auditView] = await Promise.all([
            ledgerCheck(db, store),
            auditCheck(db),
          ]);
          assert.equal(ledgerView.ok, true, JSON.stringify(ledgerView));
          assert.equal(auditView.ok, true, JSON.stringify(auditView));
          if (written > before) interleaved++;
        }
      } finally {
        writing = false;
        await writer;
      }
      assert.ok(
        interleaved >= 4,
        `the writer committed during verifications (${interleaved} of ${rounds})`,
      );
    });
  });
