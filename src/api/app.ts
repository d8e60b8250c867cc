/**
 * The HTTP API (Hono). Routes are testable without a server: `app.request('/health')`.
 *
 * One route table (`routes/*.ts`) drives both the handlers and the OpenAPI document at
 * /openapi.json. Every request goes the same way (docs/api.md):
 *
 *   an address whose requests keep failing refused (per client address) → authenticate
 *   (Bearer API key; a public route or a failed authentication spends the address's bucket) →
 *   rate limit (per key) → path and query checked →
 *   POST: Idempotency-Key, body read within its limit, media type, JSON, schema →
 *   idempotency reservation (or the stored answer replayed) → the workflow → the answer,
 *   stored under the key when it is a success or a refusal.
 *
 * Answers are JSON, but for a route that declares `text` (route.ts): a GET that answers a
 * page (`GET /v1/reserves/report.html`, text/html; charset=utf-8). Errors are problem
 * documents (problem.ts) on every route; a 5xx is only ever a bug or an outage, never bad
 * input.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { assert, ClearpegError } from '../errors.ts';
import { type Actor, actorName } from '../workflow/actors.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { requestKeyOf } from '../workflow/request-key.ts';
import {
  completeKey,
  idempotencyHeader,
  idempotencyKeyOf,
  idempotencyStaleUsDefault,
  KeyRepairs,
  type Reservation,
  releaseKey,
  replayedHeader,
  requestHash,
  reservationMayStand,
  reserveKey,
  type StoredResponse,
} from './idempotency.ts';
import { openApiDocument } from './openapi.ts';
import { problemContentType, problemOf, sendProblem } from './problem.ts';
import {
  anonymousRateLimitDefault,
  clientKey,
  createRateLimiter,
  failureRateLimitDefault,
  type RateLimitOptions,
  rateLimitDefault,
} from './rate-limit.ts';
import {
  checkMediaType,
  createAuthenticator,
  jsonBodyBytesMax,
  parseJsonBody,
  readBody,
  requireOperator,
  validate,
} from './request.ts';
import { type Route, type RouteResult, route } from './route.ts';
import { customerRoutes } from './routes/customers.ts';
import { depositRoutes } from './routes/deposits.ts';
import type { RouteDeps } from './routes/deps.ts';
import { governanceRoutes } from './routes/governance.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { mintRoutes } from './routes/mints.ts';
import { oversightRoutes } from './routes/oversight.ts';
import { payoutRoutes } from './routes/payouts.ts';
import { redemptionRoutes } from './routes/redemptions.ts';
import { type ReserveDeps, reserveRoutes, shippedReserveDeps } from './routes/reserves.ts';
import { type LogDeps, logFiles, transparencyRoutes } from './routes/transparency.ts';
import { verifyRoutes } from './routes/verify.ts';

/**
 * How long `clearpeg serve` remembers a known API key: one lookup a second per key instead of
 * one per request (half the database work of a read); a revoked key keeps working for at most
 * this long (docs/api.md).
 */
export const serveAuthCacheMs = 1000;

/** What the API serves from, and its limits. */
export interface AppDeps {
  /** The issuance workflows' context: its database also holds the API keys and idempotency. */
  readonly issuance: IssuanceContext;
  /** Which database, for /health (never credentials). */
  readonly database: string;
  readonly version: string;
  /** Per-API-key rate limit (default 100 requests/s, bursts of 200). */
  readonly rateLimit?: RateLimitOptions;
  /** Per client address, requests without a valid API key (default: `limits.apiAnonymous*`). */
  readonly anonymousRateLimit?: RateLimitOptions;
  /** Per client address, failed requests (4xx but 429) (default: `limits.apiFailures*`). */
  readonly failureRateLimit?: RateLimitOptions;
  /** The client's address, the key of its buckets (default: the socket's peer; tests set it). */
  readonly clientAddress?: (c: Context) => string;
  /** How long a known API key is remembered, in ms (default 0: every request looks it up). */
  readonly authCacheMs?: number;
  /** The clock of the rate limiter, in milliseconds (tests move it by hand). */
  readonly rateLimitClockMs?: () => number;
  /** A JSON body's size limit in bytes (default 64 KiB). */
  readonly jsonBodyBytesMax?: number;
  /** How long a placeholder of a request in flight holds its key (default 60 s). */
  readonly idempotencyStaleUs?: bigint;
  /**
   * This process's instance (`LeaseKeeper.instance`): its placeholders name it, so that a
   * retry on another process takes over at once those of a process that died on this host.
   */
  readonly instance?: string;
  /** Checks every success response against its schema: a mismatch is a 500 (tests). */
  readonly checkResponses?: boolean;
  /**
   * The reserves' ruleset (what counts, judged after every treasury operation), rate curve
   * (market values) and evaluation context; default: the shipped GENIUS ruleset and DTB3.
   */
  readonly reserves?: ReserveDeps;
  /** The configured chains the chain checks report on (default: `CLEARPEG_CHAINS`). */
  readonly chains?: RouteDeps['chains'];
  /** The transparency log this process publishes: its files at /log/ and the customers' leaves. */
  readonly log?: LogDeps;
}

