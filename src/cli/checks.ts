/**
 * The checks an operator runs on an issuer, locally or through a running server:
 * `ledger verify`, `audit verify`, `chain status`, `chain parity` and `verify-all`.
 *
 * Where a check runs (docs/operations.md, "Checking a running issuer"):
 *
 * 1. `--local`: on the database, opened by this process (the embedded store refuses while a
 *    server holds it).
 * 2. else, `CLEARPEG_URL` set: through that server's API, with `CLEARPEG_API_KEY`.
 * 3. else, the embedded store's data directory held by a live process (a running
 *    `clearpeg serve`): through the API at `http://127.0.0.1:$CLEARPEG_PORT`, with
 *    `CLEARPEG_API_KEY`.
 * 4. else, on the database, as with `--local`.
 *
 * The answer has the same shape either way (`--json` prints it), and the exit code is 0 when
 * the check holds, 1 when it does not.
 */
import { join } from 'node:path';
import { loadChains } from '../chain/config.ts';
import {
  type ChainParityView,
  type ChainStatusView,
  chainParities,
  chainStatuses,
  parityHolds,
} from '../chain/status.ts';
import { type ClusterStatusView, clusterStatus } from '../cluster/leases.ts';
import type { Config } from '../config.ts';
import { toJson } from '../json.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { describeDatabase } from '../storage/open.ts';
import { dataDirHolder } from '../storage/pglite/lock.ts';
import {
  type AuditCheckView,
  auditCheck,
  type LedgerCheckView,
  ledgerCheck,
  parseExpectedHead,
  type VerifyAllView,
  verifyAll,
} from '../verify/checks.ts';
import {
  type ApiClient,
  ApiProblemError,
  apiClient,
  formatProblem,
  problemExitCode,
} from './client.ts';
import {
  type Command,
  type CommandContext,
  commandOptions,
  exitCode,
  type Options,
  readOptions,
  UsageError,
  withDatabase,
} from './io.ts';

/** Where a check runs, and why (for the output). */
export type CheckSite =
  | { readonly via: 'api'; readonly why: string }
  | { readonly via: 'local'; readonly why: string };

/**
 * Where a check runs: the rule in this file's header.
 * @example checkSite(loadConfig(), false, process.env).via // 'api' while a server holds the data directory
 */
export function checkSite(
  config: Pick<Config, 'dataDir' | 'databaseUrl' | 'port'>,
  local: boolean | undefined,
  env: NodeJS.ProcessEnv,
): CheckSite {
  if (local) return { via: 'local', why: '--local' };
  if (env.CLEARPEG_URL !== undefined && env.CLEARPEG_URL !== '')
    return { via: 'api', why: `CLEARPEG_URL is set` };
  if (config.databaseUrl === undefined) {
    const holder = dataDirHolder(join(config.dataDir, 'pgdata'));
    if (holder !== undefined)
      return { via: 'api', why: `process ${holder} holds ${config.dataDir}` };
  }
  return { via: 'local', why: 'no server holds the data' };
}

type Values = Record<string, string | boolean | undefined>;

/** A check: how it runs through the API and locally, how it prints, and whether it held. */
interface CheckSpec<V> {
  readonly name: string;
  /** Usage after `clearpeg <name>`, without `[--local] [--json]`. */
  readonly usage: string;
  readonly options?: Options;
  /** Checks the options before anything is opened or sent (a `UsageError`). */
  validate?(values: Values): void;
  remote(client: ApiClient, values: Values): Promise<V>;
  local(context: CommandContext, values: Values): Promise<V>;
  /** The lines a person reads; `where` says which database or server was checked. */
  lines(view: V, where: string): readonly string[];
  holds(view: V): boolean;
}

