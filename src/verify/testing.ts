/**
 * A fixture issuer with one of each thing `verify-all` compares: a deposit, a mint request, a
 * payout and a bill lot (and the customer they belong to), made through the API as an
 * operator would.
 */
import assert from 'node:assert/strict';
import { type ApiFixture, testChainId } from '../api/testing.ts';
import { addDays, newYorkDate } from '../calendar.ts';

/** The ids of what `withFlows` made. */
export interface Flows {
  readonly deposit: string;
  readonly mint: string;
  readonly payout: string;
  readonly lot: string;
}

/**
 * Makes a customer (KYC approved, one wallet), a deposit of 1,000,000, a mint request of
 * 1,000, a payout of 100 and a bill lot of face 500,000 bought out of the deposit.
 * @example const flows = await withFlows(a)
 */
export async function withFlows(a: ApiFixture): Promise<Flows> {
  const post = async (operator: string, path: string, json: unknown) => {
    const res = await a.call('POST', path, { key: a.keys[operator]!, json });
    assert.ok(res.status === 200 || res.status === 201, `${path}: ${res.text}`);
    return res.body;
  };
  const today = newYorkDate();
  await post('op-cora', '/v1/customers', { id: 'CUST-0001', name: 'Acme' });
  await post('op-cora', '/v1/customers/CUST-0001/kyc', { kyc: 'approved' });
  await post('op-cora', '/v1/customers/CUST-0001/wallets', {
    chainId: testChainId,
    address: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
  });
  await post('op-tess', '/v1/deposits', {
    reference: 'WIRE-1',
    bank: 'bank-a',
    amount: '1000000',
    customerId: 'CUST-0001',
    bookingDate: today,
  });
  const mint = await post('op-tess', '/v1/mints', {
    customerId: 'CUST-0001',
    chainId: testChainId,
    to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
    amount: '1000',
  });
  const payout = await post('op-tess', '/v1/payouts', {
    customerId: 'CUST-0001',
    amount: '100',
    bank: 'bank-a',
    beneficiary: 'Acme Treasury LLC',
  });
  const lot = await post('op-tess', '/v1/reserves/bills', {
    reference: 'T-A',
    cusip: '912797LB1',
    face: '500000',
    issueDate: today,
    maturityDate: addDays(today, 91),
    tradeDate: today,
    settlementDate: today,
    bank: 'bank-a',
    discountRatePct: '4.480',
    custodian: 'BNY Mellon',
    jurisdiction: 'US',
  });
  return { deposit: 'WIRE-1', mint: mint.id, payout: payout.id, lot: lot.id };
}
