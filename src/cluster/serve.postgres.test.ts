/**
 * Two `clearpeg serve` processes on one PostgreSQL: both serve the API, one runs the workers;
 * a process killed, stopped or paused hands its leases over, and one paused past its lease
 * wakes up fenced (docs/deployment.md).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { clearpegBin } from '../cli/testing.ts';
import { postgresUnavailable } from '../storage/testing.ts';
import { inheritedV8Flags } from '../testing.ts';
import { type ClusterStatusView, leaseRenewMsDefault, leaseTtlMsDefault } from './leases.ts';
import {
  createScratchDatabase,
  type IssuerCluster,
  type ServeProcess,
  startIssuerCluster,
} from './testing.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);

/** The leases every `serve` runs: one per chain, the log, and the periodic jobs. */
const leaseNames = [
  'accrual',
  'chain:31337',
  'log',
  'maintenance',
  'pending-expiry',
  'redemption-deadlines',
];

describe('two clearpeg serve processes on one PostgreSQL', { skip }, () => {
  let database: { url: string; drop(): Promise<void> };
  let cluster: IssuerCluster;
  let db: pg.Client;
  before(async () => {
    database = await createScratchDatabase();
    cluster = await startIssuerCluster({ databaseUrl: database.url });
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await cluster?.close();
    await database?.drop();
  });

  /** `clearpeg status --local --json` against the cluster's database. */
  const status = (): ClusterStatusView =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [...inheritedV8Flags(), clearpegBin, 'status', '--local', '--json'],
        {
          env: { ...process.env, ...cluster.env },
          encoding: 'utf8',
        },
      ),
    );
  const holders = (view: ClusterStatusView) =>
    view.leases.map((l) => `${l.name}=${l.expired ? '-' : l.node}:${l.token}`);
  /** Polls the leases until `node` holds all of them; returns how long it took. */
  const waitHolder = async (node: string, timeoutMs: number): Promise<number> => {
    const started = Date.now();
    for (;;) {
      const { rows } = await db.query<{ name: string; node: string }>(
        `SELECT l.name, p.node FROM cluster_leases l JOIN cluster_processes p USING (instance)
         WHERE l.expires_at > clock_timestamp()`,
      );
      if (rows.length === leaseNames.length && rows.every((r) => r.node === node))
        return Date.now() - started;
      if (Date.now() - started > timeoutMs)
        throw new Error(`${node} does not hold every lease: ${JSON.stringify(rows)}`);
      await sleep(100);
    }
  };
  const checkpoints = async () =>
    (
      await db.query<{ size: string; cosigned: string | null }>(
        'SELECT c.size::text, c.cosigned FROM log_checkpoints c ORDER BY c.size',
      )
    ).rows;
  const auditorKey = () => cluster.operators.find((o) => o.id === 'op-audit')!.apiKey;

  let a: ServeProcess;
  let b: ServeProcess;

  it('the first process runs every worker; the second serves the API and waits', async () => {
    a = await cluster.start('a');
    await a.waitFor(/attested: checkpoint 1, cosigned by 2 of 2 witnesses/);
    b = await cluster.start('b');
    await sleep(leaseRenewMsDefault + 500);
    const view = status();
    assert.deepEqual(
      holders(view),
      leaseNames.map((name) => `${name}=a:1`),
    );
    assert.deepEqual(
      view.processes.map((p) => [p.node, p.alive]),
      [
        ['a', true],
        ['b', true],
      ],
    );
    assert.doesNotMatch(b.output(), /lease \S+: held/);
    // Both serve the API: b answers the same status, and the log a published.
    const answer = await fetch(`${b.url}/v1/status`, {
      headers: { authorization: `Bearer ${auditorKey()}` },
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(holders((await answer.json()) as ClusterStatusView), holders(view));
    const fromA = await (await fetch(`${a.url}/log/checkpoint`)).text();
    const fromB = await (await fetch(`${b.url}/log/checkpoint`)).text();
    assert.equal(fromB, fromA);
    assert.match(fromA, /\n1\n/);
  });

  it('a process killed on this host hands every lease over at the next round; the log goes on, cosigned', async () => {
    const before = await checkpoints();
    await a.kill('SIGKILL');
    // Its pid is gone, so b need not wait for the ttl (another host would: the pause below).
    const took = await waitHolder('b', leaseRenewMsDefault + 3_000);
    console.log(`# takeover after SIGKILL: ${took} ms`);
    await b.waitFor(/lease log: held by b \(token 2\)/);
    assert.deepEqual(
      holders(status()),
      leaseNames.map((name) => `${name}=b:2`),
    );
    // b attests as soon as it holds the log: the witnesses cosign it, which they do only for
    // a checkpoint consistent with the one they cosigned for a.
    for (let i = 0; i < 100 && (await checkpoints()).length <= before.length; i++) await sleep(100);
    const after = await checkpoints();
    assert.ok(after.length > before.length, 'b signed a new checkpoint');
    for (let i = 0; i < 50 && (await checkpoints()).at(-1)!.cosigned === null; i++)
      await sleep(100);
    assert.match((await checkpoints()).at(-1)!.cosigned ?? '', /— w1\.cluster[\s\S]*— w2\.cluster/);
  });

  it('a restarted process waits beside the holder; the holder stopped hands over at once', async () => {
    a = await cluster.start('a');
    await sleep(leaseRenewMsDefault + 500);
    assert.deepEqual(
      holders(status()),
      leaseNames.map((name) => `${name}=b:2`),
      'a live holder keeps its leases',
    );
    await b.kill('SIGTERM');
    assert.match(b.output(), /stopped/);
    const took = await waitHolder('a', leaseRenewMsDefault + 3_000);
    console.log(`# takeover after SIGTERM: ${took} ms`);
    assert.deepEqual(
      holders(status()),
      leaseNames.map((name) => `${name}=a:3`),
    );
  });

  it('a process paused past its lease wakes up fenced: it stops its workers and signs nothing', async () => {
    b = await cluster.start('b');
    const size = (await checkpoints()).length;
    a.child.kill('SIGSTOP');
    try {
      await waitHolder('b', leaseTtlMsDefault + leaseRenewMsDefault + 3_000);
    } finally {
      a.child.kill('SIGCONT');
    }
    await a.waitFor(/lease log: lost \(token 3\); its worker stops/, 10_000);
    await a.waitFor(/lease chain:31337: lost \(token 3\); its worker stops/, 10_000);
    await sleep(leaseRenewMsDefault);
    assert.deepEqual(
      holders(status()),
      leaseNames.map((name) => `${name}=b:4`),
    );
    // Every checkpoint since is b's, one per size, each consistent (the witnesses cosigned).
    for (let i = 0; i < 100 && (await checkpoints()).length <= size; i++) await sleep(100);
    const rows = await checkpoints();
    assert.deepEqual(
      rows.map((r) => r.size),
      rows.map((_, i) => String(i + 1)),
    );
    const ledger = execFileSync(
      process.execPath,
      [...inheritedV8Flags(), clearpegBin, 'ledger', 'verify', '--local'],
      { env: { ...process.env, ...cluster.env }, encoding: 'utf8' },
    );
    assert.match(ledger, /^ok: /);
  });
});
