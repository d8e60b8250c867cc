/**
 * Governance under quorum, on PGlite and the in-process chain: one stolen operator credential
 * (each role in turn, an admin's and an approver's included) cannot raise a limit, add an
 * approver, lift a breaker or unpause, and changes nothing trying; two other approvers'
 * signatures adopt a change and it takes effect; a forged approval row is refused by the chain
 * writer; a body is checked field by field.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import { defaultChains } from '../chain/config.ts';
import { assertMintingOpen } from '../chain/parity.ts';
import type { IssuerChain, TokenRecord } from '../chain/runtime.ts';
import { parseAmount } from '../money/money.ts';
import { type ApproverKey, generateApproverKey, signApproval } from '../policy/approvals.ts';
import { mintBreaker } from '../policy/breakers.ts';
import { intentHash } from '../policy/intent.ts';
import type { Actor } from '../workflow/actors.ts';
import { verifyAudit } from '../workflow/audit-store.ts';
import {
  applyChainChanges,
  approveChange,
  type Change,
  changeBodySha256,
  changeIntent,
  generateApiKey,
  getChange,
  listChanges,
  proposeChange,
  tripBreaker,
} from './governance.ts';
import { type MintRequest, mintIntent } from './mint.ts';
import { actorForApiKey, createOperator } from './operators.ts';
import { currentPolicy, defaultPolicy, type PolicyDocument, policyToJson } from './policy.ts';
import {
  type IssuanceFixture,
  type IssuerChainFixture,
  issuanceFixture,
  issuerChainFixture,
} from './testing.ts';

const usd = (text: string) => parseAmount(text);
const config = defaultChains[0]!;
const chainId = config.chainId;

/** A policy document as JSON with one field of `mint` replaced. */
function policyWith(mint: Partial<PolicyDocument['mint']>): unknown {
  return policyToJson({ ...defaultPolicy, mint: { ...defaultPolicy.mint, ...mint } });
}

