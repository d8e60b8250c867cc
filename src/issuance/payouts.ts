/**
 * Payouts: a customer's dollars leave the issuer's bank, maker-checker.
 *
 *   create    a treasurer (the maker) instructs: customer, amount, bank, beneficiary, and the
 *             redemption it pays, if any. The pending ledger transfer customers:<id>:fiat →
 *             reserves:cash:<bank> reserves the customer's fiat (its id named by the payout).
 *   approve   approvers (the checkers; the maker never counts) sign the payout's intent with
 *             their own Ed25519 keys, up to the policy's `payoutApprovals`.
 *   sent      once the bank has sent the wire, a treasurer records the bank's reference; the
 *             stored approvals are verified again and the reservation is posted: the money is
 *             gone from the bank account and from the customer's balance in the same record.
 *   cancel    before it is sent; the reservation is voided.
 */
import { ClearpegError } from '../errors.ts';
import { namedUuid, uuidv7 } from '../ledger/uuid.ts';
import { limits } from '../limits.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import type { Approval } from '../policy/approvals.ts';
import { type Intent, isSignableText } from '../policy/intent.ts';
import { pageQuery, type SqlExecutor, type SqlParam } from '../storage/sql.ts';
import { accountId, bankPattern, customerFiat, reservesCash, usd } from '../workflow/accounts.ts';
import { type Actor, actorName, requireRole } from '../workflow/actors.ts';
import {
  approvedBefore,
  approverRegister,
  approveSubject,
  requireOwnApproval,
  reverifyQuorum,
} from '../workflow/approving.ts';
import { audited, type IssuanceContext } from '../workflow/context.ts';
import { oncePerKey } from '../workflow/request-key.ts';
import { getCustomer } from './customers.ts';
import { currentPolicy } from './policy.ts';
import { getRedemption } from './redemption.ts';

export type PayoutStatus = 'pending-approval' | 'approved' | 'sent' | 'cancelled';

export interface Payout {
  readonly id: string;
  readonly customerId: string;
  readonly bank: string;
  readonly amount: Micro;
  readonly beneficiary: string;
  readonly status: PayoutStatus;
  readonly maker: string;
  readonly approvalsRequired: number;
  readonly ledgerPending: string;
  readonly redemptionId: string | null;
  readonly dueAtUs: bigint | null;
  readonly bankReference: string | null;
  readonly failure: string | null;
  readonly createdAtUs: bigint;
}

type PayoutRow = {
  id: string;
  customer_id: string;
  bank: string;
  amount: string;
  beneficiary: string;
  status: PayoutStatus;
  maker: string;
  approvals_required: number;
  ledger_pending: string;
  redemption_id: string | null;
  due_at_us: string | null;
  bank_reference: string | null;
  failure: string | null;
  created_at_us: string;
};

const columns = `id, customer_id, bank, amount::text, beneficiary, status, maker, approvals_required,
  ledger_pending, redemption_id, due_at_us::text, bank_reference, failure, created_at_us::text`;

function fromRow(row: PayoutRow): Payout {
  return {
    id: row.id,
    customerId: row.customer_id,
    bank: row.bank,
    amount: BigInt(row.amount) as Micro,
    beneficiary: row.beneficiary,
    status: row.status,
    maker: row.maker,
    approvalsRequired: row.approvals_required,
    ledgerPending: row.ledger_pending,
    redemptionId: row.redemption_id,
    dueAtUs: row.due_at_us === null ? null : BigInt(row.due_at_us),
    bankReference: row.bank_reference,
    failure: row.failure,
    createdAtUs: BigInt(row.created_at_us),
  };
}

async function selectPayouts(
  db: SqlExecutor,
  where: string,
  params: readonly SqlParam[],
): Promise<Payout[]> {
  const { rows } = await db.query<PayoutRow>(
    `SELECT ${columns} FROM payouts WHERE ${where}`,
    params,
  );
  return rows.map(fromRow);
}

/** The payout, or `payout-not-found`. */
export async function getPayout(db: SqlExecutor, id: string, lock = false): Promise<Payout> {
  const [payout] = /^[0-9a-f-]{36}$/.test(String(id))
    ? await selectPayouts(db, `id = $1${lock ? ' FOR UPDATE' : ''}`, [id])
    : [];
  if (payout === undefined)
    throw new ClearpegError('payout-not-found', `no payout ${id}`, {
      field: 'payoutId',
      rule: 'a known payout',
    });
  return payout;
}

