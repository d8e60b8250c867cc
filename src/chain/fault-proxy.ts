/**
 * A JSON-RPC fault proxy: an HTTP server on 127.0.0.1 in front of a node's URL that forwards
 * every request, except where a fault set at run time says otherwise. The issuer is pointed at
 * the proxy; the tests point their own checks straight at the node.
 *
 * Faults (`inject`), each for some methods or for all, with a probability (a seeded PRNG: the
 * same seed and the same requests give the same faults) and/or for the next `times` requests
 * it matches (optionally only `after` some have passed):
 *   - `delay`: waits `delayMs` before forwarding;
 *   - `drop-before`: destroys the socket without forwarding (the node never sees the request);
 *   - `drop-after`: forwards, waits for the node's answer, then destroys the socket without
 *     answering (the node acted, the caller cannot know: the nasty one for
 *     `eth_sendRawTransaction`);
 *   - `status`: answers an HTTP 5xx (`status`, default 503) without forwarding;
 *   - `truncate`: forwards, then answers the first half of the node's body (a well-formed HTTP
 *     response whose JSON is cut);
 *   - `stale-head`: `eth_blockNumber` answers `staleBlock`, and `eth_getBlockByNumber` with a
 *     tag (`latest`, `pending`, `safe`, `finalized`) answers block `staleBlock`, as a node
 *     that lags behind would.
 *
 * A batch is one HTTP request: a fault matches it if it matches any of its calls, and `drop`,
 * `status` and `truncate` act on the whole answer; `stale-head` rewrites each call it concerns.
 * At most one of drop-before, drop-after, status and truncate acts on a request (the first
 * injected that fires); a delay and a stale head combine with anything.
 */

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../random.ts';

export type FaultKind =
  | 'delay'
  | 'drop-before'
  | 'drop-after'
  | 'status'
  | 'truncate'
  | 'stale-head';

/** One fault, as injected. */
export interface Fault {
  readonly kind: FaultKind;
  /** The JSON-RPC methods it concerns; every method when absent. */
  readonly methods?: readonly string[];
  /** The chance it acts on a request it matches, 0 to 1 (default 1). */
  readonly probability?: number;
  /** It acts on at most this many requests, then is spent (default: no limit). */
  readonly times?: number;
  /** It lets this many matching requests pass before it starts (default 0). */
  readonly after?: number;
  /** `delay`: how long, in milliseconds. */
  readonly delayMs?: number;
  /** `status`: the HTTP status answered (default 503). */
  readonly status?: number;
  /** `stale-head`: the block the head is reported as. */
  readonly staleBlock?: bigint;
}

/**
 * What the proxy did: by fault kind, the requests it acted on; `requests` counts HTTP requests,
 * `calls` JSON-RPC calls, `forwarded` requests sent on to the node.
 */
export type FaultCounts = Record<FaultKind | 'requests' | 'calls' | 'forwarded', number>;

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: the URL to give the issuer. */
  readonly url: string;
  /** Adds a fault; returns its id (for `remove`). */
  inject(fault: Fault): number;
  remove(id: number): void;
  /** Removes every fault: from now on every request is forwarded unchanged. */
  clear(): void;
  /** What the proxy did so far. */
  counts(): FaultCounts;
  /** How often a fault of `kind` acted on a request holding a call of `method`. */
  countOf(kind: FaultKind, method: string): number;
  /** JSON-RPC calls seen, by method. */
  calls(method: string): number;
  close(): Promise<void>;
}

/** The largest request or answer body accepted: far above any batch the issuer sends. */
const bodyBytesMax = 32 * 1024 * 1024;
/** The longest `delay`: a test that needs more is waiting on the wrong thing. */
const delayMsMax = 60_000;
/** The block tags a stale head answers for. */
const headTags = new Set(['latest', 'pending', 'safe', 'finalized']);

type Call = { jsonrpc?: string; id?: unknown; method?: unknown; params?: unknown };

