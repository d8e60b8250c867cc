/**
 * The error codes `src/chain/` raises (configuration, keys, the connector and the token's
 * reverts, deployment, the dev chain, parity): one list, alphabetical, each code once. A code
 * raised here must be listed here (else `tsc` refuses the `ClearpegError`), and needs an HTTP
 * status in `src/api/problem.ts` and a line in docs/api.md (docs/architecture.md, "Errors").
 */
export const chainErrorCodes = [
  'address-invalid',
  'address-registered',
  'chain-address-blocked',
  'chain-config-invalid',
  'chain-id-mismatch',
  'chain-insufficient-allowance',
  'chain-insufficient-balance',
  'chain-minter-allowance-exceeded',
  'chain-not-paused',
  'chain-not-redemption-address',
  'chain-paused',
  'chain-reorg-too-deep',
  'chain-request-conflict',
  'chain-request-invalid',
  'chain-request-mined',
  'chain-request-not-found',
  'chain-reverted',
  'chain-token-conflict',
  'chain-unauthorized',
  'chain-unknown',
  'chain-zero-address',
  'config-invalid',
  'deploy-check-failed',
  'deploy-invalid',
  'deploy-reverted',
  'dev-chain-in-use',
  'dev-chain-journal-invalid',
  'dev-chain-method-refused',
  'key-invalid',
  'key-missing',
  'key-passphrase-missing',
  'key-passphrase-weak',
  'keystore-address-mismatch',
  'keystore-exists',
  'keystore-invalid',
  'keystore-missing',
  'keystore-passphrase-wrong',
] as const;

/** A code `src/chain/` raises. */
export type ChainErrorCode = (typeof chainErrorCodes)[number];
