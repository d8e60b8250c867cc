/**
 * Redemptions: one token back, $1 out, less the published fee.
 *
 *   address   each customer has a redemption address per token (derived, never a key anyone
 *             holds); it is registered as an issuer address (parity counts what it holds as
 *             out of circulation) and marked on the token so that it can be burned from.
 *   credit    a transfer into it, read by the indexer and final, is credited in one ledger
 *             transfer tied to its block: supply:<chainId> → customers:<id>:fiat (the amount),
 *             then customers:<id>:fiat → income:fees (the fee). Parity sees the tokens leave
 *             circulation in that block and the ledger's supply fall in the same block. A
 *             transfer from a sanctioned sender, or for a suspended customer, is held instead:
 *             supply → suspense:redemptions, with an alert; nothing is paid and nothing burned.
 *   burn      the chain writer burns the credited tokens from the redemption address (the
 *             redeemer role; no ledger change, since they were already out of supply).
 *   payout    the customer's dollars leave through a payout (payouts.ts: maker-checker), due by
 *             the policy's T+N business days; an overdue one raises an alert, and so do
 *             redemptions above the policy's share of supply in 24 hours.
 *
 * Every step is idempotent: the ledger transfer's id is named by the chain event
 * (chain, transaction, log index), the burn's connector request by the redemption.
 */
import { type Hex, zeroAddress } from 'viem';
import { businessDeadlineUs } from '../calendar.ts';
import { type RedemptionTransfer, redemptionTransfers } from '../chain/addresses.ts';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import { indexedBlock } from '../chain/indexer.ts';
import { chainTie } from '../chain/parity.ts';
import { deployedToken, type IssuerChain, type TokenRecord } from '../chain/runtime.ts';
import { ClearpegError } from '../errors.ts';
import { namedUuid } from '../ledger/uuid.ts';
import { divFloor, formatAmount, type Micro } from '../money/money.ts';
import { raiseAlert } from '../policy/alerts.ts';
import { microsecondsPerDay } from '../policy/limits.ts';
import { pageQuery, type SqlExecutor, type SqlParam } from '../storage/sql.ts';
import {
  accountId,
  customerFiat,
  everySupply,
  incomeFees,
  redemptionSuspense,
  supplyAccountSpec,
  usd,
} from '../workflow/accounts.ts';
import { type Actor, requireRole, systemActor } from '../workflow/actors.ts';
import { audited, type IssuanceContext, recordRefusal } from '../workflow/context.ts';
import { approvedCustomer, ensureRedemptionAddress, getCustomer } from './customers.ts';
import { currentPolicy, type PolicyDocument } from './policy.ts';

export type RedemptionStatus = 'credited' | 'burning' | 'burned' | 'held';

/** A credited (or held) transfer into a redemption address: the chain event and what it owes. */
export interface Redemption extends Omit<RedemptionTransfer, 'address' | 'amount'> {
  readonly id: string;
  readonly redemptionAddress: Hex;
  readonly amount: Micro;
  readonly fee: Micro;
  /** What the customer is owed: amount − fee (zero when held). */
  readonly net: Micro;
  readonly status: RedemptionStatus;
  /** Why it is held, or why its burn has not gone through. */
  readonly refusal: string | null;
  readonly burnTxHash: string | null;
  readonly ledgerTransfer: string;
  /** The payout's deadline (T+N business days). */
  readonly dueAtUs: bigint;
  readonly createdAtUs: bigint;
}

type RedemptionRow = {
  id: string;
  chain_id: string;
  tx_hash: Uint8Array;
  log_index: number;
  block_number: string;
  customer_id: string;
  from_address: string;
  redemption_address: string;
  amount: string;
  fee: string;
  status: RedemptionStatus;
  refusal: string | null;
  burn_tx_hash: string | null;
  burn_request_id: string | null;
  ledger_transfer: string;
  due_at_us: string;
  created_at_us: string;
};

