/**
 * What the route modules are built from: the issuance context (database, ledger, sanctions,
 * clock) and the ledger store for the ledger's reads.
 */
import type { IssuanceContext } from '../../issuance/context.ts';
import type { LedgerStore } from '../../ledger/ports.ts';

export interface RouteDeps {
  readonly ctx: IssuanceContext;
  readonly store: LedgerStore;
  /** Which database, for /health (never credentials). */
  readonly database: string;
  readonly version: string;
}
