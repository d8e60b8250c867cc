/**
 * `clearpeg serve`: the API on 127.0.0.1 and the workers (expiry of pending transfers, one
 * chain worker per configured chain), on the embedded store by default or PostgreSQL with
 * DATABASE_URL. On the embedded default, the token is deployed on each in-process chain the
 * first time.
 */
import { serve } from '@hono/node-server';
import { createApp } from '../api/app.ts';
import { loadChains } from '../chain/config.ts';
import {
  deployToken,
  type IssuerChain,
  openIssuerChain,
  resolveToken,
  type TokenRecord,
} from '../chain/runtime.ts';
import { ChainWorker } from '../chain/worker.ts';
import type { Config } from '../config.ts';
import { Ledger } from '../ledger/ledger.ts';
import { parseAmount } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { describeDatabase, openDatabase } from '../storage/open.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import { type Command, exitCode } from './io.ts';
import { version } from './version.ts';

/** How often pending transfers are checked for expiry. */
const expiryIntervalMs = 1000;

/**
 * The token on the in-process chains: deployed by `serve` itself with these settings. The
 * allowance is what the demo needs; a real chain's is chosen at `clearpeg chain deploy`.
 */
export const devToken = {
  name: 'Clearpeg USD',
  symbol: 'CPUSD',
  adminDelaySeconds: 86_400,
  minterAllowance: parseAmount('100000000'),
  pollIntervalMs: 10,
} as const;

/**
 * Opens every configured chain and starts its worker. An in-process chain without a token
 * gets one; another chain without one is reported and left alone until `clearpeg chain deploy`.
 */
async function startChains(
  config: Config,
  db: SqlDatabase,
  ledger: Ledger,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<{ chains: IssuerChain[]; workers: ChainWorker[] }> {
  const chains: IssuerChain[] = [];
  const workers: ChainWorker[] = [];
  for (const chainConfig of loadChains()) {
    const chain = await openIssuerChain(chainConfig, { db, dataDir: config.dataDir });
    chains.push(chain);
    let token: TokenRecord | undefined = await resolveToken(db, chainConfig);
    if (token === undefined && chainConfig.rpcUrl === 'in-process')
      token = await deployToken(db, chain, devToken);
    if (token === undefined) {
      err(
        `chain ${chainConfig.name}: no token yet; run "clearpeg chain deploy --chain ${chainConfig.name}" (issuer ${chain.account.address})`,
      );
      continue;
    }
    out(
      `  chain:    ${chainConfig.name} (id ${chainConfig.chainId}, ${chainConfig.rpcUrl}) token ${token.address}, issuer ${chain.account.address}`,
    );
    const worker = new ChainWorker({ db, ledger, chain, token, log: err });
    await worker.start();
    workers.push(worker);
  }
  return { chains, workers };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the API and run the workers',
  usage: 'clearpeg serve   (CLEARPEG_PORT, CLEARPEG_HOST, CLEARPEG_DATA_DIR, DATABASE_URL)',
  async run(_args, { config, out, err }) {
    const db = await openDatabase(config);
    const store = new SqlLedgerStore(db);
    const ledger = new Ledger(store);
    const database = describeDatabase(config);
    const { chains, workers } = await startChains(config, db, ledger, out, err);
    const app = createApp({ store, database, version });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
        out(`clearpeg ${version} serving on http://${config.host}:${info.port}/ (${database})`);
        out(`  health:   http://${config.host}:${info.port}/health`);
        out(`  accounts: http://${config.host}:${info.port}/v1/ledger/accounts`);
        resolve(s);
      });
    });
    let sweeping = false;
    const expiry = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      ledger
        .expireDue()
        .catch((error: unknown) => err(`expiry sweep failed: ${(error as Error).message}`))
        .finally(() => {
          sweeping = false;
        });
    }, expiryIntervalMs);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    clearInterval(expiry);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const worker of workers) await worker.stop();
    for (const chain of chains) await chain.close();
    await db.close();
    out('stopped');
    return exitCode.ok;
  },
};
