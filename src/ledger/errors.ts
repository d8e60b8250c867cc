/**
 * The ledger's refusals. Each has a stable code; the message names the field and the rule.
 *
 * Two kinds: malformed input is refused before it reaches the writer and leaves no trace;
 * a well-formed command that the ledger's state refuses (an overdraft, an unknown account) is
 * recorded as failed under its id, and stays failed: a retry returns the same refusal.
 */
import { ClearpegError } from '../errors.ts';
import type { Refusal } from './types.ts';

/**
 * The error codes `src/ledger/` raises (malformed commands, state refusals, the writer's
 * queue): one list, alphabetical, each code once. A code raised here must be listed here
 * (else `tsc` refuses the `ClearpegError`), and needs an HTTP status in `src/api/problem.ts`
 * and a line in docs/api.md (docs/architecture.md, "Errors").
 */
export const ledgerErrorCodes = [
  'account-closed',
  'account-code-exists',
  'account-id-invalid',
  'account-mismatch',
  'account-not-created',
  'account-not-found',
  'amount-invalid',
  'amounts-invalid',
  'amounts-length-mismatch',
  'asset-invalid',
  'asset-mismatch',
  'balance-overflow',
  'code-invalid',
  'command-invalid',
  'credits-exceed-debits',
  'debits-exceed-credits',
  'entries-invalid',
  'flags-immutable',
  'flags-invalid',
  'id-conflict',
  'id-invalid',
  'ledger-busy',
  'metadata-invalid',
  'pending-already-posted',
  'pending-already-voided',
  'pending-expired',
  'pending-id-invalid',
  'pending-not-found',
  'pending-timeout-seconds-invalid',
  'post-exceeds-pending',
  'postings-invalid',
  'type-invalid',
  'unbalanced',
] as const;

/** A code `src/ledger/` raises. */
export type LedgerErrorCode = (typeof ledgerErrorCodes)[number];

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
export function refusal(
  code: LedgerErrorCode,
  field: string,
  rule: string,
  detail?: string,
): LedgerError {
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
} as const satisfies Record<string, LedgerErrorCode>;
