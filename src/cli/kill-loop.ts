/**
 * The kill loop (issue 17, build point 5): `clearpeg serve --demo` as a child process, driven
 * through its HTTP API by a steady load (deposits, mint requests and their approvals, reads),
 * SIGKILLed at a random moment, restarted, and checked after each restart:
 *
 *   acknowledged    every request answered 2xx exists exactly once (deposits by reference,
 *                   mint requests by id and by their unique amount, approvals by the mint's
 *                   state, redemptions by their transaction); a request whose answer was lost
 *                   is retried with the same Idempotency-Key and body until it is answered
 *   on chain        read from the in-process chain's journal while the server is down: no
 *                   `Minted` event twice for one request (every amount is unique), none for a
 *                   request the issuer does not know; at the end, the token's total supply is
 *                   what the final mints less the burned redemptions make
 *   settled         every few restarts and at the end: once the workers have nothing open,
 *                   parity holds at the indexed block and no breaker is tripped
 *   ledger          every few restarts and at the end: `GET /v1/verify` (the journal replayed,
 *                   the audit chain, parity, each row against the ledger)
 *   log             every restart: the published checkpoint verifies under the log's key and
 *                   both witnesses and is consistent with the last one seen (`verifyLog`)
 *
 * Redemptions arrive while the issuer is down: between a kill and the restart the harness
 * opens the in-process chain's journal itself (as the restarted server will) and sends a
 * holder's tokens to their redemption address; the restarted indexer must find and burn them.
 *
 * Randomness comes from one seeded generator (`seed`): a failing run is replayed with the
 * seed it printed (the server's own timing still varies).
 */

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, custom, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import { openDevChain } from '../chain/dev-chain.ts';
import { testAccounts } from '../chain/evm.ts';
import { devChainFile } from '../chain/runtime.ts';
import { spawnServe } from '../cluster/testing.ts';
import { formatAmount, parseAmount } from '../money/money.ts';
import { freePort } from '../net.ts';
import { signApproval } from '../policy/approvals.ts';
import { readApproverKeyFile } from '../policy/approver-key-file.ts';
import type { Intent } from '../policy/intent.ts';
import { seededRandom } from '../random.ts';
import { verifyLog } from '../verifier/checks.ts';
import { httpFetcher } from '../verifier/node.ts';

/** What a run is given. */
export interface KillLoopOptions {
  /** The data directory (made by the first start). */
  readonly dataDir: string;
  /** PostgreSQL (a fresh database), or undefined for the embedded store. */
  readonly databaseUrl: string | undefined;
  readonly kills: number;
  readonly seed: number;
  /** The full checks (settlement, parity, `GET /v1/verify`) every this many restarts, and at the end. */
  readonly fullCheckEvery: number;
  /** Told of progress, one line at a time. */
  readonly log: (line: string) => void;
}

/** What a run measured and found. */
export interface KillLoopReport {
  readonly kills: number;
  readonly acknowledged: { deposits: number; mints: number; approvals: number };
  readonly redemptions: number;
  /** Requests whose retry was answered `409 idempotency-in-progress` (a placeholder left by a kill). */
  readonly blockedRetries: number;
  /**
   * Retries that took a stale placeholder over and ran again, answered otherwise than the
   * first run would have been: an approval refused `mint-not-pending` (it had counted), a
   * deposit answered `duplicate`.
   */
  readonly misanswered: { approvals: number; deposits: number };
  /** Requests still unanswered at the end (a placeholder not taken over, a server that never answered). */
  readonly unresolved: number;
  /** Mint requests made twice by a request run again after a kill. */
  readonly doubledMintRequests: number;
  /** Kills that landed during start-up (before the server listened). */
  readonly startupKills: number;
  /** Milliseconds per phase, one entry per iteration. */
  readonly timingsMs: Record<string, number[]>;
}

