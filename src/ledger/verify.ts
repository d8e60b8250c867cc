/**
 * Verification: replay the whole journal, check every link of the hash chain, rebuild every
 * balance and pending transfer from the records alone, and compare with what is stored.
 * The first broken link is named by its sequence number.
 */
import { amountMax } from '../money/money.ts';
import { type BrokenLink, ChainVerifier, genesisHead, hex } from './journal.ts';
import type { LedgerStore } from './ports.ts';
import {
  type Account,
  accountFlag,
  type JournalHead,
  type JournalRecord,
  type Pending,
  type PendingStatus,
  recordKind,
  type Uuid,
} from './types.ts';

/** What verification found. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Records checked. */
  readonly records: bigint;
  readonly accounts: number;
  /** The head as recomputed (equal to the stored head when ok). */
  readonly head: JournalHead;
  readonly broken?: BrokenLink;
}

/** Rebuilds accounts and pending transfers from journal records alone. */
export class Replayer {
  readonly accounts = new Map<Uuid, Account & { createdSeq: bigint }>();
  readonly pendings = new Map<Uuid, Pending & { seq: bigint }>();
  /** The pending transfers created or resolved since this was last cleared. */
  readonly touched = new Set<Uuid>();

  /** Applies one record; returns a reason if the record cannot apply to the state so far. */
  apply(record: JournalRecord): string | undefined {
    switch (record.kind) {
      case recordKind.accountCreated:
        if (this.accounts.has(record.id)) return `account ${record.id} is created twice`;
        this.accounts.set(record.id, {
          id: record.id,
          code: record.code,
          asset: record.asset,
          flags: record.flags,
          debitsPending: 0n,
          debitsPosted: 0n,
          creditsPending: 0n,
          creditsPosted: 0n,
          createdSeq: record.seq,
        });
        return undefined;
      case recordKind.accountFlagsSet: {
        const account = this.accounts.get(record.accountId);
        if (account === undefined) return `account ${record.accountId} does not exist`;
        account.flags = record.flags;
        return undefined;
      }
      case recordKind.transferPosted:
      case recordKind.transferPending: {
        const pending = record.kind === recordKind.transferPending;
        for (const p of record.postings) {
          const reason = this.move(
            p.debit,
            p.credit,
            record.asset,
            pending ? 'Pending' : 'Posted',
            p.amount,
          );
          if (reason) return reason;
        }
        if (pending)
          this.pendings.set(record.id, {
            id: record.id,
            asset: record.asset,
            postings: record.postings,
            expiresAtUs: record.timestampUs + BigInt(record.timeoutSeconds) * 1_000_000n,
            status: 'pending',
            seq: record.seq,
          });
        if (pending) this.touched.add(record.id);
        return this.checkLimits(record);
      }
      default:
        return this.resolve(record);
    }
  }

  private resolve(record: JournalRecord): string | undefined {
    const pending = this.pendings.get(record.pendingId);
    if (pending === undefined || pending.status !== 'pending')
      return `pending transfer ${record.pendingId} is not pending`;
    if (record.postings.length !== pending.postings.length)
      return 'postings do not match the pending transfer';
    for (const [index, p] of pending.postings.entries()) {
      const applied = record.postings[index]!;
      if (applied.debit !== p.debit || applied.credit !== p.credit || applied.amount > p.amount)
        return `posting ${index} does not match the pending transfer`;
      const reason = this.move(p.debit, p.credit, pending.asset, 'Pending', -p.amount);
      if (reason) return reason;
      if (record.kind === recordKind.pendingPosted)
        this.move(p.debit, p.credit, pending.asset, 'Posted', applied.amount);
      else if (applied.amount !== p.amount) return `posting ${index} releases a different amount`;
    }
    const status: PendingStatus =
      record.kind === recordKind.pendingPosted
        ? 'posted'
        : record.kind === recordKind.pendingVoided
          ? 'voided'
          : 'expired';
    pending.status = status;
    this.touched.add(record.pendingId);
    return this.checkLimits(record);
  }

  private move(
    debitId: Uuid,
    creditId: Uuid,
    asset: string,
    sum: 'Pending' | 'Posted',
    amount: bigint,
  ): string | undefined {
    const debit = this.accounts.get(debitId);
    const credit = this.accounts.get(creditId);
    if (debit === undefined || credit === undefined)
      return `account ${debit === undefined ? debitId : creditId} does not exist`;
    if (debit.asset !== asset || credit.asset !== asset) return 'a posting crosses assets';
    debit[`debits${sum}`] += amount;
    credit[`credits${sum}`] += amount;
    return undefined;
  }

  private checkLimits(record: JournalRecord): string | undefined {
    for (const p of record.postings) {
      for (const id of [p.debit, p.credit]) {
        const a = this.accounts.get(id)!;
        if (
          [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted].some(
            (v) => v < 0n || v > amountMax,
          )
        )
          return `a running sum of ${a.code} leaves 0..2^128-1`;
        if (
          (a.flags & accountFlag.debitsMustNotExceedCredits) !== 0 &&
          a.debitsPending + a.debitsPosted > a.creditsPosted
        )
          return `${a.code}: debits exceed credits`;
        if (
          (a.flags & accountFlag.creditsMustNotExceedDebits) !== 0 &&
          a.creditsPending + a.creditsPosted > a.debitsPosted
        )
          return `${a.code}: credits exceed debits`;
      }
    }
    return undefined;
  }
}

