/**
 * A persistent in-process chain: Hardhat's EDR inside the Clearpeg process (the embedded
 * default), whose blocks survive a restart.
 *
 * EDR keeps its state in memory only. This wraps its provider and appends every block it
 * mines to a journal file (one JSON line per block: number, hash, timestamp, and the raw
 * signed transactions in block order), fsynced before the request that mined it returns. On
 * open, a fresh EVM is started with the journal's genesis time and the blocks are mined again
 * from their raw transactions at their timestamps; each replayed block's hash must equal the
 * recorded one, so a journal that does not reproduce its chain is refused, never half-used.
 *
 * A crash between mining a block and appending it loses that block: after the restart the
 * chain is one block shorter, exactly as after a reorg, which the connector (it sends its
 * stored transaction again) and the indexer (it rolls back) already handle.
 *
 * Requests that would make the chain unreproducible from raw transactions are refused:
 * node-signed transactions (`eth_sendTransaction`), snapshots and reverts, and direct state
 * edits (`hardhat_setBalance`, …). Sign locally and send raw, as viem's local accounts do.
 *
 * Journal format (`clearpeg-dev-chain/1`), one JSON object per line:
 *   {"format":"clearpeg-dev-chain/1","chainId":31337,"genesisTime":1767225600,"genesisHash":"0x…"}
 *   {"number":1,"hash":"0x…","timestamp":1767225601,"transactions":["0x02f8…"]}
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Hex, hexToNumber, keccak256, numberToHex } from 'viem';
import { assert, ClearpegError } from '../errors.ts';
import { readTextIfExists } from '../files.ts';
import { takeLock } from '../lock-file.ts';
import { createInProcessChain, type Eip1193Provider, type InProcessChain } from './evm.ts';

/** The journal's first line names its format; a change of layout gets a new one. */
export const devChainFormat = 'clearpeg-dev-chain/1';

/** Methods that mine blocks: the journal is brought up to date after each. */
const miningMethods = new Set(['eth_sendRawTransaction', 'evm_mine', 'hardhat_mine']);

/** Methods allowed besides reads: they change only the time of the next block, which is recorded. */
const timeMethods = new Set(['evm_increaseTime', 'evm_setNextBlockTimestamp']);

/** Every other `evm_` / `hardhat_` method, and node-signed sending, would not replay. */
function refused(method: string): boolean {
  if (miningMethods.has(method) || timeMethods.has(method)) return false;
  if (method === 'hardhat_metadata' || method === 'hardhat_getAutomine') return false;
  return (
    method.startsWith('evm_') ||
    method.startsWith('hardhat_') ||
    method === 'eth_sendTransaction' ||
    method === 'eth_signTransaction'
  );
}

/** Raw transactions seen but not yet journalled are kept at most this long (by count). */
const pendingRawMax = 10_000;

type Header = { format: string; chainId: number; genesisTime: number; genesisHash: Hex };
type BlockLine = { number: number; hash: Hex; timestamp: number; transactions: Hex[] };
type RpcBlock = { number: Hex; hash: Hex; timestamp: Hex; transactions: Hex[] };

export interface DevChain extends InProcessChain {
  /** The journal file. */
  readonly file: string;
  /** Blocks replayed from the journal when the chain was opened. */
  readonly replayedBlocks: number;
}

function journalError(file: string, line: number, problem: string): ClearpegError {
  return new ClearpegError(
    'dev-chain-journal-invalid',
    `${file}:${line}: ${problem}; the in-process chain cannot be rebuilt from it (move the file away to start a new chain, and the database with it)`,
    { field: file, rule: devChainFormat },
  );
}

/** Reads the journal: its header and blocks. A torn last line (a crash mid-append) is dropped. */
function readJournal(
  file: string,
): { header: Header; blocks: BlockLine[]; validBytes: number } | undefined {
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  // Everything after the last newline was never completely written.
  const complete = lines.slice(0, -1);
  if (complete.length === 0) return undefined;
  const parse = (line: string, index: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw journalError(file, index + 1, 'not JSON');
    }
  };
  const header = parse(complete[0]!, 0) as Header;
  if (header.format !== devChainFormat)
    throw journalError(file, 1, `format is not ${devChainFormat}`);
  const blocks = complete.slice(1).map((line, i) => {
    const block = parse(line, i + 1) as BlockLine;
    if (block.number !== i + 1) throw journalError(file, i + 2, `block ${i + 1} expected`);
    return block;
  });
  return { header, blocks, validBytes: Buffer.byteLength(complete.join('\n')) + 1 };
}

/**
 * Takes `<file>.lock` for this process: two processes appending to one journal would corrupt
 * it. A lock left by a process that no longer runs is taken over.
 */
function lock(file: string): () => void {
  return takeLock(`${file}.lock`, {
    code: 'dev-chain-in-use',
    message: (holder) =>
      `the in-process chain ${file} is open in ${holder} (stop it first, e.g. the running "clearpeg serve")`,
    field: file,
    rule: 'one process per in-process chain',
  });
}

/**
 * Opens the chain `chainId` from the journal `file`, replaying its blocks, or starts a new one
 * (genesis now) and creates the journal. The chain is this process's until `close`.
 * @example const chain = await openDevChain({ chainId: 31337, file: '.clearpeg/chains/local-a.jsonl' })
 */
