/**
 * The issuer's chart of accounts, one for every module (docs/architecture.md, "Issuance";
 * docs/reserves.md, "Postings"): the ledger codes each flow posts to, and the flag that keeps
 * each account on its side of zero. Liabilities and income carry credit balances; assets
 * carry debit balances and may not go below zero.
 *
 * | code                             | what                                         | flag                           |
 * |----------------------------------|----------------------------------------------|--------------------------------|
 * | `customers:<id>:fiat`            | a customer's dollars (a liability)           | debits must not exceed credits |
 * | `supply:<chainId>`               | tokens out on a chain (a liability)          | debits must not exceed credits |
 * | `suspense:deposits`              | money received for nobody known yet          | debits must not exceed credits |
 * | `suspense:redemptions`           | redeemed tokens held for compliance          | debits must not exceed credits |
 * | `income:fees`                    | redemption fees earned                       | debits must not exceed credits |
 * | `income:interest`                | accretion of bills, repo and fund interest   | debits must not exceed credits |
 * | `income:trading`                 | gains (credit) and losses (debit) on sales   | none                           |
 * | `reserves:cash:<bank>`           | cash at a bank                               | credits must not exceed debits |
 * | `reserves:tbill:<cusip>`         | bills of one CUSIP, at carrying value        | credits must not exceed debits |
 * | `reserves:repo:<counterparty>`   | cash lent overnight against bills            | credits must not exceed debits |
 * | `reserves:mmf:<fund>`            | money-market fund shares ($1 each)           | credits must not exceed debits |
 * | `investments:<name>`             | what is not a reserve (bought out of excess) | credits must not exceed debits |
 * | `expenses:distribution:<partner>`| revenue shared with a distribution partner   | credits must not exceed debits |
 * | `expenses:operating:<category>`  | operating costs (salaries, audit, banking…)  | credits must not exceed debits |
 *
 * Income and expenses are the issuer's own: assets − liabilities (equity) = income − expenses
 * (retained earnings; there are no owners' contributions or distributions in this ledger).
 */
import type { Selection } from '../ledger/balances.ts';
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

/**
 * Tokens out on a chain: a liability, credited by mints, debited by redemptions.
 * @example supplyAccountSpec(31337).code === 'supply:31337'
 */
export const supplyAccountSpec = (chainId: number): AccountSpec => liability(`supply:${chainId}`);

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

const asset = (code: string): AccountSpec => ({
  code,
  asset: usd,
  flags: accountFlag.creditsMustNotExceedDebits,
});

/** Bills of one CUSIP, at carrying value (cost plus the accretion posted). */
export const reservesTbill = (cusip: string): AccountSpec => asset(`reserves:tbill:${cusip}`);
/** Overnight repo lent to `counterparty`. */
export const reservesRepo = (counterparty: string): AccountSpec =>
  asset(`reserves:repo:${counterparty}`);
/** Shares of the money-market fund `fund`. */
export const reservesMmf = (fund: string): AccountSpec => asset(`reserves:mmf:${fund}`);
/** An outside investment: never a reserve. */
export const investment = (name: string): AccountSpec => asset(`investments:${name}`);

/** Interest earned: accretion, repo interest, fund dividends. */
export const incomeInterest: AccountSpec = {
  code: 'income:interest',
  asset: usd,
  flags: accountFlag.debitsMustNotExceedCredits,
};

/** Realized gains (credits) and losses (debits) on instruments sold before maturity. */
export const incomeTrading: AccountSpec = { code: 'income:trading', asset: usd, flags: 0 };

/** A name in account codes (a bank, a fund, a counterparty, an investment): as a bank's. */
export const namePattern = bankPattern;

/** What an expense pays for: revenue shared with a partner, or the issuer's own running costs. */
export type ExpensePurpose = 'distribution' | 'operating';

/**
 * An expense account: revenue shared with a distribution partner (`distribution`, named by the
 * partner) or an operating cost (`operating`, named by its category); debit balances that never
 * go below zero.
 * @example expense('operating', 'audit').code === 'expenses:operating:audit'
 */
export const expense = (purpose: ExpensePurpose, name: string): AccountSpec =>
  asset(`expenses:${purpose}:${name}`);

/** Tokens out on every chain (`supply:<chainId>`). */
export const everySupply: Selection = { prefix: 'supply:', side: 'credit' };
/** Every customer's dollars (`customers:<id>:fiat`). */
export const everyCustomerFiat: Selection = {
  prefix: 'customers:',
  suffix: ':fiat',
  side: 'credit',
};
/** Money in suspense, for nobody known yet or held for compliance. */
export const everySuspense: Selection = { prefix: 'suspense:', side: 'credit' };
/** Every reserve asset: cash, bills, repo, fund shares. */
export const everyReserve: Selection = { prefix: 'reserves:', side: 'debit' };
/** Every outside investment. */
export const everyInvestment: Selection = { prefix: 'investments:', side: 'debit' };
/** Every income account (`income:interest`, `income:fees`, `income:trading`). */
export const everyIncome: Selection = { prefix: 'income:', side: 'credit' };
/** Every expense account, of both purposes. */
export const everyExpense: Selection = { prefix: 'expenses:', side: 'debit' };
/** Revenue shared with every distribution partner. */
export const everyDistribution: Selection = { prefix: 'expenses:distribution:', side: 'debit' };
/** Every operating cost. */
export const everyOperatingCost: Selection = { prefix: 'expenses:operating:', side: 'debit' };
/**
 * Everything owed to customers: tokens out, dollars deposited and not yet minted or paid out,
 * and suspense. The reserves hold all of it.
 */
export const everythingOwed: readonly Selection[] = [everySupply, everyCustomerFiat, everySuspense];
