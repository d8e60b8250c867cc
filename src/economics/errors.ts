/**
 * The error codes `src/economics/` raises (scenarios, presets, the simulator's inputs): one
 * list, alphabetical, each code once (docs/architecture.md, "Errors").
 */
export const economicsErrorCodes = ['preset-unknown', 'scenario-invalid'] as const;

/** A code `src/economics/` raises. */
export type EconomicsErrorCode = (typeof economicsErrorCodes)[number];
