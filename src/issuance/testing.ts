/**
 * An issuance context on a fresh database, with one operator of each role: the starting point
 * of the issuance tests.
 */
import { Ledger } from '../ledger/ledger.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { openTestDatabase, type TestBackend, type TestDatabase } from '../storage/testing.ts';
import type { Actor, OperatorRole } from './actors.ts';
import type { IssuanceContext } from './context.ts';
import { loadShippedSanctions } from './sanctions.ts';

export interface IssuanceFixture {
  readonly t: TestDatabase;
  readonly ctx: IssuanceContext;
  /** An operator holding only `role`. */
  operator(role: OperatorRole, id?: string): Actor;
  /** The balance of a ledger account by code: credits − debits, posted (0 if there is none). */
  balance(code: string): Promise<bigint>;
  close(): Promise<void>;
}

export async function issuanceFixture(backend: TestBackend = 'pglite'): Promise<IssuanceFixture> {
  const t = await openTestDatabase(backend);
  const store = new SqlLedgerStore(t.db);
  const ledger = new Ledger(store);
  const ctx: IssuanceContext = {
    db: t.db,
    ledger,
    sanctions: loadShippedSanctions(),
    clockUs: () => BigInt(Date.now()) * 1000n,
  };
  return {
    t,
    ctx,
    operator: (role, id = `op-${role}`) => ({ kind: 'operator', id, roles: [role] }),
    balance: async (code) => {
      const account = await store.accountByCode(code);
      return account === undefined ? 0n : account.creditsPosted - account.debitsPosted;
    },
    close: () => t.dispose(),
  };
}
