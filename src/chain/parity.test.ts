import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { Ledger } from '../ledger/ledger.ts';
import type { Uuid } from '../ledger/types.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import type { Micro } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { ChainIndexer } from './indexer.ts';
import { assertMintingOpen, chainTie, checkParity, trippedBreakers } from './parity.ts';
import {
  chainName,
  supplyAccounts,
  type TokenFixture,
  tokenFixture,
  transports,
} from './testing.ts';

const chainId = 31337;
const usd = (units: bigint) => (units * 1_000_000n) as Micro;

for (const transport of transports)
  describe(`supply parity on ${chainName(transport)}`, () => {
    let f: TokenFixture;
    let ledger: Ledger;
    let supply: Uuid;
    let source: Uuid;
    let redemption: Hex;
    const parity = () =>
      checkParity({
        db: f.t.db,
        client: f.client,
        chainId,
        token: f.token,
        finalityDepth: 2,
        supplyAccount: supply,
      });
    const index = () =>
      new ChainIndexer({
        db: f.t.db,
        client: f.client,
        chainId,
        token: f.token,
        finalityDepth: 2,
      }).catchUp();
    /** Posts a ledger transfer tied to the block and transaction of a chain event. */
    const post = async (debit: Uuid, credit: Uuid, amount: Micro, block: bigint, tx: Hex) => {
      const [outcome] = await ledger.submit([
        {
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit, credit, amount }],
          metadata: chainTie(chainId, block, tx),
        },
      ]);
      assert.equal(outcome?.status, 'committed');
    };
    /** A mint on chain, final, then its ledger posting (the next issue's mint path, reduced). */
    const mint = async (requestId: string, to: Hex, amount: Micro, withLedger = true) => {
      const state = await f.settled(
        await f.connector.submit(requestId, { to: f.token, function: 'mint', args: [to, amount] }),
      );
      assert.equal(state.status, 'final');
      if (withLedger) await post(source, supply, amount, state.blockNumber!, state.txHash!);
      return state;
    };
    const mine = (blocks: number) =>
      f.chain.provider.request({ method: 'hardhat_mine', params: [`0x${blocks.toString(16)}`] });

    before(async () => {
      f = await tokenFixture({
        transport,
        chainId,
        roles: ['MINTER_ROLE'],
        allowance: usd(1_000_000n),
        redemptionFor: '1',
      });
      ledger = new Ledger(new SqlLedgerStore(f.t.db));
      ({ supply, source } = await supplyAccounts(ledger, chainId));
      redemption = f.redemption;
    });

    after(async () => {
      await f?.close();
    });

    it('holds when every mint and every redemption is in the ledger, at the final block', async () => {
      const holder = f.chain.accounts[1]!.address;
      await mint('mint-a', holder, usd(500n));
      await mint('mint-b', holder, usd(250n));
      // The holder sends 100 to their redemption address: issuer-held from then on.
      const { hash, blockNumber } = await f.transfer(1, redemption, usd(100n));
      await post(supply, source, usd(100n), blockNumber, hash);
      await mine(1); // the redemption's block is final at depth 2
      await index();
      const result = await parity();
      assert.ok(result);
      assert.equal(result.blockNumber, blockNumber);
      assert.equal(result.totalSupply, usd(750n));
      assert.equal(result.issuerHeld, usd(100n));
      assert.equal(result.circulating, usd(650n));
      assert.equal(result.ledgerSupply, usd(650n));
      assert.equal(result.ok, true);
      assert.deepEqual(await trippedBreakers(f.t.db), []);
      await assertMintingOpen(f.t.db, chainId);
    });

    it('counts only blocks that are final: a mint in the newest block waits', async () => {
      const state = await mint('mint-c', f.chain.accounts[2]!.address, usd(40n));
      await index();
      const result = await parity();
      assert.ok(result);
      assert.equal(result.blockNumber, state.blockNumber! - 1n, 'one block short of the mint');
      assert.equal(result.ok, true);
      assert.equal(result.ledgerSupply, usd(650n), 'the mint is not counted yet on either side');
      await mine(1);
      const later = await parity();
      assert.equal(later?.ledgerSupply, usd(690n));
      assert.equal(later?.ok, true);
    });

    it('a mint the ledger does not know raises an alert, records both sides and stops minting', async () => {
      await mint('mint-out-of-band', f.chain.accounts[3]!.address, usd(7n), false);
      await mine(1);
      await index();
      const result = await parity();
      assert.ok(result);
      assert.equal(result.ok, false);
      assert.equal(result.circulating - result.ledgerSupply, usd(7n));
      const { rows: alerts } = await f.t.db.query<{ kind: string; detail: Record<string, string> }>(
        'SELECT kind, detail FROM alerts',
      );
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.kind, 'parity-mismatch');
      assert.equal(alerts[0]!.detail.difference, String(usd(7n)));
      assert.equal(alerts[0]!.detail.ledgerSupply, String(usd(690n)));
      const { rows: recorded } = await f.t.db.query<{ ok: boolean; total_supply: string }>(
        'SELECT ok, total_supply::text FROM chain_parity WHERE chain_id = $1 AND block_number = $2',
        [chainId, result.blockNumber],
      );
      assert.deepEqual(recorded, [{ ok: false, total_supply: String(usd(797n)) }]);
      assert.deepEqual(await trippedBreakers(f.t.db), [`mint:${chainId}`]);
      await assert.rejects(assertMintingOpen(f.t.db, chainId), { code: 'breaker-tripped' });
      await assertMintingOpen(f.t.db, chainId + 1); // another chain is not stopped

      // Checked again while the breaker is tripped: recorded, but no second alert.
      await mine(1);
      await index();
      assert.equal((await parity())?.ok, false);
      const count = async () =>
        Number(
          (await f.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts')).rows[0]!.n,
        );
      assert.equal(await count(), 1);
      // Cleared by an operator while the mismatch stands: the next check trips and alerts again.
      await f.t.db.query('DELETE FROM breakers');
      assert.equal((await parity())?.ok, false);
      assert.equal(await count(), 2);
      assert.deepEqual(await trippedBreakers(f.t.db), [`mint:${chainId}`]);
    });
  });
