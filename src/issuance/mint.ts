/**
 * Mints: $1 of posted fiat in, one token out, only with a quorum of approvers' signatures.
 *
 *   request   checks (KYC, registered and screened wallet, breakers, every limit at once);
 *             the velocity buckets are taken and the request stored in one transaction; then
 *             the pending ledger transfer customers:<id>:fiat → supply:<chainId> reserves the
 *             customer's posted fiat (its id is named by the request, so it is made once).
 *   approve   an approver's Ed25519 signature over the intent, decoded from the request's own
 *             columns; the initiator never counts; at the tier's quorum the request is approved.
 *   write     the chain writer rebuilds the intent from the row, verifies every stored
 *             signature again against the approver register and the policy's tier (a forged
 *             approval row or an edited amount is refused here), checks the breakers, makes
 *             sure the pending transfer exists, and only then submits the mint through the
 *             connector under the request's id (at most one on-chain effect).
 *   settle    final on chain: the pending transfer is posted, tied to the block (parity counts
 *             it from that block); reverted: voided. A request never approved lapses.
 */
import type { Hex } from 'viem';
import { assertMintingOpen, chainTie } from '../chain/parity.ts';
import {
  type IssuerChain,
  requireToken,
  type TokenRecord,
  tokenFromRow,
} from '../chain/runtime.ts';
import { ClearpegError } from '../errors.ts';
import type { Command } from '../ledger/types.ts';
import { namedUuid, uuidv7 } from '../ledger/uuid.ts';
import { limits } from '../limits.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import type { Approval } from '../policy/approvals.ts';
import { requireMintingOpen } from '../policy/breakers.ts';
import type { Intent } from '../policy/intent.ts';
import { checkMintLimits, type MintLimitViolation, type TokenBucket } from '../policy/limits.ts';
import { requiredApprovals } from '../policy/quorum.ts';
import type { SqlExecutor, SqlParam } from '../storage/sql.ts';
import { eligibleReserveCodes } from '../treasury/valuation.ts';
import {
  accountId,
  customerFiat,
  everySupply,
  supplyAccountSpec,
  usd,
} from '../workflow/accounts.ts';
import { type Actor, actorName, requireRole, systemActor } from '../workflow/actors.ts';
import {
  approvedBefore,
  approverRegister,
  approveSubject,
  recordWriteRefusal,
  requireOwnApproval,
  reverifyQuorum,
} from '../workflow/approving.ts';
import { audited, type IssuanceContext } from '../workflow/context.ts';
import { oncePerKey } from '../workflow/request-key.ts';
import {
  type Customer,
  customerFromRow,
  type KycState,
  knownCustomer,
  requireApproved,
} from './customers.ts';
import { currentPolicy, type PolicyDocument, policyFromJson } from './policy.ts';
import { screenEvmAddress } from './sanctions.ts';

/** A refused mint request, with every rule it broke. */
export class MintRefusedError extends ClearpegError {
  override name = 'MintRefusedError';
  constructor(readonly violations: readonly MintLimitViolation[]) {
    super('mint-refused', `mint refused: ${violations.map((v) => v.message).join('; ')}`, {
      field: 'amount',
      rule: violations.map((v) => v.code).join(', '),
    });
  }
}

export type MintStatus =
  | 'pending-approval'
  | 'approved'
  | 'submitted'
  | 'final'
  | 'failed'
  | 'expired';

export interface MintRequest {
  readonly id: string;
  readonly customerId: string;
  readonly chainId: number;
  readonly to: Hex;
  readonly amount: Micro;
  readonly status: MintStatus;
  readonly initiator: string;
  readonly approvalsRequired: number;
  readonly ledgerPending: string;
  readonly txHash: string | null;
  readonly blockNumber: bigint | null;
  readonly failure: string | null;
  readonly token: Hex;
}

type MintRow = {
  id: string;
  customer_id: string;
  chain_id: string;
  to_address: string;
  amount: string;
  status: MintStatus;
  initiator: string;
  approvals_required: number;
  ledger_pending: string;
  tx_hash: string | null;
  block_number: string | null;
  failure: string | null;
  token: string;
};

