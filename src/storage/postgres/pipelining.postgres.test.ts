/**
 * A transaction's pipelined statements on node-postgres: sent in order on the one client, with
 * no DeprecationWarning from pg ("Calling client.query() when the client is already executing a
 * query is deprecated"). pg warns once a process, so this file runs alone in its own process
 * and listens from its first line. Skips, saying so, when no PostgreSQL server answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { copyText, type SqlDatabase, SqlError } from '../sql.ts';
import { openPostgres } from './postgres.ts';

const warnings: Error[] = [];
process.on('warning', (warning) => warnings.push(warning));

const url = process.env.CLEARPEG_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `pipelining_${process.pid}_${Date.now().toString(36)}`;

/** Runs one statement on its own connection; false when the server is unreachable. */
async function admin(sql: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    await client.query(sql);
    return true;
  } finally {
    await client.end();
  }
}

/** The warnings emitted so far (they are delivered on a later tick). */
async function deprecations(): Promise<string[]> {
  await new Promise((resolve) => setImmediate(resolve));
  return warnings.filter((w) => w.name === 'DeprecationWarning').map((w) => w.message);
}

describe('node-postgres: pipelined statements in a transaction', () => {
  let db: SqlDatabase | undefined;
  before(async () => {
    if (!(await admin(`CREATE SCHEMA ${schema}`))) return;
    db = await openPostgres({ url, searchPath: schema });
    await db.exec('CREATE TABLE piped (n int PRIMARY KEY, note text)');
  });
  after(async () => {
    await db?.close();
    if (db) await admin(`DROP SCHEMA ${schema} CASCADE`);
  });

  it('sends them in order, COMMIT last, without a DeprecationWarning', async (t) => {
    if (!db) return t.skip(`PostgreSQL at ${url.replace(/\/\/[^@/]*@/, '//')} is unavailable`);
    const answered: number[] = [];
    await db.transaction(async (tx) => {
      // None awaited: the body returns with all of them still unanswered.
      for (let n = 1; n <= 20; n++)
        void tx.query('INSERT INTO piped (n) VALUES ($1)', [n]).then(() => answered.push(n));
      void tx.copyFrom('piped', ['n', 'note'], `21\t${copyText('copied')}\n`);
      void tx.query('UPDATE piped SET note = $1 WHERE n <= 20', ['inserted']);
    });
    assert.deepEqual(
      answered,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const { rows } = await db.query<{ notes: string }>(
      "SELECT string_agg(DISTINCT note, ',' ORDER BY note) AS notes FROM piped",
    );
    assert.equal(rows[0]!.notes, 'copied,inserted');
    assert.deepEqual(await deprecations(), []);
  });

  it('rolls back with the first failure among them, still without a warning', async (t) => {
    if (!db) return t.skip('PostgreSQL is unavailable');
    const transaction = db.transaction(async (tx) => {
      void tx.query('INSERT INTO piped (n) VALUES (100)').catch(() => {});
      void tx.query('INSERT INTO piped (n) VALUES (1)').catch(() => {}); // a duplicate key
      void tx.query('INSERT INTO piped (n) VALUES (101)').catch(() => {});
    });
    await assert.rejects(transaction, (error: unknown) => {
      assert.ok(error instanceof SqlError);
      assert.equal(error.code, '23505');
      return true;
    });
    const { rows } = await db.query('SELECT n FROM piped WHERE n >= 100');
    assert.equal(rows.length, 0);
    assert.deepEqual(await deprecations(), []);
  });
  it('runs nothing outside the transaction when a statement sent with BEGIN does not parse', async (t) => {
    if (!db) return t.skip('PostgreSQL is unavailable');
    // 'SELEC 1' goes in one message with BEGIN (no parameters): the server parses the message
    // whole and runs none of it, so BEGIN did not run either.
    const transaction = db.transaction(async (tx) => {
      void tx.query('SELEC 1').catch(() => {});
      await tx.query('INSERT INTO piped (n) VALUES ($1)', [200]).catch(() => {});
      await tx.query('INSERT INTO piped (n) VALUES (201)').catch(() => {});
    });
    // The body swallowed the failures: the transaction is refused as aborted.
    await assert.rejects(transaction, (error: unknown) => {
      assert.ok(error instanceof SqlError);
      assert.equal(error.code, '25P02');
      return true;
    });
    const { rows } = await db.query('SELECT n FROM piped WHERE n >= 200');
    assert.equal(rows.length, 0);
  });
});