/**
 * Payouts, newest first, optionally in one status or of one customer; `after` is the last id
 * of the previous page.
 * @example await listPayouts(db, { status: 'pending-approval', limit: 50 })
 */
export async function listPayouts(
  db: SqlExecutor,
  options: { status?: PayoutStatus; customerId?: string; limit: number; after?: string },
): Promise<Payout[]> {
  const { where, params } = pageQuery(
    { status: options.status, customer_id: options.customerId },
    { table: 'payouts', orderBy: 'id', after: options.after, limit: options.limit },
  );
  return selectPayouts(db, where, params);
}

/**
 * What the checkers sign: the payout decoded from its own columns.
 * @example describeIntent(payoutIntent(payout)) // 'payout 4,999,000.000000 USD to …'
 */
export function payoutIntent(
  payout: Pick<Payout, 'id' | 'customerId' | 'amount' | 'bank' | 'beneficiary' | 'redemptionId'>,
): Intent {
  return {
    kind: 'payout',
    requestId: payout.id,
    customerId: payout.customerId,
    amount: formatAmount(payout.amount),
    asset: usd,
    bank: payout.bank,
    beneficiary: payout.beneficiary,
    redemptionId: payout.redemptionId ?? 'none',
  };
}

/** Controls, format characters (bidi, zero-width), line and paragraph separators. */
const unprintable = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** 1 to 140 printable characters (and, when `signed`, as a checker reads them: `isSignableText`). */
function isShortText(value: unknown, signed: boolean): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    [...value].length <= 140 && // code points, as the API's schema counts
    (signed ? isSignableText(value) : !unprintable.test(value))
  );
}

function invalid(field: string, rule: string): never {
  throw new ClearpegError('payout-invalid', `${field} must be ${rule}`, { field, rule });
}

/**
 * Instructs a payout (the maker's step); it waits for the checkers' approvals.
 * @example await createPayout(ctx, treasurer, { customerId: 'CUST-0001', amount, bank: 'bank-a', beneficiary: 'Acme Treasury LLC, IBAN …', redemptionId })
 */
export async function createPayout(
  ctx: IssuanceContext,
  actor: Actor,
  input: {
    customerId: string;
    amount: Micro;
    bank: string;
    beneficiary: string;
    redemptionId?: string;
    /** The API request's key: a run again answers the payout it made (src/workflow/request-key.ts). */
    requestKey?: Uint8Array;
  },
): Promise<Payout> {
  const key = input.requestKey;
  return oncePerKey(
    ctx.db,
    key,
    'payouts',
    (id) => getPayout(ctx.db, id),
    (found) =>
      found.customerId === input.customerId &&
      found.amount === input.amount &&
      found.bank === input.bank &&
      found.beneficiary === input.beneficiary &&
      found.redemptionId === (input.redemptionId ?? null),
    () => makePayout(ctx, actor, input),
  );
}

