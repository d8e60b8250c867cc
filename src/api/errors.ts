/**
 * The error codes `src/api/` raises (the HTTP layer itself: authentication, bodies,
 * idempotency, rate limits, its own reads): one list, alphabetical, each code once. A code
 * raised here must be listed here (else `tsc` refuses the `ClearpegError`), and needs an HTTP
 * status in `src/api/problem.ts` and a line in docs/api.md (docs/architecture.md, "Errors").
 */
export const apiErrorCodes = [
  'account-not-found',
  'bill-invalid',
  'body-too-large',
  'content-type-unsupported',
  'database-unavailable',
  'forbidden',
  'idempotency-in-progress',
  'idempotency-key-invalid',
  'idempotency-key-required',
  'idempotency-key-reused',
  'json-duplicate-key',
  'json-invalid',
  'rate-limited',
  'request-invalid',
  'route-not-found',
  'statement-invalid',
  'transaction-not-found',
  'unauthenticated',
  'verification-running',
] as const;

/** A code `src/api/` raises. */
export type ApiErrorCode = (typeof apiErrorCodes)[number];
