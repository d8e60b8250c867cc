/**
 * The gates under concurrency, on both stores: 50 mint requests at once against the supply
 * gate and against one customer's fiat, and 50 investments at once against the excess, never
 * pass them by a micro-dollar (each check and the act it guards are one atomic step).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { defaultChains } from '../chain/config.ts';
import { ClearpegError } from '../errors.ts';
import { createCustomer, registerWallet, setKyc } from '../issuance/customers.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { MintRefusedError, requestMint } from '../issuance/mint.ts';
import {
  createApprovers,
  type IssuanceFixture,
  type IssuerChainFixture,
  issuanceFixture,
  issuerChainFixture,
} from '../issuance/testing.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { signApproval } from '../policy/approvals.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import type { TestBackend } from '../storage/testing.ts';
import { customerFiat, everySupply } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import {
  approveInvestment,
  executeInvestment,
  investmentIntent,
  proposeInvestment,
  requestIntent,
} from './investments.ts';
import { depositAndLongBill, geniusExcess, receiveIncome } from './testing.ts';
import { eligibleReserveCodes, judgeReserves } from './valuation.ts';

const usd = (text: string) => parseAmount(text);
const chainId = defaultChains[0]!.chainId;
const racers = 50;

/**
 * Defines the race suite on `backend`.
 * @example defineGateRaceSuite('pglite')
 */
