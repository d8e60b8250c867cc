/**
 * The ledger's values. Plain data, no behaviour: the planner computes, the store persists.
 *
 * Model (TigerBeetle's, written for PostgreSQL): accounts carry four running sums, and a
 * transaction moves amounts between pairs of accounts of one asset. Every change of state is
 * a journal record with a sequence number and a hash chained to the record before it.
 */
import type { Micro } from '../money/money.ts';

/** A UUID in canonical lowercase text form; ledger ids are UUIDv7 (time-ordered). */
export type Uuid = string;

/** Account flag bits, as stored (`flags` column, journal `u32`). */
export const accountFlag = {
  /** Σ debits (posted + pending) ≤ Σ posted credits: customer balances, token supply. */
  debitsMustNotExceedCredits: 1,
  /** Σ credits (posted + pending) ≤ Σ posted debits: cash and other assets. */
  creditsMustNotExceedDebits: 2,
  /** No new postings; voids and expiries of earlier pending transactions still apply. */
  closed: 4,
} as const;

/** The bits a flags value may contain. */
export const accountFlagsAll = 1 | 2 | 4;

/** An account and its running sums (micro-units). */
export interface Account {
  readonly id: Uuid;
  /** A unique, human-readable code from the chart of accounts, e.g. `supply:ethereum`. */
  readonly code: string;
  /** The asset (ledger) code, e.g. `USD`; postings never cross assets. */
  readonly asset: string;
  flags: number;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

/** One movement: `amount` from `debit` to `credit`. */
export interface Posting {
  readonly debit: Uuid;
  readonly credit: Uuid;
  readonly amount: Micro;
}

/** Short string references (request ids, transaction hashes); never balances. */
export type Metadata = Readonly<Record<string, string>>;

/** What a client asks the ledger to do. `id` is the idempotency key. */
export type Command =
  | {
      readonly type: 'createAccount';
      readonly id: Uuid;
      readonly code: string;
      readonly asset: string;
      readonly flags: number;
    }
  | {
      readonly type: 'setAccountFlags';
      readonly id: Uuid;
      readonly accountId: Uuid;
      readonly flags: number;
    }
  | {
      readonly type: 'transfer';
      readonly id: Uuid;
      readonly asset: string;
      readonly postings: readonly Posting[];
      /** When set, the transfer only reserves the amounts until posted, voided or timed out. */
      readonly pendingTimeoutSeconds?: number;
      readonly metadata?: Metadata;
    }
  | {
      readonly type: 'postPending';
      readonly id: Uuid;
      readonly pendingId: Uuid;
      /** Per posting of the pending transfer, the amount to post (≤ reserved); absent: all. */
      readonly amounts?: readonly Micro[];
      readonly metadata?: Metadata;
    }
  | {
      readonly type: 'voidPending';
      readonly id: Uuid;
      readonly pendingId: Uuid;
      readonly metadata?: Metadata;
    };

/** Journal record kinds, as encoded (u8). */
export const recordKind = {
  accountCreated: 1,
  accountFlagsSet: 2,
  transferPosted: 3,
  transferPending: 4,
  pendingPosted: 5,
  pendingVoided: 6,
  pendingExpired: 7,
} as const;
export type RecordKind = (typeof recordKind)[keyof typeof recordKind];

/**
 * One committed change of state, as chained in the journal. Fields not used by a kind are
 * empty (`''`, zero, `[]`): see docs/formats.md for which kind uses which.
 */
export interface JournalRecord {
  readonly seq: bigint;
  readonly kind: RecordKind;
  /** The command id (for `accountCreated`, the account id; for `pendingExpired`, a fresh id). */
  readonly id: Uuid;
  /** Microseconds since the Unix epoch, strictly increasing along the journal. */
  readonly timestampUs: bigint;
  readonly asset: string;
  /** `accountCreated`: the new account's code; otherwise `''`. */
  readonly code: string;
  /** `accountCreated`, `accountFlagsSet`: the flags; otherwise 0. */
  readonly flags: number;
  /** `accountFlagsSet`: the account; otherwise the nil UUID. */
  readonly accountId: Uuid;
  /** `pendingPosted`/`pendingVoided`/`pendingExpired`: the pending transfer; else nil UUID. */
  readonly pendingId: Uuid;
  /** `transferPending`: its timeout; otherwise 0. */
  readonly timeoutSeconds: number;
  /** Transfers: the postings; post: the amounts posted; void/expire: the amounts released. */
  readonly postings: readonly Posting[];
  readonly metadata: Metadata;
  /**
   * SHA-256 of the command as submitted, which tells a retry from a conflicting reuse of an
   * id; null where the record is its own command and the hash is derived from it
   * (`storesCommandHash` in journal.ts).
   */
  readonly inputHash: Uint8Array | null;
  /** SHA-256(previous hash ‖ canonical bytes of this record). */
  readonly hash: Uint8Array;
}

/** The end of the journal. The genesis head is seq 0 with 32 zero bytes. */
export interface JournalHead {
  readonly seq: bigint;
  readonly hash: Uint8Array;
  readonly timestampUs: bigint;
}

/** The state of a pending transfer. */
export type PendingStatus = 'pending' | 'posted' | 'voided' | 'expired';

/** A pending transfer, as the planner needs it. */
export interface Pending {
  readonly id: Uuid;
  readonly asset: string;
  readonly postings: readonly Posting[];
  /** When it expires (µs since the epoch), or null for never. */
  readonly expiresAtUs: bigint | null;
  status: PendingStatus;
}

/** A refusal, as recorded and returned. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly rule?: string;
}

/** The result of one command. */
export type Outcome =
  | {
      readonly id: Uuid;
      readonly status: 'committed';
      readonly seq: bigint;
      readonly timestampUs: bigint;
    }
  | { readonly id: Uuid; readonly status: 'failed'; readonly error: Refusal };

/** A command id already decided, as the idempotency check finds it. */
export interface PriorOutcome {
  readonly inputHash: Uint8Array;
  readonly outcome: Outcome;
}

/** The nil UUID, for record fields a kind does not use. */
export const nilUuid: Uuid = '00000000-0000-0000-0000-000000000000';