function checkFault(fault: Fault): void {
  const p = fault.probability ?? 1;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`fault probability ${p} is not between 0 and 1`);
  for (const key of ['times', 'after'] as const) {
    const n = fault[key];
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0))
      throw new RangeError(`fault ${key} ${n} is not a count`);
  }
  if (fault.kind === 'delay') {
    const ms = fault.delayMs;
    if (ms === undefined || !(Number.isSafeInteger(ms) && ms >= 0 && ms <= delayMsMax))
      throw new RangeError(`a delay needs delayMs from 0 to ${delayMsMax}`);
  }
  if (fault.kind === 'status') {
    const status = fault.status ?? 503;
    if (!(Number.isSafeInteger(status) && status >= 500 && status <= 599))
      throw new RangeError(`status ${status} is not a 5xx`);
  }
  if (fault.kind === 'stale-head' && (fault.staleBlock === undefined || fault.staleBlock < 0n))
    throw new RangeError('a stale head needs staleBlock ≥ 0');
}

/**
 * Starts a fault proxy on 127.0.0.1 (a free port) in front of `upstream`.
 * @example
 * const proxy = await startFaultProxy({ upstream: node.url, seed: 1 });
 * proxy.inject({ kind: 'drop-after', methods: ['eth_sendRawTransaction'], times: 1 });
 * … createPublicClient({ transport: http(proxy.url, { retryCount: 0 }) }) …
 * await proxy.close();
 */
