/**
 * RPC faults between the issuer and `hardhat node` (issue 17, point 4): the issuance flow
 * (deposits, mints approved by a quorum, redemptions and their burns) runs while the fault
 * proxy delays, drops (before the node sees a call, or after it acted), answers 5xx, truncates
 * and serves a stale head; then, with the faults cleared, the worker settles and every promise
 * is checked against the chain as it is: each mint request minted exactly once, nothing lost,
 * one nonce and one signed transaction per request, total supply equal to the ledger's, parity,
 * the journal replays, the audit log chains. While a fault lasts the issuer must do nothing
 * wrong: no second transaction for a request, nothing final that the chain has not made final.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { formatAmount, parseAmount } from '../money/money.ts';
import { postgresUnavailable, type TestBackend } from '../storage/testing.ts';
import type { Fault } from './fault-proxy.ts';
import { type FaultFixture, faultFixture, issuerInvariants, neverWrong } from './fault-testing.ts';

const usd = parseAmount;
/** PostgreSQL, the production backend, when it answers (and it sets up in a second); else PGlite. */
const backend: TestBackend = (await postgresUnavailable()) === undefined ? 'postgres' : 'pglite';
/** A test chain whose blocks are final three deep. */
const finalityDepth = 3;

describe('the issuer under RPC faults (hardhat node behind the fault proxy)', () => {
  let f: IssuanceFixture;
  let x: FaultFixture;
  let deposits = 0;
  let checkpoints = 0n;

  before(async () => {
    f = await issuanceFixture(backend);
    x = await faultFixture(f, { finalityDepth, blockIntervalMs: 50, seed: 17 });
  });
  after(async () => {
    await x?.close();
    await f?.close();
  });

  /** Everything asked so far is done: mints final, redemptions burned, chain requests final. */
  const settled = async () => {
    const { rows } = await f.t.db.query<{ open: string }>(
      `SELECT ((SELECT count(*) FROM mint_requests WHERE status <> 'final')
        + (SELECT count(*) FROM redemptions WHERE status <> 'burned')
        + (SELECT count(*) FROM chain_requests WHERE status <> 'final'))::text AS open`,
    );
    return rows[0]!.open === '0';
  };

  /**
   * Under `faults`: `mints` mint requests and `redemptions` redemptions of $1 each, then
   * `ticks` ticks, each followed by the checks that must hold at every moment. Then the faults
   * are cleared, the worker settles, and every promise is checked.
   */
  const scenario = async (
    faults: readonly Fault[],
    work: { mints: number; redemptions: number; ticks: number },
  ) => {
    const before = await issuerInvariants(x);
    for (const fault of faults) x.proxy.inject(fault);
    const failuresBefore = x.failures.length;
    for (let i = 0; i < work.mints; i++) {
      deposits++;
      await x.mint(`WIRE-${deposits}`, usd(String(1_000 + deposits)));
    }
    // Redemptions of tokens minted before: the holder's wallet talks to the node directly.
    for (let i = 0; i < work.redemptions; i++) await x.redeem(usd('1'));
    for (let i = 0; i < work.ticks; i++) {
      await x.tick();
      await neverWrong(x);
    }
    const counts = x.proxy.counts();
    x.proxy.clear();
    await x
      .tickUntil(settled, 'everything settled once the faults are cleared')
      .catch(async (e) => {
        const dump = await f.t.db.query(
          `SELECT 'mint' AS k, id::text, status, failure AS note FROM mint_requests WHERE status <> 'final'
         UNION ALL SELECT 'redemption', id::text, status, refusal FROM redemptions WHERE status <> 'burned'
         UNION ALL SELECT 'chain', request_id, status, nonce::text FROM chain_requests WHERE status <> 'final'
         UNION ALL SELECT 'breaker', name, '', reason::text FROM breakers
         UNION ALL SELECT 'alert', kind, subject, detail::text FROM alerts`,
        );
        throw new Error(`${(e as Error).message}\n${JSON.stringify(dump.rows)}`);
      });
    await x.tick(); // parity at the newest final block
    const report = await issuerInvariants(x);
    const attested = await x.attest();
    const figures = attested.attestation.chains.find((c) => c.chainId === '31337');
    assert.ok(figures !== undefined, 'the attestation states the chain');
    assert.equal(figures.totalSupply, formatAmount(report.totalSupply), 'as the chain has it');
    assert.equal(attested.checkpoint.size, ++checkpoints, 'one more checkpoint');
    assert.equal(report.mintRequests, before.mintRequests + work.mints);
    assert.equal(report.mintsOnChain, report.mintRequests);
    return { counts, tickFailures: x.failures.length - failuresBefore, report };
  };

  it('without faults: mints, redeems, burns; every invariant holds', async () => {
    await scenario([], { mints: 2, redemptions: 0, ticks: 5 });
    await scenario([], { mints: 0, redemptions: 1, ticks: 5 });
    assert.equal(x.failures.length, 0, 'no tick failed');
  });

  it('delay: slow answers only slow things down', async () => {
    const { counts } = await scenario([{ kind: 'delay', delayMs: 20, probability: 0.3 }], {
      mints: 1,
      redemptions: 1,
      ticks: 4,
    });
    assert.ok(counts.delay > 0, 'calls were delayed');
  });

  it('drop before the node sees it: sends and reads are tried again, once', async () => {
    const { counts } = await scenario(
      [
        { kind: 'drop-before', methods: ['eth_sendRawTransaction'], times: 3 },
        { kind: 'drop-before', probability: 0.15 },
      ],
      { mints: 2, redemptions: 1, ticks: 8 },
    );
    assert.ok(counts['drop-before'] >= 3, `requests dropped (${counts['drop-before']})`);
  });

  it('drop after the node acted on eth_sendRawTransaction: no second nonce, no second mint', async () => {
    const dropped = x.proxy.countOf('drop-after', 'eth_sendRawTransaction');
    const { tickFailures } = await scenario(
      [{ kind: 'drop-after', methods: ['eth_sendRawTransaction'], times: 4 }],
      { mints: 3, redemptions: 1, ticks: 8 },
    );
    assert.ok(
      x.proxy.countOf('drop-after', 'eth_sendRawTransaction') - dropped >= 3,
      'the node took transactions whose answer never came',
    );
    // A lost answer fails its tick (one to the connector's own resend of the lowest unmined
    // request is ignored there: its workflow sends it again).
    assert.ok(tickFailures >= 1, 'lost answers failed ticks');
  });

  it('5xx: a gateway that fails a third of the calls', async () => {
    const { counts, tickFailures } = await scenario([{ kind: 'status', probability: 0.3 }], {
      mints: 2,
      redemptions: 1,
      ticks: 8,
    });
    assert.ok(counts.status > 0 && tickFailures > 0, 'calls failed and ticks with them');
  });

  it('truncated answers: to sends, receipts, logs and blocks', async () => {
    const { counts } = await scenario(
      [
        { kind: 'truncate', methods: ['eth_sendRawTransaction'], times: 2 },
        {
          kind: 'truncate',
          methods: ['eth_getTransactionReceipt', 'eth_getLogs', 'eth_getBlockByNumber', 'eth_call'],
          probability: 0.25,
        },
      ],
      { mints: 2, redemptions: 1, ticks: 8 },
    );
    assert.ok(counts.truncate >= 2, `answers cut (${counts.truncate})`);
  });

  it('a send lost before the node saw it does not hold back the transactions signed after it', async () => {
    const dropped = x.proxy.counts()['drop-before'];
    x.proxy.inject({ kind: 'drop-before', methods: ['eth_sendRawTransaction'], times: 1 });
    await x.redeem(usd('1'));
    // The tick that credits the redemption signs its burn (the next nonce); its send is lost.
    await x.tickUntil(
      async () => x.proxy.counts()['drop-before'] > dropped,
      'the burn signed and its send lost',
    );
    // A mint approved now is signed with the nonce after the burn's, before the burn is sent
    // again: a node that refuses a gap in nonces (Hardhat's automine, some providers) refuses it.
    deposits++;
    await x.mint(`WIRE-${deposits}`, usd('7'));
    await x.tickUntil(settled, 'the burn and the mint final');
    await x.tick();
    await issuerInvariants(x);
  });

  it('a stale head only delays: nothing is final before the head the issuer sees makes it so', async () => {
    const stale = await x.direct.getBlockNumber({ cacheTime: 0 });
    x.proxy.inject({ kind: 'stale-head', staleBlock: stale });
    const supplyBefore = await f.balance('supply:31337');
    deposits++;
    const request = await x.mint(`WIRE-${deposits}`, usd('2500'));
    // The mint is sent and mined; the real chain goes far past its finality depth.
    let minedAt: bigint | undefined;
    for (let i = 0; i < 10; i++) {
      await x.tick();
      await neverWrong(x);
      const state = await x.chain.connector.get(`mint:${request.id}`);
      if (state?.blockNumber != null) minedAt = state.blockNumber;
      assert.notEqual(state?.status, 'final', 'not final under a head that does not show it');
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    assert.ok(minedAt !== undefined && minedAt > stale, 'the mint was mined above the stale head');
    const head = await x.direct.getBlockNumber({ cacheTime: 0 });
    assert.ok(head - minedAt + 1n >= BigInt(finalityDepth), 'final on the real chain by now');
    const { rows } = await f.t.db.query<{ status: string }>(
      'SELECT status FROM mint_requests WHERE id = $1',
      [request.id],
    );
    assert.equal(rows[0]!.status, 'submitted', 'not posted in the ledger yet');
    assert.equal(await f.balance('supply:31337'), supplyBefore, 'the ledger supply did not move');
    x.proxy.clear();
    await x.tickUntil(settled, 'the mint final once the head is seen');
    await x.tick();
    await issuerInvariants(x);
  });

  it('a head that comes and goes (a lagging node behind a balancer): no false mismatch', async () => {
    const stale = await x.direct.getBlockNumber({ cacheTime: 0 });
    const { counts } = await scenario(
      [{ kind: 'stale-head', staleBlock: stale, probability: 0.5 }],
      { mints: 2, redemptions: 1, ticks: 12 },
    );
    assert.ok(counts['stale-head'] > 5, 'the head was stale half the time');
  });

  it('mixed, at random (seeded): every fault at once', async () => {
    const { counts } = await scenario(
      [
        { kind: 'delay', delayMs: 25, probability: 0.2 },
        { kind: 'drop-before', probability: 0.08 },
        { kind: 'drop-after', probability: 0.08 },
        { kind: 'status', probability: 0.08 },
        { kind: 'truncate', probability: 0.08 },
        { kind: 'drop-after', methods: ['eth_sendRawTransaction'], probability: 0.5 },
      ],
      { mints: 3, redemptions: 2, ticks: 14 },
    );
    const acted = counts.delay + counts['drop-before'] + counts['drop-after'] + counts.status;
    assert.ok(acted + counts.truncate > 10, `the proxy was busy (${JSON.stringify(counts)})`);
  });
});
