/**
 * `clearpeg serve`: the API on 127.0.0.1 and the workers (expiry of pending transfers, the
 * redemptions' payout deadlines, the reserves' daily job, daily storage maintenance, one chain
 * worker per configured chain), on the embedded store by default or PostgreSQL with
 * DATABASE_URL. On the embedded default, the token is deployed on each in-process chain the
 * first time.
 */
import { createServer } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp, serveAuthCacheMs } from '../api/app.ts';
import { shippedReserveDeps } from '../api/routes/reserves.ts';
import { attestIntervalMs, attestPollMs, startLog } from '../attest/start.ts';
import { newYorkDate } from '../calendar.ts';
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
import { issuanceContext } from '../issuance/context.ts';
import { repairMintReservations } from '../issuance/mint.ts';
import { checkRedemptionDeadlines } from '../issuance/redemption.ts';
import { issuanceSettle } from '../issuance/worker.ts';
import { parseAmount } from '../money/money.ts';
import type { Ruleset } from '../reserves/eligibility.ts';
import { maintain, maintenanceIntervalMs } from '../storage/maintenance.ts';
import { describeDatabase, openDatabase } from '../storage/open.ts';
import { refuseUnsafeProduction } from '../storage/postgres/production.ts';
import { accrue } from '../treasury/accrual.ts';
import { judgeReserves } from '../treasury/valuation.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import {
  credentialsFile,
  type DemoChain,
  type DemoInfo,
  keysFile,
  keyVariable,
  runDemo,
} from './demo.ts';
import { type Command, exitCode } from './io.ts';
import { version } from './version.ts';

/** How often pending transfers are checked for expiry. */
const expiryIntervalMs = 1000;
/** How often redemptions are checked against their payout deadline (days long: a minute is prompt). */
const deadlineIntervalMs = 60_000;
/**
 * How often the reserves' daily job runs (accrue through today in New York, mature what is
 * due, judge eligibility): hourly, so a new day is booked within the hour and a missed run is
 * caught up by the next.
 */
const reservesIntervalMs = 3_600_000;

/** The reserves' daily job, as `serve` runs it: idempotent, so running it hourly is safe. */
export async function reservesDay(ctx: IssuanceContext, ruleset: Ruleset): Promise<void> {
  const today = newYorkDate();
  await accrue(ctx, today);
  await judgeReserves(ctx, ruleset, today);
}

/** Runs `task` every `intervalMs`, never two at once; a failure is reported and tried again next time. */
function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  failed: (error: Error) => void,
): NodeJS.Timeout {
  let running = false;
  return setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((error: unknown) => failed(error as Error))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
}

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
  ctx: IssuanceContext,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<{ chains: IssuerChain[]; workers: ChainWorker[]; tokens: DemoChain[] }> {
  const { db, ledger } = ctx;
  const chains: IssuerChain[] = [];
  const workers: ChainWorker[] = [];
  const tokens: DemoChain[] = [];
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
    const worker = new ChainWorker({
      db,
      ledger,
      chain,
      token,
      log: err,
      settle: issuanceSettle(ctx, chain, token),
    });
    await worker.start();
    workers.push(worker);
    tokens.push({ chain, token });
  }
  return { chains, workers, tokens };
}

/**
 * Why `serve` cannot listen on `host:port`, or undefined if it can: tried before anything is
 * opened, so that a port in use (another `clearpeg serve`) changes nothing.
 * @example await portRefusal('127.0.0.1', 7373) // 'port 7373 on 127.0.0.1 is in use (another clearpeg serve?): …'
 */
