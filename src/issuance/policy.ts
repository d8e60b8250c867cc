/**
 * The policy in force: a versioned document of quorum tiers, caps, velocity limits, fees and
 * deadlines. Version 1 is the embedded default below, adopted on first use; any later version
 * is adopted only with a quorum of approvers' signatures over its hash (the policy-change
 * workflow), so one stolen credential cannot raise a limit.
 *
 * Amounts are decimal strings in the stored JSON and `Micro` in memory.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { wallClockUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { canonicalJson } from '../json.ts';
import { formatAmount, type Micro, parseAmount } from '../money/money.ts';
import { type QuorumTier, validateTiers } from '../policy/quorum.ts';
import type { SqlExecutor } from '../storage/sql.ts';

export interface VelocityLimit {
  /** The largest burst. */
  readonly capacity: Micro;
  /** Refilled per hour. */
  readonly refillPerHour: Micro;
}

export interface PolicyDocument {
  readonly mint: {
    /** Approvals needed by amount (the initiator never counts). */
    readonly tiers: readonly QuorumTier[];
    /** The largest single mint. */
    readonly perTransactionCap: Micro;
    /** All chains together, per hour and per day. */
    readonly hourly: VelocityLimit;
    readonly daily: VelocityLimit;
    /** An unapproved mint request lapses (its reserved fiat is released) after this. */
    readonly expirySeconds: number;
  };
  readonly redemption: {
    /** Fee in basis points of the amount, then bounded below and above; all may be zero. */
    readonly feeBps: number;
    readonly feeMin: Micro;
    readonly feeMax: Micro;
    /** Business days to pay out (T+N). */
    readonly slaBusinessDays: number;
    /** An alert when redemptions in 24 h exceed this share of supply, in basis points. */
    readonly alertShareBps: number;
  };
  /**
   * Reserves: investments out of excess must leave eligible reserves ≥ everything owed ×
   * (1 + `investBufferBps`). Absent in a document adopted before it existed: then
   * `investBufferBpsDefault`.
   */
  readonly reserves?: { readonly investBufferBps: number };
  /**
   * Revenue shared with distribution partners: each partner's share of the reserve income
   * (interest and trading) of a period, in basis points, paid as an expense under quorum
   * (`expenses:distribution:<partner>`). Absent: no partner.
   */
  readonly revenueShare?: readonly RevenueShare[];
  /** Approvals a payout needs besides its maker. */
  readonly payoutApprovals: number;
  /** Approvals a policy, role or limit change needs. */
  readonly policyChangeApprovals: number;
}

/** A distribution partner's share of reserve income. */
export interface RevenueShare {
  /** The partner's name in account codes (`expenses:distribution:<partner>`). */
  readonly partner: string;
  /** Basis points of the period's reserve income (1 to 10,000; all partners together at most 10,000). */
  readonly shareBps: number;
}

/** Partners in one policy's revenue share: a few distribution agreements, not a list of customers. */
export const revenueSharePartnersMax = 32;

const usd = (text: string) => parseAmount(text);

/** The embedded default (version 1). */
export const defaultPolicy: PolicyDocument = {
  mint: {
    tiers: [
      { upTo: usd('1000000'), approvals: 1 },
      { upTo: usd('10000000'), approvals: 2 },
      { upTo: null, approvals: 3 },
    ],
    perTransactionCap: usd('50000000'),
    hourly: { capacity: usd('100000000'), refillPerHour: usd('100000000') },
    daily: { capacity: usd('500000000'), refillPerHour: usd('20833333.333333') },
    expirySeconds: 86_400,
  },
  redemption: {
    feeBps: 10,
    feeMin: usd('0'),
    feeMax: usd('1000'),
    slaBusinessDays: 1,
    alertShareBps: 1_000,
  },
  payoutApprovals: 1,
  policyChangeApprovals: 2,
};

function invalid(field: string, rule: string): never {
  throw new ClearpegError('policy-invalid', `policy.${field} must be ${rule}`, {
    field: `policy.${field}`,
    rule,
  });
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
    invalid(field, `an integer from ${min} to ${max}`);
  return value;
}

function positive(value: unknown, field: string): Micro {
  if (typeof value !== 'bigint' || value <= 0n)
    invalid(field, 'more than zero (there is no unlimited)');
  return value as Micro;
}

/** The investment buffer when a policy document does not set one, in basis points. */
export const investBufferBpsDefault = 200;

/**
 * The buffer investments out of excess must leave, in basis points: the policy's, which only
 * a quorum changes (never a request's).
 * @example investBufferBps(defaultPolicy) === 200
 */
export function investBufferBps(policy: PolicyDocument): number {
  return policy.reserves?.investBufferBps ?? investBufferBpsDefault;
}

/**
 * The policy that was in force at `atUs` (microseconds since the epoch): the last one adopted
 * before it, whether still in force or superseded since; the embedded default before any was.
 * @example investBufferBps(await policyAsOf(db, newYorkDayEndUs('2026-11-30')))
 */
export async function policyAsOf(db: SqlExecutor, atUs: bigint): Promise<PolicyDocument> {
  const { rows } = await db.query<{ document: unknown }>(
    `SELECT document FROM policies WHERE status IN ('adopted', 'superseded') AND adopted_at_us < $1::bigint
     ORDER BY adopted_at_us DESC, version DESC LIMIT 1`,
    [String(atUs)],
  );
  return rows[0] === undefined ? defaultPolicy : policyFromJson(rows[0].document);
}

