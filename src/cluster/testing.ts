/**
 * Several `clearpeg serve` processes on one PostgreSQL, as the tests of issue 17 run them
 * (docs/deployment.md): a fresh database, `hardhat node` over HTTP with the token deployed, the
 * issuer's keys and the log's in one data directory the processes share (on several hosts, a
 * copy of it, or a KMS behind the signer port), two witnesses run by "others" (in the test's
 * own process), the demo's operators with their API and approval keys, and then as many
 * `clearpeg serve` processes as a test starts, each with its own node name and port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Hex } from 'viem';
import { logIdentity } from '../attest/keys.ts';
import type { ChainConfig } from '../chain/config.ts';
import { type HardhatNode, startHardhatNode } from '../chain/evm.ts';
import { createIssuerKey } from '../chain/keys.ts';
import { deployToken, openIssuerChain } from '../chain/runtime.ts';
import { type DemoInfo, seedDemoOperators } from '../cli/demo.ts';
import { devToken } from '../cli/serve.ts';
import { clearpegBin } from '../cli/testing.ts';
import { issuanceContext } from '../issuance/context.ts';
import { freePort } from '../net.ts';
import type { ApproverKey } from '../policy/approvals.ts';
import { algorithmCosignatureV1, generateSignerKey } from '../proofs/note.ts';
import { openDatabase } from '../storage/open.ts';
import { testDatabaseUrl } from '../storage/testing.ts';
import { inheritedV8Flags } from '../testing.ts';
import { startWitnessServer, type WitnessServer } from '../witness/server.ts';
import { DirectoryStateStore } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';

/** A fresh database on the test server (or `admin`'s), dropped by `drop`. */
export async function createScratchDatabase(
  admin: string = testDatabaseUrl,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `clearpeg_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** One `clearpeg serve` process of a cluster. */
export interface ServeProcess {
  readonly node: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Waits until its output matches `pattern` (or it exits: an error with its output). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (default SIGTERM) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: boolean;
}

export interface IssuerCluster {
  readonly dataDir: string;
  readonly databaseUrl: string;
  /** The environment of its processes, for `clearpeg` commands run against the same issuer. */
  readonly env: NodeJS.ProcessEnv;
  readonly chain: HardhatNode;
  readonly chainConfig: ChainConfig;
  readonly token: Hex;
  /** The demo's operators: ids, roles, API keys and approver key files. */
  readonly operators: DemoInfo['operators'];
  /** The approvers' keys, by operator id. */
  readonly approverKeys: ReadonlyMap<string, ApproverKey>;
  /** The log's verifier key. */
  readonly logVkey: string;
  readonly witnesses: readonly WitnessServer[];
  /** Starts `clearpeg serve` as node `node` (CLEARPEG_NODE) and waits until it serves. */
  start(node: string, env?: NodeJS.ProcessEnv): Promise<ServeProcess>;
  /** Stops every process it started, the witnesses and the chain, and deletes the data directory. */
  close(): Promise<void>;
}

/** How long a process may take to serve: a cold start decrypts the issuer's key (scrypt 2^18). */
const serveStartMsMax = 60_000;

/**
 * Brings up everything but the issuer's processes: see the module comment.
 * @example const cluster = await startIssuerCluster({ databaseUrl }); const a = await cluster.start('a')
 */
export async function startIssuerCluster(options: {
  readonly databaseUrl: string;
  readonly finalityDepth?: number;
  readonly env?: NodeJS.ProcessEnv;
}): Promise<IssuerCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-cluster-'));
  const started: ServeProcess[] = [];
  const witnesses: WitnessServer[] = [];
  let chain: HardhatNode | undefined;
  const close = async () => {
    for (const p of started) await p.kill('SIGKILL').catch(() => {});
    for (const w of witnesses) await w.close().catch(() => {});
    await chain?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    chain = await startHardhatNode({ chainId: 31337 });
    const chainConfig: ChainConfig = {
      name: 'node',
      chainId: 31337,
      rpcUrl: chain.url,
      finalityDepth: options.finalityDepth ?? 1,
      token: undefined,
      deployBlock: undefined,
    };
    const env: NodeJS.ProcessEnv = {
      CLEARPEG_DATA_DIR: dataDir,
      DATABASE_URL: options.databaseUrl,
      CLEARPEG_KEY_PASSPHRASE: 'cluster test passphrase, not for real keys',
      CLEARPEG_CHAINS: JSON.stringify([chainConfig]),
      ...options.env,
    };
    // The issuer's key (a funded test account), the token, the log's keys and the operators,
    // made once here so that processes started together do not race to make them.
    await createIssuerKey(dataDir, chainConfig, {
      privateKey: chain.accounts[1]!.privateKey,
      env,
    });
    const db = await openDatabase({ dataDir, databaseUrl: options.databaseUrl });
    let token: Hex;
    let seeded: Awaited<ReturnType<typeof seedDemoOperators>>;
    try {
      const ctx = issuanceContext(db);
      const issuer = await openIssuerChain(chainConfig, { db, dataDir, env });
      token = (await deployToken(db, issuer, devToken)).address;
      await issuer.close();
      seeded = await seedDemoOperators(ctx, join(dataDir, 'demo'));
    } finally {
      await db.close();
    }
    const logVkey = logIdentity(dataDir, env).vkey;
    const endpoints: string[] = [];
    for (const n of [1, 2]) {
      const state = join(dataDir, 'witnesses', `w${n}`);
      mkdirSync(state, { recursive: true });
      const witness = new Witness({
        key: generateSignerKey(`w${n}.cluster.clearpeg.invalid`, algorithmCosignatureV1),
        logs: [logVkey],
        store: new DirectoryStateStore(state),
      });
      const server = await startWitnessServer(witness);
      witnesses.push(server);
      endpoints.push(`${witness.verifierKey} ${server.url}`);
    }
    env.CLEARPEG_WITNESSES = endpoints.join(', ');
    const theChain = chain;
    return {
      dataDir,
      databaseUrl: options.databaseUrl,
      env,
      chain: theChain,
      chainConfig,
      token,
      operators: seeded.operators,
      approverKeys: seeded.keys,
      logVkey,
      witnesses,
      start: async (node, extra = {}) => {
        const p = await startServe(node, { ...env, ...extra });
        started.push(p);
        return p;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Starts `clearpeg serve` with `env` (none of the caller's Clearpeg settings) as node `node`
 * on a free port, and waits until it serves.
 * @example const p = await startServe('a', cluster.env); …; await p.kill('SIGKILL')
 */
export async function startServe(node: string, env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const p = spawnServe({ ...env, CLEARPEG_NODE: node }, { port: await freePort() });
  try {
    await p.waitFor(/serving on http/);
  } catch (error) {
    await p.kill('SIGKILL');
    throw error;
  }
  return p;
}

/**
 * Spawns `clearpeg serve [args]` on `port` with `env` and none of the caller's Clearpeg
 * settings, and returns at once: the caller waits for what it needs (`waitFor`), or kills it
 * while it starts (the kill loop).
 * @example const p = spawnServe(env, { port, args: ['--demo'] }); await p.waitFor(/attested: /)
 */
export function spawnServe(
  env: NodeJS.ProcessEnv,
  options: { readonly port: number; readonly args?: readonly string[] },
): ServeProcess {
  const { port } = options;
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(base)) if (name.startsWith('CLEARPEG_')) delete base[name];
  delete base.DATABASE_URL;
  const node = env.CLEARPEG_NODE ?? 'serve';
  const child = spawn(
    process.execPath,
    [...inheritedV8Flags(), clearpegBin, 'serve', ...(options.args ?? [])],
    {
      env: { ...base, ...env, CLEARPEG_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout?.on('data', (chunk) => {
    text += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    text += chunk;
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return {
    node,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => text,
    get exited() {
      return exited;
    },
    waitFor: async (pattern, timeoutMs = serveStartMsMax) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (exited)
          throw new Error(
            `clearpeg serve (${node}) exited (${child.exitCode ?? child.signalCode}):\n${text}`,
          );
        if (Date.now() > deadline)
          throw new Error(
            `clearpeg serve (${node}): no ${pattern} within ${timeoutMs} ms:\n${text}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    kill: async (signal = 'SIGTERM') => {
      if (exited) return;
      child.kill(signal);
      await exit;
    },
  };
}
