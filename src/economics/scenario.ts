/**
 * A scenario: everything the simulator needs, as one JSON document (docs/economics.md,
 * "Scenarios"). Money is a decimal string of dollars in JSON and a bigint of micro-dollars
 * inside; rates, shares and fees are whole basis points (1 bp = 0.01 %), never floats. A
 * preset is a scenario; `--set key=value` edits one field of it by its dotted path before it
 * is checked, and a bad field is refused naming the path and the rule.
 */
import { z } from 'zod';
import { daysBetween, isoDate } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { formatAmount, type Micro, parseAmount } from '../money/money.ts';
import type { IsoDate } from '../reserves/instruments.ts';

/** Limits of a scenario: 30 years of days, 100,000 Monte Carlo paths, 64 bets and stresses. */
export const scenarioDaysMax = 30 * 366;
export const monteCarloPathsMax = 100_000;
export const scenarioListMax = 64;

/** How the token supply moves. */
export interface SupplyModel {
  /** Tokens out on the first day. */
  readonly initial: Micro;
  /** Growth per year, compounded daily in integer steps (−10000 to 100000 bp). */
  readonly growthBpsPerYear: number;
  /**
   * Published supply figures: when given, the supply runs straight from point to point
   * (and stays flat after the last), instead of `growthBpsPerYear`.
   */
  readonly points: readonly { readonly date: IsoDate; readonly supply: Micro }[];
  /** Gross turnover each day, minted and redeemed alike, as bp of supply. */
  readonly turnoverBpsPerDay: number;
}

/** How the reserves are held. */
export interface ReservePolicy {
  /** Target shares of reserves: cash at banks, overnight repo, government MMF; bills get the rest. */
  readonly cashBps: number;
  readonly repoBps: number;
  readonly mmfBps: number;
  /** The bill ladder: the tenors bought (days), in equal parts, every `buyEveryDays`. */
  readonly tenorsDays: readonly number[];
  readonly buyEveryDays: number;
  /** Repo earns the bill rate less this spread (bp; negative: above the bill rate). */
  readonly repoSpreadBp: number;
  /** The fund's yield is the bill rate less its fee (bp). */
  readonly mmfFeeBp: number;
  /** What cash at the banks earns (bp per year, fixed). */
  readonly cashRateBp: number;
  /** Bills count as eligible reserves up to this many days to maturity (GENIUS: 93). */
  readonly eligibleMaxDays: number;
  /** Eligible reserves must exceed supply by this much before anything leaves for excess uses. */
  readonly bufferBps: number;
  /** A forced bill sale is priced at the day's bill rate plus this spread (bp). */
  readonly saleSpreadBp: number;
}

/** Where the rates come from: the shipped DTB3 history, a hold, or a path of cuts. */
export type RateModel =
  | { readonly kind: 'history' }
  | { readonly kind: 'hold'; readonly bp: number }
  | {
      readonly kind: 'cuts';
      /** The rate on the first day (bp); the history's rate that day when absent. */
      readonly fromBp?: number;
      readonly cutBp: number;
      readonly everyDays: number;
      readonly floorBp: number;
    };

/** An outside investment, never a reserve: funded only from excess. */
export interface OutsideBet {
  readonly name: string;
  readonly amount: Micro;
  /** The day it is funded (from the excess as it is that day). */
  readonly day: IsoDate;
  /** Its return per year (bp, may be negative), accrued daily into its value. */
  readonly annualReturnBps: number;
}

/** A stress event. */
export type Stress =
  | {
      /**
       * A bank fails: `amount` of the cash (or, without it, `shareBps` of the reserves) is
       * frozen there for `days`, its expected loss (`lossBps`) written off at once, the rest
       * returned when the days are over.
       */
      readonly kind: 'bank-failure';
      readonly day: IsoDate;
      readonly days: number;
      readonly shareBps: number;
      readonly amount?: Micro;
      readonly lossBps: number;
    }
  | {
      /** A run: `shareBps` of the supply of `day` redeemed over `days`, on top of the usual flows. */
      readonly kind: 'run';
      readonly day: IsoDate;
      readonly days: number;
      readonly shareBps: number;
    }
  | {
      /** The bill rate jumps by `bp` from `day` on. */
      readonly kind: 'rate-shock';
      readonly day: IsoDate;
      readonly bp: number;
    }
  | {
      /** Every outside bet is written down by `shareBps` of its value. */
      readonly kind: 'drawdown';
      readonly day: IsoDate;
      readonly shareBps: number;
    };

