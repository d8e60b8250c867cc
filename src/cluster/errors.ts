/**
 * The error codes `src/cluster/` raises (leases and their fencing tokens): one list,
 * alphabetical, each code once (docs/architecture.md, "Errors").
 */
export const clusterErrorCodes = ['lease-lost', 'node-name-invalid'] as const;

/** A code `src/cluster/` raises. */
export type ClusterErrorCode = (typeof clusterErrorCodes)[number];