const mintColumns = `m.id, m.customer_id, m.chain_id::text, m.to_address, m.amount::text, m.status, m.initiator,
  m.approvals_required, m.ledger_pending, m.tx_hash, m.block_number::text, m.failure,
  t.address AS token`;

function fromRow(row: MintRow): MintRequest {
  return {
    id: row.id,
    customerId: row.customer_id,
    chainId: Number(row.chain_id),
    to: row.to_address as Hex,
    amount: BigInt(row.amount) as Micro,
    status: row.status,
    initiator: row.initiator,
    approvalsRequired: row.approvals_required,
    ledgerPending: row.ledger_pending,
    txHash: row.tx_hash,
    blockNumber: row.block_number === null ? null : BigInt(row.block_number),
    failure: row.failure,
    token: row.token as Hex,
  };
}

/** The mint requests matching `where` (over `m`, the requests), with their token. */
async function listMints(
  db: SqlExecutor,
  where: string,
  params: readonly SqlParam[],
): Promise<MintRequest[]> {
  const { rows } = await db.query<MintRow>(
    `SELECT ${mintColumns} FROM mint_requests m JOIN chain_tokens t ON t.chain_id = m.chain_id WHERE ${where}`,
    params,
  );
  return rows.map(fromRow);
}

/**
 * Mint requests by id (UUIDv7: in order of request), from `after` (exclusive), optionally in
 * one status: one query.
 * @example await listMintPage(db, { limit: 20, status: 'pending-approval' })
 */
export function listMintPage(
  db: SqlExecutor,
  page: { limit: number; after?: string; status?: string },
): Promise<MintRequest[]> {
  return listMints(
    db,
    '($1::uuid IS NULL OR m.id > $1) AND ($2::text IS NULL OR m.status = $2) ORDER BY m.id LIMIT $3',
    [page.after ?? null, page.status ?? null, page.limit],
  );
}

/** The connector's request id of a mint: at most one on-chain mint per mint request. */
function chainRequestIdOf(mintId: string): string {
  return `mint:${mintId}`;
}

/** The mint request, or `mint-not-found`. */
export async function getMint(db: SqlExecutor, id: string, lock = false): Promise<MintRequest> {
  const [request] = await listMints(db, `m.id = $1${lock ? ' FOR UPDATE OF m' : ''}`, [id]);
  if (request === undefined)
    throw new ClearpegError('mint-not-found', `no mint request ${id}`, {
      field: 'requestId',
      rule: 'a known mint request',
    });
  return request;
}

/**
 * What approvers sign: the request decoded from its own columns (never from a stored copy).
 * @example describeIntent(mintIntent(request)) // 'mint 5,000,000.000000 USD to 0x… on chain 31337 …'
 */
export function mintIntent(
  request: Pick<MintRequest, 'id' | 'chainId' | 'token' | 'to' | 'amount' | 'customerId'>,
): Intent {
  return {
    kind: 'mint',
    requestId: request.id,
    chainId: String(request.chainId),
    token: request.token,
    to: request.to,
    amount: formatAmount(request.amount),
    asset: usd,
    customerId: request.customerId,
  };
}

/** The velocity buckets' names in `limit_buckets`. */
const bucketNames = { hourly: 'mint:hourly', daily: 'mint:daily' } as const;

/**
 * The velocity buckets, locked until the transaction ends: one statement that makes a missing
 * bucket full and locks and returns both (an upsert's no-op update takes the row lock).
 */
async function lockedBuckets(
  tx: SqlExecutor,
  policy: PolicyDocument,
  nowUs: bigint,
): Promise<{ hourly: TokenBucket; daily: TokenBucket }> {
  const { hourly, daily } = policy.mint;
  const { rows } = await tx.query<{ name: string; level: string; updated_at_us: string }>(
    `INSERT INTO limit_buckets (name, level, updated_at_us)
     SELECT * FROM unnest($1::text[], $2::numeric[], $3::bigint[])
     ON CONFLICT (name) DO UPDATE SET name = excluded.name
     RETURNING name, level::text, updated_at_us::text`,
    [
      [bucketNames.hourly, bucketNames.daily],
      [String(hourly.capacity), String(daily.capacity)],
      [String(nowUs), String(nowUs)],
    ],
  );
  const bucket = (name: string, limit: PolicyDocument['mint']['hourly']): TokenBucket => {
    const row = rows.find((r) => r.name === name);
    if (row === undefined) throw new Error(`assertion failed: bucket ${name} was locked`);
    const level = BigInt(row.level);
    return {
      capacity: limit.capacity,
      refillPerHour: limit.refillPerHour,
      // A policy that lowered the capacity caps what was saved under the old one.
      level: (level > limit.capacity ? limit.capacity : level) as Micro,
      updatedAtUs: BigInt(row.updated_at_us),
    };
  };
  return { hourly: bucket(bucketNames.hourly, hourly), daily: bucket(bucketNames.daily, daily) };
}