function checkCommand<V>(spec: CheckSpec<V>): Command {
  return {
    name: spec.name,
    usage: `clearpeg ${spec.name}${spec.usage} [--local] [--json]`,
    async run(args, context) {
      const { values } = commandOptions(args, {
        ...readOptions,
        local: { type: 'boolean' },
        ...spec.options,
      });
      spec.validate?.(values);
      const site = checkSite(context.config, values.local as boolean | undefined, process.env);
      let view: V;
      let where: string;
      try {
        if (site.via === 'api') {
          const client = apiClient(context.config);
          where = `the server at ${client.baseUrl}, as ${site.why}`;
          view = await spec.remote(client, values);
        } else {
          where = describeDatabase(context.config);
          view = await spec.local(context, values);
        }
      } catch (error) {
        if (!(error instanceof ApiProblemError)) throw error;
        for (const line of formatProblem(error.problem)) context.err(line);
        return problemExitCode(error.status);
      }
      if (values.json) context.out(toJson(view));
      else for (const line of spec.lines(view, where)) context.out(line);
      return spec.holds(view) ? exitCode.ok : exitCode.failed;
    },
  };
}

/** `--expect-head` as given (checked here, before anything is opened or sent), and parsed. */
function expectHeadOf(values: Values) {
  const text = values['expect-head'];
  if (typeof text !== 'string') return undefined;
  const head = parseExpectedHead(text, (rule) => {
    throw new UsageError(`--expect-head: give ${rule}`);
  });
  return { text, head };
}

function ledgerLines(view: LedgerCheckView, where: string): string[] {
  return view.ok
    ? [
        `ok: ${view.records} records, ${view.accounts} accounts; head ${view.head.seq} ${view.head.hash} (${where})`,
      ]
    : [`BROKEN at seq ${view.broken!.seq}: ${view.broken!.reason}: ${view.broken!.detail}`];
}

function auditLines(view: AuditCheckView): string[] {
  return view.ok
    ? [`ok: ${view.entries} entries; head ${view.head}`]
    : [
        `BROKEN at entry ${view.broken!.seq}: ${view.broken!.reason} (${view.entries} entries verified before it)`,
      ];
}

function parityLine(chain: ChainParityView): string {
  const p = chain.parity;
  return p === null
    ? `${chain.name}: not checked yet`
    : `${chain.name} at block ${p.blockNumber}: total supply ${p.totalSupply} − issuer-held ${p.issuerHeld} ${p.ok ? '=' : '≠'} ledger ${p.ledgerSupply}${p.ok ? '' : '  MISMATCH'}`;
}

function statusLine(chain: ChainStatusView): string {
  const parity =
    chain.parity === null
      ? 'not checked yet'
      : `${chain.parity.ok ? 'ok' : 'MISMATCH'} at block ${chain.parity.blockNumber}`;
  return `${chain.name} (chain ${chain.chainId}, ${chain.rpcUrl}): token ${chain.token ?? 'not deployed'}, indexed to ${chain.indexedBlock ?? '-'}, ${chain.openRequests} open requests, parity ${parity}${chain.breakers.length > 0 ? `, STOPPED by ${chain.breakers.join(', ')}` : ''}`;
}

const localStore = <T>(
  context: CommandContext,
  body: (
    db: Parameters<Parameters<typeof withDatabase>[1]>[0],
    store: SqlLedgerStore,
  ) => Promise<T>,
) => withDatabase(context, (db) => body(db, new SqlLedgerStore(db)));

export const ledgerVerify: Command = checkCommand<LedgerCheckView>({
  name: 'ledger verify',
  usage: ' [--expect-head SEQ:HASH]',
  options: { 'expect-head': { type: 'string' } },
  validate: expectHeadOf,
  remote: async (client, values) =>
    (
      await client.get<LedgerCheckView>('/v1/ledger/verify', {
        expectHead: expectHeadOf(values)?.text,
      })
    ).body,
  local: (context, values) => {
    const expected = expectHeadOf(values);
    return localStore(context, (db, store) =>
      ledgerCheck(db, store, expected === undefined ? {} : { expectHead: expected.head }),
    );
  },
  lines: ledgerLines,
  holds: (view) => view.ok,
});

