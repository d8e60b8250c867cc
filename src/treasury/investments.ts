/**
 * Investments out of excess, under quorum: the one door out of the reserves that is not a
 * customer's payout, and as narrow as a payout's.
 *
 *   propose   a treasurer (the maker) asks to move `amount` from a bank's cash into an outside
 *             investment (bitcoin, gold, a loan, equity) held by a custodian. Checked at once
 *             against the excess, as a courtesy: the check that counts is the execution's.
 *   approve   approvers other than the maker sign the request's intent with their own Ed25519
 *             keys, up to the policy's `payoutApprovals` (the approvals money leaving the
 *             reserves needs: a payout or an investment).
 *   execute   a treasurer records the move: the stored approvals are verified again, then, in
 *             one atomic step under the journal-head lock, the request is locked, the excess
 *             is checked (eligible reserves after the move ≥ everything owed × (1 + the
 *             policy's `reserves.investBufferBps`)), the bank's cash is checked, and the
 *             transfer investments:<name> ← reserves:cash:<bank> is posted with the position
 *             and the request's new status. Two executions at once cannot both spend one
 *             excess; a deposit, mint or payout in between waits.
 *   cancel    before it is executed.
 *
 * So one stolen treasurer key can propose, and nothing more; one stolen approver key can
 * approve once, which is no quorum on its own (the maker never counts).
 */
import { ClearpegError } from '../errors.ts';
import { investBufferBps, policyInForce } from '../issuance/policy.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { raiseAlert } from '../policy/alerts.ts';
import type { Approval } from '../policy/approvals.ts';
import type { AuditDetail } from '../policy/audit.ts';
import { type Intent, requireReadableText } from '../policy/intent.ts';
import { type InvestmentAsset, investmentAssets } from '../reserves/instruments.ts';
import { pageQuery, type SqlExecutor, type SqlParam } from '../storage/sql.ts';
import { investment, reservesCash, usd } from '../workflow/accounts.ts';
import { type Actor, actorName, requireRole } from '../workflow/actors.ts';
import {
  approverRegister,
  approveSubject,
  requireOwnApproval,
  reverifyQuorum,
} from '../workflow/approving.ts';
import { audited, type IssuanceContext } from '../workflow/context.ts';
import {
  type Custody,
  checkAmount,
  checkName,
  checkReference,
  custody,
  evidenceParams,
  invalid,
  requireCash,
  requireCommitted,
  treasuryTransfer,
} from './book.ts';
import { getPosition, type StoredPosition } from './positions.ts';
import type { BookReader } from './valuation.ts';

export type InvestmentStatus = 'pending-approval' | 'approved' | 'executed' | 'cancelled';

/** An investment request, as stored. */
export interface InvestmentRequest {
  readonly id: string;
  /** The operator's ticket; names the ledger transfer, so the request posts at most once. */
  readonly reference: string;
  /** The investment's name: its account is `investments:<name>`. */
  readonly name: string;
  readonly asset: InvestmentAsset;
  readonly amount: Micro;
  /** The bank whose cash pays for it. */
  readonly bank: string;
  readonly custodian: string;
  readonly jurisdiction: string;
  /** SHA-256 (hex) of the recorded custodian statement it comes with, if any. */
  readonly statement: string | null;
  readonly status: InvestmentStatus;
  readonly maker: string;
  readonly approvalsRequired: number;
  /** Why it was cancelled. */
  readonly failure: string | null;
  readonly createdAtUs: bigint;
  readonly executedAtUs: bigint | null;
}

type Row = {
  id: string;
  reference: string;
  name: string;
  asset: InvestmentAsset;
  amount: string;
  bank: string;
  custodian: string;
  jurisdiction: string;
  statement_sha256: Uint8Array | null;
  status: InvestmentStatus;
  maker: string;
  approvals_required: number;
  failure: string | null;
  created_at_us: string;
  executed_at_us: string | null;
};

const columns = `id, reference, name, asset, amount::text, bank, custodian, jurisdiction, statement_sha256,
  status, maker, approvals_required, failure, created_at_us::text, executed_at_us::text`;