export function defineGateRaceSuite(backend: TestBackend, skip?: string): void {
  describe(`gates under concurrency on ${backend}`, { skip }, () => {
    let f: IssuanceFixture;
    let c: IssuerChainFixture;
    const holders = new Map<string, Hex>();
    const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
    const genius = loadRuleset('genius');
    const mint = (customerId: string, amount: Micro) =>
      requestMint(f.ctx, treasurer, { customerId, chainId, to: holders.get(customerId)!, amount });
    const race = <T>(act: () => Promise<T>) =>
      Promise.allSettled(Array.from({ length: racers }, act));
    /** Every refusal is `code`; the first other one is shown. */
    const refusedOnly = (results: PromiseSettledResult<unknown>[], code: string) => {
      const other = results.find(
        (r) =>
          r.status === 'rejected' && !(r.reason instanceof ClearpegError && r.reason.code === code),
      );
      assert.equal(
        other,
        undefined,
        `only ${code}: ${(other as PromiseRejectedResult | undefined)?.reason}`,
      );
      return true;
    };

    before(async () => {
      f = await issuanceFixture(backend);
      c = await issuerChainFixture(f);
      const compliance = f.operator('compliance');
      for (const [i, id] of ['CUST-0001', 'CUST-0002'].entries()) {
        const holder = c.chain.local!.accounts[3 + i]!.address.toLowerCase() as Hex;
        holders.set(id, holder);
        await createCustomer(f.ctx, compliance, { id, name: `Customer ${id}` });
        await setKyc(f.ctx, compliance, id, 'approved');
        await registerWallet(f.ctx, compliance, { customerId: id, chainId, address: holder });
      }
      // A 26-week bill is no GENIUS reserve: eligible reserves are the cash left, 4,150,000.
      await depositAndLongBill(f, treasurer);
      await judgeReserves(f.ctx, genius, '2026-11-20');
    });
    after(async () => {
      await c.close();
      await f.close();
    });

    it('50 mints at once never take supply past eligible reserves', async () => {
      const [eligible] = await f.ctx.ledger.balances([
        { codes: await eligibleReserveCodes(f.ctx.db), side: 'debit' },
      ]);
      assert.equal(eligible!.available, usd('4150000'));
      const results = await race(() => mint('CUST-0001', usd('100000')));
      assert.ok(refusedOnly(results, 'mint-refused'));
      assert.ok(
        results.every((r) => r.status === 'fulfilled' || r.reason instanceof MintRefusedError),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 41);
      const [supply] = await f.ctx.ledger.balances([everySupply]);
      assert.equal(supply!.atMost, usd('4100000'));
      assert.ok(supply!.atMost <= eligible!.available);
      const { rows } = await f.ctx.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM mint_requests`,
      );
      assert.equal(rows[0]!.n, '41'); // every request stored has its reservation, and no more
    });

    it("50 mints at once never spend more than a customer's fiat", async () => {
      await recordDeposit(f.ctx, treasurer, {
        reference: 'WIRE-2',
        bank: 'bank-a',
        amount: usd('1000'),
        customerId: 'CUST-0002',
        bookingDate: '2026-11-20',
      });
      const results = await race(() => mint('CUST-0002', usd('30')));
      assert.ok(refusedOnly(results, 'mint-refused'));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 33);
      const fiat = await f.ctx.ledger.balance(customerFiat('CUST-0002').code, 'credit');
      assert.equal(fiat.available, usd('10'));
      assert.ok(fiat.available >= 0n);
    });

    it('50 investments at once never take eligible reserves under what is owed plus the buffer', async () => {
      // Income received in cash; at a buffer of 0 the excess is what it leaves over everything
      // owed (the bill counts: 93 days from maturity on the day judged).
      await receiveIncome(f, usd('5000000'));
      await f.ctx.db.query(
        `UPDATE policies SET document = jsonb_set(document, '{reserves}', '{"investBufferBps": 0}') WHERE status = 'adopted'`,
      );
      const excess = geniusExcess('2027-02-15');
      const before = await excess(f.ctx);
      const room = before.eligible - before.liabilities;
      assert.ok(room > 0n, `an excess to race for (${room})`);
      const amount = (room / 33n) as Micro; // 33 fit, 17 must be refused
      const fit = Number(room / amount);
      assert.ok(fit >= 33 && fit < racers);
      // Each proposed by the treasurer and approved by another person: the race is the
      // executions', where the excess is checked and spent in one atomic step.
      const { 'op-ann': ann } = await createApprovers(f, ['op-ann']);
      const approver: Actor = { kind: 'operator', id: 'op-ann', roles: ['approver'] };
      const approved: string[] = [];
      for (let n = 1; n <= racers; n++) {
        const request = await proposeInvestment(
          f.ctx,
          treasurer,
          {
            reference: `I-${n}`,
            name: 'btc',
            asset: 'bitcoin',
            amount,
            bank: 'bank-a',
            custodian: 'Coinbase Custody',
            jurisdiction: 'US',
          },
          excess,
        );
        const intent = investmentIntent(request);
        const done = await approveInvestment(
          f.ctx,
          approver,
          request.id,
          signApproval(intent, ann!.privateKey, 'op-ann'),
        );
        assert.equal(done.status, 'approved');
        approved.push(request.id);
      }
      let next = 0;
      const results = await race(() =>
        executeInvestment(f.ctx, treasurer, approved[next++]!, excess),
      );
      assert.ok(refusedOnly(results, 'reserves-no-excess'));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, fit);
      const after = await excess(f.ctx);
      assert.equal(after.eligible - after.liabilities, room - BigInt(fit) * amount);
      assert.ok(after.eligible >= after.liabilities);
    });

    it('two expenses executed at once that together pass the excess: exactly one is paid', async () => {
      // Income received so there is an excess again; each expense takes two thirds of it.
      await receiveIncome(f, usd('300000'));
      const excess = geniusExcess('2027-02-15');
      const before = await excess(f.ctx);
      const room = before.eligible - before.liabilities;
      assert.ok(room > 0n, `an excess to race for (${room})`);
      const amount = ((room * 2n) / 3n) as Micro;
      const { 'op-bob': bob } = await createApprovers(f, ['op-bob']);
      const approver: Actor = { kind: 'operator', id: 'op-bob', roles: ['approver'] };
      const approved: string[] = [];
      for (const category of ['audit', 'salaries']) {
        const request = await proposeInvestment(
          f.ctx,
          treasurer,
          {
            purpose: 'operating',
            reference: `E-${category}`,
            name: category,
            amount,
            bank: 'bank-a',
            payee: 'Audit & Payroll LLP',
            jurisdiction: 'US',
          },
          excess,
        );
        assert.equal(request.purpose, 'operating');
        const done = await approveInvestment(
          f.ctx,
          approver,
          request.id,
          signApproval(requestIntent(request), bob!.privateKey, 'op-bob'),
        );
        assert.equal(done.status, 'approved');
        approved.push(request.id);
      }
      const results = await Promise.allSettled(
        approved.map((id) => executeInvestment(f.ctx, treasurer, id, excess)),
      );
      assert.ok(refusedOnly(results, 'reserves-no-excess'));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const paid =
        (await f.balance('expenses:operating:audit')) +
        (await f.balance('expenses:operating:salaries'));
      assert.equal(paid, -amount); // credits − debits: an expense is on the debit side
      const after = await excess(f.ctx);
      assert.equal(after.eligible - after.liabilities, room - amount);
    });
  });
}
