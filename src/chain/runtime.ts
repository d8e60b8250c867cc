/**
 * A configured chain, opened: its client, the issuer's key and connector, and the token of
 * record. `openIssuerChain` is what `clearpeg serve` and `clearpeg chain deploy` share.
 *
 * - `in-process` chains are persistent dev chains (dev-chain.ts) under `<dataDir>/chains/`;
 *   the issuer's key is generated on first use and funded with gas from the chain's first test
 *   account (a raw signed transfer, like any faucet).
 * - Any other chain is an HTTP JSON-RPC endpoint; the issuer's key file must exist
 *   (`clearpeg chain key create`) and hold gas.
 *
 * `deployToken` runs the deployment procedure of docs/contract.md as connector requests with
 * fixed ids (`token:<chainId>:<step>`), so a run that stops half-way is continued, never
 * repeated, by running it again.
 */

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createPublicClient,
  createWalletClient,
  custom,
  type Hex,
  http,
  type LocalAccount,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { wallClockUs } from '../calendar.ts';
import { assert, ClearpegError } from '../errors.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import type { ChainConfig } from './config.ts';
import { ChainConnector, type ConnectorOptions, type RequestState } from './connector.ts';
import { type DevChain, openDevChain } from './dev-chain.ts';
import { issuerAccount } from './keys.ts';

/** One configured chain, opened. */
export interface IssuerChain {
  readonly config: ChainConfig;
  readonly client: PublicClient;
  /** The issuer's signing account on this chain. */
  readonly account: LocalAccount;
  readonly connector: ChainConnector;
  /** The chain itself when it runs in this process (its test accounts act as holders). */
  readonly local: DevChain | undefined;
  close(): Promise<void>;
}

/** Gas the issuer's key gets on an in-process chain: enough for about a million mints. */
const devGasWei = 100n * 10n ** 18n;

/** Where an in-process chain's journal is kept. */
export function devChainFile(dataDir: string, chain: Pick<ChainConfig, 'name'>): string {
  return join(dataDir, 'chains', `${chain.name}.jsonl`);
}

/**
 * Opens `config`'s chain with the issuer's key and a connector on `db`.
 * @example const chain = await openIssuerChain(loadChains()[0], { db, dataDir })
 */
export async function openIssuerChain(
  config: ChainConfig,
  options: {
    db: SqlDatabase;
    dataDir: string;
    env?: NodeJS.ProcessEnv;
    /** The chain's lease guard, when several processes share the database (ConnectorOptions). */
    fence?: ConnectorOptions['fence'];
  },
): Promise<IssuerChain> {
  const account = await issuerAccount(options.dataDir, config, options.env);
  let local: DevChain | undefined;
  let client: PublicClient;
  if (config.rpcUrl === 'in-process') {
    local = await openDevChain({
      chainId: config.chainId,
      file: devChainFile(options.dataDir, config),
    });
    client = createPublicClient({ transport: custom(local.provider) });
    await fundFromFaucet(local, client, account.address);
  } else {
    // No transport retries: the workers retry at their own pace, and a node's revert
    // (-32603 from some) must not be sent three times.
    client = createPublicClient({ transport: http(config.rpcUrl, { retryCount: 0 }) });
    const answered = await client.getChainId();
    if (answered !== config.chainId) {
      throw new ClearpegError(
        'chain-id-mismatch',
        `chain ${config.name}: ${config.rpcUrl} answers chain id ${answered}, not the configured ${config.chainId}`,
        { field: `${config.name}.chainId`, rule: 'the chain id the node reports' },
      );
    }
  }
  const connector = new ChainConnector({
    db: options.db,
    client,
    chainId: config.chainId,
    account,
    finalityDepth: config.finalityDepth,
    ...(options.fence === undefined ? {} : { fence: options.fence }),
  });
  return {
    config,
    client,
    account,
    connector,
    local,
    close: async () => {
      await local?.close();
    },
  };
}

/** Gives `address` gas from the in-process chain's first test account, if it has little. */
async function fundFromFaucet(chain: DevChain, client: PublicClient, address: Hex): Promise<void> {
  if ((await client.getBalance({ address })) >= devGasWei / 2n) return;
  const faucet = createWalletClient({
    account: privateKeyToAccount(chain.accounts[0]!.privateKey),
    transport: custom(chain.provider),
  });
  const hash = await faucet.sendTransaction({ to: address, value: devGasWei, chain: null });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  assert(receipt.status === 'success', 'a plain ether transfer from a funded account succeeds');
}

// ---------------------------------------------------------------- the token of record

/** A chain's token of record. */
export interface TokenRecord {
  readonly chainId: number;
  readonly address: Hex;
  readonly deployBlock: bigint;
  readonly deployRequestId: string | null;
}