export async function startFaultProxy(options: {
  upstream: string;
  seed?: number;
}): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const random = seededRandom(options.seed ?? 1);
  const faults = new Map<number, { fault: Fault; left: number; skip: number }>();
  let nextId = 1;
  const counts: FaultCounts = {
    requests: 0,
    calls: 0,
    forwarded: 0,
    delay: 0,
    'drop-before': 0,
    'drop-after': 0,
    status: 0,
    truncate: 0,
    'stale-head': 0,
  };
  const byMethod = new Map<string, number>();
  const callsByMethod = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  /** The faults that act on a request with these methods, in the order injected. */
  const firing = (methods: readonly string[]): Fault[] => {
    const fired: Fault[] = [];
    for (const entry of faults.values()) {
      const { fault } = entry;
      if (entry.left <= 0) continue;
      if (fault.methods !== undefined && !methods.some((m) => fault.methods!.includes(m))) continue;
      if (entry.skip > 0) {
        entry.skip--;
        continue;
      }
      // Drawn for every matching fault, fired or not: the sequence depends only on the requests.
      if (random() >= (fault.probability ?? 1)) continue;
      entry.left--;
      fired.push(fault);
      counts[fault.kind]++;
      for (const m of new Set(methods)) bump(byMethod, `${fault.kind} ${m}`);
    }
    return fired;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      counts.requests++;
      let parsed: Call | Call[] | undefined;
      try {
        parsed = JSON.parse(body.toString('utf8')) as Call | Call[];
      } catch {
        parsed = undefined;
      }
      const list = parsed === undefined ? [] : Array.isArray(parsed) ? parsed : [parsed];
      const methods = list.map((c) => (typeof c.method === 'string' ? c.method : ''));
      counts.calls += list.length;
      for (const m of methods) bump(callsByMethod, m);
      const fired = firing(methods);
      const delay = fired.find((f) => f.kind === 'delay');
      if (delay !== undefined) await new Promise((r) => setTimeout(r, delay.delayMs));
      const stale = fired.find((f) => f.kind === 'stale-head');
      const act = fired.find((f) => f.kind !== 'delay' && f.kind !== 'stale-head');
      if (act?.kind === 'drop-before') {
        req.socket.destroy();
        return;
      }
      if (act?.kind === 'status') {
        const status = act.status ?? 503;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${status}`);
        return;
      }
      const send = (b: Buffer) => {
        counts.forwarded++;
        return forward(upstream, b);
      };
      const answer =
        stale !== undefined && parsed !== undefined
          ? await staleAnswer(parsed, stale.staleBlock!, send)
          : await send(body);
      if (act?.kind === 'drop-after') {
        req.socket.destroy();
        return;
      }
      const out =
        act?.kind === 'truncate'
          ? answer.body.subarray(0, Math.floor(answer.body.length / 2))
          : answer.body;
      res.writeHead(answer.status, { 'content-type': answer.type, 'content-length': out.length });
      res.end(out);
    })().catch((error: unknown) => {
      // The node itself failed (it stopped): the caller sees a 502, as behind any gateway.
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream failed: ${String(error)}`);
      } else req.socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    inject(fault) {
      checkFault(fault);
      const id = nextId++;
      faults.set(id, {
        fault,
        left: fault.times ?? Number.POSITIVE_INFINITY,
        skip: fault.after ?? 0,
      });
      return id;
    },
    remove(id) {
      faults.delete(id);
    },
    clear() {
      faults.clear();
    },
    counts: () => ({ ...counts }),
    countOf: (kind, method) => byMethod.get(`${kind} ${method}`) ?? 0,
    calls: (method) => callsByMethod.get(method) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > bodyBytesMax) {
        req.destroy(new Error(`request body over ${bodyBytesMax} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends `body` to the node; resolves with its whole answer. */
function forward(
  upstream: URL,
  body: Buffer,
): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      upstream,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        readBody(res).then(
          (answer) =>
            resolve({
              status: res.statusCode ?? 502,
              type: res.headers['content-type'] ?? 'application/json',
              body: answer,
            }),
          reject,
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The answer to `parsed` as a node whose head is `staleBlock` would give it: `eth_blockNumber`
 * is answered here, a tagged `eth_getBlockByNumber` asks the node for that block instead, and
 * every other call goes to the node unchanged (one batch).
 */
async function staleAnswer(
  parsed: Call | Call[],
  staleBlock: bigint,
  send: (body: Buffer) => Promise<{ status: number; type: string; body: Buffer }>,
): Promise<{ status: number; type: string; body: Buffer }> {
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const staleHex = `0x${staleBlock.toString(16)}`;
  const local = new Map<number, unknown>();
  const remote: { index: number; call: Call }[] = [];
  list.forEach((call, index) => {
    if (call.method === 'eth_blockNumber') {
      local.set(index, { jsonrpc: '2.0', id: call.id, result: staleHex });
      return;
    }
    const params = Array.isArray(call.params) ? call.params : [];
    if (
      call.method === 'eth_getBlockByNumber' &&
      typeof params[0] === 'string' &&
      headTags.has(params[0])
    ) {
      remote.push({ index, call: { ...call, params: [staleHex, ...params.slice(1)] } });
      return;
    }
    remote.push({ index, call });
  });
  const answers: unknown[] = new Array(list.length);
  for (const [index, answer] of local) answers[index] = answer;
  if (remote.length > 0) {
    const body = Buffer.from(
      JSON.stringify(Array.isArray(parsed) ? remote.map((r) => r.call) : remote[0]!.call),
    );
    const answer = await send(body);
    if (answer.status !== 200) return answer;
    const got = JSON.parse(answer.body.toString('utf8')) as unknown;
    const gotList = (Array.isArray(got) ? got : [got]) as { id?: unknown }[];
    // A node may answer a batch in any order: matched by id.
    for (const r of remote)
      answers[r.index] = gotList.find((g) => g.id === r.call.id) ?? {
        jsonrpc: '2.0',
        id: r.call.id,
        error: { code: -32603, message: 'fault proxy: no answer in the batch' },
      };
  }
  const out = Array.isArray(parsed) ? answers : answers[0];
  return { status: 200, type: 'application/json', body: Buffer.from(JSON.stringify(out)) };
}
