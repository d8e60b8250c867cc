/**
 * What a careful issuer refuses (issue 14), over HTTP: each refusal answers its status, code
 * and field, and changes nothing (`snapshot`: every table a workflow writes, and ok audit
 * entries).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { zeroAddress } from 'viem';
import { createCustomer, setKyc } from '../issuance/customers.ts';
import { type ApiFixture, apiFixture, testChainId, testToken } from './testing.ts';

describe('refusals of a careful issuer, over HTTP', () => {
  let a: ApiFixture;
  before(async () => {
    a = await apiFixture('pglite');
    await createCustomer(a.f.ctx, a.f.operator('compliance'), { id: 'CUST-0001', name: 'Acme' });
    await setKyc(a.f.ctx, a.f.operator('compliance'), 'CUST-0001', 'approved');
  });
  after(() => a?.close());

  const refused = async (
    path: string,
    send: { json?: unknown; raw?: string },
    expected: { status: number; code: string; field: string },
  ) => {
    const before = await a.snapshot();
    const res = await a.call('POST', path, {
      key: a.keys['op-all'],
      ...send,
      ...(send.raw === undefined ? {} : { contentType: 'application/json' }),
    });
    assert.equal(res.status, expected.status, res.text);
    assert.equal(res.body.type, `/problems/${expected.code}`);
    assert.equal(res.body.field, expected.field);
    assert.equal(await a.snapshot(), before, `${expected.code}: nothing changed`);
  };

  it('refuses a key named twice at the top of a body, naming it', async () => {
    await refused(
      '/v1/customers',
      { raw: '{"id":"CUST-0002","name":"Acme","name":"Acme GmbH"}' },
      { status: 400, code: 'json-duplicate-key', field: 'name' },
    );
    await refused(
      '/v1/payouts',
      {
        raw: '{"customerId":"CUST-0001","amount":"1","bank":"bank-a","beneficiary":"A","amount":"9"}',
      },
      { status: 400, code: 'json-duplicate-key', field: 'amount' },
    );
  });

  it('refuses a duplicate in an object inside a nested body', () =>
    refused(
      '/v1/changes',
      { raw: '{"action":"breaker.clear","body":{"name":"mint","name":"mint:1"}}' },
      { status: 400, code: 'json-duplicate-key', field: 'body.name' },
    ));

  const wallet = (address: string, chainId = testChainId) =>
    refused.bind(null, '/v1/customers/CUST-0001/wallets', { json: { chainId, address } });

  it('refuses the zero address and a mistyped checksum (400 wallet-address-invalid)', async () => {
    await wallet(zeroAddress)({ status: 400, code: 'wallet-address-invalid', field: 'address' });
    await wallet('0x70997970C51812dc3A010C7d01b50e0d17dc79c8')({
      status: 400,
      code: 'wallet-address-invalid',
      field: 'address',
    });
  });

  it('refuses the token contract (422 wallet-address-reserved) and a chain without a token', async () => {
    await wallet(testToken)({ status: 422, code: 'wallet-address-reserved', field: 'address' });
    await wallet(
      '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      4242,
    )({
      status: 422,
      code: 'chain-unknown',
      field: 'chainId',
    });
  });

  it('refuses names and references with line breaks, escapes or bidirectional controls', async () => {
    await refused(
      '/v1/customers',
      { json: { id: 'CUST-0003', name: 'Acme\u202eCLL' } },
      { status: 400, code: 'customer-name-invalid', field: 'name' },
    );
    await refused(
      '/v1/deposits',
      {
        json: {
          reference: 'WIRE-1\r\nWIRE-2',
          bank: 'bank-a',
          amount: '10',
          customerId: 'CUST-0001',
          bookingDate: '2026-11-20',
        },
      },
      { status: 400, code: 'deposit-invalid', field: 'reference' },
    );
    await refused(
      '/v1/deposits',
      {
        json: {
          reference: 'WIRE-3',
          bank: 'bank-a',
          amount: '10',
          remittance: 'CUST-0001 \u001b[2J',
          bookingDate: '2026-11-20',
        },
      },
      { status: 400, code: 'deposit-invalid', field: 'remittance' },
    );
  });

  it('refuses a cursor or an account code with a control character (a NUL once made a 500)', async () => {
    for (const [path, field] of [
      ['/v1/ledger/accounts?after=a%00b', 'after'],
      ['/v1/deposits?after=a%00b', 'after'],
      ['/v1/ledger/accounts/a%00b', 'ref'],
    ] as const) {
      const res = await a.call('GET', path, { key: a.keys['op-all'] });
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.equal(res.body.type, '/problems/request-invalid');
      assert.equal(res.body.field, field);
    }
  });
});