async function makePayout(
  ctx: IssuanceContext,
  actor: Actor,
  input: Parameters<typeof createPayout>[2],
): Promise<Payout> {
  const id = uuidv7();
  return audited(ctx, actor, 'payout.create', id, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'instruct payouts' });
    if (typeof input.amount !== 'bigint' || input.amount <= 0n) invalid('amount', 'more than zero');
    if (typeof input.bank !== 'string' || !bankPattern.test(input.bank))
      invalid('bank', `a bank name (${bankPattern.source})`);
    if (!isShortText(input.beneficiary, true))
      invalid('beneficiary', '1 to 140 printable characters, in Unicode NFC form');
    const customer = await getCustomer(ctx.db, input.customerId);
    let dueAtUs: bigint | null = null;
    if (input.redemptionId !== undefined) {
      const redemption = await getRedemption(ctx.db, input.redemptionId);
      if (redemption.customerId !== customer.id)
        invalid('redemptionId', `a redemption of ${customer.id}`);
      if (redemption.status === 'held')
        invalid('redemptionId', 'a redemption that is not held by compliance');
      if (input.amount > redemption.net)
        invalid('amount', `at most the redemption's net ${formatAmount(redemption.net)}`);
      dueAtUs = redemption.dueAtUs;
    }
    const { policy } = await currentPolicy(ctx.db);
    const ledgerPending = namedUuid('clearpeg-payout/1', id);
    const available = (await ctx.ledger.balance(customerFiat(customer.id).code, 'credit'))
      .available;
    if (available < input.amount)
      throw new ClearpegError(
        'payout-exceeds-balance',
        `${customer.id} has ${formatAmount(available < 0n ? 0n : available)} available, less than ${formatAmount(input.amount)}`,
        { field: 'amount', rule: "at most the customer's available fiat" },
      );
    const known = await ctx.db.query('SELECT 1 FROM ledger_accounts WHERE code = $1', [
      reservesCash(input.bank).code,
    ]);
    if (known.rows.length === 0)
      throw new ClearpegError('bank-unknown', `the issuer holds no cash at ${input.bank}`, {
        field: 'bank',
        rule: 'a bank the issuer holds cash at (reserves:cash:<bank>)',
      });
    // Both exist by now: a refused payout creates no account.
    const [fiat, cash] = await Promise.all([
      accountId(ctx.ledger, customerFiat(customer.id)),
      accountId(ctx.ledger, reservesCash(input.bank)),
    ]);
    // Reserve first: a payout row exists only with its reservation. (A crash in between leaves
    // a reservation that times out, never a payout that spends money not held.)
    const [outcome] = await ctx.ledger.submit([
      {
        type: 'transfer',
        id: ledgerPending,
        asset: usd,
        postings: [{ debit: fiat, credit: cash, amount: input.amount }],
        pendingTimeoutSeconds: limits.pendingTimeoutSecondsMax,
        metadata: { 'payout.id': id },
      },
    ]);
    if (outcome?.status !== 'committed')
      throw new ClearpegError(
        'payout-exceeds-balance',
        `the ledger refused the reservation: ${outcome?.status === 'failed' ? outcome.error.message : '?'}`,
        { field: 'amount', rule: "at most the customer's available fiat and the bank's cash" },
      );
    return commit(async (tx) => {
      const nowUs = ctx.clockUs();
      await tx.query(
        `INSERT INTO payouts (id, customer_id, bank, amount, beneficiary, status, maker, approvals_required,
           ledger_pending, redemption_id, due_at_us, created_at_us, updated_at_us, request_key)
         VALUES ($1, $2, $3, $4, $5, 'pending-approval', $6, $7, $8, $9, $10, $11, $11, $12)`,
        [
          id,
          customer.id,
          input.bank,
          input.amount,
          input.beneficiary,
          actorName(actor),
          policy.payoutApprovals,
          ledgerPending,
          input.redemptionId ?? null,
          dueAtUs,
          nowUs,
          input.requestKey ?? null,
        ],
      );
      const payout: Payout = {
        id,
        customerId: customer.id,
        bank: input.bank,
        amount: input.amount,
        beneficiary: input.beneficiary,
        status: 'pending-approval',
        maker: actorName(actor),
        approvalsRequired: policy.payoutApprovals,
        ledgerPending,
        redemptionId: input.redemptionId ?? null,
        dueAtUs,
        bankReference: null,
        failure: null,
        createdAtUs: nowUs,
      };
      return {
        result: payout,
        detail: {
          customerId: customer.id,
          amount: formatAmount(input.amount),
          bank: input.bank,
          beneficiary: input.beneficiary,
          redemptionId: input.redemptionId ?? null,
        },
      };
    });
  });
}

function notIn(
  payout: Payout,
  code: 'payout-not-pending-approval' | 'payout-not-approved',
  what: string,
): never {
  throw new ClearpegError(code, `payout ${payout.id} is ${payout.status}`, {
    field: 'payoutId',
    rule: what,
  });
}

/**
 * A checker's signed approval of a payout; at the quorum it is approved.
 * @example await approvePayout(ctx, approver, payout.id, signApproval(payoutIntent(payout), key, 'op-bob'))
 */
export async function approvePayout(
  ctx: IssuanceContext,
  actor: Actor,
  payoutId: string,
  approval: Approval,
): Promise<Payout> {
  return audited(ctx, actor, 'payout.approve', String(payoutId), (commit) =>
    commit(async (tx) => {
      requireOwnApproval(actor, approval, 'approve payouts');
      const payout = await getPayout(tx, payoutId, true);
      if (payout.status !== 'pending-approval') {
        const again = await approvedBefore(tx, 'payout', payout.id, payout, approval);
        if (again !== undefined) return again;
        notIn(payout, 'payout-not-pending-approval', 'a payout awaiting approval');
      }
      return approveSubject(tx, 'payouts', payout, {
        kind: 'payout',
        subjectId: payout.id,
        initiatorId: payout.maker,
        intent: payoutIntent(payout),
        approverId: actor.id,
        approval,
        required: payout.approvalsRequired,
        nowUs: ctx.clockUs(),
      });
    }),
  );
}

