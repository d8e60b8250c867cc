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
import {
  BlockNotFoundError,
  bytesToHex,
  decodeEventLog,
  type Hex,
  type Log,
  type PublicClient,
  toEventSelector,
} from 'viem';
import { BinaryCopyWriter } from '../storage/copy-binary.ts';
import { type SqlDatabase, SqlError, type SqlExecutor, sqlState } from '../storage/sql.ts';
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

/** The first block range tried; it doubles from there while the node accepts. */
const initialRange = 128n;

const transferTopic = toEventSelector('Transfer(address,address,uint256)');

/** One decoded event, as stored. */
interface EventRow {
  txHash: Hex;
  logIndex: number;
  blockNumber: bigint;
  blockHash: Hex;
  name: string;
  from: string | null;
  to: string | null;
  amount: bigint | null;
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
  /**
   * The largest range worth trying: half the last one the node refused, creeping back up by
   * an eighth after each success (the chain may grow sparser again), never above `rangeMax`.
   * Without it the range would double straight back into the size that failed, and every
   * other call would be refused (each refusal can cost the node a full response's work).
   */
  private ceiling: bigint;

  constructor(options: IndexerOptions) {
    this.db = options.db;
    this.client = options.client;
    this.chainId = options.chainId;
    this.token = options.token.toLowerCase() as Hex;
    this.finalityDepth = BigInt(options.finalityDepth);
    this.startBlock = options.startBlock ?? 0n;
    this.rangeMax = BigInt(options.rangeMax ?? 2_000);
    this.reorgDepthMax = BigInt(options.reorgDepthMax ?? 256);
    // Start small and double while the node accepts: a refused range can cost it a whole
    // response's work before it says no.
    this.range = min(initialRange, this.rangeMax);
    this.ceiling = this.rangeMax;
  }

