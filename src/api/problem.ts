/**
 * Errors over HTTP: RFC 9457 problem details, one place that maps error codes to statuses.
 * `type` is stable per error code (`/problems/<code>`), so clients branch on it, never on text.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ClearpegError } from '../errors.ts';
import { MintRefusedError } from '../issuance/mint.ts';

/**
 * HTTP status per error code. A code ending in `-not-found` is a 404; anything else that is a
 * ClearpegError is a 400 (the request is at fault). docs/api.md has the table in words.
 */
export const problemStatus: Readonly<Record<string, ContentfulStatusCode>> = {
  // Input the API refuses before any workflow runs.
  'request-invalid': 400,
  'json-invalid': 400,
  'json-duplicate-key': 400,
  'idempotency-key-required': 400,
  'idempotency-key-invalid': 400,
  unauthenticated: 401,
  forbidden: 403,
  'approval-not-yours': 403,
  'route-not-found': 404,
  'idempotency-in-progress': 409,
  'body-too-large': 413,
  'content-type-unsupported': 415,
  'idempotency-key-reused': 422,
  'rate-limited': 429,
  // The state of a thing forbids the request now; it may succeed later or never.
  'breaker-tripped': 409,
  'customer-exists': 409,
  'customer-suspended': 409,
  'wallet-registered': 409,
  'deposit-conflict': 409,
  'mint-not-pending': 409,
  'payout-not-pending-approval': 409,
  'payout-not-approved': 409,
  'change-not-pending': 409,
  'change-expired': 409,
  'operator-exists': 409,
  'approval-key-taken': 409,
  'api-key-taken': 409,
  'breaker-not-tripped': 409,
  'position-not-open': 409,
  'reserves-cash-short': 409,
  'reserves-no-excess': 409,
  'reserves-refused': 409,
  'accrual-refused': 409,
  'verification-running': 409,
  // Well-formed, but a rule refuses it.
  'mint-refused': 422,
  'sanctions-hit': 422,
  'customer-not-approved': 422,
  'wallet-not-registered': 422,
  'chain-unknown': 422,
  'payout-exceeds-balance': 422,
  'quorum-reverify-failed': 422,
  'approval-invalid': 422,
  'approval-key-mismatch': 422,
  'approval-self': 422,
  'approver-unknown': 422,
  'statement-unknown': 422,
  'statement-unsigned': 422,
  'statement-signature-invalid': 422,
  'rate-unavailable': 422,
  'wallet-address-reserved': 422,
  'as-of-before-issuer': 422,
  // A treasury workflow's own check of a field: 400, as any code not named here; named so
  // that docs/api.md's table and this one list the same codes.
  'reserves-invalid': 400,
  'position-not-bill': 400,
  'position-not-repo': 400,
  'bill-invalid': 400,
  'cusip-invalid': 400,
  'decimal-invalid': 400,
  'date-invalid': 400,
  'date-out-of-range': 400,
  'rate-term-invalid': 400,
  'report-invalid': 400,
  // A customer workflow's own check of an address (400, named for the same reason).
  'wallet-address-invalid': 400,
  'ledger-busy': 503,
};

/**
 * The HTTP status of an error code.
 * @example statusOf('mint-not-found') === 404
 */
export function statusOf(code: string): ContentfulStatusCode {
  return problemStatus[code] ?? (code.endsWith('-not-found') ? 404 : 400);
}

/** An error raised by the API layer itself, with the headers its answer needs (`Retry-After`). */
export class ApiError extends ClearpegError {
  override name = 'ApiError';
  /** Headers of the problem response. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every input fault, when there are several (`request-invalid`). */
  readonly errors: readonly ProblemFieldError[] | undefined;
  constructor(
    code: string,
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
  return { type: '/problems/internal', title: 'internal error', status: 500 };
}

/** The content type of problem documents. */
export const problemContentType = 'application/problem+json';

/**
 * Sends `error` as `application/problem+json`.
 * @example app.onError((error, c) => sendProblem(c, error))
 */
export function sendProblem(c: Context, error: unknown): Response {
  const problem = problemOf(error);
  if (problem.status >= 500) console.error(error);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    ...(error instanceof ApiError ? error.headers : {}),
    'content-type': problemContentType,
  });
}
