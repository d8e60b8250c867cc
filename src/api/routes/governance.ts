/**
 * Governance: changes to the policy, the operators, a breaker or the token's pause, each
 * proposed by one operator and adopted only with a quorum of others' signatures; and tripping
 * a breaker, which anyone with the role may do at once (stopping is never under quorum).
 */
import {
  approveChange,
  type Change,
  getChange,
  listChanges,
  proposeChange,
  tripBreaker,
} from '../../issuance/governance.ts';
import type { SqlExecutor } from '../../storage/sql.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  breakerTrip,
  change,
  changeDetail,
  changeList,
  changesQuery,
  idParam,
  pageLimit,
  proposeChangeBody,
  tripBreakerBody,
} from '../schemas.ts';
import { changeView } from '../views.ts';
import { approvalRoute, withApprovals } from './approvals.ts';
import type { RouteDeps } from './deps.ts';

/** A change with who approved it. */
const changeDetailView = (db: SqlExecutor, found: Change) =>
  withApprovals(db, 'change', changeView(found));

/** The governance routes. */
export function governanceRoutes({ ctx }: RouteDeps): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/changes',
      operationId: 'proposeChange',
      summary: 'Proposes a change (admin); it takes effect with a quorum of other approvers',
      tag: 'governance',
      auth: 'key',
      body: proposeChangeBody,
      responses: { 201: change },
      problems: [
        'forbidden',
        'change-invalid',
        'operator-exists',
        'operator-not-found',
        'approval-key-taken',
        'api-key-taken',
        'breaker-not-tripped',
        'chain-unknown',
        'quorum-unreachable',
      ],
      handle: async ({ actor, body, requestKey }) => ({
        status: 201,
        body: changeView(
          await proposeChange(ctx, actor, {
            ...body,
            ...(requestKey === undefined ? {} : { requestKey }),
          }),
        ),
      }),
    }),
    route({
      method: 'get',
      path: '/v1/changes',
      operationId: 'listChanges',
      summary: 'The changes, newest first, optionally of one status',
      tag: 'governance',
      auth: 'operator',
      query: changesQuery,
      responses: { 200: changeList },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await listChanges(ctx.db, { ...query, limit });
        return pageBody('changes', page, limit, changeView, (item) => item.id);
      },
    }),
    route({
      method: 'get',
      path: '/v1/changes/:id',
      operationId: 'getChange',
      summary: 'A change, its intent (what approvers sign) and its approvals',
      tag: 'governance',
      auth: 'operator',
      params: idParam,
      responses: { 200: changeDetail },
      problems: ['change-not-found'],
      handle: async ({ params }) => ({
        status: 200,
        body: await changeDetailView(ctx.db, await getChange(ctx.db, params.id)),
      }),
    }),
    approvalRoute({
      db: ctx.db,
      kind: 'change',
      path: '/v1/changes/:id/approvals',
      operationId: 'approveChange',
      summary: "Adds the caller's signed approval; at the quorum the change is applied",
      tag: 'governance',
      response: changeDetail,
      problems: ['change-not-found', 'change-not-pending', 'change-expired'],
      approve: (actor, id, approval) => approveChange(ctx, actor, id, approval),
      view: changeView,
    }),
    route({
      method: 'post',
      path: '/v1/breakers',
      operationId: 'tripBreaker',
      summary: 'Trips a breaker now (admin or compliance): `mint` stops all minting',
      tag: 'governance',
      auth: 'key',
      body: tripBreakerBody,
      responses: { 201: breakerTrip, 200: breakerTrip },
      problems: ['forbidden', 'breaker-invalid'],
      handle: async ({ actor, body }) => {
        const trip = await tripBreaker(ctx, actor, body.name, body.reason);
        return { status: trip.tripped ? 201 : 200, body: trip };
      },
    }),
  ];
}