/**
 * Records, accounts or pending transfers read per page during verification: a page's rows
 * are decoded and replayed on the caller's thread without a break, so a page is what a
 * verification inside a serving process keeps other requests waiting for (bench/verify.ts).
 */
const pageSize = 1_000;

/** Lets other work on the event loop run (a verify inside a serving process). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `body` on one consistent view of the store: the head, the accounts and the pending
 * transfers as of one moment (a read-only REPEATABLE READ transaction on a live issuer,
 * `src/storage/snapshot.ts`). The default runs it on the store as it is, for a store nobody
 * writes to while it is verified.
 */
export type StoreSnapshot = <T>(body: (store: LedgerStore) => Promise<T>) => Promise<T>;

/** How to verify. */
export interface VerifyOptions {
  /** The consistent view the head and balances are compared in (see `StoreSnapshot`). */
  readonly snapshot?: StoreSnapshot;
  /**
   * A head noted earlier (a published one): the journal must hold this record with this
   * hash, or verification fails (`missing` if the journal ends before it, `head-mismatch`
   * if it holds another record there). Detects a truncated journal whose head was moved back.
   */
  readonly expectHead?: { readonly seq: bigint; readonly hash: Uint8Array };
}

/**
 * Replays the journal of `store` and compares the result with the stored balances, pending
 * transfers and head. The records are read page by page outside any transaction (they never
 * change); the head and the balances are read in one `snapshot` at the end, with the records
 * added since, so a verify beside a running writer compares one moment with the journal up to
 * that moment. It yields to the event loop after every page.
 * @example const report = await verifyLedger(store); if (!report.ok) console.log(report.broken)
 */
export function verifyLedger(
  store: LedgerStore,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  return new LedgerFollower().verify(store, options);
}

/**
 * `verifyLedger` that can go on: after a verification that passed, the next one replays only
 * the records appended since (their hash links from the head it verified, and their effect on
 * the balances it rebuilt), then compares every stored balance and the head again, and the
 * pending transfers those records created or resolved (the others by their number). What it
 * does not do again is re-read the records it already checked, or compare a pending transfer
 * no new record touched: a record edited behind the ledger's back (its table refuses updates,
 * so only someone who disabled that), or such a pending transfer's stored state, is found by
 * the next full replay, not by a follower that passed it. After a failure it starts over from
 * genesis.
 * @example const follower = new LedgerFollower(); await follower.verify(store); … await follower.verify(store)
 */
export class LedgerFollower {
  private chain = new ChainVerifier(genesisHead);
  private replay = new Replayer();
  private count = 0n;
  private after = 0n;

  /** Records replayed so far (every record of the journal up to the head last verified). */
  get records(): bigint {
    return this.count;
  }

  private restart(): void {
    this.chain = new ChainVerifier(genesisHead);
    this.replay = new Replayer();
    this.count = 0n;
    this.after = 0n;
  }

  /** Verifies the journal up to its head now; see the class. */
  async verify(store: LedgerStore, options: VerifyOptions = {}): Promise<VerifyReport> {
    if (options.expectHead !== undefined && options.expectHead.seq <= this.after) this.restart();
    const report = await this.run(store, options);
    if (!report.ok) this.restart();
    return report;
  }

  private async run(store: LedgerStore, options: VerifyOptions): Promise<VerifyReport> {
    const { chain, replay } = this;
    const fail = (broken: BrokenLink): VerifyReport => ({
      ok: false,
      records: this.count,
      accounts: replay.accounts.size,
      head: chain.head,
      broken,
    });
    /** Replays the records after `after` that `from` holds; a broken link, or undefined. */
    const replayFrom = async (from: LedgerStore): Promise<BrokenLink | undefined> => {
      for (;;) {
        const page = await from.records(this.after, pageSize);
        for (const record of page) {
          if (!chain.push(record)) return chain.broken!;
          const reason = replay.apply(record);
          if (reason !== undefined)
            return { seq: record.seq, reason: 'invalid-record', detail: reason };
          const expected = options.expectHead;
          if (expected !== undefined && record.seq === expected.seq)
            if (!Buffer.from(chain.head.hash).equals(Buffer.from(expected.hash)))
              return {
                seq: record.seq,
                reason: 'head-mismatch',
                detail: `record ${record.seq} hashes to ${hex(chain.head.hash)}, not the expected head ${hex(expected.hash)}`,
              };
          this.count++;
        }
        if (page.length > 0) this.after = page[page.length - 1]!.seq;
        if (page.length < pageSize) return undefined;
        await yieldToEventLoop();
      }
    };
    // After a verification that passed, the pending transfers compared one by one are those
    // the records replayed now create or resolve (the others by their number).
    const quick = this.count > 0n;
    replay.touched.clear();
    const early = await replayFrom(store);
    if (early !== undefined) return fail(early);
    const snapshot: StoreSnapshot = options.snapshot ?? ((body) => body(store));
    const broken = await snapshot(async (view) => {
      const head = await view.head();
      return (
        (await replayFrom(view)) ??
        chain.finish(head) ??
        expectedHeadReached(chain.head, options.expectHead) ??
        (await compareState(view, replay, quick ? replay.touched : undefined))
      );
    });
    return broken
      ? fail(broken)
      : { ok: true, records: this.count, accounts: replay.accounts.size, head: chain.head };
  }
}

