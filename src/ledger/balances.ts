/**
 * The balance of an account, computed in one place (docs/architecture.md, "Balances").
 *
 * An account's flag gives its side: `debitsMustNotExceedCredits` accounts (customers, supply,
 * suspense, income) and accounts with neither flag carry credit balances; accounts with
 * `creditsMustNotExceedDebits` (cash, bills, repo, funds, investments) carry debit balances.
 * In that direction:
 *
 * | figure      | what                                                  | who uses it                         |
 * |-------------|-------------------------------------------------------|-------------------------------------|
 * | `posted`    | what has happened                                     | reports, valuation, parity          |
 * | `pendingIn` | reservations that would add to it when posted         |                                     |
 * | `pendingOut`| reservations that would take from it when posted      |                                     |
 * | `available` | posted − pendingOut: what may still be spent          | spending gates (a mint's fiat, cash) |
 * | `atMost`    | posted + pendingIn: the largest it can become         | liabilities a gate must cover       |
 *
 * A gate counts what it spends at `available` and what it owes at `atMost`, so that every
 * reservation in flight weighs against it: assets at their least, liabilities at their most.
 */
import { type Account, accountFlag } from './types.ts';

/** The four running sums of an account (or of several accounts of one side, added up). */
export interface Sums {
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
}

/** Which side an account's balance is on. */
export type Side = 'debit' | 'credit';

/** A balance in the account's own direction (see the module's table). */
export interface Balance {
  readonly posted: bigint;
  readonly pendingIn: bigint;
  readonly pendingOut: bigint;
  readonly available: bigint;
  readonly atMost: bigint;
}

/** No money: the balance of no account. */
export const zeroBalance: Balance = {
  posted: 0n,
  pendingIn: 0n,
  pendingOut: 0n,
  available: 0n,
  atMost: 0n,
};

/**
 * The side of an account with `flags`: assets (credits must not exceed debits) are on the
 * debit side, everything else on the credit side.
 * @example sideOf(accountFlag.creditsMustNotExceedDebits) === 'debit'
 */
export function sideOf(flags: number): Side {
  return (flags & accountFlag.creditsMustNotExceedDebits) !== 0 ? 'debit' : 'credit';
}

/**
 * The balance of sums on `side`.
 * @example balanceOf({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 5n, creditsPosted: 10n }, 'credit').atMost === 15n
 */
export function balanceOf(sums: Sums, side: Side): Balance {
  const [posted, pendingIn, pendingOut] =
    side === 'credit'
      ? [sums.creditsPosted - sums.debitsPosted, sums.creditsPending, sums.debitsPending]
      : [sums.debitsPosted - sums.creditsPosted, sums.debitsPending, sums.creditsPending];
  return {
    posted,
    pendingIn,
    pendingOut,
    available: posted - pendingOut,
    atMost: posted + pendingIn,
  };
}

/**
 * The balance of an account, in its flag's direction.
 * @example accountBalance(supplyAccount).posted // tokens out on the chain
 */
export function accountBalance(account: Account): Balance {
  return balanceOf(account, sideOf(account.flags));
}

/**
 * Two balances added up (of accounts on one side).
 * @example addBalances(a, zeroBalance) // a
 */
export function addBalances(a: Balance, b: Balance): Balance {
  return {
    posted: a.posted + b.posted,
    pendingIn: a.pendingIn + b.pendingIn,
    pendingOut: a.pendingOut + b.pendingOut,
    available: a.available + b.available,
    atMost: a.atMost + b.atMost,
  };
}

/**
 * Which accounts a sum covers: codes named one by one and codes that start with a prefix
 * (`supply:` for every chain), optionally ending with a suffix (`customers:` … `:fiat`).
 * Every account a selection covers must be on `side`: the store refuses a mix.
 */
export interface Selection {
  readonly codes?: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
  readonly side: Side;
}
