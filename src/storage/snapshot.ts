/**
 * A consistent read of a live database: one read-only REPEATABLE READ transaction, so that
 * several statements see one moment even while writers commit (PostgreSQL: no writer waits
 * on it; PGlite: its one session is held for as long as the body runs, so keep bodies short).
 * The verifications read their heads and balances this way.
 */
import type { StoreSnapshot } from '../ledger/verify.ts';
import { SqlLedgerStore } from './ledger-store.ts';
import type { SqlDatabase, SqlExecutor } from './sql.ts';

/**
 * Runs `body` in a read-only REPEATABLE READ transaction of `db`.
 * @example const [a, b] = await readSnapshot(db, (tx) => Promise.all([tx.query(x), tx.query(y)]))
 */
export function readSnapshot<T>(
  db: SqlDatabase,
  body: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return body(tx);
  });
}

/**
 * `db` as a `SqlDatabase` whose every statement runs in the transaction `tx` (a nested
 * transaction runs in it too, and closing it does nothing): for stores written against
 * `SqlDatabase` that should read inside a snapshot.
 * @example new SqlLedgerStore(executorDatabase(db, tx))
 */
export function executorDatabase(db: SqlDatabase, tx: SqlExecutor): SqlDatabase {
  return {
    backend: db.backend,
    query: tx.query.bind(tx),
    copyFrom: tx.copyFrom.bind(tx),
    exec: tx.exec.bind(tx),
    transaction: <T>(body: (e: SqlExecutor) => Promise<T>) => body(tx),
    close: async () => {},
  };
}

/**
 * The ledger store's snapshot for `verifyLedger`: its head and balances read in one
 * `readSnapshot` of `db`.
 * @example await verifyLedger(store, { snapshot: ledgerSnapshot(db) })
 */
export function ledgerSnapshot(db: SqlDatabase): StoreSnapshot {
  return (body) => readSnapshot(db, (tx) => body(new SqlLedgerStore(executorDatabase(db, tx))));
}
