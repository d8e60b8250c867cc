/**
 * The indexer: reads the token's events from one chain into `chain_events`, once each.
 *
 * Each `step` reads the blocks after the cursor with one `eth_getLogs` over a block range that
 * adapts (halved when the node refuses or fails, doubled after a success, within limits), and
 * stores the events idempotently by (chain, transaction hash, log index) with the headers of
 * the blocks they came from and of the new cursor block, all in one database transaction.
 *
 * Reorgs are found by hash: before reading on, the stored hash of the cursor block is compared
 * with the chain's. If it still matches, every block below it is unchanged too (each block
 * names its parent's hash). If not, the stored headers are walked down to the newest one the
 * chain still has; everything above it is deleted and read again. A reorg that reaches below
 * the finality depth is reported in the step's result (`finalReorged`): parity and the mint
 * path must stop on it.
 */
import { decodeEventLog, type Hex, type Log, type PublicClient, toEventSelector } from 'viem';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import { ChainError } from './connector.ts';

export interface IndexerOptions {
  readonly db: SqlDatabase;
  readonly client: PublicClient;
  readonly chainId: number;
  /** The token contract whose events are read. */
  readonly token: Hex;
  /** Blocks on top of a block before it is final (1: the block itself). */
  readonly finalityDepth: number;
  /** The first block to read when there is no cursor (the token's deployment block). */
  readonly startBlock?: bigint;
  /** Largest block range of one `eth_getLogs` (default 2,000; many providers cap it). */
  readonly rangeMax?: number;
  /** How far below the cursor a reorg is searched for (default 256 blocks). */
  readonly reorgDepthMax?: number;
}

/** What one step did. */
export interface StepResult {
  /** The blocks read (inclusive), or undefined when the cursor was already at the head. */
  readonly from?: bigint;
  readonly to?: bigint;
  /** Events stored (an event already stored is not counted). */
  readonly stored: number;
  /** A reorg undone before reading: the blocks whose events were deleted. */
  readonly rolledBack?: { readonly from: bigint; readonly to: bigint };
  /** The reorg reached a block that was already final. */
  readonly finalReorged: boolean;
  /** Time in RPC calls and in decoding and storing, milliseconds. */
  readonly rpcMs: number;
  readonly processMs: number;
}

const transferTopic = toEventSelector('Transfer(address,address,uint256)');

/** One decoded event, as stored. */
interface EventRow {
  txHash: string;
  logIndex: number;
  blockNumber: bigint;
  blockHash: string;
  name: string;
  from: string | null;
  to: string | null;
  amount: string | null;
  args: string;
}

/** The token's events on one chain. */
export class ChainIndexer {
  readonly chainId: number;
  private readonly db: SqlDatabase;
  private readonly client: PublicClient;
  private readonly token: Hex;
  private readonly finalityDepth: bigint;
  private readonly startBlock: bigint;
  private readonly rangeMax: bigint;
  private readonly reorgDepthMax: bigint;
  /** The current block range: adapts to what the node accepts. */
  private range: bigint;

  constructor(options: IndexerOptions) {
    this.db = options.db;
    this.client = options.client;
    this.chainId = options.chainId;
    this.token = options.token.toLowerCase() as Hex;
    this.finalityDepth = BigInt(options.finalityDepth);
    this.startBlock = options.startBlock ?? 0n;
    this.rangeMax = BigInt(options.rangeMax ?? 2_000);
    this.reorgDepthMax = BigInt(options.reorgDepthMax ?? 256);
    this.range = this.rangeMax;
  }

  /** The last block read, or undefined before the first step. */
  async cursor(): Promise<bigint | undefined> {
    const { rows } = await this.db.query<{ block_number: string }>(
      'SELECT block_number::text FROM chain_cursors WHERE chain_id = $1',
      [this.chainId],
    );
    return rows[0] === undefined ? undefined : BigInt(rows[0].block_number);
  }

