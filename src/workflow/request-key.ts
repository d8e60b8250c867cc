/**
 * A request made once per API request key (docs/api.md, "A crash in flight"): the API gives
 * each POST the digest of its caller and `Idempotency-Key`, and a workflow that makes a request
 * (a mint, a payout, a governance change) stores it with the request, under a unique index
 * (migration 0015). A run of the same POST again finds that request instead of making another:
 * a run after a crash, after a COMMIT whose answer the server never saw, or beside a first run
 * still in flight (its insert then fails on the index, and this run answers the request the
 * other made).
 */
import { createHash } from 'node:crypto';
import { ClearpegError } from '../errors.ts';
import type { SqlExecutor } from '../storage/sql.ts';

/**
 * The request key of `caller`'s `Idempotency-Key` (32 bytes).
 * @example requestKeyOf('op-tess', '3f0c…').length === 32
 */
export function requestKeyOf(caller: string, idempotencyKey: string): Uint8Array {
  return new Uint8Array(
    createHash('sha256').update(`clearpeg-request-key/1\n${caller}\n${idempotencyKey}`).digest(),
  );
}

/** The tables whose requests carry a request key (migration 0015). */
export type KeyedTable = 'mint_requests' | 'payouts' | 'changes';

/**
 * Makes a request once per `requestKey`: the request stored under it in `table` if there is
 * one (read with `get`; it must be the one asked for: `same`), else `make()`; if `make` fails
 * and a request now stands under the key, another run made it, and that one is the answer.
 * Without a key, just `make()`.
 * @example await oncePerKey(db, key, 'mint_requests', (id) => getMint(db, id), (m) => m.amount === amount, make)
 */
export async function oncePerKey<T>(
  db: SqlExecutor,
  requestKey: Uint8Array | undefined,
  table: KeyedTable,
  get: (id: string) => Promise<T>,
  same: (found: T) => boolean,
  make: () => Promise<T>,
): Promise<T> {
  if (requestKey === undefined) return make();
  const find = async (): Promise<T | undefined> => {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM ${table} WHERE request_key = $1`,
      [requestKey],
    );
    return rows[0] === undefined ? undefined : get(rows[0].id);
  };
  const check = (found: T): T => {
    if (!same(found))
      throw new ClearpegError(
        'idempotency-key-reused',
        'this Idempotency-Key made another request (other fields); use a new key for a new request',
        { field: 'Idempotency-Key', rule: 'one request per key' },
      );
    return found;
  };
  const found = await find();
  if (found !== undefined) return check(found);
  try {
    return await make();
  } catch (error) {
    const made = await find().catch(() => undefined);
    if (made !== undefined) return check(made);
    throw error;
  }
}
