/**
 * The one port every store is written against: a PostgreSQL session.
 *
 * Two adapters implement it (PGlite in a worker thread, node-postgres over TCP) and one
 * shared test suite runs against both. Values cross the port in one normal form so that no
 * store code branches on the backend:
 *
 * | PostgreSQL type            | JavaScript value                                   |
 * |----------------------------|----------------------------------------------------|
 * | int2, int4                 | `number`                                           |
 * | int8, numeric              | `string` (exact decimal text; parse with `BigInt`) |
 * | bytea                      | `Uint8Array` (a `Buffer` counts)                   |
 * | uuid, text                 | `string`                                           |
 * | timestamptz                | `string` (PostgreSQL's text output)                |
 * | bool                       | `boolean`                                          |
 * | json, jsonb                | parsed JSON                                        |
 * | arrays of text and uuid    | `string[]`                                         |
 *
 * Parameters: `string`, `number` (integers only), `bigint` (sent as decimal text),
 * `boolean`, `null`, `Uint8Array` (bytea), arrays of strings or nulls (sent as array literals; cast
 * them in SQL, e.g. `$1::uuid[]`) and `SqlArray` (bulk arrays of uuids and integers, which
 * each adapter sends in the form its server parses fastest). Select `x::text` where you need
 * another type as text.
 */
import { isUuid } from '../ledger/uuid.ts';

/** Element types of a `SqlArray`. */
export type SqlArrayType = 'uuid' | 'numeric' | 'int8' | 'int4';

/**
 * A one-dimensional array parameter of uuids (canonical text) or integers, elements possibly
 * NULL; cast it in SQL to its type (`$1::numeric[]`). PostgreSQL receives it in binary (no
 * text to parse on either side), PGlite as an array literal.
 * @example new SqlArray('numeric', [1n, null, 3n])
 */
export class SqlArray {
  /** Checks every element: a bad one throws here, naming its index, before anything is sent. */
  constructor(
    readonly type: SqlArrayType,
    readonly values: ReadonlyArray<string | bigint | number | null>,
  ) {
    const [min, max] = type === 'uuid' ? [0n, 0n] : integerRange[type];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === null) continue;
      if (type === 'uuid') {
        if (!isUuid(value)) throw new TypeError(`${type}[${i}]: not a canonical uuid`);
        continue;
      }
      if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isSafeInteger(value)))
        throw new TypeError(`${type}[${i}]: ${String(value)} is not a bigint or a safe integer`);
      const integer = BigInt(value);
      if (integer < min || integer > max)
        throw new RangeError(`${type}[${i}]: ${integer} is out of the type's range`);
    }
  }

  /** The array literal, e.g. `{1,NULL,3}` (its elements need no quoting). */
  toLiteral(): string {
    return `{${this.values.map((value) => (value === null ? 'NULL' : value)).join(',')}}`;
  }
}

/** The integers each integer element type of a `SqlArray` takes (numeric: up to 2^128). */
const integerRange: Record<Exclude<SqlArrayType, 'uuid'>, readonly [bigint, bigint]> = {
  int4: [-(2n ** 31n), 2n ** 31n - 1n],
  int8: [-(2n ** 63n), 2n ** 63n - 1n],
  numeric: [-(2n ** 128n), 2n ** 128n],
};

/** A SQL parameter value. */
export type SqlParam =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | ReadonlyArray<string | null>
  | SqlArray;

/** Rows and the count of rows a statement touched. */
export interface SqlResult<Row> {
  readonly rows: Row[];
  /** Rows inserted, updated, deleted or copied; 0 for a plain SELECT. */
  readonly affectedRows: number;
}

/** One session: what a transaction body or a plain caller may do. */
export interface SqlExecutor {
  /** Runs one statement with `$1…$n` parameters. */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly SqlParam[],
  ): Promise<SqlResult<Row>>;
  /**
   * Loads rows with `COPY table (columns) FROM STDIN`: a string is PostgreSQL's text format
   * (one row a line, columns separated by a tab, `\N` for null); bytes are the binary format
   * (see copy-binary.ts). Returns the number of rows copied.
   */
  copyFrom(table: string, columns: readonly string[], data: string | Uint8Array): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A database: sessions, transactions, and its life cycle. */
export interface SqlDatabase extends SqlExecutor {
  /** Which adapter this is, for messages and benchmarks only; store code never branches on it. */
  readonly backend: 'pglite' | 'postgres';
  /**
   * Runs `body` in one transaction (READ COMMITTED) on one session: committed when `body`
   * resolves, rolled back when it throws. A commit that resolves is durable.
   *
   * Statements `body` sends and leaves unanswered when it resolves (its last writes, sent
   * without waiting) go first: COMMIT is sent behind them, without waiting for their
   * answers, and the transaction resolves once all of them are answered. If one of them
   * failed, PostgreSQL rolls the transaction back and it rejects with that statement's error.
   */
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Closes every session; pending work finishes first. */
  close(): Promise<void>;
}

/** An error raised by PostgreSQL, with its SQLSTATE code. */
export class SqlError extends Error {
  override readonly name = 'SqlError';
  constructor(
    message: string,
    /**
     * The SQLSTATE code, e.g. `23505` for a unique violation; `connection-failed` or
     * `connection-lost` on a `SqlConnectionError` (a broken session, not a refusal).
     */
    readonly code: string | undefined,
    readonly detail?: string,
    readonly constraint?: string,
  ) {
    super(message);
  }
}

