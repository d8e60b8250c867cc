/**
 * Deposits: a statement line entered by a treasurer, or a camt.053 statement imported whole.
 */
import { importStatement, recordDeposit } from '../../issuance/deposits.ts';
import { parseAmount } from '../../money/money.ts';
import { deposits } from '../queries.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  depositPage,
  depositsQuery,
  importReport,
  pageLimit,
  recordDepositBody,
  recordedDeposit,
  statementQuery,
} from '../schemas.ts';
import { depositView, recordedDepositView } from '../views.ts';
import type { RouteDeps } from './deps.ts';

/** An XML statement, in bytes: 10 MiB, a month of a busy account's statements at once. */
export const statementBytesMax = 10 * 1024 * 1024;

/** The deposit routes. */
export function depositRoutes({ ctx }: RouteDeps): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/deposits',
      operationId: 'recordDeposit',
      summary:
        "Records a statement line: credits the customer's fiat (or suspense) once per reference",
      tag: 'deposits',
      auth: 'key',
      body: recordDepositBody,
      responses: { 201: recordedDeposit, 200: recordedDeposit },
      problems: [
        'forbidden',
        'deposit-invalid',
        'amount-invalid',
        'customer-not-found',
        'deposit-conflict',
        'deposit-refused',
        'ledger-busy',
      ],
      handle: async ({ actor, body }) => {
        const deposit = await recordDeposit(ctx, actor, {
          ...body,
          amount: parseAmount(body.amount),
        });
        return {
          status: deposit.status === 'created' ? 201 : 200,
          body: recordedDepositView(deposit),
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/deposits/statements',
      operationId: 'importStatement',
      summary: "Imports a bank's camt.053 statement: every booked credit line becomes a deposit",
      tag: 'deposits',
      auth: 'key',
      query: statementQuery,
      rawBody: { mediaTypes: ['application/xml', 'text/xml'], bytesMax: statementBytesMax },
      responses: { 200: importReport },
      problems: [
        'forbidden',
        'statement-invalid',
        'statement-too-large',
        'statement-currency-unsupported',
        'deposit-invalid',
        'deposit-conflict',
        'deposit-refused',
        'ledger-busy',
      ],
      handle: async ({ actor, query, raw }) => {
        const report = await importStatement(ctx, actor, query.bank, raw);
        return {
          status: 200,
          body: { ...report, deposits: report.deposits.map(recordedDepositView) },
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/deposits',
      operationId: 'listDeposits',
      summary: 'Deposits by reference, a page at a time, optionally of one customer',
      tag: 'deposits',
      auth: 'operator',
      query: depositsQuery,
      responses: { 200: depositPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await deposits(ctx.db, { ...query, limit });
        return pageBody('deposits', page, limit, depositView, (item) => item.reference);
      },
    }),
  ];
}
