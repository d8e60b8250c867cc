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
import { daysBetween, isoDate, newYorkDate } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { investBufferBps, type PolicyDocument, policyInForce } from '../issuance/policy.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { raiseAlert } from '../policy/alerts.ts';
import type { Approval } from '../policy/approvals.ts';
import type { AuditDetail } from '../policy/audit.ts';
import { type Intent, requireReadableText } from '../policy/intent.ts';
import { type InvestmentAsset, investmentAssets } from '../reserves/instruments.ts';
import { pageQuery, type SqlExecutor, type SqlParam } from '../storage/sql.ts';
import {
  type ExpensePurpose,
  expense,
  investment,
  reservesCash,
  usd,
} from '../workflow/accounts.ts';
import { type Actor, actorName, requireRole } from '../workflow/actors.ts';
import {
  approvedBefore,
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
import { reserveIncome, shareOf } from './income.ts';
import { getPosition, type StoredPosition } from './positions.ts';
import { type BookReader, excessFloor } from './valuation.ts';

export type InvestmentStatus = 'pending-approval' | 'approved' | 'executed' | 'cancelled';

/**
 * What money leaving the reserves out of excess is for: an outside investment (an asset, with a
 * position), or an expense: a distribution partner's share of revenue, an operating cost.
 */
export type RequestPurpose = 'investment' | ExpensePurpose;
export const requestPurposes: readonly RequestPurpose[] = [
  'investment',
  'distribution',
  'operating',
];

/** An investment request, as stored. */
export interface InvestmentRequest {
  readonly id: string;
  /** What it is for: it names the target account (`investments:`, `expenses:<purpose>:`). */
  readonly purpose: RequestPurpose;
  /** The operator's ticket; names the ledger transfer, so the request posts at most once. */
  readonly reference: string;
  /**
   * The investment's name (`investments:<name>`), or the expense's partner or category
   * (`expenses:<purpose>:<name>`).
   */
  readonly name: string;
  /** The investment's asset; null for an expense. */
  readonly asset: InvestmentAsset | null;
  readonly amount: Micro;
  /** The bank whose cash pays for it. */
  readonly bank: string;
  /** Who holds the investment, or who an expense pays (the payee). */
  readonly custodian: string;
  readonly jurisdiction: string;
  /** A distribution's period of reserve income (`YYYY-MM-DD`, both ends included); else null. */
  readonly period: { readonly from: string; readonly to: string } | null;
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
  purpose: RequestPurpose;
  period_from: string | null;
  period_to: string | null;
  reference: string;
  name: string;
  asset: InvestmentAsset | null;
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

const columns = `id, purpose, period_from::text, period_to::text, reference, name, asset, amount::text, bank, custodian, jurisdiction, statement_sha256,
  status, maker, approvals_required, failure, created_at_us::text, executed_at_us::text`;

function fromRow(row: Row): InvestmentRequest {
  return {
    id: row.id,
    purpose: row.purpose,
    period:
      row.period_from === null || row.period_to === null
        ? null
        : { from: row.period_from, to: row.period_to },
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
 * Requests out of excess (investments and expenses), newest first, optionally in one status
 * or of one purpose; `after` is the last id of the
 * previous page.
 * @example await listInvestments(db, { status: 'pending-approval', limit: 50 })
 */
export async function listInvestments(
  db: SqlExecutor,
  options: {
    status?: InvestmentStatus;
    kind?: 'investment' | 'expense';
    purpose?: RequestPurpose;
    limit: number;
    after?: string;
  },
): Promise<InvestmentRequest[]> {
  const { where, params } = pageQuery(
    {
      status: options.status,
      purpose: options.purpose,
      "(purpose = 'investment')":
        options.kind === undefined ? undefined : String(options.kind === 'investment'),
    },
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
  if (request.asset === null) throw new Error('assertion failed: an investment has an asset');
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
 * What the approvers of an expense sign (`kind` `expense`): its purpose, the partner or
 * category, the amount, the bank, the payee and its country, the period of a distribution.
 * @example describeIntent(expenseIntent(request)) // 'expense amount 20,000.000000, bank bank-a, currency USD, jurisdiction US, name audit, payee "Audit LLP", period none, purpose operating, …'
 */
export function expenseIntent(
  request: Pick<
    InvestmentRequest,
    | 'id'
    | 'purpose'
    | 'reference'
    | 'name'
    | 'amount'
    | 'bank'
    | 'custodian'
    | 'jurisdiction'
    | 'period'
  >,
): Intent {
  return {
    kind: 'expense',
    requestId: request.id,
    purpose: request.purpose,
    reference: request.reference,
    name: request.name,
    amount: formatAmount(request.amount),
    currency: usd,
    bank: request.bank,
    payee: request.custodian,
    jurisdiction: request.jurisdiction,
    period: request.period === null ? 'none' : `${request.period.from}..${request.period.to}`,
  };
}

/**
 * What a request's approvers sign: an investment's intent (unchanged by purposes) or an
 * expense's.
 * @example requestIntent(request).kind // 'investment' or 'expense'
 */
export function requestIntent(request: InvestmentRequest): Intent {
  return request.purpose === 'investment' ? investmentIntent(request) : expenseIntent(request);
}

/** The ledger account a request pays into. */
function targetOf(request: Pick<InvestmentRequest, 'purpose' | 'name'>) {
  return request.purpose === 'investment'
    ? investment(request.name)
    : expense(request.purpose, request.name);
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

/** What a proposal takes: an investment (the default purpose) or an expense. */
export type InvestmentInput =
  | (Custody & {
      purpose?: 'investment';
      reference: string;
      name: string;
      asset: InvestmentAsset;
      amount: Micro;
      bank: string;
    })
  | ExpenseInput;

/**
 * An expense's proposal: `name` is the distribution partner (one of the policy's
 * `revenueShare`) or the operating category; `payee` who is paid, in `jurisdiction`; a
 * distribution names the closed period of reserve income it shares (`period`).
 */
export type ExpenseInput = {
  purpose: ExpensePurpose;
  reference: string;
  name: string;
  amount: Micro;
  bank: string;
  payee: string;
  jurisdiction: string;
  period?: { from: string; to: string };
};

/**
 * Refuses a distribution over what its partner is due for its period (`distributionDue`):
 * approvers are asked to sign only what the configured share gives.
 */
async function requireDue(
  reader: BookReader,
  partner: string,
  period: { from: string; to: string },
  amount: Micro,
): Promise<void> {
  const due = (await distributionDue(reader, period.from, period.to)).find(
    (entry) => entry.partner === partner,
  );
  if (due === undefined || amount > due.due)
    invalid(
      'amount',
      `at most what ${partner} is due for ${period.from}..${period.to}: ${formatAmount(due?.due ?? 0n)} (${due?.shareBps ?? 0} bp of reserve income, less ${formatAmount(due?.booked ?? 0n)} paid)`,
    );
}

function isExpense(input: InvestmentInput): input is ExpenseInput {
  return input.purpose === 'distribution' || input.purpose === 'operating';
}

/** An expense's own checks: the partner, the period (closed by `today`), no asset or statement. */
function checkExpense(
  input: ExpenseInput,
  policy: PolicyDocument,
  today: string,
): { from: string; to: string } | null {
  for (const field of ['asset', 'statement', 'custodian'] as const)
    if (field in input)
      invalid(field, `absent in an expense (${input.purpose}): it has no position`);
  if (input.purpose === 'operating') {
    if (input.period !== undefined) invalid('period', 'absent in an operating expense');
    return null;
  }
  if (!(policy.revenueShare ?? []).some((share) => share.partner === input.name))
    invalid('partner', "a distribution partner of the policy's revenueShare");
  if (input.period === undefined || typeof input.period !== 'object')
    invalid('period', 'the period of reserve income it shares: { from, to }');
  const from = isoDate(input.period.from, 'period.from');
  const to = isoDate(input.period.to, 'period.to');
  if (daysBetween(from, to) < 0) invalid('period.from', 'on or before period.to');
  if (daysBetween(to, today) <= 0) invalid('period.to', 'a day before today: a closed period');
  return { from, to };
}

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
    'purpose',
    'reference',
    'name',
    'asset',
    'amount',
    'bank',
    'custodian',
    'jurisdiction',
    'statement',
  ] as const;
  return (
    keys.every((key) => a[key] === b[key]) &&
    a.period?.from === b.period?.from &&
    a.period?.to === b.period?.to
  );
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
    const purpose = input.purpose ?? 'investment';
    if (!requestPurposes.includes(purpose)) invalid('purpose', requestPurposes.join(', '));
    const name = checkName(input.name, purpose === 'distribution' ? 'partner' : 'name');
    const bank = checkName(input.bank, 'bank');
    const amount = checkAmount(input.amount, 'amount');
    if ('bufferBps' in input)
      invalid(
        'bufferBps',
        "absent: the buffer is the policy's (reserves.investBufferBps), which only a quorum changes",
      );
    const policy = await policyInForce(ctx.db);
    const nowUs = ctx.clockUs();
    let period: { from: string; to: string } | null = null;
    let asset: InvestmentAsset | null = null;
    if (isExpense(input)) period = checkExpense(input, policy, newYorkDate(Number(nowUs / 1000n)));
    else {
      asset = input.asset;
      if (!investmentAssets.includes(asset)) invalid('asset', investmentAssets.join(', '));
    }
    const held = await custody(
      ctx.db,
      isExpense(input) ? { custodian: input.payee, jurisdiction: input.jurisdiction } : input,
    ).catch((error: unknown) => {
      // An expense's custodian is its payee: the refusal names the field the caller gave.
      if (purpose !== 'investment' && error instanceof ClearpegError && error.field === 'custodian')
        invalid('payee', error.rule ?? '1 to 200 characters');
      throw error;
    });
    // The custodian (or payee) is signed and read by approvers: text a person can read.
    requireReadableText(
      held.custodian,
      purpose === 'investment' ? 'custodian' : 'payee',
      'reserves-invalid',
    );
    const proposed: Omit<InvestmentRequest, 'id'> = {
      purpose,
      period,
      reference,
      name,
      asset,
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
    if (purpose === 'distribution') await requireDue(reader, name, period!, amount);
    await requireExcess(reader, excess, amount, investBufferBps(policy));
    await requireCash(reader, bank, amount);
    return commit(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO investment_requests (id, reference, name, asset, amount, bank, custodian, jurisdiction,
           statement_sha256, status, maker, approvals_required, created_at_us, updated_at_us,
           purpose, period_from, period_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending-approval', $10, $11, $12, $12, $13, $14::date, $15::date)
         ON CONFLICT (reference) DO NOTHING RETURNING id`,
        [
          uuidv7(),
          reference,
          name,
          asset,
          amount,
          bank,
          held.custodian,
          held.jurisdiction,
          evidenceParams(held.evidence)[0],
          proposed.maker,
          proposed.approvalsRequired,
          nowUs,
          purpose,
          period?.from ?? null,
          period?.to ?? null,
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
          purpose,
          name,
          asset: asset ?? 'none',
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
      if (request.status !== 'pending-approval') {
        const again = await approvedBefore(tx, 'investment', request.id, request, approval);
        if (again !== undefined) return again;
        notIn(request, 'investment-not-pending-approval', 'an investment awaiting approval');
      }
      return approveSubject(tx, 'investment_requests', request, {
        kind: 'investment',
        subjectId: request.id,
        initiatorId: request.maker,
        intent: requestIntent(request),
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
): Promise<{ request: InvestmentRequest; position: StoredPosition | null }> {
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
        intent: requestIntent(request),
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
    const invests = request.purpose === 'investment';
    const held = await custody(ctx.db, {
      custodian: request.custodian,
      jurisdiction: request.jurisdiction,
      ...(request.statement === null ? {} : { statement: request.statement }),
    });
    const positionId = `investment:${request.name}`;
    // An investment's key is as it always was; an expense's names its purpose.
    const key = invests
      ? `invest:${request.name}:${request.reference}`
      : `expense:${request.purpose}:${request.name}:${request.reference}`;
    const transfer = await treasuryTransfer(
      ctx,
      key,
      [{ debit: targetOf(request), credit: reservesCash(request.bank), amount: request.amount }],
      invests
        ? { 'reserves.position': positionId, 'reserves.op': 'invest', 'investment.id': request.id }
        : { 'reserves.op': `expense-${request.purpose}`, 'investment.id': request.id },
    );
    return commit.ledger(async (tx, apply) => {
      // Locked after the journal head: a cancel or a second execution waits, then sees it.
      const now = await getInvestment(tx, request.id, true);
      if (now.status !== 'approved')
        notIn(now, 'investment-not-approved', 'an approved investment');
      if (request.period !== null) await requirePeriodOpen(tx, request);
      const reader: BookReader = { db: tx, ledger: ctx.ledger };
      await requireExcess(reader, excess, request.amount, bufferBps);
      await requireCash(reader, request.bank, request.amount);
      const [outcome] = await apply([transfer]);
      requireCommitted(outcome, key, 'amount');
      const nowUs = ctx.clockUs();
      if (invests)
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
          position: invests ? await getPosition(tx, positionId) : null,
        },
        detail: {
          purpose: request.purpose,
          name: request.name,
          asset: request.asset ?? 'none',
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
 * Refuses (`distribution-period-booked`) a distribution whose partner was paid already for a
 * period that overlaps its own: read under the journal-head lock, so two executions at once
 * cannot both pay one period.
 */
async function requirePeriodOpen(db: SqlExecutor, request: InvestmentRequest): Promise<void> {
  const { rows } = await db.query<{ id: string; period_from: string; period_to: string }>(
    `SELECT id, period_from::text, period_to::text FROM investment_requests
     WHERE purpose = 'distribution' AND status = 'executed' AND name = $1 AND id <> $2
       AND period_from <= $4::date AND period_to >= $3::date LIMIT 1`,
    [request.name, request.id, request.period!.from, request.period!.to],
  );
  const [paid] = rows;
  if (paid !== undefined)
    throw new ClearpegError(
      'distribution-period-booked',
      `${request.name} was paid for ${paid.period_from}..${paid.period_to} already (request ${paid.id}), which overlaps ${request.period!.from}..${request.period!.to}`,
      { field: 'period', rule: "a period not overlapping one the partner's share was paid for" },
    );
}

/**
 * What each distribution partner was paid for periods within `from`…`to` (executed requests).
 * @example (await distributionsBooked(db, '2026-01-01', '2026-03-31')).get('acme-wallet')
 */
export async function distributionsBooked(
  db: SqlExecutor,
  from: string,
  to: string,
): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ name: string; paid: string }>(
    `SELECT name, sum(amount)::text AS paid FROM investment_requests
     WHERE purpose = 'distribution' AND status = 'executed'
       AND period_from >= $1::date AND period_to <= $2::date GROUP BY name`,
    [from, to],
  );
  return new Map(rows.map((row) => [row.name, BigInt(row.paid)]));
}

/** A revenue-share partner's due for a period. */
export interface DistributionDue {
  readonly partner: string;
  readonly shareBps: number;
  /** Its share of the period's reserve income (`shareOf`). */
  readonly share: bigint;
  /** What it was paid for periods within this one. */
  readonly booked: bigint;
  /** share − booked, or 0. */
  readonly due: bigint;
}

/**
 * What each revenue-share partner of the policy in force is due for `from`…`to`: its share of
 * the period's reserve income (interest and trading), less the distributions executed for
 * periods within it.
 * @example (await distributionDue(ctx, '2026-11-01', '2026-11-30'))[0]?.due
 */
export async function distributionDue(
  reader: BookReader,
  from: string,
  to: string,
): Promise<DistributionDue[]> {
  const shares = (await policyInForce(reader.db)).revenueShare ?? [];
  if (shares.length === 0) return [];
  const [earned, booked] = [
    await reserveIncome(reader, from, to),
    await distributionsBooked(reader.db, from, to),
  ];
  return shares.map(({ partner, shareBps }) => {
    const share = shareOf(earned, shareBps);
    const paid = booked.get(partner) ?? 0n;
    return { partner, shareBps, share, booked: paid, due: share > paid ? share - paid : 0n };
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
