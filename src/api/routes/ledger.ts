/**
 * The ledger's reads: health, the journal head, accounts, transactions.
 */
import { ClearpegError } from '../../errors.ts';
import { isUuid } from '../../ledger/uuid.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  accountPage,
  accountParam,
  health,
  idParam,
  journalHead,
  journalRecord,
  ledgerAccount,
  pageLimit,
  pageQuery,
} from '../schemas.ts';
import { accountView, headView, recordView } from '../views.ts';
import type { RouteDeps } from './deps.ts';

/** The ledger routes and /health. */
export function ledgerRoutes({ store, database, version }: RouteDeps): Route[] {
  return [
    route({
      method: 'get',
      path: '/health',
      operationId: 'health',
      summary: 'Whether the server answers, and the journal head',
      tag: 'meta',
      auth: 'public',
      responses: { 200: health },
      problems: [],
      handle: async () => ({
        status: 200,
        body: { status: 'ok', version, database, journal: headView(await store.head()) },
      }),
    }),
    route({
      method: 'get',
      path: '/v1/ledger/head',
      operationId: 'getJournalHead',
      summary: "The journal's head: its last record's sequence number and hash",
      tag: 'ledger',
      auth: 'operator',
      responses: { 200: journalHead },
      problems: [],
      handle: async () => ({ status: 200, body: headView(await store.head()) }),
    }),
    route({
      method: 'get',
      path: '/v1/ledger/accounts',
      operationId: 'listAccounts',
      summary: 'Accounts with their balances, by code, a page at a time',
      tag: 'ledger',
      auth: 'operator',
      query: pageQuery,
      responses: { 200: accountPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const accounts = await store.accounts({ afterCode: query.after, limit });
        return pageBody('accounts', accounts, limit, accountView, (account) => account.code);
      },
    }),
    route({
      method: 'get',
      path: '/v1/ledger/accounts/:ref',
      operationId: 'getAccount',
      summary: 'An account by id or by code',
      tag: 'ledger',
      auth: 'operator',
      params: accountParam,
      responses: { 200: ledgerAccount },
      problems: ['account-not-found'],
      handle: async ({ params }) => {
        const account = isUuid(params.ref)
          ? await store.accountById(params.ref)
          : await store.accountByCode(params.ref);
        if (account === undefined)
          throw new ClearpegError('account-not-found', `no account ${params.ref}`, {
            field: 'ref',
            rule: 'a known account id or code',
          });
        return { status: 200, body: accountView(account) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/ledger/transactions/:id',
      operationId: 'getTransaction',
      summary: 'A journal record by its id',
      tag: 'ledger',
      auth: 'operator',
      params: idParam,
      responses: { 200: journalRecord },
      problems: ['transaction-not-found'],
      handle: async ({ params }) => {
        const record = await store.recordById(params.id);
        if (record === undefined)
          throw new ClearpegError('transaction-not-found', `no transaction ${params.id}`, {
            field: 'id',
            rule: 'a known transaction id',
          });
        return { status: 200, body: recordView(record) };
      },
    }),
  ];
}