describe('governance: changes under quorum', () => {
  let f: IssuanceFixture;
  let c: IssuerChainFixture;
  let chain: IssuerChain;
  let token: TokenRecord;
  /** Each operator's API key (as createOperator issued it) and approvers' Ed25519 keys. */
  const apiKeys: Record<string, string> = {};
  const keys: Record<string, ApproverKey> = {};
  const admin = async () => (await actorForApiKey(f.t.db, apiKeys['op-adam']!))!;
  const operators = [
    { id: 'op-adam', roles: ['admin'] },
    { id: 'op-tess', roles: ['treasurer'] },
    { id: 'op-cara', roles: ['compliance'] },
    { id: 'op-audi', roles: ['auditor'] },
    { id: 'op-ann', roles: ['approver'] },
    { id: 'op-bob', roles: ['approver'] },
    { id: 'op-cat', roles: ['approver'] },
    { id: 'op-alex', roles: ['admin', 'approver'] },
  ] as const;

  const paused = () =>
    chain.client.readContract({
      address: token.address,
      abi: clearpegTokenAbi,
      functionName: 'paused',
    });
  /** Polls the connector until the request is final; returns its status. */
  const settle = async (requestId: string) => {
    for (let i = 0; i < 20; i++) {
      await chain.connector.poll();
      const state = await chain.connector.get(requestId);
      if (state?.status !== 'signed' && state?.status !== 'mined') return state?.status;
    }
    return 'unsettled';
  };
  /** What no single credential may change: the tables of the rules and the token's pause. */
  const snapshot = async () => {
    const rows = async (sql: string) => (await f.t.db.query(sql)).rows;
    return {
      policies: await rows(
        'SELECT version, status, document, document_sha256 FROM policies ORDER BY version',
      ),
      operators: await rows(
        'SELECT id, name, roles, approval_key, active FROM operators ORDER BY id',
      ),
      apiKeys: await rows(
        'SELECT id, secret_sha256, operator_id, revoked_at_us FROM api_keys ORDER BY id',
      ),
      breakers: await rows('SELECT name, reason FROM breakers ORDER BY name'),
      paused: await paused(),
    };
  };

  /** The four things a thief wants, as change proposals. */
  const thiefKey = generateApproverKey();
  const attacks = () => [
    {
      action: 'policy.adopt',
      body: { policy: policyWith({ perTransactionCap: usd('5000000000') }) },
    },
    {
      action: 'operator.add',
      body: {
        id: 'op-mallory',
        name: 'Mallory',
        roles: ['approver', 'admin'],
        approvalKey: thiefKey.publicKey,
        apiKeySha256: generateApiKey().sha256Hex,
      },
    },
    { action: 'breaker.clear', body: { name: mintBreaker(chainId) } },
    { action: 'token.unpause', body: { chainId } },
  ];

  before(async () => {
    f = await issuanceFixture();
    c = await issuerChainFixture(f);
    ({ chain, token } = c);
    for (const { id, roles } of operators) {
      if (roles.includes('approver' as never)) keys[id] = generateApproverKey();
      const created = await createOperator(f.t.db, {
        id,
        name: id,
        roles,
        ...(keys[id] === undefined ? {} : { approvalKey: keys[id].publicKey }),
      });
      apiKeys[id] = created.apiKey;
    }
    await currentPolicy(f.t.db); // version 1, adopted on first use
    // The state a thief wants undone: the token paused, minting stopped on the chain.
    await chain.connector.submit('test:pause', { to: token.address, function: 'pause', args: [] });
    assert.equal(await settle('test:pause'), 'final');
    const compliance = (await actorForApiKey(f.t.db, apiKeys['op-cara']!))!;
    const trip = await tripBreaker(f.ctx, compliance, mintBreaker(chainId), 'parity under review');
    assert.deepEqual(trip, { name: mintBreaker(chainId), tripped: true });
  });
  after(async () => {
    await c.close();
    await f.close();
  });

  /** Runs the chain writer's pass and checks that it sent nothing. */
  const assertChainWriterSendsNothing = async () => {
    const written = await applyChainChanges(f.ctx, chain, token);
    assert.deepEqual(written, { submitted: [], refused: [] });
  };

  it('starts paused, with the breaker tripped and version 1 of the policy', async () => {
    assert.equal(await paused(), true);
    await assert.rejects(assertMintingOpen(f.t.db, chainId), { code: 'breaker-tripped' });
    assert.equal((await currentPolicy(f.t.db)).version, 1);
  });

  it('a non-admin credential (treasurer, compliance, auditor, approver) cannot propose', async () => {
    const before = await snapshot();
    for (const id of ['op-tess', 'op-cara', 'op-audi', 'op-ann']) {
      const thief = (await actorForApiKey(f.t.db, apiKeys[id]!))!;
      for (const attack of attacks())
        await assert.rejects(
          proposeChange(f.ctx, thief, attack),
          { code: 'forbidden' },
          `${id}: ${attack.action}`,
        );
    }
    assert.deepEqual(await listChanges(f.t.db, { limit: 10 }), [], 'no change was stored');
    await assertChainWriterSendsNothing();
    assert.deepEqual(await snapshot(), before);
  });

  it("a stolen admin's credential proposes, but cannot approve: nothing changes", async () => {
    const before = await snapshot();
    const thief = await admin();
    for (const attack of attacks()) {
      const change = await proposeChange(f.ctx, thief, attack);
      assert.equal(change.status, 'pending-approval');
      assert.equal(change.approvalsRequired, 2);
      // An admin is no approver; with a key of their own made up, or another's id, still not.
      const made = signApproval(changeIntent(change), thiefKey.privateKey, 'op-adam');
      await assert.rejects(approveChange(f.ctx, thief, change.id, made), { code: 'forbidden' });
      const asBob = signApproval(changeIntent(change), thiefKey.privateKey, 'op-bob');
      await assert.rejects(approveChange(f.ctx, thief, change.id, asBob), { code: 'forbidden' });
      assert.equal((await getChange(f.t.db, change.id)).status, 'pending-approval');
    }
    await assertChainWriterSendsNothing();
    assert.deepEqual(await snapshot(), before);
  });

  it("a stolen admin-and-approver's credential and key: no self-approval, no approval as another", async () => {
    const before = await snapshot();
    const thief = (await actorForApiKey(f.t.db, apiKeys['op-alex']!))!;
    const own = keys['op-alex']!;
    for (const attack of attacks()) {
      const change = await proposeChange(f.ctx, thief, attack);
      const intent = changeIntent(change);
      await assert.rejects(
        approveChange(f.ctx, thief, change.id, signApproval(intent, own.privateKey, 'op-alex')),
        { code: 'approval-self', field: 'approval.approverId' },
      );
      // Bob's name on the thief's signature: not the caller's own approval…
      const asBob = signApproval(intent, own.privateKey, 'op-bob');
      await assert.rejects(approveChange(f.ctx, thief, change.id, asBob), {
        code: 'approval-not-yours',
      });
      // …and even with the API bypassed (the actor made Bob), not Bob's registered key.
      const bob: Actor = { kind: 'operator', id: 'op-bob', roles: ['approver'] };
      await assert.rejects(approveChange(f.ctx, bob, change.id, asBob), {
        code: 'approval-key-mismatch',
      });
      assert.equal((await getChange(f.t.db, change.id)).status, 'pending-approval');
    }
    const { rows } = await f.t.db.query(`SELECT 1 FROM approvals WHERE subject_kind = 'change'`);
    assert.equal(rows.length, 0, 'no approval was stored');
    await assertChainWriterSendsNothing();
    assert.deepEqual(await snapshot(), before);
  });

  it("a stolen approver's credential and key: one approval, counted once, is no quorum", async () => {
    const before = await snapshot();
    const thief = (await actorForApiKey(f.t.db, apiKeys['op-ann']!))!;
    const pending = await listChanges(f.t.db, { status: 'pending-approval', limit: 100 });
    const byAdam = pending.filter((change) => change.proposedBy === 'op-adam');
    assert.equal(byAdam.length, 4, "the stolen admin's four proposals");
    for (const change of byAdam) {
      const approval = signApproval(changeIntent(change), keys['op-ann']!.privateKey, 'op-ann');
      const once = await approveChange(f.ctx, thief, change.id, approval);
      const twice = await approveChange(f.ctx, thief, change.id, approval);
      assert.equal(once.status, 'pending-approval');
      assert.equal(twice.status, 'pending-approval', 'the same approver counts once');
      const asCat = signApproval(changeIntent(change), keys['op-ann']!.privateKey, 'op-cat');
      await assert.rejects(approveChange(f.ctx, thief, change.id, asCat), {
        code: 'approval-not-yours',
      });
    }
    await assertChainWriterSendsNothing();
    assert.deepEqual(await snapshot(), before);
  });

  it('a signature over a mint intent, or over another change, is refused on a change', async () => {
    const thief = await admin();
    const bob: Actor = { kind: 'operator', id: 'op-bob', roles: ['approver'] };
    const change = await proposeChange(f.ctx, thief, {
      action: 'breaker.clear',
      body: { name: mintBreaker(chainId) },
    });
    // Bob signed a mint whose request id happens to be the change's id.
    const mint = mintIntent({
      id: change.id,
      customerId: 'CUST-0001',
      chainId,
      to: chain.local!.accounts[3]!.address.toLowerCase() as Hex,
      amount: usd('1000'),
      token: token.address,
    } as MintRequest);
    await assert.rejects(
      approveChange(
        f.ctx,
        bob,
        change.id,
        signApproval(mint, keys['op-bob']!.privateKey, 'op-bob'),
      ),
      { code: 'approval-invalid', field: 'approval.intentHash' },
    );
    const other = await proposeChange(f.ctx, thief, { action: 'token.unpause', body: { chainId } });
    await assert.rejects(
      approveChange(
        f.ctx,
        bob,
        change.id,
        signApproval(changeIntent(other), keys['op-bob']!.privateKey, 'op-bob'),
      ),
      { code: 'approval-invalid', field: 'approval.intentHash' },
    );
    const { rows } = await f.t.db.query(
      `SELECT 1 FROM approvals WHERE subject_kind = 'change' AND approver_id = 'op-bob'`,
    );
    assert.equal(rows.length, 0);
  });

  it('a body is checked in full, naming the field; nothing is stored', async () => {
    const thief = await admin();
    const count = async () =>
      (await f.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM changes')).rows[0]!.n;
    const stored = await count();
    const refusals: [unknown, string, string][] = [
      [
        { action: 'policy.adopt', body: { policy: policyWith({ perTransactionCap: usd('0') }) } },
        'change-invalid',
        'body.policy.mint.perTransactionCap',
      ],
      [
        {
          action: 'policy.adopt',
          body: {
            policy: policyWith({
              tiers: [
                { upTo: usd('1000'), approvals: 0 },
                { upTo: null, approvals: 2 },
              ],
            }),
          },
        },
        'change-invalid',
        'body.policy.mint.tiers.0.approvals',
      ],
      [
        {
          action: 'policy.adopt',
          body: { policy: { ...(policyWith({}) as object), payoutApprovals: 0 } },
        },
        'change-invalid',
        'body.policy.payoutApprovals',
      ],
      [
        {
          action: 'policy.adopt',
          body: { policy: { ...(policyWith({}) as object), unlimited: true } },
        },
        'change-invalid',
        'body.policy.unlimited',
      ],
      [
        {
          action: 'policy.adopt',
          body: {
            policy: (() => {
              const json = policyWith({}) as { mint: { hourly: { capacity: unknown } } };
              json.mint.hourly.capacity = 100;
              return json;
            })(),
          },
        },
        'change-invalid',
        'body.policy.mint.hourly.capacity',
      ],
      [{ action: 'policy.raise', body: {} }, 'change-invalid', 'action'],
      [
        {
          action: 'operator.add',
          body: { id: 'op-x', name: 'X', roles: ['approver'], apiKeySha256: 'ab'.repeat(32) },
        },
        'change-invalid',
        'body.approvalKey',
      ],
      [
        {
          action: 'operator.add',
          body: {
            id: 'op-x',
            name: 'X',
            roles: ['approver'],
            // The identity point: a small-order key verifies forgeries.
            approvalKey: `01${'00'.repeat(31)}`,
            apiKeySha256: 'ab'.repeat(32),
          },
        },
        'change-invalid',
        'body.approvalKey',
      ],
      [
        {
          action: 'operator.add',
          body: { id: 'op-x', name: 'X', roles: ['auditor'], apiKeySha256: 'AB' },
        },
        'change-invalid',
        'body.apiKeySha256',
      ],
      [
        {
          action: 'operator.add',
          body: { id: 'op-x', name: 'X', roles: ['root'], apiKeySha256: 'ab'.repeat(32) },
        },
        'change-invalid',
        'body.roles.0',
      ],
      [
        {
          action: 'operator.add',
          body: { id: 'op-bob', name: 'B', roles: ['auditor'], apiKeySha256: 'ab'.repeat(32) },
        },
        'operator-exists',
        'body.id',
      ],
      [{ action: 'operator.update', body: { id: 'op-bob' } }, 'change-invalid', 'body'],
      [
        { action: 'operator.update', body: { id: 'op-nobody', active: false } },
        'operator-not-found',
        'body.id',
      ],
      [{ action: 'breaker.clear', body: { name: 'mint:1' } }, 'breaker-not-tripped', 'body.name'],
      [{ action: 'token.unpause', body: { chainId: 999 } }, 'chain-unknown', 'body.chainId'],
      [{ action: 'token.unpause', body: { chainId: '31337' } }, 'change-invalid', 'body.chainId'],
      // A lock-out: more approvals than there are active approvers could ever give.
      [
        {
          action: 'policy.adopt',
          body: { policy: policyToJson({ ...defaultPolicy, policyChangeApprovals: 9 }) },
        },
        'quorum-unreachable',
        'body.policy',
      ],
    ];
    for (const [input, code, field] of refusals)
      await assert.rejects(
        proposeChange(f.ctx, thief, input as { action: string; body: unknown }),
        { code, field },
        `${code} ${field}`,
      );
    assert.equal(await count(), stored);
  });

  it('a body is stored normalized, and its hash is what the intent names', async () => {
    const thief = await admin();
    const json = policyWith({}) as { mint: { perTransactionCap: string } };
    json.mint.perTransactionCap = '60000000'; // not in canonical six-decimal form
    const change = await proposeChange(f.ctx, thief, {
      action: 'policy.adopt',
      body: { policy: json },
    });
    const stored = await getChange(f.t.db, change.id);
    assert.equal(
      (stored.body as { policy: { mint: { perTransactionCap: string } } }).policy.mint
        .perTransactionCap,
      '60000000.000000',
    );
    assert.equal(changeIntent(stored).bodySha256, changeBodySha256(change.body));
    assert.deepEqual(changeIntent(stored), {
      kind: 'change',
      requestId: change.id,
      action: 'policy.adopt',
      bodySha256: changeBodySha256({ policy: policyWith({ perTransactionCap: usd('60000000') }) }),
    });
  });

  it('a forged approval row for an unpause is refused by the chain writer', async () => {
    const before = await snapshot();
    const change = await proposeChange(f.ctx, await admin(), {
      action: 'token.unpause',
      body: { chainId },
    });
    // The database edited by hand: approvals with made-up signatures, the status set.
    for (const id of ['op-bob', 'op-cat'])
      await f.t.db.query(
        `INSERT INTO approvals (subject_kind, subject_id, approver_id, public_key, intent_hash, signature, approved_at_us)
         VALUES ('change', $1, $2, $3, $4, $5, 1)`,
        [
          change.id,
          id,
          Buffer.from(keys[id]!.publicKey, 'hex'),
          Buffer.from(intentHash(changeIntent(change)), 'hex'), // the right intent…
          Buffer.alloc(64, 9), // …a made-up signature
        ],
      );
    await f.t.db.query(`UPDATE changes SET status = 'adopted' WHERE id = $1`, [change.id]);
    const written = await applyChainChanges(f.ctx, chain, token);
    assert.deepEqual(written, { submitted: [], refused: [change.id] });
    const refused = await getChange(f.t.db, change.id);
    assert.equal(refused.status, 'failed');
    assert.match(refused.failure ?? '', /^quorum-reverify-failed/);
    const { rows } = await f.t.db.query(`SELECT 1 FROM alerts WHERE kind = 'approval-forged'`);
    assert.equal(rows.length, 1);
    assert.equal(await chain.connector.get(`change:${change.id}`), undefined, 'nothing sent');
    assert.deepEqual(await snapshot(), before);
  });

  it('an unapproved change lapses after a week', async () => {
    const change = await proposeChange(f.ctx, await admin(), {
      action: 'breaker.clear',
      body: { name: mintBreaker(chainId) },
    });
    const later = { ...f.ctx, clockUs: () => f.ctx.clockUs() + 8n * 86_400n * 1_000_000n };
    const approval = signApproval(changeIntent(change), keys['op-bob']!.privateKey, 'op-bob');
    const bob: Actor = { kind: 'operator', id: 'op-bob', roles: ['approver'] };
    await assert.rejects(approveChange(later, bob, change.id, approval), {
      code: 'change-expired',
    });
    assert.equal((await getChange(f.t.db, change.id)).status, 'expired');
    await assert.rejects(approveChange(f.ctx, bob, change.id, approval), {
      code: 'change-expired',
    });
  });

  /**
   * Proposed by the admin, approved by Ann then Bob (`between` runs after Ann's approval):
   * returns the change after each approval.
   */
  const adopt = async (
    input: { action: string; body: unknown },
    between: () => Promise<void> = async () => {},
  ): Promise<Change[]> => {
    const change = await proposeChange(f.ctx, await admin(), input);
    const steps: Change[] = [];
    for (const id of ['op-ann', 'op-bob']) {
      const approver = (await actorForApiKey(f.t.db, apiKeys[id]!))!;
      const approval = signApproval(changeIntent(change), keys[id]!.privateKey, id);
      steps.push(await approveChange(f.ctx, approver, change.id, approval));
      if (id === 'op-ann') await between();
    }
    return steps;
  };

  it('two other approvers adopt a new policy: version 2 is in force', async () => {
    const [one, two] = await adopt(
      {
        action: 'policy.adopt',
        body: { policy: policyWith({ perTransactionCap: usd('75000000') }) },
      },
      async () => {
        assert.equal((await currentPolicy(f.t.db)).version, 1, 'one approval changes nothing');
      },
    );
    assert.equal(one!.status, 'pending-approval');
    assert.equal(two!.status, 'adopted');
    const { version, policy } = await currentPolicy(f.t.db);
    assert.equal(version, 2);
    assert.equal(policy.mint.perTransactionCap, usd('75000000'));
    const { rows } = await f.t.db.query('SELECT version, status FROM policies ORDER BY version');
    assert.deepEqual(rows, [
      { version: 1, status: 'superseded' },
      { version: 2, status: 'adopted' },
    ]);
  });

  it('two other approvers add an operator: the key they generated works, the server never saw it', async () => {
    const { apiKey, sha256Hex } = generateApiKey();
    assert.match(apiKey, /^ck_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    assert.equal(sha256Hex, createHash('sha256').update(apiKey).digest('hex'));
    assert.equal(await actorForApiKey(f.t.db, apiKey), undefined);
    const [, two] = await adopt({
      action: 'operator.add',
      body: { id: 'op-nora', name: 'Nora', roles: ['treasurer'], apiKeySha256: sha256Hex },
    });
    assert.equal(two!.status, 'adopted');
    assert.deepEqual(await actorForApiKey(f.t.db, apiKey), {
      kind: 'operator',
      id: 'op-nora',
      roles: ['treasurer'],
    });
  });

  it('two other approvers deactivate an operator: their API key stops working', async () => {
    assert.notEqual(await actorForApiKey(f.t.db, apiKeys['op-alex']!), undefined);
    const [, two] = await adopt({
      action: 'operator.update',
      body: { id: 'op-alex', active: false },
    });
    assert.equal(two!.status, 'adopted');
    assert.equal(await actorForApiKey(f.t.db, apiKeys['op-alex']!), undefined);
  });

  it('two other approvers clear the breaker: minting is open again', async () => {
    await assert.rejects(assertMintingOpen(f.t.db, chainId), { code: 'breaker-tripped' });
    const [, two] = await adopt({ action: 'breaker.clear', body: { name: mintBreaker(chainId) } });
    assert.equal(two!.status, 'adopted');
    await assertMintingOpen(f.t.db, chainId);
    // The stolen admin's older proposal, approved by Ann then, fails when adopted now.
    const stale = (await listChanges(f.t.db, { status: 'pending-approval', limit: 100 }))
      .filter((change) => change.proposedBy === 'op-adam' && change.action === 'breaker.clear')
      .at(-1)!;
    const bob = (await actorForApiKey(f.t.db, apiKeys['op-bob']!))!;
    const late = await approveChange(
      f.ctx,
      bob,
      stale.id,
      signApproval(changeIntent(stale), keys['op-bob']!.privateKey, 'op-bob'),
    );
    assert.equal(late.status, 'failed');
    assert.match(late.failure ?? '', /^breaker-not-tripped/);
    // And a new proposal to clear it is refused.
    await assert.rejects(
      proposeChange(f.ctx, await admin(), {
        action: 'breaker.clear',
        body: { name: mintBreaker(chainId) },
      }),
      { code: 'breaker-not-tripped', field: 'body.name' },
    );
  });

  it('two other approvers unpause: the chain writer unpauses the token, once', async () => {
    const [, two] = await adopt({ action: 'token.unpause', body: { chainId } });
    assert.equal(two!.status, 'adopted');
    assert.equal(await paused(), true, 'adopted, not yet on chain');
    const written = await applyChainChanges(f.ctx, chain, token);
    assert.deepEqual(written, { submitted: [two!.id], refused: [] });
    assert.equal(await settle(`change:${two!.id}`), 'final');
    assert.equal(await paused(), false);
    await assertChainWriterSendsNothing(); // final: done
    assert.equal((await getChange(f.t.db, two!.id)).status, 'adopted');
  });

  it('a breaker is tripped at once by compliance or an admin, never by others', async () => {
    const treasurer = (await actorForApiKey(f.t.db, apiKeys['op-tess']!))!;
    await assert.rejects(tripBreaker(f.ctx, treasurer, 'mint', 'because'), { code: 'forbidden' });
    await assert.rejects(tripBreaker(f.ctx, await admin(), 'Mint!', 'because'), {
      code: 'breaker-invalid',
      field: 'name',
    });
    assert.deepEqual(await tripBreaker(f.ctx, await admin(), 'mint:1', 'drill'), {
      name: 'mint:1',
      tripped: true,
    });
    assert.deepEqual(await tripBreaker(f.ctx, await admin(), 'mint:1', 'again'), {
      name: 'mint:1',
      tripped: false,
    });
    const { rows } = await f.t.db.query<{ reason: { reason: string; by: string } }>(
      `SELECT reason FROM breakers WHERE name = 'mint:1'`,
    );
    assert.deepEqual(rows[0]!.reason, { reason: 'drill', by: 'op-adam' });
  });

  it('lists changes newest first, a page at a time, in one status or all', async () => {
    const all = await listChanges(f.t.db, { limit: 100 });
    assert.ok(all.length >= 5, `${all.length} changes`);
    for (let i = 1; i < all.length; i++) {
      const [newer, older] = [all[i - 1]!, all[i]!];
      assert.ok(
        newer.createdAtUs > older.createdAtUs ||
          (newer.createdAtUs === older.createdAtUs && newer.id > older.id),
        'newest first',
      );
    }
    for (const status of [undefined, 'adopted'] as const) {
      const expected = all.filter((c) => status === undefined || c.status === status);
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await listChanges(f.t.db, { limit: 2, status, after });
        paged.push(...page.map((c) => c.id));
        if (page.length < 2) break;
        after = page[1]!.id;
      }
      assert.deepEqual(
        paged,
        expected.map((c) => c.id),
        `status ${status}`,
      );
    }
  });

  it('the audit log verifies and holds the refusals', async () => {
    assert.equal((await verifyAudit(f.t.db)).ok, true);
    const { rows } = await f.t.db.query<{ action: string }>(
      `SELECT DISTINCT action FROM audit_log WHERE outcome = 'refused' ORDER BY action`,
    );
    assert.deepEqual(
      rows.map((r) => r.action),
      ['breaker.trip', 'change.approve', 'change.propose', 'change.write'],
    );
  });
});
