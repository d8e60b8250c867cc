/**
 * The operator's checks of a live issuer, as JSON views that the API serves and the CLI
 * prints (the same shape either way): the ledger's replay, the audit chain, each chain's
 * supply parity, and the business tables against the ledger (`verifyAll`). Each runs beside a
 * serving process: verifications read their heads and balances in one snapshot
 * (src/storage/snapshot.ts) and yield to the event loop as they go.
 */
import type { ChainConfig } from '../chain/config.ts';
import { type ChainParityView, chainParities, parityHolds } from '../chain/status.ts';
import { hex } from '../ledger/journal.ts';
import type { LedgerStore } from '../ledger/ports.ts';
import { type LedgerFollower, type VerifyOptions, verifyLedger } from '../ledger/verify.ts';
import { ledgerSnapshot, readSnapshot } from '../storage/snapshot.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import { verifyAudit } from '../workflow/audit-store.ts';
import { type Difference, restatedDifferences } from './restated.ts';
import { sqlRestatedPort } from './restated-sql.ts';

/** `verifyLedger`'s report as JSON: numbers as decimal strings, hashes as hex. */
export interface LedgerCheckView {
  readonly ok: boolean;
  readonly records: string;
  readonly accounts: number;
  readonly head: { readonly seq: string; readonly hash: string };
  readonly broken: {
    readonly seq: string;
    readonly reason: string;
    readonly detail: string;
  } | null;
}

/** `verifyAudit`'s report as JSON. */
export interface AuditCheckView {
  readonly ok: boolean;
  readonly entries: string;
  readonly head: string;
  readonly broken: { readonly seq: string; readonly reason: string } | null;
}

/** Everything `verifyAll` checked, and whether all of it held. */
export interface VerifyAllView {
  readonly ok: boolean;
  readonly ledger: LedgerCheckView;
  readonly audit: AuditCheckView;
  readonly parity: { readonly ok: boolean; readonly chains: ChainParityView[] };
  readonly restated: { readonly ok: boolean; readonly differences: Difference[] };
}

/**
 * Parses `<seq>:<hash>` (a head noted earlier: `clearpeg ledger head`), or throws naming
 * `field`.
 * @example parseExpectedHead('12:ab…(64 hex)', '--expect-head').seq === 12n
 */
export function parseExpectedHead(
  text: string,
  onError: (rule: string) => never,
): NonNullable<VerifyOptions['expectHead']> {
  const match = /^([1-9][0-9]{0,18}):([0-9a-f]{64})$/.exec(text);
  if (match === null)
    onError('<seq>:<hash>: a sequence number, a colon and 64 lowercase hex digits');
  return { seq: BigInt(match[1]!), hash: Uint8Array.from(Buffer.from(match[2]!, 'hex')) };
}

/**
 * Replays the journal of `store` (heads and balances read in one snapshot of `db`); with a
 * `follower`, only the records since the follower's last pass (see `LedgerFollower`).
 * @example const view = await ledgerCheck(db, store); view.ok
 */
export async function ledgerCheck(
  db: SqlDatabase,
  store: LedgerStore,
  options: Pick<VerifyOptions, 'expectHead'> = {},
  follower?: LedgerFollower,
): Promise<LedgerCheckView> {
  const verifyOptions = { ...options, snapshot: ledgerSnapshot(db) };
  const report = await (follower === undefined
    ? verifyLedger(store, verifyOptions)
    : follower.verify(store, verifyOptions));
  return {
    ok: report.ok,
    records: report.records.toString(),
    accounts: report.accounts,
    head: { seq: report.head.seq.toString(), hash: hex(report.head.hash) },
    broken:
      report.broken === undefined
        ? null
        : {
            seq: report.broken.seq.toString(),
            reason: report.broken.reason,
            detail: report.broken.detail,
          },
  };
}

/**
 * Recomputes the audit chain.
 * @example const view = await auditCheck(db); view.ok
 */
export async function auditCheck(db: SqlDatabase): Promise<AuditCheckView> {
  const report = await verifyAudit(db);
  return {
    ok: report.ok,
    entries: report.entries.toString(),
    head: report.head.replace(/^0x/, ''),
    broken:
      report.broken === undefined
        ? null
        : { seq: report.broken.seq.toString(), reason: report.broken.reason },
  };
}

/** A pause before differences are read again: a workflow writes the ledger, then its row. */
const recheckDelayMs = 250;

/**
 * The business tables against the ledger, each page in one snapshot. Differences are read
 * twice, `recheckDelayMs` apart, and only those found both times are reported: a workflow
 * writes the ledger first and its row right after, so a row caught between the two is not a
 * difference.
 * @example const differences = await restatedCheck(db)
 */
export async function restatedCheck(db: SqlDatabase): Promise<Difference[]> {
  const view = <T>(body: (port: ReturnType<typeof sqlRestatedPort>) => Promise<T>) =>
    readSnapshot(db, (tx) => body(sqlRestatedPort(tx)));
  const first = await restatedDifferences(view);
  if (first.length === 0) return first;
  await new Promise((resolve) => setTimeout(resolve, recheckDelayMs));
  const key = (d: Difference) => `${d.table}\0${d.id}\0${d.column}`;
  const again = new Set(first.map(key));
  return (await restatedDifferences(view)).filter((d) => again.has(key(d)));
}

/**
 * Every check: the ledger's replay, the audit chain, each chain's newest parity check, and the
 * business tables against the ledger. `ok` only if every one holds.
 * @example const view = await verifyAll(db, store, loadChains()); process.exitCode = view.ok ? 0 : 1
 */
export async function verifyAll(
  db: SqlDatabase,
  store: LedgerStore,
  chains: readonly ChainConfig[],
): Promise<VerifyAllView> {
  const ledger = await ledgerCheck(db, store);
  const audit = await auditCheck(db);
  const parities = await chainParities(db, chains);
  const differences = await restatedCheck(db);
  const parity = { ok: parityHolds(parities), chains: parities };
  const restated = { ok: differences.length === 0, differences };
  return {
    ok: ledger.ok && audit.ok && parity.ok && restated.ok,
    ledger,
    audit,
    parity,
    restated,
  };
}
