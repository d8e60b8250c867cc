/**
 * Reserve books for the gates' tests. `depositAndLongBill`: $10,000,000 deposited for CUST-0001 at bank-a,
 * $5,850,000 of it in a 26-week bill (180 days to maturity on 2026-11-20: no GENIUS reserve
 * until 2027-02-15, 93 days before), so eligible reserves are the $4,150,000 of cash left
 * until then.
 */

import assert from 'node:assert/strict';
import { recordDeposit } from '../issuance/deposits.ts';
import type { IssuanceFixture } from '../issuance/testing.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { accountId, incomeInterest, reservesCash, usd } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import { buyBill } from './book.ts';

/**
 * Records the deposit and buys the bill (the customer must exist), held by `custodian` (default
 * Bank of New York Mellon) and evidenced by the custodian statement `statement` if given.
 * @example await depositAndLongBill(f, treasurer)
 */
export async function depositAndLongBill(
  f: IssuanceFixture,
  treasurer: Actor,
  held: { custodian?: string; statement?: string } = {},
): Promise<void> {
  await recordDeposit(f.ctx, treasurer, {
    reference: 'WIRE-1',
    bank: 'bank-a',
    amount: parseAmount('10000000'),
    customerId: 'CUST-0001',
    bookingDate: '2026-11-20',
  });
  await buyBill(f.ctx, treasurer, {
    reference: 'T-180',
    cusip: '912797HR1',
    face: parseAmount('6000000'),
    issueDate: '2026-11-20',
    maturityDate: '2027-05-19',
    tradeDate: '2026-11-20',
    settlementDate: '2026-11-20',
    bank: 'bank-a',
    cost: parseAmount('5850000'),
    custodian: held.custodian ?? 'Bank of New York Mellon',
    jurisdiction: 'US',
    ...(held.statement === undefined ? {} : { statement: held.statement }),
  });
}

/**
 * Interest received in cash at bank-a: `reserves:cash:bank-a` ← `income:interest`, the issuer's
 * own money (an excess over what it owes).
 * @example await receiveIncome(f, parseAmount('50000'))
 */
export async function receiveIncome(f: IssuanceFixture, amount: Micro): Promise<void> {
  const [cash, income] = await Promise.all([
    accountId(f.ctx.ledger, reservesCash('bank-a')),
    accountId(f.ctx.ledger, incomeInterest),
  ]);
  const [outcome] = await f.ctx.ledger.submit([
    {
      type: 'transfer',
      id: uuidv7(),
      asset: usd,
      postings: [{ debit: cash, credit: income, amount }],
    },
  ]);
  assert.equal(outcome?.status, 'committed');
}
