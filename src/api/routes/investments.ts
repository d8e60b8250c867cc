/**
 * Investments out of excess, under quorum: a treasurer proposes, approvers other than the
 * proposer sign the request's intent, a treasurer executes it (the excess checked and the
 * transfer posted in one atomic step). Made by `reserveRoutes`, which owns the excess check
 * (the ruleset and its context) and judges the book again after an execution.
 */
import type { ErrorCode } from '../../errors.ts';
import { parseAmount } from '../../money/money.ts';
import type { SqlExecutor } from '../../storage/sql.ts';
import {
  approveInvestment,
  cancelInvestment,
  type ExcessCheck,
  executeInvestment,
  getInvestment,
  type InvestmentInput,
  type InvestmentRequest,
  listInvestments,
  proposeInvestment,
} from '../../treasury/investments.ts';
import type { Actor } from '../../workflow/actors.ts';
import type { IssuanceContext } from '../../workflow/context.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  cancelInvestmentBody,
  executeInvestmentBody,
  expenseBody,
  idParam,
  investBody,
  investmentDetail,
  investmentPage,
  investmentsQuery,
  pageLimit,
} from '../schemas.ts';
import { investmentView } from '../views.ts';
import { approvalRoute, withApprovals } from './approvals.ts';

/** An investment request with who approved it. */
const detailView = (db: SqlExecutor, found: InvestmentRequest) =>
  withApprovals(db, 'investment', investmentView(found));

/** Problems of a proposal, an investment's or an expense's. */
const proposeProblems: readonly ErrorCode[] = [
  'forbidden',
  'reserves-invalid',
  'amount-invalid',
  'reserves-no-excess',
  'reserves-cash-short',
  'investment-reference-taken',
  'ledger-busy',
];

/** Problems of the steps after the request is made. */
const stepProblems: readonly ErrorCode[] = [
  'forbidden',
  'investment-not-found',
  'reserves-invalid',
  'ledger-busy',
];

/** What the investment routes take from the reserve routes. */
export interface InvestmentRouteDeps {
  readonly ctx: IssuanceContext;
  /** The excess check by the configured ruleset and its context, read when asked. */
  excess(): Promise<ExcessCheck>;
  /** Judges the book again after an execution changed it (so the mint gate sees it). */
  rejudge(what: string): Promise<void>;
}

/** The investment routes, under `/v1/reserves/investments`. */
export function investmentRoutes({ ctx, excess, rejudge }: InvestmentRouteDeps): Route[] {
  /** A proposal, of an investment or an expense: one request out of excess. */
  const propose = async (
    actor: Actor,
    body: Omit<InvestmentInput, 'amount'> & { amount: string },
  ) => {
    const made = await proposeInvestment(
      ctx,
      actor,
      { ...body, amount: parseAmount(body.amount, 'amount') } as InvestmentInput,
      await excess(),
    );
    return { status: 201 as const, body: await detailView(ctx.db, made) };
  };
  return [
    route({
      method: 'post',
      path: '/v1/reserves/investments',
      operationId: 'proposeInvestment',
      summary:
        "Proposes moving cash into an outside investment, only out of the excess of eligible reserves over liabilities and the policy's buffer; it waits for approvals (treasurer)",
      tag: 'reserves',
      auth: 'key',
      body: investBody,
      responses: { 201: investmentDetail },
      problems: [...proposeProblems, 'statement-invalid', 'statement-unknown'],
      handle: ({ actor, body }) => propose(actor, body),
    }),
    route({
      method: 'post',
      path: '/v1/reserves/expenses',
      operationId: 'proposeExpense',
      summary:
        "Proposes paying an expense (a distribution partner's share, an operating cost) out of the excess, as an investment is: it waits for approvals, then is approved, executed and read as a request under /v1/reserves/investments/{id} (treasurer)",
      tag: 'reserves',
      auth: 'key',
      body: expenseBody,
      responses: { 201: investmentDetail },
      problems: [...proposeProblems, 'date-invalid'],
      handle: ({ actor, body }) => propose(actor, body),
    }),
    route({
      method: 'get',
      path: '/v1/reserves/investments',
      operationId: 'listInvestments',
      summary:
        'Requests out of excess (investments and expenses), newest first, a page at a time, optionally by status or purpose',
      tag: 'reserves',
      auth: 'operator',
      query: investmentsQuery,
      responses: { 200: investmentPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await listInvestments(ctx.db, { ...query, limit });
        return pageBody('investments', page, limit, investmentView, (item) => item.id);
      },
    }),
    route({
      method: 'get',
      path: '/v1/reserves/investments/:id',
      operationId: 'getInvestment',
      summary: 'An investment request, its intent (what approvers sign) and its approvals',
      tag: 'reserves',
      auth: 'operator',
      params: idParam,
      responses: { 200: investmentDetail },
      problems: ['investment-not-found'],
      handle: async ({ params }) => ({
        status: 200,
        body: await detailView(ctx.db, await getInvestment(ctx.db, params.id)),
      }),
    }),
    approvalRoute({
      db: ctx.db,
      kind: 'investment',
      path: '/v1/reserves/investments/:id/approvals',
      operationId: 'approveInvestment',
      summary: "Adds the caller's signed approval; at the quorum the investment is approved",
      tag: 'reserves',
      response: investmentDetail,
      problems: ['investment-not-found', 'investment-not-pending-approval'],
      approve: (actor, id, approval) => approveInvestment(ctx, actor, id, approval),
      view: investmentView,
    }),
    route({
      method: 'post',
      path: '/v1/reserves/investments/:id/execute',
      operationId: 'executeInvestment',
      summary:
        'Executes an approved investment: the approvals verified again, then the excess checked and the cash moved in one atomic step (treasurer)',
      tag: 'reserves',
      auth: 'key',
      params: idParam,
      body: executeInvestmentBody,
      responses: { 200: investmentDetail },
      problems: [
        ...stepProblems,
        'investment-not-approved',
        'quorum-reverify-failed',
        'reserves-no-excess',
        'distribution-period-booked',
        'reserves-cash-short',
        'reserves-refused',
        'statement-unknown',
      ],
      handle: async ({ actor, params }) => {
        const { request } = await executeInvestment(ctx, actor, params.id, await excess());
        await rejudge(`investment ${request.id} was executed`);
        return { status: 200, body: await detailView(ctx.db, request) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/reserves/investments/:id/cancel',
      operationId: 'cancelInvestment',
      summary: 'Cancels an investment request not yet executed',
      tag: 'reserves',
      auth: 'key',
      params: idParam,
      body: cancelInvestmentBody,
      responses: { 200: investmentDetail },
      problems: [...stepProblems, 'investment-not-pending-approval'],
      handle: async ({ actor, params, body }) => ({
        status: 200,
        body: await detailView(ctx.db, await cancelInvestment(ctx, actor, params.id, body)),
      }),
    }),
  ];
}
