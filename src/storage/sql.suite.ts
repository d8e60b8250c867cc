/**
 * Conformance tests for the `SqlDatabase` port (./sql.ts), run against every adapter.
 * @example defineSqlSuite('pglite', () => openPglite({ dataDir: 'memory' }))
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { copyText, SqlArray, type SqlDatabase, SqlError, sqlState } from './sql.ts';

/** Concurrent transactions in the counter tests; more than a pool's default 10 connections. */
const CONCURRENT_TRANSACTIONS = 40;

const UUID_A = '0b5e8c55-3f7e-4d0c-9a53-6f1f3c1b2a01';
const UUID_B = 'f0e1d2c3-b4a5-4968-8776-655443322110';

type Check = (db: SqlDatabase, t: TestContext) => Promise<void>;

/** A binary-format COPY payload of (int4, text) rows (PostgreSQL docs, COPY, "Binary Format"). */
function binaryCopy(rows: readonly (readonly [number, string | null])[]): Uint8Array {
  const int = (bytes: 2 | 4, value: number) => {
    const buffer = Buffer.alloc(bytes);
    if (bytes === 2) buffer.writeInt16BE(value);
    else buffer.writeInt32BE(value);
    return buffer;
  };
  const chunks = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (const [id, text] of rows) {
    chunks.push(int(2, 2), int(4, 4), int(4, id));
    const bytes = text === null ? undefined : Buffer.from(text);
    chunks.push(int(4, bytes ? bytes.length : -1), ...(bytes ? [bytes] : []));
  }
  chunks.push(int(2, -1));
  return new Uint8Array(Buffer.concat(chunks)); // not a Buffer: the port takes any Uint8Array
}

