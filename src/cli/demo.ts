/**
 * The demo issuer of `npm start` (`clearpeg serve --demo`): on a fresh embedded data directory
 * with in-process chains, it runs the set-up ceremony (operators, their API keys and the
 * approvers' own key files, written under `<dataDir>/demo/`), onboards three customers, books
 * their deposits, mints for each with the approvals their amounts need, redeems $1,000,000
 * for the first (burned on chain, fee to income) and pays it out maker-checker. Everything
 * goes through the same workflows as production: the chain workers do the chain's part.
 *
 * Started again on the same directory, it seeds nothing and prints where the keys are.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWalletClient, custom, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import type { IssuerChain, TokenRecord } from '../chain/runtime.ts';
import { createCustomer, registerWallet, setKyc } from '../issuance/customers.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import {
  approveMint,
  getMint,
  type MintRequest,
  mintIntent,
  requestMint,
} from '../issuance/mint.ts';
import { createOperator, operatorCount } from '../issuance/operators.ts';
import { approvePayout, createPayout, markPayoutSent, payoutIntent } from '../issuance/payouts.ts';
import { listRedemptions, type Redemption, redemptionQuote } from '../issuance/redemption.ts';
import { formatAmount, type Micro, parseAmount } from '../money/money.ts';
import { type ApproverKey, generateApproverKey, signApproval } from '../policy/approvals.ts';
import { writeApproverKeyFile } from '../policy/approver-key-file.ts';
import type { Actor, OperatorRole } from '../workflow/actors.ts';
import type { IssuanceContext } from '../workflow/context.ts';

/** A chain the demo may use: its token deployed, its worker running. */
export interface DemoChain {
  readonly chain: IssuerChain;
  readonly token: TokenRecord;
}

/** Who the demo made, as printed. */
export interface DemoInfo {
  readonly directory: string;
  readonly operators: readonly {
    id: string;
    roles: readonly OperatorRole[];
    apiKey: string;
    keyFile: string | null;
  }[];
  /** Whether this run seeded (false: found from an earlier run). */
  readonly seeded: boolean;
}

const demoOperators: readonly { id: string; name: string; roles: OperatorRole[] }[] = [
  { id: 'op-admin', name: 'Ada Admin', roles: ['admin'] },
  { id: 'op-treasurer', name: 'Tess Treasurer', roles: ['treasurer'] },
  { id: 'op-compliance', name: 'Cole Compliance', roles: ['compliance'] },
  { id: 'op-ann', name: 'Ann Approver', roles: ['approver'] },
  { id: 'op-bob', name: 'Bob Approver', roles: ['approver'] },
  { id: 'op-cat', name: 'Cat Approver', roles: ['approver'] },
  { id: 'op-audit', name: 'Abe Auditor', roles: ['auditor'] },
];

const demoCustomers = [
  { id: 'CUST-0001', name: 'Acme Treasury LLC', deposit: '5000000', account: 1 },
  { id: 'CUST-0002', name: 'Globex Payments Inc', deposit: '2500000', account: 2 },
  { id: 'CUST-0003', name: 'Initech Remittance Co', deposit: '750000', account: 3 },
] as const;

/**
 * Where the demo keeps its operators' credentials (mode 0600).
 * @example credentialsFile(info.directory) // '.clearpeg/demo/operators.json'
 */
export function credentialsFile(directory: string): string {
  return join(directory, 'operators.json');
}

/**
 * The shell variable that holds an operator's API key in the demo's keys file.
 * @example keyVariable('op-ann') // 'OP_ANN_KEY'
 */
export function keyVariable(operatorId: string): string {
  return `${operatorId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_KEY`;
}

/**
 * Where the demo keeps its operators' API keys as shell variables (mode 0600), to be sourced:
 * `. .clearpeg/demo/keys.env`, then `CLEARPEG_API_KEY=$OP_TREASURER_KEY npx clearpeg …`.
 * @example keysFile(info.directory) // '.clearpeg/demo/keys.env'
 */
export function keysFile(directory: string): string {
  return join(directory, 'keys.env');
}

/** Writes the keys file of `operators` (again: it holds nothing that operators.json does not). */
function writeKeysFile(directory: string, operators: DemoInfo['operators']): void {
  const lines = operators.map(
    (o) => `export ${keyVariable(o.id)}='${o.apiKey}'   # ${o.id}: ${o.roles.join(', ')}`,
  );
  writeFileSync(
    keysFile(directory),
    `# The demo operators' API keys. Source this file, then act as one of them:\n#   CLEARPEG_API_KEY=$OP_TREASURER_KEY npx clearpeg mint list\n${lines.join('\n')}\n`,
    { mode: 0o600 },
  );
}

