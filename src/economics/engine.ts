/**
 * One path of the carry business, a day at a time (docs/economics.md, "The model"). Pure and
 * deterministic: the same scenario, rates and draws give the same days. All money is bigint
 * micro-dollars; the bill math is the reserves module's (`pricePer100`, `billCost`,
 * `accretionBetween`, `carryingValue`, `marketValue`, `simpleInterest`), not a copy.
 *
 * Each day, in this order:
 *   1. bills accrete (effective interest) and those maturing pay their face into cash; repo
 *      and cash earn their day's interest (actual/360, actual/365), the fund its dividend;
 *      outside bets earn their return;
 *   2. stresses of the day: a bank failure freezes cash (its expected loss written off at
 *      once), a release returns it; a drawdown writes the bets down;
 *   3. tokens are minted (cash in, with the mint fee) and redeemed (owed out, less the fee);
 *   4. costs: the partners' share of the day's interest, the day's operating costs;
 *   5. what is owed is paid through the waterfall: cash, repo, the fund, then bills, earliest
 *      maturity first, sold at the day's market rate plus a spread (gains and losses
 *      realized); what cannot be paid stays owed;
 *   6. outside bets due are funded and, on a month's last day, dividends paid: both only out
 *      of excess over the buffer, never by selling bills;
 *   7. repo and the fund are brought to their target shares, and on a buying day the cash
 *      above its target buys bills across the ladder's tenors.
 * Then the day's figures: assets, liabilities (supply and what is owed), equity, eligible
 * reserves (cash, repo, the fund, bills within `eligibleMaxDays` of maturity), coverage.
 * Every day asserts equity = capital + Σ net income − Σ dividends: a flow the model forgot
 * would break it.
 */
import { addDays } from '../calendar.ts';
import { assert } from '../errors.ts';
import { divHalfEven, type Micro } from '../money/money.ts';
import { accretionBetween } from '../reserves/accretion.ts';
import { billCost, marketValue, pricePer100 } from '../reserves/bills.ts';
import type { Ratio } from '../reserves/decimal.ts';
import { halfUp } from '../reserves/decimal.ts';
import { type DayCountBasis, simpleInterest } from '../reserves/interest.ts';
import { dayIndex, type FlowModel } from './paths.ts';
import type { Random } from './random.ts';
import type { OpeningBook, Scenario } from './scenario.ts';

/** Face amounts are bought and sold in whole $100s, as Treasury sells them. */
const faceUnit = 100_000_000n;

/**
 * A lot of bills of one purchase: `units` bills of $100 face, each carried on the reserves
 * module's schedule for its price and term (`unitSchedule`), so the lot carries `units` × that;
 * or, for a bill of a given book (`units` = 0), one schedule of its own. Either way the
 * carrying value on day d is `scale × table[d − base]`.
 */
interface Lot {
  units: bigint;
  face: bigint;
  maturityDay: number;
  maturityDate: string;
  /** Carrying values (of one $100 bill, or of the whole lot) from day `base` to maturity. */
  table: Schedule;
  base: number;
}

/** Carrying values from day 0 (cost) to N (face), and each day's accretion (`accretion[0]` is 0). */
interface Schedule {
  readonly carrying: readonly bigint[];
  readonly accretion: readonly bigint[];
}

/** A lot's carrying value at the end of day `d` (its face from maturity on). */
function carryingOn(lot: Lot, d: number): bigint {
  const t = (d < lot.maturityDay ? d : lot.maturityDay) - lot.base;
  return (lot.units === 0n ? 1n : lot.units) * lot.table.carrying[t]!;
}

/**
 * Schedules of one $100 bill by discount rate (bp, at least 0) and term: its carrying value at
 * the end of each day from settlement (its cost) to maturity ($100), from `billCost` and
 * `accretionBetween`. A $100 bill's cost is exact at any 6-decimal price, so every lot of the
 * same price and term shares one schedule; a thread keeps at most `unitSchedulesMax`.
 */
