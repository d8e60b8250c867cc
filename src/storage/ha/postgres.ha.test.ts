/**
 * The storage adapter, the ledger and the API's idempotency on the Patroni cluster:
 *
 * - production mode's check passes (synchronous replication is on);
 * - a transaction checked out when a switchover ends its session fails `connection-failed`
 *   (nothing applied), and the pool serves again on the new primary;
 * - all under a load of ledger transfers (each retried with the same command on error) and of
 *   deposits through the API (each retried under the same Idempotency-Key): every transfer is
 *   journaled once, every deposit recorded once, the ledger verifies, and no retry waits for a
 *   placeholder to go stale. (SIGKILLed primaries under the API's load: issuer.ha.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toJson } from '../../json.ts';
import { Ledger } from '../../ledger/ledger.ts';
import type { Command, Uuid } from '../../ledger/types.ts';
import { uuidv7 } from '../../ledger/uuid.ts';
import { verifyLedger } from '../../ledger/verify.ts';
import { parseAmount } from '../../money/money.ts';
import { SqlLedgerStore } from '../ledger-store.ts';
import { migrate } from '../migrate.ts';
import { openPostgres } from '../postgres/postgres.ts';
import { requireSynchronousReplication } from '../postgres/production.ts';
import { SqlConnectionError, type SqlDatabase, SqlError } from '../sql.ts';
import { haUnavailable, startCluster } from './cluster.ts';

const skip = haUnavailable();
if (skip) console.log(`# ${skip}`);

const failoverMsMax = 15_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts errors by code (`connection-failed`, `connection-lost`, a SQLSTATE, or the message). */
function tally(counts: Map<string, number>, error: unknown): void {
  const code = error instanceof SqlError ? (error.code ?? 'sql') : (error as Error).message;
  counts.set(code, (counts.get(code) ?? 0) + 1);
}

