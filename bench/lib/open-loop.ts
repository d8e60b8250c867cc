/**
 * The API benchmark's load generator, run as its own process (`bench/api.ts` starts it), so
 * that the client's work (building requests, undici, reading answers) does not share the
 * server's event loop, as it would not in production.
 *
 * Input: one JSON argument (`OpenLoopPlan`). Output: one JSON line on stdout
 * (`OpenLoopResult`). Open loop: request i is sent at `start + i / rate` whether or not the
 * ones before have answered, and its latency is measured from that time to the end of its
 * body, so a server that falls behind is charged for the wait. Requests go over node's HTTP
 * client with kept-alive connections: fetch (undici) costs the generator enough to stall it
 * (a bare node server answered at p99 13–26 ms through fetch, 3–5 ms through node:http).
 */
import { Agent, request as httpRequest } from 'node:http';

/** What to send. */
export interface OpenLoopPlan {
  readonly base: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  /** `health`: GET /health only; `mix`: the API mix of bench/api.ts. */
  readonly workload: 'health' | 'mix';
  readonly keys: readonly string[];
  readonly customerId: string;
  readonly chainId: number;
  readonly holder: string;
  /** Prefix of the mint requests' Idempotency-Keys. */
  readonly keyPrefix: string;
}

/** What one phase measured. */
export interface OpenLoopResult {
  /** Latencies in ms by kind of request, in the order answered. */
  readonly byKind: Record<string, number[]>;
  readonly errors: number;
  readonly sent: number;
  readonly seconds: number;
  readonly firstErrors: string[];
}

/** The mix: 10 % POST /v1/mints, 45 % GET /v1/mints?limit=20, 45 % GET /v1/customers/:id. */
export function kindOf(plan: OpenLoopPlan, i: number): string {
  if (plan.workload === 'health') return 'health';
  return i % 20 < 2 ? 'mint.post' : i % 20 < 11 ? 'mints.get' : 'customer.get';
}

/**
 * One kept-alive connection pool, as a production client would have. With a `timeout`, node's
 * agent closes an idle connection a second before the server's `Keep-Alive: timeout=5` hint;
 * without one it ignores the hint (node 20: the hint only shortens a timeout set), keeps idle
 * connections until the server closes them, and a request sent on one the moment the server
 * closes it fails with ECONNRESET (about one in 24,000 requests of a run here).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 512, timeout: 30_000 });

/** An answer: its status and body. */
interface Answer {
  readonly status: number;
  readonly body: string;
}

/** Sends one request over node's HTTP client (lighter than fetch: the generator stays light). */
function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? 'GET', headers: init.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

function request(plan: OpenLoopPlan, i: number): Promise<Answer> {
  const kind = kindOf(plan, i);
  if (kind === 'health') return send(`${plan.base}/health`);
  const headers = { authorization: `Bearer ${plan.keys[i % plan.keys.length]}` };
  if (kind === 'mint.post')
    return send(`${plan.base}/v1/mints`, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'idempotency-key': `${plan.keyPrefix}-${i}`,
      },
      body: JSON.stringify({
        customerId: plan.customerId,
        chainId: plan.chainId,
        to: plan.holder,
        // $1.00 to $9.99: far under the velocity limits and the tier of one approval.
        amount: `${1 + (i % 9)}.${String(i % 100).padStart(2, '0')}`,
      }),
    });
  if (kind === 'mints.get') return send(`${plan.base}/v1/mints?limit=20`, { headers });
  return send(`${plan.base}/v1/customers/${plan.customerId}`, { headers });
}

async function run(plan: OpenLoopPlan): Promise<OpenLoopResult> {
  const total = plan.ratePerSecond * plan.seconds;
  const intervalMs = 1000 / plan.ratePerSecond;
  const byKind: Record<string, number[]> = {};
  const record = (i: number, ms: number) => {
    const kind = kindOf(plan, i);
    byKind[kind] ??= [];
    byKind[kind].push(ms);
  };
  const firstErrors: string[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const scheduled = started + i * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // From the scheduled time (a generator running late is charged for it), or from the
    // moment of sending when that is up to a millisecond earlier.
    const from = Math.min(scheduled, performance.now());
    inFlight.push(
      request(plan, i)
        .then((answer) => {
          record(i, performance.now() - from);
          if (answer.status < 200 || answer.status >= 300) {
            errors++;
            if (firstErrors.length < 5)
              firstErrors.push(`${answer.status} ${answer.body.slice(0, 200)}`);
          }
        })
        .catch((error: unknown) => {
          errors++;
          record(i, performance.now() - from);
          if (firstErrors.length < 5) firstErrors.push(String(error));
        }),
    );
  }
  await Promise.all(inFlight);
  return {
    byKind,
    errors,
    sent: total,
    seconds: (performance.now() - started) / 1000,
    firstErrors,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const plan = JSON.parse(process.argv[2] ?? '') as OpenLoopPlan;
  process.stdout.write(`${JSON.stringify(await run(plan))}\n`);
}