const unitSchedules = new Map<string, Schedule>();
const unitSchedulesMax = 100_000;

/**
 * The carrying values of one $100 bill bought at `rateBp` for `tenor` days, day 0 to `tenor`.
 * @example unitSchedule(500, 91).carrying.at(-1) === 100_000_000n
 */
export function unitSchedule(rateBp: number, tenor: number): Schedule {
  const key = `${rateBp}:${tenor}`;
  let table = unitSchedules.get(key);
  if (table !== undefined) return table;
  const price = pricePer100(bpRatio(rateBp < 0 ? 0 : rateBp), tenor);
  const settlementDate = '2000-01-03';
  table = wholeSchedule(
    billCost(faceUnit as Micro, price),
    faceUnit as Micro,
    settlementDate,
    addDays(settlementDate, tenor),
  );
  assert(table.carrying.at(-1) === faceUnit, 'a $100 bill accretes to $100');
  if (unitSchedules.size >= unitSchedulesMax) unitSchedules.clear();
  unitSchedules.set(key, table);
  return table;
}

/** The schedule of a whole bill, from `start` (its value) to maturity (its face): `accretionBetween`'s days, summed. */
function wholeSchedule(value: Micro, face: Micro, start: string, maturityDate: string): Schedule {
  const bill = { cost: value, face, settlementDate: start, maturityDate };
  const accretion = [0n, ...accretionBetween(bill, start, maturityDate)];
  const carrying = [value as bigint];
  for (let t = 1; t < accretion.length; t++) carrying.push(carrying[t - 1]! + accretion[t]!);
  return { carrying, accretion };
}

interface Bet {
  readonly name: string;
  value: bigint;
  readonly returnBps: bigint;
}

/** The income statement's lines (and the dividends paid), of a day or summed over a path. */
export interface IncomeLines {
  /** Interest: bill accretion, repo, the fund, cash at banks. */
  readonly interest: bigint;
  /** Realized gains (and losses, negative) on bills sold before maturity. */
  readonly trading: bigint;
  readonly fees: bigint;
  /** Outside bets' return and write-downs. */
  readonly betResult: bigint;
  readonly creditLosses: bigint;
  readonly distribution: bigint;
  readonly operating: bigint;
  /** interest + trading + fees + betResult − creditLosses − distribution − operating. */
  readonly net: bigint;
  readonly dividends: bigint;
}

/** One day's figures. Income lines are the day's; balances are at its end. */
export interface Day extends IncomeLines {
  readonly date: string;
  readonly rateBp: number;
  readonly supply: bigint;
  readonly minted: bigint;
  readonly redeemed: bigint;
  /** Owed and not yet paid (redemptions, costs): a liability beside the supply. */
  readonly owed: bigint;
  readonly cash: bigint;
  readonly frozen: bigint;
  readonly repo: bigint;
  readonly mmf: bigint;
  /** Bills at carrying value (amortized cost). */
  readonly bills: bigint;
  readonly bets: bigint;
  readonly equity: bigint;
  readonly eligible: bigint;
  /** Eligible reserves ÷ (supply + owed), in bp, rounded down; null when nothing is owed. */
  readonly coverageBps: bigint | null;
  /** The part of `interest` that is bill accretion. */
  readonly accretion: bigint;
  readonly betsFunded: bigint;
  /** The open lots at the end of the day (for liquidity buckets and eligibility checks). */
  readonly lots?: readonly { face: bigint; carrying: bigint; maturityDate: string }[];
}

/** The first day each failure happened, or null. */
export interface Breaches {
  /** Eligible reserves fell below what is owed to holders. */
  readonly coverage: string | null;
  /** Eligible reserves fell below what is owed plus the buffer. */
  readonly buffer: string | null;
  /** A redemption (or cost) could not be paid the day it fell due. */
  readonly liquidity: string | null;
  /** Equity went below zero. */
  readonly equity: string | null;
}

