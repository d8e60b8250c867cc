/**
 * The issuance side of a chain worker's tick (`ChainWorker`'s `settle`), in the order that
 * keeps parity true at every block the tick checks:
 *
 *   1. mints final on chain are posted (tied to their block), reverted ones voided;
 *   2. transfers into redemption addresses, final (as of the tick's head) and indexed, are
 *      credited (tied to theirs);
 *   3. approved mints are re-verified and sent; credited redemptions are burned; adopted
 *      governance changes that act on chain (unpause) are re-verified and sent.
 *
 * (Payout deadlines concern no chain: `clearpeg serve` checks them once a minute.) Each step is idempotent on its own, so a tick cut short is finished by the next.
 */
import type { IssuerChain, TokenRecord } from '../chain/runtime.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { applyChainChanges } from './governance.ts';
import { settleMints, writeMints } from './mint.ts';
import { burnRedemptions, creditRedemptions } from './redemption.ts';

/**
 * The `settle` hook of the chain worker for one chain.
 * @example new ChainWorker({ db, ledger, chain, token, log, settle: issuanceSettle(ctx, chain, token) })
 */
export function issuanceSettle(
  ctx: IssuanceContext,
  chain: IssuerChain,
  token: TokenRecord,
): (head: bigint) => Promise<void> {
  return async (head) => {
    await settleMints(ctx, chain);
    // Final as of the tick's head, as the mints the connector judged final on it.
    const finalBlock = head - BigInt(chain.config.finalityDepth) + 1n;
    await creditRedemptions(ctx, chain.config.chainId, finalBlock);
    await writeMints(ctx, chain, token);
    await burnRedemptions(ctx, chain, token);
    await applyChainChanges(ctx, chain, token);
  };
}