/**
 * Records that the bank sent an approved payout: the approvals are verified again, then the
 * reservation is posted.
 * @example await markPayoutSent(ctx, treasurer, payout.id, { bankReference: 'FED-20261122-0042' })
 */
export async function markPayoutSent(
  ctx: IssuanceContext,
  actor: Actor,
  payoutId: string,
  input: { bankReference: string },
): Promise<Payout> {
  return audited(ctx, actor, 'payout.sent', String(payoutId), async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'record sent payouts' });
    if (
      typeof input.bankReference !== 'string' ||
      !/^[\x21-\x7e]{1,140}$/.test(input.bankReference)
    )
      invalid('bankReference', '1 to 140 printable ASCII characters without spaces');
    const payout = await getPayout(ctx.db, payoutId);
    if (payout.status !== 'approved') notIn(payout, 'payout-not-approved', 'an approved payout');
    const { policy } = await currentPolicy(ctx.db);
    await reverifyQuorum(ctx.db, {
      kind: 'payout',
      subjectId: payout.id,
      label: `payout ${payout.id}`,
      intent: payoutIntent(payout),
      initiatorId: payout.maker,
      approvers: await approverRegister(ctx.db),
      required: Math.max(payout.approvalsRequired, policy.payoutApprovals),
    });
    const [outcome] = await ctx.ledger.submit([
      {
        type: 'postPending',
        id: namedUuid('clearpeg-payout-post/1', payout.id),
        pendingId: payout.ledgerPending,
        metadata: { 'payout.id': payout.id, 'bank.reference': input.bankReference },
      },
    ]);
    if (outcome?.status !== 'committed')
      throw new ClearpegError(
        'payout-reservation-lost',
        `the ledger refused to post payout ${payout.id}: ${outcome?.status === 'failed' ? outcome.error.message : '?'}`,
        { rule: 'a live reservation' },
      );
    return commit(async (tx) => {
      const nowUs = ctx.clockUs();
      await tx.query(
        `UPDATE payouts SET status = 'sent', bank_reference = $2, sent_at_us = $3, updated_at_us = $3 WHERE id = $1`,
        [payout.id, input.bankReference, nowUs],
      );
      return {
        result: { ...payout, status: 'sent' as const, bankReference: input.bankReference },
        detail: { bankReference: input.bankReference },
      };
    });
  });
}

/**
 * Cancels a payout not yet sent and voids its reservation.
 * @example await cancelPayout(ctx, treasurer, payout.id, { reason: 'wrong beneficiary' })
 */
export async function cancelPayout(
  ctx: IssuanceContext,
  actor: Actor,
  payoutId: string,
  input: { reason: string },
): Promise<Payout> {
  return audited(ctx, actor, 'payout.cancel', String(payoutId), async (commit) => {
    requireRole(actor, ['treasurer', 'approver'], { action: 'cancel payouts' });
    if (!isShortText(input.reason, false)) invalid('reason', '1 to 140 printable characters');
    const payout = await getPayout(ctx.db, payoutId);
    if (payout.status !== 'pending-approval' && payout.status !== 'approved')
      notIn(payout, 'payout-not-pending-approval', 'a payout not yet sent');
    // The ledger decides the race with markPayoutSent: a reservation is posted or voided, once.
    const [voided] = await ctx.ledger.submit([
      {
        type: 'voidPending',
        id: namedUuid('clearpeg-payout-void/1', payout.id),
        pendingId: payout.ledgerPending,
      },
    ]);
    if (voided?.status === 'failed' && voided.error.code === 'pending-already-posted')
      notIn({ ...payout, status: 'sent' }, 'payout-not-pending-approval', 'a payout not yet sent');
    const result = await commit(async (tx) => {
      await tx.query(
        `UPDATE payouts SET status = 'cancelled', failure = $2, updated_at_us = $3
         WHERE id = $1 AND status IN ('pending-approval', 'approved')`,
        [payout.id, input.reason, ctx.clockUs()],
      );
      return {
        result: { ...payout, status: 'cancelled' as const, failure: input.reason },
        detail: { reason: input.reason },
      };
    });
    return result;
  });
}
