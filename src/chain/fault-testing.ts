/**
 * The issuer on `hardhat node` behind a fault proxy: the starting point of the RPC fault and
 * reorg suites. The issuer's client goes through the proxy; the tests' own checks (`direct`)
 * and the holders' wallets go straight to the node, so what they see is the chain as it is.
 *
 * Blocks come every `blockIntervalMs` (interval mining, besides automine), so finality deeper
 * than one block arrives by itself, as on a real chain. Money flows as in production: deposits,
 * mints approved by a quorum, holders' transfers into redemption addresses, burns, each driven
 * by the chain worker's tick with issuance's `settle`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseAbiItem,
  zeroAddress,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Attestor, type AttestResult } from '../attest/cycle.ts';
import { liabilitiesSecret, logIdentity } from '../attest/keys.ts';
import { TransparencyLog } from '../attest/log.ts';
import { LogPublisher } from '../attest/publish.ts';
import { assert } from '../errors.ts';
import { createCustomer, registerWallet, setKyc } from '../issuance/customers.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import {
  approveMint,
  getMint,
  type MintRequest,
  mintIntent,
  requestMint,
} from '../issuance/mint.ts';
import { createOperator } from '../issuance/operators.ts';
import { redemptionQuote } from '../issuance/redemption.ts';
import { createApprovers, type IssuanceFixture } from '../issuance/testing.ts';
import { issuanceSettle } from '../issuance/worker.ts';
import { verifyLedger } from '../ledger/verify.ts';
import type { Micro } from '../money/money.ts';
import { type ApproverKey, signApproval } from '../policy/approvals.ts';
import { discrepancies } from '../proofs/attestation.ts';
import { checkWitnesses } from '../proofs/cosignature.ts';
import {
  algorithmCosignatureV1,
  ed25519Verifier,
  generateSignerKey,
  openNote,
} from '../proofs/note.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { startWitnessServer, type WitnessServer } from '../witness/server.ts';
import { DirectoryStateStore } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';
import { supplyAccountSpec } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import { verifyAudit } from '../workflow/audit-store.ts';
import { clearpegTokenAbi } from './artifacts.ts';
import type { ChainConfig } from './config.ts';
import { ChainConnector } from './connector.ts';
import { type HardhatNode, startHardhatNode } from './evm.ts';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';
import { checkParity } from './parity.ts';
import { deployToken, type IssuerChain, type TokenRecord } from './runtime.ts';
import { ChainWorker } from './worker.ts';

export const faultChainId = 31337;
export const faultCustomerId = 'CUST-0001';

export interface FaultFixture {
  readonly f: IssuanceFixture;
  readonly node: HardhatNode;
  readonly proxy: FaultProxy;
  readonly chain: IssuerChain;
  readonly token: TokenRecord;
  readonly worker: ChainWorker;
  /** Straight to the node, past the proxy: the chain as it is. */
  readonly direct: PublicClient;
  /** The customer's wallet (test account 4): mints go there, redemptions come from it. */
  readonly holder: Hex;
  readonly finalityDepth: number;
  /** A JSON-RPC call straight to the node (`evm_snapshot`, `hardhat_mine`, …). */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Books a deposit and requests a mint of it, approved by a quorum; returns the request. */
  mint(reference: string, amount: Micro): Promise<MintRequest>;
  /** The holder sends `amount` to the customer's redemption address; resolves when mined. */
  redeem(amount: bigint): Promise<Hex>;
  /** One tick; a failure (the proxy at work) is counted, not thrown. */
  tick(): Promise<boolean>;
  /** Ticks (every `pauseMs`) until `done` holds; fails after `ticksMax`. */
  tickUntil(done: () => Promise<boolean>, what: string, ticksMax?: number): Promise<void>;
  /**
   * Runs an attestation cycle (it refuses unless the journal replays and the business tables
   * agree with it; the chain's figures are read through the proxy) and checks what it
   * published: the checkpoint opens under the log's key, the witness cosigned it (it checks
   * each checkpoint's consistency with the one before), and the attestation's figures add up.
   */
  attest(): Promise<AttestResult>;
  /** Ticks that threw so far, and their messages' first lines. */
  readonly failures: string[];
  /** What the worker reported while started (`worker.start()`). */
  readonly logs: string[];
  /** Mines `blocks` empty blocks on the node. */
  mine(blocks: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `hardhat node`, a fault proxy before it, deploys the token through the proxy (no fault
 * set yet) and sets up an approved customer with a wallet, a treasurer and two approvers.
 * @example const x = await faultFixture(f, { finalityDepth: 3 }); x.proxy.inject({ kind: 'truncate' })
 */
export async function faultFixture(
  f: IssuanceFixture,
  options: { finalityDepth: number; blockIntervalMs?: number; seed?: number },
): Promise<FaultFixture> {
  const node = await startHardhatNode({ chainId: faultChainId });
  let proxy: FaultProxy | undefined;
  try {
    proxy = await startFaultProxy({
      upstream: node.url,
      ...(options.seed ? { seed: options.seed } : {}),
    });
    return await setUp(f, node, proxy, options);
  } catch (error) {
    await proxy?.close();
    await node.stop();
    throw error;
  }
}

async function setUp(
  f: IssuanceFixture,
  node: HardhatNode,
  proxy: FaultProxy,
  options: { finalityDepth: number; blockIntervalMs?: number },
): Promise<FaultFixture> {
  const direct = createPublicClient({ transport: http(node.url, { retryCount: 0 }) });
  const rpc = <T>(method: string, params: unknown[] = []) =>
    direct.request({ method, params } as never) as Promise<T>;
  await rpc('evm_setIntervalMining', [options.blockIntervalMs ?? 50]);
  // As `openIssuerChain` makes it for an HTTP node: no transport retries.
  const client = createPublicClient({ transport: http(proxy.url, { retryCount: 0 }) });
  const account = privateKeyToAccount(node.accounts[0]!.privateKey);
  const config: ChainConfig = {
    name: 'faulty',
    chainId: faultChainId,
    rpcUrl: proxy.url,
    token: undefined,
    deployBlock: undefined,
    finalityDepth: options.finalityDepth,
  };
  const connector = new ChainConnector({
    db: f.t.db,
    client,
    chainId: faultChainId,
    account,
    finalityDepth: options.finalityDepth,
  });
  const chain: IssuerChain = {
    config,
    client,
    account,
    connector,
    local: undefined,
    close: async () => {},
  };
  const token = await deployToken(f.t.db, chain, {
    name: 'Clearpeg USD',
    symbol: 'CPUSD',
    adminDelaySeconds: 86_400,
    minterAllowance: 10n ** 15n,
    pollIntervalMs: 20,
  });
  const logs: string[] = [];
  const worker = new ChainWorker({
    db: f.t.db,
    ledger: f.ctx.ledger,
    chain,
    token,
    log: (line) => logs.push(line),
    settle: issuanceSettle(f.ctx, chain, token),
    intervalMs: 50,
  });
  const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
  await createOperator(f.t.db, { id: 'op-tess', name: 'Tess', roles: ['treasurer'] });
  const keys: Record<string, ApproverKey> = await createApprovers(f, ['op-ann', 'op-bob']);
  const holderAccount = node.accounts[4]!;
  const holder = holderAccount.address.toLowerCase() as Hex;
  await createCustomer(f.ctx, f.operator('compliance'), { id: faultCustomerId, name: 'Acme' });
  await setKyc(f.ctx, f.operator('compliance'), faultCustomerId, 'approved');
  await registerWallet(f.ctx, f.operator('compliance'), {
    customerId: faultCustomerId,
    chainId: faultChainId,
    address: holder,
  });
  const holderWallet = createWalletClient({
    account: privateKeyToAccount(holderAccount.privateKey),
    transport: http(node.url, { retryCount: 0 }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-faults-'));
  const identity = logIdentity(dir, {});
  const witness = new Witness({
    key: generateSignerKey('witness.test/faults', algorithmCosignatureV1),
    logs: [identity.vkey],
    store: new DirectoryStateStore(join(dir, 'witness')),
  });
  const witnessServer: WitnessServer = await startWitnessServer(witness);
  const attestor = new Attestor({
    ctx: f.ctx,
    log: new TransparencyLog(f.t.db, identity, f.ctx.clockUs),
    publisher: new LogPublisher(join(dir, 'public'), identity.vkey),
    chains: [{ chain, token }],
    ruleset: loadRuleset('genius'),
    master: liabilitiesSecret(dir),
    witnesses: [{ vkey: witness.verifierKey, url: witnessServer.url }],
    quorum: 1,
  });
  const failures: string[] = [];
  const tick = async () => {
    try {
      await worker.tick();
      return true;
    } catch (error) {
      failures.push((error as Error).message.split('\n').slice(0, 6).join(' / '));
      return false;
    }
  };
  return {
    f,
    node,
    proxy,
    chain,
    token,
    worker,
    direct,
    holder,
    finalityDepth: options.finalityDepth,
    rpc,
    failures,
    logs,
    mine: async (blocks) => {
      await rpc('hardhat_mine', [`0x${blocks.toString(16)}`]);
    },
    tick,
    async mint(reference, amount) {
      await recordDeposit(f.ctx, treasurer, {
        reference,
        bank: 'bank-a',
        amount,
        customerId: faultCustomerId,
        bookingDate: '2026-11-20',
      });
      const request = await requestMint(f.ctx, treasurer, {
        customerId: faultCustomerId,
        chainId: faultChainId,
        to: holder,
        amount,
      });
      const approvers = ['op-ann', 'op-bob'].slice(0, request.approvalsRequired);
      for (const id of approvers)
        await approveMint(
          f.ctx,
          { kind: 'operator', id, roles: ['approver'] },
          request.id,
          signApproval(mintIntent(request), keys[id]!.privateKey, id),
        );
      return getMint(f.t.db, request.id);
    },
    async redeem(amount) {
      const quote = await redemptionQuote(f.ctx, treasurer, {
        customerId: faultCustomerId,
        chainId: faultChainId,
        amount: amount as Micro,
      });
      const hash = await holderWallet.writeContract({
        address: token.address,
        abi: clearpegTokenAbi,
        functionName: 'transfer',
        args: [quote.redemptionAddress, amount],
        chain: null,
      });
      await direct.waitForTransactionReceipt({ hash, pollingInterval: 10 });
      return hash;
    },
    async tickUntil(done, what, ticksMax = 200) {
      for (let i = 0; i < ticksMax; i++) {
        await tick();
        if (await done()) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(
        `not reached after ${ticksMax} ticks: ${what} (tick failures: ${failures.slice(-3).join(' | ')})`,
      );
    },
    async attest() {
      const result = await attestor.runOnce();
      assert(
        result.cosignedBy.length === 1 && result.cosignedBy[0] === witness.verifierKey,
        'the witness cosigned the checkpoint (consistent with the one it cosigned before)',
      );
      openNote(result.published, [ed25519Verifier(identity.vkey)]);
      assert(
        checkWitnesses(result.published, [witness.verifierKey], 1).satisfied,
        'the published checkpoint carries the cosignature',
      );
      const wrong = discrepancies(result.attestation);
      assert(wrong.length === 0, `the attestation adds up (${JSON.stringify(wrong)})`);
      return result;
    },
    close: async () => {
      await worker.stop();
      await witnessServer.close();
      await proxy.close();
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What `issuerInvariants` found. */
export interface InvariantReport {
  readonly mintRequests: number;
  readonly mintsOnChain: number;
  readonly totalSupply: bigint;
  readonly ledgerSupply: bigint;
}

const transferEvent = parseAbiItem(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);

/**
 * Checks, against the chain as it is (past the proxy), that the issuer kept its promises once
 * settled: every mint request final and minted on chain exactly once, by its own transaction,
 * for its amount; no Transfer from 0x0 that no request explains; every chain request one nonce
 * and one signed transaction, the nonces 0…n−1 and all mined; total supply equal to the ledger's
 * supply; parity holds; no breaker tripped; the journal replays and the audit log chains.
 * @example const report = await issuerInvariants(x); assert.equal(report.mintsOnChain, 3)
 */
export async function issuerInvariants(x: FaultFixture): Promise<InvariantReport> {
  const db = x.f.t.db;
  const { rows: mints } = await db.query<{
    id: string;
    status: string;
    amount: string;
    chain_request_id: string | null;
    failure: string | null;
  }>('SELECT id, status, amount::text, chain_request_id, failure FROM mint_requests');
  for (const m of mints)
    assert(m.status === 'final', `mint ${m.id} is final, not ${m.status} (${m.failure ?? ''})`);
  const logs = await x.direct.getLogs({
    address: x.token.address,
    event: transferEvent,
    args: { from: zeroAddress },
    fromBlock: x.token.deployBlock,
    toBlock: 'latest',
  });
  const { rows: txOf } = await db.query<{ request_id: string; tx_hash: Uint8Array }>(
    `SELECT r.request_id, r.tx_hash FROM chain_requests r WHERE r.request_id IN (SELECT chain_request_id FROM mint_requests)`,
  );
  const hashOf = new Map(
    txOf.map((r) => [r.request_id, `0x${Buffer.from(r.tx_hash).toString('hex')}`]),
  );
  const seen = new Map<string, number>();
  for (const log of logs) seen.set(log.transactionHash, (seen.get(log.transactionHash) ?? 0) + 1);
  for (const m of mints) {
    const hash = hashOf.get(m.chain_request_id ?? '');
    assert(hash !== undefined, `mint ${m.id} has a mined chain request`);
    const onChain = logs.filter((log) => log.transactionHash === hash);
    assert(onChain.length === 1, `mint ${m.id} minted once on chain (${onChain.length})`);
    assert(onChain[0]!.args.value === BigInt(m.amount), `mint ${m.id} minted its amount`);
  }
  assert(
    logs.length === mints.length,
    `${logs.length} mints on chain for ${mints.length} requests`,
  );
  const { rows: redemptions } = await db.query<{ id: string; status: string }>(
    'SELECT id, status FROM redemptions',
  );
  for (const r of redemptions)
    assert(r.status === 'burned', `redemption ${r.id} is burned, not ${r.status}`);
  const { rows: requests } = await db.query<{ nonce: string; status: string; attempts: string }>(
    `SELECT r.nonce::text, r.status, (SELECT count(*) FROM chain_attempts a WHERE a.request_id = r.request_id)::text AS attempts
     FROM chain_requests r WHERE r.chain_id = $1 ORDER BY r.nonce`,
    [faultChainId],
  );
  requests.forEach((r, i) => {
    assert(
      BigInt(r.nonce) === BigInt(i),
      `nonces are 0…n−1 without a gap or a repeat (${r.nonce} at ${i})`,
    );
    assert(r.attempts === '1', `one signed transaction per request (${r.attempts})`);
    assert(r.status === 'final', `every chain request is final (${r.status})`);
  });
  const sent = await x.direct.getTransactionCount({ address: x.chain.account.address });
  assert(
    sent === requests.length,
    `the issuer's key sent ${sent} transactions for ${requests.length} requests`,
  );
  const totalSupply = (await x.direct.readContract({
    address: x.token.address,
    abi: clearpegTokenAbi,
    functionName: 'totalSupply',
  })) as bigint;
  const ledgerSupply = await x.f.balance(`supply:${faultChainId}`);
  assert(
    totalSupply === ledgerSupply,
    `total supply ${totalSupply} = ledger supply ${ledgerSupply}`,
  );
  const supplyAccount = (await x.f.ctx.ledger.ensureAccount(supplyAccountSpec(faultChainId))).id;
  const parity = await checkParity({
    db,
    client: x.direct,
    chainId: faultChainId,
    token: x.token.address,
    finalityDepth: x.finalityDepth,
    supplyAccount,
  });
  // Undefined only before the worker's first tick has indexed anything.
  assert(
    parity === undefined ? mints.length === 0 : parity.ok,
    `parity holds (${parity?.circulating} vs ${parity?.ledgerSupply})`,
  );
  const { rows: breakers } = await db.query<{ name: string; reason: unknown }>(
    'SELECT name, reason FROM breakers',
  );
  assert(breakers.length === 0, `no breaker tripped (${JSON.stringify(breakers)})`);
  const { rows: bad } = await db.query('SELECT 1 FROM chain_parity WHERE NOT ok');
  assert(bad.length === 0, 'no parity check ever failed');
  const ledger = await verifyLedger(new SqlLedgerStore(db));
  assert(ledger.ok, `the journal replays (${JSON.stringify(ledger.broken)})`);
  assert((await verifyAudit(db)).ok, 'the audit log chains');
  return { mintRequests: mints.length, mintsOnChain: logs.length, totalSupply, ledgerSupply };
}

/**
 * What must hold at every moment, faults or not: no chain request with a second signed
 * transaction, no nonce taken twice, and nothing the issuer counts final that is not final on
 * the chain as it is (its block still canonical and `finalityDepth` deep).
 */
export async function neverWrong(x: FaultFixture): Promise<void> {
  const db = x.f.t.db;
  const { rows } = await db.query<{ n: string; nonces: string; attempts: string }>(
    `SELECT count(*)::text AS n, count(DISTINCT nonce)::text AS nonces,
       (SELECT count(*) FROM chain_attempts a JOIN chain_requests r USING (request_id) WHERE r.chain_id = $1)::text AS attempts
     FROM chain_requests WHERE chain_id = $1`,
    [faultChainId],
  );
  assert(rows[0]!.n === rows[0]!.nonces, 'no nonce taken twice');
  assert(rows[0]!.n === rows[0]!.attempts, 'one signed transaction per request');
  const head = await x.direct.getBlockNumber({ cacheTime: 0 });
  const { rows: finals } = await db.query<{
    request_id: string;
    block_number: string;
    block_hash: Uint8Array;
  }>(
    `SELECT request_id, block_number::text, block_hash FROM chain_requests WHERE chain_id = $1 AND status = 'final'`,
    [faultChainId],
  );
  for (const r of finals) {
    const number = BigInt(r.block_number);
    assert(
      head - number + 1n >= BigInt(x.finalityDepth),
      `request ${r.request_id} final only when deep enough`,
    );
    const block = await x.direct.getBlock({ blockNumber: number });
    assert(
      block.hash === `0x${Buffer.from(r.block_hash).toString('hex')}`,
      `request ${r.request_id}'s final block is canonical`,
    );
  }
}
