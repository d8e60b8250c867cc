/**
 * A PostgreSQL failover cluster for tests, on 127.0.0.1 in a temporary directory: etcd (one
 * member, etcd3 API), two PostgreSQL 15 nodes under Patroni with `synchronous_mode: true`,
 * and HAProxy in front routing to whichever node Patroni's REST API calls the primary.
 * Settings and what bit are in ../../../../shared/HA-NOTES.md; the ones that matter:
 *
 * - Patroni runs as `postgres` (PostgreSQL refuses root) through `setpriv`, which execs, so
 *   the PID we hold is Patroni's; with a clean environment (`env -i`): a PGPASSWORD or other
 *   `PG*` variable inherited by Patroni breaks pg_rewind silently.
 * - ttl 10, loop_wait 2, retry_timeout 3: failover in about 10 s (ttl + loop_wait + HAProxy's
 *   rise); Patroni's defaults take about 24 s.
 * - `synchronous_mode: true` (not `_strict`): after a failover the survivor takes writes
 *   alone until the other node rejoins; no acknowledged write is lost to one failure, but a
 *   second failure before the rejoin may lose writes made in between.
 * - HAProxy `on-marked-down shutdown-sessions`: sessions to a node that stops being primary
 *   are cut, so clients see a broken connection rather than a demoted read-only server.
 * - Processes are signalled by PID after checking `/proc/PID/comm`, never by name.
 *
 * Everything is torn down by `stop()`, and (by SIGKILL) when the process exits.
 * Needs root (to run PostgreSQL as `postgres`), patroni, etcd, haproxy and PostgreSQL 15.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../net.ts';

/** The programs the cluster runs. */
export const haPrograms = {
  patroni: '/usr/bin/patroni',
  etcd: '/usr/bin/etcd',
  haproxy: '/usr/sbin/haproxy',
  setpriv: '/usr/bin/setpriv',
  postgresBin: '/usr/lib/postgresql/15/bin',
} as const;

/** Patroni's timings (seconds): failover ≈ ttl + up to loop_wait + HAProxy's rise. */
const patroniTiming = { ttl: 10, loopWait: 2, retryTimeout: 3 } as const;
/** How often HAProxy asks each node's REST API whether it is the primary. */
const haproxyCheckIntervalMs = 500;
/** Bring-up bounds: etcd, the first primary, the second node as a synchronous standby. */
const etcdUpMs = 10_000;
const clusterUpMs = 60_000;
/** How often the `wait…` helpers poll. */
const pollMs = 100;
/** A stopped Patroni has this long to stop its PostgreSQL before it is killed. */
const stopGraceMs = 10_000;

/**
 * Why the cluster cannot run here, or undefined when it can: a test skips with this message.
 * @example const why = haUnavailable(); it('failover', { skip: why }, ...)
 */
export function haUnavailable(): string | undefined {
  const missing = [
    haPrograms.patroni,
    haPrograms.etcd,
    haPrograms.haproxy,
    haPrograms.setpriv,
    join(haPrograms.postgresBin, 'postgres'),
  ].filter((path) => !existsSync(path));
  if (missing.length > 0)
    return `the HA cluster needs patroni, etcd, haproxy and PostgreSQL 15 (apt-get install patroni etcd-server haproxy postgresql-15); missing: ${missing.join(', ')}; skipped`;
  if (process.getuid?.() !== 0)
    return 'the HA cluster runs PostgreSQL as the postgres user and so needs root; skipped';
  if (postgresUser() === undefined) return 'no postgres user on this machine; skipped';
  return undefined;
}

/** One step of bring-up or of a fault, and how long it took. */
export interface HaStep {
  readonly step: string;
  readonly ms: number;
}

/** A running cluster. */
export interface HaCluster {
  /** `postgres://…` through HAProxy: always the primary, or nothing. */
  readonly url: string;
  /** Each node's direct URL, by name (`pg1`, `pg2`). */
  readonly nodeUrls: Readonly<Record<string, string>>;
  /** The temporary directory holding every data directory, configuration and log. */
  readonly dir: string;
  /** Every step timed so far, in order. */
  readonly steps: readonly HaStep[];
  /** The node Patroni's REST API calls the primary now, or undefined during a failover. */
  primaryName(): Promise<string | undefined>;
  /** SIGKILLs Patroni and the postmaster of the primary; returns the node's name. */
  killPrimary(): Promise<string>;
  /**
   * A planned switchover (Patroni's REST `POST /switchover`): the primary steps down, its
   * sessions are ended, and the standby takes over; returns the new primary's name.
   */
  switchover(): Promise<string>;
  /** Starts a killed node's Patroni again (it rewinds and rejoins as a standby). */
  restartNode(name: string): Promise<void>;
  /** Resolves (with the ms waited) once a write through HAProxy succeeds. */
  waitWritable(timeoutMs: number): Promise<number>;
  /**
   * Resolves (with the ms waited) once both nodes run, the standby streams as the synchronous
   * standby (REST `/sync`, `pg_stat_replication`) on the primary's timeline.
   */
  waitRejoined(timeoutMs: number): Promise<number>;
  /** Stops everything and deletes the directory. */
  stop(): Promise<void>;
}

