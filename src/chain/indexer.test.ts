import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { redemptionTransfers, registerIssuerAddress } from './addresses.ts';
import { ChainIndexer, issuerHeld } from './indexer.ts';
import { chainName, type TokenFixture, tokenFixture, transports } from './testing.ts';

const chainId = 31337;
const usd = (units: bigint) => units * 1_000_000n;

for (const transport of transports)
  describe(`chain indexer on ${chainName(transport)}`, () => {
    let f: TokenFixture;
    let token: Hex;
    let redemption: Hex;
    const indexer = (rangeMax = 2_000) =>
      new ChainIndexer({
        db: f.t.db,
        client: f.client,
        chainId,
        token,
        finalityDepth: 2,
        rangeMax,
      });
    const balanceOf = (address: Hex) => f.balanceOf(address);
    const transfer = (from: number, to: Hex, amount: bigint) => f.transfer(from, to, amount);
    /** Every log of the token on the canonical chain, as stored keys. */
    const canonicalKeys = async () =>
      (await f.client.getLogs({ address: token, fromBlock: 0n, toBlock: 'latest' }))
        .map((log) => `${log.transactionHash}:${log.logIndex}`)
        .sort();
    const storedKeys = async () =>
      (
        await f.t.db.query<{ k: string }>(
          `SELECT '0x' || encode(tx_hash, 'hex') || ':' || log_index AS k FROM chain_events WHERE chain_id = $1`,
          [chainId],
        )
      ).rows
        .map((row) => row.k)
        .sort();

    before(async () => {
      f = await tokenFixture({
        transport,
        chainId,
        roles: ['MINTER_ROLE'],
        allowance: usd(1_000_000n),
        redemptionFor: 'customer-1',
      });
      token = f.token;
      for (const i of [1, 2])
        await f.connector.submit(`mint-${i}`, {
          to: token,
          function: 'mint',
          args: [f.chain.accounts[i]!.address, usd(1_000n)],
        });
      redemption = f.redemption;
    });

    after(async () => {
      await f?.close();
    });

    it('reads every event once, in small ranges or large, and counts what the issuer holds', async () => {
      await transfer(1, f.chain.accounts[2]!.address, usd(10n));
      await transfer(1, redemption, usd(25n));
      await transfer(2, redemption, usd(5n));
      const steps = await indexer(2).catchUp();
      assert.ok(steps.length > 3, `several ranges (${steps.length} steps)`);
      assert.deepEqual(await storedKeys(), await canonicalKeys());
      const again = await indexer().catchUp();
      assert.equal(
        again.reduce((n, s) => n + s.stored, 0),
        0,
        'nothing is stored twice',
      );
      const head = await f.client.getBlockNumber({ cacheTime: 0 });
      assert.equal(await issuerHeld(f.t.db, chainId, head), await balanceOf(redemption));
      assert.equal(await issuerHeld(f.t.db, chainId, head), usd(30n));
      const redemptions = await redemptionTransfers(f.t.db, chainId, 0n, head);
      assert.deepEqual(
        redemptions.map((r) => [r.customerId, r.from, r.amount]),
        [
          ['customer-1', f.chain.accounts[1]!.address.toLowerCase(), usd(25n)],
          ['customer-1', f.chain.accounts[2]!.address.toLowerCase(), usd(5n)],
        ],
      );
      assert.ok(redemptions[0]!.blockNumber < redemptions[1]!.blockNumber, 'in chain order');
      assert.deepEqual(
        await redemptionTransfers(f.t.db, chainId, redemptions[0]!.blockNumber, head),
        redemptions.slice(1),
        'only those after the given block',
      );
      const { rows } = await f.t.db.query<{ name: string; n: number }>(
        'SELECT name, count(*)::int AS n FROM chain_events WHERE chain_id = $1 GROUP BY name ORDER BY name',
        [chainId],
      );
      const counts = Object.fromEntries(rows.map((row) => [row.name, row.n]));
      assert.equal(counts.Minted, 2);
      assert.equal(counts.Transfer, 5, 'two mints and three transfers');
      assert.equal(counts.MinterAllowanceSet, 1);
    });

    it('stores nothing twice when the events are already there (another indexer came first)', async () => {
      const before = await storedKeys();
      // Back to the first block read: its events and everything after are read again.
      await f.t.db.query(
        `UPDATE chain_cursors SET block_number = (SELECT min(number) FROM chain_blocks WHERE chain_id = $1)
         WHERE chain_id = $1`,
        [chainId],
      );
      const steps = await indexer().catchUp();
      assert.ok(
        steps.some((step) => step.to !== undefined),
        'blocks were read again',
      );
      assert.equal(
        steps.reduce((n, step) => n + step.stored, 0),
        0,
      );
      assert.deepEqual(await storedKeys(), before);
    });

    it('registers an issuer address once, for one purpose', async () => {
      const again = {
        purpose: 'redemption',
        address: redemption,
        customerId: 'customer-1',
      } as const;
      await registerIssuerAddress(f.t.db, chainId, again); // the same again: no change
      await assert.rejects(
        registerIssuerAddress(f.t.db, chainId, { purpose: 'treasury', address: redemption }),
        { code: 'address-registered', field: 'address' },
      );
      await assert.rejects(
        registerIssuerAddress(f.t.db, chainId, { ...again, customerId: 'customer-2' }),
        { code: 'address-registered' },
      );
      await assert.rejects(
        registerIssuerAddress(f.t.db, chainId, { purpose: 'treasury', address: '0x1234' }),
        { code: 'address-invalid', field: 'address' },
      );
    });

    it('undoes a reorg by parent hash and reads the new history, storing no event twice', async () => {
      const snapshot = await f.chain.provider.request({ method: 'evm_snapshot', params: [] });
      // The history that will be dropped: three blocks, one a transfer into the redemption address.
      await transfer(1, redemption, usd(100n));
      await transfer(1, f.chain.accounts[3]!.address, usd(1n));
      await transfer(2, f.chain.accounts[3]!.address, usd(2n));
      const first = indexer();
      await first.catchUp();
      const dropped = await canonicalKeys();
      assert.deepEqual(await storedKeys(), dropped);
      // Back three blocks; a different history, one block longer.
      assert.equal(
        await f.chain.provider.request({ method: 'evm_revert', params: [snapshot] }),
        true,
      );
      await transfer(2, redemption, usd(7n));
      await transfer(2, f.chain.accounts[4]!.address, usd(3n));
      await transfer(1, f.chain.accounts[4]!.address, usd(4n));
      await transfer(1, f.chain.accounts[5]!.address, usd(5n));
      const [step, ...rest] = await first.catchUp();
      assert.ok(step?.rolledBack, 'the reorg was found');
      assert.equal(step.rolledBack.to - step.rolledBack.from + 1n, 3n, 'three blocks undone');
      assert.equal(step.finalReorged, true, 'two of them were final at depth 2');
      assert.equal(rest.at(-1)?.to, undefined, 'caught up');
      const canonical = await canonicalKeys();
      assert.deepEqual(await storedKeys(), canonical);
      assert.ok(
        dropped.some((key) => !canonical.includes(key)),
        'the dropped events are gone',
      );
      const head = await f.client.getBlockNumber({ cacheTime: 0 });
      assert.equal(await issuerHeld(f.t.db, chainId, head), await balanceOf(redemption));
      assert.equal(await issuerHeld(f.t.db, chainId, head), usd(37n));
      const amounts = (await redemptionTransfers(f.t.db, chainId, 0n, head)).map((r) => r.amount);
      assert.deepEqual(amounts, [usd(25n), usd(5n), usd(7n)], 'the dropped redemption is gone');
    });
  });
