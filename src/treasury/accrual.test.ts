/**
 * The daily accrual job: once per (lot, day), backfilling after downtime, safe to repeat and
 * to retry after a crash between the ledger's commit and the lot's row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addDays } from '../calendar.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { parseAmount } from '../money/money.ts';
import { carryingValue, dailyAccretion } from '../reserves/accretion.ts';
import { incomeInterest, reservesTbill } from '../workflow/accounts.ts';
import { accrualTransferId, accrue } from './accrual.ts';
import { billOf, buyBill } from './book.ts';
import { getPosition } from './positions.ts';

/** Ledger transfers made by the accrual job, counted from the journal. */
async function accrualTransfers(f: IssuanceFixture): Promise<number> {
  const { rows } = await f.ctx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger_journal WHERE metadata->>'reserves.op' = 'accrue'`,
  );
  return rows[0]!.n;
}

describe('the accrual job', () => {
  let f: IssuanceFixture;
  let lotId: string;
  const treasurer = () => f.operator('treasurer');
  before(async () => {
    f = await issuanceFixture();
    await recordDeposit(f.ctx, treasurer(), {
      reference: 'SEED',
      bank: 'bank-a',
      amount: parseAmount('20000000'),
      bookingDate: '2023-11-13',
    });
    // 912797GN1: the 13-week bill auctioned 2023-11-13 (data/tbills/auctions.csv), issued
    // 2023-11-16 at a high rate of 5.285 %, price 98.664069.
    const lot = await buyBill(f.ctx, treasurer(), {
      reference: 'T-1',
      cusip: '912797GN1',
      face: parseAmount('10000000'),
      issueDate: '2023-11-16',
      maturityDate: '2024-02-15',
      tradeDate: '2023-11-13',
      settlementDate: '2023-11-16',
      bank: 'bank-a',
      discountRatePct: '5.285',
      custodian: 'Bank of New York Mellon',
      jurisdiction: 'US',
    });
    lotId = lot.position.id;
    // Treasury's price for the $10,000,000: 98.664069 per 100.
    assert.equal(billOf(lot).cost, parseAmount('9866406.9'));
  });
  after(() => f?.close());

  it('posts one day, and nothing when run again on that day', async () => {
    const first = await accrue(f.ctx, '2023-11-17');
    assert.equal(first.days, 1);
    assert.equal(first.transfers, 1);
    const bill = billOf(await getPosition(f.ctx.db, lotId));
    assert.equal(first.amount, dailyAccretion(bill, '2023-11-17'));
    const again = await accrue(f.ctx, '2023-11-17');
    assert.deepEqual([again.days, again.transfers, again.amount], [0, 0, 0n]);
    assert.equal(await accrualTransfers(f), 1);
  });

  it('backfills five skipped days exactly once after downtime', async () => {
    // Down from the 18th to the 22nd: the run of the 23rd books the 18th to the 23rd.
    const run = await accrue(f.ctx, '2023-11-23');
    assert.equal(run.days, 6);
    assert.equal(run.transfers, 6);
    const bill = billOf(await getPosition(f.ctx.db, lotId));
    let expected = 0n;
    for (let d = '2023-11-18'; d <= '2023-11-23'; d = addDays(d, 1))
      expected += dailyAccretion(bill, d);
    assert.equal(run.amount, expected);
    assert.equal((await getPosition(f.ctx.db, lotId)).accruedThrough, '2023-11-23');
    assert.equal(await accrualTransfers(f), 7);
    const rerun = await accrue(f.ctx, '2023-11-23');
    assert.equal(rerun.transfers, 0);
    assert.equal(await accrualTransfers(f), 7);
    // The account carries exactly the carrying value through the 23rd.
    assert.equal(
      -(await f.balance(reservesTbill('912797GN1').code)),
      carryingValue(bill, '2023-11-23'),
    );
  });

  it('posts nothing twice when the lot row was not updated after the ledger committed', async () => {
    // As after a crash between the two: the ledger has the 24th, the row still says the 23rd.
    const bill = billOf(await getPosition(f.ctx.db, lotId));
    const income = await f.ctx.ledger.accountIdOf(incomeInterest);
    const account = await f.ctx.ledger.accountIdOf(reservesTbill('912797GN1'));
    const [outcome] = await f.ctx.ledger.submit([
      {
        type: 'transfer',
        id: accrualTransferId(lotId, '2023-11-24'),
        asset: 'USD',
        postings: [{ debit: account, credit: income, amount: dailyAccretion(bill, '2023-11-24') }],
        metadata: {
          'reserves.position': lotId,
          'reserves.op': 'accrue',
          'reserves.day': '2023-11-24',
        },
      },
    ]);
    assert.equal(outcome?.status, 'committed');
    const interestBefore = await f.balance(incomeInterest.code);
    const run = await accrue(f.ctx, '2023-11-24');
    assert.equal(run.days, 1);
    assert.equal(
      await f.balance(incomeInterest.code),
      interestBefore,
      'the 24th is not booked again',
    );
    assert.equal(await accrualTransfers(f), 8);
    assert.equal((await getPosition(f.ctx.db, lotId)).accruedThrough, '2023-11-24');
  });

  it('accrues to face and matures the lot into cash on its maturity date', async () => {
    const run = await accrue(f.ctx, '2024-03-01');
    assert.equal(run.matured, 1);
    const lot = await getPosition(f.ctx.db, lotId);
    assert.equal(lot.status, 'matured');
    assert.equal(lot.accruedThrough, '2024-02-15');
    const bill = billOf(lot);
    assert.equal(await f.balance(reservesTbill('912797GN1').code), 0n);
    assert.equal(await f.balance(incomeInterest.code), bill.face - bill.cost);
    // One transfer per day from the 17th of November to the 15th of February, none beyond.
    assert.equal(await accrualTransfers(f), 91);
  });
});
