/**
 * Idempotency when the database goes away in the middle of a request (a failover), on the
 * local server behind a proxy that cuts the sessions on cue: after the reservation, with the
 * COMMIT of the response lost, and with the reservation's own answer lost. Each time the
 * request fails with a 5xx, the placeholder cannot be deleted or completed then, and a client
 * retrying under the same key must complete within seconds of the database's return (not after
 * the 60 s a crashed request's placeholder is held), with the deposit recorded once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issuanceContext } from '../issuance/context.ts';
import { type PgFaultProxy, startPgFaultProxy } from '../storage/postgres/fault-proxy.ts';
import { openPostgres } from '../storage/postgres/postgres.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import { postgresUnavailable } from '../storage/testing.ts';
import { createApp } from './app.ts';
import { keyRepairRetryMs } from './idempotency.ts';
import { type ApiFixture, apiFixture, testChainId } from './testing.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);

/** How soon after the database is back a retry must complete: a few repair rounds. */
const completeWithinMs = keyRepairRetryMs * 8;
/** How long the database stays away. */
const awayMs = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('idempotency across a database outage', { skip }, () => {
  let a: ApiFixture;
  let proxy: PgFaultProxy;
  let db: SqlDatabase;
  let post: (
    key: string,
    json: unknown,
    path?: string,
  ) => Promise<{ status: number; text: string; replayed: boolean; retryAfter: string | null }>;

  before(async () => {
    a = await apiFixture('postgres');
    const as = { key: a.keys['op-cora']! };
    assert.equal(
      (await a.call('POST', '/v1/customers', { ...as, json: { id: 'CUST-1', name: 'Acme' } }))
        .status,
      201,
    );
    await a.call('POST', '/v1/customers/CUST-1/kyc', { ...as, json: { kyc: 'approved' } });
    const url = new URL(a.f.t.url!);
    proxy = await startPgFaultProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    db = await openPostgres({ url: url.toString(), searchPath: a.f.t.schema, max: 4 });
    const app = createApp({
      issuance: issuanceContext(db),
      database: 'test (postgres through a fault proxy)',
      version: '0.0.0-test',
      anonymousRateLimit: { perSecond: 1e9, burst: 1e9 },
      failureRateLimit: { perSecond: 1e9, burst: 1e9 },
    });
    post = async (key, json, path = '/v1/deposits') => {
      const res = await app.request(path, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${a.keys['op-tess']}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(json),
      });
      return {
        status: res.status,
        text: await res.text(),
        replayed: res.headers.get('idempotent-replayed') === 'true',
        retryAfter: res.headers.get('retry-after'),
      };
    };
  });
  after(async () => {
    await db?.close();
    await proxy?.close();
    await a?.close();
  });

  /** Posts until an answer that is neither a 5xx nor 409 in progress; the answer and the ms after `fromMs`. */
  const retry = async (key: string, json: unknown, fromMs: number, path?: string) => {
    for (;;) {
      const res = await post(key, json, path);
      if (res.status < 500 && res.status !== 409)
        return { ...res, ms: Math.round(performance.now() - fromMs) };
      assert.ok(performance.now() - fromMs < 30_000, `still ${res.status} after 30 s: ${res.text}`);
      await sleep(50);
    }
  };

  const deposits = async (reference: string) => {
    const { rows } = await a.f.t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM deposits WHERE reference = $1',
      [reference],
    );
    return rows[0]!.n;
  };

  const scenario = async (name: string, pattern: RegExp, answer: 'drop' | 'deliver') => {
    const line = {
      reference: `WIRE-${name}`,
      bank: 'bank-a',
      amount: '1000.00',
      customerId: 'CUST-1',
      bookingDate: '2026-11-20',
    };
    const key = `key-${name}`;
    const cut = proxy.cutAfter(pattern, answer, { down: true });
    const first = await post(key, line);
    await cut;
    assert.equal(first.status, 503, `the first attempt fails with the database: ${first.text}`);
    assert.equal(JSON.parse(first.text).type, '/problems/database-unavailable');
    assert.equal(first.retryAfter, '1');
    await sleep(awayMs);
    const backAt = performance.now();
    proxy.up();
    const done = await retry(key, line, backAt);
    console.log(
      `idempotency: ${name}: the retry completed ${done.ms} ms after the database came back (${done.status}${done.replayed ? ', replayed' : ''})`,
    );
    assert.ok(done.ms <= completeWithinMs, `completed within ${completeWithinMs} ms (${done.ms})`);
    assert.equal(await deposits(line.reference), 1, 'recorded once');
    return done;
  };

  it('the database goes away after the reservation: the placeholder is freed once it is back', async () => {
    const done = await scenario('after-reserve', /INSERT INTO idempotency_keys/, 'deliver');
    assert.equal(done.status, 201, done.text);
    assert.equal(done.replayed, false);
  });

  it("the response's write is lost (committed, unanswered): stored once the database is back, and replayed", async () => {
    const done = await scenario('complete-lost', /UPDATE idempotency_keys SET status/, 'drop');
    assert.equal(done.status, 201, done.text);
    assert.equal(done.replayed, true);
  });

  it("the reservation's answer is lost: its placeholder is freed once the database is back", async () => {
    const done = await scenario('reserve-lost', /INSERT INTO idempotency_keys/, 'drop');
    assert.equal(done.status, 201, done.text);
  });

  it('a mint request whose COMMIT answer is lost is made once', async () => {
    const cora = { key: a.keys['op-cora']! };
    const holder = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
    const wallet = await a.call('POST', '/v1/customers/CUST-1/wallets', {
      ...cora,
      json: { chainId: testChainId, address: holder },
    });
    assert.equal(wallet.status, 201, wallet.text);
    const count = async () =>
      (await a.f.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mint_requests')).rows[0]!
        .n;
    const body = { customerId: 'CUST-1', chainId: testChainId, to: holder, amount: '5' };
    const fiat = await a.call('POST', '/v1/deposits', {
      key: a.keys['op-tess']!,
      json: {
        reference: 'WIRE-mint',
        bank: 'bank-a',
        amount: '100.00',
        customerId: 'CUST-1',
        bookingDate: '2026-11-20',
      },
    });
    assert.equal(fiat.status, 201, fiat.text);
    // A first mint makes the accounts a mint needs: the next COMMIT is the request's own.
    const firstMint = await post('mint-first', body, '/v1/mints');
    assert.equal(firstMint.status, 201, firstMint.text);
    const before = await count();
    const cut = proxy.cutAfter(/^\s*COMMIT\s*$/i, 'drop', { down: true });
    const first = await post('mint-lost-commit', body, '/v1/mints');
    await cut;
    assert.ok(first.status >= 500, first.text);
    await sleep(awayMs);
    const backAt = performance.now();
    proxy.up();
    const done = await retry('mint-lost-commit', body, backAt, '/v1/mints');
    assert.equal(done.status, 201, done.text);
    const made = (await count()) - before;
    console.log(
      `idempotency: a mint whose COMMIT answer was lost, retried under its key: ${made} mint request(s) made`,
    );
    assert.equal(made, 1, 'one mint request for one key');
  });
});
