/**
 * The issuer API's shared suite, run on PGlite and on PostgreSQL: auth, the customer, deposit
 * and mint flows over HTTP (an approval signed from the intent the API shows), every problem
 * type, idempotency, and the oversight reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { redemptionAddressOf } from '../issuance/customers.ts';
import { issueApiKey } from '../issuance/operators.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { signApproval } from '../policy/approvals.ts';
import type { TestBackend } from '../storage/testing.ts';
import { createApp } from './app.ts';
import { requestHash } from './idempotency.ts';
import { type Answer, type ApiFixture, apiFixture, testChainId, testToken } from './testing.ts';

/** An address on the shipped OFAC list, and two that are not. */
const sanctioned = '0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1';
const holder = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const other = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';

function isProblem(res: Answer, status: number, code: string): void {
  assert.equal(res.status, status, `${code}: ${res.text}`);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.equal(res.body.type, `/problems/${code}`);
  assert.equal(res.body.status, status);
}

/**
 * Defines the suite on `backend` (skipped with the reason `skip`).
 * @example defineApiSuite('postgres', await postgresUnavailable())
 */
export function defineApiSuite(backend: TestBackend, skip?: string): void {
  describe(`issuer API on ${backend}`, { skip }, () => {
    let a: ApiFixture;
    const as = (operator: string) => ({ key: a.keys[operator]! });
    const post = (operator: string, path: string, json: unknown, more = {}) =>
      a.call('POST', path, { ...as(operator), json, ...more });
    const get = (path: string, operator = 'op-aud') => a.call('GET', path, as(operator));

    before(async () => {
      a = await apiFixture(backend);
    });
    after(() => a?.close());

    it('refuses a missing or unknown key (401) and a role the workflow needs (403)', async () => {
      isProblem(await a.call('GET', '/v1/customers'), 401, 'unauthenticated');
      isProblem(
        await a.call('GET', '/v1/customers', { key: 'ck_0000.nope' }),
        401,
        'unauthenticated',
      );
      isProblem(
        await a.call('GET', '/v1/customers', { headers: { authorization: 'Basic abc' } }),
        401,
        'unauthenticated',
      );
      const refused = await post('op-aud', '/v1/customers', { id: 'CUST-0001', name: 'Acme' });
      isProblem(refused, 403, 'forbidden');
      assert.match(refused.body.rule, /compliance/);
      isProblem(
        await post('op-tess', '/v1/customers/CUST-0001/kyc', { kyc: 'approved' }),
        403,
        'forbidden',
      );
    });

    it('onboards a customer: create, KYC, wallet, and reads them back', async () => {
      const created = await post('op-cora', '/v1/customers', { id: 'CUST-0001', name: 'Acme' });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body, {
        id: 'CUST-0001',
        name: 'Acme',
        kyc: 'pending',
        fiatBalance: '0.000000',
        wallets: [],
      });
      isProblem(
        await post('op-cora', '/v1/customers', { id: 'CUST-0001', name: 'Again' }),
        409,
        'customer-exists',
      );
      const kyc = await post('op-cora', '/v1/customers/CUST-0001/kyc', { kyc: 'approved' });
      assert.equal(kyc.status, 200, kyc.text);
      assert.equal(kyc.body.kyc, 'approved');
      const wallet = await post('op-cora', '/v1/customers/CUST-0001/wallets', {
        chainId: testChainId,
        address: holder.toUpperCase().replace('0X', '0x'),
      });
      assert.equal(wallet.status, 201, wallet.text);
      assert.deepEqual(wallet.body, {
        chainId: testChainId,
        address: holder,
        redemptionAddress: redemptionAddressOf(testToken, 'CUST-0001'),
      });
      const sanctions = await post('op-cora', '/v1/customers/CUST-0001/wallets', {
        chainId: testChainId,
        address: sanctioned,
      });
      isProblem(sanctions, 422, 'sanctions-hit');
      assert.equal(sanctions.body.field, 'address');
      const read = await get('/v1/customers/CUST-0001');
      assert.equal(read.status, 200);
      assert.deepEqual(read.body.wallets, [{ chainId: testChainId, address: holder }]);
      isProblem(await get('/v1/customers/CUST-9999'), 404, 'customer-not-found');
      isProblem(await get('/v1/customers/lower-case'), 400, 'request-invalid');
      await post('op-cora', '/v1/customers', { id: 'CUST-0002', name: 'Bravo' });
      const page = (await get('/v1/customers?limit=1')).body;
      assert.deepEqual(
        [page.customers.map((c: { id: string }) => c.id), page.next],
        [['CUST-0001'], 'CUST-0001'],
      );
      const rest = (await get(`/v1/customers?limit=1&after=${page.next}`)).body;
      assert.equal(rest.customers[0].id, 'CUST-0002');
    });

    it("a customer's key reads nothing of the operators', and acts only for its customer", async () => {
      const key = await a.f.t.db.transaction((tx) =>
        issueApiKey(tx, { customerId: 'CUST-0002' }, BigInt(Date.now()) * 1000n),
      );
      isProblem(await a.call('GET', '/v1/customers', { key }), 403, 'forbidden');
      const own = await a.call('POST', '/v1/customers/CUST-0002/wallets', {
        key,
        json: { chainId: testChainId, address: other },
      });
      assert.equal(own.status, 201, own.text);
      isProblem(
        await a.call('POST', '/v1/customers/CUST-0001/wallets', {
          key,
          json: { chainId: testChainId, address: other },
        }),
        403,
        'forbidden',
      );
    });

    it('records deposits once per reference and imports a camt.053 statement', async () => {
      const line = {
        reference: 'WIRE-1',
        bank: 'bank-a',
        amount: '5000000.00',
        customerId: 'CUST-0001',
        bookingDate: '2026-11-20',
      };
      const first = await post('op-tess', '/v1/deposits', line);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.amount, '5000000.000000');
      assert.equal(first.body.status, 'created');
      const again = await post('op-tess', '/v1/deposits', line);
      assert.equal(again.status, 200);
      assert.equal(again.body.status, 'duplicate');
      isProblem(
        await post('op-tess', '/v1/deposits', { ...line, amount: '1.00' }),
        409,
        'deposit-conflict',
      );
      const customer = (await get('/v1/customers/CUST-0001')).body;
      assert.equal(customer.fiatBalance, '5000000.000000');

      const xml = readFileSync(
        new URL('../issuance/fixtures/camt053-v02-sample.xml', import.meta.url),
      );
      const report = await a.call('POST', '/v1/deposits/statements?bank=bank-b', {
        ...as('op-tess'),
        raw: xml,
        contentType: 'application/xml',
      });
      assert.equal(report.status, 200, report.text);
      assert.ok(report.body.created >= 1);
      assert.equal(report.body.created, report.body.deposits.length);
      isProblem(
        await a.call('POST', '/v1/deposits/statements?bank=bank-b', {
          ...as('op-tess'),
          raw: '<Document/>',
          contentType: 'application/xml',
        }),
        400,
        'statement-invalid',
      );
      isProblem(
        await a.call('POST', '/v1/deposits/statements?bank=bank-b', {
          ...as('op-tess'),
          raw: xml,
          contentType: 'application/json',
        }),
        415,
        'content-type-unsupported',
      );
      const mine = (await get('/v1/deposits?customerId=CUST-0001')).body;
      assert.deepEqual(
        mine.deposits.map((d: { reference: string }) => d.reference),
        ['WIRE-1'],
      );
      const open = (await get('/v1/alerts?open=true')).body.alerts;
      const unmatched = open.filter(
        (alert: { kind: string }) => alert.kind === 'deposit-unmatched',
      );
      assert.equal(unmatched.length, report.body.unmatched, JSON.stringify(open));
    });

    let mintId: string;
    it('requests a mint, shows its intent, and approves it with a signature over that intent', async () => {
      const created = await post('op-tess', '/v1/mints', {
        customerId: 'CUST-0001',
        chainId: testChainId,
        to: holder,
        amount: '1000.50',
      });
      assert.equal(created.status, 201, created.text);
      mintId = created.body.id;
      assert.equal(created.body.amount, '1000.500000');
      assert.equal(created.body.status, 'pending-approval');
      assert.equal(created.body.intent.amount, '1000.500000');
      assert.match(created.body.intentText, /^mint 1,000\.500000 USD to 0x70997970/);
      const detail = (await get(`/v1/mints/${mintId}`)).body;
      assert.deepEqual(detail.approvals, []);
      // The approver signs what the API shows, with their own key.
      const approval = signApproval(detail.intent, a.approverKeys['op-ann']!.privateKey, 'op-ann');
      isProblem(
        await post('op-bob', `/v1/mints/${mintId}/approvals`, { approval }),
        403,
        'approval-not-yours',
      );
      const approved = await post('op-ann', `/v1/mints/${mintId}/approvals`, { approval });
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.body.status, 'approved');
      assert.deepEqual(
        approved.body.approvals.map((x: { approverId: string }) => x.approverId),
        ['op-ann'],
      );
      // The same approval again (its answer lost, say): the request as it is, counted once.
      const again = await post('op-ann', `/v1/mints/${mintId}/approvals`, { approval });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(
        again.body.approvals.map((x: { approverId: string }) => x.approverId),
        ['op-ann'],
      );
      const listed = (await get('/v1/mints?status=approved')).body;
      assert.deepEqual(
        listed.mints.map((m: { id: string }) => m.id),
        [mintId],
      );
      isProblem(await get(`/v1/mints/${uuidv7()}`), 404, 'mint-not-found');
      isProblem(await get('/v1/mints?status=lost'), 400, 'request-invalid');
    });

    it('a refused mint names every rule it broke, and changes nothing', async () => {
      const before = await a.snapshot();
      const refused = await post('op-tess', '/v1/mints', {
        customerId: 'CUST-0001',
        chainId: testChainId,
        to: holder,
        amount: '300000000000000',
      });
      isProblem(refused, 422, 'mint-refused');
      const codes = refused.body.violations.map((v: { code: string }) => v.code);
      for (const code of ['fiat-not-posted', 'over-transaction-cap', 'over-hourly-velocity'])
        assert.ok(codes.includes(code), `${code} in ${codes}`);
      assert.ok(refused.body.violations.every((v: { message: string }) => v.message.length > 0));
      assert.equal(await a.snapshot(), before);
      const wrongWallet = await post('op-tess', '/v1/mints', {
        customerId: 'CUST-0001',
        chainId: testChainId,
        to: other,
        amount: '1',
      });
      isProblem(wrongWallet, 422, 'wallet-not-registered');
      isProblem(
        await post('op-tess', '/v1/mints', {
          customerId: 'CUST-0404',
          chainId: testChainId,
          to: holder,
          amount: '1',
        }),
        404,
        'customer-not-found',
      );
      await a.f.t.db.query(
        `INSERT INTO breakers (name, reason, tripped_at_us) VALUES ('mint', '{"why":"test"}', 1)`,
      );
      const stopped = await post('op-tess', '/v1/mints', {
        customerId: 'CUST-0001',
        chainId: testChainId,
        to: holder,
        amount: '1',
      });
      isProblem(stopped, 409, 'breaker-tripped');
      const breakers = (await get('/v1/breakers')).body;
      assert.deepEqual(
        breakers.breakers.map((b: { name: string; reason: unknown }) => [b.name, b.reason]),
        [['mint', { why: 'test' }]],
      );
      await a.f.t.db.query(`DELETE FROM breakers WHERE name = 'mint'`);
      assert.equal(await a.snapshot(), before);
    });

    it('refuses malformed input with a 4xx naming the field and the rule', async () => {
      const base = { customerId: 'CUST-0001', chainId: testChainId, to: holder, amount: '1' };
      const number = await post('op-tess', '/v1/mints', { ...base, amount: 1 });
      isProblem(number, 400, 'request-invalid');
      assert.equal(number.body.field, 'amount');
      assert.match(number.body.rule, /string/);
      for (const amount of ['-1', '1.0000001', '1e6', '01', ' 1', '']) {
        const res = await post('op-tess', '/v1/mints', { ...base, amount });
        isProblem(res, 400, 'request-invalid');
        assert.equal(res.body.field, 'amount', amount);
      }
      const tooBig = await post('op-tess', '/v1/mints', { ...base, amount: `${'9'.repeat(40)}` });
      isProblem(tooBig, 400, 'amount-invalid');
      const unknown = await post('op-tess', '/v1/mints', { ...base, memo: 'x' });
      isProblem(unknown, 400, 'request-invalid');
      assert.equal(unknown.body.field, 'memo');
      const nested = await post('op-ann', `/v1/mints/${mintId}/approvals`, {
        approval: { approverId: 'op-ann', publicKey: 'zz', intentHash: '', signature: 1 },
      });
      isProblem(nested, 400, 'request-invalid');
      assert.deepEqual(
        nested.body.errors.map((e: { field: string }) => e.field),
        ['approval.publicKey', 'approval.intentHash', 'approval.signature'],
      );
      const text = (raw: string, contentType = 'application/json') =>
        a.call('POST', '/v1/mints', { ...as('op-tess'), raw, contentType });
      isProblem(await text('{"amount": '), 400, 'json-invalid');
      isProblem(await text(''), 400, 'json-invalid');
      isProblem(await text('[]'), 400, 'request-invalid');
      isProblem(await text('{}', 'text/plain'), 415, 'content-type-unsupported');
      isProblem(await text(`{"x":"${'a'.repeat(70_000)}"}`), 413, 'body-too-large');
      isProblem(
        await a.call('POST', '/v1/mints', {
          ...as('op-tess'),
          raw: new Uint8Array([0x7b, 0xff, 0x7d]),
          contentType: 'application/json',
        }),
        400,
        'json-invalid',
      );
      isProblem(
        await post('op-tess', '/v1/mints', base, { idempotencyKey: null }),
        400,
        'idempotency-key-required',
      );
      isProblem(
        await post('op-tess', '/v1/mints', base, { idempotencyKey: 'has space' }),
        400,
        'idempotency-key-invalid',
      );
    });

    it('idempotency: the same key and body replay the first answer; another body is refused', async () => {
      const body = { customerId: 'CUST-0001', chainId: testChainId, to: holder, amount: '2' };
      const count = async () =>
        (await a.f.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mint_requests'))
          .rows[0]!.n;
      const before = await count();
      const key = `mint-${uuidv7()}`;
      const first = await post('op-tess', '/v1/mints', body, { idempotencyKey: key });
      assert.equal(first.status, 201);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const snapshot = await a.snapshot();
      const second = await post('op-tess', '/v1/mints', body, { idempotencyKey: key });
      assert.equal(second.status, 201);
      assert.equal(second.text, first.text);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(await count(), before + 1);
      assert.equal(await a.snapshot(), snapshot, 'a replay changes nothing');
      isProblem(
        await post('op-tess', '/v1/mints', { ...body, amount: '3' }, { idempotencyKey: key }),
        422,
        'idempotency-key-reused',
      );
      // Keys are per caller: another operator's same key is another request.
      const otherCaller = await post('op-all', '/v1/mints', body, { idempotencyKey: key });
      assert.equal(otherCaller.status, 201, otherCaller.text);
      assert.notEqual(otherCaller.body.id, first.body.id);
    });

    it('idempotency: a refusal is stored too; a request in flight is refused; a stale one runs', async () => {
      const body = { customerId: 'CUST-0777', chainId: testChainId, to: holder, amount: '1' };
      const key = `refused-${uuidv7()}`;
      isProblem(
        await post('op-tess', '/v1/mints', body, { idempotencyKey: key }),
        404,
        'customer-not-found',
      );
      await post('op-cora', '/v1/customers', { id: 'CUST-0777', name: 'Late' });
      const replay = await post('op-tess', '/v1/mints', body, { idempotencyKey: key });
      isProblem(replay, 404, 'customer-not-found');
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');

      // A placeholder as a request in flight leaves it (or a crash, until it is stale).
      const line = {
        reference: `WIRE-${uuidv7()}`,
        bank: 'bank-a',
        amount: '10',
        bookingDate: '2026-11-21',
      };
      const raw = JSON.stringify(line);
      const hash = requestHash('POST', '/v1/deposits', new TextEncoder().encode(raw));
      const nowUs = BigInt(Date.now()) * 1000n;
      const placeholder = (key: string, atUs: bigint) =>
        a.f.t.db.query(
          `INSERT INTO idempotency_keys (caller, key, request_sha256, status, body, created_at_us) VALUES ('op-tess', $1, $2, 0, '', $3)`,
          [key, hash, atUs],
        );
      await placeholder('in-flight', nowUs);
      const before = await a.snapshot();
      const busy = await a.call('POST', '/v1/deposits', {
        ...as('op-tess'),
        raw,
        contentType: 'application/json',
        idempotencyKey: 'in-flight',
      });
      isProblem(busy, 409, 'idempotency-in-progress');
      assert.equal(await a.snapshot(), before);
      await placeholder('crashed', nowUs - 61_000_000n);
      const retried = await a.call('POST', '/v1/deposits', {
        ...as('op-tess'),
        raw,
        contentType: 'application/json',
        idempotencyKey: 'crashed',
      });
      assert.equal(retried.status, 201, retried.text);
    });

    it('idempotency: a request run again after its answer was lost makes nothing new (mints, payouts, changes)', async () => {
      // As after a COMMIT whose answer the server never saw: the request made, its placeholder
      // released after the 5xx (deleted here), and the client's retry runs it again.
      const lost = (key: string) =>
        a.f.t.db.query("DELETE FROM idempotency_keys WHERE caller = 'op-tess' AND key = $1", [key]);
      const count = async (table: string) =>
        (await a.f.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
      const cases = [
        {
          table: 'mint_requests',
          path: '/v1/mints',
          body: { customerId: 'CUST-0001', chainId: testChainId, to: holder, amount: '3' },
          other: { customerId: 'CUST-0001', chainId: testChainId, to: holder, amount: '4' },
        },
        {
          table: 'payouts',
          path: '/v1/payouts',
          body: {
            customerId: 'CUST-0001',
            amount: '7',
            bank: 'bank-a',
            beneficiary: 'Acme Treasury LLC, IBAN DE89370400440532013000',
          },
          other: {
            customerId: 'CUST-0001',
            amount: '8',
            bank: 'bank-a',
            beneficiary: 'Acme Treasury LLC, IBAN DE89370400440532013000',
          },
        },
      ];
      for (const c of cases) {
        const key = `lost-${uuidv7()}`;
        const before = await count(c.table);
        const first = await post('op-tess', c.path, c.body, { idempotencyKey: key });
        assert.equal(first.status, 201, first.text);
        await lost(key);
        const snapshot = await a.snapshot();
        const again = await post('op-tess', c.path, c.body, { idempotencyKey: key });
        assert.equal(again.status, 201, again.text);
        assert.equal(again.body.id, first.body.id, `${c.path}: the request the first run made`);
        assert.equal(await count(c.table), before + 1, `${c.path}: one request for one key`);
        assert.equal(await a.snapshot(), snapshot, `${c.path}: the run again changed nothing`);
        // The same key for other fields, once its stored answer is gone: refused, not answered
        // with the first request.
        await lost(key);
        isProblem(
          await post('op-tess', c.path, c.other, { idempotencyKey: key }),
          422,
          'idempotency-key-reused',
        );
        assert.equal(await count(c.table), before + 1);
      }
    });

    it('rate-limits per API key with Retry-After, then recovers', async () => {
      let nowMs = 0;
      const app = createApp({
        issuance: a.f.ctx,
        database: 'test',
        version: '0',
        rateLimit: { perSecond: 2, burst: 3 },
        rateLimitClockMs: () => nowMs,
      });
      const call = (key: string) =>
        app.request('/v1/policy', { headers: { authorization: `Bearer ${key}` } });
      for (let i = 0; i < 3; i++) assert.equal((await call(a.keys['op-aud']!)).status, 200);
      const limited = await call(a.keys['op-aud']!);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(((await limited.json()) as { type: string }).type, '/problems/rate-limited');
      assert.equal((await call(a.keys['op-adam']!)).status, 200, 'another key has its own bucket');
      nowMs += 500;
      assert.equal((await call(a.keys['op-aud']!)).status, 200, 'one token back after 0.5 s');
      assert.equal((await call(a.keys['op-aud']!)).status, 429);
    });

    it('quotes a redemption: the address to send tokens to and the fee', async () => {
      const quoted = await post('op-tess', '/v1/redemptions/quote', {
        customerId: 'CUST-0001',
        chainId: testChainId,
        amount: '1000',
      });
      assert.equal(quoted.status, 200, quoted.text);
      assert.equal(quoted.body.redemptionAddress, redemptionAddressOf(testToken, 'CUST-0001'));
      assert.deepEqual(
        [quoted.body.amount, quoted.body.fee, quoted.body.net],
        ['1000.000000', '1.000000', '999.000000'],
      );
      isProblem(
        await post('op-tess', '/v1/redemptions/quote', {
          customerId: 'CUST-0002',
          chainId: testChainId,
        }),
        422,
        'customer-not-approved',
      );
      assert.deepEqual((await get('/v1/redemptions')).body, { redemptions: [], next: null });
      isProblem(await get(`/v1/redemptions/${uuidv7()}`), 404, 'redemption-not-found');
    });

    it('pays out maker-checker: made, approved by a signature, sent; or cancelled', async () => {
      const line = {
        customerId: 'CUST-0001',
        amount: '100',
        bank: 'bank-a',
        beneficiary: 'Acme Treasury LLC, IBAN DE89370400440532013000',
      };
      const made = await post('op-tess', '/v1/payouts', line);
      assert.equal(made.status, 201, made.text);
      assert.equal(made.body.status, 'pending-approval');
      assert.match(made.body.intentText, /^payout/);
      const id = made.body.id;
      isProblem(
        await post('op-tess', `/v1/payouts/${id}/sent`, { bankReference: 'FED-9' }),
        409,
        'payout-not-approved',
      );
      const detail = (await get(`/v1/payouts/${id}`)).body;
      const approval = signApproval(detail.intent, a.approverKeys['op-bob']!.privateKey, 'op-bob');
      const approved = await post('op-bob', `/v1/payouts/${id}/approvals`, { approval });
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.body.status, 'approved');
      assert.deepEqual(
        approved.body.approvals.map((x: { approverId: string }) => x.approverId),
        ['op-bob'],
      );
      const sent = await post('op-tess', `/v1/payouts/${id}/sent`, { bankReference: 'FED-9' });
      assert.equal(sent.status, 200, sent.text);
      assert.equal(sent.body.status, 'sent');
      const other = await post('op-tess', '/v1/payouts', line);
      const cancelled = await post('op-tess', `/v1/payouts/${other.body.id}/cancel`, {
        reason: 'wrong beneficiary',
      });
      assert.equal(cancelled.body.status, 'cancelled', cancelled.text);
      isProblem(
        await post('op-tess', '/v1/payouts', { ...line, amount: '900000000' }),
        422,
        'payout-exceeds-balance',
      );
      const listed = (await get('/v1/payouts?status=sent')).body;
      assert.deepEqual(
        listed.payouts.map((p: { id: string }) => p.id),
        [id],
      );
      isProblem(await get(`/v1/payouts/${uuidv7()}`), 404, 'payout-not-found');
    });

    it('trips a breaker at once; clears it only by a change under quorum', async () => {
      const trip = { name: 'mint:31337', reason: 'parity under review' };
      isProblem(await post('op-tess', '/v1/breakers', trip), 403, 'forbidden');
      const tripped = await post('op-cora', '/v1/breakers', trip);
      assert.equal(tripped.status, 201, tripped.text);
      assert.deepEqual(tripped.body, { name: 'mint:31337', tripped: true });
      assert.equal((await post('op-cora', '/v1/breakers', trip)).status, 200);
      const proposed = await post('op-adam', '/v1/changes', {
        action: 'breaker.clear',
        body: { name: 'mint:31337' },
      });
      assert.equal(proposed.status, 201, proposed.text);
      assert.equal(proposed.body.status, 'pending-approval');
      const id = proposed.body.id;
      isProblem(
        await post('op-adam', '/v1/changes', {
          action: 'breaker.clear',
          body: { name: 'x', extra: 1 },
        }),
        400,
        'request-invalid',
      );
      isProblem(
        await post('op-adam', '/v1/changes', { action: 'everything.allow', body: {} }),
        400,
        'request-invalid',
      );
      const intent = (await get(`/v1/changes/${id}`)).body.intent;
      for (const approver of ['op-ann', 'op-bob']) {
        const approval = signApproval(intent, a.approverKeys[approver]!.privateKey, approver);
        const res = await post(approver, `/v1/changes/${id}/approvals`, { approval });
        assert.equal(res.status, 200, res.text);
      }
      const adopted = (await get(`/v1/changes/${id}`)).body;
      assert.equal(adopted.status, 'adopted');
      assert.equal(adopted.approvals.length, 2);
      assert.deepEqual((await get('/v1/breakers')).body, { breakers: [] });
      assert.equal((await get('/v1/changes?status=adopted')).body.changes[0].id, id);
      isProblem(await get(`/v1/changes/${uuidv7()}`), 404, 'change-not-found');
    });

    it('shows the policy, alerts and the audit log, refusals included', async () => {
      const policy = (await get('/v1/policy')).body;
      assert.equal(policy.version, 1);
      assert.equal(policy.policy.mint.perTransactionCap, '50000000.000000');
      const page = (await get('/v1/audit?limit=2')).body;
      assert.equal(page.entries.length, 2);
      assert.equal(page.entries[0].seq, '1');
      const rest = (await get(`/v1/audit?after=${page.next}&limit=1000`)).body;
      assert.equal(rest.entries[0].seq, '3');
      assert.ok(
        rest.entries.some(
          (e: { action: string; outcome: string }) =>
            e.action === 'mint.request' && e.outcome === 'refused',
        ),
      );
      isProblem(await get('/v1/audit?after=-1'), 400, 'request-invalid');
    });
  });
}
