/**
 * The route table's shape: one entry per route holds its schemas (path, query, body,
 * responses), who may call it, the problems it may answer, and its handler. `app.ts` serves
 * the table and `openapi.ts` documents it, so a route cannot be served undocumented or
 * documented with another shape than it accepts.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../errors.ts';
import type { Actor } from '../workflow/actors.ts';

/** Who may call a route: anyone, any API key, or an operator's key (of any role). */
export type RouteAuth = 'public' | 'key' | 'operator';

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: the caller and the request's validated parts. */
export interface RouteCall<A extends RouteAuth, P, Q, B> {
  readonly actor: A extends 'public' ? undefined : Actor;
  readonly params: Parsed<P>;
  readonly query: Parsed<Q>;
  readonly body: Parsed<B>;
  /** The body's bytes as received (an XML statement). */
  readonly raw: Uint8Array;
  /**
   * A POST's request key: the digest of its caller and `Idempotency-Key`, which a workflow that
   * makes a request stores so that a run again makes none (src/workflow/request-key.ts).
   */
  readonly requestKey: Uint8Array | undefined;
}

/**
 * A handler's answer: a success status and its JSON body (checked against `responses`), or,
 * for a route that declares `text`, the text of the page.
 */
export interface RouteResult {
  readonly status: 200 | 201;
  readonly body: unknown;
}

/**
 * A route that answers a page of text instead of JSON (a printable HTML report): the media
 * type of its 200 answer and what it is. Its handler's `body` is the text; errors are still
 * problem documents. GET routes only: a POST's answer is stored for replay as JSON.
 */
export interface TextResponse {
  readonly mediaType: 'text/html';
  readonly description: string;
}

/** One route of the table. */
export interface RouteSpec<
  A extends RouteAuth,
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  B extends z.ZodType | undefined,
> {
  readonly method: 'get' | 'post';
  /** Hono's syntax: `/v1/customers/:id`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: A;
  readonly params?: P;
  readonly query?: Q;
  /** A JSON body (POST). */
  readonly body?: B;
  /** A raw body of this media type instead of JSON (an XML statement) and its size limit. */
  readonly rawBody?: { readonly mediaTypes: readonly string[]; readonly bytesMax: number };
  /** The success responses by status (JSON); empty for a route that answers `text`. */
  readonly responses: Partial<Record<200 | 201, z.ZodType>>;
  /** The route answers a page of this media type instead of JSON (GET only). */
  readonly text?: TextResponse;
  /** The error codes this route's workflow may answer, beyond the ones every route may. */
  readonly problems: readonly ErrorCode[];
  handle(call: RouteCall<A, P, Q, B>): Promise<RouteResult>;
}

/** A route with its types erased, as the table holds it. */
export type Route = RouteSpec<
  RouteAuth,
  z.ZodType | undefined,
  z.ZodType | undefined,
  z.ZodType | undefined
>;

/**
 * Declares a route; the handler's arguments are typed from its schemas.
 * @example route({ method: 'get', path: '/v1/policy', operationId: 'getPolicy', summary: 'The policy in force', tag: 'policy', auth: 'operator', responses: { 200: policyVersion }, problems: [], handle: async () => ({ status: 200, body: … }) })
 */
export function route<
  A extends RouteAuth,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<A, P, Q, B>): Route {
  return spec as unknown as Route;
}

/** The OpenAPI form of a Hono path: `/v1/customers/:id` → `/v1/customers/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * A page's body: `items` under `key`, and `next`, the cursor of the last item when the page is
 * full (there may be more), else null.
 * @example pageBody('mints', page, limit, mintView, (m) => m.id)
 */
export function pageBody<T, V>(
  key: string,
  items: readonly T[],
  limit: number,
  view: (item: T) => V,
  cursor: (item: T) => string,
): RouteResult {
  const next = items.length === limit ? cursor(items[items.length - 1]!) : null;
  return { status: 200, body: { [key]: items.map(view), next } };
}
