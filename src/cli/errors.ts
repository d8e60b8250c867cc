/**
 * The error codes `src/cli/` raises (the command line and its HTTP client): one list,
 * alphabetical, each code once. A code raised here must be listed here (else `tsc` refuses the
 * `ClearpegError`), and needs an HTTP status in `src/api/problem.ts` and a line in docs/api.md
 * (docs/architecture.md, "Errors").
 */
export const cliErrorCodes = [
  'api-key-missing',
  'api-problem',
  'api-url-invalid',
  'approver-key-file-unwritable',
  'chain-token-configured',
  'change-body-invalid',
  'intent-mismatch',
  'server-answer-invalid',
  'server-unreachable',
  'setup-done',
  'statement-too-large',
  'statement-unreadable',
] as const;

/** A code `src/cli/` raises. */
export type CliErrorCode = (typeof cliErrorCodes)[number];
