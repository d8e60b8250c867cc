/**
 * The statements benchmark: what one statement costs in PGlite, through `PGlite.query`
 * (the baseline: six calls into PostgreSQL, parsed and planned each time) and through the
 * worker's prepared statements (`src/storage/pglite/prepared.ts`: parsed once, then one
 * message of Bind, Describe, Execute and Sync).
 *
 * Both on one in-memory PGlite in this thread (no worker, no proxy: the statement alone), on
 * a table of 10,000 customers-like rows. Three statements, each run N times (5,000;
 * `BENCH_QUICK=1`: 1,000) after 200 unmeasured runs:
 *   read     one row by primary key, with a correlated count (like the customer read)
 *   page     20 rows by an index, newest first (like a page of mints)
 *   update   one row by primary key (like a head or a bucket)
 *
 * Prints `bench statements.<statement>.<path> <µs> µs/statement` per statement and path.
 */
import { PGlite } from '@electric-sql/pglite';
import { PreparedStatements } from '../src/storage/pglite/prepared.ts';
import { print, printMachine } from './lib/report.ts';

const runs = process.env.BENCH_QUICK === '1' ? 1_000 : 5_000;
const warmup = 200;

const pg = await PGlite.create();
await pg.exec(`
  CREATE TABLE bench_rows (
    id uuid PRIMARY KEY,
    owner int4 NOT NULL,
    name text NOT NULL,
    amount numeric(38, 6) NOT NULL,
    created_at timestamptz NOT NULL,
    version int8 NOT NULL DEFAULT 0
  );
  CREATE INDEX bench_rows_owner ON bench_rows (owner, created_at DESC);
  INSERT INTO bench_rows (id, owner, name, amount, created_at)
    SELECT gen_random_uuid(), i % 100, 'row ' || i, i * 1.5, now() - i * interval '1 second'
    FROM generate_series(1, 10000) AS i;
`);
await pg.exec('VACUUM ANALYZE bench_rows');
const ids = (await pg.query<{ id: string }>('SELECT id FROM bench_rows')).rows.map((r) => r.id);

const statements: Record<string, { sql: string; params: (i: number) => (string | number)[] }> = {
  read: {
    sql: `SELECT r.id, r.name, r.amount, r.created_at,
            (SELECT count(*) FROM bench_rows o WHERE o.owner = r.owner) AS siblings
          FROM bench_rows r WHERE r.id = $1`,
    params: (i) => [ids[i % ids.length]!],
  },
  page: {
    sql: `SELECT id, name, amount, created_at FROM bench_rows
          WHERE owner = $1 ORDER BY created_at DESC LIMIT 20`,
    params: (i) => [i % 100],
  },
  update: {
    sql: 'UPDATE bench_rows SET version = version + 1 WHERE id = $1',
    params: (i) => [ids[(i * 7919) % ids.length]!],
  },
};

const prepared = new PreparedStatements(pg);
const paths: Record<string, (sql: string, params: (string | number)[]) => Promise<unknown>> = {
  query: (sql, params) => pg.query(sql, params),
  prepared: (sql, params) => prepared.run(sql, params),
};

printMachine();
console.log(`# ${runs} runs of each statement on each path after ${warmup} unmeasured`);
for (const [name, statement] of Object.entries(statements)) {
  for (const [path, run] of Object.entries(paths)) {
    for (let i = 0; i < warmup; i++) await run(statement.sql, statement.params(i));
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) await run(statement.sql, statement.params(i));
    const us = Number(process.hrtime.bigint() - start) / 1_000 / runs;
    print(`statements.${name}.${path === 'query' ? 'baseline.query' : path}`, us, 'µs/statement');
  }
}
await pg.close();
