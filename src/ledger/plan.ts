/**
 * The pure core of the writer: given the state it needs and a batch of commands, compute
 * each command's outcome, the journal records, and the new values of every touched account
 * and pending transfer. No I/O: the store loads the state, calls `planBatch`, and writes the
 * plan in one database transaction, or nothing.
 *
 * Commands apply in order; each is all-or-nothing (an undo log restores the accounts a
 * refused transaction touched). The input state is never mutated: accounts and pending
 * transfers are copied on first touch, so a failed commit leaves the caller's cache valid.
 */
import { assert } from '../errors.ts';
import { limits } from '../limits.ts';
import { amountMax, type Micro } from '../money/money.ts';
import { LedgerError, ledgerCode, refusal } from './errors.ts';
import {
  commandHash,
  type RecordContent,
  recordHash,
  storesCommandHash,
  unusedFields,
} from './journal.ts';
import {
  type Account,
  accountFlag,
  type Command,
  type JournalHead,
  type JournalRecord,
  type Metadata,
  nilUuid,
  type Outcome,
  type Pending,
  type PendingStatus,
  type Posting,
  type PriorOutcome,
  type RecordKind,
  type Refusal,
  recordKind,
  type Uuid,
} from './types.ts';

/** The writer's own command: void a pending transfer whose timeout passed. */
export interface ExpirePending {
  readonly type: 'expirePending';
  readonly id: Uuid;
  readonly pendingId: Uuid;
}

/** What the planner may be asked to do. */
export type PlannedCommand = Command | ExpirePending;

/** The state a batch reads; the store prefetches every id the batch references. */
export interface PlanState {
  readonly head: JournalHead;
  account(id: Uuid): Account | undefined;
  accountIdByCode(code: string): Uuid | undefined;
  pending(id: Uuid): Pending | undefined;
  prior(id: Uuid): PriorOutcome | undefined;
}

/** A pending transfer created by the batch. */
export interface PendingCreated extends Pending {
  readonly seq: bigint;
}

/** A pending transfer the batch resolved. */
export interface PendingResolved {
  readonly id: Uuid;
  readonly status: Exclude<PendingStatus, 'pending'>;
  readonly seq: bigint;
}

/** A refused command, to be recorded so that its id stays failed. */
export interface Failure {
  readonly id: Uuid;
  readonly inputHash: Uint8Array;
  readonly error: Refusal;
}

/** Everything a batch changes. */
export interface BatchPlan {
  readonly outcomes: Outcome[];
  readonly records: JournalRecord[];
  /** Touched accounts with their new values, in the order first touched. */
  readonly accounts: Account[];
  /** Each of `accounts`' values before the batch, at the same index (undefined: created by it). */
  readonly before: Array<Account | undefined>;
  /** Where in `accounts` each touched account is. */
  readonly accountIndex: ReadonlyMap<Uuid, number>;
  readonly pendingsCreated: PendingCreated[];
  readonly pendingsResolved: PendingResolved[];
  readonly failures: Failure[];
  readonly head: JournalHead;
}

/** The flags that limit an account's sums. */
const limitFlags = accountFlag.debitsMustNotExceedCredits | accountFlag.creditsMustNotExceedDebits;

/** Field names by posting index, made once: the hot path never builds a string. */
const fieldNames = (name: (index: number) => string): string[] =>
  Array.from({ length: limits.postingsMax }, (_, index) => name(index));
const fieldName = {
  debit: fieldNames((i) => `postings.${i}.debit`),
  credit: fieldNames((i) => `postings.${i}.credit`),
  amount: fieldNames((i) => `postings.${i}.amount`),
  pendingDebit: fieldNames((i) => `pending.postings.${i}.debit`),
  pendingCredit: fieldNames((i) => `pending.postings.${i}.credit`),
  amounts: fieldNames((i) => `amounts.${i}`),
};

/** Refuses a running sum past 2^128 - 1. */
function checkOverflow(account: Account, value: bigint, field: string): void {
  if (value > amountMax)
    throw refusal(
      ledgerCode.balanceOverflow,
      field,
      'running sums must stay at most 2^128 - 1 micro-units',
      account.code,
    );
}