/**
 * Saving both buckets as a part of a WITH (sent with the statement it is part of), its
 * parameters numbered from `$first`.
 */
function bucketsSaved(
  buckets: { hourly: TokenBucket; daily: TokenBucket },
  first: number,
): { sql: string; params: SqlParam[] } {
  const [names, levels, at] = [first, first + 1, first + 2];
  return {
    sql: `buckets AS (
       UPDATE limit_buckets b SET level = v.level, updated_at_us = v.at
       FROM unnest($${names}::text[], $${levels}::numeric[], $${at}::bigint[]) AS v(name, level, at)
       WHERE b.name = v.name)`,
    params: [
      [bucketNames.hourly, bucketNames.daily],
      [String(buckets.hourly.level), String(buckets.daily.level)],
      [String(buckets.hourly.updatedAtUs), String(buckets.daily.updatedAtUs)],
    ],
  };
}

/**
 * Balances the gates read, inside the request's atomic step (`tx`, under the journal-head
 * lock): the customer's fiat as available (reservations count against it), the tokens out
 * and being minted at the most, and the eligible reserves as available
 * (`eligibleReserveCodes`, the treasury's record).
 */
async function gateBalances(
  ctx: IssuanceContext,
  tx: SqlExecutor,
  customerId: string,
): Promise<{ postedFiat: bigint; supply: bigint; reserves: bigint }> {
  const eligible = await eligibleReserveCodes(tx);
  const [fiat, supply, reserves] = await ctx.ledger.balances(
    [
      { codes: [customerFiat(customerId).code], side: 'credit' },
      everySupply,
      { codes: eligible, side: 'debit' },
    ],
    tx,
  );
  return { postedFiat: fiat!.available, supply: supply!.atMost, reserves: reserves!.available };
}

/** The reservation of a mint: customers:<id>:fiat → supply:<chainId>, pending. */
function reservation(
  request: Pick<MintRequest, 'id' | 'ledgerPending' | 'amount'>,
  accounts: { fiat: string; supply: string },
): Command {
  return {
    type: 'transfer',
    id: request.ledgerPending,
    asset: usd,
    postings: [{ debit: accounts.fiat, credit: accounts.supply, amount: request.amount }],
    // The ledger's longest reservation, as a backstop: the workflow resolves every request
    // well before (unapproved ones lapse after the policy's expiry).
    pendingTimeoutSeconds: limits.pendingTimeoutSecondsMax,
    metadata: { 'mint.request': request.id },
  };
}

/** The ledger accounts of a mint (made on first use, outside any transaction). */
async function mintAccounts(
  ctx: IssuanceContext,
  request: Pick<MintRequest, 'customerId' | 'chainId'>,
): Promise<{ fiat: string; supply: string }> {
  const [fiat, supply] = await Promise.all([
    accountId(ctx.ledger, customerFiat(request.customerId)),
    accountId(ctx.ledger, supplyAccountSpec(request.chainId)),
  ]);
  return { fiat, supply };
}

/**
 * The pending ledger transfer of a mint, made again if it is missing (a request stored by an
 * older version before its reservation): the same named id, so made once whoever asks.
 */
async function reserveFiat(
  ctx: IssuanceContext,
  request: MintRequest,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const [outcome] = await ctx.ledger.submit([
    reservation(request, await mintAccounts(ctx, request)),
  ]);
  return outcome?.status === 'committed'
    ? { ok: true }
    : { ok: false, reason: outcome?.status === 'failed' ? outcome.error.message : 'no outcome' };
}

/**
 * What a mint request is checked against before its transaction, read in one statement (the
 * embedded store answers one at a time): the customer (known, KYC approved), the recipient
 * (screened, a registered wallet), the token, the breakers and the policy; refused in that
 * order, as the functions each part comes from refuse.
 */
