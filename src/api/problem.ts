/**
 * Errors over HTTP: RFC 9457 problem details, one place that maps error codes to statuses.
 * `type` is stable per error code (`/problems/<code>`), so clients branch on it, never on text.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ClearpegError, type ErrorCode } from '../errors.ts';
import { MintRefusedError } from '../issuance/mint.ts';
import { SqlConnectionError } from '../storage/sql.ts';
import type { ApiErrorCode } from './errors.ts';

/**
 * HTTP status per error code: every code of every module (`ErrorCode`), so a code declared
 * without a status is a type error, never a silent default. docs/api.md has the table in words.
 */
export const problemStatus: Readonly<Record<ErrorCode, ContentfulStatusCode>> = {
  // 400: The request is at fault: a field breaks a rule (`field`, `rule`), before or in a workflow.
  'account-id-invalid': 400,
  'json-duplicate-key': 400,
  'wallet-address-invalid': 400,
  'address-invalid': 400,
  'amount-invalid': 400,
  'amounts-invalid': 400,
  'amounts-length-mismatch': 400,
  'approver-key-invalid': 400,
  'asset-invalid': 400,
  'audit-invalid': 400,
  'bill-invalid': 400,
  'breaker-invalid': 400,
  'business-days-invalid': 400,
  'chain-id-invalid': 400,
  'change-invalid': 400,
  'code-invalid': 400,
  'command-invalid': 400,
  'cusip-invalid': 400,
  'customer-id-invalid': 400,
  'customer-name-invalid': 400,
  'date-invalid': 400,
  'date-out-of-range': 400,
  'decimal-invalid': 400,
  'deposit-invalid': 400,
  'entries-invalid': 400,
  'evaluation-context-invalid': 400,
  'evaluation-context-missing': 400,
  'flags-invalid': 400,
  'id-invalid': 400,
  'idempotency-key-invalid': 400,
  'idempotency-key-required': 400,
  'intent-bytes-invalid': 400,
  'intent-invalid': 400,
  'json-invalid': 400,
  'kyc-invalid': 400,
  'ladder-invalid': 400,
  'limit-invalid': 400,
  'metadata-invalid': 400,
  'operator-invalid': 400,
  'payout-invalid': 400,
  'pending-id-invalid': 400,
  'pending-timeout-seconds-invalid': 400,
  'percent-invalid': 400,
  'policy-invalid': 400,
  'portfolio-invalid': 400,
  'position-not-bill': 400,
  'position-not-repo': 400,
  'postings-invalid': 400,
  'preset-unknown': 400,
  'quorum-invalid': 400,
  'quorum-tiers-invalid': 400,
  'rate-term-invalid': 400,
  'report-invalid': 400,
  'income-invalid': 400,
  'request-invalid': 400,
  'reserves-invalid': 400,
  'scenario-invalid': 400,
  'split-invalid': 400,
  'statement-currency-unsupported': 400,
  'statement-invalid': 400,
  'statement-too-large': 400,
  'type-invalid': 400,
  unbalanced: 400,
  // 401: No valid API key.
  unauthenticated: 401,
  // 403: The caller may not do this.
  'approval-not-yours': 403,
  forbidden: 403,
  // 404: No such thing (every code ending in `-not-found`).
  'account-not-found': 404,
  'chain-request-not-found': 404,
  'change-not-found': 404,
  'customer-not-found': 404,
  'investment-not-found': 404,
  'liabilities-leaf-unknown': 404,
  'mint-not-found': 404,
  'operator-not-found': 404,
  'payout-not-found': 404,
  'pending-not-found': 404,
  'position-not-found': 404,
  'redemption-not-found': 404,
  'route-not-found': 404,
  'transaction-not-found': 404,
  // 409: The state of a thing forbids the request now; it may succeed later or never.
  'account-closed': 409,
  'account-code-exists': 409,
  'accrual-refused': 409,
  'address-registered': 409,
  'api-key-taken': 409,
  'approval-key-taken': 409,
  'asset-mismatch': 409,
  'attestation-chain-disagrees': 409,
  'attestation-refused': 409,
  'balance-overflow': 409,
  'breaker-not-tripped': 409,
  'breaker-tripped': 409,
  'chain-not-paused': 409,
  'chain-paused': 409,
  'chain-request-conflict': 409,
  'chain-request-mined': 409,
  'chain-token-conflict': 409,
  'change-expired': 409,
  'change-not-pending': 409,
  'credits-exceed-debits': 409,
  'customer-exists': 409,
  'customer-suspended': 409,
  'debits-exceed-credits': 409,
  'deposit-conflict': 409,
  'deposit-refused': 409,
  'flags-immutable': 409,
  'id-conflict': 409,
  'idempotency-in-progress': 409,
  'investment-not-approved': 409,
  'investment-not-pending-approval': 409,
  'investment-reference-taken': 409,
  'mint-not-pending': 409,
  'operator-exists': 409,
  'payout-not-approved': 409,
  'payout-not-pending-approval': 409,
  'payout-reservation-lost': 409,
  'pending-already-posted': 409,
  'pending-already-voided': 409,
  'pending-expired': 409,
  'position-not-open': 409,
  'post-exceeds-pending': 409,
  'reserves-cash-short': 409,
  'reserves-no-excess': 409,
  'distribution-period-booked': 409,
  'reserves-refused': 409,
  'wallet-registered': 409,
  'verification-running': 409,
  // 413: The body is over the route's limit.
  'body-too-large': 413,
  // 415: Not a media type the route takes.
  'content-type-unsupported': 415,
  // 422: Well-formed, but a rule refuses it.
  'approval-invalid': 422,
  'approval-key-mismatch': 422,
  'approval-self': 422,
  'approver-unknown': 422,
  'bank-unknown': 422,
  'chain-address-blocked': 422,
  'chain-insufficient-allowance': 422,
  'chain-insufficient-balance': 422,
  'chain-minter-allowance-exceeded': 422,
  'chain-not-redemption-address': 422,
  'chain-reverted': 422,
  'chain-unauthorized': 422,
  'chain-unknown': 422,
  'chain-zero-address': 422,
  'customer-not-approved': 422,
  'idempotency-key-reused': 422,
  'mint-refused': 422,
  'payout-exceeds-balance': 422,
  'quorum-reverify-failed': 422,
  'quorum-unreachable': 422,
  'rate-unavailable': 422,
  'sanctions-hit': 422,
  'statement-signature-invalid': 422,
  'statement-unknown': 422,
  'statement-unsigned': 422,
  'wallet-address-reserved': 422,
  'as-of-before-issuer': 422,
  'wallet-not-registered': 422,
  // 429: Over a rate limit (`Retry-After`).
  'rate-limited': 429,
  // 500: Never the client's doing: the server's own files, keys, configuration and chart of accounts, and the command line's own codes. No route answers them; one that did would be a bug, logged.
  'log-key-invalid': 500,
  'account-mismatch': 500,
  'account-not-created': 500,
  'api-key-missing': 500,
  'api-problem': 500,
  'api-url-invalid': 500,
  'approver-key-file-invalid': 500,
  'approver-key-file-unreadable': 500,
  'approver-key-file-unwritable': 500,
  'chain-config-invalid': 500,
  'chain-id-mismatch': 500,
  'chain-reorg-too-deep': 500,
  'chain-request-invalid': 500,
  'chain-token-configured': 500,
  'change-body-invalid': 500,
  'config-invalid': 500,
  'data-dir-in-use': 500,
  'deploy-check-failed': 500,
  'deploy-invalid': 500,
  'deploy-reverted': 500,
  'dev-chain-in-use': 500,
  'dev-chain-journal-invalid': 500,
  'dev-chain-method-refused': 500,
  'intent-mismatch': 500,
  'key-invalid': 500,
  'key-missing': 500,
  'key-passphrase-missing': 500,
  'key-passphrase-weak': 500,
  'keystore-address-mismatch': 500,
  'keystore-exists': 500,
  'keystore-invalid': 500,
  'keystore-missing': 500,
  'keystore-passphrase-wrong': 500,
  'lease-lost': 500,
  'migration-changed': 500,
  'node-name-invalid': 500,
  'rate-file-invalid': 500,
  'ruleset-invalid': 500,
  'ruleset-unreadable': 500,
  'sanctions-list-invalid': 500,
  'sanctions-list-missing': 500,
  'server-answer-invalid': 500,
  'server-unreachable': 500,
  'setup-done': 500,
  'statement-unreadable': 500,
  // 503: Busy, or the database away (a failover): retry.
  'database-unavailable': 503,
  'ledger-busy': 503,
};