/**
 * The session to the database broke (a failover, a restart, a network cut, a backend
 * terminated). `code` says what is known of the statement or transaction it carried:
 *
 * - `connection-failed`: nothing was applied (no session could be made, or it broke before a
 *   transaction's COMMIT was sent, so PostgreSQL rolled it back): safe to try again.
 * - `connection-lost`: the outcome is unknown (it broke after a statement outside a
 *   transaction, or a COMMIT, was sent and before its answer came): it may have committed.
 *   The adapter never retries it; the caller resolves it by its own idempotency (the ledger's
 *   command ids, a request's Idempotency-Key), by trying again with the same ids.
 *
 * Either way the broken session is discarded and the next call opens a new one.
 * @example if (error instanceof SqlConnectionError && error.code === 'connection-lost') await resubmitSameIds()
 */
export class SqlConnectionError extends SqlError {
  override readonly name = 'SqlError';
  declare readonly code: 'connection-failed' | 'connection-lost';
  constructor(code: 'connection-failed' | 'connection-lost', cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      code === 'connection-lost'
        ? `the database connection was lost before the answer came; the outcome is unknown (${reason})`
        : `the database connection failed; nothing was applied (${reason})`,
      code,
    );
    this.cause = cause;
  }
}

/** SQLSTATE codes the stores act on. */
export const sqlState = {
  uniqueViolation: '23505',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

/**
 * Escapes one value for a text-format COPY line (PostgreSQL docs, COPY, "Text Format").
 * @example copyText('a\tb') === 'a\\tb'
 */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
      )
    : value;
}

/**
 * A page of rows newest first: `column = $n` for each filter given a value, then, after the
 * row `after` (an id), the rows before it in the order of `orderBy` (a row value such as
 * `(created_at_us, id)`, compared as a whole); `limit` rows.
 * @example pageQuery({ status: 'sent' }, { orderBy: 'id', after, limit: 50, table: 'payouts' })
 */
export function pageQuery(
  filters: Readonly<Record<string, SqlParam | undefined>>,
  page: { table: string; orderBy: string; after: string | undefined; limit: number },
): { where: string; params: SqlParam[] } {
  const conditions: string[] = [];
  const params: SqlParam[] = [];
  for (const [column, value] of Object.entries(filters))
    if (value !== undefined) {
      params.push(value);
      conditions.push(`${column} = $${params.length}`);
    }
  const columns = page.orderBy.replace(/^\(|\)$/g, '');
  if (page.after !== undefined) {
    params.push(page.after);
    conditions.push(
      `${page.orderBy} < (SELECT ${columns} FROM ${page.table} WHERE id::text = $${params.length})`,
    );
  }
  params.push(page.limit);
  const descending = columns
    .split(',')
    .map((column) => `${column.trim()} DESC`)
    .join(', ');
  return {
    where: `${conditions.length === 0 ? 'true' : conditions.join(' AND ')} ORDER BY ${descending} LIMIT $${params.length}`,
    params,
  };
}

/**
 * Rows read as one JSON value: `SELECT <columns> FROM <from> ORDER BY <orderBy>` answered as
 * one text of `[[column, …], …]`. PGlite parses and copies a result row by row (about 70 µs
 * a row of 30 columns); one value is a fraction of that, on `pg` as well. Each column comes
 * back as JSON has it: select numeric `::text` and bytea `encode(…, 'hex')`.
 * @example const rows = await selectTuples<[string, string]>(db, ['id', 'face::text'], 'reserve_positions', 'id')
 */
export async function selectTuples<Tuple extends unknown[]>(
  db: SqlExecutor,
  columns: readonly string[],
  from: string,
  orderBy: string,
  params: readonly SqlParam[] = [],
): Promise<Tuple[]> {
  const { rows } = await db.query<{ rows: string }>(
    `SELECT coalesce(json_agg(json_build_array(${columns.join(', ')}) ORDER BY ${orderBy}), '[]')::text AS rows
     FROM ${from}`,
    params,
  );
  return JSON.parse(rows[0]!.rows) as Tuple[];
}

/**
 * The statements of one transaction, for the adapters: those the body left unanswered, and
 * the first of them that failed (the reason its COMMIT rolls back). Every statement's failure
 * is handled here, so one the body never awaits cannot go unhandled.
 */
export class TxStatements {
  readonly #unanswered = new Set<Promise<unknown>>();
  #failure: Error | undefined;

  /** Tracks `statement` (as the body receives it) and returns it. */
  track<T>(statement: Promise<T>): Promise<T> {
    this.#unanswered.add(statement);
    const answered = () => this.#unanswered.delete(statement);
    statement.then(answered, answered);
    return statement;
  }

  /**
   * Resolves once every statement still unanswered is answered (call it when the body has
   * returned); remembers the first of them, in the order sent, that failed.
   */
  async answered(): Promise<void> {
    const outcomes = await Promise.allSettled([...this.#unanswered]);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) this.#failure ??= failed.reason as Error;
  }

  /**
   * Why the COMMIT rolled back: the first unanswered statement that failed, else SQLSTATE
   * 25P02 (the body swallowed a failure it awaited).
   */
  rollbackReason(): Error {
    return this.#failure ?? new SqlError('COMMIT rolled back: the transaction had failed', '25P02');
  }
}
