/**
 * The embedded store: PGlite (PostgreSQL 18 in wasm) in a worker thread, behind a proxy.
 *
 * Durability — what PGlite 0.5.16 does (read in node_modules/@electric-sql/pglite/dist,
 * sources from its source maps: src/pglite.ts, src/fs/nodefs.ts, release/pglite.js):
 *
 * 1. `PGlite.defaultStartParams` (src/pglite.ts) starts `postgres --single` with `-F`,
 *    i.e. fsync=off: PostgreSQL then never even asks for a sync.
 * 2. Even with fsync on, nothing reaches the disk. The data directory is Emscripten's NODEFS
 *    mounted at /pglite/data (src/fs/nodefs.ts); writes go straight to `fs.writeSync`, but
 *    - `fdatasync()` (the WAL flush at every commit, wal_sync_method=fdatasync) is the wasm
 *      import `__syscall_fdatasync`, which only validates the fd and returns 0;
 *    - `fsync()` (checkpoints: data files, pg_control, directories, new WAL segments) is the
 *      import `fd_sync`, which calls `stream.stream_ops.fsync` if present, and
 *      `NODEFS.stream_ops` has no `fsync`.
 *
 * What we do (./durable-fs.ts, ./worker.ts), so that PostgreSQL's own, complete sync
 * discipline — WAL before commit acknowledgement, data files and pg_control at checkpoint,
 * directories after renames — reaches the OS:
 *
 * - start without `-F` and with `-c fsync=on synchronous_commit=on full_page_writes=on
 *   wal_sync_method=fdatasync` (command-line settings override postgresql.conf);
 * - `DurableNodeFS extends NodeFS`: its `init()` wraps the `instantiateWasm` option PGlite
 *   passes to Emscripten and replaces `imports.env.__syscall_fdatasync` before the module is
 *   instantiated with one that calls `fs.fdatasyncSync` on the host fd (`stream.nfd`); a
 *   preRun installs `NODEFS.stream_ops.fsync` calling `fs.fsyncSync`. Errors come back to
 *   PostgreSQL as errno, which makes it PANIC (data_sync_retry=off), as on a real server;
 * - the worker refuses to start unless both hooks were installed and `SHOW fsync` is on,
 *   and counts the syncs (durability.test.ts checks ≥ 1 fdatasync per commit);
 * - a fresh data directory is built by PGlite from a tarball without any fsync, so the worker
 *   fsyncs the whole tree once (`syncTree`) before the first query is accepted;
 * - ./lock.ts keeps a second process off the directory (PGlite's postmaster.pid cannot).
 *
 * Why this is sound: it is PostgreSQL's crash-safety argument unchanged — a commit is
 * acknowledged only after its WAL record is fdatasync'ed; pages are written back only after
 * their WAL; a checkpoint fsyncs every dirtied file and only then records itself in
 * pg_control; full-page writes cover torn pages. The store's own replies add nothing: the
 * worker answers after `COMMIT` returns, and the hook runs synchronously inside it.
 *
 * Limits: Node's fsync on macOS is not F_FULLFSYNC (a drive cache may still lose it);
 * checkpoints happen only when max_wal_size of WAL accumulates and on close (no
 * checkpointer in single-user mode), so crash recovery may replay up to that much WAL;
 * a power loss during the very first open of a directory may leave it half-initialised
 * (no acknowledged data can be in it: delete it and start again); the lock is per host.
 * The crash test (SIGKILL) checks recovery and acknowledgement order, not the syncs: the
 * page cache survives a SIGKILL. The sync counters (durability.test.ts) check those.
 * Cost here (VM, ext4, ~0.15–0.3 ms fdatasync): one-row INSERT transactions 680–880/s
 * durable against 1000–1450/s with `durable: false`; COPY in 8190-row transactions
 * 165–270k rows/s durable, 200–275k rows/s not (one fdatasync per batch is noise there).
 *
 * Concurrency: PGlite is one session, and the worker runs what it is sent in FIFO order. A
 * transaction holds the session from its first statement to COMMIT/ROLLBACK while other
 * calls queue behind it; calls outside a transaction are pipelined: each is sent as soon as
 * the one before it was sent (not answered), so the worker never waits for this thread
 * between them. BEGIN travels with the body's first statement to save a round trip, and a
 * body may pipeline its own statements (send several, then await them, or leave its last
 * writes unawaited). COMMIT is sent behind them without waiting for their answers, and what
 * is queued next is sent right behind COMMIT: a transaction holds the session from its first
 * statement until COMMIT runs in the worker, not until this thread hears back.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import {
  SqlArray,
  type SqlDatabase,
  SqlError,
  type SqlExecutor,
  type SqlParam,
  type SqlResult,
  TxStatements,
} from '../sql.ts';
import type { SyncCounts } from './durable-fs.ts';
import { lockDataDir } from './lock.ts';
import type {
  Op,
  Reply,
  Statement,
  WireError,
  WireParam,
  WireResult,
  WorkerOptions,
} from './worker.ts';

/**
 * Where the store lives: a directory, or `'memory'` (tests; nothing is kept). `durable`
 * (default true; ignored for memory) makes a resolved commit survive a power loss.
 */
