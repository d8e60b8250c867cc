/**
 * The error codes `src/treasury/` raises (the reserve book, positions and custodian statements,
 * accrual, the ladder, reports): one list, alphabetical, each code once. A code raised here
 * must be listed here (else `tsc` refuses the `ClearpegError`), and needs an HTTP status in
 * `src/api/problem.ts` and a line in docs/api.md (docs/architecture.md, "Errors").
 */
export const treasuryErrorCodes = [
  'accrual-refused',
  'as-of-before-issuer',
  'distribution-period-booked',
  'income-invalid',
  'investment-not-approved',
  'investment-not-found',
  'investment-not-pending-approval',
  'investment-reference-taken',
  'ladder-invalid',
  'position-not-bill',
  'position-not-found',
  'position-not-open',
  'position-not-repo',
  'report-invalid',
  'reserves-cash-short',
  'reserves-invalid',
  'reserves-no-excess',
  'reserves-refused',
  'statement-invalid',
  'statement-signature-invalid',
  'statement-unknown',
  'statement-unsigned',
] as const;

/** A code `src/treasury/` raises. */
export type TreasuryErrorCode = (typeof treasuryErrorCodes)[number];
