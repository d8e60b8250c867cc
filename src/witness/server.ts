/**
 * The witness over HTTP (`node:http`): `POST /add-checkpoint` answers what `Witness.addCheckpoint`
 * says; `GET /` names the witness (its verifier key and the logs it witnesses). Anything else
 * is 404, another method on a known path 405. A body over `maxRequestBytes` is refused with 400
 * as soon as its length is known (the Content-Length, or the bytes read so far), without reading
 * the rest. Requests time out (`requestTimeoutMs`), so a slow client cannot hold a connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { maxRequestBytes, textContentType, type Witness } from './witness.ts';

/** How long a request may take to arrive, headers and body. */
export const requestTimeoutMs = 10_000;

/** A running witness server. */
export interface WitnessServer {
  /** `http://host:port` (the submission prefix: add-checkpoint is at `${url}/add-checkpoint`). */
  readonly url: string;
  readonly server: Server;
  /** Stops listening and closes idle connections; resolves when the server is closed. */
  close(): Promise<void>;
}

/** Where to listen. */
export interface ListenOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
}

/**
 * Starts serving `witness` on `host:port` (127.0.0.1 and a free port by default).
 * @example const { url, close } = await startWitnessServer(witness, { port: 0 }); … await close();
 */
export async function startWitnessServer(
  witness: Witness,
  options: ListenOptions = {},
): Promise<WitnessServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(
    { requestTimeout: requestTimeoutMs, headersTimeout: 5_000 },
    (req, res) => {
      handle(witness, req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, `witness error: ${(error as Error).message}\n`);
        else res.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** Routes one request. */
async function handle(witness: Witness, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/add-checkpoint') {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return send(res, 405, 'add-checkpoint takes a POST\n');
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.setHeader('Connection', 'close');
      return send(res, 400, `request body is more than ${maxRequestBytes} bytes\n`);
    }
    const answer = await witness.addCheckpoint(body);
    return send(res, answer.status, answer.body, answer.contentType);
  }
  if (path === '/') {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'GET only\n');
    }
    const lines = [
      `witness ${witness.verifierKey}`,
      'POST /add-checkpoint (c2sp.org/tlog-witness)',
      ...witness.origins.map((origin) => `log ${origin}`),
    ];
    return send(res, 200, `${lines.join('\n')}\n`);
  }
  return send(res, 404, 'not found: the witness answers POST /add-checkpoint\n');
}

/** The request body, or undefined once it is known to exceed `maxRequestBytes` (the rest is dropped). */
function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let length = 0;
    let over = declared > maxRequestBytes;
    if (over) resolve(undefined);
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      length += chunk.length;
      if (length > maxRequestBytes) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, contentType = textContentType) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