  /** Steps until the cursor reaches the chain's head; returns the steps' results. */
  async catchUp(): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (;;) {
      const result = await this.step();
      results.push(result);
      if (result.to === undefined) return results;
    }
  }

  /** Undoes a reorg if there was one, then reads the next range of blocks. */
  async step(): Promise<StepResult> {
    let rpcMs = 0;
    const timed = async <T>(call: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await call();
      } finally {
        rpcMs += performance.now() - started;
      }
    };
    const head = await timed(() => this.client.getBlockNumber({ cacheTime: 0 }));
    let cursor = (await this.cursor()) ?? this.startBlock - 1n;
    let rolledBack: StepResult['rolledBack'];
    let finalReorged = false;
    if (cursor >= this.startBlock) {
      const ancestor = await this.commonAncestor(cursor, timed);
      if (ancestor < cursor) {
        rolledBack = { from: ancestor + 1n, to: cursor };
        // The first block undone had `head - ancestor` blocks on it, counting itself.
        finalReorged = head - ancestor >= this.finalityDepth;
        await this.rollBack(ancestor);
        cursor = ancestor;
      }
    }
    if (cursor >= head) return { stored: 0, rolledBack, finalReorged, rpcMs, processMs: 0 };
    const from = cursor + 1n;
    for (;;) {
      const to = from + this.range - 1n < head ? from + this.range - 1n : head;
      let logs: Log[];
      try {
        logs = await timed(() =>
          this.client.getLogs({ address: this.token, fromBlock: from, toBlock: to }),
        );
      } catch (error) {
        if (this.range === 1n) throw error;
        this.range = this.range / 2n; // the node refused the range (too many results, a timeout)
        continue;
      }
      // The headers of the blocks read: every block with events, and the new cursor block.
      const numbers = new Set<bigint>([to]);
      for (const log of logs) numbers.add(log.blockNumber!);
      const headers = await timed(() =>
        Promise.all(
          [...numbers].map((blockNumber) =>
            this.client.getBlock({ blockNumber, includeTransactions: false }),
          ),
        ),
      );
      const hashAt = new Map(headers.map((h) => [h.number!, h.hash!]));
      // A log from a block that is no longer canonical: the chain moved while reading; again.
      if (logs.some((log) => hashAt.get(log.blockNumber!) !== log.blockHash)) continue;
      const started = performance.now();
      const rows = logs.map((log) => decode(log));
      const stored = await this.db.transaction(async (tx) => {
        const inserted = await insertEvents(tx, this.chainId, rows);
        await tx.query(
          `INSERT INTO chain_blocks (chain_id, number, hash, parent_hash)
           SELECT $1, n, decode(h, 'hex'), decode(p, 'hex') FROM unnest($2::int8[], $3::text[], $4::text[]) AS b(n, h, p)
           ON CONFLICT (chain_id, number) DO UPDATE SET hash = excluded.hash, parent_hash = excluded.parent_hash`,
          [
            this.chainId,
            headers.map((h) => h.number!.toString()),
            headers.map((h) => h.hash!.slice(2)),
            headers.map((h) => h.parentHash.slice(2)),
          ],
        );
        await tx.query(
          `INSERT INTO chain_cursors (chain_id, token, block_number) VALUES ($1, $2, $3)
           ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number
           WHERE chain_cursors.block_number = $4`,
          [this.chainId, this.token, to, cursor],
        );
        return inserted;
      });
      if (this.range < this.rangeMax)
        this.range = this.range * 2n > this.rangeMax ? this.rangeMax : this.range * 2n;
      return {
        from,
        to,
        stored,
        rolledBack,
        finalReorged,
        rpcMs,
        processMs: performance.now() - started,
      };
    }
  }

  /**
   * The newest stored block, at or below `cursor`, that the chain still has (the cursor
   * itself when nothing changed).
   */
  private async commonAncestor(
    cursor: bigint,
    timed: <T>(call: () => Promise<T>) => Promise<T>,
  ): Promise<bigint> {
    const { rows } = await this.db.query<{ number: string; hash: Uint8Array }>(
      // Ordered by the bigint column, not by the text the query returns.
      `SELECT b.number::text AS number, b.hash FROM chain_blocks b
       WHERE b.chain_id = $1 AND b.number <= $2 AND b.number >= $3 ORDER BY b.number DESC`,
      [this.chainId, cursor, cursor - this.reorgDepthMax],
    );
    for (const row of rows) {
      const number = BigInt(row.number);
      const block = await timed(() =>
        this.client.getBlock({ blockNumber: number }).catch(() => undefined),
      );
      if (block?.hash === `0x${Buffer.from(row.hash).toString('hex')}`) return number;
    }
    if (cursor - this.reorgDepthMax < this.startBlock) return this.startBlock - 1n;
    throw new ChainError(
      'chain-reorg-too-deep',
      `chain ${this.chainId}: no stored block within ${this.reorgDepthMax} blocks of ${cursor} is still canonical`,
    );
  }

  /** Deletes everything read above `ancestor` and moves the cursor back to it. */
  private async rollBack(ancestor: bigint): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM chain_events WHERE chain_id = $1 AND block_number > $2', [
        this.chainId,
        ancestor,
      ]);
      await tx.query('DELETE FROM chain_blocks WHERE chain_id = $1 AND number > $2', [
        this.chainId,
        ancestor,
      ]);
      await tx.query('UPDATE chain_cursors SET block_number = $2 WHERE chain_id = $1', [
        this.chainId,
        ancestor,
      ]);
    });
  }
}