/** A running `clearpeg serve --demo`. */
interface Server {
  readonly process: ChildProcess;
  readonly url: string;
  output(): string;
  /** Sends the signal and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** How long a start may take before the run fails (a start that hangs is a finding). */
const startTimeoutMs = 120_000;
/** How long the workers may take to settle before the run fails. */
const settleTimeoutMs = 30_000;
/** One HTTP request's bound. */
const requestTimeoutMs = 15_000;
/** The load's concurrent clients. */
const clients = 3;

/** The environment of a server (`spawnServe` drops the caller's Clearpeg settings). */
function serverEnv(options: KillLoopOptions): NodeJS.ProcessEnv {
  return {
    CLEARPEG_DATA_DIR: options.dataDir,
    CLEARPEG_HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl ?? '',
  };
}

/**
 * Spawns the server; resolves once `pattern` is in its output, or rejects if it exits first.
 * With `killAfterMs`: SIGKILLed if it has not got that far by then (undefined).
 */
async function spawnServer(
  options: KillLoopOptions,
  pattern: RegExp,
  killAfterMs?: number,
): Promise<Server | undefined> {
  const p = spawnServe(serverEnv(options), { port: await freePort(), args: ['--demo'] });
  try {
    await p.waitFor(pattern, killAfterMs ?? startTimeoutMs);
  } catch (error) {
    if (p.exited) throw error;
    await p.kill('SIGKILL');
    if (killAfterMs !== undefined) return undefined;
    throw new Error(`clearpeg serve did not start within ${startTimeoutMs} ms:\n${p.output()}`);
  }
  const url = /serving on (http:\/\/[^/\s]+)\//.exec(p.output())?.[1];
  assert(url !== undefined, `serve printed its URL:\n${p.output()}`);
  return { process: p.child, url, output: p.output, kill: p.kill };
}

/** SIGKILL, and waits for the exit. */
function kill(server: Server): Promise<void> {
  return server.kill('SIGKILL');
}

/** SIGTERM, and waits for the exit (the end of a run). */
function stop(server: Server): Promise<void> {
  return server.kill('SIGTERM');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A JSON body as the harness reads it: fields looked up by name, checked where used. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the assertions
type Json = any;

/** An answer, or the failure to get one. */
type Answer = { ok: true; status: number; body: Json } | { ok: false; error: string };

async function call(
  url: string,
  apiKey: string | undefined,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
  idempotencyKey?: string,
): Promise<Answer> {
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body,
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { ok: true, status: response.status, body: parsed };
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return { ok: false, error: cause?.message ?? (error as Error).message };
  }
}

/** A GET that must answer 200. */
async function get(url: string, apiKey: string, path: string): Promise<Json> {
  const answer = await call(url, apiKey, 'GET', path);
  assert(answer.ok && answer.status === 200, `GET ${path}: ${JSON.stringify(answer)}`);
  return answer.body;
}

/** Every item of a paged list. */
async function getAll(url: string, apiKey: string, path: string, key: string): Promise<Json[]> {
  const items: Json[] = [];
  let after: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Json = await get(
      url,
      apiKey,
      `${path}${sep}limit=1000${after === null ? '' : `&after=${encodeURIComponent(after)}`}`,
    );
    items.push(...page[key]);
    after = page.next;
  } while (after !== null);
  return items;
}

/** One POST the load sent: kept with its key and body so that a retry sends the very same. */
interface Post {
  readonly kind: 'deposit' | 'mint' | 'approval';
  readonly key: string;
  readonly path: string;
  readonly body: string;
  readonly apiKey: string;
  readonly customerId: string;
  readonly amount: bigint;
  /** For an approval: the mint it approves. */
  readonly mintId?: string;
  state: 'unknown' | 'acknowledged';
  answer?: Json;
  attempts: number;
}

/** The demo's operators and approver keys, from the files the first start wrote. */
interface Demo {
  readonly treasurer: string;
  readonly auditor: string;
  readonly approverKey: string;
  readonly approverPrivateKey: Uint8Array;
}

function readDemo(dataDir: string): Demo {
  const { operators } = JSON.parse(
    readFileSync(join(dataDir, 'demo', 'operators.json'), 'utf8'),
  ) as { operators: { id: string; apiKey: string; keyFile: string | null }[] };
  const byId = (id: string) => operators.find((o) => o.id === id)!;
  const ann = byId('op-ann');
  return {
    treasurer: byId('op-treasurer').apiKey,
    auditor: byId('op-audit').apiKey,
    approverKey: ann.apiKey,
    approverPrivateKey: readApproverKeyFile(ann.keyFile!).key.privateKey,
  };
}

/** The demo customers, with their holder accounts on the in-process chain local-a. */
const customers = ['CUST-0001', 'CUST-0002', 'CUST-0003'] as const;
const chainA = { name: 'local-a', chainId: 31337 } as const;

