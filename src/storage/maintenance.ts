/**
 * Storage upkeep, run by `serve` once a day: `VACUUM (ANALYZE)`.
 *
 * PGlite runs PostgreSQL in single-user mode, without the autovacuum daemon. Without this,
 * rows updated in place every day (ledger balances, the accrual job's rows) leave dead
 * versions behind for good, and the planner, never given statistics, plans every join as if
 * its tables held one row: reading 10,000 open bill lots with their accrual rows then takes
 * twice as long (docs/benchmarks.md, "Reserves"). On PostgreSQL the daemon does the same
 * work; running it once more a day costs little.
 */
import type { SqlExecutor } from './sql.ts';

/** How often `serve` runs `maintain`. */
export const maintenanceIntervalMs = 86_400_000;

/**
 * Reclaims dead row versions and refreshes the planner's statistics of every table. Outside a
 * transaction (VACUUM cannot run in one).
 * @example await maintain(db)
 */
export async function maintain(db: SqlExecutor): Promise<void> {
  await db.exec('VACUUM (ANALYZE)');
}
