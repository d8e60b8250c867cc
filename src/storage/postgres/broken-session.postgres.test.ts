/**
 * The adapter when a session breaks, on the local server: a backend terminated in the middle
 * of a transaction or a statement, and a COMMIT whose answer is cut by a proxy after the
 * server committed. The call fails with a typed `SqlConnectionError` (`connection-failed` when
 * nothing was applied, `connection-lost` when it may have been), the process lives on, the
 * next call gets a new session, and nothing is retried behind the caller's back. The ledger
 * resolves a lost batch by its command ids. The same against a real failover: ../ha/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { toJson } from '../../json.ts';
import { Ledger } from '../../ledger/ledger.ts';
import type { Command } from '../../ledger/types.ts';
import { uuidv7 } from '../../ledger/uuid.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import { parseAmount } from '../../money/money.ts';
import { SqlLedgerStore } from '../ledger-store.ts';
import { type SqlDatabase, SqlError } from '../sql.ts';
import { openTestDatabase, postgresUnavailable, type TestDatabase } from '../testing.ts';
import { type PgFaultProxy, startPgFaultProxy } from './fault-proxy.ts';
import { openPostgres } from './postgres.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with a `SqlError` of `code`. */
const failsWith = (code: string) => (error: unknown) => {
  assert.ok(error instanceof SqlError, String(error));
  assert.equal(error.code, code, error.message);
  return true;
};

describe('PostgreSQL adapter: broken sessions', { skip }, () => {
  let t: TestDatabase;
  let admin: pg.Client;
  let proxy: PgFaultProxy;
  let cut: SqlDatabase;

  /** Terminates the backends running a statement that contains `marker`, once one is seen. */
  const terminateWhen = async (marker: string) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
         WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`,
        [marker],
      );
      if (rows.length > 0) return;
      await sleep(10);
    }
    throw new Error(`no backend ran ${marker}`);
  };

  before(async () => {
    t = await openTestDatabase('postgres');
    admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    await t.db.exec('CREATE TABLE cut_rows (key text NOT NULL)');
    const url = new URL(t.url!);
    proxy = await startPgFaultProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    cut = await openPostgres({ url: url.toString(), searchPath: t.schema, max: 2 });
  });
  after(async () => {
    await cut?.close();
    await proxy?.close();
    await admin?.end();
    await t?.dispose();
  });

  it('a transaction whose backend is terminated between statements: connection-failed, nothing applied, the process lives on', async () => {
    const attempt = t.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO cut_rows VALUES ('between')`);
      await tx.query('SELECT 1 -- marker-between');
      await terminateWhen('marker-between'); // idle in transaction now: no statement waits
      await sleep(50); // the FATAL notice arrives while nothing is asked
      await tx.query('SELECT 2');
    });
    await assert.rejects(attempt, failsWith('connection-failed'));
    const { rows } = await t.db.query(`SELECT 1 FROM cut_rows WHERE key = 'between'`);
    assert.equal(rows.length, 0, 'the server rolled it back');
  });

  it('a statement in a transaction whose backend is terminated: connection-failed, then a new session', async () => {
    const attempt = t.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO cut_rows VALUES ('during')`);
      await tx.query('SELECT pg_sleep(5) -- marker-during');
    });
    await terminateWhen('marker-during');
    await assert.rejects(attempt, failsWith('connection-failed'));
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM cut_rows WHERE key = 'during'`,
    );
    assert.equal(rows[0]!.n, 0);
    // Every session in the pool still works (the broken one was discarded).
    await Promise.all(Array.from({ length: 12 }, () => t.db.query('SELECT 1')));
  });

  it('a statement outside a transaction whose backend is terminated: connection-lost (outcome unknown)', async () => {
    const attempt = t.db.query(
      `INSERT INTO cut_rows SELECT 'autocommit' FROM pg_sleep(5) -- marker-autocommit`,
    );
    await terminateWhen('marker-autocommit');
    await assert.rejects(attempt, failsWith('connection-lost'));
  });

  it('a COMMIT whose answer is cut: connection-lost, the rows are there once (not retried)', async () => {
    const cutDone = proxy.cutAfter(/^\s*COMMIT\s*$/i, 'drop');
    const attempt = cut.transaction(async (tx) => {
      await tx.query(`INSERT INTO cut_rows VALUES ('commit-cut')`);
    });
    await assert.rejects(attempt, failsWith('connection-lost'));
    await cutDone;
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM cut_rows WHERE key = 'commit-cut'`,
    );
    assert.equal(rows[0]!.n, 1, 'it committed, once');
  });

  it('the ledger: a batch whose COMMIT answer is lost rejects its callers; the same ids again resolve to the first outcome', async () => {
    const ledger = new Ledger(new SqlLedgerStore(cut));
    const [cash, fiat] = [uuidv7(), uuidv7()];
    const accounts: Command[] = [
      { type: 'createAccount', id: cash, code: `cash:${cash}`, asset: 'USD', flags: 0 },
      { type: 'createAccount', id: fiat, code: `fiat:${fiat}`, asset: 'USD', flags: 0 },
    ];
    for (const outcome of await ledger.submit(accounts)) assert.equal(outcome.status, 'committed');
    const transfer: Command = {
      type: 'transfer',
      id: uuidv7(),
      asset: 'USD',
      postings: [{ debit: cash, credit: fiat, amount: parseAmount('12.5') }],
    };
    const cutDone = proxy.cutAfter(/^\s*COMMIT\s*$/i, 'drop');
    await assert.rejects(ledger.submit([transfer]), failsWith('connection-lost'));
    await cutDone;
    const [again] = await ledger.submit([transfer]);
    assert.equal(again!.status, 'committed');
    const [third] = await ledger.submit([transfer]);
    assert.deepEqual(third, again, 'the first outcome, every time');
    const { rows } = await t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM ledger_journal WHERE id = $1',
      [transfer.id],
    );
    assert.equal(rows[0]!.n, 1, 'journaled once');
    const balance = await ledger.balance(`fiat:${fiat}`, 'credit');
    assert.equal(balance.posted, parseAmount('12.5'), 'credited once');
    const report = await verifyLedger(new SqlLedgerStore(t.db));
    assert.ok(report.ok, toJson(report));
  });
});