function fromRow(row: Row): InvestmentRequest {
  return {
    id: row.id,
    reference: row.reference,
    name: row.name,
    asset: row.asset,
    amount: BigInt(row.amount) as Micro,
    bank: row.bank,
    custodian: row.custodian,
    jurisdiction: row.jurisdiction,
    statement:
      row.statement_sha256 === null ? null : Buffer.from(row.statement_sha256).toString('hex'),
    status: row.status,
    maker: row.maker,
    approvalsRequired: row.approvals_required,
    failure: row.failure,
    createdAtUs: BigInt(row.created_at_us),
    executedAtUs: row.executed_at_us === null ? null : BigInt(row.executed_at_us),
  };
}

async function select(
  db: SqlExecutor,
  where: string,
  params: readonly SqlParam[],
): Promise<InvestmentRequest[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${columns} FROM investment_requests WHERE ${where}`,
    params,
  );
  return rows.map(fromRow);
}

/** The investment request, or `investment-not-found`; `lock` locks its row (FOR UPDATE). */
export async function getInvestment(
  db: SqlExecutor,
  id: string,
  lock = false,
): Promise<InvestmentRequest> {
  const [found] = /^[0-9a-f-]{36}$/.test(String(id))
    ? await select(db, `id = $1${lock ? ' FOR UPDATE' : ''}`, [id])
    : [];
  if (found === undefined)
    throw new ClearpegError('investment-not-found', `no investment request ${id}`, {
      field: 'investmentId',
      rule: 'a known investment request',
    });
  return found;
}

/**
 * Investment requests, newest first, optionally in one status; `after` is the last id of the
 * previous page.
 * @example await listInvestments(db, { status: 'pending-approval', limit: 50 })
 */
export async function listInvestments(
  db: SqlExecutor,
  options: { status?: InvestmentStatus; limit: number; after?: string },
): Promise<InvestmentRequest[]> {
  const { where, params } = pageQuery(
    { status: options.status },
    { table: 'investment_requests', orderBy: 'id', after: options.after, limit: options.limit },
  );
  return select(db, where, params);
}

/**
 * What the approvers sign: the request decoded from its own columns (the statement as its
 * hash, or `none`).
 * @example describeIntent(investmentIntent(request)) // 'investment amount 250,000.000000, asset bitcoin, bank bank-a, …'
 */
export function investmentIntent(
  request: Pick<
    InvestmentRequest,
    | 'id'
    | 'reference'
    | 'name'
    | 'asset'
    | 'amount'
    | 'bank'
    | 'custodian'
    | 'jurisdiction'
    | 'statement'
  >,
): Intent {
  return {
    kind: 'investment',
    requestId: request.id,
    reference: request.reference,
    name: request.name,
    asset: request.asset,
    amount: formatAmount(request.amount),
    currency: usd,
    bank: request.bank,
    custodian: request.custodian,
    jurisdiction: request.jurisdiction,
    statement: request.statement ?? 'none',
  };
}

/**
 * What the excess check needs: eligible reserves, by the configured rules, and the
 * liabilities they must cover (everything owed to customers: `owedToCustomers`), both read
 * through `reader` (inside the execution's atomic step).
 */
export type ExcessCheck = (
  reader: BookReader,
) => Promise<{ eligible: bigint; liabilities: bigint }>;

/**
 * What eligible reserves must stay at or above: `owed` × (1 + `bufferBps`), rounded up to the
 * micro-dollar.
 * @example excessFloor(1_000_000n, 200) === 1_020_000n
 */
export function excessFloor(owed: bigint, bufferBps: number): bigint {
  return (owed * BigInt(10_000 + bufferBps) + 9_999n) / 10_000n;
}

/**
 * Refuses (`reserves-no-excess`) unless eligible reserves less `amount` stay at least
 * liabilities × (1 + `bufferBps`), rounded up to the micro-dollar.
 */
async function requireExcess(
  reader: BookReader,
  excess: ExcessCheck,
  amount: Micro,
  bufferBps: number,
): Promise<void> {
  const { eligible, liabilities } = await excess(reader);
  const floor = excessFloor(liabilities, bufferBps);
  if (eligible - amount < floor)
    throw new ClearpegError(
      'reserves-no-excess',
      `investing ${formatAmount(amount)} would leave eligible reserves of ${formatAmount(eligible - amount)}, under liabilities × (1 + ${bufferBps} bp) = ${formatAmount(floor)}; the excess is ${formatAmount(eligible > floor ? eligible - floor : 0n)}`,
      {
        field: 'amount',
        rule: 'at most the excess of eligible reserves over liabilities plus the buffer',
      },
    );
}

/** What a proposal takes. */
export type InvestmentInput = Custody & {
  reference: string;
  name: string;
  asset: InvestmentAsset;
  amount: Micro;
  bank: string;
};

/**
 * The request stored under `proposed`'s reference: undefined when there is none, the request
 * when it has the same fields, else refused (`investment-reference-taken`).
 */
async function repeatOf(
  db: SqlExecutor,
  proposed: Omit<InvestmentRequest, 'id'>,
): Promise<InvestmentRequest | undefined> {
  const [earlier] = await select(db, 'reference = $1', [proposed.reference]);
  if (earlier === undefined || sameRequest(earlier, proposed)) return earlier;
  throw new ClearpegError(
    'investment-reference-taken',
    `reference ${proposed.reference} names another investment request (${earlier.id})`,
    { field: 'reference', rule: 'a reference not used by another request' },
  );
}

/** The request's own fields, as a reused reference must repeat them. */
function sameRequest(a: InvestmentRequest, b: Omit<InvestmentRequest, 'id'>): boolean {
  const keys = [
    'reference',
    'name',
    'asset',
    'amount',
    'bank',
    'custodian',
    'jurisdiction',
    'statement',
  ] as const;
  return keys.every((key) => a[key] === b[key]);
}

/**
 * Proposes an investment out of excess (the maker's step). It waits for approvals; nothing
 * moves until a treasurer executes it at the quorum. A proposal that the excess or the bank's
 * cash could not pay now is refused at once. The same reference with the same fields returns
 * the request made before; with other fields it is refused (`investment-reference-taken`).
 * @example await proposeInvestment(ctx, treasurer, { reference: 'I-1', name: 'btc', asset: 'bitcoin', amount, bank: 'bank-a', custodian: 'Coinbase Custody', jurisdiction: 'US' }, excess)
 */
export async function proposeInvestment(
  ctx: IssuanceContext,
  actor: Actor,
  input: InvestmentInput,
  excess: ExcessCheck,
): Promise<InvestmentRequest> {
  const reference = String(input.reference).slice(0, 64);
  return audited(ctx, actor, 'reserves.invest.propose', reference, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'propose investments' });
    checkReference(input.reference);
    const name = checkName(input.name, 'name');
    const bank = checkName(input.bank, 'bank');
    const amount = checkAmount(input.amount, 'amount');
    if (!investmentAssets.includes(input.asset)) invalid('asset', investmentAssets.join(', '));
    if ('bufferBps' in input)
      invalid(
        'bufferBps',
        "absent: the buffer is the policy's (reserves.investBufferBps), which only a quorum changes",
      );
    const held = await custody(ctx.db, input);
    // The custodian is signed and read by approvers: text a person can read, nothing hidden.
    requireReadableText(held.custodian, 'custodian', 'reserves-invalid');
    const policy = await policyInForce(ctx.db);
    const nowUs = ctx.clockUs();
    const proposed: Omit<InvestmentRequest, 'id'> = {
      reference,
      name,
      asset: input.asset,
      amount,
      bank,
      custodian: held.custodian,
      jurisdiction: held.jurisdiction,
      statement: held.evidence?.statementSha256 ?? null,
      status: 'pending-approval',
      maker: actorName(actor),
      approvalsRequired: policy.payoutApprovals,
      failure: null,
      createdAtUs: nowUs,
      executedAtUs: null,
    };
    // A repeated proposal is the request made before (whatever the excess is now).
    const repeated = await repeatOf(ctx.db, proposed);
    if (repeated !== undefined) return repeated;
    const reader: BookReader = { db: ctx.db, ledger: ctx.ledger };
    await requireExcess(reader, excess, amount, investBufferBps(policy));
    await requireCash(reader, bank, amount);
    return commit(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO investment_requests (id, reference, name, asset, amount, bank, custodian, jurisdiction,
           statement_sha256, status, maker, approvals_required, created_at_us, updated_at_us)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending-approval', $10, $11, $12, $12)
         ON CONFLICT (reference) DO NOTHING RETURNING id`,
        [
          uuidv7(),
          reference,
          name,
          input.asset,
          amount,
          bank,
          held.custodian,
          held.jurisdiction,
          evidenceParams(held.evidence)[0],
          proposed.maker,
          proposed.approvalsRequired,
          nowUs,
        ],
      );
      if (rows[0] === undefined) {
        // Proposed by a racing request since: the same, or refused.
        const earlier = (await repeatOf(tx, proposed))!;
        const detail: AuditDetail = { id: earlier.id, repeated: true };
        return { result: earlier, detail };
      }
      return {
        result: { id: rows[0].id, ...proposed },
        detail: {
          id: rows[0].id,
          name,
          asset: input.asset,
          amount: formatAmount(amount),
          bank,
          approvalsRequired: String(proposed.approvalsRequired),
        },
      };
    });
  });
}

