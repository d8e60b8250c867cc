/**
 * The pure comparisons of verify-all, one rule at a time: what each table's row must say
 * about its ledger transfer, and the name of each difference.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namedUuid } from '../ledger/uuid.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { carryingValue } from '../reserves/accretion.ts';
import {
  compareDeposit,
  compareInvestment,
  compareLots,
  compareMint,
  comparePayout,
  compareRedemption,
  investmentTransfer,
  type LotRow,
  type TransferFact,
} from './restated.ts';

const posted = (debit: string, credit: string, amount: bigint): TransferFact => ({
  kind: 'posted',
  state: 'posted',
  postings: [{ debit, credit, amount }],
});
const reservation = (state: TransferFact['state'], amount: bigint): TransferFact => ({
  kind: 'pending',
  state,
  postings: [{ debit: 'customers:C-1:fiat', credit: 'supply:31337', amount }],
});
const columns = (differences: readonly { column: string }[]) => differences.map((d) => d.column);

describe('verify-all: the business tables against the ledger', () => {
  const deposit = {
    reference: 'WIRE-1',
    bank: 'bank-a',
    amount: 5_000_000n,
    customerId: 'C-1',
    ledgerTransfer: namedUuid('clearpeg-deposit/1', 'WIRE-1'),
  };
  const depositFact = posted('reserves:cash:bank-a', 'customers:C-1:fiat', 5_000_000n);

  it('a deposit: its transfer named by its reference, the amount, bank and customer', () => {
    assert.deepEqual(compareDeposit(deposit, depositFact), []);
    assert.deepEqual(compareDeposit({ ...deposit, amount: 6_000_000n }, depositFact), [
      {
        table: 'deposits',
        id: 'WIRE-1',
        column: 'amount',
        stored: '6.000000',
        journal: '5.000000',
      },
    ]);
    assert.deepEqual(columns(compareDeposit({ ...deposit, bank: 'bank-b' }, depositFact)), [
      'bank',
    ]);
    assert.deepEqual(columns(compareDeposit({ ...deposit, customerId: null }, depositFact)), [
      'customer_id',
    ]);
    const other = namedUuid('clearpeg-deposit/1', 'WIRE-2');
    assert.deepEqual(columns(compareDeposit({ ...deposit, ledgerTransfer: other }, depositFact)), [
      'ledger_transfer',
    ]);
    assert.deepEqual(compareDeposit(deposit, undefined)[0]?.journal, null);
  });

  it('a mint: its reservation in the state its status allows, and its amount', () => {
    const mint = { id: 'm-1', amount: 7n, status: 'approved', ledgerPending: 'p-1' };
    assert.deepEqual(compareMint(mint, reservation('pending', 7n), undefined), []);
    assert.deepEqual(columns(compareMint(mint, reservation('pending', 8n), undefined)), ['amount']);
    assert.deepEqual(
      compareMint({ ...mint, status: 'final' }, reservation('pending', 7n), undefined),
      [
        {
          table: 'mint_requests',
          id: 'm-1',
          column: 'status',
          stored: 'final',
          journal: 'pending',
        },
      ],
    );
    assert.deepEqual(
      compareMint({ ...mint, status: 'final' }, reservation('posted', 7n), undefined),
      [],
    );
    // Final through the late transfer, its reservation gone.
    const late = posted('customers:C-1:fiat', 'supply:31337', 7n);
    assert.deepEqual(
      compareMint({ ...mint, status: 'final' }, reservation('expired', 7n), late),
      [],
    );
    assert.deepEqual(compareMint({ ...mint, status: 'failed' }, undefined, undefined), []);
    assert.deepEqual(
      columns(compareMint({ ...mint, status: 'failed' }, reservation('posted', 7n), undefined)),
      ['status'],
    );
  });

  it('a payout: pending until sent, posted when sent, voided when cancelled', () => {
    const payout = { id: 'p-1', amount: 3n, status: 'sent', ledgerPending: 'r-1' };
    assert.deepEqual(comparePayout(payout, reservation('posted', 3n)), []);
    assert.deepEqual(columns(comparePayout(payout, reservation('voided', 3n))), ['status']);
    assert.deepEqual(
      columns(comparePayout({ ...payout, status: 'cancelled' }, reservation('voided', 4n))),
      ['amount'],
    );
  });

  it('an investment: posted from the bank to its account when executed, and only then', () => {
    const row = {
      id: 'i-1',
      purpose: 'investment',
      reference: 'I-1',
      name: 'btc',
      bank: 'bank-a',
      amount: 7n,
      status: 'executed',
    };
    assert.equal(investmentTransfer(row), namedUuid('clearpeg-reserves/1', 'invest:btc:I-1'));
    const fact = posted('investments:btc', 'reserves:cash:bank-a', 7n);
    assert.deepEqual(compareInvestment(row, fact), []);
    assert.deepEqual(columns(compareInvestment({ ...row, amount: 8n }, fact)), ['amount']);
    assert.deepEqual(columns(compareInvestment({ ...row, bank: 'bank-b' }, fact)), ['bank']);
    assert.deepEqual(columns(compareInvestment({ ...row, name: 'gold' }, fact)), ['name']);
    assert.deepEqual(columns(compareInvestment(row, undefined)), ['status']);
    for (const status of ['pending-approval', 'approved', 'cancelled']) {
      assert.deepEqual(compareInvestment({ ...row, status }, undefined), []);
      assert.deepEqual(columns(compareInvestment({ ...row, status }, fact)), ['status']);
    }
  });

  it("an expense: posted from the bank to the expense's account, under its own key", () => {
    const row = {
      id: 'e-1',
      purpose: 'operating',
      reference: 'INV-7',
      name: 'audit',
      bank: 'bank-a',
      amount: 7n,
      status: 'executed',
    };
    assert.equal(
      investmentTransfer(row),
      namedUuid('clearpeg-reserves/1', 'expense:operating:audit:INV-7'),
    );
    const fact = posted('expenses:operating:audit', 'reserves:cash:bank-a', 7n);
    assert.deepEqual(compareInvestment(row, fact), []);
    // The same name as an investment, or as the other purpose, is another account.
    assert.deepEqual(columns(compareInvestment({ ...row, purpose: 'distribution' }, fact)), [
      'name',
    ]);
    assert.deepEqual(
      columns(compareInvestment(row, posted('investments:audit', 'reserves:cash:bank-a', 7n))),
      ['name'],
    );
  });

  it('a redemption: the amount out of supply to the customer, the fee to income', () => {
    const row = {
      id: 'r-1',
      customerId: 'C-1',
      amount: 100n,
      fee: 2n,
      status: 'credited',
      ledgerTransfer: 't',
    };
    const fact: TransferFact = {
      kind: 'posted',
      state: 'posted',
      postings: [
        { debit: 'supply:31337', credit: 'customers:C-1:fiat', amount: 100n },
        { debit: 'customers:C-1:fiat', credit: 'income:fees', amount: 2n },
      ],
    };
    assert.deepEqual(compareRedemption(row, fact), []);
    assert.deepEqual(columns(compareRedemption({ ...row, fee: 0n }, fact)), ['fee']);
    assert.deepEqual(columns(compareRedemption({ ...row, customerId: 'C-2' }, fact)), [
      'customer_id',
    ]);
    const held = posted('supply:31337', 'suspense:redemptions', 100n);
    assert.deepEqual(compareRedemption({ ...row, fee: 0n, status: 'held' }, held), []);
  });

  it('a bill lot: its cost, its carrying value from face and cost, its account', () => {
    const lot: LotRow = {
      id: 'tbill:912797LB1:T-A',
      kind: 'tbill',
      accountCode: 'reserves:tbill:912797LB1',
      status: 'open',
      face: 1_000_000_000_000n,
      cost: 988_675_556_000n,
      principal: null,
      settlementDate: '2024-01-04',
      maturityDate: '2024-04-04',
      accruedThrough: '2024-02-01',
    };
    const carrying = carryingValue(
      {
        face: lot.face as Micro,
        cost: lot.cost as Micro,
        settlementDate: '2024-01-04',
        maturityDate: '2024-04-04',
      },
      '2024-02-01',
    );
    const journal = {
      lots: new Map([[lot.id, { opened: lot.cost!, net: carrying }]]),
      balances: new Map([[lot.accountCode, carrying]]),
    };
    assert.deepEqual(compareLots([lot], journal), []);
    assert.deepEqual(columns(compareLots([{ ...lot, cost: lot.cost! - 1n }], journal)), ['cost']);
    assert.deepEqual(columns(compareLots([{ ...lot, face: lot.face! + 1_000_000n }], journal)), [
      'carrying',
    ]);
    assert.deepEqual(columns(compareLots([{ ...lot, status: 'matured' }], journal)), ['status']);
    // A lot row gone: its account's balance is not accounted for.
    assert.deepEqual(compareLots([], journal), [
      {
        table: 'reserve_positions',
        id: 'reserves:tbill:912797LB1',
        column: 'lots (the account balance)',
        stored: '0.000000',
        journal: formatAmount(carrying),
      },
    ]);
  });
});