/**
 * Refuses what would break an account's flags, given its total debits and total credits
 * (pending and posted) after the change. Only posted sums count as funds: pending credits do
 * not make money available.
 */
function checkLimits(
  account: Account,
  debitsTotal: bigint,
  creditsTotal: bigint,
  field: string,
): void {
  if ((account.flags & limitFlags) === 0) return;
  if ((account.flags & accountFlag.debitsMustNotExceedCredits) !== 0) {
    const shortfall = debitsTotal - account.creditsPosted;
    if (shortfall > 0n)
      throw refusal(
        ledgerCode.debitsExceedCredits,
        field,
        `debits must not exceed credits on ${account.code}`,
        `short by ${shortfall} micro-units`,
      );
  }
  if ((account.flags & accountFlag.creditsMustNotExceedDebits) !== 0) {
    const shortfall = creditsTotal - account.debitsPosted;
    if (shortfall > 0n)
      throw refusal(
        ledgerCode.creditsExceedDebits,
        field,
        `credits must not exceed debits on ${account.code}`,
        `short by ${shortfall} micro-units`,
      );
  }
}

/** The fields of a record its maker sets; the planner fills in seq, timestamp and hashes. */
type RecordFields = Partial<RecordContent> & Pick<RecordContent, 'kind' | 'id' | 'asset'>;

/** The hash of a command as submitted; the writer's own expiries have none (zeros). */
function hashOfCommand(command: PlannedCommand): Uint8Array {
  return command.type === 'expirePending' ? zeroHash : commandHash(command);
}
const zeroHash = new Uint8Array(32);

/** Options that make planning deterministic in tests. */
export interface PlanOptions {
  /** Microseconds since the epoch; record timestamps are max(now, previous + 1). */
  readonly nowUs: bigint;
  /** Fresh ids for records the writer makes itself (expiries). */
  readonly newId: () => Uuid;
}

/**
 * Plans one batch.
 * @example const plan = planBatch(state, [transfer], { nowUs, newId: uuidv7 })
 */
export function planBatch(
  state: PlanState,
  commands: readonly PlannedCommand[],
  options: PlanOptions,
): BatchPlan {
  const planner = new Planner(state, options);
  for (const command of commands) planner.step(command);
  return planner.finish();
}

/** Commands planned between two yields to the event loop in `planBatchAsync`. */
const commandsPerSlice = 128;

/**
 * Plans one batch like `planBatch`, yielding to the event loop every few hundred commands so
 * that a large batch never holds up I/O (the previous batch's database round trips).
 * @example const plan = await planBatchAsync(state, commands, { nowUs, newId: uuidv7 })
 */
export async function planBatchAsync(
  state: PlanState,
  commands: readonly PlannedCommand[],
  options: PlanOptions,
): Promise<BatchPlan> {
  const planner = new Planner(state, options);
  for (let i = 0; i < commands.length; i++) {
    if (i > 0 && i % commandsPerSlice === 0)
      await new Promise<void>((resolve) => setImmediate(resolve));
    planner.step(commands[i]!);
  }
  return planner.finish();
}

type Sum = 'debitsPending' | 'debitsPosted' | 'creditsPending' | 'creditsPosted';

class Planner {
  /** Touched accounts (working copies), their values before the batch, and where each is. */
  private readonly accounts: Account[] = [];
  private readonly before: Array<Account | undefined> = [];
  private readonly accountIndex = new Map<Uuid, number>();
  private readonly createdCodes = new Map<string, Uuid>();
  private readonly pendings = new Map<Uuid, Pending>();
  /**
   * Where each id was first decided in this batch (a repeated id returns the first outcome).
   * Made only once ids stop arriving in increasing order: until then (UUIDv7 ids from one
   * client usually increase) every id is greater than all before it, so none repeats.
   */
  private decided: Map<Uuid, number> | undefined;
  /** The greatest id so far, while ids arrive in increasing order. */
  private lastId = '';
  /** The commands planned so far, by outcome index. */
  private readonly seen: PlannedCommand[] = [];
  /** The command being applied, and its hash once computed (most commands never need it). */
  private current: PlannedCommand | undefined;
  private currentHash: Uint8Array | undefined;
  /** Undo log of the current command: account, then its four sums and flags, flat. */
  private readonly undo: Array<Account | bigint | number> = [];
  private readonly plan: BatchPlan;
  /** The head so far, as three fields (a record is appended per command: no object each time). */
  private headSeq: bigint;
  private headHash: Uint8Array;
  private headTimestampUs: bigint;

