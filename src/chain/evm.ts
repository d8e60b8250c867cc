/**
 * Local EVM chains for development and tests, both Hardhat 2's EDR:
 *
 * - `createInProcessChain`: the EVM inside this process, no Hardhat project or config file,
 *   an EIP-1193 provider for viem's `custom` transport;
 * - `startHardhatNode`: `hardhat node` as a child process on 127.0.0.1, configured by the
 *   repository's `hardhat.config.cjs`, for viem's `http` transport.
 *
 * Both behave like a production node where it matters to Clearpeg: cancun, automine, a reverted
 * transaction is mined with status 0 (not thrown), and a reverted call or gas estimate fails
 * with its revert data so that viem decodes custom errors. Both fund the same accounts from the
 * same fixed mnemonic. Nothing is downloaded and no contract is compiled by Hardhat.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createHardhatNetworkProvider } from 'hardhat/internal/hardhat-network/provider/provider.js';
import { type Hex, RpcRequestError, toHex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { freePort } from '../net.ts';

/** Hardhat's well-known test mnemonic; `hardhat.config.cjs` uses the same one. Never for real funds. */
export const testMnemonic = 'test test test test test test test test test test test junk';
/** Accounts funded at genesis, as in `hardhat.config.cjs`. */
export const testAccountCount = 10;
/** Accounts one chain may fund: each is derived with PBKDF2 (about 20 ms) the first time. */
export const testAccountCountMax = 100;
/** Each test account's balance: 10,000 ether, as in `hardhat.config.cjs`. */
export const testAccountBalanceWei = 10_000n * 10n ** 18n;
/** Gas per block, as in `hardhat.config.cjs` (Hardhat's default): room for a benchmark's 300-transfer sprays. */
export const blockGasLimit = 60_000_000;

/** How long `startHardhatNode` waits for the node to answer: a cold start takes about 2 s. */
const nodeStartTimeoutMsMax = 30_000;
/** How long `stop` waits after SIGTERM before SIGKILL. */
const nodeStopTimeoutMsMax = 5_000;
/** One `eth_chainId` probe while starting: a listening node answers in about 1 ms. */
const nodeRequestTimeoutMs = 1_000;
/** Poll interval while waiting for the node to answer. */
const nodePollIntervalMs = 50;
/** Bytes of the node's output kept to explain a failed start. */
const nodeOutputBytesMax = 16_384;

/** The JSON-RPC error code of a reverted call (EIP-1474 "execution reverted", as geth returns it). */
export const executionRevertedCode = 3;

/** What viem's `custom` transport needs: an EIP-1193 `request`. */
export type Eip1193Provider = {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
};

/** A funded account of a local chain. */
export type TestAccount = { address: Hex; privateKey: Hex };

/** Accounts already derived, by mnemonic: each derivation runs PBKDF2 (about 20 ms). */
const derivedAccounts = new Map<string, TestAccount[]>();

/**
 * The funded accounts derived from `mnemonic` on the standard path m/44'/60'/0'/0/i.
 * @example testAccounts()[0]?.address // '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
 */
export function testAccounts(count = testAccountCount, mnemonic = testMnemonic): TestAccount[] {
  if (!Number.isInteger(count) || count < 1 || count > testAccountCountMax) {
    throw new RangeError(`test accounts: ${count} is not between 1 and ${testAccountCountMax}`);
  }
  const derived = derivedAccounts.get(mnemonic) ?? [];
  for (let addressIndex = derived.length; addressIndex < count; addressIndex++) {
    const account = mnemonicToAccount(mnemonic, { addressIndex });
    const privateKey = account.getHdKey().privateKey;
    if (privateKey === null) {
      throw new Error('assertion failed: an HD key derived from a mnemonic has a private key');
    }
    derived.push({ address: account.address, privateKey: toHex(privateKey) });
  }
  derivedAccounts.set(mnemonic, derived);
  return derived.slice(0, count).map((account) => ({ ...account }));
}

export type InProcessChainOptions = {
  chainId: number;
  /** Funded accounts (default 10). */
  accountCount?: number;
  /** Genesis timestamp (default: now). A fixed date makes block timestamps reproducible. */
  initialDate?: Date;
};

export type InProcessChain = {
  chainId: number;
  provider: Eip1193Provider;
  accounts: readonly TestAccount[];
  /** Releases the chain; later requests are refused. */
  close(): Promise<void>;
};

/**
 * Starts Hardhat's EDR in this process (cancun, automine) and returns an EIP-1193 provider.
 * @example
 * const chain = await createInProcessChain({ chainId: 31337 });
 * const client = createPublicClient({ transport: custom(chain.provider) });
 */