export interface PgliteOptions {
  readonly dataDir: string | 'memory';
  readonly durable?: boolean;
}

/** The PGlite store: the port, plus the sync counters that prove durability is engaged. */
export interface PgliteDatabase extends SqlDatabase {
  /** OS-level syncs done for PostgreSQL so far (zeros unless durable). */
  syncCounts(): Promise<SyncCounts>;
}

/**
 * The worker's entry. Compiled (this file is `pglite.js` in dist/), it is `worker.js` beside
 * this one. From the TypeScript sources, it is TypeScript: a Worker's `execArgv: ['--import',
 * 'tsx']` does not work on Node 20 (its entry still fails with ERR_UNKNOWN_FILE_EXTENSION), so
 * a small script registers tsx in the worker first; this works however the parent loaded tsx.
 */
const BOOTSTRAP = import.meta.url.endsWith('.js')
  ? `import(${JSON.stringify(new URL('./worker.js', import.meta.url).href)});`
  : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`;

/** Plain identifiers only: COPY cannot take the table and columns as parameters. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Opens (creating if needed) a PGlite store in its own worker thread. */
export async function openPglite(options: PgliteOptions): Promise<PgliteDatabase> {
  const memory = options.dataDir === 'memory';
  const workerData: WorkerOptions = {
    dataDir: options.dataDir,
    durable: !memory && (options.durable ?? true),
  };
  const release = memory ? () => {} : lockDataDir(options.dataDir);
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData, execArgv: [] });
  try {
    await started(worker);
  } catch (error) {
    await worker.terminate();
    release();
    throw error;
  }
  return new PgliteProxy(worker, release);
}

function started(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      if (reply.kind === 'ready') done(undefined);
      else if (reply.kind === 'failed') done(toSqlError(reply.error));
    };
    const onExit = (code: number) => done(new Error(`PGlite worker exited (code ${code})`));
    const done = (error: Error | undefined) => {
      worker.off('message', onMessage).off('error', done).off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    worker.on('message', onMessage).on('error', done).on('exit', onExit);
  });
}

function toSqlError(error: WireError): SqlError {
  return new SqlError(error.message, error.code, error.detail, error.constraint);
}

function toResult<Row>(value: unknown): SqlResult<Row> {
  const { rows, affectedRows } = value as WireResult;
  return { rows: rows as Row[], affectedRows };
}

function copySql(table: string, columns: readonly string[], data: string | Uint8Array): string {
  for (const name of [...table.split('.'), ...columns]) {
    if (!IDENTIFIER.test(name)) throw new Error(`COPY: not a plain identifier: ${name}`);
  }
  return `COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'${typeof data === 'string' ? '' : ' WITH (FORMAT binary)'}`;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Marks the async context of a transaction body while the transaction is open. */
interface TxScope {
  active: boolean;
}

class PgliteProxy implements PgliteDatabase {
  readonly backend = 'pglite';
  readonly #worker: Worker;
  readonly #waiters = new Map<number, Waiter>();
  readonly #scope = new AsyncLocalStorage<TxScope>();
  #nextId = 1;
  /** The FIFO: each exclusive section starts when the previous one settled. */
  #tail: Promise<unknown> = Promise.resolve();
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;

  constructor(worker: Worker, release: () => void) {
    this.#worker = worker;
    worker.on('message', (reply: Reply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', (code) => {
      release();
      this.#fail(new Error(`PGlite worker exited (code ${code})`));
    });
    worker.unref(); // referenced only while a request is in flight
  }

