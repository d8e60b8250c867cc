/**
 * The API's test fixture: an app on a fresh database (PGlite or PostgreSQL) with one operator
 * of each role and their API keys, approvers with their own Ed25519 keys, a token of record on
 * chain 31337 (so mints can be requested without a chain), and helpers to call the app and to
 * take a snapshot of everything a request could change.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createOperator } from '../issuance/operators.ts';
import {
  type IssuanceFixture,
  issuanceFixture,
  recordTestToken,
  testTokenAddress,
} from '../issuance/testing.ts';
import { type ApproverKey, generateApproverKey } from '../policy/approvals.ts';
import type { TestBackend } from '../storage/testing.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { type AppDeps, createApp, routeTable } from './app.ts';
import type { Route } from './route.ts';

/** The chain the fixture's token of record is on, and that token (no chain runs). */
export const testChainId = 31337;
export const testToken = testTokenAddress;

/** A response as the tests read it. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON read by tests
  readonly body: any;
}

/** What to send. */
export interface CallOptions {
  /** The API key (default: none). */
  readonly key?: string;
  /** A JSON body (serialised), or the body's exact text or bytes. */
  readonly json?: unknown;
  readonly raw?: string | Uint8Array;
  readonly contentType?: string;
  /** The Idempotency-Key (default on POST: a fresh one; null: none). */
  readonly idempotencyKey?: string | null;
  readonly headers?: Record<string, string>;
}

export interface ApiFixture {
  readonly f: IssuanceFixture;
  readonly app: Hono;
  /** The route table the app serves (but /openapi.json), for tests that walk it. */
  readonly routes: readonly Route[];
  /** API keys by operator id. */
  readonly keys: Readonly<Record<string, string>>;
  /** Approvers' Ed25519 keys by operator id. */
  readonly approverKeys: Readonly<Record<string, ApproverKey>>;
  call(method: 'GET' | 'POST', path: string, options?: CallOptions): Promise<Answer>;
  /** Everything a request could change, as one comparable string (idempotency rows and a refusal's own records aside). */
  snapshot(): Promise<string>;
  /**
   * Installs row triggers that count every change `snapshot` would see (and updates it would
   * not: a KYC state, a bucket's level) in one counter; returns a reader of that counter.
   */
  watchChanges(): Promise<() => Promise<number>>;
  close(): Promise<void>;
}

/** The operators of the fixture: an id per role, two approvers, and one with every role. */
const operators = [
  { id: 'op-tess', roles: ['treasurer'] },
  { id: 'op-cora', roles: ['compliance'] },
  { id: 'op-adam', roles: ['admin'] },
  { id: 'op-aud', roles: ['auditor'] },
  { id: 'op-ann', roles: ['approver'] },
  { id: 'op-bob', roles: ['approver'] },
  { id: 'op-all', roles: ['treasurer', 'compliance', 'admin', 'approver'] },
] as const;

let keyCounter = 0;

/**
 * No per-address limits: every test request comes from one address, and a suite's deliberate
 * refusals would spend its failure bucket (the limits are tested on their own).
 */
const unlimitedAddresses = {
  anonymousRateLimit: { perSecond: 1e9, burst: 1e9 },
  failureRateLimit: { perSecond: 1e9, burst: 1e9 },
} as const;

/**
 * An app on a fresh database with operators, keys and a token of record.
 * @example const a = await apiFixture(); const res = await a.call('GET', '/v1/policy', { key: a.keys['op-aud'] })
 */
