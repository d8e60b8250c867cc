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
import { type Metadata, recordKind, type Uuid } from '../ledger/types.ts';
import { tripBreaker } from '../policy/alerts.ts';
import { mintBreaker, requireMintingOpen } from '../policy/breakers.ts';
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
  const now = clockUs();
  return db.transaction(async (tx) => {
    const ledgerSupply = await ledgerSupplyFromCheckpoint(
      tx,
      options.supplyAccount,
      chainId,
      blockNumber,
    );
    const result: ParityResult = {
      chainId,
      blockNumber,
      totalSupply,
      issuerHeld: held,
      circulating: totalSupply - held,
      ledgerSupply,
      ok: totalSupply - held === ledgerSupply,
    };
    await tx.query(
      `INSERT INTO chain_parity (chain_id, block_number, total_supply, issuer_held, ledger_supply, ok, checked_at_us)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (chain_id, block_number) DO UPDATE SET total_supply = excluded.total_supply,
         issuer_held = excluded.issuer_held, ledger_supply = excluded.ledger_supply, ok = excluded.ok,
         checked_at_us = excluded.checked_at_us`,
      [chainId, blockNumber, totalSupply, held, ledgerSupply, result.ok, now],
    );
    if (result.ok) return result;
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
    return result;
  });
}

/**
 * The journal's postings that parity counts, from `records` (the journal, or a range of it):
 * posted records tied to a chain's blocks.
 */
const chainTiedPostings = (
  records: string,
) => `FROM ${records} j, unnest(j.debit_ids, j.credit_ids, j.amounts) AS p(debit, credit, amount)
     WHERE j.metadata ? 'chain.id' AND j.metadata->>'chain.id' = $2
       AND j.kind IN (${recordKind.transferPosted}, ${recordKind.pendingPosted})
       AND j.metadata->>'chain.block' ~ '^[0-9]{1,18}$'`;
/** What a posting adds to the supply account `$1`. */
const supplyDelta = `coalesce(sum(CASE WHEN p.credit = $1 THEN p.amount ELSE 0 END)
                   - sum(CASE WHEN p.debit = $1 THEN p.amount ELSE 0 END), 0)`;

/**
 * The ledger's supply on a chain as of a block, from the chain's checkpoint
 * (`chain_parity_checkpoints`, migration 0009), which it advances: the journal records after
 * the checkpoint's last are read into it (per block), and the postings tied to blocks up to
 * `blockNumber` folded into its sum. Its cost follows the records since the last check, not
 * the journal's length. Runs in `tx`, the checkpoint locked until it ends (two checks at once
 * wait for each other, so no record is counted twice). A block below the checkpoint's (the
 * final block moved back) is summed in full (`ledgerSupplyAt`).
 * @example await ledgerSupplyFromCheckpoint(tx, supplyAccountId, 31337, 120n)
 */
export async function ledgerSupplyFromCheckpoint(
  tx: SqlExecutor,
  account: Uuid,
  chainId: number,
  blockNumber: bigint,
): Promise<bigint> {
  await tx.query(
    `INSERT INTO chain_parity_checkpoints (chain_id, supply_account, through_seq, folded_block, folded_supply)
     VALUES ($1, $2, 0, -1, 0) ON CONFLICT (chain_id) DO NOTHING`,
    [chainId, account],
  );
  const { rows } = await tx.query<{
    supply_account: string;
    through_seq: string;
    folded_block: string;
    folded_supply: string;
    head: string;
  }>(
    `SELECT c.supply_account, c.through_seq::text, c.folded_block::text, c.folded_supply::text,
       (SELECT seq::text FROM ledger_head) AS head
     FROM chain_parity_checkpoints c WHERE c.chain_id = $1 FOR UPDATE OF c`,
    [chainId],
  );
  const checkpoint = rows[0]!;
  if (checkpoint.supply_account !== account)
    throw new Error(`assertion failed: chain ${chainId}'s checkpoint is of its supply account`);
  const foldedBlock = BigInt(checkpoint.folded_block);
  if (blockNumber < foldedBlock) return ledgerSupplyAt(tx, account, chainId, blockNumber);
  // Records committed up to the head read above: the head moves in the same transaction as
  // its records, so every record up to it is there.
  const { rows: read } = await tx.query<{ folded: string }>(
    // The records after the checkpoint by their sequence number first (a fence: the planner
    // would otherwise walk the chain index, every record of the chain, and filter by seq).
    `WITH recent AS MATERIALIZED (
       SELECT seq, kind, metadata, debit_ids, credit_ids, amounts FROM ledger_journal
       WHERE seq > $3 AND seq <= $4
     ), fresh AS (
       SELECT (j.metadata->>'chain.block')::bigint AS block, ${supplyDelta} AS delta
       ${chainTiedPostings('recent')}
       GROUP BY 1
     ), later AS (
       INSERT INTO chain_parity_deltas (chain_id, block_number, delta)
       SELECT $2::bigint, block, delta FROM fresh WHERE block > $5
       ON CONFLICT (chain_id, block_number) DO UPDATE SET delta = chain_parity_deltas.delta + excluded.delta
     )
     SELECT ((SELECT coalesce(sum(delta), 0) FROM fresh WHERE block <= $6)
       + (SELECT coalesce(sum(delta), 0) FROM chain_parity_deltas WHERE chain_id = $2::bigint AND block_number > $5 AND block_number <= $6))::text AS folded`,
    [account, String(chainId), checkpoint.through_seq, checkpoint.head, foldedBlock, blockNumber],
  );
  const supply = BigInt(checkpoint.folded_supply) + BigInt(read[0]!.folded);
  await tx.query(
    `WITH gone AS (DELETE FROM chain_parity_deltas WHERE chain_id = $1 AND block_number <= $2)
     UPDATE chain_parity_checkpoints SET through_seq = $3, folded_block = $2, folded_supply = $4
     WHERE chain_id = $1`,
    [chainId, blockNumber, checkpoint.head, supply],
  );
  return supply;
}

/**
 * The ledger's supply on a chain as of a block, summed over the whole journal: credits minus
 * debits of the supply account in posted records tied to that chain at blocks ≤
 * `blockNumber`. The reference `ledgerSupplyFromCheckpoint` is tested against.
 * @example await ledgerSupplyAt(db, supplyAccountId, 31337, 120n)
 */
export async function ledgerSupplyAt(
  db: SqlExecutor,
  account: Uuid,
  chainId: number,
  blockNumber: bigint,
): Promise<bigint> {
  const { rows } = await db.query<{ supply: string }>(
    `SELECT ${supplyDelta}::text AS supply ${chainTiedPostings('ledger_journal')}
       AND (j.metadata->>'chain.block')::bigint <= $3`,
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
