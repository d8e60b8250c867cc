/**
 * Customers: identity and KYC state, the wallets they may mint to (screened against the
 * sanctions list when registered), and their redemption address on each chain.
 *
 * A redemption address is derived, not generated: the last 20 bytes of
 * `keccak256("clearpeg-redemption/1" ‖ token ‖ customerId)`. Nobody holds its key, so
 * tokens sent there can only leave by the issuer's `burn`; anyone can recompute it.
 */
import { concat, type Hex, keccak256, toBytes } from 'viem';
import { registerIssuerAddress } from '../chain/addresses.ts';
import { tokenRecord } from '../chain/runtime.ts';
import { ClearpegError } from '../errors.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import { accountId, customerFiat } from '../workflow/accounts.ts';
import { type Actor, requireRole } from '../workflow/actors.ts';
import { audited, type IssuanceContext } from '../workflow/context.ts';
import { screenEvmAddress } from './sanctions.ts';

export const kycStates = ['pending', 'approved', 'suspended'] as const;
export type KycState = (typeof kycStates)[number];

export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly kyc: KycState;
  readonly fiatAccount: string;
}

const customerIdPattern = /^[A-Z][A-Z0-9-]{2,31}$/;

function checkCustomerId(id: unknown, field = 'customerId'): string {
  if (typeof id !== 'string' || !customerIdPattern.test(id))
    throw new ClearpegError(
      'customer-id-invalid',
      `${field} must be 3 to 32 capital letters, digits and dashes, starting with a letter`,
      { field, rule: customerIdPattern.source },
    );
  return id;
}

/** The customer, or `customer-not-found`. */
export async function getCustomer(db: SqlExecutor, id: string, lock = false): Promise<Customer> {
  const { rows } = await db.query<{
    id: string;
    name: string;
    kyc: KycState;
    fiat_account: string;
  }>(
    `SELECT id, name, kyc, fiat_account FROM customers WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const row = rows[0];
  return knownCustomer(id, row && customerFromRow(row));
}

/** A `customers` row (id, name, kyc, fiat_account) as a customer. */
export function customerFromRow(row: {
  id: string;
  name: string;
  kyc: KycState;
  fiat_account: string;
}): Customer {
  return { id: row.id, name: row.name, kyc: row.kyc, fiatAccount: row.fiat_account };
}

/** The customer read for `id`, or `customer-not-found`. */
export function knownCustomer(id: string, customer: Customer | undefined): Customer {
  if (customer === undefined)
    throw new ClearpegError('customer-not-found', `no customer ${id}`, {
      field: 'customerId',
      rule: 'a known customer',
    });
  return customer;
}

/** The customer, refused unless KYC approved (`customer-not-approved`). */
export async function approvedCustomer(db: SqlExecutor, id: string): Promise<Customer> {
  return requireApproved(await getCustomer(db, id));
}

/** `customer` unless its KYC is not approved (`customer-not-approved`). */
export function requireApproved(customer: Customer): Customer {
  if (customer.kyc !== 'approved')
    throw new ClearpegError(
      'customer-not-approved',
      `customer ${customer.id} is KYC ${customer.kyc}`,
      { field: 'customerId', rule: 'KYC approved' },
    );
  return customer;
}

/**
 * Onboards a customer (KYC pending) with their fiat account in the ledger.
 * @example await createCustomer(ctx, compliance, { id: 'CUST-0001', name: 'Acme Treasury LLC' })
 */
export async function createCustomer(
  ctx: IssuanceContext,
  actor: Actor,
  input: { id: string; name: string },
): Promise<Customer> {
  return audited(ctx, actor, 'customer.create', String(input.id), async (commit) => {
    requireRole(actor, ['compliance', 'admin'], { action: 'create customers' });
    const id = checkCustomerId(input.id, 'id');
    if (typeof input.name !== 'string' || input.name.trim().length < 1 || input.name.length > 200)
      throw new ClearpegError('customer-name-invalid', 'name must be 1 to 200 characters', {
        field: 'name',
        rule: '1 to 200 characters',
      });
    const fiatAccount = await accountId(ctx.ledger, customerFiat(id));
    return commit(async (tx) => {
      const { rows } = await tx.query(
        `INSERT INTO customers (id, name, kyc, fiat_account, created_at_us, updated_at_us) VALUES ($1, $2, 'pending', $3, $4, $4)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [id, input.name, fiatAccount, ctx.clockUs()],
      );
      if (rows.length === 0)
        throw new ClearpegError('customer-exists', `customer ${id} exists`, {
          field: 'id',
          rule: 'a new customer id',
        });
      return {
        result: { id, name: input.name, kyc: 'pending' as const, fiatAccount },
        detail: { name: input.name },
      };
    });
  });
}

