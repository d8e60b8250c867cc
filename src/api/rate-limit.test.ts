/**
 * The per-address rate limits (issue 14): requests without a valid API key, and failed
 * requests, each spend a bucket of the client's address; an empty bucket answers 429
 * `rate-limited` with `Retry-After`, changes nothing, and refills as time passes (an injected
 * clock: no sleeps).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import { clientKey } from './rate-limit.ts';
import { type ApiFixture, apiFixture } from './testing.ts';

describe('rate limits per client address', () => {
  let a: ApiFixture;
  let nowMs = 0;
  let app: Hono;
  before(async () => {
    a = await apiFixture('pglite');
    app = createApp({
      issuance: a.f.ctx,
      database: 'test',
      version: '0',
      anonymousRateLimit: { perSecond: 2, burst: 3 },
      failureRateLimit: { perSecond: 1, burst: 4 },
      rateLimitClockMs: () => nowMs,
      clientAddress: (c) => c.req.header('x-test-client') ?? 'none',
    });
  });
  after(() => a?.close());

  const call = (client: string, path: string, key?: string, init: RequestInit = {}) =>
    app.request(path, {
      ...init,
      headers: {
        'x-test-client': client,
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  const isLimited = async (res: Response, retryAfter: string) => {
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), retryAfter);
    assert.equal(((await res.json()) as { type: string }).type, '/problems/rate-limited');
  };

  it('answers 429 to an address out of unauthenticated requests, then recovers as time passes', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await call('10.0.0.1', '/health')).status, 200);
    await isLimited(await call('10.0.0.1', '/health'), '1');
    await isLimited(await call('10.0.0.1', '/v1/policy'), '1'); // no key: the same bucket
    assert.equal((await call('10.0.0.2', '/health')).status, 200, 'another address has its own');
    assert.equal(
      (await call('10.0.0.1', '/v1/policy', a.keys['op-aud'])).status,
      200,
      'a valid key is not charged to its address',
    );
    nowMs += 499;
    await isLimited(await call('10.0.0.1', '/health'), '1');
    nowMs += 1;
    assert.equal((await call('10.0.0.1', '/health')).status, 200, 'one request back after 0.5 s');
    await isLimited(await call('10.0.0.1', '/health'), '1');
    nowMs += 10_000;
  });

  it('charges failed authentications to the address, before the failure bucket closes it', async () => {
    const before = await a.snapshot();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await call('10.0.0.3', '/v1/policy', 'ck_0123456789abcdef.nope')).status);
    assert.deepEqual(
      statuses,
      [401, 401, 401, 429],
      'three unauthenticated, then the bucket is spent',
    );
    assert.equal(await a.snapshot(), before, 'refusals changed nothing');
    nowMs += 10_000;
  });

  it('refuses every request of an address whose requests keep failing, until its bucket refills', async () => {
    const key = a.keys['op-aud']!;
    for (let i = 0; i < 4; i++)
      assert.equal((await call('10.0.0.4', '/v1/customers/CUST-NONE', key)).status, 404);
    const limited = await call('10.0.0.4', '/v1/policy', key);
    await isLimited(limited, '1');
    const post = await call('10.0.0.4', '/v1/customers', a.keys['op-all'], {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'rl-1' },
      body: JSON.stringify({ id: 'CUST-0777', name: 'Refused Before Any Work' }),
    });
    await isLimited(post, '1');
    const { rows } = await a.f.t.db.query(`SELECT 1 FROM customers WHERE id = 'CUST-0777'`);
    assert.equal(rows.length, 0, 'a request refused by the limit did nothing');
    assert.equal((await call('10.0.0.5', '/v1/policy', key)).status, 200, 'other addresses pass');
    nowMs += 1000;
    assert.equal((await call('10.0.0.4', '/v1/policy', key)).status, 200, 'back after 1 s');
    assert.equal((await call('10.0.0.4', '/v1/nothing-here', key)).status, 404);
    await isLimited(await call('10.0.0.4', '/v1/policy', key), '1');
  });

  it('keys an IPv6 client by its /64 and an IPv4-mapped one by its IPv4 address', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:fffe'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
  });
});
