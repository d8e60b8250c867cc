/**
 * Mints end to end on the in-process chain: a deposit, a request, approvals signed by the
 * approvers' own keys, the chain writer's re-verification, finality, parity; and the ways a
 * single stolen credential or a database edit tries to mint, each refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import { defaultChains } from '../chain/config.ts';
import { trippedBreakers } from '../chain/parity.ts';
import type { IssuerChain, TokenRecord } from '../chain/runtime.ts';
import type { ChainWorker } from '../chain/worker.ts';
import { parseAmount } from '../money/money.ts';
import { type ApproverKey, signApproval } from '../policy/approvals.ts';
import type { Actor } from '../workflow/actors.ts';
import { verifyAudit } from '../workflow/audit-store.ts';
import { requestKeyOf } from '../workflow/request-key.ts';
import { createCustomer, registerWallet, setKyc } from './customers.ts';
import { recordDeposit } from './deposits.ts';
import {
  approveMint,
  getMint,
  MintRefusedError,
  mintIntent,
  requestMint,
  writeMints,
} from './mint.ts';
import { createOperator } from './operators.ts';
import {
  createApprovers,
  type IssuanceFixture,
  type IssuerChainFixture,
  issuanceFixture,
  issuerChainFixture,
} from './testing.ts';

const usd = (text: string) => parseAmount(text);
const config = defaultChains[0]!;
const chainId = config.chainId;

describe('mint, end to end on the in-process chain', () => {
  let f: IssuanceFixture;
  let c: IssuerChainFixture;
  let chain: IssuerChain;
  let token: TokenRecord;
  let worker: ChainWorker;
  let holder: Hex;
  let keys: Record<string, ApproverKey> = {};
  const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
  const approver = (id: string): Actor => ({ kind: 'operator', id, roles: ['approver'] });

  before(async () => {
    f = await issuanceFixture();
    c = await issuerChainFixture(f);
    ({ chain, token, worker } = c);
    await createOperator(f.t.db, { id: 'op-tess', name: 'Tess', roles: ['treasurer'] });
    keys = await createApprovers(f, ['op-ann', 'op-bob', 'op-cat']);
    holder = chain.local!.accounts[3]!.address.toLowerCase() as Hex;
    await createCustomer(f.ctx, f.operator('compliance'), {
      id: 'CUST-0001',
      name: 'Acme Treasury LLC',
    });
    await setKyc(f.ctx, f.operator('compliance'), 'CUST-0001', 'approved');
    await registerWallet(f.ctx, f.operator('compliance'), {
      customerId: 'CUST-0001',
      chainId,
      address: holder,
    });
    await recordDeposit(f.ctx, treasurer, {
      reference: 'FED-1',
      bank: 'bank-a',
      amount: usd('5000000'),
      customerId: 'CUST-0001',
      bookingDate: '2026-11-20',
    });
  });
  after(async () => {
    await c.close();
    await f.close();
  });

  const sign = async (requestId: string, approverId: string) =>
    signApproval(
      mintIntent(await getMint(f.t.db, requestId)),
      keys[approverId]!.privateKey,
      approverId,
    );

  it('a $5,000,000 deposit → request → two approvals → final on chain; chain and ledger agree', async () => {
    const request = await requestMint(f.ctx, treasurer, {
      customerId: 'CUST-0001',
      chainId,
      to: holder,
      amount: usd('5000000'),
    });
    assert.equal(request.approvalsRequired, 2, 'the tier above $1,000,000 asks two');
    assert.equal(
      await f.balance('customers:CUST-0001:fiat'),
      usd('5000000'),
      'reserved, not yet spent',
    );
    await assert.rejects(
      approveMint(
        f.ctx,
        { kind: 'operator', id: 'op-tess', roles: ['approver'] },
        request.id,
        await sign(request.id, 'op-ann'),
      ),
      { code: 'approval-not-yours' },
    );
    const one = await approveMint(
      f.ctx,
      approver('op-ann'),
      request.id,
      await sign(request.id, 'op-ann'),
    );
    assert.equal(one.status, 'pending-approval');
    await worker.tick();
    assert.equal(
      (await getMint(f.t.db, request.id)).status,
      'pending-approval',
      'one approval sends nothing',
    );
    const two = await approveMint(
      f.ctx,
      approver('op-bob'),
      request.id,
      await sign(request.id, 'op-bob'),
    );
    assert.equal(two.status, 'approved');
    await worker.tick(); // writes the mint (mined and final at once: depth 1)
    const tick = await worker.tick(); // settles it, then checks parity
    const done = await getMint(f.t.db, request.id);
    assert.equal(done.status, 'final');
    const onChain = await chain.client.readContract({
      address: token.address,
      abi: clearpegTokenAbi,
      functionName: 'balanceOf',
      args: [holder],
    });
    assert.equal(onChain, usd('5000000'));
    assert.equal(await f.balance(`supply:${chainId}`), usd('5000000'));
    assert.equal(await f.balance('customers:CUST-0001:fiat'), 0n);
    assert.equal(tick.parity?.ok, true);
    assert.equal(tick.parity?.circulating, usd('5000000'));
    // An approval run again once the mint is final (its first answer lost) is answered as the
    // first was, and counts nothing new; a new approval of a final mint is refused.
    const approvals = async () =>
      (
        await f.t.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM approvals WHERE subject_kind = 'mint' AND subject_id = $1",
          [request.id],
        )
      ).rows[0]!.n;
    const again = await approveMint(
      f.ctx,
      approver('op-bob'),
      request.id,
      await sign(request.id, 'op-bob'),
    );
    assert.equal(again.status, 'final');
    assert.equal(await approvals(), 2);
    await assert.rejects(
      approveMint(f.ctx, approver('op-cat'), request.id, await sign(request.id, 'op-cat')),
      (error: unknown) => error instanceof Error && /is final/.test(error.message),
    );
    assert.equal(await approvals(), 2);
  });

  it('the 300-trillion mint is refused with every reason at once, and changes nothing', async () => {
    const before = await f.t.db.query('SELECT count(*)::int AS n FROM mint_requests');
    await assert.rejects(
      requestMint(f.ctx, treasurer, {
        customerId: 'CUST-0001',
        chainId,
        to: holder,
        amount: usd('300000000000000'),
      }),
      (error: unknown) => {
        assert.ok(error instanceof MintRefusedError);
        const codes = error.violations.map((v) => v.code);
        for (const code of ['fiat-not-posted', 'over-transaction-cap', 'over-hourly-velocity'])
          assert.ok(codes.includes(code as never), `${code} in ${codes.join(', ')}`);
        return true;
      },
    );
    const afterwards = await f.t.db.query('SELECT count(*)::int AS n FROM mint_requests');
    assert.deepEqual(afterwards.rows, before.rows);
  });

  it('a mint to an unregistered or sanctioned address is refused by name', async () => {
    await assert.rejects(
      requestMint(f.ctx, treasurer, {
        customerId: 'CUST-0001',
        chainId,
        to: chain.local!.accounts[5]!.address,
        amount: usd('1'),
      }),
      { code: 'wallet-not-registered', field: 'to' },
    );
    await assert.rejects(
      requestMint(f.ctx, treasurer, {
        customerId: 'CUST-0001',
        chainId,
        to: '0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1',
        amount: usd('1'),
      }),
      { code: 'sanctions-hit', field: 'to' },
    );
  });

  it("one approver's credential: no self-approval, no replayed signature, no forged row", async () => {
    await recordDeposit(f.ctx, treasurer, {
      reference: 'FED-2',
      bank: 'bank-a',
      amount: usd('3000'),
      customerId: 'CUST-0001',
      bookingDate: '2026-11-21',
    });
    // An approver who initiates (as the customer's treasurer, say) cannot count for it.
    const ann: Actor = { kind: 'operator', id: 'op-ann', roles: ['treasurer', 'approver'] };
    const own = await requestMint(f.ctx, ann, {
      customerId: 'CUST-0001',
      chainId,
      to: holder,
      amount: usd('1000'),
    });
    await assert.rejects(approveMint(f.ctx, ann, own.id, await sign(own.id, 'op-ann')), {
      code: 'approval-self',
    });

    const request = await requestMint(f.ctx, treasurer, {
      customerId: 'CUST-0001',
      chainId,
      to: holder,
      amount: usd('2000'),
    });
    // A signature made for another request does not verify over this one.
    await assert.rejects(
      approveMint(f.ctx, approver('op-bob'), request.id, await sign(own.id, 'op-bob')),
      {
        code: 'approval-invalid',
      },
    );
    // The database edited by hand: an approval row with a made-up signature, the status set.
    await f.t.db.query(
      `INSERT INTO approvals (subject_kind, subject_id, approver_id, public_key, intent_hash, signature, approved_at_us)
       VALUES ('mint', $1, 'op-cat', $2, $3, $4, 1)`,
      [
        request.id,
        Buffer.from(keys['op-cat']!.publicKey, 'hex'),
        Buffer.alloc(32, 7),
        Buffer.alloc(64, 9),
      ],
    );
    await f.t.db.query(`UPDATE mint_requests SET status = 'approved' WHERE id = $1`, [request.id]);
    const written = await writeMints(f.ctx, chain, token);
    assert.deepEqual(written, { submitted: [], refused: [request.id] });
    const refused = await getMint(f.t.db, request.id);
    assert.equal(refused.status, 'failed');
    assert.match(refused.failure ?? '', /^quorum-reverify-failed/);
    const { rows } = await f.t.db.query<{ kind: string }>(
      `SELECT kind FROM alerts WHERE kind = 'approval-forged'`,
    );
    assert.equal(rows.length, 1);
    const supply = await chain.client.readContract({
      address: token.address,
      abi: clearpegTokenAbi,
      functionName: 'totalSupply',
    });
    assert.equal(supply, usd('5000000'), 'nothing more was minted');
    assert.equal(
      await f.balance('customers:CUST-0001:fiat'),
      usd('3000'),
      'the reservation was released',
    );
  });

  it('two runs of one API request at once make one mint request (its request key)', async () => {
    const requestKey = requestKeyOf('op-tess', 'raced-key');
    const input = { customerId: 'CUST-0001', chainId, to: holder, amount: usd('11'), requestKey };
    const count = async () =>
      (await f.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mint_requests')).rows[0]!
        .n;
    const before = await count();
    const made = await Promise.all([
      requestMint(f.ctx, treasurer, input),
      requestMint(f.ctx, treasurer, input),
      requestMint(f.ctx, treasurer, input),
    ]);
    assert.equal(new Set(made.map((m) => m.id)).size, 1, 'one request for the three runs');
    assert.equal(await count(), before + 1);
    const { rows } = await f.t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM ledger_journal WHERE id = $1',
      [made[0]!.ledgerPending],
    );
    assert.equal(rows[0]!.n, 1, 'one reservation');
  });

  it('a mint sent by a process killed before it marked the request submitted is settled before parity counts it', async () => {
    const request = await requestMint(f.ctx, treasurer, {
      customerId: 'CUST-0001',
      chainId,
      to: holder,
      amount: usd('1000'),
    });
    await approveMint(f.ctx, approver('op-ann'), request.id, await sign(request.id, 'op-ann'));
    const supplyBefore = await f.balance(`supply:${chainId}`);
    // What writeMints did before the kill: the transaction stored and sent (mined at once,
    // final at depth 1), the request still approved.
    await chain.connector.submit(`mint:${request.id}`, {
      to: token.address,
      function: 'mint',
      args: [request.to, request.amount],
    });
    assert.equal((await getMint(f.t.db, request.id)).status, 'approved');
    const tick = await worker.tick();
    assert.equal(
      tick.parity?.ok,
      true,
      JSON.stringify(tick.parity, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    assert.equal((await getMint(f.t.db, request.id)).status, 'final');
    assert.equal(await f.balance(`supply:${chainId}`), supplyBefore + usd('1000'));
    assert.deepEqual(await trippedBreakers(f.t.db), []);
  });

  it('the audit log verifies and holds the refusals', async () => {
    assert.equal((await verifyAudit(f.t.db)).ok, true);
    const { rows } = await f.t.db.query<{ action: string; outcome: string }>(
      `SELECT action, outcome FROM audit_log WHERE outcome = 'refused'`,
    );
    assert.ok(rows.some((r) => r.action === 'mint.approve'));
    assert.ok(rows.some((r) => r.action === 'mint.request'));
    assert.ok(rows.some((r) => r.action === 'mint.write'));
  });
});
