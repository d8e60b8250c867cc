/**
 * Several `clearpeg serve` processes on one database (docs/deployment.md): every process serves
 * the API; each worker (a chain's writer, indexer and parity; the attestation log's writer;
 * accrual; maintenance; the sweeps) runs in one process at a time, under a lease held in the
 * database (migration 0014).
 *
 * A lease is a row: its name, the process instance that holds it, a fencing token and an expiry
 * on the database's clock. Every `renewMs` each process's keeper runs one round: it records that
 * the process is alive, then asks for every lease it runs a worker for, in one statement each,
 * which succeeds when
 *
 *   - the process holds the lease already (a renewal: the token stays),
 *   - the lease has expired (its holder stopped renewing it: token + 1), or
 *   - its holder is a process on this host that is no longer alive (a restart after a crash
 *     takes its own leases at once instead of waiting for them to expire: token + 1).
 *
 * A lease whose holder died is therefore taken over within `ttlMs + renewMs` (12 s by default)
 * by a process on another host, and at the first round by a restart on the same host.
 *
 * Safety does not rest on the clock. A process that was paused (a GC pause, a stopped VM, a
 * network partition) may wake up after its lease passed to another one, still believing it
 * holds it. Every write that must happen in one process only (a nonce taken and a transaction
 * signed, a checkpoint signed) therefore calls `fence.check(tx)` inside the database
 * transaction that writes: it locks the lease row `FOR SHARE` and requires this instance and
 * this token. A takeover updates that row, so the two serialize: either the write commits
 * first and the new holder, starting after it, sees it; or the takeover commits first and the
 * write is refused (`lease-lost`) and rolled back. The worker then stops at the next round.
 * Writes that are idempotent by their own keys (ledger records with fixed ids, indexed events,
 * parity checks, accrual) are not fenced: two processes doing them at once would do them once.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ClearpegError } from '../errors.ts';
import { pidAlive } from '../lock-file.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';

/** How long a lease lasts without renewal: a dead holder's lease is free this long after its last renewal. */
export const leaseTtlMsDefault = 10_000;
/** How often a keeper renews what it holds and asks for what it does not. */
export const leaseRenewMsDefault = 2_000;

/**
 * A worker run under a lease: started when the lease is won, stopped when it is lost or the
 * process stops. Starts and stops run one after the other per duty, beside the keeper's rounds
 * (a slow start never delays the renewal of the other leases).
 */
export interface Duty {
  /** The lease's name: `chain:<chainId>`, `log`, `accrual`, `maintenance`, … */
  readonly name: string;
  /** Starts the worker; it must guard its single-process writes with `fence.check(tx)`. */
  start(fence: Fence): Promise<void>;
  /** Stops the worker and waits for what it was doing. */
  stop(): Promise<void>;
}

/**
 * A duty that runs `task` every `intervalMs` (and once when it starts: `start` returns when that
 * run has ended), never two at once; a failure is told and tried again next time.
 * @example periodicDuty('maintenance', 86_400_000, () => maintain(db), (e) => log(e.message))
 */
