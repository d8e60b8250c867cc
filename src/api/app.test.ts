import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uuidv7 } from '../ledger/uuid.ts';
import { parseAmount } from '../money/money.ts';
import { type ApiFixture, apiFixture } from './testing.ts';

describe('HTTP API (the ledger reads)', () => {
  let a: ApiFixture;
  let key: string;
  let transferId: string;
  const get = (path: string) => a.call('GET', path, { key });
  before(async () => {
    a = await apiFixture();
    key = a.keys['op-aud']!;
    const ledger = a.f.ctx.ledger;
    const cash = (
      await ledger.ensureAccount({ code: 'reserves:cash:bank-a', asset: 'USD', flags: 2 })
    ).id;
    const fiat = (
      await ledger.ensureAccount({ code: 'customers:alice:fiat', asset: 'USD', flags: 1 })
    ).id;
    transferId = uuidv7();
    const [outcome] = await ledger.submit([
      {
        type: 'transfer',
        id: transferId,
        asset: 'USD',
        postings: [{ debit: cash, credit: fiat, amount: parseAmount('5000000') }],
        metadata: { ref: 'line-1' },
      },
    ]);
    assert.equal(outcome!.status, 'committed');
  });
  after(() => a.close());

  it('GET /health is public and reports the journal head', async () => {
    const res = await a.call('GET', '/health');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.journal.seq, '3');
    assert.match(res.body.journal.hash, /^[0-9a-f]{64}$/);
  });

  it('the ledger reads need an operator key', async () => {
    for (const path of [
      '/v1/ledger/head',
      '/v1/ledger/accounts',
      `/v1/ledger/transactions/${transferId}`,
    ]) {
      const res = await a.call('GET', path);
      assert.equal(res.status, 401, path);
      assert.equal(res.body.type, '/problems/unauthenticated');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="clearpeg"');
    }
    const wrong = await a.call('GET', '/v1/ledger/head', { key: `${key.slice(0, -2)}xx` });
    assert.equal(wrong.status, 401);
  });

  it('lists accounts with balances as decimal strings, paged by code', async () => {
    const page = (await get('/v1/ledger/accounts?limit=1')).body;
    assert.equal(page.accounts.length, 1);
    assert.equal(page.accounts[0].code, 'customers:alice:fiat');
    assert.equal(page.accounts[0].creditsPosted, '5000000.000000');
    assert.equal(page.accounts[0].flags.debitsMustNotExceedCredits, true);
    assert.equal(page.next, 'customers:alice:fiat');
    const rest = (await get(`/v1/ledger/accounts?limit=10&after=${page.next}`)).body;
    assert.deepEqual(
      rest.accounts.map((account: { code: string }) => account.code),
      ['reserves:cash:bank-a'],
    );
    assert.equal(rest.next, null);
    const one = (await get('/v1/ledger/accounts/reserves:cash:bank-a')).body;
    assert.equal(one.debitsPosted, '5000000.000000');
  });

  it('returns a transaction and the head', async () => {
    const record = (await get(`/v1/ledger/transactions/${transferId}`)).body;
    assert.equal(record.kind, 'transferPosted');
    assert.equal(record.seq, '3');
    assert.equal(record.postings[0].amount, '5000000.000000');
    assert.deepEqual(record.metadata, { ref: 'line-1' });
    const head = (await get('/v1/ledger/head')).body;
    assert.equal(head.hash, record.hash);
  });

  it('answers errors as problem documents with a stable type', async () => {
    const cases: Array<[string, number, string]> = [
      ['/v1/ledger/transactions/nope', 400, '/problems/request-invalid'],
      [`/v1/ledger/transactions/${uuidv7()}`, 404, '/problems/transaction-not-found'],
      ['/v1/ledger/accounts/unknown:code', 404, '/problems/account-not-found'],
      ['/v1/ledger/accounts?limit=5000', 400, '/problems/request-invalid'],
      ['/v1/ledger/accounts?limit=1.5', 400, '/problems/request-invalid'],
      ['/v1/ledger/accounts?color=red', 400, '/problems/request-invalid'],
      ['/v1/nothing', 404, '/problems/route-not-found'],
    ];
    for (const [path, status, type] of cases) {
      const res = await get(path);
      assert.equal(res.status, status, path);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal(res.body.type, type, path);
    }
    const limit = (await get('/v1/ledger/accounts?limit=5000')).body;
    assert.equal(limit.field, 'limit');
    assert.match(limit.rule, /1 to 1000/);
  });
});