  constructor(
    private readonly state: PlanState,
    private readonly options: PlanOptions,
  ) {
    this.headSeq = state.head.seq;
    this.headHash = state.head.hash;
    this.headTimestampUs = state.head.timestampUs;
    this.plan = {
      outcomes: [],
      records: [],
      accounts: this.accounts,
      before: this.before,
      accountIndex: this.accountIndex,
      pendingsCreated: [],
      pendingsResolved: [],
      failures: [],
      head: state.head,
    };
  }

  step(command: PlannedCommand): void {
    const outcome = this.one(command);
    this.seen.push(command);
    this.plan.outcomes.push(outcome);
  }

  finish(): BatchPlan {
    return {
      ...this.plan,
      head: { seq: this.headSeq, hash: this.headHash, timestampUs: this.headTimestampUs },
    };
  }

  private hashOf(): Uint8Array {
    this.currentHash ??= hashOfCommand(this.current!);
    return this.currentHash;
  }

  private one(command: PlannedCommand): Outcome {
    this.current = command;
    this.currentHash = undefined;
    const earlier = this.earlier(command.id);
    const prior =
      earlier === undefined
        ? this.state.prior(command.id)
        : { inputHash: hashOfCommand(this.seen[earlier]!), outcome: this.plan.outcomes[earlier]! };
    if (prior !== undefined) {
      if (Buffer.from(prior.inputHash).equals(Buffer.from(this.hashOf()))) return prior.outcome;
      const error = refusal(
        ledgerCode.idConflict,
        'id',
        'an id names one command: this id was used for a different command',
        command.id,
      );
      return { id: command.id, status: 'failed', error: error.toRefusal() };
    }
    const recordsFrom = this.plan.records.length;
    let outcome: Outcome;
    try {
      const record = this.apply(command);
      outcome = {
        id: command.id,
        status: 'committed',
        seq: record.seq,
        timestampUs: record.timestampUs,
      };
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      this.rollback();
      assert(
        this.plan.records.length <= recordsFrom + 1,
        'a refused command appends at most an expiry',
      );
      outcome = { id: command.id, status: 'failed', error: error.toRefusal() };
      this.plan.failures.push({ id: command.id, inputHash: this.hashOf(), error: outcome.error });
    }
    this.undo.length = 0;
    this.decided?.set(command.id, this.seen.length);
    return outcome;
  }

  /** The index of the command that first used `id` in this batch, if one did. */
  private earlier(id: Uuid): number | undefined {
    if (this.decided === undefined) {
      if (id > this.lastId) {
        this.lastId = id;
        return undefined;
      }
      this.decided = new Map();
      for (let i = 0; i < this.seen.length; i++)
        if (!this.decided.has(this.seen[i]!.id)) this.decided.set(this.seen[i]!.id, i);
    }
    return this.decided.get(id);
  }

  private apply(command: PlannedCommand): JournalRecord {
    switch (command.type) {
      case 'createAccount':
        return this.createAccount(command);
      case 'setAccountFlags':
        return this.setAccountFlags(command);
      case 'transfer':
        return this.transfer(command);
      case 'postPending':
      case 'voidPending':
      case 'expirePending':
        return this.resolve(command);
    }
  }

  private createAccount(command: Extract<Command, { type: 'createAccount' }>): JournalRecord {
    if (
      this.createdCodes.has(command.code) ||
      this.state.accountIdByCode(command.code) !== undefined
    ) {
      throw refusal(
        ledgerCode.accountCodeExists,
        'code',
        'must not be the code of an existing account',
        command.code,
      );
    }
    const account: Account = {
      id: command.id,
      code: command.code,
      asset: command.asset,
      flags: command.flags,
      debitsPending: 0n,
      debitsPosted: 0n,
      creditsPending: 0n,
      creditsPosted: 0n,
    };
    this.accountIndex.set(account.id, this.accounts.length);
    this.accounts.push(account);
    this.before.push(undefined);
    this.createdCodes.set(account.code, account.id);
    return this.append({
      kind: recordKind.accountCreated,
      id: command.id,
      asset: command.asset,
      code: command.code,
      flags: command.flags,
    });
  }

