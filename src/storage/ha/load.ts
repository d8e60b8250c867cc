/**
 * A steady write load for the HA tests: `workers` loops, each inserting rows with unique keys
 * through a store, retrying a failed insert with the same key (`ON CONFLICT DO NOTHING`, so a
 * retry of an insert that did commit changes nothing) until it is acknowledged. It records
 * every acknowledged key and the outages it saw (first failed write to the next acknowledged
 * one), for the checks after the faults.
 */
import type { SqlDatabase } from '../sql.ts';

/** A span during which writes failed. */
export interface Outage {
  /** `performance.now()` of the first failed write. */
  readonly fromMs: number;
  /** `performance.now()` of the first acknowledged write after it. */
  readonly toMs: number;
  /** Writes that failed (and were retried) during it. */
  readonly failures: number;
}

/** A running load. */
export interface InsertLoad {
  /** Keys acknowledged so far. */
  readonly acknowledged: ReadonlySet<string>;
  /** Outages so far, in order. */
  readonly outages: readonly Outage[];
  /** Acknowledged writes so far. */
  count(): number;
  /** Stops starting new keys, finishes (acknowledges) the ones in flight, and resolves. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pause between retries of a failed insert, so a dead primary is not hammered. */
const retryPauseMs = 50;

/**
 * Starts the load on table `table (key text PRIMARY KEY)`, which must exist.
 * @example const load = startInsertLoad(db, 'ha_load', 4); …; await load.stop()
 */
export function startInsertLoad(db: SqlDatabase, table: string, workers: number): InsertLoad {
  const acknowledged = new Set<string>();
  const outages: Outage[] = [];
  let failingSince: number | undefined;
  let failures = 0;
  let running = true;

  const insert = async (key: string) => {
    for (;;) {
      const sentMs = performance.now();
      try {
        await db.query(`INSERT INTO ${table} (key) VALUES ($1) ON CONFLICT DO NOTHING`, [key]);
        const now = performance.now();
        // Only a write sent after the outage began ends it (one sent before may have been
        // answered by the old primary in its last moments).
        if (failingSince !== undefined && sentMs >= failingSince) {
          outages.push({ fromMs: failingSince, toMs: now, failures });
          failingSince = undefined;
          failures = 0;
        }
        acknowledged.add(key);
        return;
      } catch {
        failingSince ??= performance.now();
        failures++;
        await sleep(retryPauseMs);
      }
    }
  };
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let seq = 0; running; seq++) await insert(`w${worker}-${seq}`);
  });
  return {
    acknowledged,
    outages,
    count: () => acknowledged.size,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
