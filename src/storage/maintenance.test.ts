/**
 * Daily upkeep: after `maintain`, the planner knows how big the tables are, and the space of
 * dead row versions is used again (PGlite has no autovacuum daemon to do either).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { maintain } from './maintenance.ts';
import { openTestDatabase, type TestDatabase } from './testing.ts';

describe('storage maintenance', () => {
  let t: TestDatabase;
  before(async () => {
    t = await openTestDatabase('pglite', { migrate: false });
    await t.db.exec(`CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL);
      INSERT INTO items SELECT g, 0 FROM generate_series(1, 5000) g;`);
  });
  after(() => t?.dispose());

  const one = async <T>(sql: string): Promise<T> =>
    Object.values((await t.db.query(sql)).rows[0]!)[0] as T;
  const pages = () => one<number>(`SELECT pg_relation_size('items')::int / 8192`);
  const plan = async () =>
    (await t.db.query('EXPLAIN SELECT * FROM items WHERE n >= 0')).rows
      .map((row) => Object.values(row)[0])
      .join('\n');

  it('gives the planner the size of each table', async () => {
    assert.equal(
      await one<number>(`SELECT reltuples::int FROM pg_class WHERE relname = 'items'`),
      -1,
    );
    await maintain(t.db);
    assert.equal(
      await one<number>(`SELECT reltuples::int FROM pg_class WHERE relname = 'items'`),
      5000,
    );
    assert.match(await plan(), /rows=5000 /, 'planned for the 5,000 rows it holds');
  });

  it('lets a table updated every day reuse the space of its dead rows instead of growing', async () => {
    const grown = async () => {
      const before = await pages();
      await t.db.query('UPDATE items SET n = n + 1');
      return (await pages()) - before;
    };
    await grown(); // the first update leaves 5,000 dead versions
    assert.ok((await grown()) > 0, 'without maintenance every update grows the table');
    await maintain(t.db);
    assert.equal(await grown(), 0, 'after it, the update fits in the space reclaimed');
  });
});
