/**
 * The reserve side of the chart of accounts (docs/reserves.md, "Postings"). Assets carry
 * debit balances and may not go below zero; income carries a credit balance.
 *
 * | code                             | what                                         |
 * |----------------------------------|----------------------------------------------|
 * | `reserves:cash:<bank>`           | cash at a bank (issuance/accounts.ts)        |
 * | `reserves:tbill:<cusip>`         | bills of one CUSIP, at carrying value        |
 * | `reserves:repo:<counterparty>`   | cash lent overnight against bills            |
 * | `reserves:mmf:<fund>`            | money-market fund shares ($1 each)           |
 * | `investments:<name>`             | what is not a reserve (bought out of excess) |
 * | `income:interest`                | accretion of bills, repo and fund interest   |
 * | `income:trading`                 | gains (credit) and losses (debit) on sales   |
 */
import { type AccountSpec, bankPattern, reservesCash, usd } from '../issuance/accounts.ts';
import { accountFlag } from '../ledger/types.ts';

const asset = (code: string): AccountSpec => ({
  code,
  asset: usd,
  flags: accountFlag.creditsMustNotExceedDebits,
});

export { reservesCash };

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
