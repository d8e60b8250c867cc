/**
 * What production mode (`CLEARPEG_MODE=production`) asks of the store: that an acknowledged
 * write survive the loss of the server that acknowledged it. That takes PostgreSQL with
 * synchronous replication: a COMMIT answered only once a standby has the transaction
 * (`synchronous_commit` `on` or `remote_apply`, with `synchronous_standby_names` naming at
 * least one standby; Patroni's `synchronous_mode` sets the latter). The embedded store is one
 * process's files on one disk, and is refused outright.
 *
 * Under Patroni's `synchronous_mode: true` (not `_strict`) a primary left alone after a failover
 * runs with `synchronous_standby_names` empty until the other node rejoins: writes then rest on
 * one server, and a `serve` started in that window is refused (those already running go on).
 */
import type { Config } from '../../config.ts';
import { ClearpegError } from '../../errors.ts';
import type { SqlExecutor } from '../sql.ts';
import { openPostgres } from './postgres.ts';

/** The settings production mode reads, as the server reports them to a session. */
export interface DurabilitySettings {
  readonly synchronousCommit: string;
  readonly synchronousStandbyNames: string;
}

/** `synchronous_commit` values that wait for a standby when one is named. */
const waitingCommits = new Set(['on', 'remote_apply']);

const rule =
  'production mode needs synchronous replication: synchronous_commit on or remote_apply, and synchronous_standby_names naming a standby';

/**
 * In production mode, refuses (`config-invalid`, field `DATABASE_URL`) the embedded store, and
 * a PostgreSQL whose COMMIT does not wait for a synchronous standby; outside it, does nothing.
 * Call it before opening (and migrating) the store: it opens one session of its own.
 * @example await refuseUnsafeProduction(loadConfig())
 */
export async function refuseUnsafeProduction(
  config: Pick<Config, 'mode' | 'databaseUrl'>,
): Promise<DurabilitySettings | undefined> {
  if (config.mode !== 'production') return undefined;
  if (config.databaseUrl !== undefined) {
    const db = await openPostgres({ url: config.databaseUrl, max: 1 });
    try {
      return await requireSynchronousReplication(db);
    } finally {
      await db.close();
    }
  }
  throw new ClearpegError(
    'config-invalid',
    'DATABASE_URL: production mode (CLEARPEG_MODE=production) does not run on the embedded store: set DATABASE_URL to PostgreSQL with synchronous replication (synchronous_commit on or remote_apply, synchronous_standby_names set)',
    { field: 'DATABASE_URL', rule },
  );
}

/**
 * Reads `synchronous_commit` and `synchronous_standby_names` as `db`'s sessions see them and
 * refuses (`config-invalid`, field `DATABASE_URL`) unless a COMMIT waits for a standby.
 * @example await requireSynchronousReplication(db) // { synchronousCommit: 'on', synchronousStandbyNames: '"pg2"' }
 */
export async function requireSynchronousReplication(db: SqlExecutor): Promise<DurabilitySettings> {
  const { rows } = await db.query<{ commit: string; standbys: string }>(
    `SELECT current_setting('synchronous_commit') AS commit,
            current_setting('synchronous_standby_names') AS standbys`,
  );
  const settings = {
    synchronousCommit: rows[0]!.commit,
    synchronousStandbyNames: rows[0]!.standbys,
  };
  const problems: string[] = [];
  if (!waitingCommits.has(settings.synchronousCommit))
    problems.push(`synchronous_commit is ${settings.synchronousCommit}, not on or remote_apply`);
  if (settings.synchronousStandbyNames.trim() === '')
    problems.push('synchronous_standby_names is empty (no synchronous standby)');
  if (problems.length > 0)
    throw new ClearpegError(
      'config-invalid',
      `DATABASE_URL: production mode (CLEARPEG_MODE=production) refuses this PostgreSQL: ${problems.join('; ')} (synchronous_commit ${settings.synchronousCommit}, synchronous_standby_names '${settings.synchronousStandbyNames}'). An acknowledged write could be lost with its server; configure synchronous replication (Patroni: synchronous_mode) or unset CLEARPEG_MODE`,
      { field: 'DATABASE_URL', rule },
    );
  return settings;
}