  query<Row = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []) {
    return this.#pipelined({ op: 'query', sql, params: wireParams(params) }).then(toResult<Row>);
  }

  async copyFrom(table: string, columns: readonly string[], data: string | Uint8Array) {
    const sql = copySql(table, columns, data);
    return (await this.#pipelined({ op: 'copy', sql, data })) as number;
  }

  async exec(sql: string) {
    await this.#pipelined({ op: 'exec', sql });
  }

  syncCounts() {
    return this.#exclusive(async () => (await this.#send({ op: 'syncCounts' })) as SyncCounts);
  }

  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#exclusive(async (release) => {
      const scope: TxScope = { active: true };
      const statements = new TxStatements();
      let begun = false; // BEGIN travels with the body's first statement
      let ended = false; // COMMIT sent: the session may already be another's
      const step = <R>(statement: Statement): Promise<R> => {
        if (!scope.active) return Promise.reject(new Error('this transaction has already ended'));
        const tx = begun ? 'continue' : 'begin';
        begun = true;
        return this.#send({ ...statement, tx }) as Promise<R>;
      };
      const tx: SqlExecutor = {
        query: <Row>(sql: string, params: readonly SqlParam[] = []) =>
          statements.track(
            step({ op: 'query', sql, params: wireParams(params) }).then(toResult<Row>),
          ),
        copyFrom: (table, columns, data) =>
          // Sent at once (an async function runs up to its first await), so in call order.
          statements.track(
            (async () => step<number>({ op: 'copy', sql: copySql(table, columns, data), data }))(),
          ),
        exec: (sql) => statements.track(step<void>({ op: 'exec', sql })),
      };
      try {
        const value = await this.#scope.run(scope, () => body(tx));
        scope.active = false;
        if (!begun) return value;
        // COMMIT goes right behind the statements still unanswered, and the next caller's
        // statements right behind it: the worker runs them in order, so the session never
        // waits for this thread between this transaction and the next.
        const committed = this.#send({ op: 'end', sql: 'COMMIT' });
        committed.catch(() => {}); // awaited below, after the statements
        ended = true;
        release();
        await statements.answered();
        if ((await committed) !== 'COMMIT') throw statements.rollbackReason();
        return value;
      } catch (error) {
        scope.active = false;
        // One connection: if even ROLLBACK fails its state is unknown, so stop using it.
        if (begun && !ended) {
          await this.#send({ op: 'end', sql: 'ROLLBACK' }).catch((failure) => this.#fail(failure));
        }
        throw error;
      }
    });
  }

  close(): Promise<void> {
    this.#closed ??= this.#exclusive(() => this.#send({ op: 'close' })).then(
      () => this.#worker.terminate().then(() => undefined),
      (error: Error) => this.#worker.terminate().then(() => Promise.reject(error)),
    );
    return this.#closed;
  }

  /** Why a call cannot be queued now (inside its own transaction's body, or closed), if so. */
  #refusal(): Error | undefined {
    if (this.#scope.getStore()?.active)
      return new Error('database used inside its own transaction body (deadlock): use tx');
    if (this.#closed) return new Error('PGlite store is closed');
    return undefined;
  }

  /**
   * Runs `section` alone on the session: what is queued after it starts once it settles, or
   * as soon as it calls `release` (a transaction whose COMMIT is on its way).
   */
  #exclusive<T>(section: (release: () => void) => Promise<T>): Promise<T> {
    const refusal = this.#refusal();
    if (refusal) return Promise.reject(refusal);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const result = this.#tail.then(() => section(release));
    result.then(release, release);
    this.#tail = released;
    return result;
  }

  /**
   * A statement outside any transaction: sent in its turn (after what was queued before it,
   * and after any transaction queued before it ended), without waiting for earlier answers.
   */
  #pipelined(statement: Statement): Promise<unknown> {
    const refusal = this.#refusal();
    if (refusal) return Promise.reject(refusal);
    let answer: Promise<unknown> | undefined;
    const sent = this.#tail.then(() => {
      answer = this.#send(statement);
    });
    this.#tail = sent;
    return sent.then(() => answer);
  }

  #send(op: Op): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject });
      if (this.#waiters.size === 1) this.#worker.ref();
      this.#worker.postMessage({ ...op, id });
    });
  }

  #onReply(reply: Reply): void {
    if (reply.kind !== 'reply') return;
    const waiter = this.#waiters.get(reply.id);
    this.#waiters.delete(reply.id);
    if (this.#waiters.size === 0) this.#worker.unref();
    if (!('error' in reply)) {
      waiter?.resolve(reply.value);
      return;
    }
    const error = toSqlError(reply.error);
    waiter?.reject(error);
    if (reply.error.fatal) this.#fail(error);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.values()) waiter.reject(this.#failure);
    this.#waiters.clear();
    void this.#worker.terminate();
  }
}

/** Parameters as they cross to the worker: arrays become their literals (the worker sends text). */
function wireParams(params: readonly SqlParam[]): WireParam[] {
  return params.map((param) => {
    if (param instanceof SqlArray) return param.toLiteral();
    if (Array.isArray(param)) return arrayLiteral(param);
    return param as WireParam;
  });
}

/** A string array's literal, e.g. `{"a","b \"c\"",NULL}`: each element quoted and escaped. */
function arrayLiteral(values: ReadonlyArray<string | null>): string {
  const elements = values.map((value) =>
    value === null ? 'NULL' : `"${value.replace(/[\\"]/g, '\\$&')}"`,
  );
  return `{${elements.join(',')}}`;
}
