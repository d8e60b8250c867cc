/**
 * The HTTP API (Hono). Routes are testable without a server: `app.request('/health')`.
 * This surface is read-only: health and the ledger's accounts, records and head.
 */
import { Hono } from 'hono';
import { ClearpegError } from '../errors.ts';
import type { LedgerStore } from '../ledger/ports.ts';
import { isUuid } from '../ledger/uuid.ts';
import { sendProblem } from './problem.ts';
import { accountView, headView, recordView } from './views.ts';

/** What the API serves from. */
export interface AppDeps {
  readonly store: LedgerStore;
  /** Which database, for /health (never credentials). */
  readonly database: string;
  readonly version: string;
}

/** Accounts per page: a page of the chart of accounts, not a dump. */
const accountsPageMax = 1000;

function notFound(what: string): ClearpegError {
  return new ClearpegError('not-found', `${what} was not found`);
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return 100;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > accountsPageMax) {
    throw new ClearpegError(
      'query-invalid',
      `limit: must be a whole number from 1 to ${accountsPageMax} (got ${JSON.stringify(text)})`,
      { field: 'limit', rule: `1..${accountsPageMax}` },
    );
  }
  return limit;
}

/**
 * The API application.
 * @example const res = await createApp(deps).request('/health')
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => sendProblem(c, error));
  app.notFound((c) =>
    sendProblem(c, new ClearpegError('route-not-found', `no route ${c.req.method} ${c.req.path}`)),
  );

  app.get('/health', async (c) => {
    const head = await deps.store.head();
    return c.json({
      status: 'ok',
      version: deps.version,
      database: deps.database,
      journal: headView(head),
    });
  });

  app.get('/v1/ledger/head', async (c) => c.json(headView(await deps.store.head())));

  app.get('/v1/ledger/accounts', async (c) => {
    const limit = limitOf(c.req.query('limit'));
    const after = c.req.query('after');
    const accounts = await deps.store.accounts({
      ...(after === undefined ? {} : { afterCode: after }),
      limit,
    });
    const next = accounts.length === limit ? accounts[accounts.length - 1]!.code : null;
    return c.json({ accounts: accounts.map(accountView), next });
  });

  app.get('/v1/ledger/accounts/:ref', async (c) => {
    const ref = c.req.param('ref');
    const account = isUuid(ref)
      ? await deps.store.accountById(ref)
      : await deps.store.accountByCode(ref);
    if (account === undefined) throw notFound(`account ${ref}`);
    return c.json(accountView(account));
  });

  app.get('/v1/ledger/transactions/:id', async (c) => {
    const id = c.req.param('id');
    if (!isUuid(id))
      throw new ClearpegError(
        'query-invalid',
        `id: must be a lowercase canonical UUID (got ${JSON.stringify(id)})`,
        { field: 'id', rule: 'UUID' },
      );
    const record = await deps.store.recordById(id);
    if (record === undefined) throw notFound(`transaction ${id}`);
    return c.json(recordView(record));
  });

  return app;
}
