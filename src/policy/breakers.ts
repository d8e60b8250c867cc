/**
 * The circuit breakers' rules (pure): which breaker a parity mismatch trips, and which
 * breakers stop minting on a chain. The breakers tripped are stored in `breakers` (one row
 * each); tripping and clearing are workflows (policy/alerts.ts, issuance/governance.ts).
 */
import { ClearpegError } from '../errors.ts';

/**
 * The breaker a parity mismatch trips on a chain.
 * @example mintBreaker(31337) === 'mint:31337'
 */
export function mintBreaker(chainId: number): string {
  return `mint:${chainId}`;
}

/**
 * Whether the breaker `name` stops minting on `chainId`: `mint` (every chain) or the chain's own.
 * @example stopsMinting('mint', 1) && stopsMinting('mint:1', 1) && !stopsMinting('mint:2', 1)
 */
export function stopsMinting(name: string, chainId: number): boolean {
  return name === 'mint' || name === mintBreaker(chainId);
}

/**
 * Refuses (`breaker-tripped`) when one of the tripped breakers stops minting on `chainId`.
 * @example requireMintingOpen(['redeem'], 31337) // passes
 */
export function requireMintingOpen(trippedNames: readonly string[], chainId: number): void {
  const tripped = trippedNames.filter((name) => stopsMinting(name, chainId));
  if (tripped.length > 0)
    throw new ClearpegError(
      'breaker-tripped',
      `minting on chain ${chainId} is stopped by ${tripped.join(', ')}`,
      { rule: 'no mint while a breaker is tripped' },
    );
}
