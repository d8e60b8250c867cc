/**
 * Finality under a moving chain, on `hardhat node` (evm_snapshot / evm_revert replace blocks;
 * blocks are mined by the test, one call at a time), finality three blocks deep:
 *
 *   - a head that moves back between two reads of one tick (a lagging node behind a balancer),
 *     or a receipt read that fails, makes no false parity mismatch;
 *   - a redemption is credited only once its transfer is final, so a shallow reorg that drops
 *     the transfer credits nothing;
 *   - a reorg deeper than the finality depth that drops a final mint stops minting and says
 *     why; the issuer does not mint again what it counted final: an operator decides.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getMint } from '../issuance/mint.ts';
import { listRedemptions } from '../issuance/redemption.ts';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { parseAmount } from '../money/money.ts';
import { postgresUnavailable, type TestBackend } from '../storage/testing.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import {
  type FaultFixture,
  faultChainId,
  faultFixture,
  issuerInvariants,
} from './fault-testing.ts';

const usd = parseAmount;
/** PostgreSQL, the production backend, when it answers (and it sets up in a second); else PGlite. */
const backend: TestBackend = (await postgresUnavailable()) === undefined ? 'postgres' : 'pglite';
const finalityDepth = 3;

describe('finality on hardhat node: a lagging head, a shallow reorg, a reorg past finality', () => {
  let f: IssuanceFixture;
  let x: FaultFixture;

  before(async () => {
    f = await issuanceFixture(backend);
    x = await faultFixture(f, { finalityDepth, blockIntervalMs: 50 });
    // From here the test makes every block (automine still mines each transaction).
    await x.rpc('evm_setIntervalMining', [0]);
  });
  after(async () => {
    await x?.close();
    await f?.close();
  });

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await f.t.db.query<{ n: string }>(sql, params as never)).rows[0]!.n);
  const totalSupply = () =>
    x.direct.readContract({
      address: x.token.address,
      abi: clearpegTokenAbi,
      functionName: 'totalSupply',
    }) as Promise<bigint>;
  const chainState = (mintId: string) => x.chain.connector.get(`mint:${mintId}`);
  /** Ticks, mining a block between ticks, until `done`. */
  const settleWithBlocks = async (done: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 20; i++) {
      await x.tick();
      if (await done()) return;
      await x.mine(1);
    }
    assert.fail(`not reached: ${what} (${x.failures.slice(-2).join(' | ')})`);
  };
  const mintFinal = (id: string) => async () => (await getMint(f.t.db, id)).status === 'final';

  it('a head that moves back between two reads of a tick makes no false parity mismatch', async () => {
    const request = await x.mint('WIRE-1', usd('1000'));
    await x.tick(); // sent, and mined at once
    await x.tick(); // its receipt: mined, one block deep
    const mined = await chainState(request.id);
    assert.equal(mined?.status, 'mined');
    await x.mine(finalityDepth);
    // The tick reads the real head; the connector's read, next, is answered by a node that
    // lags at the mint's block; the indexer's, after it, by the real one again.
    x.proxy.inject({
      kind: 'stale-head',
      staleBlock: mined!.blockNumber!,
      methods: ['eth_blockNumber'],
      after: 1,
      times: 1,
    });
    const result = await x.worker.tick();
    x.proxy.clear();
    assert.equal(x.proxy.counts()['stale-head'], 1, 'the second head read was stale');
    assert.equal(result.parity?.ok, true, 'parity holds at the block the tick judged final');
    assert.equal(await count('SELECT count(*)::text AS n FROM breakers'), 0, 'nothing stopped');
    await settleWithBlocks(mintFinal(request.id), 'the mint final');
    await x.tick();
    await issuerInvariants(x);
  });

  it('a receipt read that fails is not taken for "not mined" (no false parity mismatch)', async () => {
    const request = await x.mint('WIRE-R', usd('300'));
    await x.tick(); // sent, and mined at once; its receipt not read yet
    assert.equal((await chainState(request.id))?.status, 'signed');
    await x.mine(finalityDepth);
    // The tick that would find it mined and final gets a cut answer for its receipt.
    x.proxy.inject({ kind: 'truncate', methods: ['eth_getTransactionReceipt'], times: 1 });
    const failed = x.failures.length;
    await x.tick();
    x.proxy.clear();
    assert.equal(x.failures.length, failed + 1, 'the tick failed, and is tried again');
    assert.equal(await count('SELECT count(*)::text AS n FROM breakers'), 0, 'nothing stopped');
    assert.equal(await count('SELECT count(*)::text AS n FROM chain_parity WHERE NOT ok'), 0);
    await settleWithBlocks(mintFinal(request.id), 'the mint final');
    await x.tick();
    await issuerInvariants(x);
  });

  it('a redemption is credited only once final; a shallow reorg that drops it credits nothing', async () => {
    const supplyBefore = await f.balance(`supply:${faultChainId}`);
    const held = await x.direct.readContract({
      address: x.token.address,
      abi: clearpegTokenAbi,
      functionName: 'balanceOf',
      args: [x.holder],
    });
    const snapshot = await x.rpc<string>('evm_snapshot');
    await x.redeem(usd('10'));
    for (let depth = 1; depth < finalityDepth; depth++) {
      await x.tick();
      assert.equal(
        (await listRedemptions(f.t.db, { limit: 10 })).length,
        0,
        `not credited ${depth} block(s) deep`,
      );
      await x.mine(1);
    }
    // The transfer's block is replaced before it was final: a longer branch without it.
    assert.equal(await x.rpc('evm_revert', [snapshot]), true);
    await x.mine(finalityDepth + 2);
    for (let i = 0; i < 3; i++) await x.tick();
    assert.equal((await listRedemptions(f.t.db, { limit: 10 })).length, 0, 'nothing credited');
    assert.equal(await f.balance(`supply:${faultChainId}`), supplyBefore, 'the ledger unchanged');
    assert.equal(
      await x.direct.readContract({
        address: x.token.address,
        abi: clearpegTokenAbi,
        functionName: 'balanceOf',
        args: [x.holder],
      }),
      held,
      'the holder still holds the tokens',
    );
    assert.equal(await count('SELECT count(*)::text AS n FROM breakers'), 0, 'nothing stopped');
    await issuerInvariants(x);
    // Sent again on this branch: credited once final, and burned.
    await x.redeem(usd('10'));
    await settleWithBlocks(
      async () => (await listRedemptions(f.t.db, { limit: 10 }))[0]?.status === 'burned',
      'the redemption burned',
    );
    await x.mine(finalityDepth);
    await settleWithBlocks(async () => {
      const open = await count(
        `SELECT count(*)::text AS n FROM chain_requests WHERE status <> 'final'`,
      );
      return open === 0;
    }, 'every chain request final');
    await x.tick();
    await issuerInvariants(x);
  });

  it('a reorg deeper than finality that drops a final mint stops minting, says why, mints nothing again', async () => {
    const snapshot = await x.rpc<string>('evm_snapshot');
    const request = await x.mint('WIRE-2', usd('2000'));
    await settleWithBlocks(mintFinal(request.id), 'the mint final');
    await x.mine(1);
    await x.tick();
    const final = await chainState(request.id);
    assert.equal(final?.status, 'final');
    const supply = await totalSupply();
    const ledgerSupply = await f.balance(`supply:${faultChainId}`);
    assert.equal(supply, ledgerSupply, 'the mint counted on both sides');
    const attempts = await count('SELECT count(*)::text AS n FROM chain_attempts');
    const sent = await x.direct.getTransactionCount({ address: x.chain.account.address });

    // Replace the mint's block and those after it with a longer branch that never saw it.
    const headBefore = await x.direct.getBlockNumber({ cacheTime: 0 });
    assert.ok(headBefore - final!.blockNumber! + 1n >= BigInt(finalityDepth), 'it was final');
    assert.equal(await x.rpc('evm_revert', [snapshot]), true);
    const forkPoint = await x.direct.getBlockNumber({ cacheTime: 0 });
    await x.mine(Number(headBefore - forkPoint) + 3);
    assert.equal(await totalSupply(), supply - usd('2000'), 'the mint is gone from the chain');
    // A mint approved before the worker looks: it must not go out on the new branch.
    const next = await x.mint('WIRE-3', usd('5'));
    assert.equal(next.status, 'approved');

    await x.worker.start();
    const deadline = Date.now() + 10_000;
    while (!x.logs.some((line) => /minting stopped/.test(line)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await x.worker.stop();
    const said = x.logs.filter((line) => /minting stopped/.test(line));
    assert.ok(said.length > 0, `the worker says minting stopped (${x.logs.join(' | ')})`);

    const { rows: breakers } = await f.t.db.query<{ name: string; reason: unknown }>(
      'SELECT name, reason FROM breakers',
    );
    assert.deepEqual(
      breakers.map((b) => b.name),
      [`mint:${faultChainId}`],
      'the chain’s mint breaker tripped',
    );
    const { rows: alerts } = await f.t.db.query<{ kind: string }>(
      'SELECT kind FROM alerts ORDER BY raised_at_us',
    );
    assert.ok(
      alerts.some((a) => a.kind === 'chain-reorg-final'),
      `an alert names the reorg (${alerts.map((a) => a.kind).join(', ')})`,
    );
    // What it counted final stays counted; nothing is sent again without an operator.
    assert.equal((await getMint(f.t.db, request.id)).status, 'final');
    assert.equal((await chainState(request.id))?.status, 'final');
    assert.equal(await count('SELECT count(*)::text AS n FROM chain_attempts'), attempts);
    assert.equal(await f.balance(`supply:${faultChainId}`), ledgerSupply);
    // The approved mint waits behind the breaker; a new request is refused.
    await assert.rejects(x.mint('WIRE-4', usd('5')), { code: 'breaker-tripped' });
    for (let i = 0; i < 3; i++) {
      await x.tick();
      await x.mine(1);
    }
    assert.equal((await getMint(f.t.db, next.id)).status, 'approved', 'not sent while stopped');
    assert.equal(await count('SELECT count(*)::text AS n FROM chain_attempts'), attempts);
    assert.equal(
      await x.direct.getTransactionCount({ address: x.chain.account.address }),
      sent - 1,
      'the issuer’s key sent nothing on the new branch',
    );
    assert.equal(await totalSupply(), supply - usd('2000'), 'and minted nothing');
  });
});