export async function openDevChain(options: { chainId: number; file: string }): Promise<DevChain> {
  const { chainId, file } = options;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const unlock = lock(file);
  try {
    return await open(chainId, file, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function open(chainId: number, file: string, unlock: () => void): Promise<DevChain> {
  const journal = readJournal(file);
  if (journal !== undefined && journal.header.chainId !== chainId)
    throw journalError(file, 1, `chain id ${journal.header.chainId}, not ${chainId}`);
  const genesisTime = journal?.header.genesisTime ?? Math.floor(Date.now() / 1000);
  const chain = await createInProcessChain({ chainId, initialDate: new Date(genesisTime * 1000) });
  const edr = chain.provider;
  const block = async (tag: Hex | 'latest') =>
    (await edr.request({ method: 'eth_getBlockByNumber', params: [tag, false] })) as RpcBlock;
  const genesis = await block('0x0');
  if (journal === undefined) {
    const header: Header = {
      format: devChainFormat,
      chainId,
      genesisTime,
      genesisHash: genesis.hash,
    };
    const fd = openSync(file, 'w', 0o600);
    writeSync(fd, `${JSON.stringify(header)}\n`);
    fsyncSync(fd);
    closeSync(fd);
  } else {
    if (genesis.hash !== journal.header.genesisHash)
      throw journalError(
        file,
        1,
        `genesis ${genesis.hash} is not the recorded ${journal.header.genesisHash}`,
      );
    await replay(edr, journal.header.genesisTime, journal.blocks, file);
  }
  // Appends go after the last complete line: a torn line left by a crash is overwritten.
  const fd = openSync(file, 'r+');
  let position = journal?.validBytes ?? readFileSync(file).length;
  let journalled = journal?.blocks.length ?? 0;
  const pendingRaw = new Map<Hex, Hex>();

  const append = async () => {
    const head = hexToNumber((await edr.request({ method: 'eth_blockNumber', params: [] })) as Hex);
    if (head <= journalled) return;
    let text = '';
    for (let n = journalled + 1; n <= head; n++) {
      const mined = await block(numberToHex(n));
      const transactions = mined.transactions.map((hash) => {
        const raw = pendingRaw.get(hash);
        assert(
          raw !== undefined,
          `block ${n}'s transaction ${hash} came in raw through this provider`,
        );
        pendingRaw.delete(hash);
        return raw;
      });
      const line: BlockLine = {
        number: n,
        hash: mined.hash,
        timestamp: hexToNumber(mined.timestamp),
        transactions,
      };
      text += `${JSON.stringify(line)}\n`;
    }
    const bytes = Buffer.from(text);
    writeSync(fd, bytes, 0, bytes.length, position);
    fsyncSync(fd);
    position += bytes.length;
    journalled = head;
  };

  // One request at a time: a block is journalled before the next request can see it.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  const provider: Eip1193Provider = {
    request(args) {
      const run = async () => {
        if (closed) throw new Error(`in-process chain ${chainId} is closed`);
        if (refused(args.method))
          throw new ClearpegError(
            'dev-chain-method-refused',
            `${args.method} is refused on the persistent in-process chain ${chainId}: its blocks must replay from raw signed transactions`,
            {
              field: 'method',
              rule: 'reads, raw transactions, evm_mine, hardhat_mine, time changes',
            },
          );
        if (args.method === 'eth_sendRawTransaction') {
          const raw = (args.params as [Hex])[0];
          if (pendingRaw.size >= pendingRawMax) pendingRaw.clear();
          pendingRaw.set(keccak256(raw), raw);
        }
        try {
          return await edr.request(args);
        } finally {
          if (miningMethods.has(args.method)) await append();
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => {});
      return result;
    },
  };
  return {
    chainId,
    provider,
    accounts: chain.accounts,
    file,
    replayedBlocks: journal?.blocks.length ?? 0,
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      closeSync(fd);
      await chain.close();
      unlock();
    },
  };
}

/** Mines the journal's blocks again, each at its timestamp, and checks each hash. */
async function replay(
  edr: Eip1193Provider,
  genesisTime: number,
  blocks: readonly BlockLine[],
  file: string,
): Promise<void> {
  await edr.request({ method: 'evm_setAutomine', params: [false] });
  for (const recorded of blocks) {
    for (const raw of recorded.transactions)
      await edr.request({ method: 'eth_sendRawTransaction', params: [raw] });
    await edr.request({ method: 'evm_mine', params: [recorded.timestamp] });
    const mined = (await edr.request({
      method: 'eth_getBlockByNumber',
      params: ['latest', false],
    })) as RpcBlock;
    if (mined.hash !== recorded.hash)
      throw journalError(
        file,
        recorded.number + 1,
        `block ${recorded.number} replays as ${mined.hash}, not the recorded ${recorded.hash}`,
      );
  }
  await edr.request({ method: 'evm_setAutomine', params: [true] });
  // The next block follows the wall clock again, not the replayed timestamps.
  const last = blocks.at(-1)?.timestamp ?? genesisTime;
  const now = Math.floor(Date.now() / 1000);
  if (now > last) await edr.request({ method: 'evm_setNextBlockTimestamp', params: [now] });
}
