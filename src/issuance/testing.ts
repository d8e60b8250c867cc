/**
 * An issuance context on a fresh database, with one operator of each role: the starting point
 * of the issuance tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultChains } from '../chain/config.ts';
import {
  deployToken,
  type IssuerChain,
  openIssuerChain,
  type TokenRecord,
} from '../chain/runtime.ts';
import { ChainWorker } from '../chain/worker.ts';
import { parseAmount } from '../money/money.ts';
import { type ApproverKey, generateApproverKey } from '../policy/approvals.ts';
import { openTestDatabase, type TestBackend, type TestDatabase } from '../storage/testing.ts';
import type { Actor, OperatorRole } from '../workflow/actors.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { issuanceContext } from './context.ts';
import { createOperator } from './operators.ts';
import { issuanceSettle } from './worker.ts';

export interface IssuanceFixture {
  readonly t: TestDatabase;
  readonly ctx: IssuanceContext;
  /** An operator holding only `role`. */
  operator(role: OperatorRole, id?: string): Actor;
  /** The balance of a ledger account by code: credits − debits, posted (0 if there is none). */
  balance(code: string): Promise<bigint>;
  close(): Promise<void>;
}

export async function issuanceFixture(backend: TestBackend = 'pglite'): Promise<IssuanceFixture> {
  const t = await openTestDatabase(backend);
  const ctx = issuanceContext(t.db);
  const store = ctx.ledger.store;
  return {
    t,
    ctx,
    operator: (role, id = `op-${role}`) => ({ kind: 'operator', id, roles: [role] }),
    balance: async (code) => {
      const account = await store.accountByCode(code);
      return account === undefined ? 0n : account.creditsPosted - account.debitsPosted;
    },
    close: () => t.dispose(),
  };
}

/** The token deployed on an in-process chain, and a chain worker running issuance's steps. */
export interface IssuerChainFixture {
  readonly chain: IssuerChain;
  readonly token: TokenRecord;
  /** Ticked by the test (`worker.tick()`), or started with `worker.start()`. */
  readonly worker: ChainWorker;
  close(): Promise<void>;
}

/**
 * Deploys the token on the first default in-process chain (its journal in a temporary data
 * directory) for the fixture's database, with a chain worker whose `settle` step is issuance's.
 * @example const c = await issuerChainFixture(f); await c.worker.tick()
 */
export async function issuerChainFixture(
  f: IssuanceFixture,
  options: { intervalMs?: number } = {},
): Promise<IssuerChainFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-issuer-chain-'));
  const chain = await openIssuerChain(defaultChains[0]!, { db: f.t.db, dataDir });
  const token = await deployToken(f.t.db, chain, {
    name: 'Clearpeg USD',
    symbol: 'CPUSD',
    adminDelaySeconds: 86_400,
    minterAllowance: parseAmount('100000000'),
    pollIntervalMs: 5,
  });
  const worker = new ChainWorker({
    db: f.t.db,
    ledger: f.ctx.ledger,
    chain,
    token,
    log: () => {},
    settle: issuanceSettle(f.ctx, chain, token),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  return {
    chain,
    token,
    worker,
    close: async () => {
      await worker.stop();
      await chain.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The token of record the tests' chain 31337 gets without running a chain (`recordTestToken`). */
export const testTokenAddress = '0x5fbdb2315678afecb367f032d93f642f64180aa3';

/**
 * Records a token of record on `chainId` without a chain (a `chain_tokens` row), so that
 * wallets can be registered and mints requested there.
 * @example await recordTestToken(f.t.db, 31337)
 */
export async function recordTestToken(
  db: TestDatabase['db'],
  chainId = 31337,
  address: string = testTokenAddress,
): Promise<void> {
  await db.query(
    `INSERT INTO chain_tokens (chain_id, address, deploy_block, deploy_request_id, recorded_at_us) VALUES ($1, $2, 0, NULL, 0)`,
    [chainId, address],
  );
}

/**
 * Registers approvers (role `approver` only) with fresh Ed25519 keys; returns the keys by id.
 * @example const keys = await createApprovers(f, ['op-ann', 'op-bob'])
 */
export async function createApprovers(
  f: IssuanceFixture,
  ids: readonly string[],
): Promise<Record<string, ApproverKey>> {
  const keys: Record<string, ApproverKey> = {};
  for (const id of ids) {
    keys[id] = generateApproverKey();
    await createOperator(f.t.db, {
      id,
      name: id,
      roles: ['approver'],
      approvalKey: keys[id].publicKey,
    });
  }
  return keys;
}