/** Polls `done` every 50 ms, for up to a minute. */
async function waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`demo: ${what} did not happen within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The demo's operators, made in `directory` (the set-up ceremony: each approver's key is made
 * where it will stay), with their credentials and keys files; the database must have none.
 * Also what tests of several `clearpeg serve` processes seed (src/cluster/testing.ts).
 * @example const { operators, keys } = await seedDemoOperators(ctx, join(dataDir, 'demo'))
 */
export async function seedDemoOperators(
  ctx: Pick<IssuanceContext, 'db' | 'clockUs'>,
  directory: string,
): Promise<{ operators: DemoInfo['operators'][number][]; keys: Map<string, ApproverKey> }> {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const keys = new Map<string, ApproverKey>();
  const operators: DemoInfo['operators'][number][] = [];
  for (const operator of demoOperators) {
    const approver = operator.roles.includes('approver');
    const key = approver ? generateApproverKey() : undefined;
    const keyFile = approver ? join(directory, `approver-${operator.id}.json`) : null;
    if (key !== undefined && keyFile !== null) {
      writeApproverKeyFile(keyFile, operator.id, key);
      keys.set(operator.id, key);
    }
    const { apiKey } = await createOperator(
      ctx.db,
      { ...operator, ...(key === undefined ? {} : { approvalKey: key.publicKey }) },
      ctx.clockUs,
    );
    operators.push({ id: operator.id, roles: operator.roles, apiKey, keyFile });
  }
  writeFileSync(credentialsFile(directory), `${JSON.stringify({ operators }, null, 2)}\n`, {
    mode: 0o600,
  });
  writeKeysFile(directory, operators);
  return { operators, keys };
}

/**
 * Seeds the demo issuer, or finds the one seeded before.
 * @example const info = await runDemo({ ctx, dataDir, chains, out: console.log })
 */
export async function runDemo(options: {
  ctx: IssuanceContext;
  dataDir: string;
  chains: readonly DemoChain[];
  out: (line: string) => void;
}): Promise<DemoInfo> {
  const { ctx, out } = options;
  const directory = join(options.dataDir, 'demo');
  const credentials = credentialsFile(directory);
  if (existsSync(credentials)) {
    const found: DemoInfo['operators'] = JSON.parse(readFileSync(credentials, 'utf8')).operators;
    if (!existsSync(keysFile(directory))) writeKeysFile(directory, found); // seeded by an older version
    return { directory, seeded: false, operators: found };
  }
  if ((await operatorCount(ctx.db)) > 0)
    throw new Error(
      'demo: this database has operators but no demo credentials; run "clearpeg serve" without --demo',
    );
  const [first] = options.chains;
  if (first === undefined || first.chain.local === undefined)
    throw new Error('demo: needs an in-process chain with its token (the embedded defaults)');
  const { operators, keys } = await seedDemoOperators(ctx, directory);
  const actor = (id: string): Actor => ({
    kind: 'operator',
    id,
    roles: demoOperators.find((o) => o.id === id)!.roles,
  });
  const treasurer = actor('op-treasurer');
  const compliance = actor('op-compliance');
  const { chain, token } = first;
  const chainId = chain.config.chainId;

  out(`demo: ${demoCustomers.length} customers, their deposits and mints on ${chain.config.name}`);
  const mints: MintRequest[] = [];
  for (const customer of demoCustomers) {
    const holder = chain.local!.accounts[customer.account]!.address;
    const deposit = parseAmount(customer.deposit);
    await createCustomer(ctx, compliance, { id: customer.id, name: customer.name });
    await setKyc(ctx, compliance, customer.id, 'approved');
    await registerWallet(ctx, compliance, { customerId: customer.id, chainId, address: holder });
    await recordDeposit(ctx, treasurer, {
      reference: `DEMO-FED-${customer.id}`,
      bank: 'bank-a',
      amount: deposit,
      customerId: customer.id,
      bookingDate: new Date(Number(ctx.clockUs() / 1000n)).toISOString().slice(0, 10),
    });
    const request = await requestMint(ctx, treasurer, {
      customerId: customer.id,
      chainId,
      to: holder,
      amount: deposit,
    });
    for (const approverId of ['op-ann', 'op-bob', 'op-cat'].slice(0, request.approvalsRequired))
      await approveMint(
        ctx,
        actor(approverId),
        request.id,
        signApproval(mintIntent(request), keys.get(approverId)!.privateKey, approverId),
      );
    mints.push(request);
    out(
      `  mint ${request.id}: ${formatAmount(request.amount)} to ${customer.id} (${request.approvalsRequired} approval${request.approvalsRequired === 1 ? '' : 's'})`,
    );
  }
  for (const request of mints)
    await waitFor(
      `mint ${request.id} final`,
      async () => (await getMint(ctx.db, request.id)).status === 'final',
    );

  // A redemption: the first customer sends $1,000,000 back from their own wallet.
  const redeemer = demoCustomers[0];
  const amount = parseAmount('1000000');
  const quote = await redemptionQuote(ctx, treasurer, { customerId: redeemer.id, chainId, amount });
  const wallet = createWalletClient({
    account: privateKeyToAccount(chain.local!.accounts[redeemer.account]!.privateKey),
    transport: custom(chain.local!.provider),
  });
  await wallet.writeContract({
    address: token.address,
    abi: clearpegTokenAbi,
    functionName: 'transfer',
    args: [quote.redemptionAddress as Hex, amount],
    chain: null,
  });
  let redemption: Redemption | undefined;
  await waitFor('the redemption burned', async () => {
    [redemption] = await listRedemptions(ctx.db, { customerId: redeemer.id, limit: 1 });
    return redemption?.status === 'burned';
  });
  const redeemed = redemption!;
  out(
    `  redemption ${redeemed.id}: ${formatAmount(redeemed.amount)} from ${redeemer.id}, fee ${formatAmount(redeemed.fee)}, burned`,
  );
  const payout = await createPayout(ctx, treasurer, {
    customerId: redeemer.id,
    amount: redeemed.net as Micro,
    bank: 'bank-a',
    beneficiary: `${redeemer.name}, ABA 021000021, account 000123456789`,
    redemptionId: redeemed.id,
  });
  await approvePayout(
    ctx,
    actor('op-ann'),
    payout.id,
    signApproval(payoutIntent(payout), keys.get('op-ann')!.privateKey, 'op-ann'),
  );
  await markPayoutSent(ctx, treasurer, payout.id, {
    bankReference: `DEMO-OUT-${payout.id.slice(0, 8)}`,
  });
  out(`  payout ${payout.id}: ${formatAmount(payout.amount)} made, approved and sent`);
  return { directory, operators, seeded: true };
}
