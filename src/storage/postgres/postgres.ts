/**
 * The server store: node-postgres (`pg.Pool`) over TCP, COPY through pg-copy-streams.
 * A `SqlArray` parameter is sent in binary (node-postgres sends a Buffer parameter in binary
 * format; the cast in the SQL gives it its type).
 * Values are put into the normal form of ../sql.ts by per-pool type parsers; every session
 * runs with TimeZone=UTC (as PGlite does) so timestamptz text is the same on both.
 *
 * A broken session (a failover: HAProxy cuts the sessions to a primary that died or stepped
 * down; a restart; a terminated backend) is discarded, and the next call opens a new one.
 * The call it carried fails with a `SqlConnectionError` (../sql.ts): `connection-failed` when
 * nothing was applied (no session, or a transaction broken before its COMMIT was sent),
 * `connection-lost` when the outcome is unknown (a statement outside a transaction, or a
 * COMMIT, sent and unanswered). Neither is retried here: a retry of an unknown outcome could
 * apply it twice; callers resolve it by their ids (the ledger's command ids, a request's
 * Idempotency-Key).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStream } from 'pg-copy-streams';
import { assert } from '../../errors.ts';
import { binaryArray } from '../copy-binary.ts';
import {
  SqlArray,
  SqlConnectionError,
  type SqlDatabase,
  SqlError,
  type SqlExecutor,
  type SqlParam,
  type SqlResult,
  TxStatements,
} from '../sql.ts';

/** Where and how to connect. `searchPath` is set on every connection (tests: one schema each). */
export interface PostgresOptions {
  readonly url: string;
  readonly max?: number;
  readonly searchPath?: string;
}

/** node-postgres' own default pool size. */
const DEFAULT_POOL_SIZE = 10;

/** Plain identifiers only: COPY cannot take the table and columns as parameters. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Command tags whose row count `affectedRows` reports (as PGlite does). */
const COUNTED_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE']);

const { builtins } = pg.types;
const identity = (text: string) => text;
/** text[]: pg-types' parser for it keeps the elements as strings (and nulls as null). */
const TEXT_ARRAY: number = 1009;
const textArray = pg.types.getTypeParser(TEXT_ARRAY);
/** Array type oids (pg-types has no names for them) whose elements stay text. */
const TEXT_ARRAYS = {
  int8: 1016,
  numeric: 1231, // pg-types would parse these as floats
  timestamp: 1115,
  timestamptz: 1185,
  date: 1182,
};
/** The normal form of sql.ts: exact numbers and timestamps as PostgreSQL's text. */
const PARSERS = new Map<number, (text: string) => unknown>([
  [builtins.INT8, identity],
  [builtins.NUMERIC, identity],
  [builtins.DATE, identity],
  [builtins.TIMESTAMP, identity],
  [builtins.TIMESTAMPTZ, identity],
  ...Object.values(TEXT_ARRAYS).map((oid) => [oid, textArray] as const),
]);

const types: pg.CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): unknown =>
    (format !== 'binary' && PARSERS.get(oid)) || pg.types.getTypeParser(oid, format),
};