function notIn(
  request: InvestmentRequest,
  code: 'investment-not-pending-approval' | 'investment-not-approved',
  what: string,
): never {
  throw new ClearpegError(code, `investment request ${request.id} is ${request.status}`, {
    field: 'investmentId',
    rule: what,
  });
}

/**
 * An approver's signed approval of an investment request; at the quorum it is approved (and
 * waits for a treasurer to execute it).
 * @example await approveInvestment(ctx, approver, request.id, signApproval(investmentIntent(request), key, 'op-ann'))
 */
export async function approveInvestment(
  ctx: IssuanceContext,
  actor: Actor,
  investmentId: string,
  approval: Approval,
): Promise<InvestmentRequest> {
  return audited(ctx, actor, 'reserves.invest.approve', String(investmentId), (commit) =>
    commit(async (tx) => {
      requireOwnApproval(actor, approval, 'approve investments');
      const request = await getInvestment(tx, investmentId, true);
      if (request.status !== 'pending-approval')
        notIn(request, 'investment-not-pending-approval', 'an investment awaiting approval');
      return approveSubject(tx, 'investment_requests', request, {
        kind: 'investment',
        subjectId: request.id,
        initiatorId: request.maker,
        intent: investmentIntent(request),
        approverId: actor.id,
        approval,
        required: request.approvalsRequired,
        nowUs: ctx.clockUs(),
      });
    }),
  );
}