/** A path's totals (its income lines summed) and extremes. */
export interface PathSummary extends IncomeLines {
  readonly endEquity: bigint;
  readonly minEquity: bigint;
  readonly minCoverageBps: bigint | null;
  readonly maxOwed: bigint;
  readonly endSupply: bigint;
  readonly breaches: Breaches;
  /** Bets planned but not funded in full for want of excess (name: what was missing). */
  readonly unfunded: readonly { readonly name: string; readonly missing: bigint }[];
}

/** What a path needs beside its scenario. */
export interface PathInput {
  readonly scenario: Scenario;
  readonly dates: readonly string[];
  readonly ratesBp: Int32Array;
  readonly flows: FlowModel;
  /** Monte Carlo runs (when given): a run may start on any day. */
  readonly random?: Random;
  /** Keep every day's figures (and lots); else only the summary. */
  readonly detail: boolean;
}

const bpRatio = (bp: number): Ratio => ({ num: BigInt(bp), den: 100n });

/** One day's simple interest on `principal` at `bp` a year on actual/`basis` (`simpleInterest`). */
function dayInterest(principal: bigint, bp: number, basis: DayCountBasis): bigint {
  return principal === 0n ? 0n : simpleInterest(principal as Micro, bpRatio(bp), 1, basis);
}

/** The book of one path. */
class Book {
  cash = 0n;
  frozen = 0n;
  repo = 0n;
  mmf = 0n;
  owed = 0n;
  supply = 0n;
  lots: Lot[] = [];
  /** Σ carrying of the lots, kept as they change (`eligibleBills` checks it in detail runs). */
  billsTotal = 0n;
  /** No lot matures after this day (an upper bound: not lowered when a lot goes). */
  lastMaturityDay = 0;
  bets: Bet[] = [];
  // the day's lines
  interest = 0n;
  accretion = 0n;
  trading = 0n;
  fees = 0n;
  betResult = 0n;
  creditLosses = 0n;
  distribution = 0n;
  operating = 0n;
  dividends = 0n;
  betsFunded = 0n;

  /** The day index of each stress and of each bet, in the scenario's order. */
  readonly stressDays: readonly number[];
  readonly betDays: readonly number[];

  constructor(
    readonly scenario: Scenario,
    readonly dates: readonly string[],
  ) {
    this.stressDays = scenario.stresses.map((event) => dayIndex(scenario, event.day));
    this.betDays = scenario.investments.map((bet) => dayIndex(scenario, bet.day));
  }

  betsValue(): bigint {
    let sum = 0n;
    for (const bet of this.bets) sum += bet.value;
    return sum;
  }

  /** Reserves that earn and pay: cash, repo, the fund, bills (not frozen cash, not bets). */
  reserves(): bigint {
    return this.cash + this.repo + this.mmf + this.billsTotal;
  }

  eligible(d: number): bigint {
    return this.cash + this.repo + this.mmf + this.eligibleBills(d, false);
  }

  equity(): bigint {
    return (
      this.cash +
      this.frozen +
      this.repo +
      this.mmf +
      this.billsTotal +
      this.betsValue() -
      this.supply -
      this.owed
    );
  }

  /**
   * The bills eligible on day `d` (within `eligibleMaxDays` of maturity), at carrying value;
   * with `check`, also asserts the running total of every lot's carrying value.
   */
  eligibleBills(d: number, check: boolean): bigint {
    const max = this.scenario.reserves.eligibleMaxDays;
    if (check) {
      let all = 0n;
      for (const lot of this.lots) all += carryingOn(lot, d);
      assert(all === this.billsTotal, 'the bills total is the sum of the lots');
    }
    if (this.lastMaturityDay - d <= max) return this.billsTotal;
    let eligible = 0n;
    for (const lot of this.lots) if (lot.maturityDay - d <= max) eligible += carryingOn(lot, d);
    return eligible;
  }

  /** What may leave for excess uses today: eligible − (supply + owed) × (1 + buffer). */
  excess(d: number): bigint {
    const liabilities = this.supply + this.owed;
    const floor =
      (liabilities * BigInt(10_000 + this.scenario.reserves.bufferBps) + 9_999n) / 10_000n;
    const excess = this.eligible(d) - floor;
    return excess > 0n ? excess : 0n;
  }

