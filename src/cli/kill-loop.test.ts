/**
 * Kill loops (issue 17): `clearpeg serve --demo` SIGKILLed at random moments under load,
 * restarted each time, the invariants checked after each restart (src/cli/kill-loop.ts). On
 * the embedded store with its persistent in-process chains, and on PostgreSQL (a fresh
 * database) when the server at :5432 answers.
 *
 * KILL_LOOPS (default 50) kills in all: half on PGlite, half on PostgreSQL, both at once
 * (KILL_LOOPS_PGLITE and KILL_LOOPS_POSTGRES set either).
 * KILL_LOOP_SEED replays a run (each run prints its seed). KILL_LOOP_FULL_CHECK_EVERY
 * (default 5): the settlement, parity and `GET /v1/verify` every this many kills and after
 * the last; the acknowledged requests, the chain and the log after every kill.
 *
 * What a killed request leaves in the idempotency table must not show: its placeholder names
 * its process, which is dead after a kill on this host, so a retry under the same key runs at
 * once (no `409 idempotency-in-progress`), and a run again finds what the first run made (one
 * mint request per key; an approval counted once and answered as such). A deposit run again
 * answers `200 duplicate` (docs/api.md, "A crash in flight"): counted and printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { postgresUnavailable, testDatabaseUrl } from '../storage/testing.ts';
import { type KillLoopReport, runKillLoop } from './kill-loop.ts';

const kills = Number(process.env.KILL_LOOPS ?? 50);
const seed = Number(process.env.KILL_LOOP_SEED ?? Math.floor(Math.random() * 2 ** 31));
const fullCheckEvery = Number(process.env.KILL_LOOP_FULL_CHECK_EVERY ?? 5);
const pgliteKills = Number(process.env.KILL_LOOPS_PGLITE ?? Math.ceil(kills / 2));
const postgresKills = Number(process.env.KILL_LOOPS_POSTGRES ?? kills - pgliteKills);

/** A killed request's retry answered as if it had not been killed. */
function checkIdempotency(report: KillLoopReport): void {
  assert.equal(report.blockedRetries, 0, 'no retry refused as in progress');
  assert.equal(report.unresolved, 0, 'every request answered in the end');
  assert.equal(report.misanswered.approvals, 0, 'no approval re-run refused');
  assert.equal(report.doubledMintRequests, 0, 'no mint request made twice');
}

/** Prints what a run found and how long each phase took. */
function printReport(backend: string, report: KillLoopReport, elapsedMs: number): void {
  const lines = [
    `${backend}: ${report.kills} kills (${report.startupKills} more during start-up) in ${(elapsedMs / 1000).toFixed(1)} s, seed ${seed}`,
    `  acknowledged: ${report.acknowledged.deposits} deposits, ${report.acknowledged.mints} mint requests, ${report.acknowledged.approvals} approvals; ${report.redemptions} redemptions sent on chain`,
    `  retries refused as in progress (409, a killed request's placeholder): ${report.blockedRetries}; unanswered at the end: ${report.unresolved}`,
    `  run again after a kill and answered otherwise: ${report.misanswered.approvals} approvals refused mint-not-pending (they had counted), ${report.misanswered.deposits} deposits answered duplicate; mint requests made twice: ${report.doubledMintRequests}`,
  ];
  for (const [phase, ms] of Object.entries(report.timingsMs)) {
    const sorted = [...ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    lines.push(
      `  ${phase}: median ${median.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (${ms.length}×)`,
    );
  }
  for (const line of lines) console.log(`# ${line}`);
}

// Both backends at once: each loop waits on its own server most of the time (a restart is
// mostly one process's start-up), so the two overlap on two cores.
describe(`clearpeg serve SIGKILLed at random moments under load (seed ${seed})`, {
  concurrency: true,
}, () => {
  const parent = mkdtempSync(join(tmpdir(), 'clearpeg-kill-loop-'));
  // KILL_LOOP_KEEP=1 keeps the data directories and the PostgreSQL database after a run.
  const keep = process.env.KILL_LOOP_KEEP === '1';
  after(() => {
    if (keep) console.log(`# kept: ${parent}`);
    else rmSync(parent, { recursive: true, force: true });
  });
  console.log(`# kill loop seed ${seed} (KILL_LOOP_SEED=${seed} replays it)`);

  it(`on the embedded store: ${pgliteKills} kills, nothing lost or doubled`, async (t) => {
    if (pgliteKills === 0) {
      t.skip('KILL_LOOPS_PGLITE=0');
      return;
    }
    const started = performance.now();
    const report = await runKillLoop({
      dataDir: join(parent, 'pglite'),
      databaseUrl: undefined,
      kills: pgliteKills,
      seed,
      fullCheckEvery,
      log: (line) => console.log(`# pglite: ${line}`),
    });
    printReport('PGlite', report, performance.now() - started);
    checkIdempotency(report);
  });

  it(`on PostgreSQL: ${postgresKills} kills, nothing lost or doubled`, async (t) => {
    const why = await postgresUnavailable();
    if (why !== undefined || postgresKills === 0) {
      t.skip(why ?? 'KILL_LOOPS leaves none for PostgreSQL');
      return;
    }
    const database = `clearpeg_kill_loop_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(testDatabaseUrl);
    url.pathname = `/${database}`;
    const started = performance.now();
    try {
      const report = await runKillLoop({
        dataDir: join(parent, 'postgres'),
        databaseUrl: url.toString(),
        kills: postgresKills,
        seed: seed + 1,
        fullCheckEvery,
        log: (line) => console.log(`# postgres: ${line}`),
      });
      printReport('PostgreSQL', report, performance.now() - started);
      checkIdempotency(report);
    } finally {
      if (keep) console.log(`# kept: ${url}`);
      else await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });
});