export async function portRefusal(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return undefined;
  const code = await new Promise<string | undefined>((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
  if (code === undefined) return undefined;
  const where = `port ${port} on ${host}`;
  if (code === 'EADDRINUSE')
    return `${where} is in use (another clearpeg serve?): set CLEARPEG_PORT (0: any free port)`;
  if (code === 'EACCES') return `${where} is not permitted to this user: set CLEARPEG_PORT`;
  return `cannot listen on ${where} (${code}): check CLEARPEG_HOST and CLEARPEG_PORT`;
}

/**
 * What `serve --demo` prints of the demo issuer: every operator's API key by role (also as
 * shell variables in keys.env) and the approvers' key files, which the README's walkthrough uses.
 * @example demoLines(demo, 'http://127.0.0.1:7373') // ['demo issuer seeded in …', …]
 */
export function demoLines(demo: DemoInfo, url: string): string[] {
  const keys = keysFile(demo.directory);
  const width = Math.max(...demo.operators.map((o) => keyVariable(o.id).length));
  return [
    `demo issuer ${demo.seeded ? 'seeded' : 'found'} in ${demo.directory}`,
    `  API:        ${url}/openapi.json`,
    `  API keys by role (as shell variables in ${keys}; all of them in ${credentialsFile(demo.directory)}):`,
    ...demo.operators.map(
      (o) =>
        `    ${o.roles.join(',').padEnd(11)} ${o.id.padEnd(14)} ${keyVariable(o.id).padEnd(width)} ${o.apiKey}${o.keyFile === null ? '' : `   approver key file ${o.keyFile}`}`,
    ),
    `  try:        . ${keys} && CLEARPEG_API_KEY=$${keyVariable('op-treasurer')} npx clearpeg mint list`,
  ];
}

/** Seeds (or finds) the demo issuer of `serve --demo` and prints its keys; a failure is told. */
async function startDemo(
  options: Parameters<typeof runDemo>[0],
  url: string,
  err: (line: string) => void,
): Promise<void> {
  try {
    for (const line of demoLines(await runDemo(options), url)) options.out(line);
  } catch (error) {
    err(`demo failed: ${(error as Error).message}`);
  }
}

export const serveCommand: Command = {
  name: 'serve',
  usage:
    'clearpeg serve [--demo]   (CLEARPEG_PORT, CLEARPEG_HOST, CLEARPEG_DATA_DIR, DATABASE_URL)\n' +
    '  --demo   on a fresh data directory, seed a demo issuer (operators, keys, customers,\n' +
    '           deposits, mints, a redemption and its payout); later runs print its keys',
  async run(args, { config, out, err }) {
    const unknown = args.filter((arg) => arg !== '--demo');
    if (unknown.length > 0) {
      err(`serve: unknown argument ${unknown[0]}`);
      return exitCode.usage;
    }
    const refusal = await portRefusal(config.host, config.port);
    if (refusal !== undefined) {
      err(`error: ${refusal}`);
      return exitCode.failed;
    }
    await refuseUnsafeProduction(config);
    const db = await openDatabase(config);
    const database = describeDatabase(config);
    const issuance = issuanceContext(db);
    const { ledger } = issuance;
    // Before serving: no mint request without its reservation (docs/operations.md).
    const repaired = await repairMintReservations(issuance);
    if (repaired.reserved.length + repaired.failed.length > 0)
      out(
        `repaired mint requests without a reservation: ${repaired.reserved.length} reserved, ${repaired.failed.length} failed`,
      );
    const { chains, workers, tokens } = await startChains(config, issuance, out, err);
    // One ruleset for the API's judgements and the daily job's.
    const reserves = shippedReserveDeps();
    const demo = args.includes('--demo');
    const log = await startLog({
      dataDir: config.dataDir,
      db,
      ctx: issuance,
      chains: tokens,
      ruleset: reserves.ruleset,
      demo,
      log: err,
    });
    const app = createApp({
      database,
      version,
      issuance,
      authCacheMs: serveAuthCacheMs,
      reserves,
      log: log.deps,
    });
    const { server, url } = await new Promise<{ server: ReturnType<typeof serve>; url: string }>(
      (resolve, reject) => {
        const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
          const origin = `http://${config.host}:${info.port}`;
          out(`clearpeg ${version} serving on ${origin}/ (${database})`);
          out(`  health:   ${origin}/health`);
          out(`  accounts: ${origin}/v1/ledger/accounts`);
          out(`  log:      ${origin}/log/checkpoint (key ${log.vkey})`);
          for (const w of log.witnesses) out(`  witness:  ${w.url} (key ${w.vkey})`);
          resolve({ server: s, url: origin });
        });
        // Taken since the check above: a stack trace would say no more than this.
        s.once('error', reject);
      },
    );
    const sweeps = [
      every(
        expiryIntervalMs,
        () => ledger.expireDue(),
        (error) => err(`expiry sweep failed: ${error.message}`),
      ),
      every(
        deadlineIntervalMs,
        () => checkRedemptionDeadlines(issuance),
        (error) => err(`redemption deadline check failed: ${error.message}`),
      ),
      every(
        reservesIntervalMs,
        () => reservesDay(issuance, reserves.ruleset),
        (error) => err(`reserves daily job failed: ${error.message}`),
      ),
      every(
        maintenanceIntervalMs,
        () => maintain(db),
        (error) => err(`storage maintenance failed: ${error.message}`),
      ),
    ];
    // And once now: a server started after midnight books the day without waiting an hour,
    // and a restarted one plans with fresh statistics.
    await reservesDay(issuance, reserves.ruleset).catch((error: Error) =>
      err(`reserves daily job failed: ${error.message}`),
    );
    await maintain(db).catch((error: Error) => err(`storage maintenance failed: ${error.message}`));
    if (demo)
      await startDemo({ ctx: issuance, dataDir: config.dataDir, chains: tokens, out }, url, err);
    // The first attestation now (after the demo's seeding), then every minute and after every
    // batch the journal records.
    await log.attestor
      .runOnce()
      .then((r) =>
        out(
          `  attested: checkpoint ${r.checkpoint.size}, cosigned by ${r.cosignedBy.length} of ${log.witnesses.length} witnesses`,
        ),
      )
      .catch((error: Error) => err(`attestation failed: ${error.message}`));
    log.attestor.start(attestIntervalMs, attestPollMs, (error) =>
      err(`attestation failed: ${error.message}`),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    for (const sweep of sweeps) clearInterval(sweep);
    await log.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const worker of workers) await worker.stop();
    for (const chain of chains) await chain.close();
    await db.close();
    out('stopped');
    return exitCode.ok;
  },
};