export async function createInProcessChain(
  options: InProcessChainOptions,
): Promise<InProcessChain> {
  const accounts = testAccounts(options.accountCount ?? testAccountCount);
  const edr = await createHardhatNetworkProvider(
    {
      hardfork: 'cancun',
      chainId: options.chainId,
      networkId: options.chainId,
      blockGasLimit,
      minGasPrice: 0n,
      automine: true,
      intervalMining: 0,
      mempoolOrder: 'priority',
      chains: new Map(),
      genesisAccounts: accounts.map((a) => ({
        privateKey: a.privateKey,
        balance: testAccountBalanceWei,
      })),
      allowUnlimitedContractSize: false,
      // Like a production node: a reverted transaction is mined with status 0, not thrown.
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
      allowBlocksWithSameTimestamp: false,
      ...(options.initialDate === undefined ? {} : { initialDate: options.initialDate }),
      enableTransientStorage: false,
      enableRip7212: false,
    },
    { enabled: false },
  );
  let closed = false;
  const provider: Eip1193Provider = {
    async request(args) {
      if (closed) throw new Error(`in-process chain ${options.chainId} is closed`);
      try {
        return await edr.request(args as Parameters<typeof edr.request>[0]);
      } catch (error) {
        throw asRevertError(error, args);
      }
    },
  };
  return {
    chainId: options.chainId,
    provider,
    accounts,
    async close() {
      closed = true;
    },
  };
}

/**
 * A revert thrown by the in-process EDR carries its revert data but no JSON-RPC code, so viem
 * can neither decode the custom error nor tell it from a transport fault (which it retries).
 * This gives it code 3 and the data the way viem's HTTP transport reports a geth revert.
 */
function asRevertError(error: unknown, body: { method: string; params?: unknown }): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { code, data, message } = error as { code?: unknown; data?: unknown; message?: unknown };
  if (typeof code === 'number') return error;
  if (typeof data !== 'string' || !data.startsWith('0x')) return error;
  return new RpcRequestError({
    body,
    error: { code: executionRevertedCode, data, message: String(message) },
    url: 'in-process',
  });
}

// ---------------------------------------------------------------- hardhat node (HTTP)

export type HardhatNodeOptions = {
  chainId: number;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
};

export type HardhatNode = {
  chainId: number;
  /** `http://127.0.0.1:<port>`, for viem's `http` transport. */
  url: string;
  pid: number;
  accounts: readonly TestAccount[];
  /** Stops the node by its PID (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
};

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts `hardhat node --hostname 127.0.0.1 --port <port>` with the repository's
 * `hardhat.config.cjs` and resolves once it answers `eth_chainId` with `chainId`.
 * @example
 * const node = await startHardhatNode({ chainId: 31337 });
 * try { ... http(node.url, { retryCount: 0 }) ... } finally { await node.stop(); }
 */
export async function startHardhatNode(options: HardhatNodeOptions): Promise<HardhatNode> {
  const port = options.port ?? (await freePort());
  const cli = createRequire(import.meta.url).resolve('hardhat/internal/cli/bootstrap.js');
  const child = spawn(
    process.execPath,
    [
      cli,
      'node',
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
      '--config',
      'hardhat.config.cjs',
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        CLEARPEG_HARDHAT_CHAIN_ID: String(options.chainId),
        HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.once('error', (error) => {
    output += `\n${String(error)}`;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`hardhat node: could not spawn ${process.execPath}`);
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-nodeOutputBytesMax);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onParentExit = () => kill(child, 'SIGKILL');
  process.once('exit', onParentExit);
  const stop = async () => {
    process.off('exit', onParentExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    kill(child, 'SIGTERM');
    const timer = setTimeout(() => kill(child, 'SIGKILL'), nodeStopTimeoutMsMax);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForChainId(url, options.chainId, child);
  } catch (error) {
    await stop();
    throw new Error(`hardhat node did not start on ${url}: ${String(error)}\n${output}`);
  }
  return { chainId: options.chainId, url, pid, accounts: testAccounts(), stop };
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, signal);
  }
}

async function waitForChainId(url: string, chainId: number, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + nodeStartTimeoutMsMax;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`it exited (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(nodeRequestTimeoutMs),
      });
      const { result } = (await response.json()) as { result?: string };
      if (result !== undefined && Number(result) === chainId) return;
      if (result !== undefined) throw new Error(`it answered chain id ${result}, not ${chainId}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('it answered')) throw error;
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, nodePollIntervalMs));
  }
  throw new Error(`no answer within ${nodeStartTimeoutMsMax} ms`);
}