  private setAccountFlags(command: Extract<Command, { type: 'setAccountFlags' }>): JournalRecord {
    const account = this.touch(command.accountId, 'accountId');
    if ((account.flags & ~accountFlag.closed) !== (command.flags & ~accountFlag.closed)) {
      throw refusal(
        ledgerCode.flagsImmutable,
        'flags',
        'only the closed flag of an account may change',
        `account ${account.code}`,
      );
    }
    account.flags = command.flags;
    return this.append({
      kind: recordKind.accountFlagsSet,
      id: command.id,
      asset: account.asset,
      accountId: account.id,
      flags: command.flags,
    });
  }

  private transfer(command: Extract<Command, { type: 'transfer' }>): JournalRecord {
    const pending = command.pendingTimeoutSeconds !== undefined;
    if (command.postings.length === 1) this.single(command.postings[0]!, command.asset, pending);
    else this.several(command.postings, command.asset, pending);
    return this.transferRecord(command, pending);
  }

  /**
   * One posting (most transfers): every check first, then both sums change; nothing to undo.
   * Adding debits can only break the debit account's debit limit, adding credits the credit
   * account's credit limit.
   */
  private single(posting: Posting, asset: string, pending: boolean): void {
    const debit = this.posting(posting.debit, fieldName.debit[0]!, asset, false);
    const credit = this.posting(posting.credit, fieldName.credit[0]!, asset, false);
    const amount = posting.amount;
    const debitValue = (pending ? debit.debitsPending : debit.debitsPosted) + amount;
    const creditValue = (pending ? credit.creditsPending : credit.creditsPosted) + amount;
    const field = fieldName.amount[0]!;
    checkOverflow(debit, debitValue, field);
    checkOverflow(credit, creditValue, field);
    // Adding debits can only break the debit account's debit limit, credits the credit account's.
    if ((debit.flags & accountFlag.debitsMustNotExceedCredits) !== 0) {
      checkLimits(
        debit,
        pending ? debitValue + debit.debitsPosted : debit.debitsPending + debitValue,
        0n,
        field,
      );
    }
    if ((credit.flags & accountFlag.creditsMustNotExceedDebits) !== 0) {
      checkLimits(
        credit,
        0n,
        pending ? creditValue + credit.creditsPosted : credit.creditsPending + creditValue,
        field,
      );
    }
    if (pending) {
      debit.debitsPending = debitValue;
      credit.creditsPending = creditValue;
    } else {
      debit.debitsPosted = debitValue;
      credit.creditsPosted = creditValue;
    }
  }

  /** Several postings: each applied in turn, the undo log restoring all if one is refused. */
  private several(postings: readonly Posting[], asset: string, pending: boolean): void {
    for (let index = 0; index < postings.length; index++) {
      const posting = postings[index]!;
      const debit = this.posting(posting.debit, fieldName.debit[index]!, asset);
      const credit = this.posting(posting.credit, fieldName.credit[index]!, asset);
      this.add(
        debit,
        pending ? 'debitsPending' : 'debitsPosted',
        posting.amount,
        fieldName.amount[index]!,
      );
      this.add(
        credit,
        pending ? 'creditsPending' : 'creditsPosted',
        posting.amount,
        fieldName.amount[index]!,
      );
    }
  }

  private transferRecord(
    command: Extract<Command, { type: 'transfer' }>,
    pending: boolean,
  ): JournalRecord {
    const kind = pending ? recordKind.transferPending : recordKind.transferPosted;
    const record = this.push(
      kind,
      command.id,
      command.asset,
      '',
      0,
      nilUuid,
      nilUuid,
      command.pendingTimeoutSeconds ?? 0,
      command.postings,
      command.metadata ?? unusedFields.metadata,
      true,
    );
    if (pending) {
      const created: PendingCreated = {
        id: command.id,
        asset: command.asset,
        postings: command.postings,
        expiresAtUs: record.timestampUs + BigInt(command.pendingTimeoutSeconds!) * 1_000_000n,
        status: 'pending',
        seq: record.seq,
      };
      this.pendings.set(created.id, { ...created });
      this.plan.pendingsCreated.push(created);
    }
    return record;
  }

