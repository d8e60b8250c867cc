/**
 * The worker thread that owns the PGlite instance. It runs requests one at a time, in the
 * order they arrive; the proxy in ./pglite.ts decides that order (FIFO, transactions whole).
 *
 * Statements with parameters do not go through `PGlite.query`, which sends Parse, Describe,
 * Bind, Describe, Execute and Sync as six calls into PostgreSQL and parses and plans the
 * statement every time. The worker prepares each statement once under a name (./prepared.ts)
 * and then sends Bind, Describe, Execute and Sync as one message: a one-row read by primary
 * key costs about a third of what it did.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { DurableNodeFS, type SyncCounts, syncTree } from './durable-fs.ts';
import { PreparedStatements, type WireParam, type WireResult } from './prepared.ts';

export type { WireParam, WireResult } from './prepared.ts';

/**
 * A statement inside a transaction: `begin` opens the transaction first (saving a round
 * trip), `continue` requires it to be open (so nothing silently runs in autocommit).
 */
export type TxStep = 'begin' | 'continue';

/** A statement the proxy sends, on its own (no `tx`) or inside a transaction. */
export type Statement = (
  | { readonly op: 'query'; readonly sql: string; readonly params: readonly WireParam[] }
  | { readonly op: 'copy'; readonly sql: string; readonly data: string | Uint8Array }
  | { readonly op: 'exec'; readonly sql: string }
) & { readonly tx?: TxStep };

/** What the proxy asks the worker to do; `end` answers the command tag (`ROLLBACK`…). */
export type Op =
  | Statement
  | { readonly op: 'end'; readonly sql: 'COMMIT' | 'ROLLBACK' }
  | { readonly op: 'syncCounts' }
  | { readonly op: 'close' };

/** An operation with the id its reply will carry. */
export type Request = Op & { readonly id: number };

/** A PostgreSQL (or other) error as it crosses the thread boundary. */
export interface WireError {
  readonly message: string;
  readonly code?: string;
  readonly detail?: string;
  readonly constraint?: string;
  /** The worker cannot go on (wasm trap or exit); the proxy must stop using it. */
  readonly fatal?: boolean;
}

/** What the worker answers: `ready`/`failed` once at start, then one reply per request. */
export type Reply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly error: WireError }
  | { readonly kind: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly error: WireError };

/** The worker's start options. */
export interface WorkerOptions {
  readonly dataDir: string | 'memory';
  readonly durable: boolean;
}

/** Parameters for PostgreSQL itself, on top of PGlite's defaults. */
const SESSION_PARAMS = ['TimeZone=UTC', 'DateStyle=ISO, MDY'].flatMap((s) => ['-c', s]);
/**
 * Checkpoint once this much WAL accumulates. There is no checkpointer process in PGlite's
 * single-user mode, so checkpoint_timeout never fires; this bounds crash-recovery replay
 * and disk use instead (PostgreSQL's default is 1GB).
 */
const MAX_WAL_SIZE = '256MB';
/** Settings a durable store relies on; command-line `-c` beats postgresql.conf. */
const DURABLE_PARAMS = [
  'fsync=on',
  'synchronous_commit=on',
  'full_page_writes=on',
  'wal_sync_method=fdatasync',
  `max_wal_size=${MAX_WAL_SIZE}`,
].flatMap((setting) => ['-c', setting]);

/** The normal form of sql.ts: exact numbers and timestamps as PostgreSQL's text. */
const PARSERS = {
  [types.INT8]: (text: string) => text,
  [types.NUMERIC]: (text: string) => text,
  [types.DATE]: (text: string) => text,
  [types.TIMESTAMP]: (text: string) => text,
  [types.TIMESTAMPTZ]: (text: string) => text,
};

