import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uuidv7 } from '../ledger/uuid.ts';
import { parseAmount } from '../money/money.ts';
import { type Harness, harness } from '../storage/ledger.suite.ts';
import { createApp } from './app.ts';

/** A response body as parsed JSON (the tests check its shape field by field). */
// biome-ignore lint/suspicious/noExplicitAny: JSON read by tests
type Body = any;

describe('HTTP API (read-only ledger)', () => {
  let h: Harness;
  let app: ReturnType<typeof createApp>;
  let transferId: string;
  before(async () => {
    h = await harness('pglite');
    app = createApp({ store: h.store, database: 'test', version: '0.0.0' });
    const cash = await h.account('reserves:cash:bank-a', { flags: 2 });
    const fiat = await h.account('customers:alice:fiat', { flags: 1 });
    transferId = uuidv7();
    const [outcome] = await h.ledger.submit([
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
  after(() => h.close());

  it('GET /health reports the journal head', async () => {
    const res = await app.request('/health');
    assert.equal(res.status, 200);
    const body = (await res.json()) as Body;
    assert.equal(body.status, 'ok');
    assert.equal(body.journal.seq, '3');
    assert.match(body.journal.hash, /^[0-9a-f]{64}$/);
  });

  it('lists accounts with balances as decimal strings, paged by code', async () => {
    const page = (await (await app.request('/v1/ledger/accounts?limit=1')).json()) as Body;
    assert.equal(page.accounts.length, 1);
    assert.equal(page.accounts[0].code, 'customers:alice:fiat');
    assert.equal(page.accounts[0].creditsPosted, '5000000.000000');
    assert.equal(page.accounts[0].flags.debitsMustNotExceedCredits, true);
    assert.equal(page.next, 'customers:alice:fiat');
    const next = await app.request(`/v1/ledger/accounts?limit=10&after=${page.next}`);
    const rest = (await next.json()) as Body;
    assert.deepEqual(
      rest.accounts.map((a: { code: string }) => a.code),
      ['reserves:cash:bank-a'],
    );
    assert.equal(rest.next, null);
    const one = (await (
      await app.request('/v1/ledger/accounts/reserves:cash:bank-a')
    ).json()) as Body;
    assert.equal(one.debitsPosted, '5000000.000000');
  });

  it('returns a transaction and the head', async () => {
    const record = (await (
      await app.request(`/v1/ledger/transactions/${transferId}`)
    ).json()) as Body;
    assert.equal(record.kind, 'transferPosted');
    assert.equal(record.seq, '3');
    assert.equal(record.postings[0].amount, '5000000.000000');
    assert.deepEqual(record.metadata, { ref: 'line-1' });
    const head = (await (await app.request('/v1/ledger/head')).json()) as Body;
    assert.equal(head.hash, record.hash);
  });

  it('answers errors as problem documents with a stable type', async () => {
    const cases: Array<[string, number, string]> = [
      ['/v1/ledger/transactions/nope', 400, '/problems/query-invalid'],
      [`/v1/ledger/transactions/${uuidv7()}`, 404, '/problems/not-found'],
      ['/v1/ledger/accounts/unknown:code', 404, '/problems/not-found'],
      ['/v1/ledger/accounts?limit=5000', 400, '/problems/query-invalid'],
      ['/v1/nothing', 404, '/problems/route-not-found'],
    ];
    for (const [path, status, type] of cases) {
      const res = await app.request(path);
      assert.equal(res.status, status, path);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await res.json()) as Body).type, type, path);
    }
  });
});
