/**
 * The whole machine, end to end, on PGlite and on PostgreSQL: $5,000,000 deposited, minted
 * with two approvals, final on chain; the tokens sent back to the customer's redemption
 * address, credited at par less the fee, burned; the payout made, approved by a checker and
 * sent. At every step the chain and the ledger agree and the ledger balances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWalletClient, custom, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import { defaultChains } from '../chain/config.ts';
import { checkParity } from '../chain/parity.ts';
import type { IssuerChain, TokenRecord } from '../chain/runtime.ts';
import { ChainWorker } from '../chain/worker.ts';
import { formatAmount, type Micro, parseAmount } from '../money/money.ts';
import { type ApproverKey, signApproval } from '../policy/approvals.ts';
import { postgresUnavailable, type TestBackend } from '../storage/testing.ts';
import { supplyAccountSpec } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import { verifyAudit } from '../workflow/audit-store.ts';
import { createCustomer, redemptionAddressOf, registerWallet, setKyc } from './customers.ts';
import { recordDeposit } from './deposits.ts';
import { approveMint, getMint, mintIntent, requestMint } from './mint.ts';
import { createOperator } from './operators.ts';
import {
  approvePayout,
  cancelPayout,
  createPayout,
  getPayout,
  markPayoutSent,
  payoutIntent,
} from './payouts.ts';
import {
  checkRedemptionDeadlines,
  getRedemption,
  listRedemptions,
  redemptionFee,
  redemptionQuote,
} from './redemption.ts';
import type { SanctionsList } from './sanctions.ts';
import {
  createApprovers,
  type IssuanceFixture,
  type IssuerChainFixture,
  issuanceFixture,
  issuerChainFixture,
} from './testing.ts';
import { issuanceSettle } from './worker.ts';

const usd = (text: string) => parseAmount(text);
const config = defaultChains[0]!;
const chainId = config.chainId;
const customerId = 'CUST-0001';

const skipPostgres = await postgresUnavailable();
for (const backend of ['pglite', 'postgres'] as TestBackend[]) {
  describe(`issuance end to end on ${backend}`, {
    skip: backend === 'postgres' ? skipPostgres : undefined,
  }, () => {
    let f: IssuanceFixture;
    let c: IssuerChainFixture;
    let chain: IssuerChain;
    let token: TokenRecord;
    let worker: ChainWorker;
    let holder: Hex;
    let holderKey: Hex;
    let keys: Record<string, ApproverKey> = {};
    const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
    const approver = (id: string): Actor => ({ kind: 'operator', id, roles: ['approver'] });

    const balanceOf = (address: Hex) =>
      chain.client.readContract({
        address: token.address,
        abi: clearpegTokenAbi,
        functionName: 'balanceOf',
        args: [address],
      }) as Promise<bigint>;
    const totalSupply = () =>
      chain.client.readContract({
        address: token.address,
        abi: clearpegTokenAbi,
        functionName: 'totalSupply',
      }) as Promise<bigint>;
    /** Σ debits and Σ credits over every ledger account, posted. */
    const ledgerTotals = async () => {
      const { rows } = await f.t.db.query<{ debits: string; credits: string }>(
        'SELECT sum(debits_posted)::text AS debits, sum(credits_posted)::text AS credits FROM ledger_accounts',
      );
      return { debits: BigInt(rows[0]!.debits), credits: BigInt(rows[0]!.credits) };
    };
    const parityHolds = async () => {
      const supplyAccount = (await f.ctx.ledger.ensureAccount(supplyAccountSpec(chainId))).id;
      const result = await checkParity({
        db: f.t.db,
        client: chain.client,
        chainId,
        token: token.address,
        finalityDepth: config.finalityDepth,
        supplyAccount,
      });
      assert.ok(result !== undefined, 'parity was checked');
      assert.equal(
        result.ok,
        true,
        `parity: circulating ${result.circulating}, ledger ${result.ledgerSupply}`,
      );
      return result;
    };
    /** Ticks the worker until `done` holds (each tick mines at most a few blocks). */
    const tickUntil = async (done: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 20; i++) {
        await worker.tick();
        if (await done()) return;
      }
      assert.fail(`not reached after 20 ticks: ${what}`);
    };

    /** A treasurer's payout of the customer's fiat to 'Acme' at bank-a. */
    const payAcme = (amount: Micro, more: { redemptionId?: string } = {}) =>
      createPayout(f.ctx, treasurer, {
        customerId,
        amount,
        bank: 'bank-a',
        beneficiary: 'Acme',
        ...more,
      });
    /** Books a deposit, mints it to the holder with these approvals, ticks until final. */
    const depositAndMint = async (reference: string, amount: Micro, approvers: string[]) => {
      await recordDeposit(f.ctx, treasurer, {
        reference,
        bank: 'bank-a',
        amount,
        customerId,
        bookingDate: '2026-11-20',
      });
      const request = await requestMint(f.ctx, treasurer, {
        customerId,
        chainId,
        to: holder,
        amount,
      });
      for (const id of approvers)
        await approveMint(
          f.ctx,
          approver(id),
          request.id,
          signApproval(mintIntent(request), keys[id]!.privateKey, id),
        );
      await tickUntil(
        async () => (await getMint(f.t.db, request.id)).status === 'final',
        `mint ${reference} final`,
      );
      return request;
    };

    before(async () => {
      f = await issuanceFixture(backend);
      c = await issuerChainFixture(f);
      ({ chain, token, worker } = c);
      await createOperator(f.t.db, { id: 'op-tess', name: 'Tess', roles: ['treasurer'] });
      keys = await createApprovers(f, ['op-ann', 'op-bob']);
      const account = chain.local!.accounts[4]!;
      holder = account.address.toLowerCase() as Hex;
      holderKey = account.privateKey;
      await createCustomer(f.ctx, f.operator('compliance'), {
        id: customerId,
        name: 'Acme Treasury LLC',
      });
      await setKyc(f.ctx, f.operator('compliance'), customerId, 'approved');
      await registerWallet(f.ctx, f.operator('compliance'), {
        customerId,
        chainId,
        address: holder,
      });
    });
    after(async () => {
      await c?.close();
      await f?.close();
    });

    it('deposit → mint with two approvals → redeem → burn → fee → payout; parity and Σ hold throughout', async () => {
      const request = await depositAndMint('FED-20261120-1', usd('5000000'), ['op-ann', 'op-bob']);
      assert.equal(request.approvalsRequired, 2);
      await worker.tick(); // parity checked at the mint's block
      assert.equal(await balanceOf(holder), usd('5000000'));
      assert.equal(await f.balance(`supply:${chainId}`), usd('5000000'));
      assert.equal(formatAmount(await f.balance(`supply:${chainId}`)), '5000000.000000');
      assert.equal(await f.balance(`customers:${customerId}:fiat`), 0n, 'the fiat became tokens');
      await parityHolds();

      // The customer asks how to redeem, then sends the tokens from their own wallet.
      const quote = await redemptionQuote(f.ctx, treasurer, {
        customerId,
        chainId,
        amount: usd('5000000'),
      });
      assert.equal(quote.fee, usd('1000'), '10 bps of $5M is $5,000, capped at $1,000');
      const wallet = createWalletClient({
        account: privateKeyToAccount(holderKey),
        transport: custom(chain.local!.provider),
      });
      await wallet.writeContract({
        address: token.address,
        abi: clearpegTokenAbi,
        functionName: 'transfer',
        args: [quote.redemptionAddress, usd('5000000')],
        chain: null,
      });
      await tickUntil(
        async () =>
          (await listRedemptions(f.t.db, { customerId, limit: 10 }))[0]?.status === 'burned',
        'redemption burned',
      );
      const [redemption] = await listRedemptions(f.t.db, { customerId, limit: 10 });
      assert.ok(redemption !== undefined);
      assert.equal(redemption.amount, usd('5000000'));
      assert.equal(redemption.fee, usd('1000'));
      assert.equal(redemption.net, usd('4999000'));
      assert.equal(redemption.redemptionAddress, quote.redemptionAddress);
      assert.ok(redemption.dueAtUs > redemption.createdAtUs, 'a T+1 deadline');
      assert.equal(await totalSupply(), 0n, 'burned on chain');
      assert.equal(await balanceOf(quote.redemptionAddress), 0n);
      assert.equal(await f.balance(`supply:${chainId}`), 0n);
      assert.equal(await f.balance('income:fees'), usd('1000'));
      assert.equal(await f.balance(`customers:${customerId}:fiat`), usd('4999000'));
      await worker.tick();
      await parityHolds();

      // The payout: a treasurer makes it, the maker cannot check it, an approver does.
      const payout = await createPayout(f.ctx, treasurer, {
        customerId,
        amount: redemption.net,
        bank: 'bank-a',
        beneficiary: 'Acme Treasury LLC, ABA 021000021, account 123456789',
        redemptionId: redemption.id,
      });
      assert.equal(payout.dueAtUs, redemption.dueAtUs);
      await assert.rejects(
        payAcme(usd('1')),
        { code: 'payout-exceeds-balance' },
        'the redeemed fiat is reserved by the first payout',
      );
      await assert.rejects(
        markPayoutSent(f.ctx, treasurer, payout.id, { bankReference: 'FED-OUT-1' }),
        { code: 'payout-not-approved' },
      );
      const makerAsApprover: Actor = { kind: 'operator', id: 'op-tess', roles: ['approver'] };
      await assert.rejects(
        approvePayout(
          f.ctx,
          makerAsApprover,
          payout.id,
          signApproval(payoutIntent(payout), keys['op-ann']!.privateKey, 'op-tess'),
        ),
        { code: 'approval-self' },
      );
      const approved = await approvePayout(
        f.ctx,
        approver('op-ann'),
        payout.id,
        signApproval(payoutIntent(payout), keys['op-ann']!.privateKey, 'op-ann'),
      );
      assert.equal(approved.status, 'approved');
      const sent = await markPayoutSent(f.ctx, treasurer, payout.id, {
        bankReference: 'FED-OUT-1',
      });
      assert.equal(sent.status, 'sent');
      assert.equal((await getPayout(f.t.db, payout.id)).bankReference, 'FED-OUT-1');
      await assert.rejects(cancelPayout(f.ctx, treasurer, payout.id, { reason: 'too late' }), {
        code: 'payout-not-pending-approval',
      });
      assert.equal(await f.balance(`customers:${customerId}:fiat`), 0n);
      assert.equal(
        await f.balance('reserves:cash:bank-a'),
        -usd('1000'),
        'cash: 5M in, 4.999M out: the fee stays',
      );
      assert.equal(await f.balance('income:fees'), usd('1000'));

      const totals = await ledgerTotals();
      assert.equal(totals.debits, totals.credits, 'Σ debits = Σ credits');
      await worker.tick();
      await parityHolds();
      assert.equal((await verifyAudit(f.t.db)).ok, true, 'the audit log chains');
      const surge = await f.t.db.query(`SELECT 1 FROM alerts WHERE kind = 'redemptions-surge'`);
      assert.equal(surge.rows.length, 1, 'the whole supply redeemed in a day: one alert');
    });

    it('a cancelled payout gives the fiat back; a second redemption is credited once however often the worker runs', async () => {
      await recordDeposit(f.ctx, treasurer, {
        reference: 'FED-20261120-2',
        bank: 'bank-a',
        amount: usd('100'),
        customerId,
        bookingDate: '2026-11-20',
      });
      const payout = await payAcme(usd('100'));
      assert.equal(
        await f.balance(`customers:${customerId}:fiat`),
        usd('100'),
        'reserved, not spent',
      );
      await assert.rejects(
        createPayout(f.ctx, treasurer, {
          customerId,
          amount: usd('1'),
          bank: 'bank-a',
          beneficiary: 'Cafe\u0301 GmbH', // 'e' + combining acute: not NFC, so not signable
        }),
        { code: 'payout-invalid', field: 'beneficiary' },
      );
      await cancelPayout(f.ctx, treasurer, payout.id, { reason: 'customer asked' });
      await assert.rejects(
        createPayout(f.ctx, treasurer, {
          customerId,
          amount: usd('100'),
          bank: 'bank-nowhere',
          beneficiary: 'Acme',
        }),
        { code: 'bank-unknown', field: 'bank' },
      );
      assert.equal((await getPayout(f.t.db, payout.id)).status, 'cancelled');
      const again = await payAcme(usd('100'));
      assert.equal(again.status, 'pending-approval', 'the cancelled reservation was released');
      await cancelPayout(f.ctx, treasurer, again.id, { reason: 'test' });

      const before = await listRedemptions(f.t.db, { limit: 100 });
      for (let i = 0; i < 3; i++) await worker.tick();
      assert.equal((await listRedemptions(f.t.db, { limit: 100 })).length, before.length);
      const first = before[0]!;
      assert.equal((await getRedemption(f.t.db, first.id)).status, 'burned');
    });

    it('an unpaid redemption is overdue after T+1; a listed sender is held in suspense, not burned', async () => {
      const request = await depositAndMint('FED-20261120-3', usd('1000'), ['op-ann']);
      assert.equal(request.approvalsRequired, 1);
      const { redemptionAddress } = await redemptionQuote(f.ctx, treasurer, {
        customerId,
        chainId,
      });
      const wallet = createWalletClient({
        account: privateKeyToAccount(holderKey),
        transport: custom(chain.local!.provider),
      });
      const send = (amount: bigint) =>
        wallet.writeContract({
          address: token.address,
          abi: clearpegTokenAbi,
          functionName: 'transfer',
          args: [redemptionAddress, amount],
          chain: null,
        });
      const redeemedBefore = (await listRedemptions(f.t.db, { limit: 100 })).length;
      await send(usd('400'));
      await tickUntil(
        async () => (await listRedemptions(f.t.db, { limit: 100 })).length > redeemedBefore,
        'redemption credited',
      );
      const [unpaid] = await listRedemptions(f.t.db, { limit: 1 });
      assert.equal(unpaid!.amount, usd('400'));
      assert.equal(unpaid!.fee, usd('0.4'), '10 bps');
      assert.equal(
        unpaid!.status === 'credited' ||
          unpaid!.status === 'burning' ||
          unpaid!.status === 'burned',
        true,
      );
      assert.deepEqual(await checkRedemptionDeadlines(f.ctx), [], 'not due yet');
      const later = { ...f.ctx, clockUs: () => f.ctx.clockUs() + 8n * 86_400_000_000n };
      assert.deepEqual(
        await checkRedemptionDeadlines(later),
        [unpaid!.id],
        'unpaid after T+1: overdue',
      );
      assert.deepEqual(await checkRedemptionDeadlines(later), [], 'alerted once');

      // The holder's address is listed by OFAC after the mint: their redemption is held.
      const shipped = f.ctx.sanctions;
      const listed: SanctionsList = {
        ...shipped,
        source: 'test list',
        has: (address) =>
          address.toLowerCase() === holder
            ? {
                address: holder,
                assets: ['ETH'],
                profileIds: [],
                source: 'test list',
                asOf: '2026-11-22',
              }
            : shipped.has(address),
      };
      const heldWorker = new ChainWorker({
        db: f.t.db,
        ledger: f.ctx.ledger,
        chain,
        token,
        log: () => {},
        settle: issuanceSettle({ ...f.ctx, sanctions: listed }, chain, token),
      });
      const supplyBefore = await f.balance(`supply:${chainId}`);
      await send(usd('600'));
      for (let i = 0; i < 4; i++) await heldWorker.tick();
      const [held] = await listRedemptions(f.t.db, { status: 'held', limit: 1 });
      assert.ok(held !== undefined, 'held');
      assert.equal(held.amount, usd('600'));
      assert.equal(held.net, 0n);
      assert.match(held.refusal ?? '', /sanctions list/);
      assert.equal(await f.balance('suspense:redemptions'), usd('600'));
      assert.equal(await f.balance(`supply:${chainId}`), supplyBefore - usd('600'));
      assert.equal(await balanceOf(redemptionAddress), usd('600'), 'held tokens are not burned');
      const alerts = await f.t.db.query<{ subject: string }>(
        `SELECT subject FROM alerts WHERE kind = 'sanctions-hit'`,
      );
      assert.deepEqual(
        alerts.rows.map((r) => r.subject),
        [`redemption ${held.id}`],
      );
      await assert.rejects(payAcme(usd('1'), { redemptionId: held.id }), {
        code: 'payout-invalid',
        field: 'redemptionId',
      });
      await heldWorker.tick();
      await parityHolds();
      // Pages, newest first, by credit time (ids are named by chain events, not time-ordered).
      const all = await listRedemptions(f.t.db, { limit: 10 });
      assert.deepEqual(
        all.map((r) => r.amount),
        [usd('600'), usd('400'), usd('5000000')],
      );
      const [one] = await listRedemptions(f.t.db, { limit: 1 });
      const rest = await listRedemptions(f.t.db, { limit: 10, after: one!.id });
      assert.deepEqual(
        rest.map((r) => r.id),
        all.slice(1).map((r) => r.id),
      );
      const totals = await ledgerTotals();
      assert.equal(totals.debits, totals.credits);
    });
  });
}