export const auditVerify: Command = checkCommand<AuditCheckView>({
  name: 'audit verify',
  usage: '',
  remote: async (client) => (await client.get<AuditCheckView>('/v1/audit/verify')).body,
  local: (context) => withDatabase(context, auditCheck),
  lines: auditLines,
  holds: (view) => view.ok,
});

export const chainStatus: Command = checkCommand<ChainStatusView[]>({
  name: 'chain status',
  usage: '',
  remote: async (client) =>
    (await client.get<{ chains: ChainStatusView[] }>('/v1/chains')).body.chains,
  local: (context) => withDatabase(context, (db) => chainStatuses(db, loadChains())),
  lines: (view) => view.map(statusLine),
  holds: () => true,
});

/** `clearpeg status`: the processes and who holds each worker's lease. */
export const clusterStatusCommand: Command = checkCommand<ClusterStatusView>({
  name: 'status',
  usage: '',
  remote: async (client) => (await client.get<ClusterStatusView>('/v1/status')).body,
  local: (context) => withDatabase(context, (db) => clusterStatus(db)),
  lines: clusterLines,
  holds: () => true,
});

/** The lines of `clearpeg status`: each process, then each lease. */
export function clusterLines(view: ClusterStatusView, where: string): string[] {
  const nodeOf = new Map(view.processes.map((p) => [p.instance, p]));
  return [
    `processes (${where}, at ${view.now}):`,
    ...(view.processes.length === 0 ? ['  none seen in the last day'] : []),
    ...view.processes.map(
      (p) =>
        `  ${p.node.padEnd(16)} ${p.alive ? 'up  ' : 'gone'} pid ${p.pid} on ${p.host}, ${p.version}, started ${p.startedAt}, seen ${p.seenAt}${p.apiUrl === null ? '' : `, API ${p.apiUrl}`}`,
    ),
    'leases:',
    ...(view.leases.length === 0 ? ['  none yet'] : []),
    ...view.leases.map((l) => {
      const holder = l.node ?? `instance ${l.instance.slice(0, 8)}`;
      const state = l.expired
        ? `EXPIRED at ${l.expiresAt} (the next process to ask takes it)`
        : `until ${l.expiresAt}`;
      const alive = nodeOf.get(l.instance)?.alive === false ? ' (its process is gone)' : '';
      return `  ${l.name.padEnd(22)} ${holder}${alive}, token ${l.token}, since ${l.acquiredAt}, ${state}`;
    }),
  ];
}

export const chainParity: Command = checkCommand<ChainParityView[]>({
  name: 'chain parity',
  usage: '',
  remote: async (client) =>
    (await client.get<{ chains: ChainParityView[] }>('/v1/chains/parity')).body.chains,
  local: (context) => withDatabase(context, (db) => chainParities(db, loadChains())),
  lines: (view) => view.map(parityLine),
  holds: parityHolds,
});

/** The lines of `verify-all`: each check's verdict, then each difference. */
function verifyAllLines(view: VerifyAllView, where: string): string[] {
  const { restated } = view;
  return [
    `ledger:   ${ledgerLines(view.ledger, where)[0]}`,
    `audit:    ${auditLines(view.audit)[0]}`,
    ...(view.parity.chains.length === 0
      ? ['parity:   no chains configured']
      : view.parity.chains.map((chain) => `parity:   ${parityLine(chain)}`)),
    restated.ok
      ? 'restated: ok: every deposit, mint, redemption, payout and reserve lot agrees with the ledger'
      : `restated: ${restated.differences.length} DIFFERENCES`,
    ...restated.differences.map(
      (d) => `  ${d.table} ${d.id} ${d.column}: stored ${d.stored}, the ledger says ${d.journal}`,
    ),
    view.ok ? 'verify-all: ok' : 'verify-all: FAILED',
  ];
}

export const verifyAllCommand: Command = checkCommand<VerifyAllView>({
  name: 'verify-all',
  usage: '',
  remote: async (client) => (await client.get<VerifyAllView>('/v1/verify')).body,
  local: (context) => localStore(context, (db, store) => verifyAll(db, store, loadChains())),
  lines: verifyAllLines,
  holds: (view) => view.ok,
});
