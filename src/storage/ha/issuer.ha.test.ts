/**
 * Issue 17's scenario: two `clearpeg serve` processes (nodes a and b) on the Patroni cluster
 * through HAProxy, the token on `hardhat node`, and a steady load through the API of deposits,
 * mints with their approvals (each request under its own Idempotency-Key, retried under it on
 * a 5xx, a 409 in progress or a broken connection, on the other process when one is gone), and
 * redemptions (the customer's token transfers to their redemption address, on chain). Then:
 * the database primary SIGKILLed mid-load; once the old primary has rejoined, the serve process
 * holding the workers SIGKILLed; then the new primary. Then the checks: every acknowledged
 * request once, every mint on chain once, every redemption burned once, `clearpeg verify-all`
 * (ledger, audit log, parity, business tables against the ledger), and the log's checkpoints
 * one per size and cosigned by both witnesses.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  parseAbiItem,
  zeroAddress,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearpegTokenAbi } from '../../chain/artifacts.ts';
import { clearpegBin } from '../../cli/testing.ts';
import {
  createScratchDatabase,
  type IssuerCluster,
  type ServeProcess,
  startIssuerCluster,
} from '../../cluster/testing.ts';
import { redemptionAddressOf } from '../../issuance/customers.ts';
import { parseAmount } from '../../money/money.ts';
import { signApproval } from '../../policy/approvals.ts';
import { inheritedV8Flags } from '../../testing.ts';
import { openPostgres } from '../postgres/postgres.ts';
import type { SqlDatabase, SqlResult } from '../sql.ts';
import { haUnavailable, startCluster } from './cluster.ts';

const skip = haUnavailable();
if (skip) console.log(`# ${skip}`);

const failoverMsMax = 15_000;
const rejoinMsMax = 60_000;
/**
 * How long one request may keep failing before the test gives up on it: a request in flight on
 * the serve process that is SIGKILLed leaves its Idempotency-Key's placeholder, which nobody
 * frees, and a retry is refused as in progress until it is stale (60 s after its reservation,
 * src/api/idempotency.ts), then takes it over.
 */
const requestMsMax = 85_000;
/** How long the mints and redemptions may take to settle after the load. */
const settleMsMax = 60_000;
const chainId = 31337;
const customerId = 'CUST-HA';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  readonly status: number;
  readonly body: { id?: string; type?: string; [key: string]: unknown };
  readonly text: string;
}

