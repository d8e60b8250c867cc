/**
 * Mints: a request (every limit checked at once), its approvals (each an approver's signature
 * over the intent shown here), and how it stands.
 */
import {
  approveMint,
  getMint,
  listMintPage,
  type MintRequest,
  requestMint,
} from '../../issuance/mint.ts';
import { parseAmount } from '../../money/money.ts';
import type { SqlExecutor } from '../../storage/sql.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  idParam,
  mint,
  mintDetail,
  mintPage,
  mintsQuery,
  pageLimit,
  requestMintBody,
} from '../schemas.ts';
import { mintView } from '../views.ts';
import { approvalRoute, withApprovals } from './approvals.ts';
import type { RouteDeps } from './deps.ts';

/** A mint request with who approved it. */
const mintDetailView = (db: SqlExecutor, request: MintRequest) =>
  withApprovals(db, 'mint', mintView(request));

/** The mint routes. */
export function mintRoutes({ ctx }: RouteDeps): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/mints',
      operationId: 'requestMint',
      summary:
        "Asks to mint to one of the customer's registered wallets; reserves their posted fiat",
      tag: 'mints',
      auth: 'key',
      body: requestMintBody,
      responses: { 201: mint },
      problems: [
        'forbidden',
        'amount-invalid',
        'customer-not-found',
        'customer-not-approved',
        'address-invalid',
        'sanctions-hit',
        'wallet-not-registered',
        'chain-unknown',
        'breaker-tripped',
        'mint-refused',
        'ledger-busy',
      ],
      handle: async ({ actor, body, requestKey }) => {
        const request = await requestMint(ctx, actor, {
          ...body,
          amount: parseAmount(body.amount),
          ...(requestKey === undefined ? {} : { requestKey }),
        });
        return { status: 201, body: mintView(request) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/mints',
      operationId: 'listMints',
      summary: 'Mint requests in the order made, a page at a time, optionally by status',
      tag: 'mints',
      auth: 'operator',
      query: mintsQuery,
      responses: { 200: mintPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await listMintPage(ctx.db, { ...query, limit });
        return pageBody('mints', page, limit, mintView, (item) => item.id);
      },
    }),
    route({
      method: 'get',
      path: '/v1/mints/:id',
      operationId: 'getMint',
      summary: 'A mint request, its intent (what approvers sign) and its approvals',
      tag: 'mints',
      auth: 'operator',
      params: idParam,
      responses: { 200: mintDetail },
      problems: ['mint-not-found'],
      handle: async ({ params }) => ({
        status: 200,
        body: await mintDetailView(ctx.db, await getMint(ctx.db, params.id)),
      }),
    }),
    approvalRoute({
      db: ctx.db,
      kind: 'mint',
      path: '/v1/mints/:id/approvals',
      operationId: 'approveMint',
      summary: "Adds the caller's signed approval; at the quorum the request is approved",
      tag: 'mints',
      response: mintDetail,
      problems: ['mint-not-found', 'mint-not-pending'],
      approve: (actor, id, approval) => approveMint(ctx, actor, id, approval),
      view: mintView,
    }),
  ];
}
