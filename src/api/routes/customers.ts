/**
 * Customers: onboarding, KYC, wallets, and how they look with their posted fiat.
 */
import { createCustomer, getCustomer, registerWallet, setKyc } from '../../issuance/customers.ts';
import type { IssuanceContext } from '../../workflow/context.ts';
import { customers } from '../queries.ts';
import { pageBody, type Route, route } from '../route.ts';
import {
  createCustomerBody,
  customer,
  customerPage,
  customerParam,
  pageLimit,
  pageQuery,
  registeredWallet,
  setKycBody,
  wallet,
} from '../schemas.ts';
import { customerView } from '../views.ts';
import type { RouteDeps } from './deps.ts';

/** The customer `id` as the API shows it, or `customer-not-found`. */
async function customerById(ctx: IssuanceContext, id: string) {
  const [found] = await customers(ctx, { id, limit: 1 });
  if (found === undefined) await getCustomer(ctx.db, id); // throws customer-not-found
  return customerView(found!);
}

/** The customer routes. */
export function customerRoutes({ ctx }: RouteDeps): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/customers',
      operationId: 'createCustomer',
      summary: 'Onboards a customer (KYC pending) with a fiat account in the ledger',
      tag: 'customers',
      auth: 'key',
      body: createCustomerBody,
      responses: { 201: customer },
      problems: [
        'forbidden',
        'customer-id-invalid',
        'customer-name-invalid',
        'customer-exists',
        'ledger-busy',
      ],
      handle: async ({ actor, body }) => {
        const created = await createCustomer(ctx, actor, body);
        return { status: 201, body: await customerById(ctx, created.id) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/customers',
      operationId: 'listCustomers',
      summary: 'Customers by id, a page at a time',
      tag: 'customers',
      auth: 'operator',
      query: pageQuery,
      responses: { 200: customerPage },
      problems: [],
      handle: async ({ query }) => {
        const limit = pageLimit(query.limit);
        const page = await customers(ctx, { ...query, limit });
        return pageBody('customers', page, limit, customerView, (item) => item.id);
      },
    }),
    route({
      method: 'get',
      path: '/v1/customers/:id',
      operationId: 'getCustomer',
      summary: 'A customer, with posted fiat and registered wallets',
      tag: 'customers',
      auth: 'operator',
      params: customerParam,
      responses: { 200: customer },
      problems: ['customer-not-found'],
      handle: async ({ params }) => ({ status: 200, body: await customerById(ctx, params.id) }),
    }),
    route({
      method: 'post',
      path: '/v1/customers/:id/kyc',
      operationId: 'setCustomerKyc',
      summary: "Sets a customer's KYC state (compliance)",
      tag: 'customers',
      auth: 'key',
      params: customerParam,
      body: setKycBody,
      responses: { 200: customer },
      problems: ['forbidden', 'customer-id-invalid', 'customer-not-found', 'kyc-invalid'],
      handle: async ({ actor, params, body }) => {
        await setKyc(ctx, actor, params.id, body.kyc);
        return { status: 200, body: await customerById(ctx, params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/customers/:id/wallets',
      operationId: 'registerWallet',
      summary:
        'Registers a wallet the customer may mint to on a chain with a token, after screening it',
      tag: 'customers',
      auth: 'key',
      params: customerParam,
      body: wallet,
      responses: { 201: registeredWallet },
      problems: [
        'forbidden',
        'customer-id-invalid',
        'customer-not-found',
        'customer-suspended',
        'chain-id-invalid',
        'address-invalid',
        'wallet-address-invalid',
        'wallet-address-reserved',
        'chain-unknown',
        'sanctions-hit',
        'wallet-registered',
      ],
      handle: async ({ actor, params, body }) => {
        const registered = await registerWallet(ctx, actor, { customerId: params.id, ...body });
        return {
          status: 201,
          body: {
            chainId: registered.chainId,
            address: registered.address,
            redemptionAddress: registered.redemptionAddress,
          },
        };
      },
    }),
  ];
}
