/**
 * Liquidity of the reserves: when each holding can become cash (buckets), in what order
 * redemptions are paid from them (the waterfall), and how many days the same-day cash lasts at
 * the worst daily redemption rate seen. Pure: no I/O. Amounts are bigint micro-dollars.
 *
 * The model (docs/reserves.md, "Liquidity", gives the reasons):
 *
 *   cash, central-bank balance   same-day, at its balance
 *   government MMF               same-day (government funds settle redemptions the same day)
 *   other MMF                    next-day (a prime fund may settle later or charge a fee)
 *   repo                         when it matures: on asOf same-day, by the next US business day
 *                                next-day, within 7 calendar days within-week, else beyond
 *   bill maturing by the next    by its maturity date, at full value
 *   business day
 *   any other bill               sold for T+1 settlement: next-day, at its value less a haircut;
 *                                the haircut is the price fall a rise of `billYieldShockPct` in
 *                                the discount rate would cause (face × shock × days / 360, the
 *                                bill-price formula of 31 CFR 356 App. B), rounded up; the
 *                                haircut itself is only recovered by holding to maturity, so it
 *                                sits in the bucket of the maturity date
 *   investment                   beyond: not a reserve asset, not sold to pay redemptions
 *   a repo or bill past maturity beyond: still open in the book, its cash not yet arrived
 *
 * The buckets always sum to the portfolio's total value.
 */
import { addDays, daysBetween, nextBusinessDay } from '../calendar.ts';
import { assert, ClearpegError } from '../errors.ts';
import { divCeil, type Micro } from '../money/money.ts';
import { checkPortfolio, type Percent, parsePercent } from './eligibility.ts';
import type { Holding, InstrumentKind, IsoDate, Portfolio, TbillPosition } from './instruments.ts';

/** The buckets, from soonest to latest. */
export const bucketNames = ['same-day', 'next-day', 'within-week', 'beyond'] as const;
export type BucketName = (typeof bucketNames)[number];

/** How a slice of a holding becomes cash. */
export type LiquidityBasis =
  | 'balance'
  | 'fund-redemption'
  | 'maturity'
  | 'sale'
  | 'sale-haircut'
  | 'matured-unsettled'
  | 'not-a-reserve';

/**
 * The default yield shock for a T+1 bill sale: 1 percentage point (100 bp) of discount rate.
 * Bill yields usually move a few basis points a day; 100 bp overnight is a deliberately harsh
 * assumption. On a 93-day bill it costs 0.26 % of face.
 */
export const defaultBillYieldShockPct = '1';

/** Options of the liquidity model. */
export interface LiquidityOptions {
  /** The rise in a bill's discount rate, in percentage points, assumed for a T+1 sale. */
  readonly billYieldShockPct?: string;
}

/** A part of one holding in one bucket. */
export interface LiquiditySlice {
  readonly holding: string;
  readonly kind: InstrumentKind;
  readonly bucket: BucketName;
  readonly basis: LiquidityBasis;
  readonly amount: Micro;
}

/** The portfolio by when it can become cash. */
export interface LiquidityBuckets {
  readonly asOf: IsoDate;
  /** Every holding's value; equal to the sum of the buckets. */
  readonly total: Micro;
  readonly buckets: Readonly<Record<BucketName, Micro>>;
  readonly slices: readonly LiquiditySlice[];
}

/** The bucket of cash that arrives on `date`. */
function bucketOfDate(asOf: IsoDate, date: IsoDate): BucketName {
  if (date <= asOf) return 'same-day';
  if (date <= nextBusinessDay(asOf)) return 'next-day';
  if (date <= addDays(asOf, 7)) return 'within-week';
  return 'beyond';
}

/** The price fall of `bill` if its discount rate rose by `shock`, capped at `value`. */
function saleHaircut(bill: TbillPosition, value: bigint, shock: Percent, days: number): bigint {
  assert(days > 0, 'a bill sold before maturity has days left');
  // face × (shock / 100) × days / 360, rounded up: the proceeds are never overstated.
  const haircut = divCeil(bill.face * shock.units * BigInt(days), shock.scale * 100n * 360n);
  return haircut < value ? haircut : value;
}