/**
 * The HTTP status of an error code (500 for one no module declares: a client's relay of a
 * newer server's code, never raised here).
 * @example statusOf('mint-not-found') === 404
 */
export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return problemStatus[code] ?? 500;
}

/** An error raised by the API layer itself, with the headers its answer needs (`Retry-After`). */
export class ApiError extends ClearpegError {
  override name = 'ApiError';
  /** Headers of the problem response. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every input fault, when there are several (`request-invalid`). */
  readonly errors: readonly ProblemFieldError[] | undefined;
  constructor(
    code: ApiErrorCode,
    message: string,
    options: {
      field?: string;
      rule?: string;
      headers?: Readonly<Record<string, string>>;
      errors?: readonly ProblemFieldError[];
    } = {},
  ) {
    super(code, message, options);
    this.headers = options.headers ?? {};
    this.errors = options.errors;
  }
}

/** One input fault of a `request-invalid` problem. */
export interface ProblemFieldError {
  readonly field: string;
  readonly rule: string;
}

/** A problem document (RFC 9457 §3) with Clearpeg's extension members. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly field?: string;
  readonly rule?: string;
  /** Every rule a refused mint broke (`mint-refused`). */
  readonly violations?: readonly { code: string; message: string }[];
  /** Every input fault (`request-invalid`). */
  readonly errors?: readonly ProblemFieldError[];
}

