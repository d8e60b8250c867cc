/**
 * The error codes `src/reserves/` raises (instruments, bill math, accretion, rates, rulesets,
 * liquidity): one list, alphabetical, each code once. A code raised here must be listed here
 * (else `tsc` refuses the `ClearpegError`), and needs an HTTP status in `src/api/problem.ts`
 * and a line in docs/api.md (docs/architecture.md, "Errors").
 */
export const reservesErrorCodes = [
  'amount-invalid',
  'bill-invalid',
  'cusip-invalid',
  'date-out-of-range',
  'decimal-invalid',
  'evaluation-context-invalid',
  'evaluation-context-missing',
  'percent-invalid',
  'portfolio-invalid',
  'rate-file-invalid',
  'rate-term-invalid',
  'rate-unavailable',
  'ruleset-invalid',
  'ruleset-unreadable',
] as const;

/** A code `src/reserves/` raises. */
export type ReservesErrorCode = (typeof reservesErrorCodes)[number];