describe('the redemption address', () => {
  it('is the documented derivation (docs/formats.md vector)', () => {
    assert.equal(
      redemptionAddressOf('0x5fbdb2315678afecb367f032d93f642f64180aa3', 'CUST-0001'),
      '0x37b8d18e6184efae2a98428c4bd967c61d000900',
    );
    assert.notEqual(
      redemptionAddressOf('0x5fbdb2315678afecb367f032d93f642f64180aa3', 'CUST-0002'),
      redemptionAddressOf('0x5fbdb2315678afecb367f032d93f642f64180aa3', 'CUST-0001'),
    );
  });
});

describe('the redemption fee', () => {
  const schedule = { feeBps: 10, feeMin: usd('1'), feeMax: usd('1000') };
  it('is a share rounded down, then bounded, and never more than the amount', () => {
    assert.equal(redemptionFee(usd('5000000'), schedule), usd('1000'));
    assert.equal(redemptionFee(usd('12345.678901'), schedule), usd('12.345678'));
    assert.equal(redemptionFee(usd('100'), schedule), usd('1'), 'the minimum');
    assert.equal(redemptionFee(usd('0.5'), schedule), usd('0.5'), 'never more than the amount');
    assert.equal(
      redemptionFee(usd('100'), { feeBps: 0, feeMin: 0n as never, feeMax: 0n as never }),
      0n,
    );
  });
});