/** Failed attempts and the spans they fell in, across every loop of the load. */
class Outages {
  readonly spans: { fromMs: number; toMs: number; failures: number; endedBy: string }[] = [];
  #since: number | undefined;
  #failures = 0;
  failed(): void {
    this.#since ??= performance.now();
    this.#failures++;
  }
  succeeded(startedMs: number, endedBy: string): void {
    // Only a request sent after the outage began ends it.
    if (this.#since === undefined || startedMs < this.#since) return;
    this.spans.push({
      fromMs: this.#since,
      toMs: performance.now(),
      failures: this.#failures,
      endedBy,
    });
    this.#since = undefined;
    this.#failures = 0;
  }
  after(ms: number) {
    return this.spans.find((span) => span.fromMs >= ms);
  }
}

/** The API of the live serve processes, each POST retried under its key until it is answered. */
function apiClient(processes: () => readonly ServeProcess[], outages: Outages) {
  let turn = 0;
  let waitedMsMax = 0;
  const once = async (
    target: ServeProcess,
    method: 'GET' | 'POST',
    path: string,
    key: string,
    json?: unknown,
    idempotencyKey?: string,
  ): Promise<Answer> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const res = await fetch(`${target.url}${path}`, {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let body: Answer['body'] = {};
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body, text };
  };
  /** Sends until an answer that is not a failure of the moment; returns it and how many failed. */
  const send = async (
    method: 'GET' | 'POST',
    path: string,
    key: string,
    json?: unknown,
    idempotencyKey?: string,
  ): Promise<Answer & { failures: number }> => {
    const started = performance.now();
    for (let failures = 0; ; failures++) {
      const live = processes().filter((p) => !p.exited);
      const target = live[turn++ % live.length]!;
      const attemptMs = performance.now();
      try {
        const answer = await once(target, method, path, key, json, idempotencyKey);
        const transient =
          answer.status >= 500 ||
          answer.status === 429 ||
          answer.body.type === '/problems/idempotency-in-progress';
        if (!transient) {
          outages.succeeded(attemptMs, `${method} ${path} ${answer.status} on ${target.node}`);
          waitedMsMax = Math.max(waitedMsMax, performance.now() - started);
          return { ...answer, failures };
        }
      } catch {
        // The process is gone, or did not answer: the next attempt goes to another.
      }
      outages.failed();
      assert.ok(
        performance.now() - started < requestMsMax,
        `${method} ${path} (${idempotencyKey}) still failing after ${requestMsMax} ms`,
      );
      await sleep(100);
    }
  };
  return { send, waitedMsMax: () => waitedMsMax };
}

test('two issuer processes, two database failovers and a process kill under load: nothing lost, nothing doubled', {
  skip,
  timeout: 240_000,
}, async () => {
  const ha = await startCluster({ log: console.log });
  let database: { url: string; drop(): Promise<void> } | undefined;
  let cluster: IssuerCluster | undefined;
  let db: SqlDatabase | undefined;
  try {
    const setupStarted = performance.now();
    database = await createScratchDatabase(ha.url);
    cluster = await startIssuerCluster({ databaseUrl: database.url });
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    console.log(
      `ha: issuer cluster up (hardhat node, token, two serve processes) in ${Math.round(performance.now() - setupStarted)} ms`,
    );
    const processes = [a, b];
    const apiKey = (id: string) => cluster!.operators.find((o) => o.id === id)!.apiKey;
    const annKey = cluster.approverKeys.get('op-ann')!;
    const outages = new Outages();
    const api = apiClient(() => processes, outages);

    // The customer, onboarded before the faults.
    const holder = privateKeyToAccount(cluster.chain.accounts[2]!.privateKey as Hex);
    const compliance = apiKey('op-compliance');
    for (const [path, json] of [
      ['/v1/customers', { id: customerId, name: 'HA Customer' }],
      [`/v1/customers/${customerId}/kyc`, { kyc: 'approved' }],
      [`/v1/customers/${customerId}/wallets`, { chainId, address: holder.address }],
    ] as const) {
      const res = await api.send('POST', path, compliance, json, `setup-${path}`);
      assert.ok(res.status === 200 || res.status === 201, `${path}: ${res.text}`);
    }
    const redemptionAddress = redemptionAddressOf(cluster.token, customerId);
    const chainUrl = cluster.chain.url;
    const publicClient = createPublicClient({ transport: http(chainUrl) });
    const wallet = createWalletClient({ account: holder, transport: http(chainUrl) });

    // The load.
    let running = true;
    const acked = {
      deposits: [] as string[],
      mints: [] as { key: string; id: string }[],
      approvals: 0,
      redemptions: [] as Hex[],
      failures: 0,
    };
    const depositLoop = (async () => {
      for (let i = 0; running; i++) {
        const reference = `HA-${i}`;
        const res = await api.send(
          'POST',
          '/v1/deposits',
          apiKey('op-treasurer'),
          { reference, bank: 'bank-a', amount: '100.00', customerId, bookingDate: '2026-12-01' },
          `deposit-${i}`,
        );
        assert.ok(res.status === 201 || res.status === 200, `deposit ${reference}: ${res.text}`);
        acked.deposits.push(reference);
        acked.failures += res.failures;
        await sleep(100);
      }
    })();
    const mintLoop = (async () => {
      await sleep(500); // the first deposits first
      for (let i = 0; running; i++) {
        const key = `mint-${i}`;
        const made = await api.send(
          'POST',
          '/v1/mints',
          apiKey('op-treasurer'),
          { customerId, chainId, to: holder.address, amount: '10' },
          key,
        );
        if (made.status === 409) {
          // A breaker: name the alert that tripped it (a false parity mismatch, a reorg), with
          // the parity rows, the chain requests and what the processes said.
          const alerts = await api.send('GET', '/v1/alerts?open=true&limit=10', apiKey('op-audit'));
          await onFreshConnection(database!.url, (probe) =>
            diagnose(
              probe,
              acked.mints.map((m) => m.id),
              processes,
            ),
          );
          assert.fail(`mint ${key}: ${made.text}; alerts: ${alerts.text}`);
        }
        assert.equal(made.status, 201, `mint ${key}: ${made.text}`);
        const id = made.body.id!;
        acked.mints.push({ key, id });
        acked.failures += made.failures;
        const shown = await api.send('GET', `/v1/mints/${id}`, apiKey('op-audit'));
        assert.equal(shown.status, 200, shown.text);
        const approval = signApproval(
          shown.body.intent as Parameters<typeof signApproval>[0],
          annKey.privateKey,
          'op-ann',
        );
        const approved = await api.send(
          'POST',
          `/v1/mints/${id}/approvals`,
          apiKey('op-ann'),
          { approval },
          `approve-${i}`,
        );
        // A re-run of an approval that did commit (its answer lost) finds the mint approved.
        assert.ok(
          approved.status === 200 || approved.body.type === '/problems/mint-not-pending',
          `approve ${id}: ${approved.text}`,
        );
        acked.approvals++;
        acked.failures += approved.failures;
        await sleep(150);
      }
    })();
    const redeemLoop = (async () => {
      while (running) {
        await sleep(1000);
        const balance = (await publicClient.readContract({
          address: cluster!.token,
          abi: clearpegTokenAbi,
          functionName: 'balanceOf',
          args: [holder.address],
        })) as bigint;
        if (balance < parseAmount('5')) continue;
        const hash = await wallet.writeContract({
          address: cluster!.token,
          abi: clearpegTokenAbi,
          functionName: 'transfer',
          args: [redemptionAddress, parseAmount('5')],
          chain: null,
        });
        await publicClient.waitForTransactionReceipt({ hash });
        acked.redemptions.push(hash);
      }
    })();
    const loops = Promise.all([depositLoop, mintLoop, redeemLoop]);
    loops.catch(() => {}); // awaited below

    // The faults.
    const failovers: {
      fromMs: number;
      toMs: number;
      failures: number;
      endedBy: string;
      killMs: number;
    }[] = [];
    const killPrimary = async (label: string) => {
      const at = performance.now();
      const killed = await ha.killPrimary();
      const writable = await ha.waitWritable(failoverMsMax * 2);
      for (let i = 0; i < 200 && outages.after(at) === undefined; i++) await sleep(100);
      const span = outages.after(at);
      assert.ok(span, `${label}: the load saw the failover and came back`);
      failovers.push({ ...span, killMs: at });
      console.log(
        `ha: ${label}: ${killed} killed; through HAProxy writable again after ${writable} ms of waiting; the API's requests failed for ${((span.toMs - span.fromMs) / 1000).toFixed(2)} s (${span.failures} failed attempts; from the kill to the first request acknowledged after the outage ${((span.toMs - at) / 1000).toFixed(2)} s: ${span.endedBy})`,
      );
      return killed;
    };
    await sleep(3000);
    const first = await killPrimary('database failover 1');
    await ha.restartNode(first);
    console.log(`ha: ${first} rejoined after ${await ha.waitRejoined(rejoinMsMax)} ms`);
    await sleep(2000);
    const holderRows = await leaseHolders(database.url);
    const victim = processes.find((p) => holderRows.includes(p.node)) ?? a;
    const processKilledAt = performance.now();
    await victim.kill('SIGKILL');
    console.log(
      `ha: serve process ${victim.node} SIGKILLed (lease holders then: ${holderRows.join(', ')})`,
    );
    await sleep(2000);
    await killPrimary('database failover 2');
    await sleep(3000);
    running = false;
    await loops;
    const survivor = processes.find((p) => !p.exited)!;
    console.log(
      `ha: load stopped: ${acked.deposits.length} deposits, ${acked.mints.length} mints (${acked.approvals} approved), ${acked.redemptions.length} redemptions acknowledged; ${acked.failures} failed attempts retried; serve ${survivor.node} alive ${Math.round((performance.now() - processKilledAt) / 1000)} s after the kill`,
    );

    // Settle: every approved mint final on chain, every redemption burned.
    db = await openPostgres({ url: database.url, max: 2 });
    const mintIds = acked.mints.map((m) => m.id);
    const settleStarted = performance.now();
    for (;;) {
      await fetch(chainUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_mine', params: [] }),
      });
      const { rows } = await db.query<{ open: number; burning: number }>(
        `SELECT (SELECT count(*)::int FROM mint_requests WHERE id = ANY($1::uuid[]) AND status <> 'final') AS open,
                (SELECT count(*)::int FROM redemptions WHERE status <> 'burned') AS burning`,
        [mintIds],
      );
      if (rows[0]!.open === 0 && rows[0]!.burning === 0) break;
      const tripped: SqlResult<{ name: string }> = await db.query('SELECT name FROM breakers');
      if (tripped.rows.length > 0 || performance.now() - settleStarted >= settleMsMax)
        await diagnose(db, mintIds, processes);
      assert.deepEqual(tripped.rows, [], 'no breaker tripped (minting stopped)');
      assert.ok(
        performance.now() - settleStarted < settleMsMax,
        `not settled within ${settleMsMax} ms: ${rows[0]!.open} mints not final, ${rows[0]!.burning} redemptions not burned`,
      );
      await sleep(500);
    }
    console.log(`ha: settled ${Math.round(performance.now() - settleStarted)} ms after the load`);

    // Every acknowledged deposit once; no other.
    const deposits = await db.query<{ reference: string; n: number }>(
      `SELECT reference, count(*)::int AS n FROM deposits WHERE reference LIKE 'HA-%' GROUP BY reference`,
    );
    const depositsLost = acked.deposits.filter(
      (r) => !deposits.rows.some((row) => row.reference === r),
    ).length;
    const depositsDoubled = deposits.rows.filter((row) => row.n > 1).length;
    const depositsUnacked = deposits.rows.filter(
      (row) => !acked.deposits.includes(row.reference),
    ).length;

    // Every acknowledged mint once, final, on chain once; requests made by a re-run counted.
    const mints = await db.query<{ id: string; status: string; tx_hash: string | null }>(
      `SELECT id::text, status, tx_hash FROM mint_requests WHERE customer_id = $1`,
      [customerId],
    );
    const mintsLost = mintIds.filter((id) => !mints.rows.some((row) => row.id === id)).length;
    const reruns = mints.rows.filter((row) => !mintIds.includes(row.id));
    const finalHashes = mints.rows
      .filter((row) => row.status === 'final')
      .map((row) => row.tx_hash!);
    const minted = await publicClient.getLogs({
      address: cluster.token,
      event: parseAbiItem(
        'event Transfer(address indexed from, address indexed to, uint256 value)',
      ),
      args: { from: zeroAddress },
      fromBlock: 0n,
    });
    const onChain = new Map<string, number>();
    for (const log of minted)
      onChain.set(log.transactionHash!, (onChain.get(log.transactionHash!) ?? 0) + 1);
    const mintsNotOnChain = finalHashes.filter((hash) => onChain.get(hash) !== 1).length;
    const mintsOnChainTwice = [...onChain.values()].filter((n) => n > 1).length;

    // Every redemption transfer credited and burned once.
    const redemptions = await db.query<{ tx: string; n: number }>(
      `SELECT '0x' || encode(tx_hash, 'hex') AS tx, count(*)::int AS n FROM redemptions WHERE customer_id = $1 GROUP BY tx_hash`,
      [customerId],
    );
    const redemptionsLost = acked.redemptions.filter(
      (hash) => !redemptions.rows.some((row) => row.tx === hash.toLowerCase()),
    ).length;
    const redemptionsDoubled = redemptions.rows.filter((row) => row.n > 1).length;

    // The log: one checkpoint per size, the newest cosigned by both witnesses.
    const checkpoints = await db.query<{ size: string; cosigned: string | null }>(
      'SELECT size::text, cosigned FROM log_checkpoints ORDER BY log_checkpoints.size',
    );

    const lost = depositsLost + mintsLost + redemptionsLost;
    const duplicates = depositsDoubled + mintsNotOnChain + mintsOnChainTwice + redemptionsDoubled;
    const worst = Math.max(...failovers.map((f) => f.toMs - f.fromMs));
    const worstFromKill = Math.max(...failovers.map((f) => f.toMs - f.killMs));
    console.log(`bench ha.issuer.failover.seconds ${(worstFromKill / 1000).toFixed(2)} s`);
    console.log(`bench ha.issuer.first_failure_to_ack.seconds ${(worst / 1000).toFixed(2)} s`);
    console.log(
      `bench ha.issuer.request_wait.max.seconds ${(api.waitedMsMax() / 1000).toFixed(2)} s`,
    );
    console.log(`bench ha.issuer.acknowledged.lost ${lost} requests`);
    console.log(`bench ha.issuer.duplicates ${duplicates} requests`);
    console.log(
      `bench ha.issuer.refused.during_failover ${failovers.reduce((n, f) => n + f.failures, 0)} attempts`,
    );
    console.log(
      `ha: mint requests made by a re-run under an acknowledged key: ${reruns.length} (${reruns.map((r) => r.status).join(', ') || 'none'})`,
    );
    console.log(`ha: log checkpoints ${checkpoints.rows.length}, mints on chain ${minted.length}`);

    const run = (args: string[]) =>
      execFileSync(process.execPath, [...inheritedV8Flags(), clearpegBin, ...args], {
        env: { ...process.env, ...cluster!.env },
        encoding: 'utf8',
      });
    const verified = run(['verify-all', '--local']);
    console.log(
      `ha: ${verified
        .trim()
        .split('\n')
        .filter((line) => /verify-all|ledger|parity|audit/.test(line))
        .join(' | ')}`,
    );

    assert.equal(depositsLost, 0, 'every acknowledged deposit recorded');
    assert.equal(depositsDoubled, 0, 'no deposit twice');
    assert.equal(depositsUnacked, 0, 'no deposit that was not acknowledged');
    assert.equal(mintsLost, 0, 'every acknowledged mint request there');
    assert.deepEqual(reruns, [], 'no mint request made twice under one key');
    assert.equal(mintsNotOnChain, 0, 'every final mint on chain once');
    assert.equal(mintsOnChainTwice, 0, 'no mint transaction twice');
    assert.equal(minted.length, finalHashes.length, 'as many mints on chain as final requests');
    assert.equal(redemptionsLost, 0, 'every redemption credited');
    assert.equal(redemptionsDoubled, 0, 'no redemption twice');
    assert.match(verified, /verify-all: ok/);
    assert.deepEqual(
      checkpoints.rows.map((r) => r.size),
      checkpoints.rows.map((_, i) => String(i + 1)),
      'one checkpoint per size, none skipped or signed twice',
    );
    assert.match(
      checkpoints.rows.at(-1)!.cosigned ?? '',
      /— w1\.cluster[\s\S]*— w2\.cluster/,
      'the newest checkpoint cosigned by both witnesses (they cosign only a consistent one)',
    );
    assert.ok(
      worstFromKill <= failoverMsMax,
      `failover within ${failoverMsMax} ms of the kill (${worstFromKill} ms)`,
    );
  } finally {
    await db?.close().catch(() => {});
    await cluster?.close().catch(() => {});
    await database?.drop().catch(() => {});
    await ha.stop();
  }
});

