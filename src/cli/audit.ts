/**
 * `clearpeg audit verify`: recomputes the audit log's hash chain from its first entry and
 * names the first entry that was altered or deleted (exit 1), like `ledger verify`. It runs
 * locally or through a running server (checks.ts says which).
 */
export { auditVerify } from './checks.ts';