/** The token of record on `chainId`, if there is one. */
export async function tokenRecord(
  db: SqlExecutor,
  chainId: number,
): Promise<TokenRecord | undefined> {
  const { rows } = await db.query<{
    address: string;
    deploy_block: string;
    deploy_request_id: string | null;
  }>(
    'SELECT address, deploy_block::text, deploy_request_id FROM chain_tokens WHERE chain_id = $1',
    [chainId],
  );
  const row = rows[0];
  return row === undefined ? undefined : tokenFromRow(chainId, row);
}

/** Records the token of record; the same record again is accepted, another is refused. */
async function recordToken(db: SqlDatabase, record: TokenRecord): Promise<void> {
  await db.query(
    `INSERT INTO chain_tokens (chain_id, address, deploy_block, deploy_request_id, recorded_at_us)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chain_id) DO NOTHING`,
    [record.chainId, record.address, record.deployBlock, record.deployRequestId, wallClockUs()],
  );
  const stored = await tokenRecord(db, record.chainId);
  if (stored?.address !== record.address)
    throw new ClearpegError(
      'chain-token-conflict',
      `chain ${record.chainId} already has the token ${stored?.address}, not ${record.address}`,
      { field: 'token', rule: 'one token of record per chain' },
    );
}

/** A `chain_tokens` row (address, deploy_block as text, deploy_request_id) as a record. */
export function tokenFromRow(
  chainId: number,
  row: { address: string; deploy_block: string; deploy_request_id: string | null },
): TokenRecord {
  return {
    chainId,
    address: row.address as Hex,
    deployBlock: BigInt(row.deploy_block),
    deployRequestId: row.deploy_request_id,
  };
}

/**
 * The token of record on `chainId`, or `chain-unknown` naming `field`.
 * @example const token = await deployedToken(db, 31337)
 */
export async function deployedToken(
  db: SqlExecutor,
  chainId: number,
  field = 'chainId',
): Promise<TokenRecord> {
  return requireToken(
    Number.isSafeInteger(chainId) ? await tokenRecord(db, chainId) : undefined,
    chainId,
    field,
  );
}

/** The token read for `chainId`, or `chain-unknown` (naming `field`). */
export function requireToken(
  token: TokenRecord | undefined,
  chainId: number,
  field = 'chainId',
): TokenRecord {
  if (token === undefined)
    throw new ClearpegError('chain-unknown', `no token on chain ${chainId}`, {
      field,
      rule: 'a chain with a deployed token',
    });
  return token;
}

/**
 * The token to use on `chain`: the one configured (a deployment made elsewhere, recorded on
 * first use) or the one deployed by Clearpeg; undefined when there is neither.
 */
export async function resolveToken(
  db: SqlDatabase,
  chain: Pick<ChainConfig, 'name' | 'chainId' | 'token' | 'deployBlock'>,
): Promise<TokenRecord | undefined> {
  const recorded = await tokenRecord(db, chain.chainId);
  if (chain.token === undefined) return recorded;
  if (recorded !== undefined && recorded.address !== chain.token)
    throw new ClearpegError(
      'chain-token-conflict',
      `chain ${chain.name}: the configured token ${chain.token} is not the token of record ${recorded.address}`,
      { field: `${chain.name}.token`, rule: 'the token of record' },
    );
  if (recorded !== undefined) return recorded;
  const record: TokenRecord = {
    chainId: chain.chainId,
    address: chain.token,
    deployBlock: chain.deployBlock ?? 0n,
    deployRequestId: null,
  };
  await recordToken(db, record);
  return record;
}

// ---------------------------------------------------------------- deployment

/** The operating roles the issuer's key gets: it mints, burns redemptions, pauses, blocks. */
export const issuerRoles = [
  'MINTER_ROLE',
  'REDEEMER_ROLE',
  'PAUSER_ROLE',
  'BLOCKLISTER_ROLE',
] as const;

export interface DeployOptions {
  readonly name: string;
  readonly symbol: string;
  /** How long a change of admin waits (AccessControlDefaultAdminRules), in seconds. */
  readonly adminDelaySeconds: number;
  /** The issuer's first minter allowance, in micro-units. */
  readonly minterAllowance: bigint;
  /** Begin handing the admin role to this address (a multisig), which accepts after the delay. */
  readonly adminTo?: Hex;
  /** How long to wait between polls of an unmined request. */
  readonly pollIntervalMs?: number;
  /** Told of each step as it is sent or found already done. */
  readonly progress?: (step: string, state: RequestState) => void;
}

/** The longest admin delay accepted: beyond it a lost admin key could not be replaced in time. */
const adminDelaySecondsMax = 30 * 86_400;

/** The request id of a deployment step on a chain. */
export function deployRequestId(chainId: number, step: string): string {
  return `token:${chainId}:${step}`;
}

