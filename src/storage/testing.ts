/**
 * Test databases for the shared suites: a fresh, isolated database per call on either
 * backend. PostgreSQL: a schema of its own on `CLEARPEG_TEST_DATABASE_URL` (default the local
 * server), dropped on close; `undefined` when no server answers, so suites skip with a
 * message instead of failing on a machine without PostgreSQL. PGlite: a temporary directory.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite/pglite.ts';
import { openPostgres } from './postgres/postgres.ts';
import type { SqlDatabase } from './sql.ts';

/** The PostgreSQL server the tests use. */
export const testDatabaseUrl =
  process.env.CLEARPEG_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/**
 * Why PostgreSQL cannot be used for tests, or undefined when it can (checked once).
 * @example const why = await postgresUnavailable(); it('x', { skip: why }, ...)
 */
export function postgresUnavailable(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({
      connectionString: testDatabaseUrl,
      connectionTimeoutMillis: 2000,
    });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (error) {
      return `PostgreSQL is not reachable at ${testDatabaseUrl.replace(/\/\/[^@]*@/, '//')} (${(error as Error).message}); skipped`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

let template: Promise<string> | undefined;

/**
 * A migrated PGlite directory made once per process and copied for each test: a new
 * directory costs about 4 s (initdb in wasm), a copy a fraction of that.
 */
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clearpeg-template-'));
    const db = await openPglite({ dataDir: dir });
    await migrate(db);
    await db.close();
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  return template;
}

/** A backend the shared suites run on. */
export type TestBackend = 'pglite' | 'postgres';

/** A fresh database, migrated, and a function that closes and deletes it. */
export interface TestDatabase {
  readonly db: SqlDatabase;
  readonly url?: string;
  readonly schema?: string;
  readonly dataDir?: string;
  dispose(): Promise<void>;
}

/**
 * Opens a fresh migrated database on `backend`.
 * @example const t = await openTestDatabase('pglite'); try { ... } finally { await t.dispose() }
 */
export async function openTestDatabase(
  backend: TestBackend,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  let t: TestDatabase;
  if (backend === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-test-'));
    if (options.migrate !== false) cpSync(await pgliteTemplate(), dataDir, { recursive: true });
    const db = await openPglite({ dataDir });
    t = {
      db,
      dataDir,
      dispose: async () => {
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } else {
    const schema = `test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const db = await openPostgres({ url: testDatabaseUrl, searchPath: schema, max: 10 });
    t = {
      db,
      url: testDatabaseUrl,
      schema,
      dispose: async () => {
        await db.close();
        const cleanup = new pg.Client({ connectionString: testDatabaseUrl });
        await cleanup.connect();
        await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
        await cleanup.end();
      },
    };
  }
  if (options.migrate !== false) await migrate(t.db);
  return t;
}
