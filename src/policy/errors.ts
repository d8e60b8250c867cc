/**
 * The error codes `src/policy/` raises (intents, approvals, approvers' key files, quorum tiers,
 * limits, the audit format): one list, alphabetical, each code once. A code raised here must be
 * listed here (else `tsc` refuses the `ClearpegError`), and needs an HTTP status in
 * `src/api/problem.ts` and a line in docs/api.md (docs/architecture.md, "Errors").
 */
export const policyErrorCodes = [
  'amount-invalid',
  'approval-invalid',
  'approval-key-mismatch',
  'approver-key-file-invalid',
  'approver-key-file-unreadable',
  'approver-key-invalid',
  'audit-invalid',
  'breaker-tripped',
  'intent-bytes-invalid',
  'intent-invalid',
  'limit-invalid',
  'quorum-invalid',
  'quorum-tiers-invalid',
] as const;

/** A code `src/policy/` raises. */
export type PolicyErrorCode = (typeof policyErrorCodes)[number];