/** The Monte Carlo mode: paths of rates and of redemptions around the scenario's own. */
export interface MonteCarlo {
  readonly paths: number;
  /** The daily standard deviation of the rate's deviation from the scenario's path (bp). */
  readonly rateVolBp: number;
  /** How much of the deviation fades each day (bp of it): mean reversion. */
  readonly rateReversionBps: number;
  /** The daily standard deviation of net flows (bp of supply). */
  readonly flowVolBps: number;
  /** The chance of a run starting on a given day (bp per year), and its size and length. */
  readonly runChanceBpsPerYear: number;
  readonly runShareBps: number;
  readonly runDays: number;
}

/**
 * An opening book given position by position (a running issuer's attested book) instead of
 * the policy's split of supply and capital: bills at their carrying value on the first day.
 */
export interface OpeningBook {
  readonly cash: Micro;
  readonly repo: Micro;
  readonly mmf: Micro;
  /** Outside investments already held, at their value. */
  readonly bets: Micro;
  readonly bills: readonly {
    readonly face: Micro;
    readonly value: Micro;
    readonly maturityDate: IsoDate;
  }[];
}

/** The simulator's input. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly start: IsoDate;
  readonly days: number;
  readonly seed: number;
  /** Owners' equity on the first day: reserves are supply plus this. */
  readonly capital: Micro;
  readonly supply: SupplyModel;
  readonly reserves: ReservePolicy;
  readonly fees: { readonly mintBps: number; readonly redeemBps: number };
  /** The share of each day's reserve interest paid to distribution partners. */
  readonly revenueShareBps: number;
  readonly operatingCostsPerYear: Micro;
  /** The share of each month's profit paid to the owners, out of excess only. */
  readonly dividendBps: number;
  readonly rates: RateModel;
  readonly investments: readonly OutsideBet[];
  readonly stresses: readonly Stress[];
  readonly monteCarlo: MonteCarlo;
  /** The opening book, when not split by the policy; `capital` is then its equity. */
  readonly book?: OpeningBook;
}

// ---------------------------------------------------------------------------------------
// The JSON form, checked.

const bp = (min: number, max: number) => z.number().int().min(min).max(max);
const share = bp(0, 10_000);
const amount = z.string().regex(/^[0-9]{1,30}(\.[0-9]{1,6})?$/, 'a decimal string of dollars');
const date = z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'a date YYYY-MM-DD');
const name = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a name of a-z, 0-9 and -');

const scenarioSchema = z.strictObject({
  name,
  title: z.string().min(1).max(200),
  start: date,
  days: z.number().int().min(1).max(scenarioDaysMax),
  seed: z.number().int().min(0).max(0xffffffff),
  capital: amount,
  supply: z.strictObject({
    initial: amount,
    growthBpsPerYear: bp(-10_000, 100_000),
    points: z.array(z.strictObject({ date, supply: amount })).max(366),
    turnoverBpsPerDay: bp(0, 10_000),
  }),
  reserves: z
    .strictObject({
      cashBps: share,
      repoBps: share,
      mmfBps: share,
      tenorsDays: z.array(z.number().int().min(7).max(364)).min(1).max(8),
      buyEveryDays: z.number().int().min(1).max(91),
      repoSpreadBp: bp(-500, 500),
      mmfFeeBp: bp(0, 500),
      cashRateBp: bp(0, 2_000),
      eligibleMaxDays: z.number().int().min(0).max(366),
      bufferBps: bp(0, 10_000),
      saleSpreadBp: bp(0, 2_000),
    })
    .refine((r) => r.cashBps + r.repoBps + r.mmfBps <= 10_000, {
      message: 'cashBps + repoBps + mmfBps must be at most 10000',
      path: ['cashBps'],
    }),
  fees: z.strictObject({ mintBps: bp(0, 1_000), redeemBps: bp(0, 1_000) }),
  revenueShareBps: share,
  operatingCostsPerYear: amount,
  dividendBps: share,
  rates: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('history') }),
    z.strictObject({ kind: z.literal('hold'), bp: bp(-100, 5_000) }),
    z.strictObject({
      kind: z.literal('cuts'),
      fromBp: bp(-100, 5_000).optional(),
      cutBp: bp(-500, 500),
      everyDays: z.number().int().min(1).max(366),
      floorBp: bp(-100, 5_000),
    }),
  ]),
  investments: z
    .array(
      z.strictObject({
        name,
        amount,
        day: date,
        annualReturnBps: bp(-10_000, 100_000),
      }),
    )
    .max(scenarioListMax),
  stresses: z
    .array(
      z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('bank-failure'),
          day: date,
          days: z.number().int().min(1).max(3_660),
          shareBps: share,
          amount: amount.optional(),
          lossBps: share,
        }),
        z.strictObject({
          kind: z.literal('run'),
          day: date,
          days: z.number().int().min(1).max(366),
          shareBps: share,
        }),
        z.strictObject({ kind: z.literal('rate-shock'), day: date, bp: bp(-5_000, 5_000) }),
        z.strictObject({ kind: z.literal('drawdown'), day: date, shareBps: share }),
      ]),
    )
    .max(scenarioListMax),
  monteCarlo: z.strictObject({
    paths: z.number().int().min(0).max(monteCarloPathsMax),
    rateVolBp: bp(0, 500),
    rateReversionBps: share,
    flowVolBps: bp(0, 5_000),
    runChanceBpsPerYear: share,
    runShareBps: share,
    runDays: z.number().int().min(1).max(366),
  }),
  book: z
    .strictObject({
      cash: amount,
      repo: amount,
      mmf: amount,
      bets: amount,
      bills: z
        .array(z.strictObject({ face: amount, value: amount, maturityDate: date }))
        .max(10_000),
    })
    .optional(),
});