/**
 * The problem document for an error; unexpected errors become an opaque 500.
 * @example problemOf(new ClearpegError('mint-not-found', 'no such mint')).status === 404
 */
export function problemOf(error: unknown): Problem {
  if (error instanceof ClearpegError) {
    return {
      type: `/problems/${error.code}`,
      title: error.code.replace(/-/g, ' '),
      status: statusOf(error.code),
      detail: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.rule === undefined ? {} : { rule: error.rule }),
      ...(error instanceof MintRefusedError
        ? { violations: error.violations.map(({ code, message }) => ({ code, message })) }
        : {}),
      ...(error instanceof ApiError && error.errors !== undefined ? { errors: error.errors } : {}),
    };
  }
  if (error instanceof SqlConnectionError)
    return {
      type: '/problems/database-unavailable',
      title: 'database unavailable',
      status: statusOf('database-unavailable'),
      detail:
        error.code === 'connection-lost'
          ? 'the connection to the database was lost before its answer (a failover?): the outcome is unknown; retry with the same Idempotency-Key'
          : 'the database cannot be reached (a failover?): retry with the same Idempotency-Key',
    };
  return { type: '/problems/internal', title: 'internal error', status: 500 };
}

/** Seconds a client should wait before retrying when the database is away (a failover takes about 10). */
const databaseRetryAfterSeconds = 1;

/** The content type of problem documents. */
export const problemContentType = 'application/problem+json';

/**
 * Sends `error` as `application/problem+json`.
 * @example app.onError((error, c) => sendProblem(c, error))
 */
export function sendProblem(c: Context, error: unknown): Response {
  const problem = problemOf(error);
  const away = error instanceof SqlConnectionError;
  // A failover answers hundreds of these in ten seconds: one line each, not a stack.
  if (away) console.error(`database unavailable: ${error.message}`);
  else if (problem.status >= 500) console.error(error);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    ...(error instanceof ApiError ? error.headers : {}),
    ...(away ? { 'retry-after': String(databaseRetryAfterSeconds) } : {}),
    'content-type': problemContentType,
  });
}