async function mintGates(
  ctx: IssuanceContext,
  input: { customerId: string; chainId: number; to: string },
): Promise<{ customer: Customer; to: Hex; token: TokenRecord; policy: PolicyDocument }> {
  const { rows } = await ctx.db.query<{
    customer: { id: string; name: string; kyc: KycState; fiat_account: string } | null;
    registered: boolean;
    token: { address: Hex; deploy_block: string; deploy_request_id: string | null } | null;
    breakers: string[];
    policy: unknown;
  }>(
    `SELECT
       (SELECT to_jsonb(c) FROM (SELECT id, name, kyc, fiat_account FROM customers WHERE id = $1) c) AS customer,
       EXISTS (SELECT 1 FROM customer_wallets WHERE chain_id = $2 AND address = $3 AND customer_id = $1) AS registered,
       (SELECT to_jsonb(t) FROM (SELECT address, deploy_block::text, deploy_request_id FROM chain_tokens WHERE chain_id = $2) t) AS token,
       ARRAY(SELECT name FROM breakers ORDER BY name) AS breakers,
       (SELECT document FROM policies WHERE status = 'adopted') AS policy`,
    [
      input.customerId,
      Number.isSafeInteger(input.chainId) ? input.chainId : null,
      String(input.to).toLowerCase(),
    ],
  );
  const row = rows[0]!;
  const found = row.customer;
  const customer = requireApproved(
    knownCustomer(input.customerId, found === null ? undefined : customerFromRow(found)),
  );
  const to: Hex = screenEvmAddress(ctx.sanctions, input.to, 'to');
  if (!row.registered)
    throw new ClearpegError(
      'wallet-not-registered',
      `${to} is not a registered wallet of ${customer.id} on chain ${input.chainId}`,
      { field: 'to', rule: "one of the customer's registered wallets on the chain" },
    );
  const token = requireToken(
    row.token === null ? undefined : tokenFromRow(input.chainId, row.token),
    input.chainId,
  );
  requireMintingOpen(row.breakers, input.chainId);
  const policy =
    row.policy === null ? (await currentPolicy(ctx.db)).policy : policyFromJson(row.policy);
  return { customer, to, token, policy };
}

/**
 * Asks to mint `amount` on `chainId` to one of the customer's registered wallets. Every rule a
 * request breaks is reported at once (`MintRefusedError.violations`).
 * @example const request = await requestMint(ctx, treasurer, { customerId: 'CUST-0001', chainId: 31337, to, amount: parseAmount('5000000') })
 */
export async function requestMint(
  ctx: IssuanceContext,
  actor: Actor,
  input: {
    customerId: string;
    chainId: number;
    to: string;
    amount: Micro;
    /** The API request's key: a run again answers the request it made (src/workflow/request-key.ts). */
    requestKey?: Uint8Array;
  },
): Promise<MintRequest> {
  const key = input.requestKey;
  return oncePerKey(
    ctx.db,
    key,
    'mint_requests',
    (id) => getMint(ctx.db, id),
    (found) =>
      found.customerId === input.customerId &&
      found.chainId === input.chainId &&
      found.to.toLowerCase() === String(input.to).toLowerCase() &&
      found.amount === input.amount,
    () => makeMintRequest(ctx, actor, input),
  );
}

