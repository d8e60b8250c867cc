/**
 * What operators watch: the policy in force, tripped breakers, alerts, the audit log.
 */
import { currentPolicy, policyToJson } from '../../issuance/policy.ts';
import { alerts, auditEntries, breakers } from '../queries.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  alertPage,
  alertsQuery,
  auditPage,
  auditQuery,
  breakerList,
  pageLimit,
  policyVersion,
} from '../schemas.ts';
import { alertView, auditView, breakerView } from '../views.ts';
import type { RouteDeps } from './deps.ts';

/** The oversight routes. */
export function oversightRoutes({ ctx }: RouteDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/v1/policy',
      operationId: 'getPolicy',
      summary: 'The policy in force: quorum tiers, caps, velocity limits, fees',
      tag: 'oversight',
      auth: 'operator',
      responses: { 200: policyVersion },
      problems: [],
      handle: async () => {
        const { version, policy } = await currentPolicy(ctx.db);
        return { status: 200, body: { version, policy: policyToJson(policy) } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/breakers',
      operationId: 'listBreakers',
      summary: 'The breakers tripped now (a tripped breaker stops a flow)',
      tag: 'oversight',
      auth: 'operator',
      responses: { 200: breakerList },
      problems: [],
      handle: async () => ({
        status: 200,
        body: { breakers: (await breakers(ctx.db)).map(breakerView) },
      }),
    }),
    route({
      method: 'get',
      path: '/v1/alerts',
      operationId: 'listAlerts',
      summary: 'Alerts in the order raised; ?open=true for the unacknowledged ones',
      tag: 'oversight',
      auth: 'operator',
      query: alertsQuery,
      responses: { 200: alertPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await alerts(ctx.db, { ...query, limit, open: query.open === 'true' });
        return pageBody('alerts', page, limit, alertView, (item) => item.id);
      },
    }),
    route({
      method: 'get',
      path: '/v1/audit',
      operationId: 'listAudit',
      summary: 'The audit log in order: every change and every refused request',
      tag: 'oversight',
      auth: 'operator',
      query: auditQuery,
      responses: { 200: auditPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await auditEntries(ctx.db, {
          limit,
          afterSeq: BigInt(query.after ?? '0'),
        });
        return pageBody('entries', page, limit, auditView, (item) => item.seq.toString());
      },
    }),
  ];
}
