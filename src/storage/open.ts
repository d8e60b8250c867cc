/**
 * Opens the configured database (PostgreSQL when `DATABASE_URL` is set, else the durable
 * embedded store in the data directory) and brings its schema up to date.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite/pglite.ts';
import { openPostgres } from './postgres/postgres.ts';
import type { SqlDatabase } from './sql.ts';

/**
 * The database for `config`, migrated.
 * @example const db = await openDatabase(loadConfig())
 */
export async function openDatabase(
  config: Pick<Config, 'dataDir' | 'databaseUrl'>,
): Promise<SqlDatabase> {
  let db: SqlDatabase;
  if (config.databaseUrl !== undefined) {
    db = await openPostgres({ url: config.databaseUrl });
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    db = await openPglite({ dataDir: join(config.dataDir, 'pgdata') });
  }
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * Where the data is, for messages (never the credentials of a URL).
 * @example describeDatabase({ databaseUrl: 'postgres://u:p@h/db' }) === 'PostgreSQL at h/db'
 */
export function describeDatabase(config: Pick<Config, 'dataDir' | 'databaseUrl'>): string {
  if (config.databaseUrl === undefined)
    return `the embedded store in ${join(config.dataDir, 'pgdata')}`;
  try {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL at ${url.host}${url.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}