  /** Buys bills of `tenor` days on day `d` at `rateBp` for at most `budget`; returns the cost. */
  buy(d: number, tenor: number, rateBp: number, budget: bigint): bigint {
    const table = unitSchedule(rateBp, tenor);
    const units = budget / table.carrying[0]!;
    if (units <= 0n) return 0n;
    const cost = units * table.carrying[0]!;
    this.billsTotal += cost;
    if (d + tenor > this.lastMaturityDay) this.lastMaturityDay = d + tenor;
    this.lots.push({
      units,
      face: units * faceUnit,
      maturityDay: d + tenor,
      maturityDate: addDays(this.dates[d]!, tenor),
      table,
      base: d,
    });
    return cost;
  }

  /** Sells bills, earliest maturity first, until `need` is raised; returns the proceeds. */
  sell(d: number, rateBp: number, need: bigint): bigint {
    const rate = bpRatio(rateBp + this.scenario.reserves.saleSpreadBp);
    this.lots.sort((a, b) => a.maturityDay - b.maturityDay);
    let raised = 0n;
    while (raised < need && this.lots.length > 0) {
      const lot = this.lots[0]!;
      const daysLeft = lot.maturityDay - d;
      assert(daysLeft > 0, 'a lot maturing today was paid before the waterfall ran');
      const carrying = carryingOn(lot, d);
      const value = marketValue(lot.face as Micro, rate, daysLeft);
      if (value <= need - raised) {
        raised += value;
        this.trading += value - carrying;
        this.billsTotal -= carrying;
        this.lots.shift();
        continue;
      }
      // Part of the lot: the face that raises the rest, in whole $100 bills.
      let part = ((need - raised) * lot.face + value - 1n) / value;
      part = ((part + faceUnit - 1n) / faceUnit) * faceUnit;
      if (part >= lot.face) part = lot.face;
      const proceeds = marketValue(part as Micro, rate, daysLeft);
      raised += proceeds;
      if (part === lot.face) {
        this.trading += proceeds - carrying;
        this.billsTotal -= carrying;
        this.lots.shift();
        continue;
      }
      // The bills sold carry what the rest carries, bill for bill; a whole bill of a given
      // book carries its part, and what is left accretes from today on its own schedule.
      const carried =
        lot.units > 0n
          ? (part / faceUnit) * (carrying / lot.units)
          : divHalfEven(carrying * part, lot.face);
      this.trading += proceeds - carried;
      this.billsTotal -= carried;
      if (lot.units > 0n) {
        lot.units -= part / faceUnit;
        lot.face = lot.units * faceUnit;
        continue;
      }
      lot.face -= part;
      lot.table = wholeSchedule(
        (carrying - carried) as Micro,
        lot.face as Micro,
        this.dates[d]!,
        lot.maturityDate,
      );
      lot.base = d;
    }
    return raised;
  }

  /**
   * Pays `amount` through the waterfall (cash, repo, the fund, then bills when `sellBills`);
   * returns what was paid.
   */
  pay(d: number, rateBp: number, amount: bigint, sellBills: boolean): bigint {
    let left = amount;
    let x = this.cash < left ? this.cash : left;
    this.cash -= x;
    left -= x;
    x = this.repo < left ? this.repo : left;
    this.repo -= x;
    left -= x;
    x = this.mmf < left ? this.mmf : left;
    this.mmf -= x;
    left -= x;
    if (left > 0n && sellBills) {
      // Proceeds beyond the need (a whole $100 of face) stay in cash.
      this.cash += this.sell(d, rateBp, left);
      x = this.cash < left ? this.cash : left;
      this.cash -= x;
      left -= x;
    }
    return amount - left;
  }

