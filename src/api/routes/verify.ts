/**
 * The operator's checks of the running issuer: the ledger's replay, the audit chain, each
 * chain's status and supply parity, and everything at once (`GET /v1/verify`). Any operator
 * may run them (an auditor is enough). They answer 200 with `ok: false` when a check fails:
 * the failure is the finding, not an error of the request.
 *
 * A verification reads the whole journal and yields to the event loop as it goes; one runs at
 * a time per server (a second is `409 verification-running`), so that checks cannot crowd out
 * the issuer's own work.
 */
import { loadChains } from '../../chain/config.ts';
import { chainParities, chainStatuses, parityHolds } from '../../chain/status.ts';
import { clusterStatus } from '../../cluster/leases.ts';
import { ClearpegError } from '../../errors.ts';
import { auditCheck, ledgerCheck, parseExpectedHead, verifyAll } from '../../verify/checks.ts';
import { type Route, route } from '../route.ts';
import {
  auditCheck as auditCheckSchema,
  chainParityList,
  chainStatusList,
  clusterStatus as clusterStatusSchema,
  ledgerCheck as ledgerCheckSchema,
  ledgerVerifyQuery,
  verifyAllReport,
} from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

/** Runs `body` unless another verification of this gate is running. */
function oneAtATime(): <T>(body: () => Promise<T>) => Promise<T> {
  let running = false;
  return async (body) => {
    if (running)
      throw new ClearpegError(
        'verification-running',
        'another verification is running on this server: retry when it ends',
        { rule: 'one verification at a time' },
      );
    running = true;
    try {
      return await body();
    } finally {
      running = false;
    }
  };
}

/** The check routes. */
export function verifyRoutes({ ctx, store, chains }: RouteDeps): Route[] {
  const gate = oneAtATime();
  const configured = () => chains ?? loadChains();
  return [
    route({
      method: 'get',
      path: '/v1/ledger/verify',
      operationId: 'verifyLedger',
      summary:
        'Replay the journal: every hash link, every balance and pending transfer; ?expectHead= a head noted before',
      tag: 'checks',
      auth: 'operator',
      query: ledgerVerifyQuery,
      responses: { 200: ledgerCheckSchema },
      problems: ['verification-running'],
      handle: async ({ query }) => {
        const expectHead =
          query.expectHead === undefined
            ? undefined
            : parseExpectedHead(query.expectHead, (rule) => {
                throw new ClearpegError('request-invalid', rule, { field: 'expectHead', rule });
              });
        const view = await gate(() =>
          ledgerCheck(ctx.db, store, expectHead === undefined ? {} : { expectHead }),
        );
        return { status: 200, body: view };
      },
    }),
    route({
      method: 'get',
      path: '/v1/audit/verify',
      operationId: 'verifyAudit',
      summary: "Recompute the audit log's hash chain; names the first broken entry",
      tag: 'checks',
      auth: 'operator',
      responses: { 200: auditCheckSchema },
      problems: ['verification-running'],
      handle: async () => ({ status: 200, body: await gate(() => auditCheck(ctx.db)) }),
    }),
    route({
      method: 'get',
      path: '/v1/chains',
      operationId: 'listChains',
      summary: 'Each configured chain: token, indexed block, open requests, parity, breakers',
      tag: 'checks',
      auth: 'operator',
      responses: { 200: chainStatusList },
      problems: [],
      handle: async () => ({
        status: 200,
        body: { chains: await chainStatuses(ctx.db, configured()) },
      }),
    }),
    route({
      method: 'get',
      path: '/v1/status',
      operationId: 'clusterStatus',
      summary:
        "The issuer's processes on this database and who holds each worker's lease, with its fencing token",
      tag: 'checks',
      auth: 'operator',
      responses: { 200: clusterStatusSchema },
      problems: [],
      handle: async () => ({ status: 200, body: await clusterStatus(ctx.db) }),
    }),
    route({
      method: 'get',
      path: '/v1/chains/parity',
      operationId: 'listChainParity',
      summary: "Each chain's newest supply parity check; ok is false if one does not hold",
      tag: 'checks',
      auth: 'operator',
      responses: { 200: chainParityList },
      problems: [],
      handle: async () => {
        const parities = await chainParities(ctx.db, configured());
        return { status: 200, body: { ok: parityHolds(parities), chains: parities } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/verify',
      operationId: 'verifyAll',
      summary:
        'Every check: ledger, audit log, parity, and each deposit, mint, redemption, payout and reserve lot against the ledger',
      tag: 'checks',
      auth: 'operator',
      responses: { 200: verifyAllReport },
      problems: ['verification-running'],
      handle: async () => ({
        status: 200,
        body: await gate(() => verifyAll(ctx.db, store, configured())),
      }),
    }),
  ];
}