/**
 * Runs the kill loop and returns what it found; throws (an assertion) at the first broken
 * invariant, naming the iteration and the seed.
 * @example const report = await runKillLoop({ dataDir, databaseUrl: undefined, kills: 30, seed: 1, fullCheckEvery: 5, log: console.log })
 */
export async function runKillLoop(options: KillLoopOptions): Promise<KillLoopReport> {
  const random = seededRandom(options.seed);
  const timingsMs: Record<string, number[]> = {};
  const time = async <T>(phase: string, body: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await body();
    } finally {
      timingsMs[phase] ??= [];
      timingsMs[phase].push(performance.now() - started);
    }
  };
  const holders = testAccounts(4).slice(1);
  const posts: Post[] = [];
  let opNumber = 0;
  /** Requests whose retry was refused as in progress at least once. */
  const blocked = new Set<Post>();
  /** Requests run again after their placeholder went stale, answered otherwise than the first run. */
  const misanswered = new Set<Post>();
  let startupKills = 0;
  /** Unique amounts: $100.01, $100.02, … for mints; deposits and redemptions likewise. */
  const unique = (base: bigint) => base + BigInt(++opNumber) * 10_000n;
  /** Fiat each customer has posted and not yet asked to mint (as far as the load knows). */
  const available = new Map<string, bigint>(customers.map((c) => [c, 0n]));
  const redemptionsSent: { customerId: string; amount: bigint; txHash: Hex }[] = [];

  let server = await time('first start (seeding)', async () =>
    spawnServer(options, /^ {2}attested: /m),
  );
  assert(server !== undefined);
  const demo = readDemo(options.dataDir);
  const token = new RegExp(`chain: +${chainA.name} .* token (0x[0-9a-f]{40})`).exec(
    server.output(),
  )?.[1] as Hex | undefined;
  assert(token !== undefined, 'serve printed the token of local-a');
  const logKey = /log: .* \(key ([^)]+)\)/.exec(server.output())?.[1];
  const witnessKeys = [...server.output().matchAll(/witness: .* \(key ([^)]+)\)/g)].map(
    (m) => m[1]!,
  );
  assert(logKey !== undefined && witnessKeys.length === 2, 'serve printed its log and witnesses');
  const policy = { logKey, witnesses: witnessKeys, quorum: 2 };
  const redemptionAddress = new Map<string, Hex>();
  for (const customerId of customers) {
    const quote = await call(
      server.url,
      demo.treasurer,
      'POST',
      '/v1/redemptions/quote',
      JSON.stringify({ customerId, chainId: chainA.chainId }),
      `kl-quote-${customerId}`,
    );
    assert(quote.ok && quote.status === 200, JSON.stringify(quote));
    redemptionAddress.set(customerId, quote.body.redemptionAddress);
  }
  let seenCheckpoint: string | undefined;

  /** Sends one POST; its state follows the answer. */
  const send = async (post: Post, url: string): Promise<void> => {
    post.attempts++;
    const answer = await call(url, post.apiKey, 'POST', post.path, post.body, post.key);
    if (!answer.ok || answer.status >= 500) return; // unknown: retried with the same key
    if (answer.status === 409 && answer.body?.type?.endsWith('/idempotency-in-progress')) {
      if (post.attempts > 1) blocked.add(post);
      return;
    }
    if (
      post.kind === 'approval' &&
      post.attempts > 1 &&
      answer.status === 409 &&
      answer.body?.type?.endsWith('/mint-not-pending')
    ) {
      // A killed approval that had committed, run again once its placeholder was taken over: the
      // mint has moved on, so the re-run is refused, and that refusal is stored as the key's
      // answer. The approval must be there all the same.
      const mint = await get(url, demo.auditor, `/v1/mints/${post.mintId}`);
      assert(
        mint.approvals.some((a: Json) => a.approverId === 'op-ann'),
        `approval ${post.key}: answered ${JSON.stringify(answer.body)}, and no approval by op-ann stored: ${JSON.stringify(mint)}`,
      );
      misanswered.add(post);
      post.state = 'acknowledged';
      post.answer = answer.body;
      return;
    }
    if (answer.status === 409 && answer.body?.type?.endsWith('/breaker-tripped')) {
      const alerts = await get(url, demo.auditor, '/v1/alerts?open=true');
      assert.fail(
        `${post.kind} ${post.key}: refused ${JSON.stringify(answer.body)}; open alerts: ${JSON.stringify(alerts)}`,
      );
    }
    assert(
      answer.status >= 200 && answer.status < 300,
      `${post.kind} ${post.key}: refused ${answer.status} ${JSON.stringify(answer.body)}`,
    );
    if (post.kind === 'deposit' && answer.status === 200 && post.attempts > 1)
      misanswered.add(post); // `duplicate`: its first run recorded it, the re-run found it
    post.state = 'acknowledged';
    post.answer = answer.body;
    if (post.kind === 'deposit')
      available.set(post.customerId, available.get(post.customerId)! + post.amount);
  };

  const newDeposit = (customerId: string): Post => {
    const amount = unique(parseAmount('10000'));
    const n = opNumber;
    return {
      kind: 'deposit',
      key: `kl-${options.seed}-${n}`,
      path: '/v1/deposits',
      body: JSON.stringify({
        reference: `KL-${options.seed}-${n}`,
        bank: 'bank-a',
        amount: formatAmount(amount),
        customerId,
        bookingDate: new Date().toISOString().slice(0, 10),
      }),
      apiKey: demo.treasurer,
      customerId,
      amount,
      state: 'unknown',
      attempts: 0,
    };
  };
  const newMint = (customerId: string): Post => {
    const amount = unique(parseAmount('100'));
    const holder = holders[customers.indexOf(customerId as (typeof customers)[number])]!;
    return {
      kind: 'mint',
      key: `kl-${options.seed}-${opNumber}`,
      path: '/v1/mints',
      body: JSON.stringify({
        customerId,
        chainId: chainA.chainId,
        to: holder.address,
        amount: formatAmount(amount),
      }),
      apiKey: demo.treasurer,
      customerId,
      amount,
      state: 'unknown',
      attempts: 0,
    };
  };
  const newApproval = (mint: Post): Post => {
    const request = mint.answer;
    const approval = signApproval(request.intent as Intent, demo.approverPrivateKey, 'op-ann');
    return {
      kind: 'approval',
      key: `kl-${options.seed}-approve-${request.id}`,
      path: `/v1/mints/${request.id}/approvals`,
      body: JSON.stringify({ approval }),
      apiKey: demo.approverKey,
      customerId: mint.customerId,
      amount: mint.amount,
      mintId: request.id,
      state: 'unknown',
      attempts: 0,
    };
  };

  /** One client of the load: until `running()` is false, one operation after another. */
  const client = async (url: string, running: () => boolean): Promise<void> => {
    while (running()) {
      const customerId = customers[Math.floor(random() * customers.length)]!;
      const roll = random();
      if (roll < 0.2) {
        await call(url, demo.treasurer, 'GET', '/v1/mints?limit=20');
        continue;
      }
      const mintable = available.get(customerId)! >= parseAmount('200');
      if (roll < 0.5 || !mintable) {
        const post = newDeposit(customerId);
        posts.push(post);
        await send(post, url);
        continue;
      }
      const mint = newMint(customerId);
      available.set(customerId, available.get(customerId)! - mint.amount);
      posts.push(mint);
      await send(mint, url);
      if (mint.state !== 'acknowledged' || !running()) continue;
      const approval = newApproval(mint);
      posts.push(approval);
      await send(approval, url);
    }
  };

  /** Retries every unanswered POST with its key and body; a mint answered now gets its approval. */
  const retryAll = async (url: string): Promise<void> => {
    for (const post of posts.filter((p) => p.state === 'unknown')) {
      await send(post, url);
      if (
        post.kind === 'mint' &&
        post.state === 'acknowledged' &&
        !posts.some((p) => p.kind === 'approval' && p.mintId === post.answer.id)
      ) {
        const approval = newApproval(post);
        posts.push(approval);
        await send(approval, url);
      }
    }
  };

  /** Every acknowledged request exists exactly once; returns the mint requests doubled by a re-run. */
  const checkAcknowledged = async (url: string, iteration: number): Promise<number> => {
    const where = `iteration ${iteration}, seed ${options.seed}`;
    const deposits = await getAll(url, demo.auditor, '/v1/deposits', 'deposits');
    const byReference = new Map<string, Json[]>();
    for (const d of deposits)
      byReference.set(d.reference, [...(byReference.get(d.reference) ?? []), d]);
    for (const post of posts.filter((p) => p.kind === 'deposit')) {
      const reference = JSON.parse(post.body).reference as string;
      const found = byReference.get(reference) ?? [];
      if (post.state === 'acknowledged')
        assert.equal(found.length, 1, `${where}: acknowledged deposit ${reference} stored once`);
      else assert(found.length <= 1, `${where}: deposit ${reference} stored at most once`);
      if (found[0] !== undefined)
        assert.equal(parseAmount(found[0].amount), post.amount, `${where}: ${reference}'s amount`);
    }
    const mints = await getAll(url, demo.auditor, '/v1/mints', 'mints');
    const byId = new Map(mints.map((m) => [m.id, m]));
    const byAmount = new Map<string, Json[]>();
    for (const m of mints)
      byAmount.set(`${m.customerId} ${m.amount}`, [
        ...(byAmount.get(`${m.customerId} ${m.amount}`) ?? []),
        m,
      ]);
    let doubled = 0;
    for (const post of posts.filter((p) => p.kind === 'mint')) {
      const same = byAmount.get(`${post.customerId} ${formatAmount(post.amount)}`) ?? [];
      if (post.state === 'acknowledged') {
        const stored = byId.get(post.answer.id);
        assert(stored !== undefined, `${where}: acknowledged mint ${post.answer.id} stored`);
        assert.equal(
          parseAmount(stored.amount),
          post.amount,
          `${where}: mint ${stored.id}'s amount`,
        );
      }
      if (same.length > 1) doubled += same.length - 1;
    }
    for (const post of posts.filter((p) => p.kind === 'approval' && p.state === 'acknowledged')) {
      const stored = byId.get(post.mintId);
      assert(
        stored !== undefined && stored.status !== 'pending-approval',
        `${where}: mint ${post.mintId}, approved (acknowledged), is ${stored?.status}`,
      );
    }
    // A mint in the ledger that the load never asked for (beside the demo's three) is invented.
    const asked = new Set(
      posts
        .filter((p) => p.kind === 'mint')
        .map((p) => `${p.customerId} ${formatAmount(p.amount)}`),
    );
    const invented = mints.filter((m) => !asked.has(`${m.customerId} ${m.amount}`));
    assert(invented.length <= 3, `${where}: mints nobody asked for: ${JSON.stringify(invented)}`);
    return doubled;
  };

  /** No breaker tripped (a parity mismatch trips `mint:<chain>`, which stops every mint). */
  const checkBreakers = async (url: string, where: string, chains?: Json): Promise<void> => {
    const listed = chains ?? (await get(url, demo.auditor, '/v1/chains'));
    const tripped = listed.chains.filter((c: Json) => c.breakers.length > 0);
    if (tripped.length === 0) return;
    const alerts = await get(url, demo.auditor, '/v1/alerts?open=true');
    assert.fail(
      `${where}: a breaker was tripped: ${JSON.stringify(tripped)}; open alerts: ${JSON.stringify(alerts)}`,
    );
  };

  /** Waits until nothing is open on any chain; then parity must hold at the indexed block. */
  const checkSettled = async (url: string, iteration: number): Promise<Json[]> => {
    const where = `iteration ${iteration}, seed ${options.seed}`;
    const deadline = Date.now() + settleTimeoutMs;
    for (;;) {
      const [chains, mints, redemptions] = await Promise.all([
        get(url, demo.auditor, '/v1/chains'),
        getAll(url, demo.auditor, '/v1/mints', 'mints'),
        getAll(url, demo.auditor, '/v1/redemptions', 'redemptions'),
      ]);
      const open =
        chains.chains.some(
          (c: Json) =>
            c.openRequests > 0 ||
            c.parity === null ||
            BigInt(c.parity.blockNumber) < BigInt(c.indexedBlock ?? '0'),
        ) ||
        mints.some((m: Json) => m.status === 'approved' || m.status === 'submitted') ||
        redemptions.some((r: Json) => r.status === 'credited' || r.status === 'burning');
      // A tripped breaker stops minting until an operator clears it: it never settles.
      await checkBreakers(url, where, chains);
      if (!open) {
        for (const c of chains.chains) {
          assert(c.parity.ok, `${where}: parity on ${c.name}: ${JSON.stringify(c.parity)}`);
          assert.deepEqual(c.breakers, [], `${where}: breakers on ${c.name}`);
        }
        for (const sent of redemptionsSent) {
          const found = redemptions.filter((r: Json) => r.txHash === sent.txHash);
          assert.equal(found.length, 1, `${where}: redemption ${sent.txHash} credited once`);
          assert.equal(found[0].status, 'burned', `${where}: redemption ${sent.txHash} burned`);
        }
        return mints;
      }
      if (Date.now() > deadline)
        assert.fail(
          `${where}: not settled within ${settleTimeoutMs} ms: ${JSON.stringify(chains.chains)}`,
        );
      await sleep(200);
    }
  };

  /** The log's checkpoint: signed, cosigned by both witnesses, consistent with the last seen. */
  const checkLog = async (url: string, iteration: number): Promise<void> => {
    const report = await verifyLog({
      fetch: httpFetcher(url),
      policy,
      ...(seenCheckpoint === undefined ? {} : { seen: seenCheckpoint }),
    });
    const failed = report.checks.filter((c) => c.status === 'fail');
    assert(
      report.ok,
      `iteration ${iteration}, seed ${options.seed}: the log does not verify: ${JSON.stringify(failed)}`,
    );
    seenCheckpoint = report.checkpoint!;
  };

  /** `GET /v1/verify`: the journal replayed, the audit chain, parity, every row against the ledger. */
  const checkLedger = async (url: string, iteration: number): Promise<void> => {
    const report = await get(url, demo.auditor, '/v1/verify');
    assert(
      report.ok,
      `iteration ${iteration}, seed ${options.seed}: GET /v1/verify: ${JSON.stringify(report)}`,
    );
  };

  /**
   * With the server down: the chain as its journal holds it. No request minted twice (amounts
   * are unique), none minted that the issuer never had; then this round's redemption is sent.
   */
  const chainBetween = async (
    iteration: number,
    knownMints: ReadonlySet<string>,
    redeem: boolean,
  ): Promise<bigint> => {
    const where = `iteration ${iteration}, seed ${options.seed}`;
    const chain = await openDevChain({
      chainId: chainA.chainId,
      file: devChainFile(options.dataDir, chainA),
    });
    try {
      const client = createPublicClient({ transport: custom(chain.provider) });
      const minted = await client.getContractEvents({
        address: token,
        abi: clearpegTokenAbi,
        eventName: 'Minted',
        fromBlock: 0n,
      });
      const seen = new Set<string>();
      for (const event of minted) {
        const { to, amount } = event.args as { to: Hex; amount: bigint };
        const key = `${to.toLowerCase()} ${formatAmount(amount)}`;
        assert(!seen.has(key), `${where}: minted twice on chain: ${key}`);
        seen.add(key);
        assert(knownMints.has(key), `${where}: minted on chain, no such request: ${key}`);
      }
      if (redeem) {
        const index = Math.floor(random() * customers.length);
        const holder = holders[index]!;
        const amount = unique(parseAmount('50'));
        const wallet = createWalletClient({
          account: privateKeyToAccount(holder.privateKey),
          transport: custom(chain.provider),
        });
        const txHash = await wallet.writeContract({
          address: token,
          abi: clearpegTokenAbi,
          functionName: 'transfer',
          args: [redemptionAddress.get(customers[index]!)!, amount],
          chain: null,
        });
        redemptionsSent.push({ customerId: customers[index]!, amount, txHash });
      }
      return (await client.readContract({
        address: token,
        abi: clearpegTokenAbi,
        functionName: 'totalSupply',
      })) as bigint;
    } finally {
      await chain.close();
    }
  };

  /** `to amount` of every mint request there could be a Minted event for. */
  const knownMints = (listed: readonly Json[]): Set<string> =>
    new Set([
      ...listed.map((m) => `${m.to.toLowerCase()} ${m.amount}`),
      ...posts
        .filter((p) => p.kind === 'mint')
        .map((p) => `${JSON.parse(p.body).to.toLowerCase()} ${formatAmount(p.amount)}`),
    ]);

  let previousOutput = '';
  try {
    let doubledMintRequests = 0;
    let listedMints: Json[] = await getAll(server.url, demo.auditor, '/v1/mints', 'mints');
    await checkLog(server.url, 0);
    for (let iteration = 1; iteration <= options.kills; iteration++) {
      const running = server;
      // The load, then a SIGKILL at a random moment of it.
      const loadMs = 100 + random() * 1400;
      await time('load until the kill', async () => {
        let live = true;
        let failure: unknown;
        const load = Array.from({ length: clients }, () =>
          client(running.url, () => live && failure === undefined).catch((error: unknown) => {
            failure ??= error;
          }),
        );
        const deadline = Date.now() + loadMs;
        while (Date.now() < deadline && failure === undefined) await sleep(10);
        await kill(running);
        live = false;
        await Promise.all(load);
        if (failure !== undefined) throw failure;
      });
      await time('chain read and redemption (server down)', () =>
        chainBetween(iteration, knownMints(listedMints), true),
      );
      // One kill in five lands during the start-up instead (replay, migrations, recovery).
      if (random() < 0.2) {
        const killAfterMs = 300 + random() * 3000;
        const early = await time('start killed during start-up', () =>
          spawnServer(options, /^ {2}attested: /m, killAfterMs),
        );
        if (early === undefined) startupKills++;
        else await kill(early);
      }
      const next = await time('restart until serving', () =>
        spawnServer(options, /serving on http/),
      );
      assert(next !== undefined);
      previousOutput = running.output();
      server = next;
      await time('retries (same keys)', () => retryAll(next.url));
      const doubled = await time('check acknowledged', () =>
        checkAcknowledged(next.url, iteration),
      );
      doubledMintRequests = Math.max(doubledMintRequests, doubled);
      await time('check log', async () => {
        // The restart attests once it has started: wait for it so that the new checkpoint is read.
        const attestDeadline = Date.now() + 60_000;
        while (!/^ {2}attested: /m.test(next.output())) {
          const ended: string | null =
            next.process.signalCode ?? next.process.exitCode?.toString() ?? null;
          if (ended !== null) assert.fail(`serve exited (${ended}) before it attested`);
          if (Date.now() > attestDeadline) assert.fail('serve did not attest within a minute');
          await sleep(20);
        }
        await checkLog(next.url, iteration);
      });
      const full = iteration % options.fullCheckEvery === 0 || iteration === options.kills;
      if (full) {
        listedMints = await time('check settled and parity', () =>
          checkSettled(next.url, iteration),
        );
        await time('check ledger (GET /v1/verify)', () => checkLedger(next.url, iteration));
      } else {
        listedMints = await getAll(next.url, demo.auditor, '/v1/mints', 'mints');
        await checkBreakers(next.url, `iteration ${iteration}, seed ${options.seed}`);
      }
      options.log(
        `kill ${iteration}/${options.kills} after ${loadMs.toFixed(0)} ms of load: ${posts.filter((p) => p.state === 'acknowledged').length} acknowledged, ${posts.filter((p) => p.state === 'unknown').length} unanswered, ${blocked.size} retries blocked (409), ${misanswered.size} answered otherwise on re-run, ${doubled} mint requests doubled${full ? '; settled, parity and ledger verified' : ''}`,
      );
    }

    // The end: everything retried once more, settled, verified; then stopped and the chain read.
    await retryAll(server.url);
    const finalMints = await checkSettled(server.url, options.kills);
    await checkLedger(server.url, options.kills);
    const redemptions = await getAll(server.url, demo.auditor, '/v1/redemptions', 'redemptions');
    await stop(server);
    const supply = await chainBetween(options.kills, knownMints(finalMints), false);
    const minted = finalMints
      .filter((m) => m.status === 'final')
      .reduce((sum, m) => sum + parseAmount(m.amount), 0n);
    const burned = redemptions
      .filter((r) => r.status === 'burned')
      .reduce((sum, r) => sum + parseAmount(r.amount), 0n);
    assert.equal(
      supply,
      minted - burned,
      `seed ${options.seed}: the token's supply is the final mints less the burned redemptions`,
    );
    const count = (kind: Post['kind']) =>
      posts.filter((p) => p.kind === kind && p.state === 'acknowledged').length;
    return {
      kills: options.kills,
      acknowledged: {
        deposits: count('deposit'),
        mints: count('mint'),
        approvals: count('approval'),
      },
      redemptions: redemptionsSent.length,
      blockedRetries: blocked.size,
      misanswered: {
        approvals: [...misanswered].filter((p) => p.kind === 'approval').length,
        deposits: [...misanswered].filter((p) => p.kind === 'deposit').length,
      },
      unresolved: posts.filter((p) => p.state === 'unknown').length,
      doubledMintRequests,
      startupKills,
      timingsMs,
    };
  } catch (error) {
    // What the last two servers printed: a failure is read with them.
    const tail = (text: string) => text.split('\n').slice(-40).join('\n');
    (error as Error).message +=
      `\n--- the server before (killed):\n${tail(previousOutput)}\n--- the server now:\n${tail(server.output())}`;
    throw error;
  } finally {
    await kill(server);
  }
}