  resetDay(): void {
    this.interest = 0n;
    this.accretion = 0n;
    this.trading = 0n;
    this.fees = 0n;
    this.betResult = 0n;
    this.creditLosses = 0n;
    this.distribution = 0n;
    this.operating = 0n;
    this.dividends = 0n;
    this.betsFunded = 0n;
  }

  net(): bigint {
    return (
      this.interest +
      this.trading +
      this.fees +
      this.betResult -
      this.creditLosses -
      this.distribution -
      this.operating
    );
  }
}

/**
 * The opening book: supply and capital in reserves, split by the policy's shares; the bills'
 * part as a ladder already running (one lot per buying day of each tenor, bought at the first
 * day's rate, maturing in turn).
 */
function open(book: Book, ratesBp: Int32Array): void {
  const s = book.scenario;
  if (s.book !== undefined) {
    openGiven(book, s.book);
    return;
  }
  const policy = s.reserves;
  const total = s.supply.initial + s.capital;
  book.supply = s.supply.initial;
  book.repo = (total * BigInt(policy.repoBps)) / 10_000n;
  book.mmf = (total * BigInt(policy.mmfBps)) / 10_000n;
  const billShare = 10_000 - policy.cashBps - policy.repoBps - policy.mmfBps;
  const forBills = (total * BigInt(billShare)) / 10_000n;
  const start = book.dates[0]!;
  const rate = ratesBp[0]!;
  let spent = 0n;
  const rungs: { tenor: number; left: number }[] = [];
  for (const tenor of policy.tenorsDays)
    for (let left = tenor; left > 0; left -= policy.buyEveryDays) rungs.push({ tenor, left });
  const each = rungs.length === 0 ? 0n : forBills / BigInt(rungs.length);
  for (const { tenor, left } of rungs) {
    // Bills bought `tenor − left` days ago at today's rate, as many as `each` carries today.
    const table = unitSchedule(rate, tenor);
    const unit = table.carrying[tenor - left]!;
    const units = each / unit;
    if (units <= 0n || spent + units * unit > forBills) continue;
    spent += units * unit;
    book.billsTotal += units * unit;
    if (left > book.lastMaturityDay) book.lastMaturityDay = left;
    book.lots.push({
      units,
      face: units * faceUnit,
      maturityDay: left,
      maturityDate: addDays(start, left),
      table,
      base: left - tenor,
    });
  }
  book.cash = total - book.repo - book.mmf - spent;
  assert(book.equity() === s.capital, 'the opening book holds supply plus capital');
}

/** The opening book as given: each bill accretes from its value today to its face. */
function openGiven(book: Book, given: OpeningBook): void {
  const start = book.dates[0]!;
  book.supply = book.scenario.supply.initial;
  book.cash = given.cash;
  book.repo = given.repo;
  book.mmf = given.mmf;
  if (given.bets > 0n) book.bets.push({ name: 'held', value: given.bets, returnBps: 0n });
  for (const bill of given.bills) {
    book.billsTotal += bill.value;
    const maturityDay = dayIndex(book.scenario, bill.maturityDate);
    if (maturityDay > book.lastMaturityDay) book.lastMaturityDay = maturityDay;
    book.lots.push({
      units: 0n,
      face: bill.face,
      maturityDay,
      maturityDate: bill.maturityDate,
      table: wholeSchedule(bill.value, bill.face, start, bill.maturityDate),
      base: 0,
    });
  }
  assert(book.equity() === book.scenario.capital, 'the given book holds supply plus capital');
}