/**
 * Deploys the token and sets it up (docs/contract.md, "Deployment"): deploy, grant the issuer
 * its roles, set its minter allowance, optionally begin handing the admin role on; waits until
 * every step is final, checks the result from the chain, and records the token of record.
 * Running it again continues or confirms; other options on a chain already set up are refused.
 * @example const token = await deployToken(db, chain, { name: 'Clearpeg USD', symbol: 'CPUSD', adminDelaySeconds: 172800, minterAllowance: 10n ** 12n })
 */
export async function deployToken(
  db: SqlDatabase,
  chain: IssuerChain,
  options: DeployOptions,
): Promise<TokenRecord> {
  const { connector, client, account, config } = chain;
  const chainId = config.chainId;
  if (
    !Number.isSafeInteger(options.adminDelaySeconds) ||
    options.adminDelaySeconds < 0 ||
    options.adminDelaySeconds > adminDelaySecondsMax
  )
    throw new ClearpegError(
      'deploy-invalid',
      `admin delay must be 0 to ${adminDelaySecondsMax} seconds`,
      {
        field: 'adminDelaySeconds',
        rule: `an integer from 0 to ${adminDelaySecondsMax}`,
      },
    );
  if (options.minterAllowance <= 0n)
    throw new ClearpegError('deploy-invalid', 'the minter allowance must be more than zero', {
      field: 'minterAllowance',
      rule: 'more than zero (there is no unlimited)',
    });
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const sent: string[] = [];
  /** Submits a step and waits until it is mined (the next step's simulation needs its effect). */
  const step = async (name: string, submit: (requestId: string) => Promise<RequestState>) => {
    const requestId = deployRequestId(chainId, name);
    let state = await submit(requestId);
    options.progress?.(name, state);
    while (state.status === 'signed') {
      await sleep(pollIntervalMs);
      await connector.poll();
      state = (await connector.get(requestId))!;
    }
    if (state.status === 'reverted')
      throw new ClearpegError(
        'deploy-reverted',
        `chain ${config.name}: the deployment step ${name} reverted (transaction ${state.txHash})`,
      );
    sent.push(requestId);
    return state;
  };
  const deployed = await step('deploy', (requestId) =>
    connector.deployToken(requestId, {
      name: options.name,
      symbol: options.symbol,
      adminDelaySeconds: options.adminDelaySeconds,
      admin: account.address,
    }),
  );
  const token = deployed.contractAddress;
  assert(token !== null, 'a mined deployment has a contract address');
  const roles = await Promise.all(
    issuerRoles.map((role) => readToken(client, token, role) as Promise<Hex>),
  );
  for (const [i, role] of issuerRoles.entries())
    await step(`grant:${role}`, (requestId) =>
      connector.submit(requestId, {
        to: token,
        function: 'grantRole',
        args: [roles[i], account.address],
      }),
    );
  await step('minter-allowance', (requestId) =>
    connector.submit(requestId, {
      to: token,
      function: 'setMinterAllowance',
      args: [account.address, options.minterAllowance],
    }),
  );
  if (options.adminTo !== undefined) {
    const adminTo = options.adminTo;
    await step('admin-transfer', (requestId) =>
      connector.submit(requestId, {
        to: token,
        function: 'beginDefaultAdminTransfer',
        args: [adminTo],
      }),
    );
  }
  // Every step final before the token is of record.
  for (;;) {
    await connector.poll();
    const states = await Promise.all(sent.map((id) => connector.get(id)));
    if (states.every((s) => s?.status === 'final')) break;
    await sleep(pollIntervalMs);
  }
  await checkDeployment(chain, token, roles);
  const deployId = deployRequestId(chainId, 'deploy');
  const record: TokenRecord = {
    chainId,
    address: token.toLowerCase() as Hex,
    deployBlock: (await connector.get(deployId))!.blockNumber!,
    deployRequestId: deployId,
  };
  await recordToken(db, record);
  return record;
}

/** A view function of the token, by name (the deployment's reads, typed by the caller). */
function readToken(
  client: PublicClient,
  token: Hex,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<unknown> {
  return client.readContract({
    address: token,
    abi: clearpegTokenAbi,
    functionName: functionName as 'decimals',
    args: args as [],
  });
}

/** Reads back what the deployment set, from the chain. */
async function checkDeployment(
  chain: IssuerChain,
  token: Hex,
  roles: readonly Hex[],
): Promise<void> {
  const { client, account } = chain;
  const call = (functionName: string, args: readonly unknown[] = []) =>
    readToken(client, token, functionName, args);
  const checks: [string, unknown, unknown][] = [
    ['decimals()', await call('decimals'), 6],
    ['paused()', await call('paused'), false],
  ];
  for (const [i, role] of issuerRoles.entries())
    checks.push([
      `hasRole(${role}, issuer)`,
      await call('hasRole', [roles[i], account.address]),
      true,
    ]);
  for (const [what, got, expected] of checks)
    if (got !== expected)
      throw new ClearpegError(
        'deploy-check-failed',
        `chain ${chain.config.name}: ${what} is ${String(got)} on the deployed token ${token}, not ${String(expected)}`,
      );
}