/**
 * Executes an approved investment: the approvals are verified again (against the register
 * and the policy as they are now), then the excess check, the cash check, the ledger transfer,
 * the position and the request's status commit in one atomic step, or nothing does.
 * @example await executeInvestment(ctx, treasurer, request.id, excess)
 */
export async function executeInvestment(
  ctx: IssuanceContext,
  actor: Actor,
  investmentId: string,
  excess: ExcessCheck,
): Promise<{ request: InvestmentRequest; position: StoredPosition }> {
  return audited(ctx, actor, 'reserves.invest.execute', String(investmentId), async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'execute investments' });
    const request = await getInvestment(ctx.db, investmentId);
    if (request.status !== 'approved')
      notIn(request, 'investment-not-approved', 'an approved investment');
    const policy = await policyInForce(ctx.db);
    const label = `investment ${request.id}`;
    try {
      await reverifyQuorum(ctx.db, {
        kind: 'investment',
        subjectId: request.id,
        label,
        intent: investmentIntent(request),
        initiatorId: request.maker,
        approvers: await approverRegister(ctx.db),
        required: Math.max(request.approvalsRequired, policy.payoutApprovals),
      });
    } catch (error) {
      // A forged approval row, a changed key or an edited request: someone must look.
      if (error instanceof ClearpegError)
        await raiseAlert(
          ctx.db,
          'approval-forged',
          label,
          { message: error.message },
          ctx.clockUs(),
        );
      throw error;
    }
    const bufferBps = investBufferBps(policy);
    const held = await custody(ctx.db, {
      custodian: request.custodian,
      jurisdiction: request.jurisdiction,
      ...(request.statement === null ? {} : { statement: request.statement }),
    });
    const positionId = `investment:${request.name}`;
    const key = `invest:${request.name}:${request.reference}`;
    const transfer = await treasuryTransfer(
      ctx,
      key,
      [
        {
          debit: investment(request.name),
          credit: reservesCash(request.bank),
          amount: request.amount,
        },
      ],
      { 'reserves.position': positionId, 'reserves.op': 'invest', 'investment.id': request.id },
    );
    return commit.ledger(async (tx, apply) => {
      // Locked after the journal head: a cancel or a second execution waits, then sees it.
      const now = await getInvestment(tx, request.id, true);
      if (now.status !== 'approved')
        notIn(now, 'investment-not-approved', 'an approved investment');
      const reader: BookReader = { db: tx, ledger: ctx.ledger };
      await requireExcess(reader, excess, request.amount, bufferBps);
      await requireCash(reader, request.bank, request.amount);
      const [outcome] = await apply([transfer]);
      requireCommitted(outcome, key, 'amount');
      const nowUs = ctx.clockUs();
      await tx.query(
        `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, asset, name,
           evidence_sha256, evidence_signature, evidence_verified, opened_at_us)
         VALUES ($1, 'investment', $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
        [
          positionId,
          investment(request.name).code,
          held.custodian,
          held.jurisdiction,
          request.asset,
          request.name,
          ...evidenceParams(held.evidence),
          nowUs,
        ],
      );
      await tx.query(
        `UPDATE investment_requests SET status = 'executed', executed_at_us = $2, updated_at_us = $2 WHERE id = $1`,
        [request.id, nowUs],
      );
      return {
        result: {
          request: { ...request, status: 'executed' as const, executedAtUs: nowUs },
          position: await getPosition(tx, positionId),
        },
        detail: {
          name: request.name,
          asset: request.asset,
          amount: formatAmount(request.amount),
          bank: request.bank,
          bufferBps: String(bufferBps),
          transfer: transfer.id,
        },
      };
    });
  });
}

/**
 * Cancels an investment request not yet executed.
 * @example await cancelInvestment(ctx, treasurer, request.id, { reason: 'wrong custodian' })
 */
export async function cancelInvestment(
  ctx: IssuanceContext,
  actor: Actor,
  investmentId: string,
  input: { reason: string },
): Promise<InvestmentRequest> {
  return audited(ctx, actor, 'reserves.invest.cancel', String(investmentId), (commit) =>
    commit(async (tx) => {
      requireRole(actor, ['treasurer', 'approver'], { action: 'cancel investments' });
      if (
        typeof input.reason !== 'string' ||
        input.reason.length === 0 ||
        [...input.reason].length > 140
      )
        invalid('reason', '1 to 140 characters');
      requireReadableText(input.reason, 'reason', 'reserves-invalid');
      const request = await getInvestment(tx, investmentId, true);
      if (request.status !== 'pending-approval' && request.status !== 'approved')
        notIn(request, 'investment-not-pending-approval', 'an investment not yet executed');
      await tx.query(
        `UPDATE investment_requests SET status = 'cancelled', failure = $2, updated_at_us = $3 WHERE id = $1`,
        [request.id, input.reason, ctx.clockUs()],
      );
      return {
        result: { ...request, status: 'cancelled' as const, failure: input.reason },
        detail: { reason: input.reason },
      };
    }),
  );
}