/** How one holding becomes cash: its slices, soonest first. */
function slicesOf(holding: Holding, asOf: IsoDate, shock: Percent): LiquiditySlice[] {
  const position = holding.position;
  const slice = (bucket: BucketName, basis: LiquidityBasis, amount: bigint): LiquiditySlice => ({
    holding: position.id,
    kind: position.kind,
    bucket,
    basis,
    amount: amount as Micro,
  });
  switch (position.kind) {
    case 'cash':
      return [slice('same-day', 'balance', holding.value)];
    case 'mmf':
      return [
        slice(position.government ? 'same-day' : 'next-day', 'fund-redemption', holding.value),
      ];
    case 'investment':
      return [slice('beyond', 'not-a-reserve', holding.value)];
    case 'repo':
      return position.maturityDate < asOf
        ? [slice('beyond', 'matured-unsettled', holding.value)]
        : [slice(bucketOfDate(asOf, position.maturityDate), 'maturity', holding.value)];
    case 'tbill': {
      if (position.maturityDate < asOf)
        return [slice('beyond', 'matured-unsettled', holding.value)];
      const settle = nextBusinessDay(asOf);
      if (position.maturityDate <= settle)
        return [slice(bucketOfDate(asOf, position.maturityDate), 'maturity', holding.value)];
      const days = daysBetween(asOf, position.maturityDate);
      const haircut = saleHaircut(position, holding.value, shock, days);
      const sold = slice(bucketOfDate(asOf, settle), 'sale', holding.value - haircut);
      return haircut === 0n
        ? [sold]
        : [sold, slice(bucketOfDate(asOf, position.maturityDate), 'sale-haircut', haircut)];
    }
  }
}

function shockOf(options: LiquidityOptions): Percent {
  return parsePercent(
    options.billYieldShockPct ?? defaultBillYieldShockPct,
    'options.billYieldShockPct',
  );
}

/**
 * Sorts `portfolio` into the buckets `same-day`, `next-day`, `within-week` and `beyond` by
 * when each holding can become cash (the model is in this file's header). The buckets sum to
 * the total value of the portfolio. Bad input throws `portfolio-invalid`.
 * @example
 * const { buckets } = liquidityBuckets(portfolio);
 * buckets['same-day'] // cash and government MMF shares
 */
export function liquidityBuckets(
  portfolio: Portfolio,
  options: LiquidityOptions = {},
): LiquidityBuckets {
  checkPortfolio(portfolio);
  const shock = shockOf(options);
  const buckets: Record<BucketName, bigint> = {
    'same-day': 0n,
    'next-day': 0n,
    'within-week': 0n,
    beyond: 0n,
  };
  const slices: LiquiditySlice[] = [];
  let total = 0n;
  for (const holding of portfolio.holdings) {
    total += holding.value;
    for (const slice of slicesOf(holding, portfolio.asOf, shock)) {
      buckets[slice.bucket] += slice.amount;
      slices.push(slice);
    }
  }
  const sum = bucketNames.reduce((acc, name) => acc + buckets[name], 0n);
  assert(sum === total, 'the buckets sum to the total value');
  return {
    asOf: portfolio.asOf,
    total: total as Micro,
    buckets: buckets as Record<BucketName, Micro>,
    slices,
  };
}

/** What one source pays in a waterfall. */
export interface WaterfallStep {
  readonly holding: string;
  readonly kind: InstrumentKind;
  readonly basis: LiquidityBasis;
  /** What the source can pay: its value (a bill sold early: its value less the haircut). */
  readonly available: Micro;
  readonly paid: Micro;
}

/** A redemption amount paid from the reserves in order. */
export interface Waterfall {
  readonly requested: Micro;
  readonly paid: Micro;
  /** What the reserve sources could not pay: requested − paid. */
  readonly unpaid: Micro;
  /** Every source in the order it is drawn, including those not reached (paid 0). */
  readonly steps: readonly WaterfallStep[];
}

