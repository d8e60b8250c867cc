/**
 * A deployed token on a local chain, with a migrated database and the issuer's connector: the
 * starting point of the chain module's tests. Each suite runs on both local chains: the
 * in-process EVM, and `hardhat node` over HTTP (a real JSON-RPC server, started and stopped
 * by PID).
 */
import {
  createPublicClient,
  createWalletClient,
  custom,
  type Hex,
  http,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { assert } from '../errors.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Uuid } from '../ledger/types.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { openTestDatabase, type TestDatabase } from '../storage/testing.ts';
import { supplyAccountSpec } from '../workflow/accounts.ts';
import { registerIssuerAddress } from './addresses.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import { ChainConnector, type ConnectorOptions, type RequestState } from './connector.ts';
import {
  createInProcessChain,
  type Eip1193Provider,
  startHardhatNode,
  type TestAccount,
} from './evm.ts';

/** The two local chains every chain suite runs on. */
export const transports = ['in-process', 'http'] as const;
export type Transport = (typeof transports)[number];

/** A suite's name for a local chain. */
export function chainName(transport: Transport): string {
  return transport === 'http' ? 'hardhat node over HTTP' : 'the in-process EVM';
}

/** A local chain as the tests use it: JSON-RPC requests (evm_snapshot, hardhat_mine, …) and funded accounts. */
export interface LocalChain {
  readonly provider: Eip1193Provider;
  readonly accounts: readonly TestAccount[];
  close(): Promise<void>;
}

/** Starts a local chain of either kind and a viem client for it. */
async function localChain(
  transport: Transport,
  chainId: number,
): Promise<{ chain: LocalChain; client: PublicClient }> {
  if (transport === 'in-process') {
    const chain = await createInProcessChain({ chainId });
    return { chain, client: createPublicClient({ transport: custom(chain.provider) }) };
  }
  const node = await startHardhatNode({ chainId });
  // No retries: hardhat node answers a revert with -32603, which viem would retry.
  const client = createPublicClient({ transport: http(node.url, { retryCount: 0 }) });
  const provider: Eip1193Provider = {
    request: (args) => client.request(args as never),
  };
  return { chain: { provider, accounts: node.accounts, close: () => node.stop() }, client };
}

export interface TokenFixture {
  readonly chain: LocalChain;
  readonly t: TestDatabase;
  readonly client: PublicClient;
  readonly connector: ChainConnector;
  readonly token: Hex;
  /** The issuer's address: admin, and holder of the roles asked for. */
  readonly issuer: Hex;
  /** Another connector of the issuer's key on the same database (a restart, other settings). */
  issuerConnector(options?: Partial<ConnectorOptions>): ChainConnector;
  /** Polls until the request is no longer signed; returns its state. */
  settled(state: RequestState): Promise<RequestState>;
  balanceOf(address: Hex): Promise<bigint>;
  /** A holder's transfer, signed with test account `from`'s own key; resolves with its receipt. */
  transfer(from: number, to: Hex, amount: bigint): Promise<{ hash: Hex; blockNumber: bigint }>;
  /** Test account 9, registered as the redemption address of `redemptionFor` (if given). */
  readonly redemption: Hex;
  close(): Promise<void>;
}

/**
 * Deploys `ClearpegToken` through the connector, grants the issuer `roles` and a minter
 * allowance of `allowance`.
 * @example const f = await tokenFixture({ roles: ['MINTER_ROLE'], allowance: 10n ** 12n })
 */
export async function tokenFixture(
  options: {
    transport?: Transport;
    chainId?: number;
    roles?: readonly string[];
    allowance?: bigint;
    /** A customer id: test account 9 becomes that customer's redemption address. */
    redemptionFor?: string;
  } = {},
): Promise<TokenFixture> {
  const chainId = options.chainId ?? 31337;
  const { chain, client } = await localChain(options.transport ?? 'in-process', chainId);
  const t = await openTestDatabase('pglite');
  const account = privateKeyToAccount(chain.accounts[0]!.privateKey);
  const issuerConnector = (more: Partial<ConnectorOptions> = {}) =>
    new ChainConnector({ db: t.db, client, chainId, account, finalityDepth: 1, ...more });
  const connector = issuerConnector();
  const settled = async (state: RequestState) => {
    await connector.poll();
    const now = await connector.get(state.requestId);
    assert(now !== undefined, 'a submitted request is stored');
    return now;
  };
  const deployed = await settled(
    await connector.deployToken('deploy', {
      name: 'Clearpeg USD',
      symbol: 'CPUSD',
      adminDelaySeconds: 86_400,
      admin: account.address,
    }),
  );
  assert(deployed.status === 'final', 'the token is deployed');
  const token = deployed.contractAddress!;
  for (const name of options.roles ?? []) {
    const role = (await client.readContract({
      address: token,
      abi: clearpegTokenAbi,
      functionName: name as 'MINTER_ROLE',
    })) as Hex;
    await settled(
      await connector.submit(`grant-${name}`, {
        to: token,
        function: 'grantRole',
        args: [role, account.address],
      }),
    );
  }
  if (options.allowance !== undefined)
    await settled(
      await connector.submit('minter-allowance', {
        to: token,
        function: 'setMinterAllowance',
        args: [account.address, options.allowance],
      }),
    );
  const redemption = chain.accounts[9]!.address.toLowerCase() as Hex;
  if (options.redemptionFor !== undefined)
    await registerIssuerAddress(t.db, chainId, {
      purpose: 'redemption',
      address: redemption,
      customerId: options.redemptionFor,
    });
  return {
    chain,
    t,
    redemption,
    transfer: async (from, to, amount) => {
      const wallet = createWalletClient({
        account: privateKeyToAccount(chain.accounts[from]!.privateKey),
        transport: custom(chain.provider),
      });
      const hash = await wallet.writeContract({
        address: token,
        abi: clearpegTokenAbi,
        functionName: 'transfer',
        args: [to, amount],
        chain: null,
      });
      const receipt = await client.waitForTransactionReceipt({ hash });
      return { hash, blockNumber: receipt.blockNumber };
    },
    client,
    connector,
    token,
    issuer: account.address,
    issuerConnector,
    settled,
    balanceOf: (address) =>
      client.readContract({
        address: token,
        abi: clearpegTokenAbi,
        functionName: 'balanceOf',
        args: [address],
      }),
    close: async () => {
      await t.dispose();
      await chain.close();
    },
  };
}

/**
 * The ledger accounts a mint moves money between: the chain's supply (a liability: its debits
 * never exceed its credits) and one customer's fiat.
 * @example const { supply, source } = await supplyAccounts(ledger, 31337)
 */
export async function supplyAccounts(
  ledger: Ledger,
  chainId: number,
): Promise<{ supply: Uuid; source: Uuid }> {
  const [supply, source] = [uuidv7(), uuidv7()];
  const outcomes = await ledger.submit([
    { type: 'createAccount', id: supply, ...supplyAccountSpec(chainId) },
    { type: 'createAccount', id: source, code: 'customers:1:fiat', asset: 'USD', flags: 0 },
  ]);
  assert(
    outcomes.every((o) => o.status === 'committed'),
    'the supply and customer accounts are created',
  );
  return { supply, source };
}
