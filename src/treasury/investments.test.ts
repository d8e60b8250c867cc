/**
 * Investments out of excess under quorum, on PGlite: one stolen credential (a treasurer's key,
 * an approver's key, or both roles of one person) moves no money out and lowers no buffer;
 * a forged approval row or an edited request is refused by the execution's re-verification;
 * an execution whose excess is gone by then is refused and changes nothing; a cancel and an
 * execution raced, one wins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClearpegError } from '../errors.ts';
import { createApprovers, type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { type ApproverKey, signApproval } from '../policy/approvals.ts';
import { intentHash } from '../policy/intent.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import { reservesCash } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import {
  approveInvestment,
  cancelInvestment,
  executeInvestment,
  expenseIntent,
  getInvestment,
  type InvestmentInput,
  investmentIntent,
  proposeInvestment,
} from './investments.ts';
import { acmeDeposit, geniusExcess, receiveIncome } from './testing.ts';

const usd = (text: string) => parseAmount(text) as Micro;
const _genius = loadRuleset('genius');

/** Rejects with a `ClearpegError` of `code`. */
async function refused(action: Promise<unknown>, code: string, field?: string): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof ClearpegError, String(error));
    assert.equal(error.code, code, error.message);
    if (field !== undefined) assert.equal(error.field, field, error.message);
    return true;
  });
}

