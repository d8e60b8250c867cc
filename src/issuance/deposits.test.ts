import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseAmount } from '../money/money.ts';
import { verifyAudit } from '../workflow/audit-store.ts';
import { createCustomer, registerWallet, setKyc } from './customers.ts';
import { importStatement, recordDeposit } from './deposits.ts';
import { type IssuanceFixture, issuanceFixture, recordTestToken } from './testing.ts';

const usd = (text: string) => parseAmount(text);
/** An address on the shipped OFAC list (data/sanctions/sanctioned_addresses_ETH.txt, line 1). */
const sanctioned = '0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1';
const clean = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

describe('customers and deposits', () => {
  let f: IssuanceFixture;
  before(async () => {
    f = await issuanceFixture();
    await recordTestToken(f.t.db);
  });
  after(() => f.close());

  const auditRows = async () =>
    (
      await f.t.db.query<{ action: string; outcome: string; detail: { code?: string } }>(
        'SELECT a.action, a.outcome, a.detail FROM audit_log a ORDER BY a.seq',
      )
    ).rows;

  it('onboards a customer with a fiat account; only compliance may, and a refusal is audited', async () => {
    const customer = await createCustomer(f.ctx, f.operator('compliance'), {
      id: 'CUST-0001',
      name: 'Acme Treasury LLC',
    });
    assert.equal(customer.kyc, 'pending');
    assert.equal(await f.balance('customers:CUST-0001:fiat'), 0n);
    await assert.rejects(
      createCustomer(f.ctx, f.operator('treasurer'), { id: 'CUST-0002', name: 'B' }),
      { code: 'forbidden' },
    );
    await assert.rejects(
      createCustomer(f.ctx, f.operator('compliance'), { id: 'cust-lower', name: 'B' }),
      { code: 'customer-id-invalid', field: 'id' },
    );
    await assert.rejects(
      createCustomer(f.ctx, f.operator('compliance'), { id: 'CUST-0001', name: 'Again' }),
      { code: 'customer-exists' },
    );
    const rows = await auditRows();
    assert.deepEqual(
      rows.map((r) => [r.action, r.outcome, r.detail.code ?? null]),
      [
        ['customer.create', 'ok', null],
        ['customer.create', 'refused', 'forbidden'],
        ['customer.create', 'refused', 'customer-id-invalid'],
        ['customer.create', 'refused', 'customer-exists'],
      ],
    );
    const { rows: customers } = await f.t.db.query('SELECT id FROM customers');
    assert.equal(customers.length, 1, 'refusals changed nothing');
  });

  it('screens wallets: a sanctioned address is refused in any spelling; a clean one registers once', async () => {
    await setKyc(f.ctx, f.operator('compliance'), 'CUST-0001', 'approved');
    for (const spelling of [
      sanctioned,
      sanctioned.toLowerCase(),
      `0x${sanctioned.slice(2).toUpperCase()}`,
    ])
      await assert.rejects(
        registerWallet(f.ctx, f.operator('compliance'), {
          customerId: 'CUST-0001',
          chainId: 31337,
          address: spelling,
        }),
        { code: 'sanctions-hit', field: 'address' },
      );
    const hits = await f.t.db.query<{ subject: string }>(
      `SELECT subject FROM alerts WHERE kind = 'sanctions-hit'`,
    );
    assert.deepEqual(
      hits.rows.map((r) => r.subject),
      Array(3).fill('customer.wallet CUST-0001'),
      'each hit raises an alert for compliance',
    );
    const wallet = await registerWallet(
      f.ctx,
      { kind: 'customer', id: 'CUST-0001' },
      {
        customerId: 'CUST-0001',
        chainId: 31337,
        address: clean,
      },
    );
    assert.equal(wallet.address, clean.toLowerCase());
    await assert.rejects(
      registerWallet(
        f.ctx,
        { kind: 'customer', id: 'CUST-0002' },
        {
          customerId: 'CUST-0001',
          chainId: 31337,
          address: clean,
        },
      ),
      { code: 'forbidden' },
      'a customer registers only their own wallets',
    );
    const { rows } = await f.t.db.query('SELECT address FROM customer_wallets');
    assert.deepEqual(rows, [{ address: clean.toLowerCase() }]);
  });

  it('credits a deposit once; the same line again changes nothing; other content is refused', async () => {
    const line = {
      reference: 'FED-20261120-000123',
      bank: 'bank-a',
      amount: usd('5000000'),
      customerId: 'CUST-0001',
      bookingDate: '2026-11-20',
    };
    const first = await recordDeposit(f.ctx, f.operator('treasurer'), line);
    assert.equal(first.status, 'created');
    assert.equal(await f.balance('customers:CUST-0001:fiat'), usd('5000000'));
    assert.equal(await f.balance('reserves:cash:bank-a'), -usd('5000000'), 'an asset: debits');
    const again = await recordDeposit(f.ctx, f.operator('treasurer'), line);
    assert.deepEqual(again, { ...first, status: 'duplicate' });
    assert.equal(await f.balance('customers:CUST-0001:fiat'), usd('5000000'));
    await assert.rejects(
      recordDeposit(f.ctx, f.operator('treasurer'), { ...line, amount: usd('5000001') }),
      { code: 'deposit-conflict', field: 'reference' },
    );
    await assert.rejects(
      recordDeposit(f.ctx, f.operator('approver'), { ...line, reference: 'OTHER' }),
      { code: 'forbidden' },
    );
    for (const [bad, field] of [
      [{ ...line, reference: 'X', amount: 0n }, 'amount'],
      [{ ...line, reference: 'Y', bookingDate: '2026-13-01' }, 'bookingDate'],
      [{ ...line, reference: 'Y', bookingDate: '2026-02-31' }, 'bookingDate'],
      [{ ...line, reference: 'Z', bank: 'Bank A' }, 'bank'],
      [{ ...line, reference: '' }, 'reference'],
    ] as const)
      await assert.rejects(recordDeposit(f.ctx, f.operator('treasurer'), bad as never), {
        code: 'deposit-invalid',
        field,
      });
    assert.equal(await f.balance('customers:CUST-0001:fiat'), usd('5000000'));
  });

  it('finds the customer from the remittance text, or credits suspense and raises an alert', async () => {
    const found = await recordDeposit(f.ctx, f.operator('treasurer'), {
      reference: 'WIRE-2',
      bank: 'bank-a',
      amount: usd('250000'),
      remittance: 'ref CUST-0001 november subscription',
      bookingDate: '2026-11-21',
    });
    assert.equal(found.customerId, 'CUST-0001');
    const unknown = await recordDeposit(f.ctx, f.operator('treasurer'), {
      reference: 'WIRE-3',
      bank: 'bank-a',
      amount: usd('99.99'),
      remittance: 'INVOICE 7781 NO CUSTOMER HERE',
      bookingDate: '2026-11-21',
    });
    assert.equal(unknown.customerId, null);
    assert.equal(await f.balance('suspense:deposits'), usd('99.99'));
    const { rows } = await f.t.db.query<{ kind: string; subject: string }>(
      `SELECT kind, subject FROM alerts WHERE kind <> 'sanctions-hit'`,
    );
    assert.deepEqual(rows, [{ kind: 'deposit-unmatched', subject: 'deposit WIRE-3' }]);
  });

  it('imports a camt.053 statement: booked credits only, unknown references to suspense, once', async () => {
    await createCustomer(f.ctx, f.operator('compliance'), { id: 'CUST-0003', name: 'Third Co' });
    const xml = readFileSync(new URL('./fixtures/camt053-v08-sample.xml', import.meta.url));
    const suspenseBefore = await f.balance('suspense:deposits');
    const first = await importStatement(f.ctx, f.operator('treasurer'), 'bank-b', xml);
    assert.deepEqual(
      [first.statements, first.created, first.duplicates, first.unmatched, first.skipped],
      [1, 5, 0, 3, 4],
      'two debits, a pending credit and a reversal are not deposits',
    );
    assert.deepEqual(
      first.deposits.map((d) => [d.reference, d.customerId]),
      [
        ['FW26030200417', 'CUST-0001'],
        ['FW26030200533', null], // a structured RF reference that names no customer id
        ['ACH2603020091/0', 'CUST-0003'],
        ['ACH2603020091/1', null], // CUST-0004 is not a customer
        ['FW26030200901', null],
      ],
    );
    assert.equal(await f.balance('customers:CUST-0003:fiat'), usd('100000'));
    assert.equal(
      (await f.balance('suspense:deposits')) - suspenseBefore,
      usd('250000') + usd('75500.25') + usd('3210.55'),
    );
    assert.equal(await f.balance('reserves:cash:bank-b'), -usd('5428710.80'));
    const again = await importStatement(f.ctx, f.operator('treasurer'), 'bank-b', xml);
    assert.deepEqual([again.created, again.duplicates], [0, 5]);
    assert.equal(
      await f.balance('reserves:cash:bank-b'),
      -usd('5428710.80'),
      're-import adds nothing',
    );
    await assert.rejects(importStatement(f.ctx, f.operator('approver'), 'bank-b', xml), {
      code: 'forbidden',
    });
  });

  it('refuses a whole statement, recording none of it, when a later line conflicts', async () => {
    // The sample with fresh references; its last booked credit was recorded before, with
    // another amount.
    const xml = readFileSync(new URL('./fixtures/camt053-v08-sample.xml', import.meta.url), 'utf8')
      .replaceAll('FW2603020', 'FZ2603020')
      .replaceAll('ACH2603020091', 'ACZ2603020091');
    await recordDeposit(f.ctx, f.operator('treasurer'), {
      reference: 'FZ26030200901',
      bank: 'bank-b',
      amount: usd('1.00'),
      bookingDate: '2026-03-02',
    });
    const cashBefore = await f.balance('reserves:cash:bank-b');
    const audited = (await auditRows()).length;
    await assert.rejects(importStatement(f.ctx, f.operator('treasurer'), 'bank-b', xml), {
      code: 'deposit-conflict',
      message: /FZ26030200901/,
    });
    assert.equal(await f.balance('reserves:cash:bank-b'), cashBefore);
    const { rows } = await f.t.db.query<{ n: number }>(
      `SELECT count(*)::int4 AS n FROM deposits WHERE reference LIKE 'FZ%' OR reference LIKE 'ACZ%'`,
    );
    assert.equal(rows[0]!.n, 1, 'only the line recorded before');
    const refusal = (await auditRows()).slice(audited);
    assert.deepEqual(
      refusal.map((r) => [r.action, r.outcome, r.detail.code]),
      [['deposit.import', 'refused', 'deposit-conflict']],
    );
  });

  it('the audit log holds every change and refusal, and verifies', async () => {
    const report = await verifyAudit(f.t.db);
    assert.equal(report.ok, true);
    const rows = await auditRows();
    assert.ok(
      rows.some((r) => r.action === 'customer.wallet' && r.detail.code === 'sanctions-hit'),
    );
    assert.equal(
      rows.filter((r) => r.action === 'deposit.record' && r.outcome === 'ok').length,
      4 + 5 + 5 + 1,
    );
  });
});