/** A broken link if the journal ends before the expected head. */
function expectedHeadReached(
  end: JournalHead,
  expected: VerifyOptions['expectHead'],
): BrokenLink | undefined {
  if (expected === undefined || end.seq >= expected.seq) return undefined;
  return {
    seq: end.seq + 1n,
    reason: 'missing',
    detail: `the journal ends at ${end.seq}, before the expected head ${expected.seq} ${hex(expected.hash)}: records were removed and the head moved back`,
  };
}

/**
 * Compares the stored accounts, pending transfers and their number with the replay's. With
 * `pendingIds`, only those pending transfers are compared one by one (the others by their
 * number): the ones the records just replayed created or resolved.
 */
async function compareState(
  store: LedgerStore,
  replay: Replayer,
  pendingIds?: ReadonlySet<Uuid>,
): Promise<BrokenLink | undefined> {
  let stored = 0;
  for (let afterCode: string | undefined; ; ) {
    const page = await store.accounts({
      ...(afterCode === undefined ? {} : { afterCode }),
      limit: pageSize,
    });
    for (const account of page) {
      stored++;
      const expected = replay.accounts.get(account.id);
      if (expected === undefined)
        return {
          seq: 0n,
          reason: 'balance-mismatch',
          detail: `stored account ${account.code} has no creation record`,
        };
      const fields = [
        'code',
        'asset',
        'flags',
        'debitsPending',
        'debitsPosted',
        'creditsPending',
        'creditsPosted',
      ] as const;
      const differs = fields.find((field) => expected[field] !== account[field]);
      if (differs !== undefined) {
        return {
          seq: expected.createdSeq,
          reason: 'balance-mismatch',
          detail: `account ${account.code} (created at seq ${expected.createdSeq}): stored ${differs} ${account[differs]}, the journal gives ${expected[differs]}`,
        };
      }
    }
    if (page.length < pageSize) break;
    afterCode = page[page.length - 1]!.code;
  }
  if (stored !== replay.accounts.size)
    return {
      seq: 0n,
      reason: 'balance-mismatch',
      detail: `the journal creates ${replay.accounts.size} accounts, ${stored} are stored`,
    };
  if (pendingIds !== undefined) return comparePendings(store, replay, pendingIds);
  let pendings = 0;
  for (let after = 0n; ; ) {
    const page = await store.pendings(after, pageSize);
    for (const pending of page) {
      pendings++;
      const broken = comparePending(pending, replay);
      if (broken !== undefined) return broken;
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.seq;
  }
  return pendingsCounted(BigInt(pendings), replay);
}

/** The stored pending transfers of `ids` and the number of all, compared with the replay's. */
async function comparePendings(
  store: LedgerStore,
  replay: Replayer,
  ids: ReadonlySet<Uuid>,
): Promise<BrokenLink | undefined> {
  const wanted = [...ids];
  for (let i = 0; i < wanted.length; i += pageSize) {
    const page = wanted.slice(i, i + pageSize);
    const stored = await store.pendingsByIds(page);
    for (const pending of stored) {
      const broken = comparePending(pending, replay);
      if (broken !== undefined) return broken;
    }
    if (stored.length !== page.length) {
      const found = new Set(stored.map((p) => p.id));
      const missing = page.find((id) => !found.has(id))!;
      return {
        seq: replay.pendings.get(missing)?.seq ?? 0n,
        reason: 'balance-mismatch',
        detail: `pending transfer ${missing}: stored nothing, the journal gives ${replay.pendings.get(missing)?.status}`,
      };
    }
  }
  return pendingsCounted(await store.pendingCount(), replay);
}

function pendingsCounted(stored: bigint, replay: Replayer): BrokenLink | undefined {
  if (stored === BigInt(replay.pendings.size)) return undefined;
  return {
    seq: 0n,
    reason: 'balance-mismatch',
    detail: `the journal has ${replay.pendings.size} pending transfers, ${stored} are stored`,
  };
}

/** One stored pending transfer against the replay's. */
function comparePending(
  pending: Pending & { seq: bigint },
  replay: Replayer,
): BrokenLink | undefined {
  const expected = replay.pendings.get(pending.id);
  if (
    expected !== undefined &&
    expected.status === pending.status &&
    expected.seq === pending.seq &&
    expected.expiresAtUs === pending.expiresAtUs
  )
    return undefined;
  return {
    seq: pending.seq,
    reason: 'balance-mismatch',
    detail: `pending transfer ${pending.id}: stored ${pending.status}, the journal gives ${expected?.status ?? 'nothing'}`,
  };
}