/** Opens a pool and checks that the server answers. */
export async function openPostgres(options: PostgresOptions): Promise<SqlDatabase> {
  const settings = ['TimeZone=UTC', 'DateStyle=ISO, MDY'];
  if (options.searchPath !== undefined) settings.push(`search_path=${options.searchPath}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? DEFAULT_POOL_SIZE,
    // A session whose peer vanished without a word (a host gone) is found out by TCP.
    keepAlive: true,
    types,
    options: settings.map((setting) => `-c ${escapeOption(setting)}`).join(' '),
  });
  pool.on('error', () => {}); // an idle client died; the pool replaces it on next use
  // A client checked out (in a transaction) whose session breaks emits 'error' too, with no
  // listener of the pool's then: without this one the process would die of it. Its calls
  // fail with the error and the client is discarded on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw brokenSession(error)
      ? new SqlConnectionError('connection-failed', error)
      : toSqlError(error);
  }
  return new PostgresDatabase(pool);
}

/** Escapes a value for the libpq `options` startup parameter (spaces and backslashes). */
function escapeOption(value: string): string {
  return value.replace(/[\\ ]/g, (c) => `\\${c}`);
}

/**
 * SQLSTATEs of a session that is ending: class 08 (connection exception), 57P01 (terminated
 * by an administrator: pg_terminate_backend, a fast shutdown), 57P02 (crash shutdown), 57P03
 * (not accepting connections: starting up, recovering).
 */
const ENDING_SESSION = /^(08...|57P0[123])$/;
/** Errors node-postgres and the socket raise when a session breaks or cannot be made. */
const BROKEN_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
const BROKEN_MESSAGE =
  /^(Connection terminated|Client has encountered a connection error|Client was closed)/;

/** Whether `error` means the session broke (or none could be made), not a refusal. */
function brokenSession(error: unknown): boolean {
  if (error instanceof SqlConnectionError) return true;
  if (error instanceof SqlError || error instanceof pg.DatabaseError)
    return error.code !== undefined && ENDING_SESSION.test(error.code);
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && BROKEN_SOCKET.has(code)) || BROKEN_MESSAGE.test(error.message);
}

function toSqlError(error: unknown): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  return new SqlError(error.message, error.code, error.detail, error.constraint);
}

function copySql(table: string, columns: readonly string[], binary: boolean): string {
  for (const name of [...table.split('.'), ...columns]) {
    if (!IDENTIFIER.test(name)) throw new Error(`COPY: not a plain identifier: ${name}`);
  }
  return `COPY ${table} (${columns.join(', ')}) FROM STDIN${binary ? ' WITH (FORMAT binary)' : ''}`;
}

type Queryable = pg.Pool | pg.PoolClient;

async function query<Row>(
  on: Queryable,
  sql: string,
  params: readonly SqlParam[] = [],
): Promise<SqlResult<Row>> {
  try {
    const values = params.map((param) => (param instanceof SqlArray ? binaryArray(param) : param));
    return sqlResult<Row>(await on.query(sql, values));
  } catch (error) {
    throw toSqlError(error);
  }
}

function sqlResult<Row>(result: pg.QueryResult): SqlResult<Row> {
  const counted = COUNTED_COMMANDS.has(result.command);
  return { rows: result.rows as Row[], affectedRows: counted ? (result.rowCount ?? 0) : 0 };
}

async function copy(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  data: string | Uint8Array,
) {
  const stream = client.query(copyFromStream(copySql(table, columns, typeof data !== 'string')));
  try {
    await pipeline(Readable.from([data]), stream);
  } catch (error) {
    throw toSqlError(error);
  }
  return stream.rowCount;
}

/** Runs a statement without parameters; returns its command tag (e.g. `ROLLBACK`). */
async function exec(on: Queryable, sql: string): Promise<string> {
  try {
    return (await on.query(sql)).command;
  } catch (error) {
    throw toSqlError(error);
  }
}

/**
 * A queue for one client's statements: each is handed to node-postgres when the one before it
 * is answered. That is the order, and the timing, node-postgres gave them itself when called
 * while busy, which pg 8 deprecates (a DeprecationWarning) and pg 9 removes. A transaction
 * body keeps its pipelining: it need not await a statement before calling the next, and each
 * goes out the moment the one before it is answered, COMMIT right behind the last.
 * @example const send = inOrder(); send(() => query(client, 'SELECT 1')); send(() => exec(client, 'COMMIT'))
 */
export function inOrder(): <R>(step: () => Promise<R>) => Promise<R> {
  let last: Promise<unknown> = Promise.resolve();
  return <R>(step: () => Promise<R>): Promise<R> => {
    const next = last.then(step);
    last = next.catch(() => {}); // a failure is the caller's; the next statement still goes
    return next;
  };
}

/**
 * The statements of one transaction, in order, each sent when the one before it is answered
 * (`inOrder`), except that statements without parameters queued back to back go together as
 * one simple-protocol message: BEGIN, and the locks a transaction takes first (the journal's
 * head, the audit chain's head), cost one round trip instead of three.
 *
 * A failure among them fails every statement of the message, and every statement after it
 * fails unsent (SQLSTATE 25P02, as the server answers in an aborted transaction): the server
 * parses a message whole, so a syntax error in one statement runs none of them, not even a
 * BEGIN, and what came after must not run outside the transaction. `finish` (ROLLBACK) is
 * sent whatever failed.
 * @example const queue = coalescing(client); void queue.simple('BEGIN'); await queue.simple('SELECT 1')
 */
export function coalescing(client: Pick<pg.PoolClient, 'query'>): {
  step<R>(run: () => Promise<R>): Promise<R>;
  simple(sql: string): Promise<pg.QueryResult>;
  finish<R>(run: () => Promise<R>): Promise<R>;
} {
  const send = inOrder();
  type Answer = { resolve(result: pg.QueryResult): void; reject(error: unknown): void };
  let open: { sqls: string[]; answers: Answer[] } | undefined;
  /** The failure of a message; what came after it fails with it if the session broke. */
  let failed: unknown;
  const aborted = () => (brokenSession(failed) ? failed : new TransactionAborted());
  return {
    step: (run) => {
      open = undefined;
      return send(() => (failed !== undefined ? Promise.reject(aborted()) : run()));
    },
    finish: (run) => {
      open = undefined;
      return send(run);
    },
    simple: (sql) => {
      const statement = sql.replace(/[\s;]+$/, '');
      assert(statement !== '', 'a statement is not empty');
      let message = open;
      if (message === undefined) {
        const mine = { sqls: [] as string[], answers: [] as Answer[] };
        open = message = mine;
        void send(async () => {
          if (open === mine) open = undefined;
          if (failed !== undefined) {
            for (const answer of mine.answers) answer.reject(aborted());
            return;
          }
          try {
            const answered = (await client.query(mine.sqls.join(';\n'))) as
              | pg.QueryResult
              | pg.QueryResult[];
            const results = Array.isArray(answered) ? answered : [answered];
            assert(results.length === mine.sqls.length, 'one result per statement sent');
            mine.answers.forEach((answer, i) => {
              answer.resolve(results[i]!);
            });
          } catch (error) {
            failed = error;
            const failure = toSqlError(error);
            for (const answer of mine.answers) answer.reject(failure);
          }
        });
      }
      message.sqls.push(statement);
      const { answers } = message;
      return new Promise<pg.QueryResult>((resolve, reject) => {
        answers.push({ resolve, reject });
      });
    },
  };
}

/** A statement not sent: one sent with others before it failed (`coalescing`). */
class TransactionAborted extends SqlError {
  constructor() {
    super('current transaction is aborted: a statement sent with others failed', '25P02');
  }
}

/** Whether `sql` may share a message with others: one statement (no `;` but trailing ones). */
function coalescable(sql: string): boolean {
  return !sql.replace(/[\s;]+$/, '').includes(';');
}

/** Marks the async context of a transaction body while the transaction is open. */
interface TxScope {
  active: boolean;
}

class PostgresDatabase implements SqlDatabase {
  readonly backend = 'postgres';
  readonly #pool: pg.Pool;
  readonly #scope = new AsyncLocalStorage<TxScope>();
  /** Calls in progress: `close` waits for them (pg's `pool.end` would strand queued ones). */
  readonly #running = new Set<Promise<unknown>>();
  #closed: Promise<void> | undefined;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]) {
    return this.#run(() => this.#onClient((client) => query<Row>(client, sql, params)));
  }

  copyFrom(table: string, columns: readonly string[], data: string | Uint8Array) {
    return this.#run(() => this.#onClient((client) => copy(client, table, columns, data)));
  }

  exec(sql: string) {
    return this.#run(() => this.#onClient(async (client) => void (await exec(client, sql))));
  }

  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#run(() => this.#transaction(body));
  }

  close(): Promise<void> {
    this.#closed ??= Promise.allSettled(this.#running).then(() => this.#pool.end());
    return this.#closed;
  }

  #run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#scope.getStore()?.active) {
      return Promise.reject(new Error('database used inside its own transaction body: use tx'));
    }
    if (this.#closed) return Promise.reject(new Error('PostgreSQL store is closed'));
    const running = call();
    this.#running.add(running);
    const forget = () => this.#running.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** A session from the pool; `connection-failed` when none can be made. */
  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw brokenSession(error) ? new SqlConnectionError('connection-failed', error) : error;
    }
  }

  /**
   * Runs `work` (one statement, sent in autocommit) on a session of its own: a broken session
   * is discarded, and the call fails with `connection-lost` (it may have committed).
   */
  async #onClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    try {
      const value = await work(client);
      client.release();
      return value;
    } catch (error) {
      if (!brokenSession(error)) {
        client.release();
        throw error;
      }
      client.release(error as Error); // destroys the connection
      throw new SqlConnectionError('connection-lost', error);
    }
  }

  async #transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    /** Set once COMMIT is queued: from then on a broken session leaves the outcome unknown. */
    let commitSent = false;
    const scope: TxScope = { active: true };
    const statements = new TxStatements();
    const queue = coalescing(client);
    const open = <R>(sent: () => Promise<R>): Promise<R> =>
      scope.active
        ? statements.track(sent())
        : Promise.reject(new Error('this transaction has already ended'));
    const tx: SqlExecutor = {
      query: <Row>(sql: string, params?: readonly SqlParam[]) =>
        open(() =>
          (params === undefined || params.length === 0) && coalescable(sql)
            ? queue.simple(sql).then((result) => sqlResult<Row>(result))
            : queue.step(() => query<Row>(client, sql, params)),
        ),
      copyFrom: (table, columns, data) =>
        open(() => queue.step(() => copy(client, table, columns, data))),
      // A script of several statements (a migration's): sent on its own.
      exec: (sql) => open(() => queue.step(async () => void (await exec(client, sql)))),
    };
    try {
      // Sent with the body's first statements when they have no parameters (`coalescing`).
      statements.track(queue.simple('BEGIN ISOLATION LEVEL READ COMMITTED'));
      const value = await this.#scope.run(scope, () => body(tx));
      scope.active = false;
      // Queued behind the statements still unanswered.
      commitSent = true;
      const committed = queue.simple('COMMIT');
      committed.catch(() => {}); // awaited below, after the statements
      await statements.answered();
      // COMMIT answers ROLLBACK in an aborted transaction, or is not sent after a message failed.
      const answer = await committed.catch((error: unknown) => {
        if (error instanceof TransactionAborted) return undefined;
        throw error;
      });
      if (answer?.command !== 'COMMIT') throw statements.rollbackReason();
      client.release();
      return value;
    } catch (error) {
      scope.active = false;
      if (brokenSession(error)) {
        client.release(error as Error); // destroys the connection; the server rolls back
        throw new SqlConnectionError(commitSent ? 'connection-lost' : 'connection-failed', error);
      }
      try {
        await queue.finish(() => client.query('ROLLBACK'));
        client.release();
      } catch (rollbackError) {
        client.release(rollbackError as Error); // destroys the connection
      }
      throw error;
    }
  }
}
