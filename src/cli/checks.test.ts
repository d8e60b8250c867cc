/**
 * The checks through the CLI against a running server: the app served on 127.0.0.1 over a
 * fixture issuer (a deposit, a mint, a payout, a bill lot), and `clearpeg ledger verify`,
 * `audit verify`, `chain parity` and `verify-all` run as an operator runs them (`main`, the
 * environment's URL and API key). All pass; then a deposit's amount edited in the database
 * behind the server is named by `verify-all` (exit 1). The rule of where a check runs: the
 * API when CLEARPEG_URL is set or when a live process holds the data directory, the database
 * with --local.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiFixture, apiFixture, serveTestApp, type TestServer } from '../api/testing.ts';
import { withFlows } from '../verify/testing.ts';
import { checkSite } from './checks.ts';
import { main } from './main.ts';

const dir = mkdtempSync(join(tmpdir(), 'clearpeg-checks-'));
const names = ['CLEARPEG_URL', 'CLEARPEG_API_KEY', 'CLEARPEG_DATA_DIR', 'CLEARPEG_PORT'] as const;
const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));

/** Runs `clearpeg …args` in this process with `env` set (the rest of the four unset). */
async function clearpeg(env: Partial<Record<(typeof names)[number], string>>, ...args: string[]) {
  for (const name of names)
    if (env[name] === undefined) delete process.env[name];
    else process.env[name] = env[name];
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the checks through the CLI against a running server', () => {
  let a: ApiFixture;
  let server: TestServer;
  let env: { CLEARPEG_URL: string; CLEARPEG_API_KEY: string; CLEARPEG_DATA_DIR: string };

  before(async () => {
    a = await apiFixture();
    await withFlows(a);
    server = await serveTestApp(a.f.ctx);
    env = { CLEARPEG_URL: server.url, CLEARPEG_API_KEY: a.keys['op-aud']!, CLEARPEG_DATA_DIR: dir };
  });
  after(async () => {
    await server?.close();
    await a?.close();
    for (const name of names)
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    rmSync(dir, { recursive: true, force: true });
  });

  it('ledger verify, audit verify, chain parity and verify-all pass through the API', async () => {
    const ledger = await clearpeg(env, 'ledger', 'verify');
    assert.equal(ledger.code, 0, ledger.err);
    assert.match(
      ledger.out,
      /^ok: \d+ records, \d+ accounts; head \d+ [0-9a-f]{64} \(the server at http:\/\/127\.0\.0\.1:\d+, as CLEARPEG_URL is set\)$/,
    );
    const audit = await clearpeg(env, 'audit', 'verify', '--json');
    assert.equal(audit.code, 0, audit.err);
    assert.equal(JSON.parse(audit.out).ok, true);
    const parity = await clearpeg(env, 'chain', 'parity');
    assert.equal(parity.code, 0, parity.err);
    assert.match(parity.out, /local-a: not checked yet/);
    const all = await clearpeg(env, 'verify-all');
    assert.equal(all.code, 0, `${all.out}\n${all.err}`);
    assert.match(all.out, /verify-all: ok$/);
    // A head noted now passes; a later sequence number than the journal holds does not.
    const head = (await a.call('GET', '/v1/ledger/head', { key: env.CLEARPEG_API_KEY })).body;
    assert.equal(
      (await clearpeg(env, 'ledger', 'verify', `--expect-head=${head.seq}:${head.hash}`)).code,
      0,
    );
    const ahead = await clearpeg(
      env,
      'ledger',
      'verify',
      `--expect-head=${BigInt(head.seq) + 5n}:${head.hash}`,
    );
    assert.equal(ahead.code, 1);
    assert.match(ahead.out, /^BROKEN at seq \d+: missing: the journal ends at/);
    assert.equal((await clearpeg(env, 'ledger', 'verify', '--expect-head=12')).code, 2);
  });

  it('verify-all names a deposit amount edited behind the server (exit 1)', async () => {
    await a.f.t.db.exec(`UPDATE deposits SET amount = amount * 2 WHERE reference = 'WIRE-1'`);
    try {
      const all = await clearpeg(env, 'verify-all', '--json');
      assert.equal(all.code, 1, all.err);
      const view = JSON.parse(all.out);
      assert.deepEqual(view.restated.differences, [
        {
          table: 'deposits',
          id: 'WIRE-1',
          column: 'amount',
          stored: '2000000.000000',
          journal: '1000000.000000',
        },
      ]);
      assert.deepEqual([view.ledger.ok, view.audit.ok, view.parity.ok], [true, true, true]);
      const human = await clearpeg(env, 'verify-all');
      assert.match(
        human.out,
        /deposits WIRE-1 amount: stored 2000000\.000000, the ledger says 1000000\.000000/,
      );
    } finally {
      await a.f.t.db.exec(`UPDATE deposits SET amount = amount / 2 WHERE reference = 'WIRE-1'`);
    }
  });

  describe('where a check runs', () => {
    let holder: ChildProcess;
    const held = join(dir, 'held');
    before(() => {
      // A live process that is not this one holds the data directory, as a server would.
      holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
      mkdirSync(join(held, 'pgdata'), { recursive: true });
      writeFileSync(join(held, 'pgdata', 'clearpeg.lock'), `${holder.pid} -\n`);
    });
    after(() => {
      holder?.kill();
    });

    it('goes to the server on the configured port when a live process holds the data directory', async () => {
      const config = { dataDir: held, databaseUrl: undefined, port: 1 };
      assert.deepEqual(checkSite(config, undefined, {}), {
        via: 'api',
        why: `process ${holder.pid} holds ${held}`,
      });
      assert.equal(checkSite(config, true, { CLEARPEG_URL: 'http://x' }).via, 'local');
      assert.equal(checkSite({ ...config, dataDir: dir }, undefined, {}).via, 'local');
      assert.equal(
        checkSite({ ...config, dataDir: dir }, undefined, { CLEARPEG_URL: 'http://x' }).via,
        'api',
      );
      const port = new URL(server.url).port;
      const run = await clearpeg(
        { CLEARPEG_DATA_DIR: held, CLEARPEG_PORT: port, CLEARPEG_API_KEY: env.CLEARPEG_API_KEY },
        'audit',
        'verify',
      );
      assert.equal(run.code, 0, run.err);
      // --local opens the store, which the holder keeps: refused, naming it.
      const local = await clearpeg(
        { CLEARPEG_DATA_DIR: held, CLEARPEG_PORT: port },
        'audit',
        'verify',
        '--local',
      );
      assert.equal(local.code, 1);
      assert.match(local.err, new RegExp(`in use by process ${holder.pid}`));
    });
  });
});
