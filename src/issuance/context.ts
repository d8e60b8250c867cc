/**
 * The workflows' context as `serve` runs it (the shared pieces are in src/workflow/).
 */
import { wallClockUs } from '../calendar.ts';
import { Ledger } from '../ledger/ledger.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { loadShippedSanctions } from './sanctions.ts';

/**
 * The context as `serve` runs it over `db`: the ledger on the same database, the shipped
 * sanctions list, the wall clock.
 * @example const ctx = issuanceContext(await openDatabase(config))
 */
export function issuanceContext(db: SqlDatabase): IssuanceContext {
  return {
    db,
    ledger: new Ledger(new SqlLedgerStore(db)),
    sanctions: loadShippedSanctions(),
    clockUs: wallClockUs,
  };
}
