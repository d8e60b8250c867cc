/**
 * The error codes `src/money/` raises (amounts: parsing, splitting): one list, alphabetical,
 * each code once. A code raised here must be listed here (else `tsc` refuses the
 * `ClearpegError`), and needs an HTTP status in `src/api/problem.ts` and a line in docs/api.md
 * (docs/architecture.md, "Errors").
 */
export const moneyErrorCodes = ['amount-invalid', 'split-invalid'] as const;

/** A code `src/money/` raises. */
export type MoneyErrorCode = (typeof moneyErrorCodes)[number];
