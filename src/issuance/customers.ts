/**
 * Customers: identity and KYC state, the wallets they may mint to (screened against the
 * sanctions list when registered), and their redemption address on each chain.
 *
 * A redemption address is derived, not generated: the last 20 bytes of
 * `keccak256("clearpeg-redemption/1" ‖ token ‖ customerId)`. Nobody holds its key, so
 * tokens sent there can only leave by the issuer's `burn`; anyone can recompute it.
 */
import { concat, getAddress, type Hex, keccak256, toBytes, zeroAddress } from 'viem';
import { registerIssuerAddress } from '../chain/addresses.ts';
import { deployedToken, type TokenRecord } from '../chain/runtime.ts';
import { ClearpegError } from '../errors.ts';
import { requireReadableText } from '../policy/intent.ts';
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
    requireReadableText(input.name, 'name', 'customer-name-invalid');
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
 * Registers a wallet the customer may mint to on a chain with a token, after screening it;
 * refused (changing nothing): a mistyped EIP-55 checksum or the zero address
 * (`wallet-address-invalid`), the token contract or an issuer address
 * (`wallet-address-reserved`), a chain without a token (`chain-unknown`).
 * @example await registerWallet(ctx, actor, { customerId: 'CUST-0001', chainId: 31337, address: '0x…' })
 */
export async function registerWallet(
  ctx: IssuanceContext,
  actor: Actor,
  input: { customerId: string; chainId: number; address: string },
): Promise<{ chainId: number; address: Hex; redemptionAddress: Hex }> {
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
      // Screened first: a sanctioned party raises its alert however else the input is wrong.
      const address = screenEvmAddress(ctx.sanctions, input.address, 'address') as Hex;
      checkWalletAddress(input.address, 'address');
      const token = await deployedToken(tx, input.chainId);
      await refuseReservedAddress(tx, token, address, 'address');
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
      const redemptionAddress = await ensureRedemptionAddress(
        tx,
        input.chainId,
        token.address,
        customer.id,
      );
      return {
        result: { chainId: input.chainId, address, redemptionAddress },
        detail: { chainId: String(input.chainId), address, redemptionAddress },
      };
    }),
  );
}

const hexAddressPattern = /^0x[0-9a-fA-F]{40}$/;

/**
 * `value` as a wallet address a customer may register, or a refusal naming `field`: not
 * `0x` and 40 hex digits (`address-invalid`); the zero address, or mixed case that is not
 * its EIP-55 checksum (`wallet-address-invalid`). All-lowercase and all-uppercase hex carry
 * no checksum and are taken as they are (EIP-55's own rule); a mixed-case address is a claim
 * that its case is the checksum, and a mistyped one is refused instead of lowercased.
 * @example checkWalletAddress('0x70997970C51812dc3A010C7d01b50e0d17dc79C8', 'address')
 */
export function checkWalletAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || !hexAddressPattern.test(value))
    throw new ClearpegError(
      'address-invalid',
      `${field} is not an EVM address: ${JSON.stringify(String(value).slice(0, 64))}`,
      { field, rule: '0x and 40 hex digits' },
    );
  const digits = value.slice(2);
  const unchecksummed = digits === digits.toLowerCase() || digits === digits.toUpperCase();
  if (!unchecksummed && getAddress(value.toLowerCase()) !== value)
    throw new ClearpegError(
      'wallet-address-invalid',
      // The right checksum is not shown: copied from here, it would carry a typo in the digits.
      `${field} ${value} has mixed case that is not its EIP-55 checksum: check the address where it came from`,
      {
        field,
        rule: 'a mixed-case address matches its EIP-55 checksum (or is all one case)',
      },
    );
  if (value.toLowerCase() === zeroAddress)
    throw new ClearpegError('wallet-address-invalid', `${field} is the zero address`, {
      field,
      rule: 'not the zero address (tokens sent there are burned)',
    });
  return value;
}

/**
 * Refuses `address` (lowercase) when it is the token contract on its chain or one of the
 * issuer's own addresses there (treasury, any customer's redemption address), with
 * `wallet-address-reserved` naming `field`: tokens minted to such an address are not a
 * customer's.
 */
async function refuseReservedAddress(
  db: SqlExecutor,
  token: TokenRecord,
  address: Hex,
  field: string,
): Promise<void> {
  const reserved = (what: string) =>
    new ClearpegError(
      'wallet-address-reserved',
      `${field} ${address} is ${what} on chain ${token.chainId}`,
      { field, rule: "a customer's own wallet: not the token contract nor an issuer address" },
    );
  if (address === token.address.toLowerCase()) throw reserved('the token contract');
  const { rows } = await db.query<{ purpose: string }>(
    'SELECT purpose FROM chain_issuer_addresses WHERE chain_id = $1 AND address = $2',
    [token.chainId, address],
  );
  const purpose = rows[0]?.purpose;
  if (purpose !== undefined) throw reserved(`the issuer's ${purpose} address`);
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