/** Ledger transfers in a loop, each retried with the same command until it has an outcome. */
function transferLoad(ledger: Ledger, from: Uuid, to: Uuid) {
  const acknowledged: Command[] = [];
  const errors = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const command: Command = {
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: from, credit: to, amount: parseAmount('1') }],
      };
      for (;;) {
        try {
          const [outcome] = await ledger.submit([command]);
          assert.equal(outcome!.status, 'committed', toJson(outcome));
          acknowledged.push(command);
          break;
        } catch (error) {
          tally(errors, error);
          await sleep(50);
        }
      }
    }
  })();
  return {
    acknowledged,
    errors,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

test('the adapter, the ledger and idempotency across a switchover', {
  skip,
  timeout: 150_000,
}, async () => {
  const cluster = await startCluster({ log: console.log });
  // The API fixture opens its database on CLEARPEG_TEST_DATABASE_URL: the cluster, through HAProxy.
  process.env.CLEARPEG_TEST_DATABASE_URL = cluster.url;
  const { apiFixture } = await import('../../api/testing.ts');
  let db: SqlDatabase | undefined;
  let a: Awaited<ReturnType<typeof apiFixture>> | undefined;
  try {
    db = await openPostgres({ url: cluster.url, max: 6 });
    await migrate(db);

    // Production mode accepts the cluster.
    const settings = await requireSynchronousReplication(db);
    console.log(`ha: production check passed: ${toJson(settings)}`);
    assert.notEqual(settings.synchronousStandbyNames, '');

    await db.exec('CREATE TABLE ha_tx (key text PRIMARY KEY)');
    // Load: ledger transfers and API deposits, across the switchover.
    const ledger = new Ledger(new SqlLedgerStore(db));
    const [cash, fiat] = [uuidv7(), uuidv7()];
    for (const outcome of await ledger.submit([
      { type: 'createAccount', id: cash, code: 'ha:cash', asset: 'USD', flags: 0 },
      { type: 'createAccount', id: fiat, code: 'ha:fiat', asset: 'USD', flags: 0 },
    ]))
      assert.equal(outcome.status, 'committed');
    const transfers = transferLoad(ledger, cash, fiat);

    a = await apiFixture('postgres');
    const cora = { key: a.keys['op-cora']! };
    await a.call('POST', '/v1/customers', { ...cora, json: { id: 'CUST-HA', name: 'HA' } });
    await a.call('POST', '/v1/customers/CUST-HA/kyc', { ...cora, json: { kyc: 'approved' } });
    const deposits = {
      acknowledged: [] as string[],
      stuckMsMax: 0,
      statuses: new Map<number, number>(),
    };
    let depositing = true;
    const depositLoop = (async () => {
      for (let i = 0; depositing; i++) {
        const line = {
          reference: `HA-${i}`,
          bank: 'bank-a',
          amount: '10.00',
          customerId: 'CUST-HA',
          bookingDate: '2026-12-01',
        };
        let firstFailure: number | undefined;
        for (;;) {
          const res = await a!
            .call('POST', '/v1/deposits', {
              key: a!.keys['op-tess']!,
              json: line,
              idempotencyKey: `ha-deposit-${i}`,
            })
            .catch(() => ({ status: 599 }));
          deposits.statuses.set(res.status, (deposits.statuses.get(res.status) ?? 0) + 1);
          if (res.status === 201 || res.status === 200) break;
          assert.ok(res.status >= 500 || res.status === 409, `deposit ${i}: ${res.status}`);
          firstFailure ??= performance.now();
          await sleep(50);
        }
        if (firstFailure !== undefined)
          deposits.stuckMsMax = Math.max(deposits.stuckMsMax, performance.now() - firstFailure);
        deposits.acknowledged.push(line.reference);
      }
    })();

    await sleep(1500);
    // Under the load, a transaction open when the switchover ends its session.
    let switched: Promise<string> | undefined;
    const started = performance.now();
    const open = db.transaction(async (tx) => {
      await tx.query(`INSERT INTO ha_tx VALUES ('in-flight')`);
      switched = cluster.switchover();
      await switched;
      await tx.query(`INSERT INTO ha_tx VALUES ('after')`);
    });
    await assert.rejects(open, (error: unknown) => {
      assert.ok(error instanceof SqlConnectionError, String(error));
      assert.equal(error.code, 'connection-failed');
      return true;
    });
    await switched;
    const writableMs = await cluster.waitWritable(failoverMsMax);
    console.log(
      `ha: switchover ended the open transaction (connection-failed); writable again ${Math.round(performance.now() - started)} ms after it began (${writableMs} ms after the switch)`,
    );
    const { rows } = await db.query('SELECT key FROM ha_tx');
    assert.deepEqual(rows, [], 'nothing of it was applied');

    await sleep(2000); // the load goes on on the new primary
    depositing = false;
    await depositLoop;
    await transfers.stop();

    // Every acknowledged transfer once, and nothing else moved.
    const journal = await db.query<{ id: string; n: number }>(
      `SELECT id::text, count(*)::int AS n FROM ledger_journal WHERE kind <> 1 AND id = ANY($1::uuid[]) GROUP BY id`,
      [transfers.acknowledged.map((c) => c.id)],
    );
    assert.equal(
      journal.rows.length,
      transfers.acknowledged.length,
      'every acknowledged transfer journaled',
    );
    assert.ok(
      journal.rows.every((row) => row.n === 1),
      'each once',
    );
    const credited = await ledger.balance('ha:fiat', 'credit');
    assert.equal(credited.posted, BigInt(transfers.acknowledged.length) * parseAmount('1'));
    const report = await verifyLedger(new SqlLedgerStore(db));
    assert.ok(report.ok, toJson(report));

    // Every acknowledged deposit once, and the customer credited once for each.
    const recorded = await a.f.t.db.query<{ reference: string; n: number }>(
      `SELECT reference, count(*)::int AS n FROM deposits WHERE reference LIKE 'HA-%' GROUP BY reference`,
    );
    assert.deepEqual(
      recorded.rows.map((row) => row.reference).sort(),
      [...deposits.acknowledged].sort(),
      'the deposits recorded are those acknowledged',
    );
    const customer = await a.call('GET', '/v1/customers/CUST-HA', { key: a.keys['op-aud']! });
    assert.equal(
      customer.body.fiatBalance,
      `${deposits.acknowledged.length * 10}.000000`,
      'credited once per deposit',
    );
    const apiReport = await verifyLedger(a.f.ctx.ledger.store);
    assert.ok(apiReport.ok, toJson(apiReport));

    console.log(
      `ha: ${transfers.acknowledged.length} transfers acknowledged, errors seen by the ledger's callers: ${toJson(Object.fromEntries(transfers.errors))}`,
    );
    console.log(
      `ha: ${deposits.acknowledged.length} deposits acknowledged, answers: ${toJson(Object.fromEntries(deposits.statuses))}; the longest a deposit waited from its first failure: ${Math.round(deposits.stuckMsMax)} ms`,
    );
    console.log(
      `bench ha.idempotent_retry.wait.seconds ${(deposits.stuckMsMax / 1000).toFixed(2)} s`,
    );
    assert.ok(
      deposits.stuckMsMax < failoverMsMax + 5_000,
      `no retry waits for a placeholder to go stale (${Math.round(deposits.stuckMsMax)} ms)`,
    );
  } finally {
    await a?.close().catch(() => {});
    await db?.close().catch(() => {});
    await cluster.stop();
  }
});
