/**
 * The issuer's chart of accounts (docs/architecture.md, "Issuance"): the ledger codes each
 * flow posts to, and the flag that keeps each account on its side of zero.
 *
 * | code                    | what                                   | flag                          |
 * |-------------------------|----------------------------------------|-------------------------------|
 * | `customers:<id>:fiat`   | a customer's dollars (a liability)     | debits must not exceed credits |
 * | `supply:<chainId>`      | tokens out on a chain (a liability)    | debits must not exceed credits |
 * | `reserves:cash:<bank>`  | cash at a bank (an asset)              | credits must not exceed debits |
 * | `income:fees`           | redemption fees earned                 | debits must not exceed credits |
 * | `suspense:deposits`     | money received for nobody known yet    | debits must not exceed credits |
 * | `suspense:redemptions`  | redeemed tokens held for compliance    | debits must not exceed credits |
 */
import type { Ledger } from '../ledger/ledger.ts';
import { accountFlag, type Uuid } from '../ledger/types.ts';

/** The one asset of the issuer's books. */
export const usd = 'USD';

export type AccountSpec = { code: string; asset: string; flags: number };

const liability = (code: string): AccountSpec => ({
  code,
  asset: usd,
  flags: accountFlag.debitsMustNotExceedCredits,
});

/** A customer's fiat. */
export const customerFiat = (customerId: string): AccountSpec =>
  liability(`customers:${customerId}:fiat`);
/** A bank's name in account codes (`reserves:cash:<bank>`), as the deposits table checks it. */
export const bankPattern = /^[a-z][a-z0-9-]{0,31}$/;

/** Cash held at `bank`. */
export const reservesCash = (bank: string): AccountSpec => ({
  code: `reserves:cash:${bank}`,
  asset: usd,
  flags: accountFlag.creditsMustNotExceedDebits,
});
/** Fees earned. */
export const incomeFees: AccountSpec = liability('income:fees');
/** Deposits that match no customer, until an operator assigns them. */
export const depositSuspense: AccountSpec = liability('suspense:deposits');

/** Tokens redeemed by a sanctioned sender or a suspended customer, held until compliance decides. */
export const redemptionSuspense: AccountSpec = liability('suspense:redemptions');

/** The account's id, creating it on first use. */
export function accountId(ledger: Ledger, spec: AccountSpec): Promise<Uuid> {
  return ledger.accountIdOf(spec);
}
