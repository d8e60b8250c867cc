/**
 * The transparency log through the API (docs/transparency.md): the published files at `/log/`
 * (the same bytes as the static directory any host can serve: checkpoint, verifier key,
 * witnesses, tiles, entry bundles, sum tiles, custodian statements), and each customer's leaf
 * of the newest liabilities round, to operators only: a customer is told its leaf once and
 * then checks it from public tiles, so the issuer never learns whose proof is checked.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'hono';
import { z } from 'zod';
import { leafFormat, leafOf } from '../../attest/rounds.ts';
import { ClearpegError } from '../../errors.ts';
import { getCustomer } from '../../issuance/customers.ts';
import { type Route, route } from '../route.ts';
import { customerParam } from '../schemas.ts';
import type { RouteDeps } from './deps.ts';

/** The log a serving process publishes: where its files are, its origin and rounds' secret. */
export interface LogDeps {
  /** The directory holding `log/` (LogPublisher's root). */
  readonly root: string;
  readonly origin: string;
  readonly master: Uint8Array;
  /** The size of the checkpoint this process published, when it runs the log's publisher. */
  readonly publishedSize?: () => bigint;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const amount = z.string().regex(/^(?:0|[1-9][0-9]*)\.[0-9]{6}$/);
const counter = z.string().regex(/^(?:0|[1-9][0-9]{0,19})$/);
const leafFile = z.strictObject({
  format: z.literal(leafFormat),
  origin: z.string(),
  round: counter,
  index: counter,
  size: counter,
  customerId: z.string(),
  salt: hex64,
  value: amount,
});

/**
 * The transparency routes of the route table.
 * @example transparencyRoutes(deps).map((r) => r.path) // ['/v1/customers/:id/liabilities-leaf']
 */
export function transparencyRoutes({ ctx, log }: RouteDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/v1/customers/:id/liabilities-leaf',
      operationId: 'getLiabilitiesLeaf',
      summary:
        "A customer's leaf in the newest liabilities round: index, salt and balance, to check against the public sum tiles",
      tag: 'customers',
      auth: 'operator',
      params: customerParam,
      responses: { 200: leafFile },
      problems: ['customer-not-found', 'liabilities-leaf-unknown'],
      handle: async ({ params }) => {
        await getCustomer(ctx.db, params.id);
        if (log === undefined)
          throw new ClearpegError(
            'liabilities-leaf-unknown',
            'this server publishes no transparency log',
            { field: 'id', rule: 'a customer counted in an attestation round' },
          );
        return {
          status: 200,
          body: await leafOf(ctx.db, params.id, log.master, log.origin, log.publishedSize?.()),
        };
      },
    }),
  ];
}

/** The paths under /log/ that exist, and nothing else (no `..`, no other file of the directory). */
const group = '(?:x[0-9]{3}/)*[0-9]{3}';
const tile = `tile/(?:[0-9]|entries)/${group}(?:\\.p/[1-9][0-9]{0,2})?`;
const logPath = new RegExp(
  `^(?:checkpoint|vkey|witnesses|${tile}|liabilities/(?:0|[1-9][0-9]{0,19})/tile/[0-9]/${group}(?:\\.p/[1-9][0-9]{0,2})?|statements/[0-9a-f]{64})$`,
);

/**
 * The handler of `GET /log/*`: the published file, `text/plain` for the notes and keys, bytes
 * for the rest; immutable for everything but `checkpoint` and `witnesses`.
 * @example app.get('/log/*', logFiles(root))
 */
export function logFiles(root: string) {
  return async (c: Context) => {
    const path = c.req.path.slice('/log/'.length);
    if (!logPath.test(path))
      throw new ClearpegError('route-not-found', `no published file ${c.req.path}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(root, 'log', path));
    } catch {
      throw new ClearpegError('route-not-found', `no published file ${c.req.path}`);
    }
    const text = /^(?:checkpoint|vkey|witnesses)$/.test(path);
    const changes = path === 'checkpoint' || path === 'witnesses';
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'cache-control': changes ? 'no-cache' : 'public, max-age=31536000, immutable',
      'access-control-allow-origin': '*',
    });
  };
}
