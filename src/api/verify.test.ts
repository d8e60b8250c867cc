/**
 * The checks of a live issuer over HTTP: ledger, audit, chains, parity and verify-all, on a
 * fixture issuer with a deposit, a mint, a payout and a bill lot. Every check passes; then a
 * row edited by hand behind the API (a deposit's amount, a mint's, a payout's, a lot's cost)
 * is named by verify-all, table, row and column; a journal truncated with its head moved back
 * passes `ledger verify` and fails it against the head noted before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uuidv7 } from '../ledger/uuid.ts';
import { type Flows, withFlows } from '../verify/testing.ts';
import { type ApiFixture, apiFixture } from './testing.ts';

describe('the checks of a live issuer over HTTP', () => {
  let a: ApiFixture;
  let flows: Flows;
  const get = (path: string, operator = 'op-aud') =>
    a.call('GET', path, { key: a.keys[operator]! });

  before(async () => {
    a = await apiFixture('pglite', { chains: [] });
    flows = await withFlows(a);
  });
  after(() => a?.close());

  it('every check passes on an untouched issuer, for an auditor', async () => {
    const ledger = await get('/v1/ledger/verify');
    assert.equal(ledger.status, 200, ledger.text);
    assert.equal(ledger.body.ok, true, ledger.text);
    assert.ok(Number(ledger.body.records) >= 8, ledger.text);
    const audit = await get('/v1/audit/verify');
    assert.deepEqual([audit.status, audit.body.ok], [200, true], audit.text);
    const all = await get('/v1/verify');
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.restated.differences, []);
    assert.equal(all.body.ok, true, all.text);
    const parity = await get('/v1/chains/parity');
    assert.deepEqual(parity.body, { ok: true, chains: [] });
    assert.equal((await get('/v1/chains')).status, 200);
  });

  it('refuses a request without an operator key', async () => {
    assert.equal((await a.call('GET', '/v1/verify')).status, 401);
    const bad = await get('/v1/ledger/verify?expectHead=12');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.field, 'expectHead');
  });

  /** Each edit, and the statement that undoes it. */
  const edits = [
    [
      'deposits',
      'amount',
      `UPDATE deposits SET amount = amount * 2 WHERE reference = 'WIRE-1'`,
      `UPDATE deposits SET amount = amount / 2 WHERE reference = 'WIRE-1'`,
    ],
    [
      'mint_requests',
      'amount',
      'UPDATE mint_requests SET amount = amount + 1',
      'UPDATE mint_requests SET amount = amount - 1',
    ],
    [
      'payouts',
      'amount',
      'UPDATE payouts SET amount = amount + 7',
      'UPDATE payouts SET amount = amount - 7',
    ],
    [
      'reserve_positions',
      'cost',
      `UPDATE reserve_positions SET cost = cost - 1 WHERE kind = 'tbill'`,
      `UPDATE reserve_positions SET cost = cost + 1 WHERE kind = 'tbill'`,
    ],
  ] as const;
  for (const [table, column, edit, undo] of edits)
    it(`names a ${table}.${column} edited behind the API, and only it`, async () => {
      const id = {
        deposits: flows.deposit,
        mint_requests: flows.mint,
        payouts: flows.payout,
        reserve_positions: flows.lot,
      }[table];
      await a.f.t.db.exec(edit);
      try {
        const all = await get('/v1/verify');
        // The ledger and the audit log are intact: only the row says something else.
        assert.deepEqual([all.body.ok, all.body.ledger.ok, all.body.audit.ok], [false, true, true]);
        const differences = all.body.restated.differences;
        assert.deepEqual(
          differences.map((d: { table: string; id: string; column: string }) => [
            d.table,
            d.id,
            d.column,
          ]),
          [[table, id, column]],
          JSON.stringify(differences),
        );
        assert.notEqual(differences[0].stored, differences[0].journal);
      } finally {
        await a.f.t.db.exec(undo);
      }
      assert.equal((await get('/v1/verify')).body.ok, true);
    });

  it('a journal truncated with its head moved back passes, but not against the head noted before', async () => {
    // The newest record: an account's creation, which moves no balance.
    await a.f.ctx.ledger.submit([
      { type: 'createAccount', id: uuidv7(), code: 'test:truncated', asset: 'USD', flags: 0 },
    ]);
    const noted = (await get('/v1/ledger/head')).body;
    const expectHead = `${noted.seq}:${noted.hash}`;
    assert.equal((await get(`/v1/ledger/verify?expectHead=${expectHead}`)).body.ok, true);
    const other = (await get(`/v1/ledger/verify?expectHead=${noted.seq}:${'0'.repeat(64)}`)).body;
    assert.deepEqual([other.ok, other.broken.reason], [false, 'head-mismatch']);
    // Deleted, with its account, and the head moved back to the record before.
    await a.f.t.db.exec(`ALTER TABLE ledger_journal DISABLE TRIGGER USER;
      DELETE FROM ledger_journal WHERE seq = ${noted.seq};
      DELETE FROM ledger_accounts WHERE code = 'test:truncated';
      UPDATE ledger_head SET (seq, hash, timestamp_us) =
        (SELECT seq, hash, timestamp_us FROM ledger_journal ORDER BY seq DESC LIMIT 1);
      ALTER TABLE ledger_journal ENABLE TRIGGER USER;`);
    const alone = (await get('/v1/ledger/verify')).body;
    assert.equal(alone.ok, true, 'without a published head, a truncation is not seen');
    assert.equal(alone.head.seq, String(BigInt(noted.seq) - 1n));
    const against = (await get(`/v1/ledger/verify?expectHead=${expectHead}`)).body;
    assert.deepEqual(
      [against.ok, against.broken.seq, against.broken.reason],
      [false, noted.seq, 'missing'],
    );
  });
});