const columns = `id, chain_id::text, tx_hash, log_index, block_number::text, customer_id, from_address,
  redemption_address, amount::text, fee::text, status, refusal, burn_tx_hash, burn_request_id, ledger_transfer,
  due_at_us::text, created_at_us::text`;

function fromRow(row: RedemptionRow): Redemption & { burnRequestId: string | null } {
  const amount = BigInt(row.amount) as Micro;
  const fee = BigInt(row.fee) as Micro;
  return {
    id: row.id,
    chainId: Number(row.chain_id),
    txHash: `0x${Buffer.from(row.tx_hash).toString('hex')}`,
    logIndex: row.log_index,
    blockNumber: BigInt(row.block_number),
    customerId: row.customer_id,
    from: row.from_address as Hex,
    redemptionAddress: row.redemption_address as Hex,
    amount,
    fee,
    net: (row.status === 'held' ? 0n : amount - fee) as Micro,
    status: row.status,
    refusal: row.refusal,
    burnTxHash: row.burn_tx_hash,
    burnRequestId: row.burn_request_id,
    ledgerTransfer: row.ledger_transfer,
    dueAtUs: BigInt(row.due_at_us),
    createdAtUs: BigInt(row.created_at_us),
  };
}

async function selectRedemptions(
  db: SqlExecutor,
  where: string,
  params: readonly SqlParam[],
): Promise<(Redemption & { burnRequestId: string | null })[]> {
  const { rows } = await db.query<RedemptionRow>(
    `SELECT ${columns} FROM redemptions WHERE ${where}`,
    params,
  );
  return rows.map(fromRow);
}

/** The redemption, or `redemption-not-found`. */
export async function getRedemption(db: SqlExecutor, id: string): Promise<Redemption> {
  const [redemption] = /^[0-9a-f-]{36}$/.test(String(id))
    ? await selectRedemptions(db, 'id = $1', [id])
    : [];
  if (redemption === undefined)
    throw new ClearpegError('redemption-not-found', `no redemption ${id}`, {
      field: 'id',
      rule: 'a known redemption',
    });
  return redemption;
}

/**
 * Redemptions, newest credited first, optionally of one customer or in one status; `after` is
 * the id of the last one of the previous page (ids are named by chain events, so not in time
 * order: the page is keyed by the credit time, then the id).
 * @example await listRedemptions(db, { customerId: 'CUST-0001', limit: 50 })
 */
export async function listRedemptions(
  db: SqlExecutor,
  options: { customerId?: string; status?: RedemptionStatus; limit: number; after?: string },
): Promise<Redemption[]> {
  const { where, params } = pageQuery(
    { customer_id: options.customerId, status: options.status },
    {
      table: 'redemptions',
      orderBy: '(created_at_us, id)',
      after: options.after,
      limit: options.limit,
    },
  );
  return selectRedemptions(db, where, params);
}

/**
 * The fee on redeeming `amount` under the schedule: `feeBps` basis points of it, rounded down
 * to the micro-dollar (in the customer's favour), then raised to `feeMin` and lowered to
 * `feeMax`, and never more than the amount itself.
 * @example redemptionFee(parseAmount('5000000'), { feeBps: 10, feeMin: 0n, feeMax: parseAmount('1000') }) // 1000.000000
 */
export function redemptionFee(
  amount: Micro,
  schedule: Pick<PolicyDocument['redemption'], 'feeBps' | 'feeMin' | 'feeMax'>,
): Micro {
  let fee = divFloor(amount * BigInt(schedule.feeBps), 10_000n);
  if (fee < schedule.feeMin) fee = schedule.feeMin;
  if (fee > schedule.feeMax) fee = schedule.feeMax;
  return (fee > amount ? amount : fee) as Micro;
}

