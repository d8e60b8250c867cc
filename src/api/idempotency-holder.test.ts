/**
 * A placeholder that names its process (`AppDeps.instance`, a `clearpeg serve` process of
 * src/cluster/): a retry takes it over at once when that process died on this host, or has not
 * been seen for `processSilentMs` (on any host), and is refused as in progress while it lives,
 * or while a process on another host was seen lately (stale after 60 s).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { processSilentMs } from '../cluster/leases.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { createApp } from './app.ts';
import { requestHash, reserveKey } from './idempotency.ts';
import { type ApiFixture, apiFixture } from './testing.ts';

describe('idempotency: a placeholder names its process', () => {
  let a: ApiFixture;
  let post: (key: string, raw: string) => Promise<{ status: number; text: string }>;
  const mine = randomBytes(16).toString('hex');
  /** A pid that was a process a moment ago and is no more. */
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;

  before(async () => {
    a = await apiFixture('pglite');
    const app = createApp({
      issuance: a.f.ctx,
      database: 'test',
      version: '0',
      instance: mine,
      anonymousRateLimit: { perSecond: 1e9, burst: 1e9 },
      failureRateLimit: { perSecond: 1e9, burst: 1e9 },
    });
    post = async (key, raw) => {
      const res = await app.request('/v1/deposits', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${a.keys['op-tess']}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: raw,
      });
      return { status: res.status, text: await res.text() };
    };
  });
  after(() => a?.close());

  /**
   * A placeholder for a fresh deposit under `key`, held by a process at `host` with `pid`, last
   * seen `seenMsAgo` ago.
   */
  const heldBy = async (key: string, host: string, pid: number, seenMsAgo = 0) => {
    const instance = randomBytes(16).toString('hex');
    await a.f.t.db.query(
      `INSERT INTO cluster_processes (instance, node, host, pid, version, started_at, seen_at)
       VALUES ($1, 'other', $2, $3, '0', now() - interval '1 hour',
               clock_timestamp() - $4::bigint * interval '1 millisecond')`,
      [instance, host, pid, seenMsAgo],
    );
    const raw = JSON.stringify({
      reference: `WIRE-${uuidv7()}`,
      bank: 'bank-a',
      amount: '10',
      bookingDate: '2026-11-21',
    });
    const hash = requestHash('POST', '/v1/deposits', new TextEncoder().encode(raw));
    await a.f.t.db.query(
      `INSERT INTO idempotency_keys (caller, key, request_sha256, status, body, created_at_us)
       VALUES ('op-tess', $1, $2, 0, $3, $4)`,
      [key, hash, instance, BigInt(Date.now()) * 1000n],
    );
    return raw;
  };

  it('takes over at once the placeholder of a process that died on this host', async () => {
    const raw = await heldBy('dead-here', hostname(), deadPid);
    const res = await post('dead-here', raw);
    assert.equal(res.status, 201, res.text);
  });

  it('takes over the placeholder of a process not seen for a lease ttl and a round, on any host', async () => {
    for (const [key, host, pid] of [
      ['silent-elsewhere', 'another-host.invalid', deadPid],
      ['silent-here', hostname(), process.ppid],
    ] as const) {
      const raw = await heldBy(key, host, pid, processSilentMs + 1_000);
      const res = await post(key, raw);
      assert.equal(res.status, 201, `${key}: ${res.text}`);
    }
  });

  it('waits for a live process of this host, and for one of another host seen lately', async () => {
    for (const [key, host, pid, seenMsAgo] of [
      ['alive-here', hostname(), process.ppid, 0],
      ['elsewhere', 'another-host.invalid', deadPid, 0],
      ['elsewhere-lately', 'another-host.invalid', deadPid, processSilentMs - 3_000],
    ] as const) {
      const raw = await heldBy(key, host, pid, seenMsAgo);
      const res = await post(key, raw);
      assert.equal(res.status, 409, `${key}: ${res.text}`);
      assert.match(res.text, /idempotency-in-progress/);
    }
  });

  it('names its process in the placeholder it makes, and in one it takes over', async () => {
    const hash = requestHash('POST', '/v1/x', new Uint8Array());
    const nowUs = BigInt(Date.now()) * 1000n;
    assert.deepEqual(await reserveKey(a.f.t.db, 'op-x', 'named', hash, nowUs, 60_000_000n, mine), {
      run: true,
    });
    const body = async (key: string) =>
      (
        await a.f.t.db.query<{ body: string }>(
          `SELECT body FROM idempotency_keys WHERE caller = 'op-x' AND key = $1`,
          [key],
        )
      ).rows[0]!.body;
    assert.equal(await body('named'), mine);
    const raw = await heldBy('taken-too', hostname(), deadPid);
    assert.equal((await post('taken-too', raw)).status, 201);
    const { rows } = await a.f.t.db.query<{ status: number }>(
      `SELECT status FROM idempotency_keys WHERE caller = 'op-tess' AND key = 'taken-too'`,
    );
    assert.equal(rows[0]!.status, 201, 'the request that took it over stored its response');
  });
});
