/**
 * Supply parity: the chain and the ledger must agree, block by block.
 *
 * At B, the newest block that is both final and indexed:
 *   totalSupply(B) − tokens held by the issuer's addresses at B  =  the ledger's supply account,
 *   counting only its postings tied to blocks ≤ B (metadata `chain.id`, `chain.block`).
 * Every check is recorded with both sides. A mismatch trips the breaker `mint:<chainId>`,
 * which the mint path respects until an operator clears it, and raises an alert when it trips.
 */

import type { Hex, PublicClient } from 'viem';
import { wallClockUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { accountFlag, type Metadata, recordKind, type Uuid } from '../ledger/types.ts';
import { tripBreaker } from '../policy/alerts.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import { indexedBlock, issuerHeld } from './indexer.ts';

/** Metadata keys that tie a ledger posting to a chain and a block. */
export const chainMetadata = { chainId: 'chain.id', block: 'chain.block', tx: 'chain.tx' } as const;

export interface ParityOptions {
  readonly db: SqlDatabase;
  readonly client: PublicClient;
  readonly chainId: number;
  readonly token: Hex;
  readonly finalityDepth: number;
  /** The ledger account of this chain's supply (`supply:<chainId>`). */
  readonly supplyAccount: Uuid;
  readonly clockUs?: () => bigint;
  /**
   * The chain head to judge finality by (default: the node's head now). A caller that settles
   * mints passes the head it read before settling: every mint final as of that head is then
   * posted in the ledger, so a mint final a moment later is not a false mismatch.
   */
  readonly head?: bigint;
}

export interface ParityResult {
  readonly chainId: number;
  readonly blockNumber: bigint;
  readonly totalSupply: bigint;
  readonly issuerHeld: bigint;
  /** totalSupply − issuerHeld: the tokens in holders' hands. */
  readonly circulating: bigint;
  readonly ledgerSupply: bigint;
  readonly ok: boolean;
}

/**
 * The ledger account of a chain's supply: a liability, credited by mints, debited by
 * redemptions, whose debits never exceed its credits.
 * @example supplyAccountSpec(31337) // { code: 'supply:31337', asset: 'USD', flags: … }
 */
export function supplyAccountSpec(chainId: number): {
  code: string;
  asset: string;
  flags: number;
} {
  return { code: `supply:${chainId}`, asset: 'USD', flags: accountFlag.debitsMustNotExceedCredits };
}

/** The breaker a parity mismatch trips on a chain. */
export function mintBreaker(chainId: number): string {
  return `mint:${chainId}`;
}

/** Whether the breaker `name` stops minting on `chainId`: `mint` (every chain) or the chain's own. */
export function stopsMinting(name: string, chainId: number): boolean {
  return name === 'mint' || name === mintBreaker(chainId);
}

/**
 * The metadata that ties a ledger posting to a chain's block and transaction (parity counts it).
 * @example chainTie(31337, 120n, '0xabc…') // { 'chain.id': '31337', 'chain.block': '120', 'chain.tx': '0xabc…' }
 */
export function chainTie(chainId: number, blockNumber: bigint, txHash: Hex): Metadata {
  return {
    [chainMetadata.chainId]: String(chainId),
    [chainMetadata.block]: String(blockNumber),
    [chainMetadata.tx]: txHash,
  };
}

/**
 * Checks parity at the newest final, indexed block; records it; on a mismatch raises an alert
 * and trips `mint:<chainId>`. Undefined when no final block has been indexed yet.
 */
export async function checkParity(options: ParityOptions): Promise<ParityResult | undefined> {
  const { db, client, chainId } = options;
  const clockUs = options.clockUs ?? wallClockUs;
  const indexed = await indexedBlock(db, chainId);
  if (indexed === undefined) return undefined;
  const head = options.head ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const finalHead = head - BigInt(options.finalityDepth) + 1n;
  const blockNumber = indexed < finalHead ? indexed : finalHead;
  if (blockNumber < 0n) return undefined;
  const totalSupply = await client.readContract({
    address: options.token,
    abi: clearpegTokenAbi,
    functionName: 'totalSupply',
    blockNumber,
  });
  const held = await issuerHeld(db, chainId, blockNumber);
  const ledgerSupply = await ledgerSupplyAt(db, options.supplyAccount, chainId, blockNumber);
  const result: ParityResult = {
    chainId,
    blockNumber,
    totalSupply,
    issuerHeld: held,
    circulating: totalSupply - held,
    ledgerSupply,
    ok: totalSupply - held === ledgerSupply,
  };
  const now = clockUs();
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO chain_parity (chain_id, block_number, total_supply, issuer_held, ledger_supply, ok, checked_at_us)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (chain_id, block_number) DO UPDATE SET total_supply = excluded.total_supply,
         issuer_held = excluded.issuer_held, ledger_supply = excluded.ledger_supply, ok = excluded.ok,
         checked_at_us = excluded.checked_at_us`,
      [chainId, blockNumber, totalSupply, held, ledgerSupply, result.ok, now],
    );
    if (result.ok) return;
    const detail = {
      chainId,
      blockNumber: String(blockNumber),
      totalSupply: String(totalSupply),
      issuerHeld: String(held),
      circulating: String(result.circulating),
      ledgerSupply: String(ledgerSupply),
      difference: String(result.circulating - ledgerSupply),
    };
    // One alert per trip: while the breaker stays tripped, later mismatches are recorded
    // above but raise nothing new; once an operator clears it, the next mismatch alerts again.
    const subject = `chain ${chainId} at block ${blockNumber}`;
    await tripBreaker(
      tx,
      mintBreaker(chainId),
      detail,
      { kind: 'parity-mismatch', subject, detail },
      now,
    );
  });
  return result;
}

/**
 * The ledger's supply on a chain as of a block: credits minus debits of the supply account in
 * posted records tied to that chain at blocks ≤ `blockNumber`.
 * @example await ledgerSupplyAt(db, supplyAccountId, 31337, 120n)
 */
export async function ledgerSupplyAt(
  db: SqlExecutor,
  account: Uuid,
  chainId: number,
  blockNumber: bigint,
): Promise<bigint> {
  const { rows } = await db.query<{ supply: string }>(
    `SELECT coalesce(sum(CASE WHEN p.credit = $1 THEN p.amount ELSE 0 END)
                   - sum(CASE WHEN p.debit = $1 THEN p.amount ELSE 0 END), 0)::text AS supply
     FROM ledger_journal j, unnest(j.debit_ids, j.credit_ids, j.amounts) AS p(debit, credit, amount)
     WHERE j.metadata ? 'chain.id' AND j.metadata->>'chain.id' = $2
       AND j.kind IN (${recordKind.transferPosted}, ${recordKind.pendingPosted})
       AND j.metadata->>'chain.block' ~ '^[0-9]{1,18}$' AND (j.metadata->>'chain.block')::bigint <= $3`,
    [account, String(chainId), blockNumber],
  );
  return BigInt(rows[0]!.supply);
}

/** The breakers that are tripped now, by name. */
export async function trippedBreakers(db: SqlExecutor): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM breakers ORDER BY name');
  return rows.map((row) => row.name);
}

/**
 * Refuses while minting on `chainId` is stopped (the `mint` breaker or `mint:<chainId>`).
 * @example await assertMintingOpen(db, 31337)
 */
export async function assertMintingOpen(db: SqlExecutor, chainId: number): Promise<void> {
  requireMintingOpen(await trippedBreakers(db), chainId);
}

/** Refuses (`breaker-tripped`) when one of the tripped breakers stops minting on `chainId`. */
export function requireMintingOpen(trippedNames: readonly string[], chainId: number): void {
  const tripped = trippedNames.filter((name) => stopsMinting(name, chainId));
  if (tripped.length > 0)
    throw new ClearpegError(
      'breaker-tripped',
      `minting on chain ${chainId} is stopped by ${tripped.join(', ')}`,
      { rule: 'no mint while a breaker is tripped' },
    );
}