/** A scenario as JSON: money as decimal strings of dollars. */
export type ScenarioJson = z.input<typeof scenarioSchema>;

function refuse(field: string, rule: string, got: string): never {
  throw new ClearpegError('scenario-invalid', `${field}: ${rule} (got ${got})`, { field, rule });
}

/**
 * Checks a scenario's JSON form and converts it: the first bad field is refused
 * (`scenario-invalid`) naming its dotted path and the rule.
 * @example parseScenario(scenarioJson(preset)).days === preset.days
 */
export function parseScenario(raw: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || 'scenario';
    const got = valueAt(raw, issue.path as readonly PropertyKey[]);
    refuse(field, issue.message, got === undefined ? 'nothing' : JSON.stringify(got));
  }
  const s = parsed.data;
  const money = (text: string, field: string) => parseAmount(text, field);
  const day = (text: string, field: string) => isoDate(text, field);
  day(s.start, 'start');
  const inside = (text: string, field: string) => {
    const offset = daysBetween(s.start, day(text, field));
    if (offset < 0 || offset >= s.days)
      refuse(
        field,
        `must fall within the scenario (${s.start} and the ${s.days - 1} days after)`,
        text,
      );
    return text;
  };
  let last = '';
  const points = s.supply.points.map((p, i) => {
    const field = `supply.points.${i}.date`;
    if (day(p.date, field) <= last) refuse(field, 'must come after the point before it', p.date);
    last = p.date;
    return { date: p.date, supply: money(p.supply, `supply.points.${i}.supply`) };
  });
  const names = new Set<string>();
  for (const [i, bet] of s.investments.entries()) {
    if (names.has(bet.name))
      refuse(`investments.${i}.name`, 'must differ from the others', bet.name);
    names.add(bet.name);
  }
  const book = s.book === undefined ? undefined : openingBook(s.book, s.start);
  const capital = money(s.capital, 'capital');
  if (book !== undefined) {
    const assets =
      book.cash + book.repo + book.mmf + book.bets + book.bills.reduce((a, b) => a + b.value, 0n);
    const initial = money(s.supply.initial, 'supply.initial');
    if (assets - initial !== capital)
      refuse(
        'capital',
        `must be the book's equity: its assets ${formatAmount(assets)} less supply.initial ${formatAmount(initial)}`,
        s.capital,
      );
  }
  return {
    ...s,
    book,
    capital,
    supply: { ...s.supply, initial: money(s.supply.initial, 'supply.initial'), points },
    reserves: { ...s.reserves, tenorsDays: [...s.reserves.tenorsDays] },
    operatingCostsPerYear: money(s.operatingCostsPerYear, 'operatingCostsPerYear'),
    investments: s.investments.map((bet, i) => ({
      ...bet,
      amount: money(bet.amount, `investments.${i}.amount`),
      day: inside(bet.day, `investments.${i}.day`),
    })),
    stresses: s.stresses.map((stress, i) => ({
      ...stress,
      day: inside(stress.day, `stresses.${i}.day`),
      ...('amount' in stress && stress.amount !== undefined
        ? { amount: money(stress.amount, `stresses.${i}.amount`) }
        : {}),
    })) as Stress[],
  };
}

