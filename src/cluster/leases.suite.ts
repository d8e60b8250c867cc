/**
 * The leases on either backend: who wins, renewal, hand-over on stop, takeover after expiry and
 * after a crash on the same host, and the fence raced against a takeover.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClearpegError } from '../errors.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import { openTestDatabase, type TestBackend } from '../storage/testing.ts';
import { clusterStatus, type Duty, type Fence, LeaseKeeper } from './leases.ts';

/** A duty that records its starts and stops, and the fence it was given. */
class Recorder implements Duty {
  readonly events: string[] = [];
  fence: Fence | undefined;
  constructor(readonly name: string) {}
  async start(fence: Fence): Promise<void> {
    this.fence = fence;
    this.events.push(`start ${fence.token}`);
  }
  async stop(): Promise<void> {
    this.events.push('stop');
  }
}

/** A keeper on `host` with its own recorders, short timings, and lines it logged. */
function keeper(
  db: SqlDatabase,
  host: string,
  options: { pid?: number; alive?: (pid: number) => boolean; ttlMs?: number } = {},
) {
  const duties = [new Recorder('chain:31337'), new Recorder('log')];
  const lines: string[] = [];
  const k = new LeaseKeeper({
    db,
    node: host,
    version: 'test',
    duties,
    ttlMs: options.ttlMs ?? 600,
    renewMs: 100,
    host,
    pid: options.pid ?? 1000,
    alive: options.alive ?? (() => true),
    log: (line) => lines.push(line),
  });
  return { k, duties, lines };
}

/** One round, and the starts and stops it asked for. */
async function settled(k: LeaseKeeper): Promise<void> {
  await k.round();
  await k.idle();
}

async function leaseRows(db: SqlDatabase) {
  const { rows } = await db.query<{ name: string; instance: string; token: string }>(
    'SELECT name, instance, token::text FROM cluster_leases ORDER BY name',
  );
  return rows;
}