async function makeMintRequest(
  ctx: IssuanceContext,
  actor: Actor,
  input: Parameters<typeof requestMint>[2],
): Promise<MintRequest> {
  const id = uuidv7();
  return audited(ctx, actor, 'mint.request', id, async (commit) => {
    requireRole(actor, ['treasurer'], { customerId: input.customerId, action: 'request mints' });
    if (typeof input.amount !== 'bigint' || input.amount <= 0n)
      throw new ClearpegError('amount-invalid', 'amount must be more than zero', {
        field: 'amount',
        rule: 'more than zero',
      });
    const { customer, to, token, policy } = await mintGates(ctx, input);
    const accounts = await mintAccounts(ctx, { customerId: customer.id, chainId: input.chainId });
    // One atomic step (docs/architecture.md, "Gates"): the supply gate and the fiat it reads,
    // the velocity buckets, the request, its reservation and its audit entry commit together
    // under the journal-head lock, or none of them does; a crash leaves no request without
    // its reservation, and no two requests can spend the same dollars or reserves.
    return commit.ledger(async (tx, apply) => {
      const nowUs = ctx.clockUs();
      // The balances first: their first statement has no parameters and goes with BEGIN and
      // the locks (src/storage/postgres/postgres.ts, `coalescing`).
      const [balances, buckets] = await Promise.all([
        gateBalances(ctx, tx, customer.id),
        lockedBuckets(tx, policy, nowUs),
      ]);
      const check = checkMintLimits({
        amount: input.amount,
        perTransactionCap: policy.mint.perTransactionCap,
        hourBucket: buckets.hourly,
        dayBucket: buckets.daily,
        nowUs,
        postedFiat: (balances.postedFiat < 0n ? 0n : balances.postedFiat) as Micro,
        supplyAfter: (balances.supply + input.amount) as Micro,
        reserves: (balances.reserves < 0n ? 0n : balances.reserves) as Micro,
      });
      if (check.violations.length > 0) throw new MintRefusedError(check.violations);
      const approvalsRequired = requiredApprovals(policy.mint.tiers, input.amount);
      const ledgerPending = namedUuid('clearpeg-mint/1', id);
      const [reserved] = await apply([
        reservation({ id, ledgerPending, amount: input.amount }, accounts),
      ]);
      if (reserved?.status !== 'committed')
        throw new ClearpegError(
          'mint-refused',
          `mint refused: the ledger refused the reservation: ${reserved?.status === 'failed' ? reserved.error.message : 'no outcome'}`,
          { field: 'amount', rule: 'a reservation the ledger accepts' },
        );
      // Sent unawaited, with the audit entry and COMMIT behind it (`writes`); the buckets are
      // saved by the same statement.
      const saved = bucketsSaved({ hourly: check.hourBucket, daily: check.dayBucket }, 12);
      const stored = tx.query(
        `WITH ${saved.sql}
         INSERT INTO mint_requests (id, customer_id, chain_id, to_address, amount, status, initiator, approvals_required,
           ledger_pending, created_at_us, expires_at_us, updated_at_us, request_key)
         VALUES ($1, $2, $3, $4, $5, 'pending-approval', $6, $7, $8, $9, $10, $9, $11)`,
        [
          id,
          customer.id,
          input.chainId,
          to,
          input.amount,
          actorName(actor),
          approvalsRequired,
          ledgerPending,
          nowUs,
          nowUs + BigInt(policy.mint.expirySeconds) * 1_000_000n,
          input.requestKey ?? null,
          ...saved.params,
        ],
      );
      const request: MintRequest = {
        id,
        customerId: customer.id,
        chainId: input.chainId,
        to,
        amount: input.amount,
        status: 'pending-approval',
        initiator: actorName(actor),
        approvalsRequired,
        ledgerPending,
        txHash: null,
        blockNumber: null,
        failure: null,
        token: token.address,
      };
      return {
        result: request,
        detail: {
          customerId: customer.id,
          chainId: String(input.chainId),
          to,
          amount: formatAmount(input.amount),
          approvalsRequired: String(approvalsRequired),
        },
        writes: stored,
      };
    });
  });
}

/**
 * Repairs, before serving, any request whose reservation is missing: a request stored by an
 * older version of Clearpeg, which committed the request and then reserved its fiat in a
 * second transaction (a crash between the two left a request pointing at a transfer that
 * does not exist). Each is reserved now, or failed if the ledger refuses. Requests made by
 * this version commit with their reservation and are never found here. Returns the ids
 * repaired and failed.
 * @example await repairMintReservations(ctx) // { reserved: [], failed: [] }
 */
export async function repairMintReservations(
  ctx: IssuanceContext,
): Promise<{ reserved: string[]; failed: string[] }> {
  const reserved: string[] = [];
  const failed: string[] = [];
  const open = await listMints(ctx.db, `m.status IN ('pending-approval', 'approved')`, []);
  for (const request of open) {
    if ((await ctx.ledger.store.recordById(request.ledgerPending)) !== undefined) continue;
    const outcome = await reserveFiat(ctx, request);
    if (outcome.ok) reserved.push(request.id);
    else {
      await failMint(ctx, request, `no reservation after a restart: ${outcome.reason}`);
      failed.push(request.id);
    }
  }
  return { reserved, failed };
}