/** What redeeming on a chain would look like for a customer. */
export interface RedemptionQuote {
  readonly customerId: string;
  readonly chainId: number;
  /** Send tokens here to redeem them. */
  readonly redemptionAddress: Hex;
  readonly feeSchedule: { feeBps: number; feeMin: Micro; feeMax: Micro };
  readonly slaBusinessDays: number;
  readonly amount?: Micro;
  readonly fee?: Micro;
  readonly net?: Micro;
}

/**
 * A redemption request: the customer's redemption address on the chain (registered now if it
 * was not) and the fee the published schedule takes, for `amount` when given.
 * @example const { redemptionAddress } = await redemptionQuote(ctx, treasurer, { customerId: 'CUST-0001', chainId: 31337 })
 */
export async function redemptionQuote(
  ctx: IssuanceContext,
  actor: Actor,
  input: { customerId: string; chainId: number; amount?: Micro },
): Promise<RedemptionQuote> {
  return audited(ctx, actor, 'redemption.quote', String(input.customerId), async (commit) => {
    requireRole(actor, ['treasurer'], {
      customerId: input.customerId,
      action: 'ask for redemption addresses',
    });
    if (input.amount !== undefined && (typeof input.amount !== 'bigint' || input.amount <= 0n))
      throw new ClearpegError('amount-invalid', 'amount must be more than zero', {
        field: 'amount',
        rule: 'more than zero',
      });
    const customer = await approvedCustomer(ctx.db, input.customerId);
    const token = await deployedToken(ctx.db, input.chainId);
    const { policy } = await currentPolicy(ctx.db);
    const { feeBps, feeMin, feeMax, slaBusinessDays } = policy.redemption;
    const redemptionAddress = await commit(async (tx) => {
      const address = await ensureRedemptionAddress(tx, input.chainId, token.address, customer.id);
      return { result: address, detail: { chainId: String(input.chainId), address } };
    });
    const fee =
      input.amount === undefined ? undefined : redemptionFee(input.amount, policy.redemption);
    return {
      customerId: customer.id,
      chainId: input.chainId,
      redemptionAddress,
      feeSchedule: { feeBps, feeMin, feeMax },
      slaBusinessDays,
      ...(input.amount === undefined || fee === undefined
        ? {}
        : { amount: input.amount, fee, net: (input.amount - fee) as Micro }),
    };
  });
}

/** Why a transfer into a redemption address cannot be paid out now, or undefined. */
async function holdReason(
  ctx: IssuanceContext,
  customerId: string,
  from: Hex,
): Promise<{ kind: string; message: string } | undefined> {
  const hit = ctx.sanctions.has(from);
  if (hit !== undefined)
    return {
      kind: 'sanctions-hit',
      message: `the sender ${from} is on the OFAC sanctions list (${hit.source})`,
    };
  const customer = await getCustomer(ctx.db, customerId);
  if (customer.kyc === 'suspended')
    return { kind: 'redemption-held', message: `customer ${customerId} is suspended` };
  return undefined;
}

/**
 * Credits every transfer into a redemption address on the chain that the indexer has stored,
 * in blocks up to `finalBlock` (the newest final block: the indexer reads to the head, and a
 * transfer in a block a reorg may still drop must not become fiat), in chain order; each
 * once, however often this runs. Returns the ids credited and held.
 * @example await creditRedemptions(ctx, 31337, head - BigInt(finalityDepth) + 1n)
 */
