/**
 * The ledger service: one writer per process that owns the order of commands and the hash
 * chain, with group commit. Concurrent `submit` calls queue; the writer takes up to
 * `limits.ledgerBatchMax` queued commands at a time and commits them in one database
 * transaction, so a hot account is read once and written once per batch however many
 * transfers touch it. Writers in other processes are ordered by the journal-head row lock.
 */
import { assert, ClearpegError } from '../errors.ts';
import { limits } from '../limits.ts';
import type { Balance, Selection } from './balances.ts';
import { validateCommand } from './command.ts';
import { type PlannedCommand, planBatchAsync } from './plan.ts';
import type { LedgerStore } from './ports.ts';
import type { Account, Command, Outcome, Uuid } from './types.ts';
import { uuidv7 } from './uuid.ts';

/** Options of a ledger; the defaults are production's. */
export interface LedgerOptions {
  /** Commands per database transaction. */
  readonly batchMax?: number;
  /** The clock, in microseconds since the Unix epoch. */
  readonly clockUs?: () => bigint;
  /** Ids for the records the writer makes itself. */
  readonly newId?: () => Uuid;
}

interface Waiting {
  readonly commands: readonly PlannedCommand[];
  readonly resolve: (outcomes: Outcome[]) => void;
  readonly reject: (error: unknown) => void;
}

/** The wall clock at start-up, in microseconds, minus the monotonic clock then. */
const clockOffsetUs = BigInt(Date.now()) * 1000n - process.hrtime.bigint() / 1000n;

/**
 * Microseconds since the Unix epoch: the wall clock read once at start-up, advanced by the
 * monotonic clock (so ledger time never runs backwards when the wall clock is adjusted).
 * @example systemClockUs() > 1_700_000_000_000_000n
 */
export function systemClockUs(): bigint {
  return clockOffsetUs + process.hrtime.bigint() / 1000n;
}

/** The ledger: submit commands, get one outcome per command, in order. */
export class Ledger<Tx = unknown> {
  private readonly queue: Waiting[] = [];
  private queued = 0;
  /** Batches handed to the store and not finished. */
  private writing = 0;
  private readonly batchMax: number;
  private readonly clockUs: () => bigint;
  private readonly newId: () => Uuid;
  /** Accounts' ids by code, as `accountIdOf` found them (an account's code, asset and flags never change). */
  private readonly idsByCode = new Map<string, { id: Uuid; asset: string; flags: number }>();

  constructor(
    readonly store: LedgerStore<Tx>,
    options: LedgerOptions = {},
  ) {
    this.batchMax = options.batchMax ?? limits.ledgerBatchMax;
    if (!(this.batchMax >= 1 && this.batchMax <= limits.ledgerBatchMax))
      throw new RangeError(`batchMax must be 1..${limits.ledgerBatchMax}`);
    this.clockUs = options.clockUs ?? systemClockUs;
    this.newId = options.newId ?? (() => uuidv7());
  }

  /**
   * Applies commands; each is atomic on its own, and the outcomes come back in order.
   * A malformed command refuses the whole call (a `LedgerError` naming the field) before
   * anything is queued; a refusal by the ledger's state is a `failed` outcome.
   * @example const [outcome] = await ledger.submit([{ type: 'transfer', id, asset: 'USD', postings }])
   */
  async submit(commands: readonly Command[]): Promise<Outcome[]> {
    validateAll(commands);
    return this.enqueue(commands);
  }

  /**
   * Runs a check and the act it guards as one step: `body` runs in one database transaction
   * holding the journal-head lock (every ledger writer, in every process, waits), reads what
   * it checks through `tx`, and may `apply` ledger commands once (their outcomes, in order)
   * and write rows of its own; all of it commits together, or nothing does when it throws.
   * @example await ledger.atomically(async (tx, apply) => { const [owed] = await ledger.balances([sel], tx); if (owed.atMost > cap) throw refusal; return apply([transfer]) })
   */
  atomically<T>(
    body: (tx: Tx, apply: (commands: readonly Command[]) => Promise<Outcome[]>) => Promise<T>,
  ): Promise<T> {
    return this.store.atomically(
      (tx, applyPlanned) => {
        let applied = false;
        return body(tx, async (commands) => {
          assert(!applied, 'an atomic step applies its ledger commands once');
          applied = true;
          validateAll(commands);
          return (await applyPlanned(commands)).outcomes;
        });
      },
      (commands) => (state) =>
        planBatchAsync(state, commands, { nowUs: this.clockUs(), newId: this.newId }),
    );
  }

  /**
   * The balances of the accounts each selection covers (../ledger/balances.ts), added up:
   * the one way any module reads a balance. Inside an atomic step, pass its `tx`.
   * @example const [supply] = await ledger.balances([{ prefix: 'supply:', side: 'credit' }])
   */
  balances(selections: readonly Selection[], tx?: Tx): Promise<Balance[]> {
    return this.store.balances(selections, tx);
  }

  /**
   * The balance of each account `selection` covers, by code.
   * @example (await ledger.balancesByCode({ prefix: 'reserves:', side: 'debit' })).get('reserves:cash:bank-a')
   */
  balancesByCode(selection: Selection, tx?: Tx): Promise<Map<string, Balance>> {
    return this.store.balancesByCode(selection, tx);
  }

