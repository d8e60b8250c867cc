/**
 * The one error base of Clearpeg.
 *
 * Every expected failure (bad input, a refused operation) is a `ClearpegError` with a stable
 * `code` (kebab-case, never reworded: scripts and HTTP `type`s depend on it), and where input
 * is at fault, the `field` it names and the `rule` it broke. Bugs are plain `Error`s or
 * assertion failures and crash.
 *
 * Codes are typed: each module declares the codes it raises in one alphabetical list (its
 * `errors.ts`: `ledgerErrorCodes`, `moneyErrorCodes`, …), `ErrorCode` is their union, and the
 * constructor takes only an `ErrorCode`, so `tsc` refuses a code no module declares. The HTTP
 * status of every code is `problemStatus` in src/api/problem.ts, typed against the same union
 * (docs/architecture.md, "Errors"). The lists are imported here for their types only, so this
 * file loads nothing at run time and no module that extends `ClearpegError` is imported before it.
 */
import type { ApiErrorCode } from './api/errors.ts';
import type { AttestErrorCode } from './attest/errors.ts';
import type { ChainErrorCode } from './chain/errors.ts';
import type { CliErrorCode } from './cli/errors.ts';
import type { ClusterErrorCode } from './cluster/errors.ts';
import type { EconomicsErrorCode } from './economics/errors.ts';
import type { IssuanceErrorCode } from './issuance/errors.ts';
import type { LedgerErrorCode } from './ledger/errors.ts';
import type { MoneyErrorCode } from './money/errors.ts';
import type { PolicyErrorCode } from './policy/errors.ts';
import type { ReservesErrorCode } from './reserves/errors.ts';
import type { StorageErrorCode } from './storage/errors.ts';
import type { TreasuryErrorCode } from './treasury/errors.ts';
import type { WorkflowErrorCode } from './workflow/errors.ts';

/**
 * The codes the files at the top of src/ raise: the calendar (`business-days-invalid`,
 * `date-invalid`) and the configuration (`config-invalid`).
 */
export const coreErrorCodes = ['business-days-invalid', 'config-invalid', 'date-invalid'] as const;

/** Every error code: the union of the modules' lists. */
export type ErrorCode =
  | (typeof coreErrorCodes)[number]
  | ApiErrorCode
  | AttestErrorCode
  | ChainErrorCode
  | CliErrorCode
  | ClusterErrorCode
  | EconomicsErrorCode
  | IssuanceErrorCode
  | LedgerErrorCode
  | MoneyErrorCode
  | PolicyErrorCode
  | ReservesErrorCode
  | StorageErrorCode
  | TreasuryErrorCode
  | WorkflowErrorCode;

export class ClearpegError extends Error {
  override name = 'ClearpegError';
  /** Stable machine-readable code, e.g. `amount-invalid`. */
  readonly code: ErrorCode;
  /** The input field at fault, as a dotted path (`postings.0.amount`), when there is one. */
  readonly field: string | undefined;
  /** The rule that was broken, in words (`at most 6 decimal places`). */
  readonly rule: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; rule?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.rule = options.rule;
  }

  /** A plain object for JSON output and logs. */
  toJSON(): { code: ErrorCode; message: string; field?: string; rule?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.rule === undefined ? {} : { rule: this.rule }),
    };
  }
}

/**
 * Throws if `condition` is false: for invariants whose failure is a bug, never for input.
 * @example assert(total === sum, 'split shares sum to the total')
 */
export function assert(condition: unknown, invariant: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${invariant}`);
}