/** Step 1: accretion, maturities, interest, the bets' return. */
function earn(book: Book, d: number, rateBp: number): void {
  const policy = book.scenario.reserves;
  // Yesterday's balances earn today's interest: repo and cash paid in cash, the fund reinvested.
  const repo = dayInterest(book.repo, rateBp - policy.repoSpreadBp, 360);
  const fund = dayInterest(book.mmf, rateBp - policy.mmfFeeBp, 365);
  const cash = policy.cashRateBp === 0 ? 0n : dayInterest(book.cash, policy.cashRateBp, 365);
  book.cash += repo + cash;
  book.mmf += fund;
  let matured = false;
  for (const lot of book.lots) {
    if (d <= lot.maturityDay)
      book.accretion += (lot.units === 0n ? 1n : lot.units) * lot.table.accretion[d - lot.base]!;
    if (lot.maturityDay === d) {
      assert(carryingOn(lot, d) === lot.face, 'a bill is carried at face on its maturity day');
      book.cash += lot.face;
      book.billsTotal -= lot.face;
      matured = true;
    }
  }
  if (matured) {
    let kept = 0;
    for (const lot of book.lots) if (lot.maturityDay !== d) book.lots[kept++] = lot;
    book.lots.length = kept;
  }
  book.billsTotal += book.accretion;
  book.interest += book.accretion + repo + fund + cash;
  for (const bet of book.bets) {
    const r = halfUp(bet.value * bet.returnBps, 3_650_000n);
    bet.value += r;
    book.betResult += r;
  }
}

/** Step 2: the stresses of the day. */
function stress(book: Book, d: number, releases: Map<number, bigint>): void {
  const released = releases.get(d);
  if (released !== undefined) {
    book.frozen -= released;
    book.cash += released;
  }
  const stresses = book.scenario.stresses;
  for (let i = 0; i < stresses.length; i++) {
    if (book.stressDays[i] !== d) continue;
    const event = stresses[i]!;
    if (event.kind === 'bank-failure') {
      let hit = event.amount ?? (book.reserves() * BigInt(event.shareBps)) / 10_000n;
      if (hit > book.cash) hit = book.cash;
      const loss = (hit * BigInt(event.lossBps)) / 10_000n;
      book.cash -= hit;
      book.frozen += hit - loss;
      book.creditLosses += loss;
      releases.set(d + event.days, (releases.get(d + event.days) ?? 0n) + hit - loss);
    } else if (event.kind === 'drawdown') {
      for (const bet of book.bets) {
        const loss = (bet.value * BigInt(event.shareBps)) / 10_000n;
        bet.value -= loss;
        book.betResult -= loss;
      }
    }
  }
}

/** The bets and dividends of the day, out of excess only (step 6). */
function excessUses(
  book: Book,
  d: number,
  rateBp: number,
  monthNet: bigint,
  unfunded: Map<string, bigint>,
): void {
  const s = book.scenario;
  for (let i = 0; i < s.investments.length; i++) {
    if (book.betDays[i] !== d) continue;
    const bet = s.investments[i]!;
    const room = book.excess(d);
    const want = bet.amount < room ? bet.amount : room;
    const paid = book.pay(d, rateBp, want, false);
    book.bets.push({ name: bet.name, value: paid, returnBps: BigInt(bet.annualReturnBps) });
    book.betsFunded += paid;
    if (paid < bet.amount) unfunded.set(bet.name, bet.amount - paid);
  }
  const lastOfMonth = d + 1 === book.dates.length || book.dates[d + 1]!.endsWith('-01');
  if (lastOfMonth && s.dividendBps > 0 && monthNet > 0n) {
    let due = (monthNet * BigInt(s.dividendBps)) / 10_000n;
    const room = book.excess(d);
    if (due > room) due = room;
    book.dividends = book.pay(d, rateBp, due, false);
  }
}

/** Step 7: repo and the fund to target; on a buying day, cash above target into bills. */
function rebalance(book: Book, d: number, rateBp: number): void {
  const policy = book.scenario.reserves;
  const reserves = book.reserves();
  const cashTarget = (reserves * BigInt(policy.cashBps)) / 10_000n;
  const repoTarget = (reserves * BigInt(policy.repoBps)) / 10_000n;
  const mmfTarget = (reserves * BigInt(policy.mmfBps)) / 10_000n;
  if (book.repo > repoTarget) {
    book.cash += book.repo - repoTarget;
    book.repo = repoTarget;
  }
  if (book.mmf > mmfTarget) {
    book.cash += book.mmf - mmfTarget;
    book.mmf = mmfTarget;
  }
  let room = book.cash - cashTarget;
  if (room > 0n && book.repo < repoTarget) {
    const move = repoTarget - book.repo < room ? repoTarget - book.repo : room;
    book.repo += move;
    book.cash -= move;
    room -= move;
  }
  if (room > 0n && book.mmf < mmfTarget) {
    const move = mmfTarget - book.mmf < room ? mmfTarget - book.mmf : room;
    book.mmf += move;
    book.cash -= move;
    room -= move;
  }
  if (d % policy.buyEveryDays !== 0 || room <= 0n) return;
  const each = room / BigInt(policy.tenorsDays.length);
  for (const tenor of policy.tenorsDays) book.cash -= book.buy(d, tenor, rateBp, each);
}