/** The opening book, checked: each bill matures after the first day and is carried at most at face. */
function openingBook(raw: NonNullable<ScenarioJson['book']>, start: string): OpeningBook {
  const money = (text: string, field: string) => parseAmount(text, `book.${field}`);
  return {
    cash: money(raw.cash, 'cash'),
    repo: money(raw.repo, 'repo'),
    mmf: money(raw.mmf, 'mmf'),
    bets: money(raw.bets, 'bets'),
    bills: raw.bills.map((bill, i) => {
      const field = `book.bills.${i}`;
      const face = money(bill.face, `bills.${i}.face`);
      const value = money(bill.value, `bills.${i}.value`);
      const left = daysBetween(start, isoDate(bill.maturityDate, `${field}.maturityDate`));
      if (left < 1 || left > 366)
        refuse(`${field}.maturityDate`, 'must be 1 to 366 days after start', bill.maturityDate);
      if (value > face || 2n * value < face)
        refuse(`${field}.value`, 'must be at most the face and at least half of it', bill.value);
      return { face, value, maturityDate: bill.maturityDate };
    }),
  };
}

/**
 * The JSON form of a scenario (what `parseScenario` reads back to the same scenario).
 * @example parseScenario(scenarioJson(s)) // deep-equals s
 */
export function scenarioJson(s: Scenario): ScenarioJson {
  const { book: _book, ...rest } = s;
  return {
    ...rest,
    capital: dollars(s.capital),
    supply: {
      ...s.supply,
      initial: dollars(s.supply.initial),
      points: s.supply.points.map((p) => ({ date: p.date, supply: dollars(p.supply) })),
    },
    reserves: { ...s.reserves, tenorsDays: [...s.reserves.tenorsDays] },
    operatingCostsPerYear: dollars(s.operatingCostsPerYear),
    investments: s.investments.map((b) => ({ ...b, amount: dollars(b.amount) })),
    stresses: s.stresses.map((x) =>
      x.kind === 'bank-failure' && x.amount !== undefined
        ? { ...x, amount: dollars(x.amount) }
        : { ...x },
    ) as ScenarioJson['stresses'],
    rates: { ...s.rates },
    fees: { ...s.fees },
    monteCarlo: { ...s.monteCarlo },
    ...(s.book === undefined
      ? {}
      : {
          book: {
            cash: dollars(s.book.cash),
            repo: dollars(s.book.repo),
            mmf: dollars(s.book.mmf),
            bets: dollars(s.book.bets),
            bills: s.book.bills.map((b) => ({
              face: dollars(b.face),
              value: dollars(b.value),
              maturityDate: b.maturityDate,
            })),
          },
        }),
  };
}

/**
 * Micro-dollars as the scenario's JSON writes dollars: no trailing zeros.
 * @example dollars(1_500_000n) === '1.5' && dollars(2_000_000n) === '2'
 */
export function dollars(micro: bigint): string {
  return formatAmount(micro).replace(/\.?0+$/, '');
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let at = raw;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/**
 * Sets one field of a scenario's JSON form by its dotted path (`reserves.cashBps=500`,
 * `investments.0.amount=300000000`, `rates.kind=hold`): a number where the field holds a
 * number, else the text; a new entry of a list is refused, and so is a path to nowhere.
 * Returns a new JSON form; the result is checked by `parseScenario`.
 * @example setField(json, 'days=30').days === 30
 */
export function setField(json: ScenarioJson, assignment: string): ScenarioJson {
  const at = assignment.indexOf('=');
  if (at <= 0)
    refuse('set', 'must be key=value, the key a dotted path', JSON.stringify(assignment));
  const path = assignment.slice(0, at).split('.');
  const text = assignment.slice(at + 1);
  const copy = structuredClone(json) as unknown as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const [i, key] of path.entries()) {
    const field = path.slice(0, i + 1).join('.');
    if (!Object.hasOwn(node, key) && !(i === path.length - 1 && isOptional(path)))
      refuse(field, 'names no field of the scenario', JSON.stringify(assignment));
    if (i === path.length - 1) {
      const old = node[key];
      node[key] =
        typeof old === 'number' || (old === undefined && /^-?[0-9]+$/.test(text))
          ? numberOf(text, field)
          : text;
      break;
    }
    const next = node[key];
    if (next === null || typeof next !== 'object')
      refuse(field, 'is a value, not a group of fields', JSON.stringify(assignment));
    node = next as Record<string, unknown>;
  }
  return copy as unknown as ScenarioJson;
}

/** The optional fields a `--set` may add. */
function isOptional(path: readonly string[]): boolean {
  if (path[0] === 'rates')
    return (
      path.length === 2 && ['bp', 'fromBp', 'cutBp', 'everyDays', 'floorBp'].includes(path[1]!)
    );
  return path.length === 3 && path[0] === 'stresses' && path[2] === 'amount';
}

function numberOf(text: string, field: string): number {
  if (!/^-?[0-9]{1,15}$/.test(text)) refuse(field, 'must be a whole number', JSON.stringify(text));
  return Number(text);
}
