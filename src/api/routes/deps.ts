/**
 * What the route modules are built from: the issuance context (database, ledger, sanctions,
 * clock), the ledger store for the ledger's reads, and the reserves' ruleset and rate curve.
 */

import type { ChainConfig } from '../../chain/config.ts';
import type { LedgerStore } from '../../ledger/ports.ts';
import type { EvaluationContext, Ruleset } from '../../reserves/eligibility.ts';
import type { RateCurve } from '../../reserves/rates.ts';
import type { IssuanceContext } from '../../workflow/context.ts';
import type { LogDeps } from './transparency.ts';

export interface RouteDeps {
  readonly ctx: IssuanceContext;
  readonly store: LedgerStore;
  /** Which database, for /health (never credentials). */
  readonly database: string;
  readonly version: string;
  /** The configured chains, for the chain checks (default: `CLEARPEG_CHAINS`, read per request). */
  readonly chains?: readonly ChainConfig[];
  /**
   * The ruleset the treasury operations judge the book by (the mint gate sums what it finds
   * eligible), the rate curve of market values, and the ruleset's context; default: the
   * shipped GENIUS ruleset and DTB3 (routes/reserves.ts `shippedReserveDeps`).
   */
  readonly reserves?: {
    readonly ruleset: Ruleset;
    readonly curve: RateCurve;
    readonly context?: EvaluationContext;
  };
  /** The transparency log this process publishes (`serve`); absent, no leaf is served. */
  readonly log?: LogDeps;
}