  /** The last block read, or undefined before the first step. */
  cursor(): Promise<bigint | undefined> {
    return indexedBlock(this.db, this.chainId);
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
    // A node behind what was read (one that lags behind a balancer) cannot tell whether the
    // blocks above its head changed: nothing to do until it has them.
    if (cursor > head) return { stored: 0, finalReorged, rpcMs, processMs: 0 };
    if (cursor >= this.startBlock) {
      const ancestor = await this.commonAncestor(cursor, timed);
      if (ancestor < cursor) {
        rolledBack = { from: ancestor + 1n, to: cursor };
        // The first block undone had at least `cursor - ancestor` blocks on it when it was
        // read, counting itself: final by then if that reaches the depth. (Not the new head:
        // a branch that grew while nobody looked would make a shallow reorg look deep.)
        finalReorged = cursor - ancestor >= this.finalityDepth;
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
        // The node refused the range (too many results, a response too large, a timeout).
        this.range = this.range / 2n;
        this.ceiling = this.range;
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
      if (this.ceiling < this.rangeMax)
        this.ceiling = min(this.ceiling + this.ceiling / 8n + 1n, this.rangeMax);
      this.range = min(this.range * 2n, this.ceiling);
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
      // A block the node says it does not have is gone; a read that failed (a timeout, a 5xx,
      // a cut answer) says nothing, and fails the step: taken as a mismatch it would undo
      // blocks that are still there, and report a reorg past finality that never happened.
      const block = await timed(() =>
        this.client.getBlock({ blockNumber: number }).catch((error: unknown) => {
          if (error instanceof BlockNotFoundError) return undefined;
          throw error;
        }),
      );
      if (block?.hash === bytesToHex(row.hash)) return number;
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

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** A log as a row: Transfers decoded by hand (the hot path), other events by viem. */
function decode(log: Log): EventRow {
  const topics = log.topics;
  if (topics[0] === transferTopic && topics.length === 3) {
    const from = `0x${topics[1]!.slice(26)}`;
    const to = `0x${topics[2]!.slice(26)}`;
    const amount = BigInt(log.data);
    return {
      txHash: log.transactionHash!,
      logIndex: log.logIndex!,
      blockNumber: log.blockNumber!,
      blockHash: log.blockHash!,
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
  return {
    txHash: log.transactionHash!,
    logIndex: log.logIndex!,
    blockNumber: log.blockNumber!,
    blockHash: log.blockHash!,
    name: event.eventName,
    from: null,
    to: null,
    amount: null,
    args,
  };
}

/** The columns of `chain_events` in the order `insertEvents` writes them. */
const eventColumns = [
  'chain_id',
  'tx_hash',
  'log_index',
  'block_number',
  'block_hash',
  'name',
  'from_address',
  'to_address',
  'amount',
  'args',
] as const;
/** The largest integer `BinaryCopyWriter.numeric` writes (2^128); larger ones: `bigNumeric`. */
const numericWriterMax = 2n ** 128n;
/** Base-10000 digits of an amount: `numeric(78,0)` holds integers below 10^78 (any uint256). */
const amountDigitsMax = 20;
/** Bytes of a row besides its text: 10 length words, int8, hash, int4, int8, hash, numeric. */
const eventRowBytesFixed = 10 * 4 + 8 + 32 + 4 + 8 + 32 + 8 + 2 * amountDigitsMax;

/**
 * Inserts events, skipping any already stored; returns how many were new.
 *
 * One binary COPY straight into `chain_events` (no text for the server to parse), under a
 * savepoint: events above the cursor are normally new, since they are stored with the cursor
 * in one transaction. If some were stored already (another indexer of the same chain got
 * there first), the COPY fails on the key; it is undone and the same rows go through a
 * staging table and `ON CONFLICT DO NOTHING`.
 */
async function insertEvents(tx: SqlExecutor, chainId: number, rows: EventRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  // A writer per call: the payload is read after this returns to the event loop.
  const w = new BinaryCopyWriter();
  const chain = BigInt(chainId);
  let txHash = rows[0]!.txHash;
  let txHashBytes = hashBytes(txHash);
  let blockHash = rows[0]!.blockHash;
  let blockHashBytes = hashBytes(blockHash);
  for (const row of rows) {
    const textLength =
      row.name.length + (row.from?.length ?? 0) + (row.to?.length ?? 0) + 1 + row.args.length;
    w.row(eventColumns.length, eventRowBytesFixed + 3 * textLength);
    // Consecutive events of one transaction or block share the bytes of its hash.
    if (row.txHash !== txHash) {
      txHash = row.txHash;
      txHashBytes = hashBytes(txHash);
    }
    if (row.blockHash !== blockHash) {
      blockHash = row.blockHash;
      blockHashBytes = hashBytes(blockHash);
    }
    w.int8(chain);
    w.bytea(txHashBytes);
    w.int4(row.logIndex);
    w.int8(row.blockNumber);
    w.bytea(blockHashBytes);
    w.text(row.name);
    if (row.from === null) w.null();
    else w.bytea(utf8(row.from));
    if (row.to === null) w.null();
    else w.bytea(utf8(row.to));
    if (row.amount === null) w.null();
    else if (row.amount <= numericWriterMax) w.numeric(row.amount);
    else w.bytea(bigNumeric(row.amount));
    w.bytea(utf8(row.args, true)); // jsonb: version 1, then the text
  }
  const data = w.finish();
  await tx.query('SAVEPOINT chain_events_copy');
  try {
    const copied = await tx.copyFrom('chain_events', eventColumns, data);
    await tx.query('RELEASE SAVEPOINT chain_events_copy');
    return copied;
  } catch (error) {
    if (!(error instanceof SqlError && error.code === sqlState.uniqueViolation)) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT chain_events_copy');
  }
  await tx.query('CREATE TEMP TABLE chain_events_staging (LIKE chain_events) ON COMMIT DROP');
  await tx.copyFrom('chain_events_staging', eventColumns, data);
  const columns = eventColumns.join(', ');
  const { affectedRows } = await tx.query(
    `INSERT INTO chain_events (${columns}) SELECT ${columns} FROM chain_events_staging
     ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING`,
  );
  await tx.query('DROP TABLE chain_events_staging');
  return affectedRows;
}

/** Where `utf8` writes: reused, so that no row allocates its text. */
let utf8Scratch = Buffer.alloc(4096);

/**
 * `text`'s UTF-8 bytes (TextEncoder's, without its allocation), after jsonb's version byte (1)
 * if `jsonb`; valid until the next call.
 */
function utf8(text: string, jsonb = false): Uint8Array {
  if (utf8Scratch.length < 1 + 3 * text.length)
    utf8Scratch = Buffer.alloc(2 * (1 + 3 * text.length));
  if (!jsonb) return utf8Scratch.subarray(0, utf8Scratch.write(text, 0, 'utf8'));
  utf8Scratch[0] = 1;
  return utf8Scratch.subarray(0, 1 + utf8Scratch.write(text, 1, 'utf8'));
}

/** The 32 bytes of a `0x`-prefixed hash. */
function hashBytes(hash: string): Buffer {
  const bytes = Buffer.from(hash.slice(2), 'hex');
  if (hash.length !== 66 || bytes.length !== 32) throw new TypeError(`not a 32-byte hash: ${hash}`);
  return bytes;
}

/**
 * A non-negative integer of at most `amountDigitsMax` base-10000 digits in numeric's binary
 * format (PostgreSQL's `numeric_send`: digit count, weight, sign, display scale, the digits
 * most significant first, trailing zero digits implied by the weight), without its length
 * word. The column's typmod still applies: 10^78 and more is refused by the server, as before.
 */
function bigNumeric(value: bigint): Uint8Array {
  const digits: number[] = [];
  for (let v = value; v > 0n; v /= 10000n) digits.push(Number(v % 10000n));
  if (value < 0n || digits.length > amountDigitsMax)
    throw new RangeError(`amount ${value} does not fit numeric(78,0)`);
  digits.reverse();
  let used = digits.length;
  while (used > 0 && digits[used - 1] === 0) used--;
  const bytes = Buffer.alloc(8 + 2 * used);
  bytes.writeInt16BE(used, 0);
  bytes.writeInt16BE(digits.length - 1, 2); // weight
  // sign (0: positive) and display scale (0) stay zero
  for (let i = 0; i < used; i++) bytes.writeInt16BE(digits[i]!, 8 + 2 * i);
  return bytes;
}

/**
 * The last block the indexer read on a chain, or undefined before its first step.
 * @example await indexedBlock(db, 31337)
 */
export async function indexedBlock(db: SqlExecutor, chainId: number): Promise<bigint | undefined> {
  const { rows } = await db.query<{ block_number: string }>(
    'SELECT block_number::text FROM chain_cursors WHERE chain_id = $1',
    [chainId],
  );
  return rows[0] === undefined ? undefined : BigInt(rows[0].block_number);
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
