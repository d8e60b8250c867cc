/**
 * Redemptions: where a customer sends tokens to redeem them (and at what fee), and the
 * redemptions the indexer found.
 */
import { getRedemption, listRedemptions, redemptionQuote } from '../../issuance/redemption.ts';
import { parseAmount } from '../../money/money.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  idParam,
  pageLimit,
  quote,
  quoteBody,
  redemption,
  redemptionPage,
  redemptionsQuery,
} from '../schemas.ts';
import { quoteView, redemptionView } from '../views.ts';
import type { RouteDeps } from './deps.ts';

/** The redemption routes. */
export function redemptionRoutes({ ctx }: RouteDeps): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/redemptions/quote',
      operationId: 'quoteRedemption',
      summary:
        "The customer's redemption address on a chain (registered now if new) and the fee for an amount",
      tag: 'redemptions',
      auth: 'key',
      body: quoteBody,
      responses: { 200: quote },
      problems: [
        'forbidden',
        'amount-invalid',
        'customer-not-found',
        'customer-not-approved',
        'chain-unknown',
      ],
      handle: async ({ actor, body }) => {
        const quoted = await redemptionQuote(ctx, actor, {
          customerId: body.customerId,
          chainId: body.chainId,
          ...(body.amount === undefined ? {} : { amount: parseAmount(body.amount) }),
        });
        return { status: 200, body: quoteView(quoted) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/redemptions',
      operationId: 'listRedemptions',
      summary: 'Redemptions, newest first, a page at a time, optionally by customer or status',
      tag: 'redemptions',
      auth: 'operator',
      query: redemptionsQuery,
      responses: { 200: redemptionPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await listRedemptions(ctx.db, { ...query, limit });
        return pageBody('redemptions', page, limit, redemptionView, (item) => item.id);
      },
    }),
    route({
      method: 'get',
      path: '/v1/redemptions/:id',
      operationId: 'getRedemption',
      summary: 'A redemption: the transfer, the fee, what is owed, the burn',
      tag: 'redemptions',
      auth: 'operator',
      params: idParam,
      responses: { 200: redemption },
      problems: ['redemption-not-found'],
      handle: async ({ params }) => ({
        status: 200,
        body: redemptionView(await getRedemption(ctx.db, params.id)),
      }),
    }),
  ];
}
