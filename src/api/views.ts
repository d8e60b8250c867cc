/**
 * JSON views of ledger values: amounts as decimal strings, hashes as hex, times as ISO 8601
 * with microseconds. The one place that decides how the ledger looks from outside.
 */
import { hex } from '../ledger/journal.ts';
import {
  type Account,
  accountFlag,
  type JournalHead,
  type JournalRecord,
  nilUuid,
  recordKind,
} from '../ledger/types.ts';
import { formatAmount } from '../money/money.ts';

const kindName: Record<number, string> = Object.fromEntries(
  Object.entries(recordKind).map(([name, value]) => [value, name]),
);

/**
 * ISO 8601 UTC with microseconds.
 * @example isoMicros(1_700_000_000_000_001n) === '2023-11-14T22:13:20.000001Z'
 */
export function isoMicros(us: bigint): string {
  const ms = us / 1000n;
  const base = new Date(Number(ms)).toISOString(); // …:20.000Z
  return `${base.slice(0, -1)}${String(us % 1000n).padStart(3, '0')}Z`;
}

/** An account as JSON. */
export function accountView(account: Account) {
  return {
    id: account.id,
    code: account.code,
    asset: account.asset,
    flags: {
      debitsMustNotExceedCredits: (account.flags & accountFlag.debitsMustNotExceedCredits) !== 0,
      creditsMustNotExceedDebits: (account.flags & accountFlag.creditsMustNotExceedDebits) !== 0,
      closed: (account.flags & accountFlag.closed) !== 0,
    },
    debitsPending: formatAmount(account.debitsPending),
    debitsPosted: formatAmount(account.debitsPosted),
    creditsPending: formatAmount(account.creditsPending),
    creditsPosted: formatAmount(account.creditsPosted),
  };
}

/** A journal record as JSON. */
export function recordView(record: JournalRecord) {
  return {
    seq: record.seq.toString(),
    id: record.id,
    kind: kindName[record.kind],
    timestamp: isoMicros(record.timestampUs),
    asset: record.asset,
    ...(record.kind === recordKind.accountCreated
      ? { code: record.code, flags: record.flags }
      : {}),
    ...(record.kind === recordKind.accountFlagsSet
      ? { accountId: record.accountId, flags: record.flags }
      : {}),
    ...(record.pendingId === nilUuid ? {} : { pendingId: record.pendingId }),
    ...(record.kind === recordKind.transferPending
      ? { timeoutSeconds: record.timeoutSeconds }
      : {}),
    postings: record.postings.map((p) => ({
      debit: p.debit,
      credit: p.credit,
      amount: formatAmount(p.amount),
    })),
    metadata: record.metadata,
    hash: hex(record.hash),
  };
}

/** The journal head as JSON. */
export function headView(head: JournalHead) {
  return {
    seq: head.seq.toString(),
    hash: hex(head.hash),
    timestamp: head.seq === 0n ? null : isoMicros(head.timestampUs),
  };
}
