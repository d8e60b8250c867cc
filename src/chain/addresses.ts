/**
 * The issuer's own addresses on each chain: its treasury, and a redemption address per
 * customer. Tokens they hold are not in circulation (parity), and a transfer into a
 * redemption address starts that customer's redemption.
 */
import { bytesToHex, getAddress, type Hex, isAddress } from 'viem';
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

/** A transfer into a customer's redemption address: the start of that customer's redemption. */
export interface RedemptionTransfer {
  readonly chainId: number;
  readonly txHash: Hex;
  readonly logIndex: number;
  readonly blockNumber: bigint;
  readonly customerId: string;
  readonly from: Hex;
  readonly address: Hex;
  /** Token units (micro-dollars). */
  readonly amount: bigint;
}

/**
 * The transfers into redemption addresses that the indexer stored in blocks `after` <
 * block ≤ `upTo`, in chain order: handed to issuance once their block is final.
 * @example await redemptionTransfers(db, 31337, 100n, 120n)
 */
export async function redemptionTransfers(
  db: SqlExecutor,
  chainId: number,
  after: bigint,
  upTo: bigint,
): Promise<RedemptionTransfer[]> {
  const { rows } = await db.query<{
    tx_hash: Uint8Array;
    log_index: number;
    block_number: string;
    customer_id: string;
    from_address: string;
    to_address: string;
    amount: string;
  }>(
    `SELECT e.tx_hash, e.log_index, e.block_number::text, a.customer_id, e.from_address, e.to_address,
       e.amount::text
     FROM chain_events e JOIN chain_issuer_addresses a
       ON a.chain_id = e.chain_id AND a.address = e.to_address AND a.purpose = 'redemption'
     WHERE e.chain_id = $1 AND e.name = 'Transfer' AND e.block_number > $2 AND e.block_number <= $3
     ORDER BY e.block_number, e.log_index`,
    [chainId, after, upTo],
  );
  return rows.map((row) => ({
    chainId,
    txHash: bytesToHex(row.tx_hash),
    logIndex: row.log_index,
    blockNumber: BigInt(row.block_number),
    customerId: row.customer_id,
    from: row.from_address as Hex,
    address: row.to_address as Hex,
    amount: BigInt(row.amount),
  }));
}
