import { after } from 'node:test';
import pg from 'pg';
import { defineSqlSuite } from '../sql.suite.ts';
import { openPostgres } from './postgres.ts';

const url = process.env.CLEARPEG_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** How long to wait for the server before calling it unreachable. */
const CONNECT_TIMEOUT_MS = 2000;
const schema = `sql_suite_${process.pid}_${Date.now().toString(36)}`;
const where = url.replace(/\/\/[^@/]*@/, '//'); // no credentials in messages
let created = false;

/** Runs one statement on its own connection; false when the server is unreachable. */
async function admin(sql: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
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

defineSqlSuite(`PostgreSQL server at ${where}`, async () => {
  created = await admin(`CREATE SCHEMA ${schema}`);
  return created ? openPostgres({ url, searchPath: schema }) : undefined;
});

after(async () => {
  if (created) await admin(`DROP SCHEMA ${schema} CASCADE`);
});