/** A running run: the amount still to redeem on each of its days. */
interface Run {
  readonly until: number;
  readonly daily: bigint;
}

/**
 * Runs one path. With `detail`, returns every day's figures; the summary always.
 * @example const { summary } = runPath({ scenario, dates, ratesBp, flows, detail: false })
 */
export function runPath(input: PathInput): { days: Day[]; summary: PathSummary } {
  const { scenario: s, dates, ratesBp, flows, random, detail } = input;
  const book = new Book(s, dates);
  open(book, ratesBp);
  const releases = new Map<number, bigint>();
  const unfunded = new Map<string, bigint>();
  const runs: Run[] = [];
  const days: Day[] = [];
  const totals = {
    net: 0n,
    interest: 0n,
    trading: 0n,
    fees: 0n,
    betResult: 0n,
    creditLosses: 0n,
    distribution: 0n,
    operating: 0n,
    dividends: 0n,
  };
  const breaches = {
    coverage: null as string | null,
    buffer: null as string | null,
    liquidity: null as string | null,
    equity: null as string | null,
  };
  let minEquity: bigint | null = null;
  let lowest: { eligible: bigint; owed: bigint } | null = null;
  let maxOwed = 0n;
  let monthNet = 0n;
  let expected = s.capital as bigint;
  const mc = s.monteCarlo;
  const runChance = mc.runChanceBpsPerYear;
  const bufferFactor = BigInt(10_000 + s.reserves.bufferBps);
  const mintBps = BigInt(s.fees.mintBps);
  const redeemBps = BigInt(s.fees.redeemBps);
  const shareBps = BigInt(s.revenueShareBps);
  const year = s.operatingCostsPerYear as bigint;
  /** Operating costs through the day before: ⌊year × d / 365⌋ at day d. */
  let operatingThrough = 0n;
  for (let d = 0; d < dates.length; d++) {
    const rateBp = ratesBp[d]!;
    book.resetDay();
    let minted = 0n;
    let redeemed = 0n;
    if (d > 0) {
      earn(book, d, rateBp);
      stress(book, d, releases);
      const f = flows.on(d, book.supply);
      minted = f.minted;
      redeemed = f.redeemed;
      for (let i = 0; i < s.stresses.length; i++) {
        const event = s.stresses[i]!;
        if (event.kind === 'run' && book.stressDays[i] === d)
          runs.push({
            until: d + event.days,
            daily: (book.supply * BigInt(event.shareBps)) / 10_000n / BigInt(event.days),
          });
      }
      if (random !== undefined && runChance > 0 && random.below(3_650_000) < runChance)
        runs.push({
          until: d + mc.runDays,
          daily: (book.supply * BigInt(mc.runShareBps)) / 10_000n / BigInt(mc.runDays),
        });
      for (const run of runs) if (d < run.until) redeemed += run.daily;
      if (redeemed > book.supply + minted) redeemed = book.supply + minted;
      const mintFee = mintBps === 0n ? 0n : (minted * mintBps) / 10_000n;
      const redeemFee = redeemBps === 0n ? 0n : (redeemed * redeemBps) / 10_000n;
      book.supply += minted - redeemed;
      book.cash += minted + mintFee;
      book.owed += redeemed - redeemFee;
      book.fees += mintFee + redeemFee;
      // Costs: the partners' share of the day's interest; operating costs, exact over a year.
      if (book.interest > 0n && shareBps !== 0n)
        book.distribution = (book.interest * shareBps) / 10_000n;
      if (year !== 0n) {
        const through = (year * BigInt(d)) / 365n;
        book.operating = through - operatingThrough;
        operatingThrough = through;
      }
      book.owed += book.distribution + book.operating;
      book.owed -= book.pay(d, rateBp, book.owed, true);
      if (book.owed > 0n && breaches.liquidity === null) breaches.liquidity = dates[d]!;
      excessUses(book, d, rateBp, monthNet + book.net(), unfunded);
      rebalance(book, d, rateBp);
    }
    const net = book.net();
    expected += net - book.dividends;
    const bills = book.billsTotal;
    const eligibleBills = book.eligibleBills(d, detail);
    const bets = book.betsValue();
    const liquid = book.cash + book.repo + book.mmf;
    const owedAll = book.supply + book.owed;
    const equity = liquid + book.frozen + bills + bets - owedAll;
    if (equity !== expected)
      assert(false, `equity = capital + net income − dividends on ${dates[d]}`);
    monthNet = dates[d + 1]?.endsWith('-01') ? 0n : monthNet + net;
    const eligible = liquid + eligibleBills;
    if (breaches.coverage === null && eligible < owedAll) breaches.coverage = dates[d]!;
    // Under the buffer: eligible < ⌈owed × (1 + buffer)⌉, compared without dividing.
    if (breaches.buffer === null && eligible * 10_000n < owedAll * bufferFactor)
      breaches.buffer = dates[d]!;
    if (breaches.equity === null && equity < 0n) breaches.equity = dates[d]!;
    if (minEquity === null || equity < minEquity) minEquity = equity;
    // The lowest eligible ÷ owed, kept as the pair (compared crosswise), divided once at the end.
    if (owedAll > 0n && (lowest === null || eligible * lowest.owed < lowest.eligible * owedAll))
      lowest = { eligible, owed: owedAll };
    if (book.owed > maxOwed) maxOwed = book.owed;
    totals.net += net;
    totals.interest += book.interest;
    if (book.trading !== 0n) totals.trading += book.trading;
    if (book.fees !== 0n) totals.fees += book.fees;
    if (book.betResult !== 0n) totals.betResult += book.betResult;
    if (book.creditLosses !== 0n) totals.creditLosses += book.creditLosses;
    if (book.distribution !== 0n) totals.distribution += book.distribution;
    if (book.operating !== 0n) totals.operating += book.operating;
    if (book.dividends !== 0n) totals.dividends += book.dividends;
    if (detail)
      days.push({
        date: dates[d]!,
        rateBp,
        supply: book.supply,
        minted,
        redeemed,
        owed: book.owed,
        cash: book.cash,
        frozen: book.frozen,
        repo: book.repo,
        mmf: book.mmf,
        bills,
        bets,
        equity,
        eligible,
        coverageBps: owedAll === 0n ? null : (eligible * 10_000n) / owedAll,
        interest: book.interest,
        accretion: book.accretion,
        trading: book.trading,
        fees: book.fees,
        betResult: book.betResult,
        creditLosses: book.creditLosses,
        distribution: book.distribution,
        operating: book.operating,
        net,
        dividends: book.dividends,
        betsFunded: book.betsFunded,
        lots: book.lots.map((lot) => ({
          face: lot.face,
          carrying: carryingOn(lot, d),
          maturityDate: lot.maturityDate,
        })),
      });
  }
  return {
    days,
    summary: {
      ...totals,
      endEquity: expected,
      minEquity: minEquity ?? s.capital,
      minCoverageBps: lowest === null ? null : (lowest.eligible * 10_000n) / lowest.owed,
      maxOwed,
      endSupply: book.supply,
      breaches,
      unfunded: [...unfunded].map(([name, missing]) => ({ name, missing })),
    },
  };
}