export async function creditRedemptions(
  ctx: IssuanceContext,
  chainId: number,
  finalBlock: bigint,
): Promise<{ credited: string[]; held: string[] }> {
  const credited: string[] = [];
  const held: string[] = [];
  const indexed = await indexedBlock(ctx.db, chainId);
  if (indexed === undefined) return { credited, held };
  const upTo = indexed < finalBlock ? indexed : finalBlock;
  const { rows } = await ctx.db.query<{ last: string | null }>(
    'SELECT max(block_number)::text AS last FROM redemptions WHERE chain_id = $1',
    [chainId],
  );
  // The last block credited is read again: a pass stopped inside it is finished.
  const after = rows[0]?.last == null ? -1n : BigInt(rows[0].last) - 1n;
  const done = await ctx.db.query<{ id: string }>(
    'SELECT id FROM redemptions WHERE chain_id = $1 AND block_number > $2',
    [chainId, after],
  );
  const doneIds = new Set(done.rows.map((row) => row.id));
  const transfers = (await redemptionTransfers(ctx.db, chainId, after, upTo))
    .filter((t) => t.from !== zeroAddress) // a mint straight to a redemption address redeems nothing
    .map((transfer) => {
      const eventKey = `${chainId}:${transfer.txHash}:${transfer.logIndex}`;
      return { transfer, eventKey, id: namedUuid('clearpeg-redemption/1', eventKey) };
    })
    .filter(({ id }) => !doneIds.has(id));
  if (transfers.length === 0) return { credited, held };
  const { policy } = await currentPolicy(ctx.db);
  const supply = await accountId(ctx.ledger, supplyAccountSpec(chainId));
  for (const { transfer, eventKey, id } of transfers) {
    const amount = transfer.amount as Micro;
    const hold = await holdReason(ctx, transfer.customerId, transfer.from);
    const fee = hold === undefined ? redemptionFee(amount, policy.redemption) : (0n as Micro);
    const fiat = await accountId(ctx.ledger, customerFiat(transfer.customerId));
    const postings =
      hold !== undefined
        ? [{ debit: supply, credit: await accountId(ctx.ledger, redemptionSuspense), amount }]
        : [
            { debit: supply, credit: fiat, amount },
            ...(fee > 0n
              ? [{ debit: fiat, credit: await accountId(ctx.ledger, incomeFees), amount: fee }]
              : []),
          ];
    const ledgerTransfer = namedUuid('clearpeg-redemption-ledger/1', eventKey);
    const [outcome] = await ctx.ledger.submit([
      {
        type: 'transfer',
        id: ledgerTransfer,
        asset: usd,
        postings,
        metadata: {
          ...chainTie(chainId, transfer.blockNumber, transfer.txHash),
          'redemption.id': id,
        },
      },
    ]);
    if (outcome?.status !== 'committed')
      // Tokens left circulation on chain; the ledger must say so. A refusal here is a bug or
      // a broken invariant, and parity will stop minting until someone looks.
      throw new Error(
        `redemption ${id} (${eventKey}) is final on chain but the ledger refused it: ${outcome?.status === 'failed' ? outcome.error.message : '?'}`,
      );
    const nowUs = ctx.clockUs();
    const status: RedemptionStatus = hold === undefined ? 'credited' : 'held';
    await audited(
      ctx,
      systemActor,
      `redemption.${hold === undefined ? 'credit' : 'hold'}`,
      id,
      (commit) =>
        commit(async (tx) => {
          await tx.query(
            `INSERT INTO redemptions (id, chain_id, tx_hash, log_index, block_number, customer_id, from_address,
             redemption_address, amount, fee, ledger_transfer, status, refusal, due_at_us, created_at_us, updated_at_us)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
           ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING`,
            [
              id,
              chainId,
              Buffer.from(transfer.txHash.slice(2), 'hex'),
              transfer.logIndex,
              transfer.blockNumber,
              transfer.customerId,
              transfer.from.toLowerCase(),
              transfer.address,
              amount,
              fee,
              ledgerTransfer,
              status,
              hold?.message ?? null,
              businessDeadlineUs(nowUs, policy.redemption.slaBusinessDays),
              nowUs,
            ],
          );
          if (hold !== undefined)
            await raiseAlert(
              tx,
              hold.kind,
              `redemption ${id}`,
              { message: hold.message, from: transfer.from },
              nowUs,
            );
          return {
            result: undefined,
            detail: {
              customerId: transfer.customerId,
              chainId: String(chainId),
              txHash: transfer.txHash,
              logIndex: String(transfer.logIndex),
              from: transfer.from.toLowerCase(),
              amount: formatAmount(amount),
              fee: formatAmount(fee),
              held: hold?.message ?? null,
            },
          };
        }),
    );
    (hold === undefined ? credited : held).push(id);
  }
  if (credited.length + held.length > 0) await checkRedemptionSurge(ctx, policy);
  return { credited, held };
}

