/**
 * The chain runtime of `clearpeg serve`: the embedded default's persistent in-process chain,
 * the issuer's generated key, the resumable deployment, and the worker's tick (requests,
 * events, parity), across a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { Ledger } from '../ledger/ledger.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { openTestDatabase, type TestDatabase } from '../storage/testing.ts';
import { supplyAccountSpec } from '../workflow/accounts.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import { type ChainConfig, defaultChains } from './config.ts';
import type { RequestState } from './connector.ts';
import { issuerKeyFile } from './keys.ts';
import { chainTie, trippedBreakers } from './parity.ts';
import {
  deployRequestId,
  deployToken,
  type IssuerChain,
  issuerRoles,
  openIssuerChain,
  resolveToken,
  tokenRecord,
} from './runtime.ts';
import { ChainWorker } from './worker.ts';

const config: ChainConfig = defaultChains[0]!;
const chainId = config.chainId;
const usd = (text: string) => parseAmount(text);
const deployOptions = {
  name: 'Clearpeg USD',
  symbol: 'CPUSD',
  adminDelaySeconds: 86_400,
  minterAllowance: usd('1000000'),
  pollIntervalMs: 5,
};

describe('chain runtime on the persistent in-process chain', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-runtime-'));
  const env = { CLEARPEG_KEY_PASSPHRASE: 'correct horse battery staple' };
  let t: TestDatabase;
  let ledger: Ledger;
  let chain: IssuerChain;
  const open = () => openIssuerChain(config, { db: t.db, dataDir, env });

  before(async () => {
    t = await openTestDatabase('pglite');
    ledger = new Ledger(new SqlLedgerStore(t.db));
    chain = await open();
  });
  after(async () => {
    await chain.close();
    await t.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Posts a mint's `amount` to the ledger's supply, tied to its block. */
  async function post(state: RequestState, amount: Micro) {
    const supply = (await ledger.ensureAccount(supplyAccountSpec(chainId))).id;
    const fiat = (await ledger.ensureAccount({ code: 'customers:1:fiat', asset: 'USD', flags: 0 }))
      .id;
    return ledger.submit([
      {
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: fiat, credit: supply, amount }],
        metadata: chainTie(chainId, state.blockNumber!, state.txHash!),
      },
    ]);
  }

  /** A mint through the connector, posted to the ledger tied to its block when it is final. */
  async function mint(requestId: string, to: Hex, amount: Micro, posted = true) {
    const token = (await tokenRecord(t.db, chainId))!;
    let state = await chain.connector.submit(requestId, {
      to: token.address,
      function: 'mint',
      args: [to, amount],
    });
    while (state.status !== 'final') {
      await chain.connector.poll();
      state = (await chain.connector.get(requestId))!;
    }
    if (posted) {
      const [outcome] = await post(state, amount);
      assert.equal(outcome?.status, 'committed');
    }
    return state;
  }

  it('generates the issuer key in the data directory and funds it with gas', async () => {
    assert.ok(chain.local, 'an in-process chain runs in this process');
    assert.match(issuerKeyFile(dataDir, config), /keys\/chain-local-a\.json$/);
    const balance = await chain.client.getBalance({ address: chain.account.address });
    assert.ok(balance > 10n ** 19n, `the issuer has gas (${balance} wei)`);
    assert.notEqual(
      chain.account.address.toLowerCase(),
      chain.local.accounts[0]!.address.toLowerCase(),
      'the issuer is its own key, not a public test account',
    );
  });

  it('deploys and sets up the token; running it again changes nothing', async () => {
    assert.equal(await resolveToken(t.db, config), undefined);
    const steps: string[] = [];
    const record = await deployToken(t.db, chain, {
      ...deployOptions,
      progress: (step) => steps.push(step),
    });
    assert.deepEqual(steps, [
      'deploy',
      ...issuerRoles.map((role) => `grant:${role}`),
      'minter-allowance',
    ]);
    assert.equal(record.deployRequestId, deployRequestId(chainId, 'deploy'));
    assert.deepEqual(await tokenRecord(t.db, chainId), record);
    const read = (functionName: 'minterAllowance' | 'decimals', args: readonly unknown[] = []) =>
      chain.client.readContract({
        address: record.address,
        abi: clearpegTokenAbi,
        functionName,
        args: args as never,
      });
    assert.equal(await read('minterAllowance', [chain.account.address]), usd('1000000'));
    const blockBefore = await chain.client.getBlockNumber({ cacheTime: 0 });
    assert.deepEqual(await deployToken(t.db, chain, deployOptions), record);
    assert.equal(
      await chain.client.getBlockNumber({ cacheTime: 0 }),
      blockBefore,
      'nothing was sent again',
    );
    await assert.rejects(
      deployToken(t.db, chain, { ...deployOptions, minterAllowance: usd('5') }),
      { code: 'chain-request-conflict' },
      'other settings on a chain already set up are refused',
    );
  });

  it('the worker indexes, checks parity, and stops minting on a mint the ledger does not know', async () => {
    const token = (await tokenRecord(t.db, chainId))!;
    const log: string[] = [];
    const worker = new ChainWorker({ db: t.db, ledger, chain, token, log: (l) => log.push(l) });
    const holder = chain.local!.accounts[3]!.address;
    await mint('runtime-mint-1', holder, usd('2500'));
    const first = await worker.tick();
    assert.equal(first.parity?.ok, true);
    assert.equal(first.parity?.circulating, usd('2500'));
    assert.equal(first.parity?.ledgerSupply, usd('2500'));
    assert.ok(first.eventsStored >= 1 + issuerRoles.length + 2, 'role, allowance and mint events');

    await mint('runtime-mint-out-of-band', holder, usd('1'), false);
    const second = await worker.tick();
    assert.equal(second.parity?.ok, false);
    assert.equal(second.parity!.circulating - second.parity!.ledgerSupply, usd('1'));
    assert.deepEqual(await trippedBreakers(t.db), [`mint:${chainId}`]);
    await t.db.query('DELETE FROM breakers');
    // Put right in the ledger (as an operator's correcting entry would): parity holds again.
    await post((await chain.connector.get('runtime-mint-out-of-band'))!, usd('1'));
    assert.equal((await worker.tick()).parity?.ok, true);
  });

  it('after a restart the chain is the same: no reorg, nothing indexed twice, parity holds', async () => {
    const head = await chain.client.getBlockNumber({ cacheTime: 0 });
    const events = async () =>
      Number(
        (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM chain_events')).rows[0]!.n,
      );
    const stored = await events();
    await chain.close();
    chain = await open();
    assert.equal(chain.local!.replayedBlocks, Number(head));
    assert.equal(await chain.client.getBlockNumber({ cacheTime: 0 }), head);
    const token = (await tokenRecord(t.db, chainId))!;
    const worker = new ChainWorker({ db: t.db, ledger, chain, token, log: () => {} });
    await mint('runtime-mint-after-restart', chain.local!.accounts[4]!.address, usd('10'));
    const tick = await worker.tick();
    assert.equal(tick.parity?.ok, true);
    assert.equal(tick.parity?.ledgerSupply, usd('2511'));
    assert.equal(await events(), stored + 2, 'the new mint only (Minted and Transfer)');
  });

  it('the worker reports a failing chain once and recovers', async () => {
    const token = (await tokenRecord(t.db, chainId))!;
    const log: string[] = [];
    const broken: IssuerChain = {
      ...chain,
      connector: Object.assign(Object.create(chain.connector), {
        poll: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:8545');
        },
      }),
    };
    const worker = new ChainWorker({
      db: t.db,
      ledger,
      chain: broken,
      token,
      intervalMs: 5,
      log: (l) => log.push(l),
    });
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await worker.stop();
    assert.deepEqual(log, ['chain local-a: connect ECONNREFUSED 127.0.0.1:8545 (retrying)']);
  });
});