/**
 * Adds an approver's signed approval to a mint request; at the quorum the request is approved.
 * The caller must be that approver (their API key) and the approval their signature (their own
 * Ed25519 key): two things a thief would need.
 * @example await approveMint(ctx, approver, request.id, signApproval(mintIntent(request), key, 'op-ann'))
 */
export async function approveMint(
  ctx: IssuanceContext,
  actor: Actor,
  requestId: string,
  approval: Approval,
): Promise<MintRequest> {
  return audited(ctx, actor, 'mint.approve', String(requestId), (commit) =>
    commit(async (tx) => {
      requireOwnApproval(actor, approval, 'approve mints');
      const request = await getMint(tx, requestId, true);
      if (request.status !== 'pending-approval') {
        const again = await approvedBefore(tx, 'mint', request.id, request, approval);
        if (again !== undefined) return again;
        throw new ClearpegError('mint-not-pending', `mint ${request.id} is ${request.status}`, {
          field: 'requestId',
          rule: 'a request awaiting approval',
        });
      }
      return approveSubject(tx, 'mint_requests', request, {
        kind: 'mint',
        subjectId: request.id,
        initiatorId: request.initiator,
        intent: mintIntent(request),
        approverId: actor.id,
        approval,
        required: request.approvalsRequired,
        nowUs: ctx.clockUs(),
      });
    }),
  );
}

/** Marks a mint failed and voids its reservation (if there is one). */
async function failMint(
  ctx: IssuanceContext,
  request: Pick<MintRequest, 'id' | 'ledgerPending'>,
  failure: string,
  status: MintStatus = 'failed',
) {
  // Its outcome does not matter: voided now, voided before, or never reserved, all leave no
  // reservation.
  await ctx.ledger.submit([
    {
      type: 'voidPending',
      id: namedUuid('clearpeg-mint-void/1', request.id),
      pendingId: request.ledgerPending,
    },
  ]);
  const action = `mint.${status === 'expired' ? 'expire' : 'fail'}`;
  await audited(ctx, systemActor, action, request.id, (commit) =>
    commit(async (tx) => {
      await tx.query(
        `UPDATE mint_requests SET status = $2, failure = $3, updated_at_us = $4 WHERE id = $1 AND status NOT IN ('final', 'failed', 'expired')`,
        [request.id, status, failure.slice(0, 1000), ctx.clockUs()],
      );
      return { result: undefined, detail: { failure } };
    }),
  );
}

/**
 * The chain writer's pass over one chain's approved mints: re-verify, then submit. Returns the
 * requests it submitted and those it refused.
 */
export async function writeMints(
  ctx: IssuanceContext,
  chain: IssuerChain,
  token: TokenRecord,
): Promise<{ submitted: string[]; refused: string[] }> {
  const chainId = chain.config.chainId;
  const approved = await listMints(
    ctx.db,
    `m.chain_id = $1 AND m.status = 'approved' ORDER BY m.created_at_us`,
    [chainId],
  );
  const submitted: string[] = [];
  const refused: string[] = [];
  if (approved.length === 0) return { submitted, refused };
  // Read once per pass: a change to either is taken up by the next pass.
  const { policy } = await currentPolicy(ctx.db);
  const approvers = await approverRegister(ctx.db);
  for (const request of approved) {
    try {
      const required = Math.max(
        request.approvalsRequired,
        requiredApprovals(policy.mint.tiers, request.amount),
      );
      await reverifyQuorum(ctx.db, {
        kind: 'mint',
        subjectId: request.id,
        label: `mint ${request.id}`,
        intent: mintIntent(request),
        initiatorId: request.initiator,
        approvers,
        required,
      });
      if (token.address !== request.token)
        throw new ClearpegError('chain-token-conflict', `mint ${request.id} is for another token`);
      await assertMintingOpen(ctx.db, chainId);
      const reserved = await reserveFiat(ctx, request);
      if (!reserved.ok)
        throw new ClearpegError('mint-refused', `the ledger refused: ${reserved.reason}`);
      const chainRequestId = chainRequestIdOf(request.id);
      const state = await chain.connector.submit(chainRequestId, {
        to: token.address,
        function: 'mint',
        args: [request.to, request.amount],
      });
      await ctx.db.query(
        `UPDATE mint_requests SET status = 'submitted', chain_request_id = $2, tx_hash = $3, updated_at_us = $4 WHERE id = $1 AND status = 'approved'`,
        [request.id, chainRequestId, state.txHash, ctx.clockUs()],
      );
      submitted.push(request.id);
    } catch (error) {
      if (!(error instanceof ClearpegError)) throw error;
      if (error.code === 'breaker-tripped') continue; // stays approved until the breaker is cleared
      refused.push(request.id);
      await recordWriteRefusal(ctx, 'mint.write', request.id, `mint ${request.id}`, error);
      await failMint(ctx, request, `${error.code}: ${error.message}`);
    }
  }
  return { submitted, refused };
}