export async function apiFixture(
  backend: TestBackend = 'pglite',
  options: Partial<AppDeps> = {},
): Promise<ApiFixture> {
  const f = await issuanceFixture(backend);
  const keys: Record<string, string> = {};
  const approverKeys: Record<string, ApproverKey> = {};
  for (const operator of operators) {
    const approver = (operator.roles as readonly string[]).includes('approver');
    if (approver) approverKeys[operator.id] = generateApproverKey();
    const { apiKey } = await createOperator(f.t.db, {
      id: operator.id,
      name: operator.id,
      roles: operator.roles,
      ...(approver ? { approvalKey: approverKeys[operator.id]!.publicKey } : {}),
    });
    keys[operator.id] = apiKey;
  }
  await recordTestToken(f.t.db, testChainId, testToken);
  const deps = {
    issuance: f.ctx,
    database: `test (${backend})`,
    version: '0.0.0-test',
    checkResponses: true,
    ...unlimitedAddresses,
    ...options,
  };
  const app = createApp(deps);
  const routes = routeTable({ ...deps, ctx: deps.issuance, store: deps.issuance.ledger.store });
  const call = async (method: 'GET' | 'POST', path: string, o: CallOptions = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`;
    if (method === 'POST' && o.idempotencyKey !== null)
      headers['idempotency-key'] = o.idempotencyKey ?? `test-${process.pid}-${++keyCounter}`;
    let body: string | Uint8Array | undefined;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] = 'application/json';
    }
    if (o.raw !== undefined) body = o.raw;
    if (o.contentType !== undefined) headers['content-type'] = o.contentType;
    const res = await app.request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: body as NonNullable<RequestInit['body']> }),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  };
  return {
    f,
    app,
    routes,
    keys,
    approverKeys,
    call,
    snapshot: () => snapshot(f),
    watchChanges: () => watchChanges(f),
    close: () => f.close(),
  };
}

/**
 * Counts and sums of every table a workflow writes (the reserve tables whole, as a hash of
 * their rows), the ledger's records, and ok audit entries. Left out: a refusal's own records (its audit entry, outcome refused, and for a
 * sanctions hit the alert raised with it: context.ts `recordRefusal`), and the ledger's
 * `accountCreated` records: workflows create accounts on first use (`ensureAccount`) before
 * they check, so a refusal may leave an empty account behind (never a posting). Known case:
 * `createPayout` creates `reserves:cash:<bank>` for any bank name before refusing a payout
 * over the balance.
 */
async function snapshot(f: IssuanceFixture): Promise<string> {
  const { rows } = await f.t.db.query(
    `SELECT
       (SELECT count(*) || ':' || coalesce(sum(updated_at_us), 0) FROM customers) AS customers,
       (SELECT count(*) FROM customer_wallets) AS wallets,
       (SELECT count(*) FROM deposits) AS deposits,
       (SELECT count(*) || ':' || coalesce(sum(updated_at_us), 0) FROM mint_requests) AS mints,
       (SELECT count(*) FROM approvals) AS approvals,
       (SELECT count(*) FROM redemptions) AS redemptions,
       (SELECT count(*) FROM payouts) AS payouts,
       (SELECT count(*) || ':' || coalesce(sum(updated_at_us), 0) FROM investment_requests) AS investments,
       (SELECT count(*) FROM changes) AS changes,
       (SELECT count(*) FROM policies) AS policies,
       (SELECT count(*) || ':' || coalesce(sum(level), 0) || ':' || coalesce(sum(updated_at_us), 0) FROM limit_buckets) AS buckets,
       (SELECT count(*) FROM breakers) AS breakers,
       (SELECT count(*) FROM alerts WHERE kind <> 'sanctions-hit') AS alerts,
       (SELECT count(*) FROM operators) AS operators,
       (SELECT count(*) FROM api_keys) AS api_keys,
       (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM reserve_positions t) AS reserve_positions,
       (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY position_id), '')) FROM reserve_accruals t) AS reserve_accruals,
       (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY sha256), '')) FROM custodian_statements t) AS custodian_statements,
       (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY custodian), '')) FROM custodian_keys t) AS custodian_keys,
       (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY account_code), '')) FROM reserve_eligibility t) AS reserve_eligibility,
       (SELECT count(*) FROM ledger_journal WHERE kind <> 1) AS ledger_records,
       (SELECT count(*) FROM audit_log WHERE outcome = 'ok') AS audit_ok`,
  );
  return JSON.stringify(rows[0]);
}

/** The tables `watchChanges` counts every row change of; with the exceptions `snapshot` makes. */
const watched: readonly { table: string; when?: string; events?: string }[] = [
  ...[
    'customers',
    'customer_wallets',
    'deposits',
    'mint_requests',
    'approvals',
    'redemptions',
    'payouts',
    'investment_requests',
    'changes',
    'policies',
    'limit_buckets',
    'breakers',
    'operators',
    'api_keys',
    'chain_tokens',
    'chain_issuer_addresses',
    'reserve_positions',
    'reserve_accruals',
    'custodian_statements',
    'custodian_keys',
    'reserve_eligibility',
  ].map((table) => ({ table })),
  { table: 'alerts', when: "NEW.kind <> 'sanctions-hit'", events: 'INSERT OR UPDATE' },
  { table: 'audit_log', when: "NEW.outcome = 'ok'", events: 'INSERT OR UPDATE' },
  { table: 'ledger_journal', when: 'NEW.kind <> 1', events: 'INSERT OR UPDATE' },
];

async function watchChanges(f: IssuanceFixture): Promise<() => Promise<number>> {
  await f.t.db.exec(`
    CREATE TABLE IF NOT EXISTS test_changes (singleton boolean PRIMARY KEY DEFAULT true, n bigint NOT NULL);
    INSERT INTO test_changes (n) VALUES (0) ON CONFLICT DO NOTHING;
    CREATE OR REPLACE FUNCTION test_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE test_changes SET n = n + 1; RETURN NULL; END $$;
    ${watched
      .map(
        ({ table, when, events }) =>
          `CREATE OR REPLACE TRIGGER test_watch_${table} AFTER ${events ?? 'INSERT OR UPDATE OR DELETE'} ON ${table}
           FOR EACH ROW ${when === undefined ? '' : `WHEN (${when})`} EXECUTE FUNCTION test_count_change();`,
      )
      .join('\n')}
  `);
  return async () => {
    const { rows } = await f.t.db.query<{ n: string }>('SELECT n::text FROM test_changes');
    return Number(rows[0]!.n);
  };
}

/** A test server: the app on 127.0.0.1 at a free port, and how to stop it. */
export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the app over the issuance context on 127.0.0.1 (responses checked against their
 * schemas), for tests that talk to it over real HTTP (the CLI's).
 * @example const server = await serveTestApp(f.ctx); … await server.close()
 */
export async function serveTestApp(issuance: IssuanceContext): Promise<TestServer> {
  const app = createApp({
    issuance,
    database: 'test (pglite)',
    version: '0.0.0-test',
    checkResponses: true,
    ...unlimitedAddresses,
  });
  let server: ReturnType<typeof serve> | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve(info.port),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const http = server as unknown as Server;
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
