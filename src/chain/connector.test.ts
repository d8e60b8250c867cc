import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import type { ChainError, RequestState } from './connector.ts';
import { chainName, type TokenFixture, tokenFixture, transports } from './testing.ts';

const usd = (units: bigint) => units * 1_000_000n;

for (const transport of transports)
  describe(`chain connector on ${chainName(transport)}`, () => {
    let f: TokenFixture;
    let token: Hex;
    const mined = (state: RequestState) => f.settled(state);
    const balanceOf = (address: Hex) => f.balanceOf(address);

    before(async () => {
      f = await tokenFixture({
        transport,
        roles: ['MINTER_ROLE', 'PAUSER_ROLE', 'BLOCKLISTER_ROLE'],
        allowance: usd(1_000n),
      });
      token = f.token;
    });

    after(async () => {
      await f?.close();
    });

    it('mints once per request id, however often the request is repeated', async () => {
      const holder = f.chain.accounts[1]!.address;
      const first = await f.connector.submit('mint-1', {
        to: token,
        function: 'mint',
        args: [holder, usd(100n)],
      });
      const again = await f.connector.submit('mint-1', {
        to: token,
        function: 'mint',
        args: [holder, usd(100n)],
      });
      assert.equal(again.nonce, first.nonce, 'the same stored transaction, not a new one');
      assert.equal((await mined(first)).status, 'final');
      const third = await f.connector.submit('mint-1', {
        to: token,
        function: 'mint',
        args: [holder, usd(100n)],
      });
      assert.equal(third.status, 'final');
      assert.equal(await f.connector.resume(), 0, 'nothing left to send');
      assert.equal(await balanceOf(holder), usd(100n));
    });

    it('refuses a request id reused for another intent, and changes nothing', async () => {
      const holder = f.chain.accounts[1]!.address;
      await assert.rejects(
        f.connector.submit('mint-1', { to: token, function: 'mint', args: [holder, usd(101n)] }),
        (error: ChainError) =>
          error.code === 'chain-request-conflict' && error.field === 'requestId',
      );
      assert.equal(await balanceOf(holder), usd(100n));
    });

    it('surfaces the contract refusals as named errors without spending a nonce', async () => {
      const blocked = f.chain.accounts[2]!.address;
      const before = await f.client.getTransactionCount({ address: f.connector.sender });
      await mined(
        await f.connector.submit('block-2', { to: token, function: 'block', args: [blocked] }),
      );
      await assert.rejects(
        f.connector.submit('mint-to-blocked', { to: token, function: 'mint', args: [blocked, 1n] }),
        (error: ChainError) =>
          error.code === 'chain-address-blocked' &&
          error.error?.name === 'ClearpegBlocked' &&
          String(error.error.args[0]).toLowerCase() === blocked.toLowerCase(),
      );
      await assert.rejects(
        f.connector.submit('mint-too-much', {
          to: token,
          function: 'mint',
          args: [f.chain.accounts[1]!.address, usd(10_000n)],
        }),
        (error: ChainError) =>
          error.code === 'chain-minter-allowance-exceeded' &&
          error.error?.name === 'ClearpegMinterAllowanceExceeded',
      );
      await mined(await f.connector.submit('pause-1', { to: token, function: 'pause', args: [] }));
      await assert.rejects(
        f.connector.submit('mint-paused', {
          to: token,
          function: 'mint',
          args: [f.chain.accounts[1]!.address, 1n],
        }),
        (error: ChainError) =>
          error.code === 'chain-paused' && error.error?.name === 'EnforcedPause',
      );
      await mined(
        await f.connector.submit('unpause-1', { to: token, function: 'unpause', args: [] }),
      );
      // block, pause and unpause took one nonce each; the three refusals none.
      assert.equal(await f.client.getTransactionCount({ address: f.connector.sender }), before + 3);
      assert.equal(await f.connector.get('mint-to-blocked'), undefined);
    });

    it('sends a stored transaction again after a restart, and it takes effect once', async () => {
      const holder = f.chain.accounts[3]!.address;
      // A connector that "crashes" right after storing: its transaction is never sent.
      const crashing = f.issuerConnector({
        checkpoint: (point) => {
          if (point === 'stored') throw new Error('crash after store');
        },
      });
      await assert.rejects(
        crashing.submit('mint-crash', { to: token, function: 'mint', args: [holder, usd(5n)] }),
        /crash after store/,
      );
      assert.equal(await balanceOf(holder), 0n, 'not sent');
      assert.equal(await f.connector.resume(), 1);
      assert.equal(await f.connector.resume(), 1, 'sending the same bytes twice is harmless');
      const state = await mined((await f.connector.get('mint-crash'))!);
      assert.equal(state.status, 'final');
      assert.equal(await balanceOf(holder), usd(5n));
    });

    it('replaces a stuck transaction with higher fees; exactly one of the two is mined', async () => {
      const holder = f.chain.accounts[5]!.address;
      await f.chain.provider.request({ method: 'evm_setAutomine', params: [false] });
      try {
        const state = await f.connector.submit('mint-stuck', {
          to: token,
          function: 'mint',
          args: [holder, usd(7n)],
        });
        const bumped = await f.connector.bumpFee('mint-stuck');
        const pending = (await f.chain.provider.request({
          method: 'eth_getBlockByNumber',
          params: ['pending', false],
        })) as { transactions: Hex[] };
        assert.deepEqual(
          pending.transactions,
          [bumped],
          "the replacement took the first one's place",
        );
        await f.chain.provider.request({ method: 'evm_mine', params: [] });
        const final = await mined(state);
        assert.equal(final.status, 'final');
        assert.equal(final.txHash, bumped);
        assert.equal(final.nonce, state.nonce);
        assert.equal(await balanceOf(holder), usd(7n));
        await assert.rejects(
          f.connector.bumpFee('mint-stuck'),
          (error: ChainError) => error.code === 'chain-request-mined',
        );
      } finally {
        await f.chain.provider.request({ method: 'evm_setAutomine', params: [true] });
      }
    });

    it('waits for the finality depth before calling a transaction final', async () => {
      const deep = f.issuerConnector({ finalityDepth: 3 });
      const state = await deep.submit('mint-deep', {
        to: token,
        function: 'mint',
        args: [f.chain.accounts[4]!.address, 1n],
      });
      const [first] = await deep.poll();
      assert.equal(first?.status, 'mined');
      await f.chain.provider.request({ method: 'hardhat_mine', params: ['0x1'] });
      assert.deepEqual(await deep.poll(), [], 'two blocks deep: not yet final');
      await f.chain.provider.request({ method: 'hardhat_mine', params: ['0x1'] });
      const [final] = await deep.poll();
      assert.equal(final?.status, 'final');
      assert.equal(final?.requestId, state.requestId);
    });
  });