  private resolve(
    command: Extract<PlannedCommand, { type: 'postPending' | 'voidPending' | 'expirePending' }>,
  ): JournalRecord {
    const pending = this.pendings.get(command.pendingId) ?? this.state.pending(command.pendingId);
    if (pending === undefined)
      throw refusal(
        ledgerCode.pendingNotFound,
        'pendingId',
        'must be a pending transfer',
        command.pendingId,
      );
    if (pending.status === 'posted')
      throw refusal(
        ledgerCode.pendingAlreadyPosted,
        'pendingId',
        'the pending transfer was already posted',
        command.pendingId,
      );
    if (pending.status === 'voided')
      throw refusal(
        ledgerCode.pendingAlreadyVoided,
        'pendingId',
        'the pending transfer was already voided',
        command.pendingId,
      );
    const due = pending.expiresAtUs !== null && pending.expiresAtUs <= this.options.nowUs;
    if (pending.status === 'expired' || (due && command.type !== 'expirePending')) {
      // Expire it now (a committed record even though this command fails), then refuse.
      if (pending.status === 'pending')
        this.settle(pending, {
          type: 'expirePending',
          id: this.options.newId(),
          pendingId: pending.id,
        });
      this.undo.length = 0;
      throw refusal(
        ledgerCode.pendingExpired,
        'pendingId',
        'the pending transfer timed out',
        command.pendingId,
      );
    }
    return this.settle(pending, command);
  }

  private settle(
    pending: Pending,
    command: Extract<PlannedCommand, { type: 'postPending' | 'voidPending' | 'expirePending' }>,
  ): JournalRecord {
    const posting = command.type === 'postPending';
    if (
      posting &&
      command.amounts !== undefined &&
      command.amounts.length !== pending.postings.length
    ) {
      throw refusal(
        ledgerCode.amountsLengthMismatch,
        'amounts',
        `must have one amount per posting of the pending transfer (${pending.postings.length})`,
      );
    }
    const applied: Posting[] = pending.postings.map((p, index) => {
      const amount = posting ? (command.amounts?.[index] ?? p.amount) : p.amount;
      if (amount > p.amount)
        throw refusal(
          ledgerCode.postExceedsPending,
          fieldName.amounts[index]!,
          'must not exceed the amount reserved by the pending transfer',
          `${amount} > ${p.amount}`,
        );
      const debit =
        posting && amount > 0n
          ? this.posting(p.debit, fieldName.pendingDebit[index]!, pending.asset)
          : this.touch(p.debit, fieldName.pendingDebit[index]!);
      const credit =
        posting && amount > 0n
          ? this.posting(p.credit, fieldName.pendingCredit[index]!, pending.asset)
          : this.touch(p.credit, fieldName.pendingCredit[index]!);
      this.add(debit, 'debitsPending', -p.amount, fieldName.amounts[index]!);
      this.add(credit, 'creditsPending', -p.amount, fieldName.amounts[index]!);
      if (posting) {
        this.add(debit, 'debitsPosted', amount, fieldName.amounts[index]!);
        this.add(credit, 'creditsPosted', amount, fieldName.amounts[index]!);
      }
      return { debit: p.debit, credit: p.credit, amount: amount as Micro };
    });
    const kind: RecordKind = posting
      ? recordKind.pendingPosted
      : command.type === 'voidPending'
        ? recordKind.pendingVoided
        : recordKind.pendingExpired;
    const metadata =
      command.type === 'expirePending'
        ? unusedFields.metadata
        : (command.metadata ?? unusedFields.metadata);
    const record = this.append(
      {
        kind,
        id: command.id,
        asset: pending.asset,
        pendingId: pending.id,
        postings: applied,
        metadata,
      },
      command.type !== 'expirePending',
    );
    const status = posting ? 'posted' : command.type === 'voidPending' ? 'voided' : 'expired';
    this.pendings.set(pending.id, { ...pending, status });
    this.plan.pendingsResolved.push({ id: pending.id, status, seq: record.seq });
    return record;
  }