/** A log as a row: Transfers decoded by hand (the hot path), other events by viem. */
function decode(log: Log): EventRow {
  const base = {
    txHash: log.transactionHash!.slice(2),
    logIndex: log.logIndex!,
    blockNumber: log.blockNumber!,
    blockHash: log.blockHash!.slice(2),
  };
  if (log.topics[0] === transferTopic && log.topics.length === 3) {
    const from = `0x${log.topics[1]!.slice(26)}`;
    const to = `0x${log.topics[2]!.slice(26)}`;
    const amount = BigInt(log.data).toString();
    return {
      ...base,
      name: 'Transfer',
      from,
      to,
      amount,
      args: `{"from":"${from}","to":"${to}","value":"${amount}"}`,
    };
  }
  const event = decodeEventLog({
    abi: clearpegTokenAbi,
    data: log.data,
    topics: log.topics as never,
  });
  const args = JSON.stringify(event.args ?? {}, (_, v) =>
    typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v.toLowerCase() : v,
  );
  return { ...base, name: event.eventName, from: null, to: null, amount: null, args };
}

/** Inserts events, skipping any already stored; returns how many were new. */
async function insertEvents(tx: SqlExecutor, chainId: number, rows: EventRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const { affectedRows } = await tx.query(
    `INSERT INTO chain_events (chain_id, tx_hash, log_index, block_number, block_hash, name, from_address, to_address, amount, args)
     SELECT $1, decode(t, 'hex'), i, n, decode(b, 'hex'), e, f, o, a::numeric, j::jsonb
     FROM unnest($2::text[], $3::int4[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
       AS r(t, i, n, b, e, f, o, a, j)
     ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING`,
    [
      chainId,
      rows.map((r) => r.txHash),
      rows.map((r) => String(r.logIndex)),
      rows.map((r) => r.blockNumber.toString()),
      rows.map((r) => r.blockHash),
      rows.map((r) => r.name),
      rows.map((r) => r.from),
      rows.map((r) => r.to),
      rows.map((r) => r.amount),
      rows.map((r) => r.args),
    ],
  );
  return affectedRows;
}

/**
 * Tokens held by the issuer's addresses on a chain after block `blockNumber`, from the stored
 * Transfer events (so it follows reorgs with them).
 * @example await issuerHeld(db, 31337, 120n)
 */
export async function issuerHeld(
  db: SqlExecutor,
  chainId: number,
  blockNumber: bigint,
): Promise<bigint> {
  const { rows } = await db.query<{ held: string }>(
    `SELECT (coalesce((SELECT sum(e.amount) FROM chain_events e JOIN chain_issuer_addresses a
               ON a.chain_id = e.chain_id AND a.address = e.to_address
             WHERE e.chain_id = $1 AND e.name = 'Transfer' AND e.block_number <= $2), 0)
           - coalesce((SELECT sum(e.amount) FROM chain_events e JOIN chain_issuer_addresses a
               ON a.chain_id = e.chain_id AND a.address = e.from_address
             WHERE e.chain_id = $1 AND e.name = 'Transfer' AND e.block_number <= $2), 0))::text AS held`,
    [chainId, blockNumber],
  );
  return BigInt(rows[0]!.held);
}
