/**
 * The error codes `src/attest/` raises (the attestation cycle, the log's keys, the holders'
 * leaves): one list, alphabetical, each code once. A code raised here must be listed here
 * (else `tsc` refuses the `ClearpegError`), and needs an HTTP status in `src/api/problem.ts`
 * and a line in docs/api.md (docs/architecture.md, "Errors").
 */
export const attestErrorCodes = [
  'attestation-chain-disagrees',
  'attestation-refused',
  'liabilities-leaf-unknown',
  'log-key-invalid',
] as const;

/** A code `src/attest/` raises. */
export type AttestErrorCode = (typeof attestErrorCodes)[number];
