/**
 * Quorum by amount tier: how many approvals (besides the initiator, who never counts) an
 * operation of a given amount needs.
 *
 * A tier list is sorted by `upTo` (inclusive), ascending; the last tier has `upTo: null` and
 * covers every larger amount, so that no amount falls outside the list. There is no
 * zero-approval tier: one operator credential alone can never move money. A larger amount
 * never needs fewer approvals than a smaller one.
 */
import { ClearpegError } from '../errors.ts';
import { formatAmount, type Micro, toAmount } from '../money/money.ts';

/** One tier: amounts up to `upTo` micro-units (inclusive) need `approvals` approvals. */
export interface QuorumTier {
  /** The largest amount of the tier, inclusive; `null` for the last tier, above every other. */
  readonly upTo: Micro | null;
  /** Approvals required, the initiator not counted: at least 1. */
  readonly approvals: number;
}

/** The code the functions here throw (`ClearpegError.code`); stable, never reworded. */
export type QuorumErrorCode = 'quorum-tiers-invalid';

/** The bounds of a tier list, each with its reason. */
export const quorumLimits = {
  /** Tiers in one list: a policy people can read at a glance. */
  tiersMax: 10,
  /** Approvals one tier may ask: more than any issuer's board, and it bounds the signature checks. */
  approvalsPerTierMax: 16,
} as const;

function invalid(field: string, rule: string, got?: string): never {
  throw new ClearpegError(
    'quorum-tiers-invalid',
    `${field}: must be ${rule}${got === undefined ? '' : ` (got ${got})`}`,
    { field, rule },
  );
}

/**
 * Checks a tier list: 1 to 10 tiers, `upTo` strictly ascending, only the last `null`, every
 * tier 1 to 16 approvals, never fewer than the tier below. Returns the list.
 * @example validateTiers([{ upTo: units(10_000n), approvals: 1 }, { upTo: null, approvals: 2 }])
 */
export function validateTiers(tiers: readonly QuorumTier[]): readonly QuorumTier[] {
  if (!Array.isArray(tiers) || tiers.length === 0)
    invalid('tiers', 'a non-empty list (the last tier has upTo null)');
  if (tiers.length > quorumLimits.tiersMax)
    invalid('tiers', `at most ${quorumLimits.tiersMax} tiers`, `${tiers.length}`);
  let previous: QuorumTier | undefined;
  for (const [index, tier] of tiers.entries()) {
    const field = `tiers.${index}`;
    const { approvals, upTo } = tier;
    if (
      !Number.isSafeInteger(approvals) ||
      approvals < 1 ||
      approvals > quorumLimits.approvalsPerTierMax
    )
      invalid(
        `${field}.approvals`,
        `an integer from 1 to ${quorumLimits.approvalsPerTierMax} (no zero-approval tier)`,
        String(approvals),
      );
    const last = index === tiers.length - 1;
    if (last && upTo !== null)
      invalid(`${field}.upTo`, 'null in the last tier (above every other tier)');
    if (!last && upTo === null)
      invalid(`${field}.upTo`, 'an amount: only the last tier has upTo null');
    if (upTo !== null) toAmount(upTo, `${field}.upTo`);
    if (previous !== undefined) {
      if (upTo !== null && upTo <= previous.upTo!)
        invalid(
          `${field}.upTo`,
          `above the previous tier's ${formatAmount(previous.upTo!)} (tiers ascend)`,
          formatAmount(upTo),
        );
      if (approvals < previous.approvals)
        invalid(
          `${field}.approvals`,
          `at least the previous tier's ${previous.approvals} (a larger amount never needs fewer)`,
          String(approvals),
        );
    }
    previous = tier;
  }
  return tiers;
}

/**
 * The approvals an amount needs: those of the first tier whose `upTo` is at least the amount.
 * @example requiredApprovals([{ upTo: units(10_000n), approvals: 1 }, { upTo: null, approvals: 2 }], units(10_001n)) === 2
 */
export function requiredApprovals(tiers: readonly QuorumTier[], amount: Micro): number {
  validateTiers(tiers);
  toAmount(amount, 'amount');
  const tier = tiers.find((t) => t.upTo === null || amount <= t.upTo);
  // validateTiers guarantees a last tier with upTo null, which takes every amount.
  return tier!.approvals;
}
