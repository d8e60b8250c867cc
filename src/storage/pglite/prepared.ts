/**
 * Named prepared statements for the PGlite worker, sent over PostgreSQL's extended protocol.
 *
 * `PGlite.query` sends Parse, Describe, Bind, Describe, Execute and Sync as six calls into
 * PostgreSQL, and PostgreSQL parses, analyses and plans the statement each time. Here a
 * statement is parsed once under a name, the first time its text is seen, in the same
 * message as its first execution; after that each execution is one message of Bind,
 * Describe, Execute and Sync. PostgreSQL then plans it with the parameters for its first
 * five executions and switches to a generic plan if that costs no more (plan_cache_mode
 * auto, as on a server), and replans it by itself when a table it reads is altered or
 * analysed.
 *
 * Parameters go as text, written from their JavaScript type the way node-postgres writes
 * them (PostgreSQL infers each parameter's type from the statement, as it does for
 * `PGlite.query`, which leaves the types unspecified too). Rows come back as text and are
 * decoded by PGlite's own parsers, with the worker's overrides: the normal form of sql.ts.
 *
 * The cache holds the last `CAPACITY` statements by use; one pushed out is closed. What
 * could make a prepared statement stale is a schema change, so statements that are not
 * plain reads and writes (DDL, SET, LOCK…) are not kept, and each of them, and each script
 * (`exec`), closes every statement kept so far.
 */
import { type ExecProtocolResult, type PGlite, parse, protocol } from '@electric-sql/pglite';
import type { SqlArray, SqlParam } from '../sql.ts';

/** A parameter as sent to the worker: `SqlArray`s and string arrays arrive as literals. */
export type WireParam = Exclude<SqlParam, SqlArray | ReadonlyArray<string | null>>;

/** The result of a statement. */
export interface WireResult {
  readonly rows: Record<string, unknown>[];
  readonly affectedRows: number;
}

/** Statements kept prepared at most; each costs its parse tree and plan in PGlite's memory. */
export const CAPACITY = 256;

/** Command tags of the statements kept prepared: plain reads and writes. */
const KEPT = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** A message PostgreSQL sends back. */
type Message = ExecProtocolResult['messages'][number];

const { serialize } = protocol;

/** The parameter as PostgreSQL's text input, or null. */
function textOf(param: WireParam): string | null {
  if (param === null) return null;
  if (typeof param === 'boolean') return param ? 't' : 'f';
  if (param instanceof Uint8Array) return `\\x${Buffer.from(param).toString('hex')}`;
  return String(param);
}

/** The messages as one buffer, as PostgreSQL reads them off a socket. */
function joined(messages: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(messages.reduce((length, message) => length + message.length, 0));
  let offset = 0;
  for (const message of messages) {
    out.set(message, offset);
    offset += message.length;
  }
  return out;
}

/** The prepared statements of the worker's one session, by text, least recently used first. */
export class PreparedStatements {
  readonly #pg: PGlite;
  readonly #names = new Map<string, string>();
  /** Names pushed out or made stale, closed at the head of the next message. */
  #closing: string[] = [];
  #next = 1;

  constructor(pg: PGlite) {
    this.#pg = pg;
  }

  /**
   * Runs `sql` with `params`, preparing it first if it is new; `begin` (a simple-protocol
   * statement) goes first in the same message.
   */
  async run(sql: string, params: readonly WireParam[], begin?: string): Promise<WireResult> {
    let name = this.#names.get(sql);
    const fresh = name === undefined;
    if (name === undefined) {
      name = `clearpeg_${this.#next++}`;
      this.#names.set(sql, name);
      if (this.#names.size > CAPACITY) this.#forget(this.#names.keys().next().value!);
    } else {
      this.#names.delete(sql); // most recently used last
      this.#names.set(sql, name);
    }
    const message = [...this.#closeMessages()];
    if (begin !== undefined) message.push(serialize.query(begin));
    if (fresh) message.push(serialize.parse({ name, text: sql }));
    message.push(
      serialize.bind({ statement: name, values: params.map(textOf) }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    let messages: Message[];
    try {
      messages = await this.#exec(joined(message));
    } catch (error) {
      // The Parse may have failed: make it again next time (closing a name never made is
      // not an error in PostgreSQL).
      if (fresh) this.#forget(sql);
      throw error;
    }
    // This statement's messages start after its BindComplete (BEGIN's come before).
    let first = messages.length;
    while (first > 0 && messages[first - 1]!.name !== 'bindComplete') first--;
    const [result] = parse.parseResults(messages.slice(first), this.#pg.parsers);
    if (!KEPT.has(result?.command ?? '')) this.closeAll();
    return {
      rows: result!.rows as Record<string, unknown>[],
      affectedRows: result!.affectedRows ?? 0,
    };
  }

  /**
   * Runs a statement without parameters over the simple protocol; answers its command tag
   * (`COMMIT`, or `ROLLBACK` for a transaction that had failed).
   */
  async simple(sql: string): Promise<string | undefined> {
    const messages = await this.#exec(joined([...this.#closeMessages(), serialize.query(sql)]));
    return parse.parseResults(messages, this.#pg.parsers).at(-1)?.command;
  }

  /** Forgets every prepared statement; each is closed at the head of the next message. */
  closeAll(): void {
    for (const sql of [...this.#names.keys()]) this.#forget(sql);
  }

  #forget(sql: string): void {
    const name = this.#names.get(sql);
    if (name === undefined) return;
    this.#names.delete(sql);
    this.#closing.push(name);
  }

  /**
   * Close messages for the names forgotten, and a Sync: their own group, so that an error
   * in the statements behind them cannot skip them.
   */
  #closeMessages(): Uint8Array[] {
    if (this.#closing.length === 0) return [];
    const closes = this.#closing.map((name) => serialize.close({ type: 'S', name }));
    this.#closing = [];
    return [...closes, serialize.sync()];
  }

  /** Sends one message; throws PostgreSQL's first error, as `PGlite.query` does. */
  async #exec(message: Uint8Array): Promise<Message[]> {
    const { messages } = await this.#pg.execProtocol(message, { syncToFs: false });
    if (!this.#pg.isInTransaction()) await this.#pg.syncToFs();
    return messages;
  }
}
