/**
 * For tests: a TCP proxy in front of a PostgreSQL server that breaks sessions on cue, to make
 * on demand what a failover does at a random moment:
 *
 * - `cutAfter(pattern, 'drop')`: the next statement whose SQL matches goes through to the
 *   server, and the session is cut before its answer reaches the client (a COMMIT that
 *   committed, its client told nothing: the unknown outcome);
 * - `cutAfter(pattern, 'deliver')`: the same, but the answer is delivered first;
 * - either with `{ down: true }`: the proxy then cuts every session and refuses new ones
 *   until `up()` (the database away, then back).
 *
 * Reads the frontend protocol (PostgreSQL docs, "Message Formats"): a startup message without
 * a type byte, then messages of one type byte and an int32 length that counts itself; the SQL
 * is in a simple Query (`Q`) or a Parse (`P`, after the statement's name).
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { freePort } from '../../net.ts';

/** A running proxy. */
export interface PgFaultProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /**
   * Cuts the session of the next statement matching `pattern` (once), its answer dropped or
   * delivered; with `down`, every session after it. Resolves when it has cut.
   */
  cutAfter(
    pattern: RegExp,
    answer: 'drop' | 'deliver',
    options?: { down?: boolean },
  ): Promise<void>;
  /** Cuts every session and refuses new ones. */
  down(): void;
  /** Accepts sessions again. */
  up(): void;
  close(): Promise<void>;
}

interface Cue {
  readonly pattern: RegExp;
  readonly answer: 'drop' | 'deliver';
  readonly down: boolean;
  readonly done: () => void;
}

/** The SQL of a Query or Parse message, or undefined for another message. */
function sqlOf(message: Buffer): string | undefined {
  if (message[0] === 0x51 /* Q */) return message.subarray(5, message.length - 1).toString('utf8');
  if (message[0] !== 0x50 /* P */) return undefined;
  const nameEnd = message.indexOf(0, 5);
  return message.subarray(nameEnd + 1, message.indexOf(0, nameEnd + 1)).toString('utf8');
}

/**
 * Starts a proxy to `target`.
 * @example const proxy = await startPgFaultProxy({ host: '127.0.0.1', port: 5432 })
 */
export async function startPgFaultProxy(target: {
  host: string;
  port: number;
}): Promise<PgFaultProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let cue: Cue | undefined;
  let isDown = false;
  const down = () => {
    isDown = true;
    for (const socket of sockets) socket.destroy();
  };
  const server: Server = createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(target.port, target.host);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    let pending = Buffer.alloc(0);
    let started = false;
    let mine: Cue | undefined;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const typed = started ? 1 : 0;
        if (pending.length < typed + 4) return;
        const length = pending.readInt32BE(typed);
        if (pending.length < typed + length) return;
        const message = pending.subarray(0, typed + length);
        pending = pending.subarray(typed + length);
        if (!started) {
          // The startup message, unless it is an SSLRequest (then the startup comes next).
          started = length !== 8;
          continue;
        }
        const sql = sqlOf(message);
        if (sql !== undefined && cue !== undefined && mine === undefined && cue.pattern.test(sql)) {
          mine = cue;
          cue = undefined;
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mine === undefined) {
        client.write(chunk);
        return;
      }
      const { answer, done, down: thenDown } = mine;
      mine = undefined;
      const finish = () => {
        cut();
        if (thenDown) down();
        done();
      };
      if (answer === 'deliver') client.write(chunk, finish);
      else finish();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    cutAfter: (pattern, answer, options = {}) =>
      new Promise<void>((resolve) => {
        cue = { pattern, answer, down: options.down ?? false, done: resolve };
      }),
    down,
    up: () => {
      isDown = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        down();
        server.close(() => resolve());
      }),
  };
}