const waterfallOrder: Readonly<Record<InstrumentKind, number>> = {
  cash: 0,
  repo: 1,
  mmf: 2,
  tbill: 3,
  investment: 4,
};

function maturityOf(holding: Holding): IsoDate {
  const position = holding.position;
  return position.kind === 'tbill' || position.kind === 'repo' ? position.maturityDate : '';
}

/**
 * Pays `amount` of redemptions from the reserves in order: cash, then repo (earliest maturity
 * first), then money-market funds, then bills by maturity, earliest first; within a kind,
 * portfolio order. Investments are not drawn; a position past maturity and still open pays
 * nothing. A bill maturing after the next business day pays its sale proceeds (value less the
 * haircut of `options.billYieldShockPct`). Returns each source's payment and the unpaid rest.
 * @example waterfall(portfolio, parseAmount('1000000')).unpaid // 0n when cash covers it
 */
export function waterfall(
  portfolio: Portfolio,
  amount: Micro,
  options: LiquidityOptions = {},
): Waterfall {
  checkPortfolio(portfolio);
  if (typeof amount !== 'bigint' || amount < 0n)
    throw new ClearpegError(
      'amount-invalid',
      `amount: must be a non-negative bigint of micro-dollars (got ${typeof amount === 'bigint' ? `${amount}n` : typeof amount})`,
      { field: 'amount', rule: 'a non-negative bigint of micro-dollars' },
    );
  const shock = shockOf(options);
  const sources = portfolio.holdings
    .map((holding, index) => ({ holding, index }))
    .filter(({ holding }) => holding.position.kind !== 'investment')
    .sort((a, b) => {
      const byKind =
        waterfallOrder[a.holding.position.kind] - waterfallOrder[b.holding.position.kind];
      if (byKind !== 0) return byKind;
      const [ma, mb] = [maturityOf(a.holding), maturityOf(b.holding)];
      if (ma !== mb) return ma < mb ? -1 : 1;
      return a.index - b.index;
    });
  let left = amount as bigint;
  const steps: WaterfallStep[] = [];
  for (const { holding } of sources) {
    const usable = slicesOf(holding, portfolio.asOf, shock).filter(
      (slice) => slice.basis !== 'sale-haircut' && slice.basis !== 'matured-unsettled',
    );
    const available = usable.reduce((acc, slice) => acc + slice.amount, 0n);
    const paid = left < available ? left : available;
    left -= paid;
    steps.push({
      holding: holding.position.id,
      kind: holding.position.kind,
      basis: usable[0]?.basis ?? 'matured-unsettled',
      available: available as Micro,
      paid: paid as Micro,
    });
  }
  const paid = amount - left;
  assert(paid + left === amount && left >= 0n, 'paid + unpaid = requested');
  return { requested: amount, paid: paid as Micro, unpaid: left as Micro, steps };
}

/** How many days a cash pile lasts: a whole number, or without end when nothing flows out. */
export type DaysCovered =
  | { readonly infinite: false; readonly days: bigint }
  | { readonly infinite: true };

/**
 * How many whole days of the worst observed daily redemptions the same-day bucket covers:
 * ⌊sameDay ÷ worstDailyRedemptions⌋, and `{ infinite: true }` when no redemption was seen.
 * @example daysCovered(parseAmount('250'), parseAmount('100')) // { infinite: false, days: 2n }
 */
export function daysCovered(sameDay: Micro, worstDailyRedemptions: Micro): DaysCovered {
  for (const [field, value] of [
    ['sameDay', sameDay],
    ['worstDailyRedemptions', worstDailyRedemptions],
  ] as const)
    if (typeof value !== 'bigint' || value < 0n)
      throw new ClearpegError(
        'amount-invalid',
        `${field}: must be a non-negative bigint of micro-dollars (got ${typeof value === 'bigint' ? `${value}n` : typeof value})`,
        { field, rule: 'a non-negative bigint of micro-dollars' },
      );
  if (worstDailyRedemptions === 0n) return { infinite: true };
  return { infinite: false, days: sameDay / worstDailyRedemptions };
}