/**
 * The key of the socket's peer (`clientKey`: an IPv6 address by its /64), or `unknown` when
 * the request came from no socket (`app.request` in tests). Behind a reverse proxy every
 * client has the proxy's address: `X-Forwarded-For` is not trusted (docs/api.md).
 */
function peerAddress(c: Context): string {
  try {
    return clientKey(getConnInfo(c).remote.address ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/**
 * Every route: the table the app serves and documents.
 * @example routeTable(deps).map((r) => `${r.method} ${r.path}`)
 */
export function routeTable(deps: RouteDeps): Route[] {
  return [
    ...ledgerRoutes(deps),
    ...customerRoutes(deps),
    ...depositRoutes(deps),
    ...mintRoutes(deps),
    ...redemptionRoutes(deps),
    ...payoutRoutes(deps),
    ...governanceRoutes(deps),
    ...oversightRoutes(deps),
    ...reserveRoutes(deps),
    ...verifyRoutes(deps),
    ...transparencyRoutes(deps),
  ];
}

/**
 * The document's own route: its answer is made once, at the first request, from the whole
 * table (`routes`, this route included once it is pushed).
 */
function openApiRoute(routes: readonly Route[], version: string): Route {
  let document: unknown;
  return route({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApi',
    summary: 'This document: OpenAPI 3.1, generated from the same schemas that check requests',
    tag: 'meta',
    auth: 'public',
    responses: { 200: z.looseObject({ openapi: z.literal('3.1.0') }) },
    problems: [],
    handle: async () => {
      document ??= openApiDocument(routes, { version });
      return { status: 200, body: document };
    },
  });
}

const noBody = new Uint8Array(0);
/** The query of a route that takes none: any parameter is refused. */
const noQuery = z.strictObject({});

/**
 * The API application.
 * @example const res = await createApp(deps).request('/health')
 */
export function createApp(deps: AppDeps): Hono {
  const ctx = deps.issuance;
  const routeDeps: RouteDeps = {
    ctx,
    store: ctx.ledger.store,
    database: deps.database,
    version: deps.version,
    reserves: deps.reserves ?? shippedReserveDeps(),
    ...(deps.chains === undefined ? {} : { chains: deps.chains }),
    ...(deps.log === undefined ? {} : { log: deps.log }),
  };
  const routes: Route[] = routeTable(routeDeps);
  routes.push(openApiRoute(routes, deps.version));
  const authenticate = createAuthenticator(ctx.db, deps.authCacheMs ?? 0);
  const limiter = createRateLimiter(deps.rateLimit ?? rateLimitDefault, deps.rateLimitClockMs);
  const anonymous = createRateLimiter(
    deps.anonymousRateLimit ?? anonymousRateLimitDefault,
    deps.rateLimitClockMs,
    'requests without a valid API key from this address',
  );
  const failures = createRateLimiter(
    deps.failureRateLimit ?? failureRateLimitDefault,
    deps.rateLimitClockMs,
    'failed requests from this address',
  );
  const clientOf = deps.clientAddress ?? peerAddress;
  const bodyBytesMax = deps.jsonBodyBytesMax ?? jsonBodyBytesMax;
  const staleUs = deps.idempotencyStaleUs ?? idempotencyStaleUsDefault;
  const repairs = new KeyRepairs(ctx.db, ctx.clockUs, staleUs);

  const answer = (r: Route, result: RouteResult): StoredResponse => {
    if (r.text !== undefined) {
      assert(typeof result.body === 'string', `${r.operationId} answers text`);
      return { status: result.status, body: result.body };
    }
    if (deps.checkResponses) {
      const schema = r.responses[result.status];
      if (schema === undefined) throw new Error(`${r.operationId}: no ${result.status} response`);
      const checked = schema.safeParse(result.body);
      if (!checked.success)
        throw new Error(`${r.operationId}: response breaks its schema: ${checked.error.message}`);
    }
    return { status: result.status, body: JSON.stringify(result.body) };
  };
  const send = (
    c: Context,
    response: StoredResponse,
    replayed = false,
    mediaType = 'application/json',
  ): Response =>
    c.body(response.body, response.status as ContentfulStatusCode, {
      'content-type': response.status >= 400 ? problemContentType : mediaType,
      ...(replayed ? { [replayedHeader]: 'true' } : {}),
    });

  /** A POST: checked, then run once per Idempotency-Key and body. */
  const post = async (
    c: Context,
    r: Route,
    actor: Actor,
    parts: { params: unknown; query: unknown },
  ): Promise<Response> => {
    const key = idempotencyKeyOf(c.req.header(idempotencyHeader));
    const mediaTypes = r.rawBody?.mediaTypes ?? ['application/json'];
    checkMediaType(c.req.header('content-type'), mediaTypes);
    const raw = await readBody(c.req.raw, r.rawBody?.bytesMax ?? bodyBytesMax);
    const body = r.body === undefined ? undefined : validate(r.body, parseJsonBody(raw), 'body');
    const url = new URL(c.req.url);
    const hash = requestHash('POST', `${url.pathname}${url.search}`, raw);
    const caller = actorName(actor);
    // A write to the placeholder lost with the database is done again by `repairs`, so a
    // retry under the key completes soon after the database is back (idempotency.ts).
    const reservedUs = ctx.clockUs();
    let reservation: Reservation;
    try {
      reservation = await reserveKey(ctx.db, caller, key, hash, reservedUs, staleUs, deps.instance);
    } catch (error) {
      if (reservationMayStand(error)) repairs.release(caller, key, reservedUs);
      throw error;
    }
    if (!reservation.run) return send(c, reservation.stored, true);
    let response: StoredResponse;
    try {
      const requestKey = requestKeyOf(caller, key);
      response = answer(r, await r.handle({ actor, ...parts, body, raw, requestKey }));
    } catch (error) {
      const problem = problemOf(error);
      if (problem.status >= 500) {
        await releaseKey(ctx.db, caller, key, reservedUs).catch(() =>
          repairs.release(caller, key, reservedUs),
        );
        throw error;
      }
      response = { status: problem.status, body: JSON.stringify(problem) };
    }
    try {
      await completeKey(ctx.db, caller, key, response, reservedUs);
    } catch (error) {
      repairs.complete(caller, key, reservedUs, response);
      throw error;
    }
    return send(c, response);
  };

  /** The caller of a route that needs a key; a request without a valid one spends its address's bucket. */
  const authenticated = async (c: Context) => {
    try {
      return await authenticate(c.req.header('authorization'));
    } catch (error) {
      anonymous.take(clientOf(c));
      throw error;
    }
  };

  const serve = async (c: Context, r: Route): Promise<Response> => {
    let actor: Actor | undefined;
    if (r.auth === 'public') anonymous.take(clientOf(c));
    else {
      const caller = await authenticated(c);
      limiter.take(caller.keyId);
      if (r.auth === 'operator') requireOperator(caller.actor);
      actor = caller.actor;
    }
    const parts = {
      params: r.params === undefined ? undefined : validate(r.params, c.req.param(), 'path'),
      query: validate(r.query ?? noQuery, c.req.query(), 'query'),
    };
    if (r.method === 'post') return post(c, r, actor!, parts);
    return send(
      c,
      answer(
        r,
        await r.handle({
          actor: actor!,
          ...parts,
          body: undefined,
          raw: noBody,
          requestKey: undefined,
        }),
      ),
      false,
      r.text === undefined ? 'application/json' : `${r.text.mediaType}; charset=utf-8`,
    );
  };

  const app = new Hono();
  app.onError((error, c) => sendProblem(c, error));
  // An address whose requests keep failing is refused before any work, until its bucket refills.
  app.use('*', async (c, next) => {
    const client = clientOf(c);
    failures.check(client);
    await next();
    const status = c.res.status;
    if (status >= 400 && status < 500 && status !== 429) failures.charge(client);
  });
  // The published log: public, read-only files (a static host could serve them as well; only
  // the failed-requests limit above applies).
  if (deps.log !== undefined) app.get('/log/*', logFiles(deps.log.root));
  app.notFound((c) =>
    sendProblem(c, new ClearpegError('route-not-found', `no route ${c.req.method} ${c.req.path}`)),
  );
  for (const r of routes) {
    assert(r.text === undefined || r.method === 'get', `${r.operationId}: only a GET answers text`);
    app.on(r.method.toUpperCase(), r.path, (c) => serve(c, r));
  }
  return app;
}
