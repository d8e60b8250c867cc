/**
 * The connector: sends the issuer's transactions to one chain, each under a request id that
 * maps to at most one on-chain effect, across crashes and restarts.
 *
 * `submit(requestId, intent)`:
 *   1. if the request id is known: the same intent returns its state (and sends its stored
 *      transaction again if it is not yet mined); another intent is refused;
 *   2. the call is simulated first, so a revert (a blocked address, an allowance exceeded,
 *      a pause) surfaces as a typed `ChainError` and spends no nonce;
 *   3. in one database transaction: the sender's next nonce is taken, the transaction signed
 *      and stored with the request; only then
 *   4. it is sent. A crash anywhere after 3 leaves a stored, signed transaction that `resume`
 *      sends again: the same bytes, the same nonce, so never a second effect.
 * `poll()` follows receipts to the chain's finality depth (a block that is no longer on the
 * canonical chain sends the request's transaction again); `bumpFee` replaces a stuck
 * transaction with the same nonce and higher fees (every attempt is stored; one is mined).
 */

import { createHash } from 'node:crypto';
import {
  type Abi,
  BaseError,
  BlockNotFoundError,
  bytesToHex,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  hexToBytes,
  keccak256,
  type LocalAccount,
  type PublicClient,
  parseTransaction,
  TransactionReceiptNotFoundError,
  type TransactionSerializableEIP1559,
} from 'viem';
import { wallClockUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import { clearpegTokenAbi, clearpegTokenBytecode } from './artifacts.ts';
import type { ChainErrorCode } from './errors.ts';

/** A contract call (or a deployment, `to` null) as the issuer means it; amounts are bigints. */
export interface Intent {
  /** The contract called; null deploys `ClearpegToken`. */
  readonly to: Hex | null;
  readonly function: string;
  readonly args: readonly unknown[];
}

/** Where a request stands. */
export type RequestStatus = 'signed' | 'mined' | 'final' | 'reverted';

export interface RequestState {
  readonly requestId: string;
  readonly chainId: number;
  readonly sender: Hex;
  readonly nonce: bigint;
  readonly status: RequestStatus;
  readonly txHash: Hex | null;
  readonly blockNumber: bigint | null;
  /** For a deployment: the contract's address. */
  readonly contractAddress: Hex | null;
}

/** A refusal by the chain or of the request, with a stable code and the contract's error. */
export class ChainError extends ClearpegError {
  override name = 'ChainError';
  constructor(
    code: ChainErrorCode,
    message: string,
    /** The contract's custom error, decoded (`ClearpegBlocked`, `EnforcedPause`, …). */
    readonly error?: { readonly name: string; readonly args: readonly unknown[] },
    options: { field?: string; rule?: string; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** Stable codes for the token's custom errors (docs/contract.md). */
const errorCodes: Readonly<Record<string, ChainErrorCode>> = {
  ClearpegBlocked: 'chain-address-blocked',
  ClearpegMinterAllowanceExceeded: 'chain-minter-allowance-exceeded',
  ClearpegNotRedemptionAddress: 'chain-not-redemption-address',
  ClearpegZeroAddress: 'chain-zero-address',
  EnforcedPause: 'chain-paused',
  ExpectedPause: 'chain-not-paused',
  AccessControlUnauthorizedAccount: 'chain-unauthorized',
  ERC20InsufficientBalance: 'chain-insufficient-balance',
  ERC20InsufficientAllowance: 'chain-insufficient-allowance',
};

export interface ConnectorOptions {
  readonly db: SqlDatabase;
  readonly client: PublicClient;
  readonly chainId: number;
  /** The issuer's signing key for this chain (a local account; an HSM would implement the same). */
  readonly account: LocalAccount;
  /** Blocks on top of a transaction's block before it counts as final (1: the block itself). */
  readonly finalityDepth: number;
  /** Microseconds since the epoch. */
  readonly clockUs?: () => bigint;
  /**
   * Test hook, called at named points between "signed" and "receipt stored" (the crash test
   * kills the process there): after the request is stored, after it is sent, and when a
   * receipt was seen but not yet stored.
   */
  readonly checkpoint?: (point: 'stored' | 'sent' | 'receipt') => void;
  /**
   * The guard of the chain's lease (src/cluster/leases.ts) when several processes share the
   * database: checked in the transaction that takes a nonce and stores a signed transaction,
   * so a process that lost the lease signs nothing that is kept (and so sends nothing new).
   */
  readonly fence?: { check(tx: SqlExecutor): Promise<void> };
}

/** Fee bump factor, in percent: geth and Hardhat replace a transaction only for ≥ 10 % more. */
const bumpPercent = 125n;
/** Gas limit headroom over the estimate, in percent. */
const gasHeadroomPercent = 120n;

type RequestRow = {
  request_id: string;
  chain_id: string;
  sender: string;
  nonce: string;
  intent_hash: Uint8Array;
  status: RequestStatus;
  tx_hash: Uint8Array | null;
  block_number: string | null;
  block_hash: Uint8Array | null;
  intent: { to: string | null };
};

const hex = bytesToHex;
const bytes = hexToBytes;

/**
 * The intent as canonical JSON (bigints as decimal strings, addresses lowercase) and its hash.
 * @example canonicalIntent({ to: null, function: 'constructor', args: [] })
 */
export function canonicalIntent(intent: Intent): { json: string; hash: Uint8Array } {
  const value = (v: unknown): unknown =>
    typeof v === 'bigint'
      ? v.toString()
      : typeof v === 'string' && /^0x[0-9a-fA-F]*$/.test(v)
        ? v.toLowerCase()
        : Array.isArray(v)
          ? v.map(value)
          : v;
  const json = JSON.stringify({
    to: intent.to?.toLowerCase() ?? null,
    function: intent.function,
    args: intent.args.map(value),
  });
  return { json, hash: createHash('sha256').update(json).digest() };
}

/** The issuer's transactions on one chain. */
export class ChainConnector {
  readonly chainId: number;
  readonly sender: Hex;
  private readonly db: SqlDatabase;
  private readonly client: PublicClient;
  private readonly account: LocalAccount;
  private readonly finalityDepth: bigint;
  private readonly clockUs: () => bigint;
  private readonly checkpoint: NonNullable<ConnectorOptions['checkpoint']>;
  private readonly fence: ConnectorOptions['fence'];

  constructor(options: ConnectorOptions) {
    if (!Number.isSafeInteger(options.finalityDepth) || options.finalityDepth < 1)
      throw new ChainError(
        'chain-config-invalid',
        'finalityDepth must be an integer ≥ 1',
        undefined,
        {
          field: 'finalityDepth',
          rule: 'an integer of at least 1',
        },
      );
    this.db = options.db;
    this.client = options.client;
    this.chainId = options.chainId;
    this.account = options.account;
    this.sender = options.account.address.toLowerCase() as Hex;
    this.finalityDepth = BigInt(options.finalityDepth);
    this.clockUs = options.clockUs ?? wallClockUs;
    this.checkpoint = options.checkpoint ?? (() => {});
    this.fence = options.fence;
  }

  /**
   * Deploys `ClearpegToken` under a request id (its address follows from the sender and nonce).
   * @example await connector.deployToken('deploy-1', { name: 'Clearpeg USD', symbol: 'CPUSD', adminDelaySeconds: 86400, admin })
   */
  deployToken(
    requestId: string,
    token: { name: string; symbol: string; adminDelaySeconds: number; admin: Hex },
  ): Promise<RequestState> {
    return this.submit(requestId, {
      to: null,
      function: 'constructor',
      args: [token.name, token.symbol, token.adminDelaySeconds, token.admin],
    });
  }

  /**
   * Sends `intent` under `requestId` (see the module comment); resolves once the transaction
   * is stored and sent, not mined: `poll` follows it.
   */
  async submit(requestId: string, intent: Intent): Promise<RequestState> {
    if (requestId.length < 1 || requestId.length > 128)
      throw new ChainError(
        'chain-request-invalid',
        'requestId must be 1 to 128 characters',
        undefined,
        {
          field: 'requestId',
          rule: '1 to 128 characters',
        },
      );
    const { json, hash } = canonicalIntent(intent);
    const known = await this.request(this.db, requestId);
    if (known !== undefined) return this.again(known, hash);
    const data = this.encode(intent);
    await this.simulate(intent, data);
    const [gas, fees] = await Promise.all([
      this.client.estimateGas({ account: this.account.address, to: intent.to ?? undefined, data }),
      this.client.estimateFeesPerGas(),
    ]);
    const stored = await this.db.transaction(
      async (tx): Promise<{ again: RequestRow } | { raw: Hex }> => {
        const again = await this.request(tx, requestId, 'FOR UPDATE');
        if (again !== undefined) return { again };
        await this.fence?.check(tx);
        const nonce = await this.takeNonce(tx);
        const raw = await this.sign({
          chainId: this.chainId,
          type: 'eip1559',
          nonce: Number(nonce),
          to: intent.to ?? undefined,
          data,
          gas: (gas * gasHeadroomPercent) / 100n,
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        });
        const now = this.clockUs();
        await tx.query(
          `INSERT INTO chain_requests (request_id, chain_id, sender, nonce, intent, intent_hash, status, created_at_us, updated_at_us)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, 'signed', $7, $7)`,
          [requestId, this.chainId, this.sender, nonce, json, hash, now],
        );
        await this.storeAttempt(tx, requestId, raw, fees.maxFeePerGas, fees.maxPriorityFeePerGas);
        return { raw };
      },
    );
    if ('again' in stored) return this.again(stored.again, hash);
    this.checkpoint('stored');
    await this.send(stored.raw);
    this.checkpoint('sent');
    return this.state((await this.request(this.db, requestId))!);
  }

  /** After a restart: sends again every stored transaction not yet mined. Returns how many. */
  async resume(): Promise<number> {
    const { rows } = await this.db.query<{ request_id: string }>(
      `SELECT request_id FROM chain_requests WHERE chain_id = $1 AND sender = $2 AND status = 'signed' ORDER BY nonce`,
      [this.chainId, this.sender],
    );
    for (const row of rows) await this.sendLatest(row.request_id);
    return rows.length;
  }

  /**
   * Follows every open request: a mined attempt moves it to mined (or reverted), a mined one
   * deep enough to final; one whose block left the canonical chain goes back to signed and is
   * sent again. Returns the requests whose status changed.
   *
   * The lowest request not mined is sent again (see below).
   *
   * Finality is judged on `head` when the caller gives it (the chain worker gives the head it
   * read at the start of its tick, the one parity is checked against: a second read could
   * answer an older head, from a node that lags behind the first), else on the head read now.
   */
  async poll(head?: bigint): Promise<RequestState[]> {
    const { rows } = await this.db.query<RequestRow>(
      // By the bigint column: the query returns nonce as text.
      `SELECT ${requestColumns} FROM chain_requests r WHERE r.chain_id = $1 AND r.sender = $2 AND r.status IN ('signed', 'mined') ORDER BY r.nonce`,
      [this.chainId, this.sender],
    );
    if (rows.length === 0) return [];
    // Not viem's cached block number: finality is judged on the head as it is now.
    const judgedAt = head ?? (await this.client.getBlockNumber({ cacheTime: 0 }));
    const changed: RequestState[] = [];
    let lowestUnmined: string | undefined;
    for (const row of rows) {
      const next = await this.follow(row, judgedAt);
      if (next !== undefined) changed.push(next);
      if ((next?.status ?? row.status) === 'signed') lowestUnmined ??= row.request_id;
    }
    // The lowest nonce not mined holds back every transaction after it. Its send may have been
    // lost (a dropped connection) while a later one was signed and refused for the gap (as
    // nodes that do not queue do), and the workflow that would send it again may be the one
    // that waits behind the later one: sent again here, every poll, the same signed bytes.
    // Best effort: a refusal here is its workflow's to report, when it sends it again.
    if (lowestUnmined !== undefined) await this.sendLatest(lowestUnmined).catch(() => {});
    return changed;
  }

  /** The state of a request, if the id is known. */
  async get(requestId: string): Promise<RequestState | undefined> {
    const row = await this.request(this.db, requestId);
    return row && this.state(row);
  }

  /**
   * Replaces a request's unmined transaction with the same nonce and fees raised by 25 %
   * (and at least the network's current fees). Returns the new transaction's hash.
   */
  async bumpFee(requestId: string): Promise<Hex> {
    const row = await this.request(this.db, requestId);
    if (row === undefined)
      throw new ChainError('chain-request-not-found', `no request ${requestId}`, undefined, {
        field: 'requestId',
        rule: 'a known request id',
      });
    if (row.status !== 'signed')
      throw new ChainError('chain-request-mined', `request ${requestId} is already ${row.status}`);
    const latest = await this.latestAttempt(requestId);
    // The same transaction (without its signature: it is signed again) at higher fees.
    const { chainId, nonce, to, data, gas, value } = parseTransaction(
      latest.raw,
    ) as TransactionSerializableEIP1559;
    const previous: TransactionSerializableEIP1559 = {
      type: 'eip1559',
      chainId,
      nonce,
      to,
      data,
      gas,
      value,
    };
    const fees = await this.client.estimateFeesPerGas();
    const bump = (old: bigint, now: bigint) => {
      const raised = (old * bumpPercent) / 100n;
      return raised > now ? raised : now;
    };
    const maxFeePerGas = bump(latest.maxFeePerGas, fees.maxFeePerGas);
    const maxPriorityFeePerGas = bump(latest.maxPriorityFeePerGas, fees.maxPriorityFeePerGas);
    const raw = await this.sign({ ...previous, maxFeePerGas, maxPriorityFeePerGas });
    const txHash = await this.db.transaction(async (tx) => {
      await this.fence?.check(tx);
      return this.storeAttempt(tx, requestId, raw, maxFeePerGas, maxPriorityFeePerGas);
    });
    await this.send(raw);
    return txHash;
  }

  private async follow(row: RequestRow, head: bigint): Promise<RequestState | undefined> {
    const now = this.clockUs();
    if (row.status === 'mined') {
      // Gone only if the node says it has no such block: a failed read fails the poll.
      const block = await this.client
        .getBlock({ blockNumber: BigInt(row.block_number!) })
        .catch((error: unknown) => {
          if (error instanceof BlockNotFoundError) return undefined;
          throw error;
        });
      if (block === undefined || block.hash !== hex(row.block_hash!)) {
        // Reorganized away: back to signed, and the same transaction is sent again.
        await this.db.query(
          `UPDATE chain_requests SET status = 'signed', tx_hash = NULL, block_number = NULL, block_hash = NULL, updated_at_us = $2 WHERE request_id = $1 AND status = 'mined'`,
          [row.request_id, now],
        );
        await this.sendLatest(row.request_id);
        return this.state((await this.request(this.db, row.request_id))!);
      }
      if (head - BigInt(row.block_number!) + 1n < this.finalityDepth) return undefined;
      await this.db.query(
        `UPDATE chain_requests SET status = 'final', updated_at_us = $2 WHERE request_id = $1 AND status = 'mined'`,
        [row.request_id, now],
      );
      return this.state((await this.request(this.db, row.request_id))!);
    }
    const { rows: attempts } = await this.db.query<{ tx_hash: Uint8Array }>(
      'SELECT tx_hash FROM chain_attempts WHERE request_id = $1',
      [row.request_id],
    );
    for (const attempt of attempts) {
      // Not mined (yet) only if the node says it has no receipt: a read that failed fails the
      // poll, since parity, checked next, counts every issuer transaction final on chain.
      const receipt = await this.client
        .getTransactionReceipt({ hash: hex(attempt.tx_hash) })
        .catch((error: unknown) => {
          if (error instanceof TransactionReceiptNotFoundError) return undefined;
          throw error;
        });
      if (receipt === undefined) continue;
      this.checkpoint('receipt');
      const status = receipt.status === 'success' ? 'mined' : 'reverted';
      await this.db.query(
        `UPDATE chain_requests SET status = $2, tx_hash = $3, block_number = $4, block_hash = $5, updated_at_us = $6
         WHERE request_id = $1 AND status = 'signed'`,
        [
          row.request_id,
          status,
          attempt.tx_hash,
          receipt.blockNumber,
          bytes(receipt.blockHash),
          now,
        ],
      );
      const state = (await this.request(this.db, row.request_id))!;
      if (status === 'mined') return (await this.follow(state, head)) ?? this.state(state);
      return this.state(state);
    }
    return undefined;
  }

  private again(row: RequestRow, hash: Uint8Array): Promise<RequestState> | RequestState {
    if (!Buffer.from(row.intent_hash).equals(Buffer.from(hash)))
      throw new ChainError(
        'chain-request-conflict',
        `request ${row.request_id} was made for another intent`,
        undefined,
        { field: 'requestId', rule: 'a request id names one intent' },
      );
    if (row.status !== 'signed') return this.state(row);
    return this.sendLatest(row.request_id).then(() => this.state(row));
  }

  private encode(intent: Intent): Hex {
    if (intent.to === null)
      return encodeDeployData({
        abi: clearpegTokenAbi,
        bytecode: clearpegTokenBytecode,
        args: intent.args as never,
      });
    return encodeFunctionData({
      abi: clearpegTokenAbi as Abi,
      functionName: intent.function,
      args: intent.args as unknown[],
    });
  }

  /** Runs the call against the latest state; a revert becomes a typed `ChainError`. */
  private async simulate(intent: Intent, data: Hex): Promise<void> {
    try {
      await this.client.call({ account: this.account.address, to: intent.to ?? undefined, data });
    } catch (error) {
      throw toChainError(error);
    }
  }

  private async takeNonce(tx: SqlExecutor): Promise<bigint> {
    const { rows } = await tx.query<{ next_nonce: string }>(
      'SELECT next_nonce::text FROM chain_nonces WHERE chain_id = $1 AND sender = $2 FOR UPDATE',
      [this.chainId, this.sender],
    );
    // The node's count covers a key that was used elsewhere (or a fresh database).
    const pending = BigInt(
      await this.client.getTransactionCount({ address: this.account.address, blockTag: 'pending' }),
    );
    const stored = rows[0] === undefined ? 0n : BigInt(rows[0].next_nonce);
    const nonce = stored > pending ? stored : pending;
    await tx.query(
      `INSERT INTO chain_nonces (chain_id, sender, next_nonce) VALUES ($1, $2, $3)
       ON CONFLICT (chain_id, sender) DO UPDATE SET next_nonce = excluded.next_nonce`,
      [this.chainId, this.sender, nonce + 1n],
    );
    return nonce;
  }

  private sign(transaction: TransactionSerializableEIP1559): Promise<Hex> {
    return this.account.signTransaction(transaction);
  }

  private async storeAttempt(
    tx: SqlExecutor,
    requestId: string,
    raw: Hex,
    maxFeePerGas: bigint,
    maxPriorityFeePerGas: bigint,
  ): Promise<Hex> {
    const txHash = keccak256(raw);
    await tx.query(
      `INSERT INTO chain_attempts (tx_hash, request_id, raw, max_fee_per_gas, max_priority_fee_per_gas, signed_at_us)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [bytes(txHash), requestId, bytes(raw), maxFeePerGas, maxPriorityFeePerGas, this.clockUs()],
    );
    return txHash;
  }

  private async latestAttempt(
    requestId: string,
  ): Promise<{ raw: Hex; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const { rows } = await this.db.query<{ raw: Uint8Array; f: string; p: string }>(
      `SELECT raw, max_fee_per_gas::text AS f, max_priority_fee_per_gas::text AS p FROM chain_attempts
       WHERE request_id = $1 ORDER BY max_fee_per_gas DESC, signed_at_us DESC LIMIT 1`,
      [requestId],
    );
    const row = rows[0];
    if (row === undefined) throw new Error(`assertion failed: request ${requestId} has an attempt`);
    return { raw: hex(row.raw), maxFeePerGas: BigInt(row.f), maxPriorityFeePerGas: BigInt(row.p) };
  }

  private async sendLatest(requestId: string): Promise<void> {
    await this.send((await this.latestAttempt(requestId)).raw);
  }

  /** Sends a signed transaction; one the node already has, or has already mined, is fine. */
  private async send(raw: Hex): Promise<void> {
    try {
      await this.client.sendRawTransaction({ serializedTransaction: raw });
    } catch (error) {
      const text = error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : '';
      if (/already known|nonce too low|known transaction|already imported|replacement/i.test(text))
        return;
      throw error;
    }
  }

  private async request(
    on: SqlExecutor,
    requestId: string,
    lock: '' | 'FOR UPDATE' = '',
  ): Promise<RequestRow | undefined> {
    const { rows } = await on.query<RequestRow>(
      `SELECT ${requestColumns} FROM chain_requests WHERE request_id = $1 ${lock}`,
      [requestId],
    );
    return rows[0];
  }

  private state(row: RequestRow): RequestState {
    return {
      requestId: row.request_id,
      chainId: Number(row.chain_id),
      sender: row.sender as Hex,
      nonce: BigInt(row.nonce),
      status: row.status,
      txHash: row.tx_hash === null ? null : hex(row.tx_hash),
      blockNumber: row.block_number === null ? null : BigInt(row.block_number),
      contractAddress:
        row.intent.to === null
          ? getContractAddress({ from: row.sender as Hex, nonce: BigInt(row.nonce) })
          : null,
    };
  }
}

const requestColumns = `request_id, chain_id::text, sender, nonce::text, intent_hash, status, tx_hash,
  block_number::text, block_hash, intent`;

/**
 * A revert as a `ChainError` with the contract's error decoded; anything else unchanged.
 * @example toChainError(error).code // 'chain-address-blocked'
 */
export function toChainError(error: unknown): unknown {
  if (!(error instanceof BaseError)) return error;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  let decoded: { name: string; args: readonly unknown[] } | undefined;
  if (reverted instanceof ContractFunctionRevertedError && reverted.data !== undefined) {
    decoded = { name: reverted.data.errorName, args: reverted.data.args ?? [] };
  } else {
    const data = revertData(error);
    if (data !== undefined) {
      try {
        const result = decodeErrorResult({ abi: clearpegTokenAbi, data });
        decoded = { name: result.errorName, args: result.args ?? [] };
      } catch {
        // not one of the token's errors
      }
    }
  }
  if (decoded === undefined) return error;
  const code = errorCodes[decoded.name] ?? 'chain-reverted';
  return new ChainError(code, `the contract refused: ${decoded.name}`, decoded, { cause: error });
}

/**
 * The revert data in an RPC error: `data` as a string (geth, code 3) or `data.data` (Hardhat's
 * node, code -32603, `{ message, data }`).
 */
function revertData(error: BaseError): Hex | undefined {
  const isData = (value: unknown): value is Hex =>
    typeof value === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(value);
  let data: Hex | undefined;
  error.walk((e) => {
    const candidate = (e as { data?: unknown }).data;
    const nested = (candidate as { data?: unknown } | undefined)?.data;
    data = isData(candidate) ? candidate : isData(nested) ? nested : undefined;
    return data !== undefined;
  });
  return data;
}
