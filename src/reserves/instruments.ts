/**
 * What reserves are made of: the instruments the issuer may hold and the positions it holds,
 * as pure values (no I/O). Amounts are micro-dollars (`Micro`); dates are ISO calendar dates
 * (`YYYY-MM-DD`, US Eastern business dates as Treasury and banks print them); rates are
 * decimal strings in percent (`"4.480"`), never floats.
 *
 *   cash        a deposit at a named bank (or a central-bank balance)
 *   tbill       a US Treasury bill: CUSIP, face, issue and maturity dates, what it cost
 *   repo        an overnight reverse repurchase agreement: cash lent against T-bills
 *   mmf         shares of a money-market fund (stable $1 NAV: shares = dollars)
 *   investment  anything that is not a reserve asset (bitcoin, gold, secured loans, equity)
 *
 * Every position names its custodian and jurisdiction and the evidence it came from: the
 * SHA-256 of the custodian statement, and when the custodian's public key is configured, the
 * statement's Ed25519 signature, verified (./evidence.ts).
 */
import type { Micro } from '../money/money.ts';

/** An ISO 8601 calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

/** The kinds of instrument. */
export const instrumentKinds = ['cash', 'tbill', 'repo', 'mmf', 'investment'] as const;
export type InstrumentKind = (typeof instrumentKinds)[number];

/** What a non-reserve investment is. */
export const investmentAssets = ['bitcoin', 'gold', 'secured-loan', 'equity', 'other'] as const;
export type InvestmentAsset = (typeof investmentAssets)[number];

/** Where a position's figures came from. */
export interface Evidence {
  /** SHA-256 of the custodian statement file, 64 lowercase hex digits. */
  readonly statementSha256: string;
  /** The custodian's Ed25519 signature over the statement file, 128 hex digits, if any. */
  readonly signature?: string;
  /** True only when a configured custodian key verified `signature` over the statement. */
  readonly signatureVerified: boolean;
}

/** What every position carries. */
interface PositionBase {
  /** Stable id (e.g. `tbill:912797LB1` or `cash:bank-a`). */
  readonly id: string;
  /** Who holds the asset (a bank, a custodian, a fund's transfer agent). */
  readonly custodian: string;
  /** ISO 3166-1 alpha-2 country of the custodian (`US`, `IE`, …). */
  readonly jurisdiction: string;
  readonly evidence?: Evidence;
}

/** A deposit at a bank, or a balance at a central bank. */
export interface CashPosition extends PositionBase {
  readonly kind: 'cash';
  /** The bank's code in ledger accounts (`reserves:cash:<bank>`). */
  readonly bank: string;
  readonly amount: Micro;
  /** A balance at a central bank (a Federal Reserve master account), not a commercial bank. */
  readonly centralBank: boolean;
  /**
   * The bank is an insured depository institution (FDIC in the US; a credit institution in a
   * deposit guarantee scheme in the EU), whatever part of this deposit the insurance covers.
   */
  readonly insuredInstitution: boolean;
  /** The part covered by deposit insurance (FDIC: $250,000 per depositor per bank). */
  readonly insured: Micro;
}

/** A Treasury bill held to maturity (or sold before). */
export interface TbillPosition extends PositionBase {
  readonly kind: 'tbill';
  /** 9 characters, check digit valid. */
  readonly cusip: string;
  readonly face: Micro;
  /** What was paid at settlement (face × price / 100, rounded by the named rule). */
  readonly cost: Micro;
  readonly issueDate: IsoDate;
  readonly maturityDate: IsoDate;
  /** The day it was bought (trade date) and paid for (settlement date). */
  readonly tradeDate: IsoDate;
  readonly settlementDate: IsoDate;
}

/** Cash lent overnight against Treasury collateral. */
export interface RepoPosition extends PositionBase {
  readonly kind: 'repo';
  readonly counterparty: string;
  readonly principal: Micro;
  readonly startDate: IsoDate;
  readonly maturityDate: IsoDate;
  /** The repo rate, percent per year, actual/360. */
  readonly ratePct: string;
  /** The bills delivered as collateral. */
  readonly collateral: readonly { cusip: string; face: Micro; maturityDate: IsoDate }[];
}

/** Shares of a money-market fund with a stable $1 net asset value. */
export interface MmfPosition extends PositionBase {
  readonly kind: 'mmf';
  readonly fund: string;
  /** A government MMF (99.5 % or more in cash, government securities and repo backed by them). */
  readonly government: boolean;
  readonly amount: Micro;
}

/** Anything that is not a reserve asset. */
export interface InvestmentPosition extends PositionBase {
  readonly kind: 'investment';
  readonly asset: InvestmentAsset;
  readonly name: string;
  /** Its value as last marked. */
  readonly amount: Micro;
}

export type Position =
  | CashPosition
  | TbillPosition
  | RepoPosition
  | MmfPosition
  | InvestmentPosition;

/**
 * A position as the rules see it on one day: its value that day (carrying value for a bill,
 * unless valued at market) and, where it has one, its remaining days to maturity.
 */
export interface Holding {
  readonly position: Position;
  /** Value on `asOf`, micro-dollars. */
  readonly value: Micro;
  /** Calendar days from `asOf` to maturity (bills, repo); undefined when none. */
  readonly daysToMaturity?: number;
}

/** What the issuer holds and owes on a day. */
export interface Portfolio {
  readonly asOf: IsoDate;
  /** Tokens outstanding (all chains), micro-dollars: what holders can redeem. */
  readonly liabilities: Micro;
  readonly holdings: readonly Holding[];
}