/** Sets a customer's KYC state (compliance). */
export async function setKyc(
  ctx: IssuanceContext,
  actor: Actor,
  customerId: string,
  kyc: KycState,
): Promise<Customer> {
  return audited(ctx, actor, 'customer.kyc', String(customerId), (commit) =>
    commit(async (tx) => {
      requireRole(actor, ['compliance'], { action: 'change KYC states' });
      if (!kycStates.includes(kyc))
        throw new ClearpegError('kyc-invalid', `kyc must be one of ${kycStates.join(', ')}`, {
          field: 'kyc',
          rule: kycStates.join(' | '),
        });
      const before = await getCustomer(tx, checkCustomerId(customerId), true);
      await tx.query('UPDATE customers SET kyc = $2, updated_at_us = $3 WHERE id = $1', [
        before.id,
        kyc,
        ctx.clockUs(),
      ]);
      return { result: { ...before, kyc }, detail: { from: before.kyc, to: kyc } };
    }),
  );
}

/**
 * Registers a wallet the customer may mint to on a chain, after screening it.
 * @example await registerWallet(ctx, actor, { customerId: 'CUST-0001', chainId: 31337, address: '0x…' })
 */
export async function registerWallet(
  ctx: IssuanceContext,
  actor: Actor,
  input: { customerId: string; chainId: number; address: string },
): Promise<{ chainId: number; address: Hex; redemptionAddress: Hex | null }> {
  return audited(ctx, actor, 'customer.wallet', String(input.customerId), (commit) =>
    commit(async (tx) => {
      requireRole(actor, ['compliance'], {
        customerId: input.customerId,
        action: 'register wallets',
      });
      const customer = await getCustomer(tx, checkCustomerId(input.customerId), true);
      if (customer.kyc === 'suspended')
        throw new ClearpegError('customer-suspended', `customer ${customer.id} is suspended`, {
          field: 'customerId',
          rule: 'a customer not suspended',
        });
      if (!Number.isSafeInteger(input.chainId) || input.chainId < 1)
        throw new ClearpegError('chain-id-invalid', 'chainId must be a positive integer', {
          field: 'chainId',
          rule: 'a configured chain id',
        });
      const address = screenEvmAddress(ctx.sanctions, input.address, 'address') as Hex;
      const issuers = await tx.query(
        'SELECT 1 FROM chain_issuer_addresses WHERE chain_id = $1 AND address = $2',
        [input.chainId, address],
      );
      if (issuers.rows.length > 0)
        throw new ClearpegError(
          'wallet-is-issuer',
          `${address} is one of the issuer's own addresses on chain ${input.chainId}`,
          { field: 'address', rule: "a customer's own wallet, not an issuer address" },
        );
      const { rows } = await tx.query<{ customer_id: string }>(
        `INSERT INTO customer_wallets (chain_id, address, customer_id, registered_at_us) VALUES ($1, $2, $3, $4)
       ON CONFLICT (chain_id, address) DO UPDATE SET chain_id = excluded.chain_id RETURNING customer_id`,
        [input.chainId, address, customer.id, ctx.clockUs()],
      );
      if (rows[0]?.customer_id !== customer.id)
        throw new ClearpegError(
          'wallet-registered',
          `${address} is registered on chain ${input.chainId} to another customer`,
          { field: 'address', rule: 'one customer per wallet' },
        );
      // The customer's redemption address on the chain's token, ready before any mint.
      const token = await tokenRecord(tx, input.chainId);
      const redemptionAddress =
        token === undefined
          ? null
          : await ensureRedemptionAddress(tx, input.chainId, token.address, customer.id);
      return {
        result: { chainId: input.chainId, address, redemptionAddress },
        detail: { chainId: String(input.chainId), address, redemptionAddress },
      };
    }),
  );
}

/** Whether `address` is one of the customer's registered wallets on the chain. */
export async function isRegisteredWallet(
  db: SqlExecutor,
  customerId: string,
  chainId: number,
  address: string,
): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM customer_wallets WHERE chain_id = $1 AND address = $2 AND customer_id = $3',
    [chainId, address.toLowerCase(), customerId],
  );
  return rows.length > 0;
}

const redemptionDomain = toBytes('clearpeg-redemption/1');

/**
 * The customer's redemption address for the token `token` (lowercase hex).
 * @example redemptionAddressOf('0x5fbd…0aa3', 'CUST-0001')
 */
export function redemptionAddressOf(token: Hex, customerId: string): Hex {
  const hash = keccak256(
    concat([redemptionDomain, toBytes(token.toLowerCase() as Hex), toBytes(customerId)]),
  );
  return `0x${hash.slice(-40)}` as Hex;
}

/**
 * The customer's redemption address on a chain's token, registered as the issuer's (again:
 * no change). Tokens sent there are redeemed for the customer.
 * @example const address = await ensureRedemptionAddress(tx, 31337, token.address, 'CUST-0001')
 */
export async function ensureRedemptionAddress(
  db: SqlExecutor,
  chainId: number,
  token: Hex,
  customerId: string,
): Promise<Hex> {
  const address = redemptionAddressOf(token, customerId);
  await registerIssuerAddress(db, chainId, { purpose: 'redemption', address, customerId });
  return address;
}
