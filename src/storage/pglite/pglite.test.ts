import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { defineSqlSuite } from '../sql.suite.ts';
import type { SqlError } from '../sql.ts';
import { openPglite } from './pglite.ts';
import { CAPACITY } from './prepared.ts';

const scratch = mkdtempSync(join(tmpdir(), 'clearpeg-pglite-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

defineSqlSuite('pglite (memory)', () => openPglite({ dataDir: 'memory' }));
defineSqlSuite('pglite (durable directory)', () => openPglite({ dataDir: join(scratch, 'suite') }));

describe('openPglite', () => {
  it('keeps a second opener off a directory until the first closes', async () => {
    const dataDir = join(scratch, 'locked');
    const db = await openPglite({ dataDir, durable: false });
    await assert.rejects(openPglite({ dataDir }), {
      code: 'data-dir-in-use',
      message: new RegExp(`in use by process ${process.pid}`),
    });
    await db.close();
    const again = await openPglite({ dataDir, durable: false });
    assert.deepEqual((await again.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await again.close();
  });

  it("starts its TypeScript worker when tsx was loaded with tsx's register() API", async () => {
    const module = new URL('./pglite.ts', import.meta.url).href;
    const script = `import { register } from 'tsx/esm/api';
      register();
      const { openPglite } = await import(${JSON.stringify(module)});
      const db = await openPglite({ dataDir: 'memory' });
      console.log(JSON.stringify((await db.query('SELECT 2::int8 AS two')).rows));
      await db.close();`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: new URL('../../..', import.meta.url) },
    );
    assert.equal(stdout.trim(), '[{"two":"2"}]');
  });
});

describe('prepared statements (./prepared.ts)', () => {
  const prepared = async (db: Awaited<ReturnType<typeof openPglite>>) =>
    (
      await db.query<{ n: number }>(
        'SELECT count(*)::int4 AS n FROM pg_prepared_statements WHERE NOT from_sql',
      )
    ).rows[0]!.n;

  it('prepares a statement once, whatever its parameters, and keeps at most CAPACITY', async () => {
    const db = await openPglite({ dataDir: 'memory' });
    try {
      const base = await prepared(db); // the counting statement itself
      for (let i = 0; i < 5; i++) {
        assert.deepEqual((await db.query('SELECT $1::int4 + 1 AS n', [i])).rows, [{ n: i + 1 }]);
      }
      assert.equal(await prepared(db), base + 1);
      for (let i = 0; i < CAPACITY + 20; i++) await db.query(`SELECT ${i}::int4 AS n`);
      assert.equal(await prepared(db), CAPACITY);
      // The first statement was pushed out and closed; its text prepares again.
      assert.deepEqual((await db.query('SELECT $1::int4 + 1 AS n', [41])).rows, [{ n: 42 }]);
    } finally {
      await db.close();
    }
  });

  it('makes statements again after a schema change by a script or by a statement', async () => {
    const db = await openPglite({ dataDir: 'memory' });
    try {
      await db.exec('CREATE TABLE prepared_shape (a int4)');
      await db.query('INSERT INTO prepared_shape VALUES ($1)', [1]);
      const all = () => db.query('SELECT * FROM prepared_shape');
      assert.deepEqual((await all()).rows, [{ a: 1 }]);
      await db.exec('ALTER TABLE prepared_shape ADD COLUMN b int4 DEFAULT 2');
      assert.deepEqual((await all()).rows, [{ a: 1, b: 2 }]);
      await db.query('ALTER TABLE prepared_shape ADD COLUMN c int4 DEFAULT 3');
      assert.deepEqual((await all()).rows, [{ a: 1, b: 2, c: 3 }]);
    } finally {
      await db.close();
    }
  });

  it('sends each parameter type as PostgreSQL reads it back', async () => {
    const db = await openPglite({ dataDir: 'memory' });
    try {
      const awkward = ['plain', 'a "quoted" one', 'back\\slash', 'comma, {brace}', '', null];
      const { rows } = await db.query(
        `SELECT $1::text[] AS texts, $2::bytea AS bytes, $3::bool AS yes, $4::bool AS no,
                $5::int8 AS big, $6::numeric AS exact, $7::text AS unicode`,
        [awkward, new Uint8Array([0, 1, 254, 255]), true, false, 2n ** 62n, '-0.000001', 'µ€𝄞'],
      );
      assert.deepEqual(rows, [
        {
          texts: awkward,
          bytes: new Uint8Array([0, 1, 254, 255]),
          yes: true,
          no: false,
          big: String(2n ** 62n),
          exact: '-0.000001',
          unicode: 'µ€𝄞',
        },
      ]);
    } finally {
      await db.close();
    }
  });

  it('does not keep a statement that failed to parse, and goes on after it', async () => {
    const db = await openPglite({ dataDir: 'memory' });
    try {
      const base = await prepared(db);
      for (let i = 0; i < 2; i++) {
        await assert.rejects(db.query('SELEC 1'), (error: SqlError) => error.code === '42601');
      }
      await assert.rejects(
        db.query('SELECT 1 / $1::int4 AS n', [0]),
        (error: SqlError) => error.code === '22012',
      );
      assert.deepEqual((await db.query('SELECT 1 / $1::int4 AS n', [1])).rows, [{ n: 1 }]);
      assert.equal(await prepared(db), base + 1);
    } finally {
      await db.close();
    }
  });
});