export function defineLeaseSuite(backend: TestBackend, skip?: string): void {
  describe(`leases on ${backend}`, () => {
    const test = (name: string, body: (db: SqlDatabase) => Promise<void>) =>
      it(name, { skip }, async () => {
        const t = await openTestDatabase(backend);
        try {
          await body(t.db);
        } finally {
          await t.dispose();
        }
      });

    test('the first process wins every lease; a second waits; a renewal keeps the token', async (db) => {
      const a = keeper(db, 'host-a');
      const b = keeper(db, 'host-b');
      await settled(a.k);
      await settled(b.k);
      assert.deepEqual(a.k.held(), ['chain:31337', 'log']);
      assert.deepEqual(b.k.held(), []);
      assert.deepEqual(
        a.duties.map((d) => d.events),
        [['start 1'], ['start 1']],
      );
      await settled(a.k);
      await settled(b.k);
      assert.deepEqual(
        (await leaseRows(db)).map((r) => [r.name, r.instance, r.token]),
        [
          ['chain:31337', a.k.instance, '1'],
          ['log', a.k.instance, '1'],
        ],
      );
      assert.deepEqual(
        a.duties.map((d) => d.events),
        [['start 1'], ['start 1']],
        'a renewal neither restarts a worker nor changes its token',
      );
      const status = await clusterStatus(db, 600);
      assert.deepEqual(
        status.leases.map((l) => [l.name, l.node, l.token, l.expired]),
        [
          ['chain:31337', 'host-a', '1', false],
          ['log', 'host-a', '1', false],
        ],
      );
      assert.deepEqual(status.processes.map((p) => [p.node, p.alive]).sort(), [
        ['host-a', true],
        ['host-b', true],
      ]);
    });

    test('a process that stops hands its leases over at the next round, with the next token', async (db) => {
      const a = keeper(db, 'host-a');
      const b = keeper(db, 'host-b');
      await settled(a.k);
      await settled(b.k);
      await a.k.stop();
      assert.deepEqual(
        a.duties.map((d) => d.events),
        [
          ['start 1', 'stop'],
          ['start 1', 'stop'],
        ],
      );
      await settled(b.k);
      assert.deepEqual(b.k.held(), ['chain:31337', 'log']);
      assert.deepEqual(
        b.duties.map((d) => d.events),
        [['start 2'], ['start 2']],
      );
      const status = await clusterStatus(db, 600);
      assert.deepEqual(
        status.processes.map((p) => p.node),
        ['host-b'],
        'a stopped process leaves',
      );
    });

    test('a process that stops renewing loses its leases after the ttl, and its fence refuses', async (db) => {
      const a = keeper(db, 'host-a');
      const b = keeper(db, 'host-b');
      await settled(a.k);
      const fence = a.duties[0]!.fence!;
      await db.transaction((tx) => fence.check(tx));
      // a is paused: it runs no round. Within the ttl, b takes nothing.
      await settled(b.k);
      assert.deepEqual(b.k.held(), []);
      await sleep(650);
      await settled(b.k);
      assert.deepEqual(b.k.held(), ['chain:31337', 'log']);
      assert.equal(b.duties[0]!.fence!.token, 2n);
      // a wakes up believing it holds the lease: its guarded write is refused, and changes nothing.
      await db.exec('CREATE TABLE guarded (n integer)');
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO guarded VALUES (1)');
          await fence.check(tx);
        }),
        (error: unknown) =>
          error instanceof ClearpegError &&
          error.code === 'lease-lost' &&
          /stale/.test(error.message),
      );
      const { rows } = await db.query('SELECT n FROM guarded');
      assert.equal(rows.length, 0);
      // Its next round stops its workers.
      await settled(a.k);
      assert.deepEqual(a.k.held(), []);
      assert.deepEqual(a.duties[0]!.events, ['start 1', 'stop']);
      assert.ok(a.lines.some((line) => /lease chain:31337: lost \(token 1\)/.test(line)));
    });

    test('a restart on the same host takes its dead predecessor’s leases at once', async (db) => {
      const dead = new Set<number>();
      const first = keeper(db, 'host-a', { pid: 41, alive: (pid) => !dead.has(pid) });
      await settled(first.k);
      const other = keeper(db, 'host-b');
      // Killed: no stop, no release.
      dead.add(41);
      const second = keeper(db, 'host-a', { pid: 42, alive: (pid) => !dead.has(pid) });
      await settled(other.k);
      assert.deepEqual(other.k.held(), [], 'another host waits for the ttl');
      await settled(second.k);
      assert.deepEqual(second.k.held(), ['chain:31337', 'log']);
      assert.equal(second.duties[1]!.fence!.token, 2n);
      // A restart given the dead process's pid (a container's pid 1) knows it is not alive.
      const third = keeper(db, 'host-a', { pid: 42, alive: () => true });
      await settled(third.k);
      assert.deepEqual(third.k.held(), ['chain:31337', 'log']);
      assert.equal(third.duties[1]!.fence!.token, 3n);
      // But a live process on the same host keeps its leases.
      const fourth = keeper(db, 'host-a', { pid: 43, alive: () => true });
      await settled(fourth.k);
      assert.deepEqual(fourth.k.held(), []);
    });

    test('a fenced write raced against a takeover: no write with the old token commits after it', async (db) => {
      await db.exec(
        'CREATE TABLE fenced_writes (seq bigserial PRIMARY KEY, token bigint NOT NULL)',
      );
      const a = keeper(db, 'host-a', { ttlMs: 300 });
      await settled(a.k);
      const fence = a.duties[0]!.fence!;
      const write = () =>
        db.transaction(async (tx) => {
          await fence.check(tx);
          await tx.query('INSERT INTO fenced_writes (token) VALUES ($1)', [fence.token ?? 0n]);
        });
      let refused = 0;
      let running = true;
      const writer = (async () => {
        while (running) {
          await write().catch((error: unknown) => {
            assert.ok(error instanceof ClearpegError && error.code === 'lease-lost', String(error));
            refused++;
          });
          await sleep(1);
        }
      })();
      await sleep(350);
      const b = keeper(db, 'host-b', { ttlMs: 300 });
      const bFence = () => b.duties[0]!.fence!;
      for (let i = 0; i < 50 && b.k.held().length === 0; i++) {
        await settled(b.k);
        await sleep(20);
      }
      assert.deepEqual(b.k.held(), ['chain:31337', 'log']);
      for (let i = 0; i < 20; i++)
        await db.transaction(async (tx) => {
          await bFence().check(tx);
          await tx.query('INSERT INTO fenced_writes (token) VALUES ($1)', [bFence().token!]);
        });
      await sleep(50);
      running = false;
      await writer;
      const { rows } = await db.query<{ token: string; first: string; last: string; n: string }>(
        'SELECT token::text, min(seq)::text AS first, max(seq)::text AS last, count(*)::text AS n FROM fenced_writes GROUP BY token ORDER BY token',
      );
      assert.equal(rows.length, 2, JSON.stringify(rows));
      const [old, current] = rows;
      assert.equal(old!.token, '1');
      assert.equal(current!.token, '2');
      assert.ok(Number(old!.n) > 0, 'the first holder wrote before the takeover');
      assert.ok(
        BigInt(old!.last) < BigInt(current!.first),
        `the old holder's last write (${old!.last}) precedes the new holder's first (${current!.first})`,
      );
      assert.ok(refused > 0, 'the old holder was refused after the takeover');
    });
  });
}