/**
 * Raises `redemptions-surge` when the last 24 hours' redemptions exceed the policy's share of
 * the supply outstanding before them (the ledger's supply now plus what they took out), at
 * most once per 24 hours.
 */
async function checkRedemptionSurge(ctx: IssuanceContext, policy: PolicyDocument): Promise<void> {
  const nowUs = ctx.clockUs();
  const since = nowUs - microsecondsPerDay;
  const [supply] = await ctx.ledger.balances([everySupply]);
  const { rows } = await ctx.db.query<{ redeemed: string; alerted: number }>(
    `SELECT
       (SELECT coalesce(sum(amount), 0)::text FROM redemptions WHERE created_at_us > $1) AS redeemed,
       (SELECT count(*)::int FROM alerts WHERE kind = 'redemptions-surge' AND raised_at_us > $1) AS alerted`,
    [since],
  );
  const redeemed = BigInt(rows[0]!.redeemed);
  const before = supply!.posted + redeemed;
  if (rows[0]!.alerted > 0 || before <= 0n) return;
  if (redeemed * 10_000n > before * BigInt(policy.redemption.alertShareBps))
    await raiseAlert(
      ctx.db,
      'redemptions-surge',
      'redemptions in 24 h',
      {
        redeemed: formatAmount(redeemed),
        supplyBefore: formatAmount(before),
        thresholdBps: String(policy.redemption.alertShareBps),
      },
      nowUs,
    );
}

/** The connector request id of a redemption's burn (attempt > 0 after a reverted one). */
function burnRequestId(redemptionId: string, attempt: number): string {
  return attempt === 0 ? `burn:${redemptionId}` : `burn:${redemptionId}:${attempt}`;
}

/** The connector request id that marks a redemption address on the token. */
function markRequestId(chainId: number, address: Hex): string {
  return `redemption-address:${chainId}:${address}`;
}

/**
 * The chain writer's pass over one chain's redemptions: settles the burns under way, marks
 * the redemption addresses of credited ones on the token (the issuer's key must hold the
 * admin role; otherwise the admin's multisig marks them, and this waits), and burns.
 * @example await burnRedemptions(ctx, chain, token)
 */