interface Node {
  readonly name: string;
  readonly pgPort: number;
  readonly restPort: number;
  readonly dir: string;
  readonly config: string;
  patroni: ChildProcess | undefined;
  /** The killed postmaster's backends and workers, which exit once they notice. */
  orphans: number[];
}

interface Ids {
  readonly uid: number;
  readonly gid: number;
}

function postgresUser(): Ids | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (line === undefined) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The command name of process `pid`, or undefined when there is none. */
function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The parent PID of process `pid`, or undefined when there is none. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Signals `pid` if it is still a process named `comm`; true when it was. */
function signalIf(pid: number | undefined, comm: string, signal: NodeJS.Signals): boolean {
  if (pid === undefined || !(pid > 1) || commOf(pid) !== comm) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The postmaster's PID from `postmaster.pid`, if that file exists. */
function postmasterPid(node: Node): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(node.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The `postgres` processes whose parent is `parent` (a postmaster's backends and workers). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && parentOf(pid) === parent && commOf(pid) === 'postgres')
      children.push(pid);
  }
  return children;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>) {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(pollMs);
  }
  throw new Error(
    `HA cluster: ${what} not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}

/** GET on a node's REST API: the status, and the body parsed when it is JSON. */
async function rest(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(1000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}

function patroniYaml(node: Node, scope: string, etcdPort: number): string {
  const { ttl, loopWait, retryTimeout } = patroniTiming;
  return `scope: ${scope}
name: ${node.name}
restapi:
  listen: 127.0.0.1:${node.restPort}
  connect_address: 127.0.0.1:${node.restPort}
etcd3:
  hosts: 127.0.0.1:${etcdPort}
bootstrap:
  dcs:
    ttl: ${ttl}
    loop_wait: ${loopWait}
    retry_timeout: ${retryTimeout}
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        hot_standby: 'on'
        max_connections: 100
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${node.pgPort}
  connect_address: 127.0.0.1:${node.pgPort}
  data_dir: ${join(node.dir, 'data')}
  bin_dir: ${haPrograms.postgresBin}
  pgpass: ${join(node.dir, 'pgpass')}
  use_pg_rewind: true
  remove_data_directory_on_rewind_failure: true
  authentication:
    superuser:
      username: postgres
      password: postgres
    replication:
      username: replicator
      password: replicator
  parameters:
    unix_socket_directories: '${node.dir}'
    shared_buffers: 32MB
    fsync: 'on'
tags:
  nofailover: false
  noloadbalance: false
`;
}

function haproxyCfg(port: number, nodes: readonly Node[]): string {
  return `global
  maxconn 400
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen primary
  bind 127.0.0.1:${port}
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter ${haproxyCheckIntervalMs}ms fall 2 rise 1 on-marked-down shutdown-sessions
${nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} maxconn 180 check port ${n.restPort}`).join('\n')}
`;
}

/**
 * Brings the cluster up (about 10 s) and returns it; `log` receives one line per timed step.
 * @example const ha = await startCluster(); try { await ha.killPrimary(); await ha.waitWritable(15_000) } finally { await ha.stop() }
 */
export async function startCluster(
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<HaCluster> {
  const why = haUnavailable();
  if (why !== undefined) throw new Error(why);
  const ids = postgresUser()!;
  const steps: HaStep[] = [];
  const log = options.log ?? (() => {});
  const timed = async <T>(step: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await run();
    const ms = Math.round(performance.now() - started);
    steps.push({ step, ms });
    log(`ha: ${step}: ${ms} ms`);
    return value;
  };

  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'clearpeg-ha-'));
  const own = (path: string) => chownSync(path, ids.uid, ids.gid);
  own(dir);
  const ports = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  const [etcdClient, etcdPeer, haproxyPort] = ports as [number, number, number];
  const nodePorts = ports.slice(3);
  const nodes: Node[] = ['pg1', 'pg2'].map((name, i) => ({
    name,
    pgPort: nodePorts[i * 2]!,
    restPort: nodePorts[i * 2 + 1]!,
    dir: join(dir, name),
    config: join(dir, `${name}.yml`),
    patroni: undefined,
    orphans: [],
  }));
  const scope = `clearpeg-ha-${process.pid}`;
  const processes = new Set<ChildProcess>();
  let stopped = false;

  /** Spawns `argv` as `postgres` with a clean environment; output to `logName` in `dir`. */
  const asPostgres = (argv: string[], logName: string): ChildProcess => {
    const out = join(dir, logName);
    writeFileSync(out, '');
    own(out);
    const fd = openSync(out, 'a');
    const child = spawn(
      haPrograms.setpriv,
      [
        '--reuid=postgres',
        '--regid=postgres',
        '--init-groups',
        '/usr/bin/env',
        '-i',
        'PATH=/usr/bin:/bin',
        `HOME=${dir}`,
        'LANG=C.UTF-8',
        ...argv,
      ],
      { cwd: dir, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    processes.add(child);
    child.once('exit', () => processes.delete(child));
    return child;
  };
  /** SIGKILLs everything at once (also run on process exit), then removes the directory. */
  const killAll = (): number[] => {
    const killed: number[] = [];
    for (const node of nodes) {
      signalIf(node.patroni?.pid, 'patroni', 'SIGKILL');
      const postmaster = postmasterPid(node);
      const children = postmaster === undefined ? [] : childrenOf(postmaster);
      for (const pid of [postmaster, ...children, ...node.orphans])
        if (signalIf(pid, 'postgres', 'SIGKILL')) killed.push(pid!);
    }
    for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
    return killed;
  };
  const onExit = () => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const startPatroni = (node: Node) => {
    node.patroni = asPostgres([haPrograms.patroni, node.config], `${node.name}.log`);
  };

  const roleOf = async (node: Node): Promise<number | undefined> =>
    (await rest(node.restPort, '/primary').catch(() => undefined))?.status;

  const primaryName = async (): Promise<string | undefined> => {
    const roles = await Promise.all(nodes.map(roleOf));
    const primaries = nodes.filter((_, i) => roles[i] === 200);
    return primaries.length === 1 ? primaries[0]!.name : undefined;
  };

  const write = async (): Promise<boolean> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('CREATE TABLE IF NOT EXISTS ha_probe (at timestamptz)');
      await client.query('INSERT INTO ha_probe VALUES (now())');
      return true;
    } finally {
      await client.end().catch(() => {});
    }
  };

  const rejoined = async (): Promise<true | undefined> => {
    const leader = await primaryName();
    if (leader === undefined) return undefined;
    const primary = nodes.find((n) => n.name === leader)!;
    const standby = nodes.find((n) => n.name !== leader)!;
    const sync = await rest(standby.restPort, '/sync');
    if (sync.status !== 200) return undefined;
    const [p, s] = await Promise.all([
      rest(primary.restPort, '/patroni'),
      rest(standby.restPort, '/patroni'),
    ]);
    const timeline = (body: unknown) => (body as { timeline?: number }).timeline;
    if (timeline(p.body) === undefined || timeline(p.body) !== timeline(s.body)) return undefined;
    const client = new pg.Client({
      connectionString: nodeUrls[leader],
      connectionTimeoutMillis: 1000,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      const { rows } = await client.query(
        `SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming' AND sync_state = 'sync'`,
        [standby.name],
      );
      return rows.length === 1 ? true : undefined;
    } finally {
      await client.end().catch(() => {});
    }
  };

  const url = `postgres://postgres@127.0.0.1:${haproxyPort}/postgres`;
  const nodeUrls = Object.fromEntries(
    nodes.map((n) => [n.name, `postgres://postgres@127.0.0.1:${n.pgPort}/postgres`]),
  );

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await timed('stop', async () => {
      const exited = (child: ChildProcess | undefined) =>
        child === undefined || child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const all = [...processes];
      for (const child of all) if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([Promise.all(all.map(exited)), sleep(stopGraceMs)]);
      const killed = killAll();
      await until(
        'the PostgreSQL processes exiting',
        stopGraceMs,
        async () => killed.every((pid) => commOf(pid) !== 'postgres') || undefined,
      ).catch(() => {});
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    });
  };

  try {
    for (const node of nodes) {
      mkdirSync(node.dir, { mode: 0o700 });
      own(node.dir);
      writeFileSync(node.config, patroniYaml(node, scope, etcdClient));
      own(node.config);
    }
    const haproxyConfig = join(dir, 'haproxy.cfg');
    writeFileSync(haproxyConfig, haproxyCfg(haproxyPort, nodes));

    await timed('etcd up', async () => {
      const peer = `http://127.0.0.1:${etcdPeer}`;
      const client = `http://127.0.0.1:${etcdClient}`;
      asPostgres(
        [
          haPrograms.etcd,
          '--name=etcd1',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=${client}`,
          `--advertise-client-urls=${client}`,
          `--listen-peer-urls=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
          `--initial-cluster=etcd1=${peer}`,
          '--initial-cluster-state=new',
        ],
        'etcd.log',
      );
      await until('etcd answering', etcdUpMs, async () => {
        const response = await fetch(`${client}/health`, { signal: AbortSignal.timeout(500) });
        return response.ok ? true : undefined;
      });
    });
    await timed('first primary up (bootstrap)', async () => {
      startPatroni(nodes[0]!);
      // pg2 waits for pg1's bootstrap in etcd, then copies it (pg_basebackup).
      setTimeout(() => stopped || startPatroni(nodes[1]!), patroniTiming.loopWait * 1000);
      await until('a primary', clusterUpMs, async () =>
        (await primaryName()) === undefined ? undefined : true,
      );
    });
    await timed('haproxy up, first write', async () => {
      const child = spawn(haPrograms.haproxy, ['-f', haproxyConfig, '-db'], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'ignore'],
        env: { PATH: '/usr/bin:/bin:/usr/sbin' },
      });
      processes.add(child);
      child.once('exit', () => processes.delete(child));
      await until('a write through HAProxy', clusterUpMs, () => write());
    });
    await timed('second node streaming as sync standby', async () => {
      await until('pg2 in sync', clusterUpMs, rejoined);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    nodeUrls,
    dir,
    steps,
    primaryName,
    async killPrimary() {
      const name = await primaryName();
      if (name === undefined) throw new Error('HA cluster: no primary to kill');
      const node = nodes.find((n) => n.name === name)!;
      await timed(`kill primary ${name}`, async () => {
        const postmaster = postmasterPid(node);
        node.orphans = postmaster === undefined ? [] : childrenOf(postmaster);
        if (!signalIf(node.patroni?.pid, 'patroni', 'SIGKILL'))
          throw new Error(`HA cluster: ${name}'s Patroni is not running`);
        if (!signalIf(postmaster, 'postgres', 'SIGKILL'))
          throw new Error(`HA cluster: ${name}'s postmaster is not running`);
      });
      return name;
    },
    async switchover() {
      const leader = await primaryName();
      if (leader === undefined) throw new Error('HA cluster: no primary to switch over from');
      const candidate = nodes.find((n) => n.name !== leader)!;
      await timed(`switchover ${leader} to ${candidate.name}`, async () => {
        const response = await fetch(`http://127.0.0.1:${candidate.restPort}/switchover`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ leader, candidate: candidate.name }),
          signal: AbortSignal.timeout(clusterUpMs),
        });
        const text = await response.text();
        if (!response.ok)
          throw new Error(`HA cluster: switchover refused: ${response.status} ${text}`);
        await until(`${candidate.name} primary`, clusterUpMs, async () =>
          (await primaryName()) === candidate.name ? true : undefined,
        );
      });
      return candidate.name;
    },
    async restartNode(name) {
      const node = nodes.find((n) => n.name === name);
      if (node === undefined) throw new Error(`HA cluster: no node ${name}`);
      await timed(`restart ${name}`, async () => {
        if (
          node.patroni !== undefined &&
          node.patroni.exitCode === null &&
          commOf(node.patroni.pid!) === 'patroni'
        )
          throw new Error(`HA cluster: ${name}'s Patroni is still running`);
        // The killed postmaster's backends exit once they notice; a new postmaster refuses
        // to start while they still hold the old one's shared memory.
        for (const pid of node.orphans) signalIf(pid, 'postgres', 'SIGKILL');
        await until(
          `${name}'s old backends gone`,
          stopGraceMs,
          async () => node.orphans.every((pid) => commOf(pid) !== 'postgres') || undefined,
        );
        node.orphans = [];
        startPatroni(node);
      });
    },
    waitWritable: (timeoutMs) =>
      timed('writable through HAProxy', async () => {
        const started = Date.now();
        await until('a write through HAProxy', timeoutMs, () => write());
        return Date.now() - started;
      }),
    waitRejoined: (timeoutMs) =>
      timed('both nodes in sync', async () => {
        const started = Date.now();
        await until('both nodes in sync', timeoutMs, rejoined);
        return Date.now() - started;
      }),
    stop,
  };
}