async function open(options: WorkerOptions): Promise<{ pg: PGlite; hooks?: DurableNodeFS }> {
  if (options.dataDir === 'memory') {
    return { pg: await PGlite.create({ parsers: PARSERS, startParams: startParams(false) }) };
  }
  if (!options.durable) {
    const pg = await PGlite.create({
      dataDir: options.dataDir,
      parsers: PARSERS,
      startParams: startParams(false),
    });
    return { pg };
  }
  const fresh = !fs.existsSync(path.join(options.dataDir, 'PG_VERSION'));
  const hooks = new DurableNodeFS(options.dataDir);
  const pg = await PGlite.create({ fs: hooks, parsers: PARSERS, startParams: startParams(true) });
  if (!hooks.engaged) throw new Error('PGlite durability hooks were not installed');
  const { rows } = await pg.query<{ fsync: string }>('SHOW fsync');
  if (rows[0]?.fsync !== 'on') throw new Error('PGlite started with fsync off');
  if (fresh) syncTree(options.dataDir);
  return { pg, hooks };
}

function startParams(durable: boolean): string[] {
  if (!durable) return [...PGlite.defaultStartParams, ...SESSION_PARAMS];
  // `-F` in PGlite's defaults means "fsync off"; a durable store must not pass it.
  const defaults = PGlite.defaultStartParams.filter((param) => param !== '-F');
  return [...defaults, ...SESSION_PARAMS, ...DURABLE_PARAMS];
}

/** Error names after which PGlite is unusable: a wasm trap, or the wasm program exiting. */
const FATAL_ERRORS = new Set(['RuntimeError', 'ExitStatus']);

function toWire(error: unknown): WireError {
  const fatal = FATAL_ERRORS.has((error as Error | undefined)?.name ?? '');
  if (!(error instanceof Error)) return { message: String(error), fatal };
  const { code, detail, constraint } = error as Error & Record<string, unknown>;
  return {
    message: error.message,
    code: typeof code === 'string' ? code : undefined,
    detail: typeof detail === 'string' ? detail : undefined,
    constraint: typeof constraint === 'string' ? constraint : undefined,
    fatal,
  };
}

/** How every transaction starts. */
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';

/** Opens the transaction, or checks that it is still open (the body may not end it). */
async function enter(
  pg: PGlite,
  prepared: PreparedStatements,
  step: TxStep | undefined,
): Promise<void> {
  if (step === 'begin') await prepared.simple(BEGIN);
  if (step && !pg.isInTransaction()) throw new Error('the transaction is no longer open');
}

async function run(
  pg: PGlite,
  hooks: DurableNodeFS | undefined,
  prepared: PreparedStatements,
  request: Request,
) {
  switch (request.op) {
    case 'query': {
      // BEGIN travels in the statement's own message.
      if (request.tx === 'continue') await enter(pg, prepared, request.tx);
      const begin = request.tx === 'begin' ? BEGIN : undefined;
      return (await prepared.run(request.sql, request.params, begin)) satisfies WireResult;
    }
    case 'copy': {
      await enter(pg, prepared, request.tx);
      const blob = new Blob([request.data]);
      return (await pg.query(request.sql, [], { blob })).affectedRows ?? 0;
    }
    case 'exec':
      await enter(pg, prepared, request.tx);
      // A script may change the schema: prepared statements are made again from their text.
      prepared.closeAll();
      await pg.exec(request.sql);
      return undefined;
    case 'end': {
      if (request.sql === 'ROLLBACK' && !pg.isInTransaction()) return 'ROLLBACK';
      await enter(pg, prepared, 'continue');
      return prepared.simple(request.sql);
    }
    case 'syncCounts':
      return (hooks?.counts ?? { fsync: 0, fdatasync: 0 }) satisfies SyncCounts;
    case 'close':
      await pg.close();
      return undefined;
  }
}

const port = parentPort!;
try {
  const { pg, hooks } = await open(workerData as WorkerOptions);
  const prepared = new PreparedStatements(pg);
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (request: Request) => {
    queue = queue.then(async () => {
      try {
        const value = await run(pg, hooks, prepared, request);
        port.postMessage({ kind: 'reply', id: request.id, value } satisfies Reply);
      } catch (error) {
        port.postMessage({ kind: 'reply', id: request.id, error: toWire(error) } satisfies Reply);
      }
    });
  });
  port.postMessage({ kind: 'ready' } satisfies Reply);
} catch (error) {
  port.postMessage({ kind: 'failed', error: toWire(error) } satisfies Reply);
  port.close();
}