/** Defines the suite; `open` returns undefined when the backend is unavailable (tests skip). */
export function defineSqlSuite(name: string, open: () => Promise<SqlDatabase | undefined>): void {
  describe(`SqlDatabase conformance: ${name}`, () => {
    let db: SqlDatabase | undefined;
    before(async () => {
      db = await open();
    });
    after(async () => {
      await db?.close();
    });
    const test = (title: string, check: Check, only?: SqlDatabase['backend']) =>
      it(title, async (t) => {
        if (!db) return t.skip(`${name} is unavailable`);
        if (only && db.backend !== only) return t.skip(`${only} only`);
        await check(db, t);
      });

    test('returns every type of the table in sql.ts in the normal form', async (db) => {
      await db.exec(`CREATE TABLE suite_types (
        i2 int2, i4 int4, i8 int8, num numeric, bin bytea, id uuid, txt text,
        ts timestamptz, flag bool, doc json, docb jsonb, tags text[], ids uuid[])`);
      const tags = ['a', 'b,c', 'd"e', 'f\\g', '', 'NULL', '{x}', 'ünï'];
      const bytes = new Uint8Array([0, 1, 127, 128, 255]);
      await db.query(
        `INSERT INTO suite_types VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          -32768,
          2147483647,
          9223372036854775807n,
          '-123456789012345678901234567890.000000001',
          bytes,
          UUID_A.toUpperCase(),
          'héllo\t"w"\n\\',
          '2024-02-29T23:59:59.123456+02:00',
          true,
          '{"a":[1,{"b":null}]}',
          '{"z":1,"a":"x"}',
          tags,
          [UUID_A, UUID_B],
        ],
      );
      await db.query('INSERT INTO suite_types (i2) VALUES (NULL)');
      const { rows } = await db.query('SELECT * FROM suite_types ORDER BY i2 NULLS LAST');
      const [row, empty] = rows;
      assert.ok(row && empty);
      assert.ok(row.bin instanceof Uint8Array, 'bytea is a Uint8Array');
      assert.deepEqual([...row.bin], [...bytes]);
      assert.deepEqual(
        { ...row, bin: null },
        {
          i2: -32768,
          i4: 2147483647,
          i8: '9223372036854775807',
          num: '-123456789012345678901234567890.000000001',
          bin: null,
          id: UUID_A,
          txt: 'héllo\t"w"\n\\',
          ts: '2024-02-29 21:59:59.123456+00',
          flag: true,
          doc: { a: [1, { b: null }] },
          docb: { a: 'x', z: 1 },
          tags,
          ids: [UUID_A, UUID_B],
        },
      );
      assert.ok(
        Object.values(empty).every((value) => value === null),
        'nulls are null',
      );
    });

    test('keeps numeric scale, int8 beyond 2^53 and arrays of exact numbers as text', async (db) => {
      const { rows } = await db.query(
        `SELECT 1.50::numeric AS scale, 0::numeric AS zero,
        $1::int8 + 1 AS next, '{1,NULL,9007199254740993}'::int8[] AS i8s,
        '{0.1,2.50}'::numeric[] AS nums, false AS no, 7::int2 AS small`,
        [9007199254740993n],
      );
      assert.deepEqual(rows, [
        {
          scale: '1.50',
          zero: '0',
          next: '9007199254740994',
          i8s: ['1', null, '9007199254740993'],
          nums: ['0.1', '2.50'],
          no: false,
          small: 7,
        },
      ]);
    });

    test('takes array parameters: uuid[], numeric[], text[] with NULLs and empty arrays', async (db) => {
      await db.exec('CREATE TABLE suite_arrays (id uuid PRIMARY KEY, amount numeric)');
      await db.query('INSERT INTO suite_arrays VALUES ($1, 1.5), ($2, 2.25)', [UUID_A, UUID_B]);
      const found = await db.query<{ n: number }>(
        'SELECT count(*)::int4 AS n FROM suite_arrays WHERE id = ANY($1::uuid[])',
        [[UUID_B, '00000000-0000-4000-8000-000000000000']],
      );
      assert.deepEqual(found.rows, [{ n: 1 }]);
      const decimals = ['0.1', '0.2', '99999999999999999999.7'];
      const sum = await db.query('SELECT sum(x)::text AS total FROM unnest($1::numeric[]) x', [
        decimals,
      ]);
      assert.deepEqual(sum.rows, [{ total: '100000000000000000000.0' }]);
      const texts = ['a"b', 'c\\d', 'e,f', '{g}', ' ', '', 'NULL', 'é', null];
      const echo = await db.query('SELECT $1::text[] AS texts, cardinality($2::text[]) AS n', [
        texts,
        [],
      ]);
      assert.deepEqual(echo.rows, [{ texts, n: 0 }]);
    });

    test('takes SqlArray parameters of every element type, with NULLs, in a transaction too', async (db) => {
      const max = 2n ** 128n - 1n;
      const numerics = [
        0n,
        1n,
        9999n,
        10000n,
        100000000n,
        2n ** 53n + 1n,
        max,
        -max,
        -10000n,
        null,
      ];
      const params = [
        new SqlArray('uuid', [UUID_A, null, UUID_B]),
        new SqlArray('numeric', numerics),
        new SqlArray('int8', [-(2n ** 63n), 2n ** 63n - 1n, 0n, null]),
        new SqlArray('int4', [-(2 ** 31), 2 ** 31 - 1, 0, null]),
        new SqlArray('numeric', []),
      ];
      const sql = `SELECT $1::uuid[]::text[] AS uuids, $2::numeric[]::text[] AS numerics,
        $3::int8[]::text[] AS int8s, $4::int4[]::text[] AS int4s, cardinality($5::numeric[]) AS empty`;
      const expected = {
        uuids: [UUID_A, null, UUID_B],
        numerics: numerics.map((n) => (n === null ? null : String(n))),
        int8s: [String(-(2n ** 63n)), String(2n ** 63n - 1n), '0', null],
        int4s: [String(-(2 ** 31)), String(2 ** 31 - 1), '0', null],
        empty: 0,
      };
      assert.deepEqual((await db.query(sql, params)).rows, [expected]);
      const inTx = await db.transaction(async (tx) => (await tx.query(sql, params)).rows);
      assert.deepEqual(inTx, [expected]);
      // Integers of every size (trailing zero digits, around 2^53, up to 2^128 - 1), both signs.
      const integers = fc.sample(
        fc.oneof(
          fc.bigInt({ min: -max, max }),
          fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
          fc
            .tuple(fc.bigInt({ min: -99999n, max: 99999n }), fc.nat(30))
            .map(([digits, zeros]) => digits * 10n ** BigInt(zeros)),
        ),
        { seed: 128, numRuns: 600 },
      );
      const { rows } = await db.query<{ texts: string[] }>(
        'SELECT $1::numeric[]::text[] AS texts',
        [new SqlArray('numeric', integers)],
      );
      assert.deepEqual(rows[0]!.texts, integers.map(String));
    });

    test('reports affected rows for writes and 0 for a SELECT', async (db) => {
      await db.exec('CREATE TABLE suite_affected (n int4)');
      const insert = await db.query('INSERT INTO suite_affected SELECT generate_series(1, 3)');
      assert.equal(insert.affectedRows, 3);
      assert.equal(
        (await db.query('UPDATE suite_affected SET n = n + 1 WHERE n > 1')).affectedRows,
        2,
      );
      const select = await db.query('SELECT * FROM suite_affected');
      assert.deepEqual([select.rows.length, select.affectedRows], [3, 0]);
      assert.equal((await db.query('DELETE FROM suite_affected')).affectedRows, 3);
    });

    test('copies rows with tabs, newlines, backslashes, \\N text and nulls', async (db) => {
      await db.exec('CREATE TABLE suite_copy (id int4, body text, note text)');
      const bodies = [
        'plain',
        'tab\there',
        'line\nbreak',
        'cr\rlf\r\n',
        'back\\slash',
        '\\N',
        '',
        'ünï',
      ];
      const lines = bodies.map((body, id) => `${id}\t${copyText(body)}\t${id % 2 ? '\\N' : 'x'}\n`);
      assert.equal(await db.copyFrom('suite_copy', ['id', 'body', 'note'], lines.join('')), 8);
      const { rows } = await db.query('SELECT id, body, note FROM suite_copy ORDER BY id');
      assert.deepEqual(
        rows,
        bodies.map((body, id) => ({ id, body, note: id % 2 ? null : 'x' })),
      );
      assert.equal(await db.copyFrom('suite_copy', ['id'], ''), 0);
    });

    test('copies rows in the binary format from a plain Uint8Array', async (db) => {
      await db.exec('CREATE TABLE suite_copy_binary (id int4, body text)');
      const rows = [
        { id: 1, body: 'tab\tnewline\n' },
        { id: 2, body: null },
        { id: 3, body: 'ünï' },
      ];
      const data = binaryCopy(rows.map(({ id, body }) => [id, body]));
      assert.equal(await db.copyFrom('suite_copy_binary', ['id', 'body'], data), 3);
      const copied = await db.query('SELECT id, body FROM suite_copy_binary ORDER BY id');
      assert.deepEqual(copied.rows, rows);
    });

    test('rejects COPY into a name that is not a plain identifier', async (db) => {
      await assert.rejects(db.copyFrom('suite_copy; DROP TABLE x', ['id'], ''));
    });

    test('runs scripts of several statements', async (db) => {
      await db.exec('CREATE TABLE suite_exec (n int4); INSERT INTO suite_exec VALUES (1), (2);');
      assert.deepEqual((await db.query('SELECT sum(n)::int4 AS s FROM suite_exec')).rows, [
        { s: 3 },
      ]);
    });

    test('commits a transaction and returns the body result', async (db) => {
      await db.exec('CREATE TABLE suite_commit (n int4)');
      const result = await db.transaction(async (tx) => {
        await tx.query('INSERT INTO suite_commit VALUES (1)');
        await tx.copyFrom('suite_commit', ['n'], '2\n3\n');
        await tx.exec('INSERT INTO suite_commit VALUES (4)');
        return (await tx.query('SELECT count(*)::int4 AS n FROM suite_commit')).rows[0];
      });
      assert.deepEqual(result, { n: 4 });
      assert.deepEqual((await db.query('SELECT count(*)::int4 AS n FROM suite_commit')).rows, [
        { n: 4 },
      ]);
    });

    test('rolls back when the body throws, DDL and COPY included', async (db) => {
      const failure = new Error('body failed');
      const attempt = db.transaction(async (tx) => {
        await tx.exec('CREATE TABLE suite_rollback (n int4)');
        await tx.copyFrom('suite_rollback', ['n'], '1\n');
        throw failure;
      });
      await assert.rejects(attempt, (error) => error === failure);
      const { rows } = await db.query("SELECT to_regclass('suite_rollback') IS NULL AS gone");
      assert.deepEqual(rows, [{ gone: true }]);
    });

    test('rolls back on a unique violation and reports SqlError 23505', async (db) => {
      await db.exec('CREATE TABLE suite_unique (id int4 CONSTRAINT suite_unique_pk PRIMARY KEY)');
      await db.query('INSERT INTO suite_unique VALUES (1)');
      const attempt = db.transaction(async (tx) => {
        await tx.query('INSERT INTO suite_unique VALUES (2)');
        await tx.query('INSERT INTO suite_unique VALUES ($1)', [1]);
      });
      await assert.rejects(attempt, (error) => {
        assert.ok(error instanceof SqlError);
        assert.equal(error.code, sqlState.uniqueViolation);
        assert.equal(error.constraint, 'suite_unique_pk');
        assert.match(error.detail ?? '', /\(id\)=\(1\)/);
        return true;
      });
      const { rows } = await db.query('SELECT id FROM suite_unique ORDER BY id');
      assert.deepEqual(rows, [{ id: 1 }]);
    });

    test('refuses to commit a transaction whose error the body swallowed', async (db) => {
      await db.exec('CREATE TABLE suite_swallow (id int4 PRIMARY KEY)');
      const attempt = db.transaction(async (tx) => {
        await tx.query('INSERT INTO suite_swallow VALUES (1)');
        await tx.query('INSERT INTO suite_swallow VALUES (1)').catch(() => undefined);
        return 'looks fine';
      });
      await assert.rejects(attempt, (error) => error instanceof SqlError && error.code === '25P02');
      assert.deepEqual((await db.query('SELECT * FROM suite_swallow')).rows, []);
    });

    test('keeps a transaction aborted after its first statement failed', async (db) => {
      const attempt = db.transaction(async (tx) => {
        await assert.rejects(tx.query('SELEC 1'), (error) => (error as SqlError).code === '42601');
        await assert.rejects(tx.query('SELECT 1'), (error) => (error as SqlError).code === '25P02');
      });
      await assert.rejects(attempt, (error) => error instanceof SqlError && error.code === '25P02');
      assert.equal(await db.transaction(async () => 'no statements'), 'no statements');
    });

    test('reports SQL errors outside transactions as SqlError with the SQLSTATE', async (db) => {
      await assert.rejects(db.query('SELEC 1'), (error) => {
        return error instanceof SqlError && error.code === '42601';
      });
      await assert.rejects(db.exec('SELECT 1/0'), (error) => {
        return error instanceof SqlError && error.code === '22012';
      });
    });

    test('rejects the transaction executor after the end and the database inside a body', async (db) => {
      let leaked: Parameters<Parameters<SqlDatabase['transaction']>[0]>[0] | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
        await assert.rejects(db.query('SELECT 1'), /inside its own transaction/);
      });
      await assert.rejects(leaked!.query('SELECT 1'), /already ended/);
    });

    test('does not lose updates: concurrent SELECT … FOR UPDATE transactions', async (db) => {
      await db.exec(
        'CREATE TABLE suite_lock (id int4 PRIMARY KEY, n int8); INSERT INTO suite_lock VALUES (1, 0)',
      );
      await Promise.all(
        Array.from({ length: CONCURRENT_TRANSACTIONS }, () =>
          db.transaction(async (tx) => {
            const { rows } = await tx.query<{ n: string }>(
              'SELECT n FROM suite_lock WHERE id = 1 FOR UPDATE',
            );
            await new Promise((resolve) => setImmediate(resolve));
            await tx.query('UPDATE suite_lock SET n = $1 WHERE id = 1', [BigInt(rows[0]!.n) + 1n]);
          }),
        ),
      );
      const { rows } = await db.query('SELECT n FROM suite_lock');
      assert.deepEqual(rows, [{ n: String(CONCURRENT_TRANSACTIONS) }]);
    });

    test(
      'serializes: concurrent transactions and plain calls run one at a time, FIFO',
      async (db) => {
        await db.exec('CREATE TABLE suite_serial (n int8); INSERT INTO suite_serial VALUES (0)');
        const seen: string[] = [];
        await Promise.all(
          Array.from({ length: CONCURRENT_TRANSACTIONS }, () => [
            db.transaction(async (tx) => {
              const { rows } = await tx.query<{ n: string }>('SELECT n FROM suite_serial');
              await new Promise((resolve) => setImmediate(resolve));
              await tx.query('UPDATE suite_serial SET n = $1', [BigInt(rows[0]!.n) + 1n]);
            }),
            db.query<{ n: string }>('SELECT n FROM suite_serial').then(({ rows }) => {
              seen.push(rows[0]!.n);
            }),
          ]).flat(),
        );
        const { rows } = await db.query('SELECT n FROM suite_serial');
        assert.deepEqual(rows, [{ n: String(CONCURRENT_TRANSACTIONS) }]);
        const expected = Array.from({ length: CONCURRENT_TRANSACTIONS }, (_, i) => String(i + 1));
        assert.deepEqual(
          seen,
          expected,
          'each plain read ran right after the transaction before it',
        );
      },
      'pglite',
    );

    test('commits the last writes a body leaves unawaited, and resolves once they are answered', async (db) => {
      await db.exec('CREATE TABLE suite_behind (id int4 PRIMARY KEY, note text NOT NULL)');
      let answered = 0;
      const value = await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO suite_behind VALUES (1, 'awaited')`);
        for (const id of [2, 3])
          void tx.query('INSERT INTO suite_behind VALUES ($1, $2)', [id, 'behind']).then(() => {
            answered++;
          });
        return 'done';
      });
      assert.equal(value, 'done');
      assert.equal(answered, 2, 'both writes answered before the transaction resolved');
      const { rows } = await db.query<{ id: number }>('SELECT id FROM suite_behind ORDER BY id');
      assert.deepEqual(
        rows.map((row) => row.id),
        [1, 2, 3],
      );
    });

    test('rolls back, with the error of the failing statement, when a write left unawaited fails', async (db) => {
      await db.exec(
        `CREATE TABLE suite_behind_fail (id int4 PRIMARY KEY); INSERT INTO suite_behind_fail VALUES (1)`,
      );
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO suite_behind_fail VALUES (2)');
          void tx.query('INSERT INTO suite_behind_fail VALUES (1)'); // a unique violation
          void tx.query('INSERT INTO suite_behind_fail VALUES (3)');
        }),
        (error) => error instanceof SqlError && error.code === '23505',
      );
      const { rows } = await db.query<{ id: number }>('SELECT id FROM suite_behind_fail');
      assert.deepEqual(rows, [{ id: 1 }], 'nothing of the transaction committed');
      // The session is usable at once: the next transaction and plain calls run normally.
      await db.transaction((tx) => tx.query('INSERT INTO suite_behind_fail VALUES (4)'));
      const after = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM suite_behind_fail',
      );
      assert.deepEqual(after.rows, [{ n: 2 }]);
    });

    test(
      'runs what is queued after a transaction behind its COMMIT, seeing its writes',
      async (db) => {
        await db.exec('CREATE TABLE suite_after (n int4)');
        const committed = db.transaction(async (tx) => {
          void tx.query('INSERT INTO suite_after VALUES (1)');
        });
        const read = db.query<{ n: number }>('SELECT count(*)::int AS n FROM suite_after');
        const next = db.transaction(async (tx) => {
          const { rows } = await tx.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM suite_after',
          );
          return rows[0]!.n;
        });
        await committed;
        assert.deepEqual((await read).rows, [{ n: 1 }]);
        assert.equal(await next, 1);
      },
      'pglite',
    );

    test('lets pending work finish on close', async (db) => {
      const pending = db.query('SELECT 42 AS answer, pg_sleep(0.1)');
      await db.close();
      assert.equal((await pending).rows[0]?.answer, 42);
      await assert.rejects(db.query('SELECT 1'));
    });
  });
}
