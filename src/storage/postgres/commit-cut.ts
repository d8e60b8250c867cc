/**
 * For tests: a TCP proxy in front of a PostgreSQL server that, when armed, lets a simple-query
 * `COMMIT` through to the server and then cuts the session before the server's answer reaches
 * the client: the transaction commits, the client sees a broken connection. That is the
 * unknown outcome of a failover that strikes between a COMMIT and its answer, made on demand.
 * Reads the frontend protocol (PostgreSQL docs, "Message Formats"): a startup message without
 * a type byte, then messages of one type byte and an int32 length that counts itself.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { freePort } from '../../net.ts';

/** A running proxy. */
export interface CommitCutProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** Cuts the next COMMIT's answer (once); resolves when it has. */
  armOnce(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a proxy to `target` (host:port).
 * @example const proxy = await startCommitCut({ host: '127.0.0.1', port: 5432 })
 */
export async function startCommitCut(target: {
  host: string;
  port: number;
}): Promise<CommitCutProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let armed: (() => void) | undefined;
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(target.port, target.host);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    let pending = Buffer.alloc(0);
    let started = false;
    let cutOnAnswer: (() => void) | undefined;
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
          started = true;
          continue;
        }
        const text = message.subarray(5, message.length - 1).toString('utf8');
        if (message[0] === 0x51 /* Q */ && /^\s*COMMIT\s*;?\s*$/i.test(text) && armed) {
          cutOnAnswer = armed;
          armed = undefined;
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnAnswer === undefined) {
        client.write(chunk);
        return;
      }
      const done = cutOnAnswer;
      cutOnAnswer = undefined;
      cut();
      done();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    armOnce: () => new Promise<void>((resolve) => (armed = resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