describe('investments under quorum', () => {
  let f: IssuanceFixture;
  let keys: Record<string, ApproverKey>;
  const tess: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
  const ann: Actor = { kind: 'operator', id: 'op-ann', roles: ['approver'] };
  /** One person holding both roles: the worst single credential. */
  const alex: Actor = { kind: 'operator', id: 'op-alex', roles: ['treasurer', 'approver'] };
  const excess = geniusExcess('2026-11-20');
  let n = 0;
  const input = (amount: Micro): InvestmentInput => ({
    reference: `I-${++n}`,
    name: 'btc',
    asset: 'bitcoin',
    amount,
    bank: 'bank-a',
    custodian: 'Coinbase Custody',
    jurisdiction: 'US',
  });
  const sign = (request: Parameters<typeof investmentIntent>[0], id: string) =>
    signApproval(investmentIntent(request), keys[id]!.privateKey, id);
  /** Cash at bank-a and every investment's balance, as the ledger posts them. */
  const moved = async () => ({
    cash: await f.balance(reservesCash('bank-a').code),
    btc: await f.balance('investments:btc'),
  });

  before(async () => {
    f = await issuanceFixture();
    keys = await createApprovers(f, ['op-ann', 'op-alex']);
    await f.t.db.query(`UPDATE operators SET roles = '{treasurer,approver}' WHERE id = 'op-alex'`);
    await acmeDeposit(f, tess, usd('1000000'), '2026-11-20');
    // The issuer's own income, received in cash: eligible reserves 1,050,000 against 1,000,000
    // owed; at the default buffer of 200 bp the excess is 30,000.
    await receiveIncome(f, usd('50000'));
    const room = await excess(f.ctx);
    assert.deepEqual(room, { eligible: usd('1050000'), liabilities: usd('1000000') });
  });
  after(() => f?.close());

  it("one treasurer's key proposes, and moves nothing: it cannot approve or execute", async () => {
    const before = await moved();
    const request = await proposeInvestment(f.ctx, tess, input(usd('30000')), excess);
    assert.equal(request.status, 'pending-approval');
    assert.equal(request.approvalsRequired, 1);
    await refused(executeInvestment(f.ctx, tess, request.id, excess), 'investment-not-approved');
    // A treasurer holds no approver role; signing with someone else's key is not theirs.
    await refused(approveInvestment(f.ctx, tess, request.id, sign(request, 'op-ann')), 'forbidden');
    assert.deepEqual(await moved(), before);
    assert.equal((await getInvestment(f.ctx.db, request.id)).status, 'pending-approval');
  });

  it("an investment's intent is the one its vector pins; an expense's names its purpose", () => {
    const vector = {
      id: '019aa0b2-7c4e-7d1a-9f00-3b5e2c1d4a60',
      purpose: 'investment' as const,
      reference: 'I-2026-12-01',
      name: 'btc',
      asset: 'bitcoin' as const,
      amount: usd('250000'),
      bank: 'bank-a',
      custodian: 'Coinbase Custody',
      jurisdiction: 'US',
      period: null,
      statement: null,
    };
    // docs/formats.md and src/policy/vectors/approval-v1.json: unchanged by purposes.
    assert.equal(
      intentHash(investmentIntent(vector)),
      'f928ef546b0535b054f509a228b7e81dab5fedc93ae0c433794986a87265ea0a',
    );
    const expense = { ...vector, purpose: 'distribution' as const, asset: null };
    const intent = expenseIntent({ ...expense, period: { from: '2026-11-01', to: '2026-11-30' } });
    assert.equal(intent.kind, 'expense');
    assert.equal(intent.purpose, 'distribution');
    assert.equal(intent.period, '2026-11-01..2026-11-30');
    assert.equal(intent.payee, 'Coinbase Custody');
    assert.notEqual(intentHash(intent), intentHash(investmentIntent(vector)));
  });

  it("one treasurer's key cannot lower the buffer nor go past it", async () => {
    const lower = { ...input(usd('30000')), bufferBps: 0 } as unknown as InvestmentInput;
    await refused(proposeInvestment(f.ctx, tess, lower, excess), 'reserves-invalid', 'bufferBps');
    // 30,000.000001 is past the excess at the policy's 200 bp.
    await refused(
      proposeInvestment(f.ctx, tess, input(usd('30000.000001')), excess),
      'reserves-no-excess',
      'amount',
    );
  });

  it("one person's treasurer and approver roles with their own key: no self-approval", async () => {
    const before = await moved();
    const request = await proposeInvestment(f.ctx, alex, input(usd('1000')), excess);
    await refused(
      approveInvestment(f.ctx, alex, request.id, sign(request, 'op-alex')),
      'approval-self',
    );
    await refused(
      approveInvestment(f.ctx, alex, request.id, sign(request, 'op-ann')),
      'approval-not-yours',
    );
    await refused(executeInvestment(f.ctx, alex, request.id, excess), 'investment-not-approved');
    assert.deepEqual(await moved(), before);
  });

  it("one approver's key approves once; it cannot propose or execute", async () => {
    await refused(proposeInvestment(f.ctx, ann, input(usd('1000')), excess), 'forbidden');
    const request = await proposeInvestment(f.ctx, tess, input(usd('1000')), excess);
    const approved = await approveInvestment(f.ctx, ann, request.id, sign(request, 'op-ann'));
    assert.equal(approved.status, 'approved');
    await refused(executeInvestment(f.ctx, ann, request.id, excess), 'forbidden');
    // The same approval again (its first answer lost): answered, counted once.
    const again = await approveInvestment(f.ctx, ann, request.id, sign(request, 'op-ann'));
    assert.equal(again.status, 'approved');
    const { rows } = await f.t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM approvals WHERE subject_kind = 'investment' AND subject_id = $1",
      [request.id],
    );
    assert.equal(rows[0]!.n, 1);
  });

  it('with a second person, it executes: the transfer, the position and the status at once', async () => {
    const before = await moved();
    const request = await proposeInvestment(f.ctx, tess, input(usd('10000')), excess);
    await approveInvestment(f.ctx, ann, request.id, sign(request, 'op-ann'));
    const { request: done, position } = await executeInvestment(f.ctx, tess, request.id, excess);
    assert.equal(done.status, 'executed');
    assert.equal(position?.position.id, 'investment:btc');
    assert.deepEqual(await moved(), {
      cash: before.cash + usd('10000'), // credits − debits: cash is an asset
      btc: before.btc - usd('10000'),
    });
    await refused(executeInvestment(f.ctx, tess, request.id, excess), 'investment-not-approved');
    assert.deepEqual((await moved()).btc, before.btc - usd('10000'));
  });

  it('a forged approval row or an edited request is refused at execution, with an alert', async () => {
    const before = await moved();
    const forged = await proposeInvestment(f.ctx, tess, input(usd('1000')), excess);
    // A database edit: an approval row the approver never signed, and the status moved on.
    const other = sign({ ...forged, amount: usd('1') }, 'op-ann');
    await f.t.db.query(
      `INSERT INTO approvals (subject_kind, subject_id, approver_id, public_key, intent_hash, signature, approved_at_us)
       VALUES ('investment', $1, 'op-ann', $2, $3, $4, 0)`,
      [
        forged.id,
        Buffer.from(other.publicKey, 'hex'),
        Buffer.from(other.intentHash, 'hex'),
        Buffer.from(other.signature, 'hex'),
      ],
    );
    await f.t.db.query(`UPDATE investment_requests SET status = 'approved' WHERE id = $1`, [
      forged.id,
    ]);
    await refused(executeInvestment(f.ctx, tess, forged.id, excess), 'quorum-reverify-failed');
    // Approved honestly, then its amount edited by hand.
    const edited = await proposeInvestment(f.ctx, tess, input(usd('1000')), excess);
    await approveInvestment(f.ctx, ann, edited.id, sign(edited, 'op-ann'));
    await f.t.db.query(`UPDATE investment_requests SET amount = 15000000000 WHERE id = $1`, [
      edited.id,
    ]);
    await refused(executeInvestment(f.ctx, tess, edited.id, excess), 'quorum-reverify-failed');
    assert.deepEqual(await moved(), before);
    const { rows } = await f.t.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM alerts WHERE kind = 'approval-forged'`,
    );
    assert.equal(rows[0]!.n, '2');
  });

  it('an approved investment whose excess is gone by its execution is refused, and waits', async () => {
    // 30,000 − 10,000 executed = 20,000 of excess: two approved requests of 15,000 each fit
    // when proposed, one at a time, but not both.
    const first = await proposeInvestment(f.ctx, tess, input(usd('15000')), excess);
    const secondInput = input(usd('15000'));
    const second = await proposeInvestment(f.ctx, tess, secondInput, excess);
    for (const request of [first, second])
      await approveInvestment(f.ctx, ann, request.id, sign(request, 'op-ann'));
    await executeInvestment(f.ctx, tess, first.id, excess);
    const before = await moved();
    await refused(
      executeInvestment(f.ctx, tess, second.id, excess),
      'reserves-no-excess',
      'amount',
    );
    assert.deepEqual(await moved(), before);
    assert.equal((await getInvestment(f.ctx.db, second.id)).status, 'approved');
    // Proposed again, the same request (though it would not fit now); other terms are refused.
    const again = await proposeInvestment(f.ctx, tess, secondInput, excess);
    assert.deepEqual([again.id, again.status], [second.id, 'approved']);
    await refused(
      proposeInvestment(f.ctx, tess, { ...secondInput, amount: usd('1') }, excess),
      'investment-reference-taken',
      'reference',
    );
    const cancelled = await cancelInvestment(f.ctx, ann, second.id, { reason: 'no excess left' });
    assert.equal(cancelled.status, 'cancelled');
    await refused(executeInvestment(f.ctx, tess, second.id, excess), 'investment-not-approved');
  });

  it('a cancel and an execution raced: exactly one wins', async () => {
    // A fresh income, so that the execution has the excess to win with.
    await receiveIncome(f, usd('20000'));
    const request = await proposeInvestment(f.ctx, tess, input(usd('1000')), excess);
    await approveInvestment(f.ctx, ann, request.id, sign(request, 'op-ann'));
    const before = await moved();
    const [executed, cancelled] = await Promise.allSettled([
      executeInvestment(f.ctx, tess, request.id, excess),
      cancelInvestment(f.ctx, tess, request.id, { reason: 'changed our mind' }),
    ]);
    const wins = [executed, cancelled].filter((r) => r.status === 'fulfilled').length;
    assert.equal(wins, 1, `${executed.status} ${cancelled.status}`);
    const status = (await getInvestment(f.ctx.db, request.id)).status;
    const after = await moved();
    if (status === 'executed') assert.equal(after.btc, before.btc - usd('1000'));
    else {
      assert.equal(status, 'cancelled');
      assert.deepEqual(after, before);
    }
  });
});
