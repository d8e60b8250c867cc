/**
 * The ledger's refusals. Each has a stable code; the message names the field and the rule.
 *
 * Two kinds: malformed input is refused before it reaches the writer and leaves no trace;
 * a well-formed command that the ledger's state refuses (an overdraft, an unknown account) is
 * recorded as failed under its id, and stays failed: a retry returns the same refusal.
 */
import { ClearpegError } from '../errors.ts';
import type { Refusal } from './types.ts';

/** A ledger refusal. */
export class LedgerError extends ClearpegError {
  override name = 'LedgerError';

  /** The refusal as data, for outcomes and the failures table. */
  toRefusal(): Refusal {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.rule === undefined ? {} : { rule: this.rule }),
    };
  }
}

/**
 * A refusal naming `field` and `rule`; the message reads `field: rule`.
 * @example refusal('account-not-found', 'postings.0.debit', 'must be an existing account')
 */
export function refusal(code: string, field: string, rule: string, detail?: string): LedgerError {
  return new LedgerError(code, `${field}: ${rule}${detail === undefined ? '' : ` (${detail})`}`, {
    field,
    rule,
  });
}

/** Refusal codes the state checks use (stable: scripts and the HTTP API depend on them). */
export const ledgerCode = {
  idConflict: 'id-conflict',
  accountNotFound: 'account-not-found',
  accountCodeExists: 'account-code-exists',
  accountClosed: 'account-closed',
  assetMismatch: 'asset-mismatch',
  flagsImmutable: 'flags-immutable',
  debitsExceedCredits: 'debits-exceed-credits',
  creditsExceedDebits: 'credits-exceed-debits',
  balanceOverflow: 'balance-overflow',
  pendingNotFound: 'pending-not-found',
  pendingAlreadyPosted: 'pending-already-posted',
  pendingAlreadyVoided: 'pending-already-voided',
  pendingExpired: 'pending-expired',
  postExceedsPending: 'post-exceeds-pending',
  amountsLengthMismatch: 'amounts-length-mismatch',
} as const;
