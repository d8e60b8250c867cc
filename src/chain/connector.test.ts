import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPublicClient, custom, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { openTestDatabase, type TestDatabase } from '../storage/testing.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import {
  ChainConnector,
  type ChainError,
  type ConnectorOptions,
  type RequestState,
} from './connector.ts';
import { createInProcessChain, type InProcessChain } from './evm.ts';

const usd = (units: bigint) => units * 1_000_000n;

describe('chain connector on the in-process EVM', () => {
  let chain: InProcessChain;
  let t: TestDatabase;
  let client: PublicClient;
  let connector: ChainConnector;
  let token: Hex;
  const role = async (name: string) =>
    (await client.readContract({
      address: token,
      abi: clearpegTokenAbi,
      functionName: name as 'MINTER_ROLE',
    })) as Hex;
  const mined = async (state: RequestState) => {
    const polled = await connector.poll();
    const now =
      polled.find((s) => s.requestId === state.requestId) ?? (await connector.get(state.requestId));
    assert.ok(now, `request ${state.requestId} is known`);
    return now;
  };
  /** Another connector of the issuer's key on the same database (a restart, a setting). */
  const issuerConnector = (options: Partial<ConnectorOptions>) =>
    new ChainConnector({
      db: t.db,
      client,
      chainId: 31337,
      account: privateKeyToAccount(chain.accounts[0]!.privateKey),
      finalityDepth: 1,
      ...options,
    });
  const balanceOf = (address: Hex) =>
    client.readContract({
      address: token,
      abi: clearpegTokenAbi,
      functionName: 'balanceOf',
      args: [address],
    });

  before(async () => {
    chain = await createInProcessChain({ chainId: 31337 });
    t = await openTestDatabase('pglite');
    client = createPublicClient({ transport: custom(chain.provider) });
    const issuer = privateKeyToAccount(chain.accounts[0]!.privateKey);
    connector = issuerConnector({});
    const deployed = await connector.deployToken('deploy', {
      name: 'Clearpeg USD',
      symbol: 'CPUSD',
      adminDelaySeconds: 86_400,
      admin: issuer.address,
    });
    const final = await mined(deployed);
    assert.equal(final.status, 'final');
    token = final.contractAddress!;
    for (const name of ['MINTER_ROLE', 'PAUSER_ROLE', 'BLOCKLISTER_ROLE'])
      await mined(
        await connector.submit(`grant-${name}`, {
          to: token,
          function: 'grantRole',
          args: [await role(name), issuer.address],
        }),
      );
    await mined(
      await connector.submit('allowance-1', {
        to: token,
        function: 'setMinterAllowance',
        args: [issuer.address, usd(1_000n)],
      }),
    );
  });

  after(async () => {
    await t?.dispose();
    await chain?.close();
  });

  it('mints once per request id, however often the request is repeated', async () => {
    const holder = chain.accounts[1]!.address;
    const first = await connector.submit('mint-1', {
      to: token,
      function: 'mint',
      args: [holder, usd(100n)],
    });
    const again = await connector.submit('mint-1', {
      to: token,
      function: 'mint',
      args: [holder, usd(100n)],
    });
    assert.equal(again.nonce, first.nonce, 'the same stored transaction, not a new one');
    assert.equal((await mined(first)).status, 'final');
    const third = await connector.submit('mint-1', {
      to: token,
      function: 'mint',
      args: [holder, usd(100n)],
    });
    assert.equal(third.status, 'final');
    assert.equal(await connector.resume(), 0, 'nothing left to send');
    assert.equal(await balanceOf(holder), usd(100n));
  });

  it('refuses a request id reused for another intent, and changes nothing', async () => {
    const holder = chain.accounts[1]!.address;
    await assert.rejects(
      connector.submit('mint-1', { to: token, function: 'mint', args: [holder, usd(101n)] }),
      (error: ChainError) => error.code === 'chain-request-conflict' && error.field === 'requestId',
    );
    assert.equal(await balanceOf(holder), usd(100n));
  });

  it('surfaces the contract refusals as named errors without spending a nonce', async () => {
    const blocked = chain.accounts[2]!.address;
    const before = await client.getTransactionCount({ address: connector.sender });
    await mined(
      await connector.submit('block-2', { to: token, function: 'block', args: [blocked] }),
    );
    await assert.rejects(
      connector.submit('mint-to-blocked', { to: token, function: 'mint', args: [blocked, 1n] }),
      (error: ChainError) =>
        error.code === 'chain-address-blocked' &&
        error.error?.name === 'ClearpegBlocked' &&
        String(error.error.args[0]).toLowerCase() === blocked.toLowerCase(),
    );
    await assert.rejects(
      connector.submit('mint-too-much', {
        to: token,
        function: 'mint',
        args: [chain.accounts[1]!.address, usd(10_000n)],
      }),
      (error: ChainError) =>
        error.code === 'chain-minter-allowance-exceeded' &&
        error.error?.name === 'ClearpegMinterAllowanceExceeded',
    );
    await mined(await connector.submit('pause-1', { to: token, function: 'pause', args: [] }));
    await assert.rejects(
      connector.submit('mint-paused', {
        to: token,
        function: 'mint',
        args: [chain.accounts[1]!.address, 1n],
      }),
      (error: ChainError) => error.code === 'chain-paused' && error.error?.name === 'EnforcedPause',
    );
    await mined(await connector.submit('unpause-1', { to: token, function: 'unpause', args: [] }));
    // block, pause and unpause took one nonce each; the three refusals none.
    assert.equal(await client.getTransactionCount({ address: connector.sender }), before + 3);
    assert.equal(await connector.get('mint-to-blocked'), undefined);
  });

  it('sends a stored transaction again after a restart, and it takes effect once', async () => {
    const holder = chain.accounts[3]!.address;
    // A connector that "crashes" right after storing: its transaction is never sent.
    const crashing = issuerConnector({
      checkpoint: (point) => {
        if (point === 'stored') throw new Error('crash after store');
      },
    });
    await assert.rejects(
      crashing.submit('mint-crash', { to: token, function: 'mint', args: [holder, usd(5n)] }),
      /crash after store/,
    );
    assert.equal(await balanceOf(holder), 0n, 'not sent');
    assert.equal(await connector.resume(), 1);
    assert.equal(await connector.resume(), 1, 'sending the same bytes twice is harmless');
    const state = await mined((await connector.get('mint-crash'))!);
    assert.equal(state.status, 'final');
    assert.equal(await balanceOf(holder), usd(5n));
  });

  it('replaces a stuck transaction with higher fees; exactly one of the two is mined', async () => {
    const holder = chain.accounts[5]!.address;
    await chain.provider.request({ method: 'evm_setAutomine', params: [false] });
    try {
      const state = await connector.submit('mint-stuck', {
        to: token,
        function: 'mint',
        args: [holder, usd(7n)],
      });
      const bumped = await connector.bumpFee('mint-stuck');
      const pending = (await chain.provider.request({
        method: 'eth_getBlockByNumber',
        params: ['pending', false],
      })) as { transactions: Hex[] };
      assert.deepEqual(
        pending.transactions,
        [bumped],
        "the replacement took the first one's place",
      );
      await chain.provider.request({ method: 'evm_mine', params: [] });
      const final = await mined(state);
      assert.equal(final.status, 'final');
      assert.equal(final.txHash, bumped);
      assert.equal(final.nonce, state.nonce);
      assert.equal(await balanceOf(holder), usd(7n));
      await assert.rejects(
        connector.bumpFee('mint-stuck'),
        (error: ChainError) => error.code === 'chain-request-mined',
      );
    } finally {
      await chain.provider.request({ method: 'evm_setAutomine', params: [true] });
    }
  });

  it('waits for the finality depth before calling a transaction final', async () => {
    const deep = issuerConnector({ finalityDepth: 3 });
    const state = await deep.submit('mint-deep', {
      to: token,
      function: 'mint',
      args: [chain.accounts[4]!.address, 1n],
    });
    const [first] = await deep.poll();
    assert.equal(first?.status, 'mined');
    await chain.provider.request({ method: 'hardhat_mine', params: ['0x1'] });
    assert.deepEqual(await deep.poll(), [], 'two blocks deep: not yet final');
    await chain.provider.request({ method: 'hardhat_mine', params: ['0x1'] });
    const [final] = await deep.poll();
    assert.equal(final?.status, 'final');
    assert.equal(final?.requestId, state.requestId);
  });
});
