/**
 * Idempotency of POSTs (the IETF draft `Idempotency-Key` header): per caller and key, the
 * SHA-256 of the request (method, path with query, body bytes) and the first response.
 *
 *   first request      a placeholder row (status 0) is inserted, then the request runs and its
 *                      response (2xx, or a 4xx refusal) replaces the placeholder;
 *   same key and body  the stored response again, with `Idempotent-Replayed: true`; nothing runs;
 *   same key, other    422 `idempotency-key-reused`;
 *   while in flight    409 `idempotency-in-progress`;
 *   a 5xx              the placeholder is deleted: nothing is known, the client may retry.
 *
 * A placeholder left by a crash is refused as in progress for `staleAfterUs`, then taken over
 * by the next request with the same key and body (docs/api.md says why that cannot pay twice).
 * Sooner when the placeholder names its process (a `clearpeg serve` process of src/cluster/)
 * and that process is taken for dead: it ran on this host and its pid is gone, as
 * `LeaseKeeper` judges a lease's holder (at once), or it has not been seen for as long as it
 * takes every lease it held to pass to another process (12 s: a process on another host that
 * died, or one that is paused or cut off from the database). `processGone` in src/cluster/
 * judges it. Running its request again is safe even if it only paused (docs/api.md, "A crash
 * in flight"): the request's own idempotency makes nothing twice, and the first run's late
 * answer is not stored over the second's.
 *
 * A placeholder left while the database was away (a failover: the deletion after a 5xx, or
 * the stored response, or the reservation's own answer, lost with the connection) is not left
 * to go stale: `KeyRepairs` keeps the write this process owes and does it again every
 * `keyRepairRetryMs` until the database takes it, so a client retrying under the same key
 * completes within about that long of the database's return.
 */
import { createHash } from 'node:crypto';
import { processGone } from '../cluster/leases.ts';
import { SqlConnectionError, type SqlExecutor } from '../storage/sql.ts';
import { ApiError } from './problem.ts';

/** The header. */
export const idempotencyHeader = 'idempotency-key';
/** The header of a replayed response. */
export const replayedHeader = 'idempotent-replayed';
/** A placeholder older than this is taken for a crashed request's and may run again. */
export const idempotencyStaleUsDefault = 60_000_000n;

/** Printable ASCII without spaces, 1 to 255 characters (the table's bound). */
const keyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key, or `idempotency-key-required` / `idempotency-key-invalid`.
 * @example idempotencyKeyOf('3f0c…') === '3f0c…'
 */
export function idempotencyKeyOf(header: string | undefined): string {
  if (header === undefined || header === '')
    throw new ApiError(
      'idempotency-key-required',
      'every POST needs an Idempotency-Key header (a unique string per intended change, e.g. a UUID)',
      { field: 'Idempotency-Key', rule: 'present on every POST' },
    );
  if (!keyPattern.test(header))
    throw new ApiError(
      'idempotency-key-invalid',
      'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces',
      { field: 'Idempotency-Key', rule: '1 to 255 printable ASCII characters' },
    );
  return header;
}

/**
 * SHA-256 of a request: `method \n path?query \n` then the body's bytes.
 * @example requestHash('POST', '/v1/mints', bytes).length === 32
 */
export function requestHash(method: string, path: string, body: Uint8Array): Uint8Array {
  return createHash('sha256').update(`${method}\n${path}\n`).update(body).digest();
}

/** A stored response. */
export interface StoredResponse {
  readonly status: number;
  readonly body: string;
}

/** What `reserveKey` decided: run the request, or answer the stored response. */
export type Reservation =
  | { readonly run: true }
  | { readonly run: false; readonly stored: StoredResponse };

/**
 * Reserves `key` for a request of hash `hash` by `caller`; returns whether to run it or the
 * response to replay. Throws `idempotency-key-reused` or `idempotency-in-progress`.
 * @example const r = await reserveKey(db, 'op-tess', key, hash, nowUs)
 */
export async function reserveKey(
  db: SqlExecutor,
  caller: string,
  key: string,
  hash: Uint8Array,
  nowUs: bigint,
  staleAfterUs: bigint = idempotencyStaleUsDefault,
  holder?: string,
): Promise<Reservation> {
  // A placeholder's body is empty until the response replaces it: it names the holder meanwhile.
  const inserted = await db.query(
    `INSERT INTO idempotency_keys (caller, key, request_sha256, status, body, created_at_us)
     VALUES ($1, $2, $3, 0, $5, $4) ON CONFLICT (caller, key) DO NOTHING RETURNING key`,
    [caller, key, hash, nowUs, holder ?? ''],
  );
  if (inserted.rows.length === 1) return { run: true };
  const { rows } = await db.query<{
    request_sha256: Uint8Array;
    status: number;
    body: string;
    created_at_us: string;
  }>(
    'SELECT request_sha256, status, body, created_at_us::text FROM idempotency_keys WHERE caller = $1 AND key = $2',
    [caller, key],
  );
  const row = rows[0];
  // Deleted after a 5xx in between: the key is free again.
  if (row === undefined) return reserveKey(db, caller, key, hash, nowUs, staleAfterUs, holder);
  if (!Buffer.from(row.request_sha256).equals(Buffer.from(hash)))
    throw new ApiError(
      'idempotency-key-reused',
      'this Idempotency-Key was used for another request (another method, path or body); use a new key for a new request',
      { field: 'Idempotency-Key', rule: 'one request per key' },
    );
  if (row.status !== 0) return { run: false, stored: { status: row.status, body: row.body } };
  const createdUs = BigInt(row.created_at_us);
  if (
    nowUs - createdUs >= staleAfterUs ||
    (row.body !== '' && row.body !== holder && (await processGone(db, row.body)))
  ) {
    // Left by a crashed request: the first retry to take it over runs.
    const taken = await db.query(
      `UPDATE idempotency_keys SET created_at_us = $3, body = $5
       WHERE caller = $1 AND key = $2 AND status = 0 AND created_at_us = $4`,
      [caller, key, nowUs, createdUs, holder ?? ''],
    );
    if (taken.affectedRows === 1) return { run: true };
  }
  throw new ApiError(
    'idempotency-in-progress',
    'a request with this Idempotency-Key is still being processed; retry later for its response',
    { field: 'Idempotency-Key', rule: 'one request at a time per key' },
  );
}

