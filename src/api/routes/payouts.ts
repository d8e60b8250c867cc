/**
 * Payouts: a customer's dollars to their bank, made by one operator, approved by others'
 * signatures over the intent shown here, then marked sent with the bank's reference.
 */
import type { ErrorCode } from '../../errors.ts';
import {
  approvePayout,
  cancelPayout,
  createPayout,
  getPayout,
  listPayouts,
  markPayoutSent,
  type Payout,
} from '../../issuance/payouts.ts';
import { parseAmount } from '../../money/money.ts';
import type { SqlExecutor } from '../../storage/sql.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  cancelBody,
  createPayoutBody,
  idParam,
  pageLimit,
  payout,
  payoutDetail,
  payoutPage,
  payoutSentBody,
  payoutsQuery,
} from '../schemas.ts';
import { payoutView } from '../views.ts';
import { approvalRoute, withApprovals } from './approvals.ts';
import type { RouteDeps } from './deps.ts';

/** A payout with who approved it. */
const payoutDetailView = (db: SqlExecutor, found: Payout) =>
  withApprovals(db, 'payout', payoutView(found));

/** Problems of the steps after the payout is made. */
const stepProblems: readonly ErrorCode[] = [
  'forbidden',
  'payout-not-found',
  'payout-invalid',
  'ledger-busy',
];

/** The payout routes. */
export function payoutRoutes({ ctx }: RouteDeps): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/payouts',
      operationId: 'createPayout',
      summary: "Instructs a payout (the maker's step); reserves the customer's fiat",
      tag: 'payouts',
      auth: 'key',
      body: createPayoutBody,
      responses: { 201: payout },
      problems: [
        'forbidden',
        'payout-invalid',
        'amount-invalid',
        'customer-not-found',
        'redemption-not-found',
        'bank-unknown',
        'payout-exceeds-balance',
        'ledger-busy',
      ],
      handle: async ({ actor, body, requestKey }) => {
        const made = await createPayout(ctx, actor, {
          ...body,
          amount: parseAmount(body.amount),
          ...(requestKey === undefined ? {} : { requestKey }),
        });
        return { status: 201, body: payoutView(made) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/payouts',
      operationId: 'listPayouts',
      summary: 'Payouts, newest first, a page at a time, optionally by status or customer',
      tag: 'payouts',
      auth: 'operator',
      query: payoutsQuery,
      responses: { 200: payoutPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await listPayouts(ctx.db, { ...query, limit });
        return pageBody('payouts', page, limit, payoutView, (item) => item.id);
      },
    }),
    route({
      method: 'get',
      path: '/v1/payouts/:id',
      operationId: 'getPayout',
      summary: 'A payout, its intent (what checkers sign) and its approvals',
      tag: 'payouts',
      auth: 'operator',
      params: idParam,
      responses: { 200: payoutDetail },
      problems: ['payout-not-found'],
      handle: async ({ params }) => ({
        status: 200,
        body: await payoutDetailView(ctx.db, await getPayout(ctx.db, params.id)),
      }),
    }),
    approvalRoute({
      db: ctx.db,
      kind: 'payout',
      path: '/v1/payouts/:id/approvals',
      operationId: 'approvePayout',
      summary: "Adds the caller's signed approval; at the quorum the payout is approved",
      tag: 'payouts',
      response: payoutDetail,
      problems: ['payout-not-found', 'payout-not-pending-approval'],
      approve: (actor, id, approval) => approvePayout(ctx, actor, id, approval),
      view: payoutView,
    }),
    route({
      method: 'post',
      path: '/v1/payouts/:id/sent',
      operationId: 'markPayoutSent',
      summary: "Records the bank's reference of the sent wire; posts the reserved fiat",
      tag: 'payouts',
      auth: 'key',
      params: idParam,
      body: payoutSentBody,
      responses: { 200: payoutDetail },
      problems: [
        ...stepProblems,
        'payout-not-approved',
        'quorum-reverify-failed',
        'payout-reservation-lost',
      ],
      handle: async ({ actor, params, body }) => ({
        status: 200,
        body: await payoutDetailView(ctx.db, await markPayoutSent(ctx, actor, params.id, body)),
      }),
    }),
    route({
      method: 'post',
      path: '/v1/payouts/:id/cancel',
      operationId: 'cancelPayout',
      summary: 'Cancels a payout not yet sent; voids its reservation',
      tag: 'payouts',
      auth: 'key',
      params: idParam,
      body: cancelBody,
      responses: { 200: payoutDetail },
      problems: [...stepProblems, 'payout-not-pending-approval'],
      handle: async ({ actor, params, body }) => ({
        status: 200,
        body: await payoutDetailView(ctx.db, await cancelPayout(ctx, actor, params.id, body)),
      }),
    }),
  ];
}
