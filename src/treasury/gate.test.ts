/**
 * The mint path's supply gate counts eligible reserves only: the reserve accounts the
 * ruleset judged eligible, as the treasury last recorded them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { defaultChains } from '../chain/config.ts';
import { createCustomer, registerWallet, setKyc } from '../issuance/customers.ts';
import { MintRefusedError, requestMint } from '../issuance/mint.ts';
import {
  type IssuanceFixture,
  type IssuerChainFixture,
  issuanceFixture,
  issuerChainFixture,
} from '../issuance/testing.ts';
import { parseAmount } from '../money/money.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import type { Actor } from '../workflow/actors.ts';

import { depositAndLongBill } from './testing.ts';
import { judgeReserves } from './valuation.ts';

const usd = (text: string) => parseAmount(text);
const chainId = defaultChains[0]!.chainId;

describe('the supply gate on eligible reserves', () => {
  let f: IssuanceFixture;
  let c: IssuerChainFixture;
  let holder: Hex;
  const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
  const genius = loadRuleset('genius');
  const mint = (amount: string) =>
    requestMint(f.ctx, treasurer, {
      customerId: 'CUST-0001',
      chainId,
      to: holder,
      amount: usd(amount),
    });

  before(async () => {
    f = await issuanceFixture();
    c = await issuerChainFixture(f);
    holder = c.chain.local!.accounts[3]!.address.toLowerCase() as Hex;
    const compliance = f.operator('compliance');
    await createCustomer(f.ctx, compliance, { id: 'CUST-0001', name: 'Acme Treasury LLC' });
    await setKyc(f.ctx, compliance, 'CUST-0001', 'approved');
    await registerWallet(f.ctx, compliance, { customerId: 'CUST-0001', chainId, address: holder });
    // A 26-week bill is no GENIUS reserve: eligible reserves are the cash left, 4,150,000.
    await depositAndLongBill(f, treasurer);
  });
  after(async () => {
    await c.close();
    await f.close();
  });

  it('counts a bill never judged as no reserve at all', async () => {
    // Cash left: 10,000,000 − 5,850,000 = 4,150,000.
    await assert.rejects(mint('4200000'), (error: unknown) => {
      assert.ok(error instanceof MintRefusedError);
      assert.match(error.message, /exceed eligible reserves of 4150000\.000000/);
      return true;
    });
  });

  it('leaves a bill 180 days from maturity out once genius judged it', async () => {
    const { report } = await judgeReserves(f.ctx, genius, '2026-11-20');
    assert.equal(report.totals.eligibleReserves, usd('4150000'));
    const bill = report.holdings.find((h) => h.kind === 'tbill')!;
    assert.equal(bill.eligible, false);
    const { rows } = await f.ctx.db.query<{ eligible: boolean }>(
      `SELECT eligible FROM reserve_eligibility WHERE account_code = 'reserves:tbill:912797HR1'`,
    );
    assert.deepEqual(rows, [{ eligible: false }]);
    await assert.rejects(mint('4200000'), MintRefusedError);
    const request = await mint('4100000');
    assert.equal(request.status, 'pending-approval');
  });

  it('counts it once it is 93 days from maturity', async () => {
    // 2027-02-15 is 93 days before 2027-05-19: the bill is eligible at its carrying value.
    const { report } = await judgeReserves(f.ctx, genius, '2027-02-15');
    const bill = report.holdings.find((h) => h.kind === 'tbill')!;
    assert.equal(bill.eligible, true);
    const { rows } = await f.ctx.db.query<{ eligible: boolean }>(
      `SELECT eligible FROM reserve_eligibility WHERE account_code = 'reserves:tbill:912797HR1'`,
    );
    assert.deepEqual(rows, [{ eligible: true }]);
    // Supply 4,100,000 (pending); reserves 4,150,000 cash + 5,850,000 bill (book value).
    const request = await mint('5800000');
    assert.equal(request.status, 'pending-approval');
    await assert.rejects(mint('200000'), MintRefusedError);
  });
});