/**
 * Stores the response of the request that holds `key`.
 * @example await completeKey(db, 'op-tess', key, { status: 201, body: '{…}' })
 */
export async function completeKey(
  db: SqlExecutor,
  caller: string,
  key: string,
  response: StoredResponse,
  reservedUs?: bigint,
): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET status = $3, body = $4 WHERE caller = $1 AND key = $2 AND status = 0
     AND ($5::bigint IS NULL OR created_at_us = $5)`,
    [caller, key, response.status, response.body, reservedUs ?? null],
  );
}

/**
 * Frees `key` after a failure whose outcome is unknown (a 5xx): the client may retry. With
 * `reservedUs` (the `nowUs` it was reserved with), only that reservation's placeholder: not
 * one another request took over since.
 * @example await releaseKey(db, 'op-tess', key)
 */
export async function releaseKey(
  db: SqlExecutor,
  caller: string,
  key: string,
  reservedUs?: bigint,
): Promise<void> {
  await db.query(
    `DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND status = 0
     AND ($3::bigint IS NULL OR created_at_us = $3)`,
    [caller, key, reservedUs ?? null],
  );
}

/** How often `KeyRepairs` tries its writes again while the database is away. */
export const keyRepairRetryMs = 250;
/**
 * Writes owed at most at once; past it the oldest is dropped (its placeholder then goes stale
 * and is taken over after `staleAfterUs`, as after a crash). About a failover's worth of
 * requests at the rate limit.
 */
const keyRepairsMax = 10_000;

/** A write to the idempotency table this process owes. */
interface KeyRepair {
  readonly caller: string;
  readonly key: string;
  readonly reservedUs: bigint;
  /** The response to store; undefined: delete the placeholder. */
  readonly response: StoredResponse | undefined;
}

/**
 * The placeholder writes this process could not make because the database was away, done
 * again every `keyRepairRetryMs` until they succeed, or until their placeholder is stale
 * (`staleAfterUs` after its reservation: then the next request takes it over, as after a
 * crash). Each write is idempotent (it touches only its own reservation's placeholder, still
 * at status 0), so doing it again is safe whatever became of the first try.
 * @example const repairs = new KeyRepairs(db, clockUs, staleUs); repairs.release('op-tess', key, reservedUs)
 */
export class KeyRepairs {
  readonly #owed = new Map<string, KeyRepair>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly db: SqlExecutor,
    private readonly clockUs: () => bigint,
    private readonly staleAfterUs: bigint = idempotencyStaleUsDefault,
    private readonly retryMs: number = keyRepairRetryMs,
  ) {}

  /** Deletes the placeholder of `key`'s reservation at `reservedUs`, as soon as it can. */
  release(caller: string, key: string, reservedUs: bigint): void {
    this.#owe({ caller, key, reservedUs, response: undefined });
  }

  /** Stores `response` in the placeholder of `key`'s reservation at `reservedUs`, as soon as it can. */
  complete(caller: string, key: string, reservedUs: bigint, response: StoredResponse): void {
    this.#owe({ caller, key, reservedUs, response });
  }

  /** Writes owed now. */
  get size(): number {
    return this.#owed.size;
  }

  /** Tries every owed write once; resolves to how many are still owed. */
  async flush(): Promise<number> {
    if (this.#running) return this.#owed.size;
    this.#running = true;
    try {
      for (const [id, repair] of [...this.#owed]) {
        if (this.clockUs() - repair.reservedUs >= this.staleAfterUs) {
          this.#owed.delete(id); // stale: the next request under the key takes it over
          continue;
        }
        try {
          if (repair.response === undefined)
            await releaseKey(this.db, repair.caller, repair.key, repair.reservedUs);
          else
            await completeKey(
              this.db,
              repair.caller,
              repair.key,
              repair.response,
              repair.reservedUs,
            );
          if (this.#owed.get(id) === repair) this.#owed.delete(id);
        } catch {
          break; // still away: try again later
        }
      }
    } finally {
      this.#running = false;
      this.#schedule();
    }
    return this.#owed.size;
  }

  /** Stops trying (the process is stopping); what is owed goes stale in the database. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#owed.clear();
  }

  #owe(repair: KeyRepair): void {
    const id = `${repair.caller}\n${repair.key}`;
    this.#owed.delete(id);
    this.#owed.set(id, repair);
    if (this.#owed.size > keyRepairsMax) this.#owed.delete(this.#owed.keys().next().value!);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#owed.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.retryMs);
    this.#timer.unref();
  }
}

/**
 * Whether a failed reservation may have left a placeholder: its INSERT's answer was lost.
 * @example if (reservationMayStand(error)) repairs.release(caller, key, nowUs)
 */
export function reservationMayStand(error: unknown): boolean {
  return error instanceof SqlConnectionError && error.code === 'connection-lost';
}
