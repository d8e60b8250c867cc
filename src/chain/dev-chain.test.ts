import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createPublicClient, createWalletClient, custom, type Hex, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { type DevChain, openDevChain } from './dev-chain.ts';

const dir = mkdtempSync(join(tmpdir(), 'clearpeg-dev-chain-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Sends `count` transfers of 1 ether from account 0 to account 1, one block each. */
async function transfers(chain: DevChain, count: number): Promise<void> {
  const wallet = createWalletClient({
    account: privateKeyToAccount(chain.accounts[0]!.privateKey),
    transport: custom(chain.provider),
  });
  for (let i = 0; i < count; i++)
    await wallet.sendTransaction({
      to: chain.accounts[1]!.address,
      value: parseEther('1'),
      chain: null,
    });
}

async function blockHashes(chain: DevChain): Promise<Hex[]> {
  const client = createPublicClient({ transport: custom(chain.provider) });
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const hashes: Hex[] = [];
  for (let n = 0n; n <= head; n++) hashes.push((await client.getBlock({ blockNumber: n })).hash);
  return hashes;
}

describe('persistent in-process chain', () => {
  test('blocks survive a restart: same hashes, same balances, and the chain goes on', async () => {
    const file = join(dir, 'a', 'chain.jsonl');
    const first = await openDevChain({ chainId: 31337, file });
    assert.equal(first.replayedBlocks, 0);
    await transfers(first, 3);
    await first.provider.request({ method: 'evm_mine', params: [] });
    const before = await blockHashes(first);
    assert.equal(before.length, 5);
    await first.close();

    const second = await openDevChain({ chainId: 31337, file });
    assert.equal(second.replayedBlocks, 4);
    assert.deepEqual(await blockHashes(second), before);
    const client = createPublicClient({ transport: custom(second.provider) });
    assert.equal(
      await client.getBalance({ address: second.accounts[1]!.address }),
      parseEther('10003'),
    );
    await transfers(second, 1);
    const grown = await blockHashes(second);
    assert.equal(grown.length, 6);
    await second.close();

    const third = await openDevChain({ chainId: 31337, file });
    assert.deepEqual(await blockHashes(third), grown);
    await third.close();
  });

  test('a torn last line (a crash mid-append) is dropped and overwritten', async () => {
    const file = join(dir, 'torn', 'chain.jsonl');
    const first = await openDevChain({ chainId: 31337, file });
    await transfers(first, 2);
    await first.close();
    appendFileSync(file, '{"number":3,"hash":"0x12');
    const second = await openDevChain({ chainId: 31337, file });
    assert.equal(second.replayedBlocks, 2);
    await transfers(second, 1);
    await second.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.length, 5, 'header, three blocks, and the final newline');
    assert.equal(JSON.parse(lines[3]!).number, 3);
  });

  test('a journal that does not replay to its recorded hashes is refused, naming the line', async () => {
    const file = join(dir, 'tampered', 'chain.jsonl');
    const first = await openDevChain({ chainId: 31337, file });
    await transfers(first, 2);
    await first.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    const block = JSON.parse(lines[2]!);
    block.timestamp += 1;
    lines[2] = JSON.stringify(block);
    writeFileSync(file, lines.join('\n'));
    await assert.rejects(
      openDevChain({ chainId: 31337, file }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'dev-chain-journal-invalid');
        assert.match(
          error.message,
          /chain\.jsonl:3: block 2 replays as 0x[0-9a-f]{64}, not the recorded/,
        );
        return true;
      },
    );
  });

  test('another chain id, or another format, is refused', async () => {
    const file = join(dir, 'other', 'chain.jsonl');
    await (await openDevChain({ chainId: 31337, file })).close();
    await assert.rejects(openDevChain({ chainId: 31338, file }), /:1: chain id 31337, not 31338/);
    writeFileSync(file, '{"format":"something-else/1"}\n');
    await assert.rejects(
      openDevChain({ chainId: 31337, file }),
      /:1: format is not clearpeg-dev-chain\/1/,
    );
  });

  test('requests that would not replay are refused and change nothing', async () => {
    const chain = await openDevChain({ chainId: 31337, file: join(dir, 'refuse', 'chain.jsonl') });
    const address = chain.accounts[2]!.address;
    for (const [method, params] of [
      ['evm_snapshot', []],
      ['evm_revert', ['0x1']],
      ['hardhat_setBalance', [address, '0x1']],
      ['eth_sendTransaction', [{ from: address, to: address, value: '0x1' }]],
    ] as const) {
      await assert.rejects(
        chain.provider.request({ method, params }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'dev-chain-method-refused');
          assert.match(error.message, new RegExp(`^${method} is refused`));
          return true;
        },
      );
    }
    assert.equal(await chain.provider.request({ method: 'eth_blockNumber', params: [] }), '0x0');
    await chain.close();
  });
});

describe('persistent in-process chain: one process at a time', () => {
  test('a second open is refused while the first holds the chain; a stale lock is taken over', async () => {
    const file = join(dir, 'lock', 'chain.jsonl');
    const first = await openDevChain({ chainId: 31337, file });
    await assert.rejects(
      openDevChain({ chainId: 31337, file }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'dev-chain-in-use');
        assert.match(error.message, new RegExp(`open in process ${process.pid}`));
        return true;
      },
    );
    await first.close();
    // A lock left by a process that is gone (pid 2^22 + 1 is above Linux's pid_max default).
    writeFileSync(`${file}.lock`, '4194305\n');
    const second = await openDevChain({ chainId: 31337, file });
    assert.match(readFileSync(`${file}.lock`, 'utf8'), new RegExp(`^${process.pid} `));
    await second.close();
  });
});
