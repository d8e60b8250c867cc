/**
 * The fault proxy against a small JSON-RPC server that records what reached it: each fault
 * does what it says and no more, to the calls it names, as often as it is told, and the same
 * seed gives the same faults.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { seededRandom } from '../random.ts';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';

type Call = { jsonrpc: string; id: number; method: string; params?: unknown[] };

/** A node at block 100 that answers every call and keeps the calls it received. */
async function recordingNode(): Promise<{ url: string; seen: Call[]; server: Server }> {
  const seen: Call[] = [];
  const answer = (call: Call) => {
    seen.push(call);
    if (call.method === 'eth_blockNumber') return { jsonrpc: '2.0', id: call.id, result: '0x64' };
    if (call.method === 'eth_getBlockByNumber')
      return { jsonrpc: '2.0', id: call.id, result: { number: call.params?.[0] } };
    return { jsonrpc: '2.0', id: call.id, result: `${call.method}-done` };
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call | Call[];
      const out = Array.isArray(body) ? body.map(answer).reverse() : answer(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

let id = 0;
const call = (method: string, params: unknown[] = []): Call => ({
  jsonrpc: '2.0',
  id: ++id,
  method,
  params,
});

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('fault proxy', () => {
  let node: Awaited<ReturnType<typeof recordingNode>>;
  let proxy: FaultProxy;
  before(async () => {
    node = await recordingNode();
    proxy = await startFaultProxy({ upstream: node.url, seed: 42 });
  });
  after(async () => {
    await proxy?.close();
    await new Promise((resolve) => node?.server.close(resolve));
  });
  beforeEach(() => {
    proxy.clear();
    node.seen.length = 0;
  });

  it('forwards calls and batches unchanged when no fault is set', async () => {
    const one = await post(proxy.url, call('eth_chainId'));
    assert.equal(one.status, 200);
    assert.equal(JSON.parse(one.text).result, 'eth_chainId-done');
    const batch = [call('eth_blockNumber'), call('eth_gasPrice')];
    const answers = JSON.parse((await post(proxy.url, batch)).text) as { id: number }[];
    assert.deepEqual(answers.map((a) => a.id).sort(), batch.map((c) => c.id).sort());
    assert.equal(node.seen.length, 3);
  });

  it('delays by delayMs', async () => {
    proxy.inject({ kind: 'delay', delayMs: 150 });
    const started = performance.now();
    await post(proxy.url, call('eth_chainId'));
    assert.ok(performance.now() - started >= 140, 'the answer waited');
    assert.equal(node.seen.length, 1, 'then it was forwarded');
  });

  it('drop-before: the socket is closed and the node never sees the call', async () => {
    const before = proxy.counts()['drop-before'];
    proxy.inject({ kind: 'drop-before', methods: ['eth_sendRawTransaction'] });
    await assert.rejects(post(proxy.url, call('eth_sendRawTransaction', ['0x01'])));
    assert.equal(node.seen.length, 0);
    assert.equal(proxy.counts()['drop-before'], before + 1);
    // Another method is not touched.
    assert.equal((await post(proxy.url, call('eth_chainId'))).status, 200);
  });

  it('drop-after: the node acts, the caller gets no answer', async () => {
    proxy.inject({ kind: 'drop-after', methods: ['eth_sendRawTransaction'], times: 1 });
    await assert.rejects(post(proxy.url, call('eth_sendRawTransaction', ['0x02'])));
    assert.deepEqual(
      node.seen.map((c) => c.method),
      ['eth_sendRawTransaction'],
    );
    assert.equal(proxy.countOf('drop-after', 'eth_sendRawTransaction'), 1);
    // Spent after one: the next is answered.
    const again = await post(proxy.url, call('eth_sendRawTransaction', ['0x02']));
    assert.equal(JSON.parse(again.text).result, 'eth_sendRawTransaction-done');
  });

  it('after: lets the first matching requests pass', async () => {
    proxy.inject({ kind: 'status', methods: ['eth_blockNumber'], after: 2, times: 1 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await post(proxy.url, call('eth_blockNumber'))).status);
    statuses.push((await post(proxy.url, call('eth_chainId'))).status);
    statuses.push((await post(proxy.url, call('eth_blockNumber'))).status);
    assert.deepEqual(statuses, [200, 200, 503, 200, 200]);
  });

  it('status: answers a 5xx without forwarding', async () => {
    proxy.inject({ kind: 'status', status: 502, times: 2 });
    assert.equal((await post(proxy.url, call('eth_chainId'))).status, 502);
    assert.equal((await post(proxy.url, [call('eth_chainId'), call('eth_call')])).status, 502);
    assert.equal((await post(proxy.url, call('eth_chainId'))).status, 200);
    assert.equal(node.seen.length, 1, 'only the third reached the node');
    assert.throws(() => proxy.inject({ kind: 'status', status: 404 }), RangeError);
  });

  it('truncate: the node acts, the caller gets half a JSON body', async () => {
    proxy.inject({ kind: 'truncate', methods: ['eth_getTransactionReceipt'] });
    const cut = await post(proxy.url, call('eth_getTransactionReceipt', ['0xab']));
    assert.equal(cut.status, 200);
    assert.throws(() => JSON.parse(cut.text), SyntaxError);
    assert.equal(node.seen.length, 1);
    // A batch that holds the method is cut whole.
    const batch = await post(proxy.url, [call('eth_chainId'), call('eth_getTransactionReceipt')]);
    assert.throws(() => JSON.parse(batch.text), SyntaxError);
  });

  it('stale-head: the head and tagged blocks answer as of staleBlock, the rest unchanged', async () => {
    proxy.inject({ kind: 'stale-head', staleBlock: 7n });
    const head = JSON.parse((await post(proxy.url, call('eth_blockNumber'))).text);
    assert.equal(head.result, '0x7');
    assert.equal(node.seen.length, 0, 'the stale head is answered by the proxy');
    const latest = JSON.parse(
      (await post(proxy.url, call('eth_getBlockByNumber', ['latest', false]))).text,
    );
    assert.equal(latest.result.number, '0x7');
    const byNumber = JSON.parse(
      (await post(proxy.url, call('eth_getBlockByNumber', ['0x63', false]))).text,
    );
    assert.equal(byNumber.result.number, '0x63', 'a block by number is not touched');
    const batch = [
      call('eth_blockNumber'),
      call('eth_getBlockByNumber', ['finalized', false]),
      call('eth_chainId'),
    ];
    const answers = JSON.parse((await post(proxy.url, batch)).text) as {
      id: number;
      result: unknown;
    }[];
    assert.deepEqual(
      answers.map((a) => a.id),
      batch.map((c) => c.id),
      'answers in the order asked',
    );
    assert.deepEqual(
      answers.map((a) => a.result),
      ['0x7', { number: '0x7' }, 'eth_chainId-done'],
    );
    proxy.clear();
    assert.equal(JSON.parse((await post(proxy.url, call('eth_blockNumber'))).text).result, '0x64');
  });

  it('fires with its probability, the same way for the same seed', async () => {
    const sample = (seed: number) => {
      const next = seededRandom(seed);
      return Array.from({ length: 2000 }, () => next());
    };
    assert.deepEqual(sample(5), sample(5));
    assert.notDeepEqual(sample(5), sample(6));
    const fired = sample(5).filter((x) => x < 0.25).length;
    assert.ok(fired > 400 && fired < 600, `about a quarter fire (${fired} of 2000)`);

    const outcomes = async (seed: number) => {
      const p = await startFaultProxy({ upstream: node.url, seed });
      try {
        p.inject({ kind: 'status', probability: 0.5 });
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++) statuses.push((await post(p.url, call('eth_chainId'))).status);
        assert.equal(p.counts().status, statuses.filter((s) => s === 503).length);
        return statuses;
      } finally {
        await p.close();
      }
    };
    const first = await outcomes(9);
    assert.deepEqual(await outcomes(9), first);
    const failed = first.filter((s) => s === 503).length;
    assert.ok(failed > 5 && failed < 35, `some fail, some pass (${failed} of 40)`);
  });
});
