/**
 * The issuer's own addresses on each chain: its treasury, and a redemption address per
 * customer. Tokens they hold are not in circulation (parity), and a transfer into a
 * redemption address starts that customer's redemption.
 */
import { getAddress, type Hex, isAddress } from 'viem';
import { ClearpegError } from '../errors.ts';
import type { SqlExecutor } from '../storage/sql.ts';

export type IssuerAddress =
  | { readonly purpose: 'treasury'; readonly address: Hex }
  | { readonly purpose: 'redemption'; readonly address: Hex; readonly customerId: string };

/**
 * Registers an issuer address on a chain (again with the same purpose: no change).
 * @example await registerIssuerAddress(db, 31337, { purpose: 'redemption', address, customerId: 'c-1' })
 */
export async function registerIssuerAddress(
  db: SqlExecutor,
  chainId: number,
  entry: IssuerAddress,
): Promise<void> {
  if (!isAddress(entry.address, { strict: false }))
    throw new ClearpegError('address-invalid', `not an address: ${entry.address}`, {
      field: 'address',
      rule: 'a 20-byte hex address',
    });
  const customerId = entry.purpose === 'redemption' ? entry.customerId : null;
  const { affectedRows } = await db.query(
    `INSERT INTO chain_issuer_addresses (chain_id, address, purpose, customer_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (chain_id, address) DO UPDATE SET purpose = excluded.purpose
     WHERE chain_issuer_addresses.purpose = excluded.purpose
       AND chain_issuer_addresses.customer_id IS NOT DISTINCT FROM excluded.customer_id`,
    [chainId, getAddress(entry.address).toLowerCase(), entry.purpose, customerId],
  );
  if (affectedRows !== 1)
    throw new ClearpegError(
      'address-registered',
      `${entry.address} is already registered on chain ${chainId} for another purpose`,
      { field: 'address', rule: 'one purpose per address' },
    );
}
