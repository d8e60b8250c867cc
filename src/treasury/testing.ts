/**
 * Reserve books for the gates' tests. `depositAndLongBill`: $10,000,000 deposited for CUST-0001 at bank-a,
 * $5,850,000 of it in a 26-week bill (180 days to maturity on 2026-11-20: no GENIUS reserve
 * until 2027-02-15, 93 days before), so eligible reserves are the $4,150,000 of cash left
 * until then.
 */

import assert from 'node:assert/strict';
import { newYorkDayEndUs } from '../calendar.ts';
import { createCustomer } from '../issuance/customers.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { loadShippedSanctions } from '../issuance/sanctions.ts';
import type { IssuanceFixture } from '../issuance/testing.ts';
import { Ledger } from '../ledger/ledger.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { evaluate, loadRuleset } from '../reserves/eligibility.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import { openTestDatabase, type TestDatabase } from '../storage/testing.ts';
import { accountId, incomeInterest, reservesCash, usd } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { buyBill } from './book.ts';
import type { ExcessCheck } from './investments.ts';
import { owedToCustomers, readBook } from './valuation.ts';

/**
 * The excess check by the GENIUS ruleset on the book as of `asOf` (bills at book value), against
 * everything owed: what the API's check computes with the shipped ruleset and no context.
 * @example await executeInvestment(f.ctx, treasurer, id, geniusExcess('2026-11-20'))
 */
export function geniusExcess(asOf: string): ExcessCheck {
  const genius = loadRuleset('genius');
  return async (reader) => {
    const { portfolio } = await readBook(reader, asOf, 'book');
    const { totals } = evaluate(genius, portfolio);
    return { eligible: totals.eligibleReserves, liabilities: await owedToCustomers(reader) };
  };
}

/** A database whose clock (the ledger's and the workflows') the test sets: noon in New York. */
export interface ClockedWorld {
  readonly t: TestDatabase;
  readonly ctx: IssuanceContext;
  /** Moves the clock to `day` (never back); runs the steps dated on or before `through`. */
  until(through: string): Promise<void>;
}

/** A history for a `ClockedWorld`, in order: [the day it is recorded, what happens]. */
export type DatedSteps = readonly (readonly [string, (ctx: IssuanceContext) => Promise<void>])[];

/**
 * A fresh PGlite database whose clock stands still until `until` moves it through `steps`.
 * @example const w = await clockedWorld(steps); await w.until('2025-06-02')
 */
export async function clockedWorld(steps: DatedSteps): Promise<ClockedWorld> {
  const t = await openTestDatabase('pglite');
  let nowUs = 0n;
  const ctx: IssuanceContext = {
    db: t.db,
    ledger: new Ledger<SqlExecutor>(new SqlLedgerStore(t.db), { clockUs: () => nowUs }),
    sanctions: loadShippedSanctions(),
    clockUs: () => nowUs,
  };
  let done = 0;
  return {
    t,
    ctx,
    async until(through) {
      for (; done < steps.length && steps[done]![0] <= through; done++) {
        const [day, step] = steps[done]!;
        nowUs = newYorkDayEndUs(day) - 12n * 3_600_000_000n;
        await step(ctx);
      }
      nowUs = newYorkDayEndUs(through) - 12n * 3_600_000_000n;
    },
  };
}

/**
 * Onboards CUST-0001 (Acme) and records its wire WIRE-1 of `amount` at bank-a on `bookingDate`.
 * @example await acmeDeposit(f, treasurer, parseAmount('1000000'), '2026-11-20')
 */
export async function acmeDeposit(
  f: IssuanceFixture,
  treasurer: Actor,
  amount: Micro,
  bookingDate: string,
): Promise<void> {
  await createCustomer(f.ctx, f.operator('compliance'), { id: 'CUST-0001', name: 'Acme' });
  await recordDeposit(f.ctx, treasurer, {
    reference: 'WIRE-1',
    bank: 'bank-a',
    amount,
    customerId: 'CUST-0001',
    bookingDate,
  });
}

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