  /**
   * The balance of the account `code`, on `side` (zero when there is no such account).
   * @example (await ledger.balance('customers:CUST-0001:fiat', 'credit')).available
   */
  async balance(code: string, side: Selection['side'], tx?: Tx): Promise<Balance> {
    const [balance] = await this.store.balances([{ codes: [code], side }], tx);
    return balance!;
  }

  /**
   * The account with `code`, created with `asset` and `flags` when there is none (by whichever
   * writer gets there first); an existing account with another asset or flags is refused.
   * @example const supply = await ledger.ensureAccount({ code: 'supply:31337', asset: 'USD', flags })
   */
  async ensureAccount(wanted: {
    readonly code: string;
    readonly asset: string;
    readonly flags: number;
  }): Promise<Account> {
    let account = await this.store.accountByCode(wanted.code);
    if (account === undefined) {
      const [outcome] = await this.submit([{ type: 'createAccount', id: this.newId(), ...wanted }]);
      account = await this.store.accountByCode(wanted.code);
      if (account === undefined)
        throw new ClearpegError(
          'account-not-created',
          `account ${wanted.code} could not be created: ${outcome?.status === 'failed' ? outcome.error.message : 'unknown'}`,
          { field: 'code' },
        );
    }
    if (account.asset !== wanted.asset || account.flags !== wanted.flags)
      throw new ClearpegError(
        'account-mismatch',
        `account ${wanted.code} exists with asset ${account.asset} and flags ${account.flags}, not ${wanted.asset} and ${wanted.flags}`,
        { field: 'code', rule: 'an existing account has the asset and flags asked for' },
      );
    return account;
  }

  /**
   * The id of the account with `code`, as `ensureAccount` makes it; remembered, so that a hot
   * path reads the store once per account and process.
   * @example const supply = await ledger.accountIdOf({ code: 'supply:31337', asset: 'USD', flags })
   */
  async accountIdOf(wanted: {
    readonly code: string;
    readonly asset: string;
    readonly flags: number;
  }): Promise<Uuid> {
    const known = this.idsByCode.get(wanted.code);
    if (known !== undefined && known.asset === wanted.asset && known.flags === wanted.flags)
      return known.id;
    const { id, asset, flags } = await this.ensureAccount(wanted);
    this.idsByCode.set(wanted.code, { id, asset, flags });
    return id;
  }

  /**
   * Voids every pending transfer whose timeout has passed; returns how many it expired.
   * @example await ledger.expireDue()
   */
  async expireDue(): Promise<number> {
    const due = await this.store.duePendingIds(this.clockUs(), limits.expirySweepMax);
    if (due.length === 0) return 0;
    const outcomes = await this.enqueue(
      due.map((pendingId) => ({ type: 'expirePending', id: this.newId(), pendingId })),
    );
    return outcomes.filter((outcome) => outcome.status === 'committed').length;
  }

  private enqueue(commands: readonly PlannedCommand[]): Promise<Outcome[]> {
    if (commands.length === 0) return Promise.resolve([]);
    if (this.queued + commands.length > limits.ledgerQueueMax) {
      return Promise.reject(
        new ClearpegError(
          'ledger-busy',
          `the ledger's queue is full (${limits.ledgerQueueMax} commands): retry with the same ids`,
        ),
      );
    }
    const chunks: Array<Promise<Outcome[]>> = [];
    for (let from = 0; from < commands.length; from += this.batchMax) {
      const slice = commands.slice(from, from + this.batchMax);
      chunks.push(
        new Promise<Outcome[]>((resolve, reject) =>
          this.queue.push({ commands: slice, resolve, reject }),
        ),
      );
      this.queued += slice.length;
    }
    this.drain();
    return Promise.all(chunks).then((parts) => parts.flat());
  }

  /** Starts batches while fewer than `limits.ledgerPipelineDepth` are being written. */
  private drain(): void {
    while (this.queue.length > 0 && this.writing < limits.ledgerPipelineDepth) {
      const batch: Waiting[] = [];
      let size = 0;
      while (this.queue.length > 0 && size + this.queue[0]!.commands.length <= this.batchMax) {
        const next = this.queue.shift()!;
        batch.push(next);
        size += next.commands.length;
      }
      this.queued -= size;
      this.writing++;
      void this.commit(batch).finally(() => {
        this.writing--;
        this.drain();
      });
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    const commands =
      batch.length === 1 ? batch[0]!.commands : batch.flatMap((waiting) => waiting.commands);
    try {
      const plan = await this.store.writeBatch(commands, (state) =>
        planBatchAsync(state, commands, { nowUs: this.clockUs(), newId: this.newId }),
      );
      let at = 0;
      for (const waiting of batch) {
        waiting.resolve(plan.outcomes.slice(at, at + waiting.commands.length));
        at += waiting.commands.length;
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}

/** Refuses the whole call, naming the command and field, when any command is malformed. */
function validateAll(commands: readonly Command[]): void {
  commands.forEach((command, index) => {
    try {
      validateCommand(command);
    } catch (error) {
      if (error instanceof ClearpegError && commands.length > 1) {
        throw Object.assign(error, {
          message: `commands.${index}.${error.message}`,
          field: `commands.${index}.${error.field}`,
        });
      }
      throw error;
    }
  });
}