/**
 * Runs `body` on a connection of its own, opened now and closed after: mid-load, between
 * failovers, where a connection opened before a failover would be gone.
 */
async function onFreshConnection<T>(
  url: string,
  body: (db: SqlDatabase) => Promise<T>,
): Promise<T> {
  const db = await openPostgres({ url, max: 1 });
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}

/** The nodes holding a live lease now. */
function leaseHolders(url: string): Promise<string[]> {
  return onFreshConnection(url, async (db) => {
    const { rows } = await db.query<{ node: string }>(
      `SELECT DISTINCT p.node FROM cluster_leases l JOIN cluster_processes p USING (instance)
       WHERE l.expires_at > clock_timestamp()`,
    );
    return rows.map((r) => r.node);
  });
}

/** What is stuck, printed when the run does not settle: open mints, their chain requests, leases, the survivors' output. */
async function diagnose(
  db: SqlDatabase,
  mintIds: readonly string[],
  processes: readonly ServeProcess[],
): Promise<void> {
  const show = async (title: string, sql: string, params: unknown[] = []) =>
    console.log(`ha: ${title}: ${JSON.stringify((await db.query(sql, params as never)).rows)}`);
  await show(
    'mints not final',
    `SELECT m.id, m.status, m.chain_request_id, m.tx_hash, m.failure, r.status AS chain_status, r.nonce::text
     FROM mint_requests m LEFT JOIN chain_requests r ON r.request_id = m.chain_request_id
     WHERE m.id = ANY($1::uuid[]) AND m.status <> 'final'`,
    [mintIds],
  );
  await show(
    'mints approved whose chain request exists (submitted, not marked)',
    `SELECT m.id, m.status, r.status AS chain_status, r.nonce::text, r.block_number::text
     FROM mint_requests m JOIN chain_requests r ON r.request_id = 'mint:' || m.id::text
     WHERE m.status = 'approved'`,
  );
  await show('breakers', 'SELECT name, reason, tripped_at_us::text FROM breakers');
  await show(
    'parity mismatches',
    `SELECT block_number::text, total_supply::text, ledger_supply::text FROM chain_parity WHERE NOT ok ORDER BY block_number`,
  );
  await show(
    'chain requests not final',
    `SELECT request_id, status, nonce::text, '0x' || encode(tx_hash, 'hex') AS tx FROM chain_requests WHERE status <> 'final' ORDER BY nonce`,
  );
  await show(
    'leases',
    `SELECT l.name, p.node, l.token::text, l.expires_at > clock_timestamp() AS live FROM cluster_leases l JOIN cluster_processes p USING (instance)`,
  );
  for (const p of processes)
    console.log(
      `ha: serve ${p.node} (${p.exited ? 'exited' : 'running'}), last output:\n${p.output().split('\n').slice(-40).join('\n')}`,
    );
}