  /** The working copy of an account a posting moves money on: it must exist, hold the asset, be open. */
  private posting(id: Uuid, field: string, asset: string, logUndo = true): Account {
    const account = this.touch(id, field, logUndo);
    if (account.asset !== asset)
      throw refusal(
        ledgerCode.assetMismatch,
        field,
        `must be an account of the transaction's asset ${asset}`,
        `${account.code} holds ${account.asset}`,
      );
    if ((account.flags & accountFlag.closed) !== 0)
      throw refusal(ledgerCode.accountClosed, field, 'must not be a closed account', account.code);
    return account;
  }

  /** The working copy of an account, copied from the state on first touch, logged for undo. */
  private touch(id: Uuid, field: string, logUndo = true): Account {
    const index = this.accountIndex.get(id);
    let account: Account;
    if (index !== undefined) {
      account = this.accounts[index]!;
    } else {
      const stored = this.state.account(id);
      if (stored === undefined)
        throw refusal(ledgerCode.accountNotFound, field, 'must be an existing account', id);
      account = {
        id: stored.id,
        code: stored.code,
        asset: stored.asset,
        flags: stored.flags,
        debitsPending: stored.debitsPending,
        debitsPosted: stored.debitsPosted,
        creditsPending: stored.creditsPending,
        creditsPosted: stored.creditsPosted,
      };
      this.accountIndex.set(id, this.accounts.length);
      this.accounts.push(account);
      this.before.push(stored);
    }
    if (logUndo)
      this.undo.push(
        account,
        account.debitsPending,
        account.debitsPosted,
        account.creditsPending,
        account.creditsPosted,
        account.flags,
      );
    return account;
  }

  /** Restores every account the current command touched (the log holds only its entries). */
  private rollback(): void {
    const log = this.undo;
    for (let i = log.length - 6; i >= 0; i -= 6) {
      const account = log[i] as Account;
      account.debitsPending = log[i + 1] as bigint;
      account.debitsPosted = log[i + 2] as bigint;
      account.creditsPending = log[i + 3] as bigint;
      account.creditsPosted = log[i + 4] as bigint;
      account.flags = log[i + 5] as number;
    }
    log.length = 0;
  }

  /** Adds to one running sum and checks the account's limits. */
  private add(account: Account, sum: Sum, amount: bigint, field: string): void {
    const value = account[sum] + amount;
    if (amount < 0n) assert(value >= 0n, 'a running sum never goes negative');
    checkOverflow(account, value, field);
    account[sum] = value;
    if (amount > 0n)
      checkLimits(
        account,
        account.debitsPending + account.debitsPosted,
        account.creditsPending + account.creditsPosted,
        field,
      );
  }

  private append(fields: RecordFields, ownCommand = true): JournalRecord {
    const f = { ...unusedFields, ...fields };
    return this.push(
      f.kind,
      f.id,
      f.asset,
      f.code,
      f.flags,
      f.accountId,
      f.pendingId,
      f.timeoutSeconds,
      f.postings,
      f.metadata,
      ownCommand,
    );
  }

  /** Appends a record: the next seq and timestamp, its hash, and its command hash if stored. */
  private push(
    kind: RecordKind,
    id: Uuid,
    asset: string,
    code: string,
    flags: number,
    accountId: Uuid,
    pendingId: Uuid,
    timeoutSeconds: number,
    postings: readonly Posting[],
    metadata: Metadata,
    ownCommand: boolean,
  ): JournalRecord {
    const nowUs = this.options.nowUs;
    const timestampUs = nowUs > this.headTimestampUs ? nowUs : this.headTimestampUs + 1n;
    const record: { -readonly [K in keyof JournalRecord]: JournalRecord[K] } = {
      seq: this.headSeq + 1n,
      kind,
      id,
      timestampUs,
      asset,
      code,
      flags,
      accountId,
      pendingId,
      timeoutSeconds,
      postings,
      metadata,
      inputHash: null,
      hash: zeroHash,
    };
    record.hash = recordHash(this.headHash, record);
    if (storesCommandHash(kind)) record.inputHash = ownCommand ? this.hashOf() : zeroHash;
    this.plan.records.push(record);
    this.headSeq = record.seq;
    this.headHash = record.hash;
    this.headTimestampUs = timestampUs;
    return record;
  }
}