export function periodicDuty(
  name: string,
  intervalMs: number,
  task: () => Promise<unknown>,
  failed: (error: Error) => void,
): Duty {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const run = () => {
    if (running !== undefined) return;
    running = task()
      .then(() => {})
      .catch((error: unknown) => failed(error as Error))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    name,
    async start() {
      timer = setInterval(run, intervalMs);
      run();
      await running;
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The guard of one lease's writes: `check(tx)` inside the transaction that writes.
 * @example await db.transaction(async (tx) => { await fence.check(tx); … })
 */
export class Fence {
  #token: bigint | undefined;

  constructor(
    /** The lease's name. */
    readonly lease: string,
    /** The process instance the lease must be held by. */
    readonly instance: string,
    token?: bigint,
  ) {
    this.#token = token;
  }

  /** The fencing token this process holds the lease with (undefined while it does not). */
  get token(): bigint | undefined {
    return this.#token;
  }

  /** Set by the keeper when the lease is won (a token) or lost (undefined). */
  hold(token: bigint | undefined): void {
    this.#token = token;
  }

  /**
   * Refuses (`lease-lost`) unless this instance holds the lease with this token, and keeps the
   * lease from changing hands until `tx` ends (the row is locked `FOR SHARE`).
   */
  async check(tx: SqlExecutor): Promise<void> {
    const token = this.#token;
    if (token === undefined)
      throw new ClearpegError('lease-lost', `this process does not hold the lease ${this.lease}`);
    const { rows } = await tx.query(
      'SELECT token FROM cluster_leases WHERE name = $1 AND instance = $2 AND token = $3 FOR SHARE',
      [this.lease, this.instance, token],
    );
    if (rows.length === 0)
      throw new ClearpegError(
        'lease-lost',
        `the lease ${this.lease} passed to another process: fencing token ${token} is stale`,
      );
  }
}

/** What a keeper records about its process (`clearpeg status` shows it). */
export interface ProcessInfo {
  /** The operator's name for the process (`CLEARPEG_NODE`, else the host name). */
  readonly node: string;
  readonly version: string;
  /** Where its API listens, once it does. */
  readonly apiUrl?: string;
}

export interface LeaseKeeperOptions extends ProcessInfo {
  readonly db: SqlDatabase;
  /** The duties (more may be added with `add` before `start`). */
  readonly duties?: readonly Duty[];
  readonly ttlMs?: number;
  readonly renewMs?: number;
  /** Where lease changes and failures are told. */
  readonly log: (line: string) => void;
  /** This host's name (tests give two keepers two hosts). */
  readonly host?: string;
  /** Whether a process of this host is alive (tests pretend). */
  readonly alive?: (pid: number) => boolean;
  readonly pid?: number;
}

/** Node names: what an operator types, shown by `clearpeg status`. */
const nodePattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/**
 * The node name from `CLEARPEG_NODE`, else the host name.
 * @example nodeName({ CLEARPEG_NODE: 'issuer-a' }) === 'issuer-a'
 */
export function nodeName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.CLEARPEG_NODE || hostname() || 'clearpeg';
  if (!nodePattern.test(name))
    throw new ClearpegError(
      'node-name-invalid',
      `CLEARPEG_NODE: ${JSON.stringify(name)} is not a node name`,
      {
        field: 'CLEARPEG_NODE',
        rule: '1 to 128 letters, digits and . _ : @ -, starting with a letter or digit',
      },
    );
  return name;
}

/** Where a judging process runs, and how it tells whether a pid of its host runs. */
export interface Here {
  readonly host: string;
  readonly pid: number;
  readonly alive: (pid: number) => boolean;
}

/** This process. */
const thisProcess: Here = { host: hostname(), pid: process.pid, alive: pidAlive };

/**
 * Whether a registered process (`cluster_processes`: its host and pid) is known dead from
 * `here`: it ran on this host and its pid is gone, or is this process's own pid (a restart
 * given its predecessor's pid: pid 1 in a container). Another host's is never known dead.
 * The leases and the API's idempotency placeholders (`processGone`) both judge a holder by it.
 * @example deadHere({ host: hostname(), pid: 999_999 }) // true once pid 999999 is gone
 */
export function deadHere(
  registered: { readonly host: string; readonly pid: number },
  here: Here = thisProcess,
): boolean {
  if (registered.host !== here.host) return false;
  const pid = Number(registered.pid);
  return pid === here.pid || !here.alive(pid);
}

/**
 * A process not seen (its keeper's heartbeat, `cluster_processes.seen_at`, on the database's
 * clock) for this long is taken for dead by `processGone`: by then every lease it held could
 * have passed to another process (a lease's ttl and a round).
 */
export const processSilentMs = leaseTtlMsDefault + leaseRenewMsDefault;

/**
 * Whether the process `instance` (`cluster_processes`) is taken for dead: known dead from here
 * (`deadHere`: at once), or silent for `processSilentMs` (a process on another host that died,
 * or one paused or cut off from the database). Unknown (not registered) is not. The API's
 * idempotency placeholders judge the process that made them by it (src/api/idempotency.ts).
 * @example await processGone(db, instance) // true 12 s after a process on another host died
 */
export async function processGone(db: SqlExecutor, instance: string): Promise<boolean> {
  const { rows } = await db.query<{ host: string; pid: number; silent: boolean }>(
    `SELECT host, pid, seen_at < clock_timestamp() - $2::bigint * interval '1 millisecond' AS silent
     FROM cluster_processes WHERE instance = $1`,
    [instance, processSilentMs],
  );
  const row = rows[0];
  return row !== undefined && (row.silent || deadHere(row));
}

/** A duty's state in this process. */
interface Held {
  readonly duty: Duty;
  readonly fence: Fence;
  /** When the lease was last renewed (performance.now()), while held. */
  renewedAt: number | undefined;
  /** The duty's starts and stops, in order. */
  task: Promise<void>;
}

/**
 * Wins, renews and gives up the leases of one process, starting and stopping its duties.
 * @example const keeper = new LeaseKeeper({ db, node: 'a', version, duties, log }); await keeper.start()
 */
export class LeaseKeeper {
  /** This process's instance: random, new at every start. */
  readonly instance = randomBytes(16).toString('hex');
  readonly ttlMs: number;
  readonly renewMs: number;
  private readonly duties: Held[] = [];
  /** The fences by lease name, made before their duty is added when a component needs one early. */
  private readonly fences = new Map<string, Fence>();
  /** This process, as `deadHere` judges others from it. */
  private readonly here: Here;
  private apiUrl: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** The last failure told, so that a database that stays away is told once. */
  private failing: string | undefined;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.ttlMs = options.ttlMs ?? leaseTtlMsDefault;
    this.renewMs = options.renewMs ?? leaseRenewMsDefault;
    if (!(this.renewMs > 0 && this.renewMs * 2 <= this.ttlMs))
      throw new Error('assertion failed: a lease is renewed at least twice within its ttl');
    for (const duty of options.duties ?? []) this.add(duty);
    this.here = {
      host: options.host ?? thisProcess.host,
      pid: options.pid ?? thisProcess.pid,
      alive: options.alive ?? thisProcess.alive,
    };
    this.apiUrl = options.apiUrl;
  }

  /**
   * The fence of lease `name` (the same object the duty is given when it starts), for a
   * component made before the duty, such as a chain's connector.
   */
  fence(name: string): Fence {
    let fence = this.fences.get(name);
    if (fence === undefined) {
      fence = new Fence(name, this.instance);
      this.fences.set(name, fence);
    }
    return fence;
  }

  /** Adds a duty, before `start`. */
  add(duty: Duty): void {
    if (this.duties.some((held) => held.duty.name === duty.name))
      throw new Error(`assertion failed: one duty per lease name (${duty.name})`);
    this.duties.push({
      duty,
      fence: this.fence(duty.name),
      renewedAt: undefined,
      task: Promise.resolve(),
    });
  }

  /** The names of the leases this process holds now. */
  held(): string[] {
    return this.duties.filter((d) => d.fence.token !== undefined).map((d) => d.duty.name);
  }

  /** Records the API's address for `clearpeg status` (known once the server listens). */
  setApiUrl(url: string): void {
    this.apiUrl = url;
  }

  /** Runs the first round now (so a lone process starts its workers at once), then every `renewMs`. */
  async start(): Promise<void> {
    await this.round();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.renewMs);
  }

  /**
   * One round: the heartbeat, then every lease asked for or renewed. Never throws: a database
   * that does not answer is told (once) and a lease not renewed for `ttlMs` is given up here
   * as it is given up there.
   */
  async round(): Promise<void> {
    const { db } = this.options;
    try {
      await db.query(
        `INSERT INTO cluster_processes (instance, node, host, pid, version, api_url, started_at, seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), clock_timestamp())
         ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at, api_url = excluded.api_url`,
        [
          this.instance,
          this.options.node,
          this.here.host,
          this.here.pid,
          this.options.version,
          this.apiUrl ?? null,
        ],
      );
      const dead = await this.deadHolders();
      for (const held of this.duties) {
        if (this.stopped) return;
        const token = await this.acquire(held.duty.name, dead);
        await this.settle(held, token);
      }
      if (this.failing !== undefined) this.options.log('leases: the database answers again');
      this.failing = undefined;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      if (message !== this.failing) this.options.log(`leases: ${message} (retrying)`);
      this.failing = message;
      // Whatever this process holds and could not renew for a ttl may be another's by now.
      const now = performance.now();
      for (const held of this.duties)
        if (held.renewedAt !== undefined && now - held.renewedAt >= this.ttlMs)
          await this.settle(held, undefined);
    }
  }

  /** The instances holding a lease that ran on this host and are no longer alive. */
  private async deadHolders(): Promise<string[]> {
    const { rows } = await this.options.db.query<{ instance: string; host: string; pid: number }>(
      `SELECT l.instance, p.host, p.pid FROM cluster_leases l JOIN cluster_processes p ON p.instance = l.instance
       WHERE l.instance <> $1 AND p.host = $2`,
      [this.instance, this.here.host],
    );
    return rows.filter((row) => deadHere(row, this.here)).map((row) => row.instance);
  }

  /** Asks for (or renews) one lease; returns its token, or undefined when another process holds it. */
  private async acquire(name: string, dead: readonly string[]): Promise<bigint | undefined> {
    const { rows } = await this.options.db.query<{ token: string }>(
      `INSERT INTO cluster_leases AS l (name, instance, token, acquired_at, renewed_at, expires_at)
       SELECT $1, $2, 1, t, t, t + $3::bigint * interval '1 millisecond' FROM (SELECT clock_timestamp() AS t) now
       ON CONFLICT (name) DO UPDATE SET
         instance = excluded.instance,
         token = CASE WHEN l.instance = excluded.instance THEN l.token ELSE l.token + 1 END,
         acquired_at = CASE WHEN l.instance = excluded.instance THEN l.acquired_at ELSE excluded.acquired_at END,
         renewed_at = excluded.renewed_at,
         expires_at = excluded.expires_at
       WHERE l.instance = excluded.instance OR l.expires_at <= excluded.renewed_at
          OR l.instance = ANY(string_to_array($4, ','))
       RETURNING token::text`,
      [name, this.instance, this.ttlMs, dead.join(',')],
    );
    return rows[0] === undefined ? undefined : BigInt(rows[0].token);
  }

  /** Starts or stops a duty as the lease's new state says (queued on the duty's task). */
  private async settle(held: Held, token: bigint | undefined): Promise<void> {
    const { duty, fence } = held;
    const was = fence.token;
    if (token !== undefined) held.renewedAt = performance.now();
    if (token === was) return;
    if (was !== undefined) {
      fence.hold(undefined);
      held.renewedAt = undefined;
      this.options.log(
        token === undefined
          ? `lease ${duty.name}: lost (token ${was}); its worker stops`
          : `lease ${duty.name}: token ${was} became ${token}; its worker restarts`,
      );
      this.queue(held, () => duty.stop(), 'stopping its worker failed');
    }
    if (token === undefined || this.stopped) return;
    fence.hold(token);
    this.options.log(`lease ${duty.name}: held by ${this.options.node} (token ${token})`);
    this.queue(
      held,
      async () => {
        // Lost again before its turn came: nothing to start.
        if (fence.token !== token) return;
        try {
          await duty.start(fence);
        } catch (error) {
          // Given back at once: another process may manage where this one could not.
          fence.hold(undefined);
          held.renewedAt = undefined;
          await this.release(duty.name).catch(() => {});
          throw error;
        }
      },
      'its worker did not start',
    );
  }

  private queue(held: Held, step: () => Promise<void>, failure: string): void {
    held.task = held.task.then(step).catch((error: Error) => {
      this.options.log(`lease ${held.duty.name}: ${failure}: ${error.message}`);
    });
  }

  /** Waits until every start and stop asked for so far has run. */
  async idle(): Promise<void> {
    await Promise.all(this.duties.map((held) => held.task));
  }

  /** Gives a lease back: expired now, so another process takes it at its next round. */
  private async release(name: string): Promise<void> {
    await this.options.db.query(
      'UPDATE cluster_leases SET expires_at = renewed_at WHERE name = $1 AND instance = $2',
      [name, this.instance],
    );
  }

  /** Stops every duty this process runs and gives its leases back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const held of this.duties) {
      if (held.fence.token === undefined) {
        await held.task;
        continue;
      }
      held.fence.hold(undefined);
      held.renewedAt = undefined;
      this.queue(held, () => held.duty.stop(), 'stopping its worker failed');
      await held.task;
      await this.release(held.duty.name).catch((error: Error) => {
        this.options.log(`lease ${held.duty.name}: not given back (${error.message}); it expires`);
      });
    }
    await this.options.db
      .query('DELETE FROM cluster_processes WHERE instance = $1', [this.instance])
      .catch(() => {});
  }
}

/** A process as `clearpeg status` shows it. */
export interface ProcessView {
  readonly node: string;
  readonly instance: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly apiUrl: string | null;
  readonly startedAt: string;
  readonly seenAt: string;
  /** Seen within the last lease ttl. */
  readonly alive: boolean;
}

/** A lease as `clearpeg status` shows it. */
export interface LeaseView {
  readonly name: string;
  readonly node: string | null;
  readonly instance: string;
  readonly token: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** Not renewed in time (or given back): the next process to ask takes it. */
  readonly expired: boolean;
}

/** Who runs what: `clearpeg status` and `GET /v1/status`. */
export interface ClusterStatusView {
  /** The database's clock when this was read. */
  readonly now: string;
  readonly processes: readonly ProcessView[];
  readonly leases: readonly LeaseView[];
}

const iso = (value: unknown): string => new Date(value as string | Date).toISOString();

/**
 * The processes seen in the last day and every lease, on the database's clock.
 * @example const view = await clusterStatus(db); view.leases.map((l) => `${l.name} ${l.node}`)
 */
export async function clusterStatus(
  db: SqlExecutor,
  ttlMs: number = leaseTtlMsDefault,
): Promise<ClusterStatusView> {
  const { rows: clock } = await db.query<{ now: unknown }>('SELECT clock_timestamp() AS now');
  const now = clock[0]!.now;
  const { rows: processes } = await db.query<{
    node: string;
    instance: string;
    host: string;
    pid: number;
    version: string;
    api_url: string | null;
    started_at: unknown;
    seen_at: unknown;
    alive: boolean;
  }>(
    `SELECT node, instance, host, pid, version, api_url, started_at, seen_at,
            seen_at > $1::timestamptz - $2::bigint * interval '1 millisecond' AS alive
     FROM cluster_processes p WHERE seen_at > $1::timestamptz - interval '1 day'
     ORDER BY p.node, p.started_at`,
    [iso(now), ttlMs],
  );
  const { rows: leases } = await db.query<{
    name: string;
    node: string | null;
    instance: string;
    token: string;
    acquired_at: unknown;
    expires_at: unknown;
    expired: boolean;
  }>(
    `SELECT l.name, p.node, l.instance, l.token::text, l.acquired_at, l.expires_at,
            l.expires_at <= $1::timestamptz AS expired
     FROM cluster_leases l LEFT JOIN cluster_processes p ON p.instance = l.instance
     ORDER BY l.name`,
    [iso(now)],
  );
  return {
    now: iso(now),
    processes: processes.map((p) => ({
      node: p.node,
      instance: p.instance,
      host: p.host,
      pid: Number(p.pid),
      version: p.version,
      apiUrl: p.api_url,
      startedAt: iso(p.started_at),
      seenAt: iso(p.seen_at),
      alive: p.alive,
    })),
    leases: leases.map((l) => ({
      name: l.name,
      node: l.node,
      instance: l.instance,
      token: l.token,
      acquiredAt: iso(l.acquired_at),
      expiresAt: iso(l.expires_at),
      expired: l.expired,
    })),
  };
}