/** Checks a document's every field; returns it. */
export function validatePolicy(policy: PolicyDocument): PolicyDocument {
  validateTiers(policy.mint.tiers);
  positive(policy.mint.perTransactionCap, 'mint.perTransactionCap');
  for (const period of ['hourly', 'daily'] as const) {
    positive(policy.mint[period].capacity, `mint.${period}.capacity`);
    positive(policy.mint[period].refillPerHour, `mint.${period}.refillPerHour`);
  }
  integerIn(policy.mint.expirySeconds, 'mint.expirySeconds', 60, 30 * 86_400);
  integerIn(policy.redemption.feeBps, 'redemption.feeBps', 0, 10_000);
  if (policy.redemption.feeMin < 0n || policy.redemption.feeMax < policy.redemption.feeMin)
    invalid('redemption.feeMax', 'at least feeMin, and feeMin at least 0');
  integerIn(policy.redemption.slaBusinessDays, 'redemption.slaBusinessDays', 0, 10);
  integerIn(policy.redemption.alertShareBps, 'redemption.alertShareBps', 1, 10_000);
  if (policy.reserves !== undefined)
    integerIn(policy.reserves.investBufferBps, 'reserves.investBufferBps', 0, 10_000);
  if (policy.revenueShare !== undefined) validateRevenueShare(policy.revenueShare);
  integerIn(policy.payoutApprovals, 'payoutApprovals', 1, 16);
  integerIn(policy.policyChangeApprovals, 'policyChangeApprovals', 1, 16);
  return policy;
}

function validateRevenueShare(shares: readonly RevenueShare[]): void {
  if (!Array.isArray(shares) || shares.length > revenueSharePartnersMax)
    invalid('revenueShare', `a list of at most ${revenueSharePartnersMax} partners`);
  const seen = new Set<string>();
  let total = 0;
  for (const [i, share] of shares.entries()) {
    if (typeof share?.partner !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(share.partner))
      invalid(
        `revenueShare.${i}.partner`,
        'lowercase letters, digits and dashes, starting with a letter (at most 32)',
      );
    if (seen.has(share.partner)) invalid(`revenueShare.${i}.partner`, 'each partner once');
    seen.add(share.partner);
    integerIn(share.shareBps, `revenueShare.${i}.shareBps`, 1, 10_000);
    total += share.shareBps;
  }
  if (total > 10_000) invalid('revenueShare', 'shares adding up to at most 10,000 bp');
}

/** The document as stored: amounts as decimal strings. */
export function policyToJson(policy: PolicyDocument): unknown {
  return JSON.parse(
    JSON.stringify(policy, (_key, value) =>
      typeof value === 'bigint' ? formatAmount(value) : value,
    ),
  );
}

const amountKeys = new Set([
  'upTo',
  'perTransactionCap',
  'capacity',
  'refillPerHour',
  'feeMin',
  'feeMax',
]);

/** The document from its stored JSON. */
export function policyFromJson(json: unknown): PolicyDocument {
  const revive = (value: unknown, key: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => revive(v, key));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v, k)]));
    return amountKeys.has(key) && typeof value === 'string' ? parseAmount(value, key) : value;
  };
  return validatePolicy(revive(json, '') as PolicyDocument);
}

/** SHA-256 of the document's canonical JSON: what a policy change's approvers sign. */
export function policyHash(policy: PolicyDocument): Uint8Array {
  return sha256(new TextEncoder().encode(canonicalJson(policyToJson(policy))));
}

/**
 * The policy in force (version and document), adopting the embedded default as version 1 if
 * there is none yet.
 * @example const { version, policy } = await currentPolicy(db)
 */
export async function currentPolicy(
  db: SqlExecutor,
): Promise<{ version: number; policy: PolicyDocument }> {
  const read = async () =>
    (
      await db.query<{ version: number; document: unknown }>(
        `SELECT version, document FROM policies WHERE status = 'adopted'`,
      )
    ).rows[0];
  let row = await read();
  if (row === undefined) {
    // Any conflict (the version, or the one adopted policy) means another writer adopted
    // first: read again. (Two first mints at once used to fail on `policies_adopted`.)
    await db.query(
      `INSERT INTO policies (version, document, document_sha256, proposed_by, status, proposed_at_us, adopted_at_us)
       VALUES (1, $1::jsonb, $2, 'default', 'adopted', $3, $3) ON CONFLICT DO NOTHING`,
      [JSON.stringify(policyToJson(defaultPolicy)), policyHash(defaultPolicy), wallClockUs()],
    );
    row = await read();
  }
  if (row === undefined) throw new Error('assertion failed: a policy is adopted');
  return { version: Number(row.version), policy: policyFromJson(row.document) };
}

/**
 * The policy in force, read without adopting anything: the adopted document, or the embedded
 * default while none is (a refused request must change nothing, not even that).
 * @example const policy = await policyInForce(db)
 */
export async function policyInForce(db: SqlExecutor): Promise<PolicyDocument> {
  const { rows } = await db.query<{ document: unknown }>(
    `SELECT document FROM policies WHERE status = 'adopted'`,
  );
  return rows[0] === undefined ? defaultPolicy : policyFromJson(rows[0].document);
}
