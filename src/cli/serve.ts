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
import { type Duty, type Fence, LeaseKeeper, nodeName, periodicDuty } from '../cluster/leases.ts';
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
/** The lease of the attestation log's writer. */
const logLease = 'log';

/** The reserves' daily job, as `serve` runs it: idempotent, so running it hourly is safe. */
export async function reservesDay(ctx: IssuanceContext, ruleset: Ruleset): Promise<void> {
  const today = newYorkDate();
  await accrue(ctx, today);
  await judgeReserves(ctx, ruleset, today);
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
 * Opens every configured chain and makes its worker a duty: it runs in the one process that
 * holds the chain's lease (`chain:<chainId>`), whose connector signs nothing without it. An
 * in-process chain without a token gets one; another chain without one is reported and left
 * alone until `clearpeg chain deploy`.
 */
async function openChains(
  config: Config,
  ctx: IssuanceContext,
  fenceOf: (lease: string) => Fence,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<{ chains: IssuerChain[]; duties: Duty[]; tokens: DemoChain[] }> {
  const { db, ledger } = ctx;
  const chains: IssuerChain[] = [];
  const duties: Duty[] = [];
  const tokens: DemoChain[] = [];
  for (const chainConfig of loadChains()) {
    const lease = chainLease(chainConfig.chainId);
    // An in-process chain lives in this process alone (its journal's lock file refuses a
    // second), so nobody else can sign for it: only a shared chain's connector is fenced.
    const chain = await openIssuerChain(chainConfig, {
      db,
      dataDir: config.dataDir,
      ...(chainConfig.rpcUrl === 'in-process' ? {} : { fence: fenceOf(lease) }),
    });
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
    const deployed = token;
    let worker: ChainWorker | undefined;
    duties.push({
      name: lease,
      async start() {
        worker = new ChainWorker({
          db,
          ledger,
          chain,
          token: deployed,
          log: err,
          settle: issuanceSettle(ctx, chain, deployed),
        });
        await worker.start();
      },
      async stop() {
        await worker?.stop();
        worker = undefined;
      },
    });
    tokens.push({ chain, token });
  }
  return { chains, duties, tokens };
}

/** The lease of a chain's worker (its writer, indexer and parity). */
export function chainLease(chainId: number): string {
  return `chain:${chainId}`;
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
    // Every worker runs under a lease (src/cluster/leases.ts): alone, this process wins them
    // all at its first round; beside others on one PostgreSQL, each runs in one of them.
    const keeper = new LeaseKeeper({ db, node: nodeName(), version, log: err });
    // Before serving: no mint request without its reservation (docs/operations.md).
    const repaired = await repairMintReservations(issuance);
    if (repaired.reserved.length + repaired.failed.length > 0)
      out(
        `repaired mint requests without a reservation: ${repaired.reserved.length} reserved, ${repaired.failed.length} failed`,
      );
    const { chains, duties, tokens } = await openChains(
      config,
      issuance,
      (lease) => keeper.fence(lease),
      out,
      err,
    );
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
      fence: keeper.fence(logLease),
    });
    const app = createApp({
      database,
      version,
      issuance,
      authCacheMs: serveAuthCacheMs,
      reserves,
      log: log.deps,
      instance: keeper.instance,
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
    keeper.setApiUrl(url);
    // The first attestation comes after the demo's seeding (in whichever process holds the
    // log's lease), then every minute and after every batch the journal records.
    let seeded: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      seeded = resolve;
    });
    let firstAttestation = true;
    for (const duty of [
      ...duties,
      {
        name: logLease,
        async start() {
          void ready.then(async () => {
            try {
              const r = await log.attestor.runOnce();
              if (firstAttestation)
                out(
                  `  attested: checkpoint ${r.checkpoint.size}, cosigned by ${r.cosignedBy.length} of ${log.witnesses.length} witnesses`,
                );
              firstAttestation = false;
            } catch (error) {
              err(`attestation failed: ${(error as Error).message}`);
            }
            log.attestor.start(attestIntervalMs, attestPollMs, (error) =>
              err(`attestation failed: ${error.message}`),
            );
          });
        },
        stop: () => log.attestor.stop(),
      },
      periodicDuty(
        'pending-expiry',
        expiryIntervalMs,
        () => ledger.expireDue(),
        (error) => err(`expiry sweep failed: ${error.message}`),
      ),
      periodicDuty(
        'redemption-deadlines',
        deadlineIntervalMs,
        () => checkRedemptionDeadlines(issuance),
        (error) => err(`redemption deadline check failed: ${error.message}`),
      ),
      // Once at start: a server started after midnight books the day without waiting an hour.
      periodicDuty(
        'accrual',
        reservesIntervalMs,
        () => reservesDay(issuance, reserves.ruleset),
        (error) => err(`reserves daily job failed: ${error.message}`),
      ),
      // And a restarted one plans with fresh statistics.
      periodicDuty(
        'maintenance',
        maintenanceIntervalMs,
        () => maintain(db),
        (error) => err(`storage maintenance failed: ${error.message}`),
      ),
    ])
      keeper.add(duty);
    await keeper.start();
    // A lone process has just won every lease: its jobs run before the demo is seeded.
    await keeper.idle();
    if (demo)
      await startDemo({ ctx: issuance, dataDir: config.dataDir, chains: tokens, out }, url, err);
    seeded();
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await keeper.stop();
    await log.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const chain of chains) await chain.close();
    await db.close();
    out('stopped');
    return exitCode.ok;
  },
};