/**
 * Settles one chain's submitted mints (and approved ones already signed) from the connector's
 * state: final → the reservation is posted, tied to the mint's block; reverted → voided. Also
 * lapses requests never approved.
 */
export async function settleMints(
  ctx: IssuanceContext,
  chain: IssuerChain,
): Promise<{ posted: string[]; failed: string[] }> {
  const chainId = chain.config.chainId;
  const posted: string[] = [];
  const failed: string[] = [];
  // Approved ones too: a mint whose transaction reached the node but whose answer was lost
  // (the connection dropped) stays approved until the writer's next pass, and may be final on
  // chain by then. Parity counts it from its block: the ledger must too, in this same tick.
  // One with no chain request was never signed and is skipped below.
  const submittedMints = await listMints(
    ctx.db,
    `m.chain_id = $1 AND m.status IN ('approved', 'submitted')`,
    [chainId],
  );
  for (const request of submittedMints) {
    const state = await chain.connector.get(chainRequestIdOf(request.id));
    if (state === undefined) continue;
    if (state.status === 'final') {
      const metadata = {
        ...chainTie(chainId, state.blockNumber!, state.txHash!),
        'mint.request': request.id,
      };
      let [outcome] = await ctx.ledger.submit([
        {
          type: 'postPending',
          id: namedUuid('clearpeg-mint-post/1', request.id),
          pendingId: request.ledgerPending,
          metadata,
        },
      ]);
      if (outcome?.status !== 'committed') {
        // The tokens exist on chain: the ledger must show them even if the reservation is gone
        // (timed out as a backstop, or voided by a concurrent failure path).
        const [fiat, supply] = await Promise.all([
          accountId(ctx.ledger, customerFiat(request.customerId)),
          accountId(ctx.ledger, supplyAccountSpec(chainId)),
        ]);
        [outcome] = await ctx.ledger.submit([
          {
            type: 'transfer',
            id: namedUuid('clearpeg-mint-late/1', request.id),
            asset: usd,
            postings: [{ debit: fiat, credit: supply, amount: request.amount }],
            metadata,
          },
        ]);
      }
      if (outcome?.status !== 'committed')
        throw new Error(
          `mint ${request.id} is final on chain but the ledger refused it: ${outcome?.status === 'failed' ? outcome.error.message : '?'}`,
        );
      await audited(ctx, systemActor, 'mint.final', request.id, (commit) =>
        commit(async (tx) => {
          await tx.query(
            `UPDATE mint_requests SET status = 'final', chain_request_id = $5, tx_hash = $2, block_number = $3, updated_at_us = $4 WHERE id = $1`,
            [request.id, state.txHash, state.blockNumber, ctx.clockUs(), state.requestId],
          );
          return {
            result: undefined,
            detail: { txHash: state.txHash, blockNumber: String(state.blockNumber) },
          };
        }),
      );
      posted.push(request.id);
    } else if (state.status === 'reverted') {
      await failMint(ctx, request, `reverted on chain in ${state.txHash}`);
      failed.push(request.id);
    }
  }
  const lapsed = await listMints(
    ctx.db,
    `m.chain_id = $1 AND m.status = 'pending-approval' AND m.expires_at_us < $2`,
    [chainId, ctx.clockUs()],
  );
  for (const request of lapsed) await failMint(ctx, request, 'not approved in time', 'expired');
  return { posted, failed };
}
