/**
 * Migrations: plain SQL files in `src/storage/migrations/`, named `NNNN_name.sql`, applied
 * in order, each in its own transaction, and recorded in `schema_migrations` with the
 * SHA-256 of the file, so that an edited migration that already ran is refused.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClearpegError } from '../errors.ts';
import type { SqlDatabase } from './sql.ts';

const directory = fileURLToPath(new URL('./migrations/', import.meta.url));
const namePattern = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** One migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly sha256: string;
}

/**
 * The shipped migrations, in order.
 * @example loadMigrations()[0].name === '0001_ledger.sql'
 */
export function loadMigrations(): Migration[] {
  return readdirSync(directory)
    .filter((name) => namePattern.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(directory + name, 'utf8');
      return {
        version: Number(namePattern.exec(name)![1]),
        name,
        sql,
        sha256: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/**
 * Applies every migration not yet applied; returns the names it applied.
 * @example await migrate(db) // ['0001_ledger.sql']
 */
export async function migrate(
  db: SqlDatabase,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      // Serialize concurrent migrators (several processes starting at once).
      await tx.query('SELECT pg_advisory_xact_lock(7462001)');
      const { rows } = await tx.query<{ sha256: string }>(
        'SELECT sha256 FROM schema_migrations WHERE version = $1',
        [migration.version],
      );
      if (rows[0] !== undefined) {
        if (rows[0].sha256 !== migration.sha256) {
          throw new ClearpegError(
            'migration-changed',
            `migration ${migration.name} was applied with another content (sha256 ${rows[0].sha256}); never edit an applied migration, add a new one`,
          );
        }
        return false;
      }
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        migration.sha256,
      ]);
      return true;
    });
    if (done) applied.push(migration.name);
  }
  return applied;
}