export async function burnRedemptions(
  ctx: IssuanceContext,
  chain: IssuerChain,
  token: TokenRecord,
): Promise<{ submitted: string[]; burned: string[] }> {
  const chainId = chain.config.chainId;
  const submitted: string[] = [];
  const burned: string[] = [];
  const open = await selectRedemptions(
    ctx.db,
    `chain_id = $1 AND status IN ('credited', 'burning') ORDER BY created_at_us`,
    [chainId],
  );
  const marked = new Map<Hex, boolean>();
  for (const redemption of open) {
    if (redemption.status === 'burning') {
      const state = await chain.connector.get(redemption.burnRequestId!);
      if (state?.status === 'final') {
        await setBurnState(ctx, redemption.id, 'burned', { burnTxHash: state.txHash });
        burned.push(redemption.id);
      } else if (state?.status === 'reverted') {
        // Back to credited: the next pass tries again under a new request id.
        await setBurnState(ctx, redemption.id, 'credited', {
          refusal: `burn reverted in ${state.txHash}`,
        });
      }
      continue;
    }
    const address = redemption.redemptionAddress;
    let isMarked = marked.get(address);
    if (isMarked === undefined) {
      isMarked = (await chain.client.readContract({
        address: token.address,
        abi: clearpegTokenAbi,
        functionName: 'isRedemptionAddress',
        args: [address],
      })) as boolean;
      marked.set(address, isMarked);
    }
    try {
      if (!isMarked) {
        await chain.connector.submit(markRequestId(chainId, address), {
          to: token.address,
          function: 'setRedemptionAddress',
          args: [address, true],
        });
        continue; // burned once the mark is on chain
      }
      const previous = redemption.burnRequestId?.match(/:(\d+)$/)?.[1];
      const attempt =
        redemption.burnRequestId === null ? 0 : previous === undefined ? 1 : Number(previous) + 1;
      const requestId = burnRequestId(redemption.id, attempt);
      const state = await chain.connector.submit(requestId, {
        to: token.address,
        function: 'burn',
        args: [address, redemption.amount],
      });
      await setBurnState(ctx, redemption.id, 'burning', {
        burnRequestId: requestId,
        burnTxHash: state.txHash,
      });
      submitted.push(redemption.id);
    } catch (error) {
      if (!(error instanceof ClearpegError)) throw error;
      // Reported once: the refusal stays on the row until a burn goes through.
      if (redemption.refusal !== error.message) {
        await recordRefusal(ctx, systemActor, 'redemption.burn', redemption.id, error);
        await raiseAlert(
          ctx.db,
          'redemption-burn-refused',
          `redemption ${redemption.id}`,
          { code: error.code, message: error.message },
          ctx.clockUs(),
        );
        await ctx.db.query('UPDATE redemptions SET refusal = $2 WHERE id = $1', [
          redemption.id,
          error.message.slice(0, 1000),
        ]);
      }
    }
  }
  return { submitted, burned };
}

async function setBurnState(
  ctx: IssuanceContext,
  id: string,
  status: RedemptionStatus,
  fields: { burnRequestId?: string; burnTxHash?: string | null; refusal?: string },
): Promise<void> {
  await audited(
    ctx,
    systemActor,
    `redemption.${status === 'credited' ? 'burn-reverted' : status === 'burning' ? 'burn' : 'burned'}`,
    id,
    (commit) =>
      commit(async (tx) => {
        await tx.query(
          `UPDATE redemptions SET status = $2, burn_request_id = coalesce($3, burn_request_id),
           burn_tx_hash = coalesce($4, burn_tx_hash), refusal = $5, updated_at_us = $6 WHERE id = $1`,
          [
            id,
            status,
            fields.burnRequestId ?? null,
            fields.burnTxHash ?? null,
            fields.refusal ?? null,
            ctx.clockUs(),
          ],
        );
        return {
          result: undefined,
          detail: { txHash: fields.burnTxHash ?? null, refusal: fields.refusal ?? null },
        };
      }),
  );
}

/**
 * Raises `redemption-overdue` once for each credited redemption past its deadline whose
 * customer has not been paid (no payout of it sent).
 * @example await checkRedemptionDeadlines(ctx)
 */
export async function checkRedemptionDeadlines(ctx: IssuanceContext): Promise<string[]> {
  const nowUs = ctx.clockUs();
  const { rows } = await ctx.db.query<{ id: string; customer_id: string; due_at_us: string }>(
    `SELECT r.id, r.customer_id, r.due_at_us::text FROM redemptions r
     WHERE r.status <> 'held' AND r.due_at_us < $1
       AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.redemption_id = r.id AND p.status = 'sent')
       AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.kind = 'redemption-overdue' AND a.subject = 'redemption ' || r.id)
     ORDER BY r.due_at_us LIMIT 1000`,
    [nowUs],
  );
  for (const row of rows)
    await raiseAlert(
      ctx.db,
      'redemption-overdue',
      `redemption ${row.id}`,
      { customerId: row.customer_id, dueAtUs: row.due_at_us },
      nowUs,
    );
  return rows.map((row) => row.id);
}
