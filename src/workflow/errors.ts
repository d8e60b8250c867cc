/**
 * The error codes `src/workflow/` raises (what workflows share: roles, approvals under quorum): one list, alphabetical,
 * each code once. A code raised here must be listed here (else `tsc` refuses the
 * `ClearpegError`), and needs an HTTP status in `src/api/problem.ts` and a line in docs/api.md
 * (docs/architecture.md, "Errors").
 */
export const workflowErrorCodes = [
  'approval-not-yours',
  'approval-self',
  'approver-unknown',
  'forbidden',
  'idempotency-key-reused',
  'quorum-reverify-failed',
] as const;

/** A code `src/workflow/` raises. */
export type WorkflowErrorCode = (typeof workflowErrorCodes)[number];
