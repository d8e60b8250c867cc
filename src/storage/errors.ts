/**
 * The error codes `src/storage/` raises (migrations, the embedded store's data directory): one
 * list, alphabetical, each code once. A code raised here must be listed here (else `tsc`
 * refuses the `ClearpegError`), and needs an HTTP status in `src/api/problem.ts` and a line in
 * docs/api.md (docs/architecture.md, "Errors").
 */
export const storageErrorCodes = ['data-dir-in-use', 'migration-changed'] as const;

/** A code `src/storage/` raises. */
export type StorageErrorCode = (typeof storageErrorCodes)[number];
