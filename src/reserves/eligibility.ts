/**
 * Reserve eligibility: rulesets as data (`data/rulesets/*.json`) and the evaluator that judges
 * a portfolio by them. Pure: the only I/O is reading a ruleset file in `loadRuleset`.
 *
 * A ruleset is a list of rules of six types (see docs/reserves.md, "Eligibility rulesets", for the language):
 *
 *   eligible-assets             which holdings count as reserves, as categories with conditions
 *   coverage                    eligible reserves ≥ liabilities × (1 + buffer)
 *   min-share                   some categories' share of liabilities or reserves ≥ X %
 *   max-share-per-counterparty  each bank's (fund's, dealer's) share ≤ X %
 *   no-fee-redemption           the issuer's redemption fee schedule charges nothing
 *   composition-report          the monthly composition report can be produced
 *
 * Arithmetic is bigint throughout. A percentage is a decimal string in the file and an exact
 * fraction in memory; every pass/fail is decided by cross-multiplication, never by a rounded
 * figure. Percentages shown in reasons and figures have two decimals, rounded against the
 * issuer: a share that must be high (coverage, a minimum share) is rounded down, a share that
 * must be low (a concentration) is rounded up. Amounts are shown by `formatAmount`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { daysBetween, isoDate, nextBusinessDay } from '../calendar.ts';
import { assert, ClearpegError } from '../errors.ts';
import { divCeil, divFloor, formatAmount, type Micro } from '../money/money.ts';
import type { ReservesErrorCode } from './errors.ts';
import {
  type Holding,
  type InstrumentKind,
  type IsoDate,
  investmentAssets,
  type Portfolio,
  type Position,
} from './instruments.ts';

/** Limits on a ruleset file: rulesets are short legal summaries, not programs. */
const rulesetBytesMax = 256 * 1024;
const rulesMax = 64;
const categoriesMax = 32;

// ---------------------------------------------------------------- percentages

/** A percentage as an exact fraction: `units / scale` percent (`"2.5"` is 25 / 10). */
export interface Percent {
  readonly units: bigint;
  readonly scale: bigint;
  /** The decimal string it was parsed from. */
  readonly text: string;
}

const percentPattern = /^(0|[1-9][0-9]{0,2})(?:\.([0-9]{1,6}))?$/;
const percentRule = 'a decimal string of percent from "0" to "100", at most 6 decimals';

/** The percentage `text` means, or undefined when it is not one from 0 to 100. */
function toPercent(text: unknown): Percent | undefined {
  const match = typeof text === 'string' ? percentPattern.exec(text) : null;
  if (match === null) return undefined;
  const [, whole, fraction = ''] = match;
  const scale = 10n ** BigInt(fraction.length);
  const units = BigInt(whole!) * scale + (fraction === '' ? 0n : BigInt(fraction));
  return units > 100n * scale ? undefined : { units, scale, text: text as string };
}

/**
 * Parses a percentage written as a decimal string (`"30"`, `"2.5"`), 0 to 100, exactly.
 * @example parsePercent('2.5') // { units: 25n, scale: 10n, text: '2.5' }
 */
export function parsePercent(text: unknown, field = 'percent'): Percent {
  const percent = toPercent(text);
  if (percent === undefined) {
    const got = typeof text === 'string' ? JSON.stringify(text.slice(0, 40)) : typeof text;
    throw new ClearpegError('percent-invalid', `${field}: must be ${percentRule} (got ${got})`, {
      field,
      rule: percentRule,
    });
  }
  return percent;
}

/** Whether `part / whole ≥ pct`, exactly (cross-multiplied; true when both are zero). */
function shareAtLeast(part: bigint, whole: bigint, pct: Percent): boolean {
  return part * pct.scale * 100n >= pct.units * whole;
}

/** Whether `part / whole ≤ pct`, exactly (cross-multiplied). */
function shareAtMost(part: bigint, whole: bigint, pct: Percent): boolean {
  return part * pct.scale * 100n <= pct.units * whole;
}

/** `amount × pct`, rounded by `rounding`. */
function applyPercent(amount: bigint, pct: Percent, rounding: 'down' | 'up'): bigint {
  const product = amount * pct.units;
  const divisor = pct.scale * 100n;
  return rounding === 'down' ? divFloor(product, divisor) : divCeil(product, divisor);
}

/** `numerator / denominator` with two decimals, rounded `down` or `up` (denominator > 0). */
function formatHundredths(numerator: bigint, denominator: bigint, rounding: 'down' | 'up'): string {
  const scaled = numerator * 100n;
  const hundredths =
    rounding === 'down' ? divFloor(scaled, denominator) : divCeil(scaled, denominator);
  const sign = hundredths < 0n ? '-' : '';
  const magnitude = hundredths < 0n ? -hundredths : hundredths;
  return `${sign}${magnitude / 100n}.${(magnitude % 100n).toString().padStart(2, '0')}`;
}

/**
 * `part / whole` in percent with two decimals, rounded `down` or `up`; undefined when
 * `whole` is zero (a share of nothing has no value).
 * @example formatSharePct(1n, 3n, 'down') === '33.33' && formatSharePct(1n, 3n, 'up') === '33.34'
 */
export function formatSharePct(
  part: bigint,
  whole: bigint,
  rounding: 'down' | 'up',
): string | undefined {
  return whole === 0n ? undefined : formatHundredths(part * 100n, whole, rounding);
}

// ---------------------------------------------------------------- the rule language

const idPattern = /^[a-z][a-z0-9-]{0,63}$/;
const ruleId = z.string().regex(idPattern, {
  error: 'an id of lowercase letters, digits and dashes, starting with a letter (at most 64)',
});
const text = (max: number) => z.string().min(1).max(max);
const percentString = z
  .string()
  .regex(percentPattern, { error: `must be ${percentRule}` })
  .refine((value) => toPercent(value) !== undefined, { error: 'must be at most 100' });
const days = z.number().int().min(0).max(36_500);

const sourceSchema = z.strictObject({
  /** The article, section or clause, as a lawyer would cite it. */
  article: text(300),
  url: z
    .string()
    .max(500)
    .regex(/^https:\/\/\S+$/, { error: 'an https URL' }),
  /** What the rule cannot check, or how a figure was chosen. */
  note: text(2000).optional(),
});

const categoryBase = { id: ruleId, description: text(1000), source: sourceSchema };
const categorySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...categoryBase,
    kind: z.literal('cash'),
    /** true: only central-bank balances; false: only commercial bank deposits. */
    centralBank: z.boolean().optional(),
    /** true: only insured depository institutions (`CashPosition.insuredInstitution`). */
    insuredInstitution: z.boolean().optional(),
  }),
  z.strictObject({
    ...categoryBase,
    kind: z.literal('tbill'),
    /** Calendar days from the portfolio date to maturity, at most. */
    maxDaysToMaturity: days.optional(),
  }),
  z.strictObject({
    ...categoryBase,
    kind: z.literal('repo'),
    /** true: the repo matures on the first US business day after it starts. */
    overnight: z.boolean().optional(),
    /** Every collateral bill matures within this many calendar days of the portfolio date. */
    collateralMaxDaysToMaturity: days.optional(),
  }),
  z.strictObject({
    ...categoryBase,
    kind: z.literal('mmf'),
    /** true: only government money-market funds. */
    government: z.boolean().optional(),
  }),
  z.strictObject({
    ...categoryBase,
    kind: z.literal('investment'),
    /** Only these kinds of investment. */
    assets: z.array(z.enum(investmentAssets)).min(1).optional(),
  }),
]);

const shareBases = ['liabilities', 'eligible-reserves', 'total-reserves'] as const;
const ruleBase = {
  id: ruleId,
  description: text(2000),
  source: sourceSchema,
  /** The rule applies only when the evaluation context matches (MiCA: significant tokens). */
  appliesWhen: z.strictObject({ significant: z.boolean() }).optional(),
};
const categoryRefs = z.array(ruleId).min(1).max(categoriesMax);

const ruleSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...ruleBase,
    type: z.literal('eligible-assets'),
    /** `exclude`: ineligible holdings are simply not counted; `fail`: any one fails the rule. */
    whenIneligible: z.enum(['exclude', 'fail']),
    categories: z.array(categorySchema).min(1).max(categoriesMax),
  }),
  z.strictObject({ ...ruleBase, type: z.literal('coverage'), bufferPct: percentString }),
  z.strictObject({
    ...ruleBase,
    type: z.literal('min-share'),
    categories: categoryRefs,
    of: z.enum(shareBases),
    minPct: percentString,
  }),
  z.strictObject({
    ...ruleBase,
    type: z.literal('max-share-per-counterparty'),
    categories: categoryRefs,
    of: z.enum(shareBases),
    maxPct: percentString,
  }),
  z.strictObject({ ...ruleBase, type: z.literal('no-fee-redemption') }),
  z.strictObject({ ...ruleBase, type: z.literal('composition-report') }),
]);

const rulesetSchema = z.strictObject({
  format: z.literal('clearpeg-ruleset/1'),
  name: ruleId,
  title: text(300),
  law: text(1000),
  url: sourceSchema.shape.url,
  rules: z.array(ruleSchema).min(1).max(rulesMax),
});

/** A ruleset as loaded and checked. */
export type Ruleset = z.output<typeof rulesetSchema>;
/** One rule of a ruleset. */
export type Rule = Ruleset['rules'][number];
/** The rule types. */
export type RuleType = Rule['type'];
/** Where a rule comes from: the article and a URL of the text. */
export type RuleSource = z.output<typeof sourceSchema>;
/** A category of eligible assets (inside an `eligible-assets` rule). */
export type EligibleCategory = z.output<typeof categorySchema>;
type EligibleAssetsRule = Extract<Rule, { type: 'eligible-assets' }>;

/** A refused ruleset file: names the file, the JSON path and the ruleset rule at fault. */
export class RulesetError extends ClearpegError {
  override name = 'RulesetError';
  /** The file (or the name given to `parseRuleset`). */
  readonly file: string;
  /** The `id` of the rule the path points into, when it points into one. */
  readonly ruleId: string | undefined;

  constructor(
    code: ReservesErrorCode,
    message: string,
    options: { file: string; field?: string; rule?: string; ruleId?: string; cause?: unknown },
  ) {
    super(code, message, options);
    this.file = options.file;
    this.ruleId = options.ruleId;
  }
}

function refuseRuleset(
  file: string,
  raw: unknown,
  path: readonly PropertyKey[],
  problem: string,
): never {
  const field = path.length === 0 ? '(root)' : path.map(String).join('.');
  let id: string | undefined;
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const rule = (raw as { rules?: unknown[] }).rules?.[path[1]] as { id?: unknown } | undefined;
    id = typeof rule?.id === 'string' ? rule.id.slice(0, 64) : undefined;
  }
  const where = id === undefined ? field : `${field} (rule "${id}")`;
  throw new RulesetError('ruleset-invalid', `${file}: ${where}: ${problem}`, {
    file,
    field,
    rule: problem,
    ...(id === undefined ? {} : { ruleId: id }),
  });
}

/**
 * Checks a parsed JSON value against the rule language and returns it as a `Ruleset`; a
 * mistake throws a `RulesetError` naming `file`, the JSON path and the rule.
 * @example parseRuleset(JSON.parse(text), 'data/rulesets/genius.json').name === 'genius'
 */
export function parseRuleset(raw: unknown, file: string): Ruleset {
  const parsed = rulesetSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = keys.length === 1 ? [...issue.path, keys[0]!] : issue.path;
    refuseRuleset(file, raw, path, issue.message);
  }
  const ruleset = parsed.data;
  const ruleIds = new Set<string>();
  const categories = new Set<string>();
  let eligibleAt: number | undefined;
  for (const [index, rule] of ruleset.rules.entries()) {
    if (ruleIds.has(rule.id))
      refuseRuleset(file, raw, ['rules', index, 'id'], `duplicate rule id "${rule.id}"`);
    ruleIds.add(rule.id);
    if (rule.type !== 'eligible-assets') continue;
    if (eligibleAt !== undefined)
      refuseRuleset(file, raw, ['rules', index], 'a ruleset has exactly one eligible-assets rule');
    eligibleAt = index;
    for (const [at, category] of rule.categories.entries()) {
      if (categories.has(category.id))
        refuseRuleset(
          file,
          raw,
          ['rules', index, 'categories', at, 'id'],
          `duplicate category id "${category.id}"`,
        );
      categories.add(category.id);
    }
  }
  if (eligibleAt === undefined)
    refuseRuleset(file, raw, ['rules'], 'a ruleset has exactly one eligible-assets rule');
  for (const [index, rule] of ruleset.rules.entries()) {
    if (rule.type !== 'min-share' && rule.type !== 'max-share-per-counterparty') continue;
    for (const [at, category] of rule.categories.entries())
      if (!categories.has(category))
        refuseRuleset(
          file,
          raw,
          ['rules', index, 'categories', at],
          `no category "${category}" in the eligible-assets rule (has ${[...categories].join(', ')})`,
        );
  }
  return ruleset;
}

/** The rulesets shipped in `data/rulesets/`. */
export const shippedRulesets = ['genius', 'mica'] as const;
export type ShippedRuleset = (typeof shippedRulesets)[number];

/**
 * Loads a ruleset: a shipped one by name (`genius`, `mica`) or any file by path.
 * @example loadRuleset('genius').rules.map((rule) => rule.id) // ['reserve-assets', …]
 */
export function loadRuleset(nameOrPath: ShippedRuleset | (string & {})): Ruleset {
  const file = (shippedRulesets as readonly string[]).includes(nameOrPath)
    ? fileURLToPath(new URL(`../../data/rulesets/${nameOrPath}.json`, import.meta.url))
    : nameOrPath;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    const reason = (cause as { code?: string }).code ?? 'unreadable';
    throw new RulesetError('ruleset-unreadable', `${file}: cannot read the ruleset (${reason})`, {
      file,
      field: 'path',
      rule: 'a readable ruleset file',
      cause,
    });
  }
  if (bytes.length > rulesetBytesMax)
    throw new RulesetError(
      'ruleset-invalid',
      `${file}: ${bytes.length} bytes, more than the ${rulesetBytesMax} a ruleset may have`,
      { file, field: '(root)', rule: `at most ${rulesetBytesMax} bytes` },
    );
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new RulesetError('ruleset-invalid', `${file}: not JSON (${(cause as Error).message})`, {
      file,
      field: '(root)',
      rule: 'a JSON document',
      cause,
    });
  }
  return parseRuleset(raw, file);
}

// ---------------------------------------------------------------- evaluation: types

/** The issuer's redemption fee schedule (the shape of the policy's `redemption` fees). */
export interface RedemptionFeeSchedule {
  /** Basis points of the amount redeemed. */
  readonly feeBps: number;
  /** The least fee on any redemption. */
  readonly feeMin: Micro;
  /** The most fee on any redemption. */
  readonly feeMax: Micro;
}

/** What the rules need to know beyond the portfolio. */
export interface EvaluationContext {
  /** Whether the token is classified significant (MiCA Art. 56, 57); needed by `appliesWhen`. */
  readonly significant?: boolean;
  /** The published redemption fee schedule; needed by `no-fee-redemption` rules. */
  readonly redemptionFee?: RedemptionFeeSchedule;
}

/** One rule's verdict. */
export interface RuleResult {
  readonly id: string;
  readonly type: RuleType;
  /** `not-applicable`: the rule's `appliesWhen` does not match the context. */
  readonly outcome: 'pass' | 'fail' | 'not-applicable';
  /** One or two sentences with the numbers. */
  readonly reason: string;
  /** The figures behind the verdict, as decimal strings (amounts with six decimals). */
  readonly figures: Readonly<Record<string, string>>;
  readonly source: RuleSource;
}

/** How a position is described in verdicts: its kind, refined (`bitcoin`, `government-mmf`). */
export type AssetClass =
  | 'central-bank-balance'
  | 'bank-deposit'
  | 'treasury-bill'
  | 'reverse-repo'
  | 'government-mmf'
  | 'mmf'
  | (typeof investmentAssets)[number];

/** Whether one holding counts as a reserve, and why (not). */
export interface HoldingVerdict {
  readonly id: string;
  readonly kind: InstrumentKind;
  readonly assetClass: AssetClass;
  readonly value: Micro;
  readonly eligible: boolean;
  /** The eligible category that admitted it. */
  readonly category?: string;
  readonly reason: string;
}

/** The holdings of one asset class that do not count, with their total and why. */
export interface IneligibleEntry {
  readonly assetClass: AssetClass;
  readonly amount: Micro;
  readonly holdings: readonly string[];
  readonly reason: string;
}

/** The portfolio's totals under the ruleset. */
export interface EligibilityTotals {
  /** Every holding's value, eligible or not. */
  readonly totalReserves: Micro;
  readonly eligibleReserves: Micro;
  readonly liabilities: Micro;
  /**
   * Eligible reserves ÷ liabilities in percent, two decimals, rounded down (never overstated);
   * null when there are no liabilities.
   */
  readonly coverageRatioPct: string | null;
  /** Eligible reserves − liabilities when positive, else 0. */
  readonly excess: Micro;
  /** Liabilities − eligible reserves when positive, else 0. */
  readonly shortfall: Micro;
}

/** The judgement of a portfolio by a ruleset. */
export interface EligibilityReport {
  readonly ruleset: string;
  readonly asOf: IsoDate;
  /** Every applicable rule passed. */
  readonly passed: boolean;
  readonly rules: readonly RuleResult[];
  readonly holdings: readonly HoldingVerdict[];
  /** Ineligible holdings grouped by asset class, in order of first appearance. */
  readonly ineligible: readonly IneligibleEntry[];
  readonly totals: EligibilityTotals;
}

// ---------------------------------------------------------------- evaluation: the portfolio

function refuseInput(field: string, rule: string, problem: string): never {
  throw new ClearpegError('portfolio-invalid', `${field}: ${problem}`, { field, rule });
}

function checkAmount(value: unknown, field: string): Micro {
  if (typeof value !== 'bigint' || value < 0n)
    refuseInput(
      field,
      'a non-negative bigint of micro-dollars',
      `must be a non-negative bigint of micro-dollars (got ${typeof value === 'bigint' ? `${value}n` : typeof value})`,
    );
  return value as Micro;
}

/**
 * Checks a portfolio before any rule reads it: a real `asOf` date, amounts that are
 * non-negative bigints, real maturity dates, and each `daysToMaturity` equal to the calendar
 * days from `asOf` to the position's maturity date. Throws `portfolio-invalid`.
 * @example checkPortfolio({ asOf: '2024-12-31', liabilities: 0n, holdings: [] })
 */
export function checkPortfolio(portfolio: Portfolio): void {
  isoDate(portfolio.asOf, 'asOf');
  checkAmount(portfolio.liabilities, 'liabilities');
  for (const [index, holding] of portfolio.holdings.entries()) {
    const field = `holdings.${index}`;
    checkAmount(holding.value, `${field}.value`);
    const position = holding.position;
    if (position.kind === 'tbill' || position.kind === 'repo') {
      if (position.kind === 'repo') {
        isoDate(position.startDate, `${field}.position.startDate`);
        for (const [at, bill] of position.collateral.entries())
          isoDate(bill.maturityDate, `${field}.position.collateral.${at}.maturityDate`);
      }
      const maturity = isoDate(position.maturityDate, `${field}.position.maturityDate`);
      const days = daysBetween(portfolio.asOf, maturity);
      if (holding.daysToMaturity !== undefined && holding.daysToMaturity !== days)
        refuseInput(
          `${field}.daysToMaturity`,
          'calendar days from asOf to maturity',
          `${position.id}: ${holding.daysToMaturity} days does not match ${portfolio.asOf} to ${position.maturityDate} (${days} days)`,
        );
    }
  }
}

/**
 * Calendar days from `asOf` to the holding's maturity; 0 for what has none (cash, funds).
 * @example holdingDaysToMaturity('2024-12-31', billMaturing('2025-03-31')) === 90
 */
export function holdingDaysToMaturity(asOf: IsoDate, holding: Holding): number {
  const position = holding.position;
  return position.kind === 'tbill' || position.kind === 'repo'
    ? daysBetween(asOf, position.maturityDate)
    : 0;
}

function assetClassOf(position: Position): AssetClass {
  switch (position.kind) {
    case 'cash':
      return position.centralBank ? 'central-bank-balance' : 'bank-deposit';
    case 'tbill':
      return 'treasury-bill';
    case 'repo':
      return 'reverse-repo';
    case 'mmf':
      return position.government ? 'government-mmf' : 'mmf';
    case 'investment':
      return position.asset;
  }
}

/** Who a holding's money is owed by, for concentration limits. */
function counterpartyOf(position: Position): string {
  switch (position.kind) {
    case 'cash':
      return position.bank;
    case 'tbill':
      return 'us-treasury';
    case 'repo':
      return position.counterparty;
    case 'mmf':
      return position.fund;
    case 'investment':
      return position.name;
  }
}

// ---------------------------------------------------------------- evaluation: eligibility

/** Why `holding` fails `category`'s conditions, or undefined when it meets them all. */
function conditionFailure(
  category: EligibleCategory,
  holding: Holding,
  asOf: IsoDate,
): string | undefined {
  const position = holding.position;
  switch (category.kind) {
    case 'cash': {
      if (position.kind !== 'cash') return 'not cash';
      if (category.centralBank !== undefined && position.centralBank !== category.centralBank)
        return position.centralBank
          ? 'a central-bank balance, not a deposit at a commercial bank'
          : `a deposit at ${position.bank}, not a central-bank balance`;
      if (category.insuredInstitution === true && !position.insuredInstitution)
        return `${position.bank} is not an insured depository institution`;
      return undefined;
    }
    case 'tbill': {
      if (position.kind !== 'tbill') return 'not a Treasury bill';
      const days = daysBetween(asOf, position.maturityDate);
      if (category.maxDaysToMaturity !== undefined && days > category.maxDaysToMaturity)
        return `matures in ${days} days, more than ${category.maxDaysToMaturity}`;
      return undefined;
    }
    case 'repo': {
      if (position.kind !== 'repo') return 'not a repo';
      if (category.overnight === true) {
        const overnightEnd = nextBusinessDay(position.startDate);
        if (position.maturityDate !== overnightEnd)
          return `runs from ${position.startDate} to ${position.maturityDate}, not overnight (which would end ${overnightEnd})`;
      }
      const limit = category.collateralMaxDaysToMaturity;
      if (limit !== undefined) {
        if (position.collateral.length === 0) return 'lists no collateral';
        for (const bill of position.collateral) {
          const days = daysBetween(asOf, bill.maturityDate);
          if (days > limit)
            return `collateral ${bill.cusip} matures in ${days} days, more than ${limit}`;
        }
      }
      return undefined;
    }
    case 'mmf': {
      if (position.kind !== 'mmf') return 'not a money-market fund';
      if (category.government === true && !position.government)
        return `${position.fund} is not a government money-market fund`;
      if (category.government === false && position.government)
        return `${position.fund} is a government money-market fund`;
      return undefined;
    }
    case 'investment': {
      if (position.kind !== 'investment') return 'not an investment';
      if (category.assets !== undefined && !category.assets.includes(position.asset))
        return `${position.asset} is not one of ${category.assets.join(', ')}`;
      return undefined;
    }
  }
}

function classify(
  ruleset: Ruleset,
  rule: EligibleAssetsRule,
  holding: Holding,
  asOf: IsoDate,
): HoldingVerdict {
  const position = holding.position;
  const base = {
    id: position.id,
    kind: position.kind,
    assetClass: assetClassOf(position),
    value: holding.value,
  };
  if ((position.kind === 'tbill' || position.kind === 'repo') && position.maturityDate < asOf)
    return {
      ...base,
      eligible: false,
      reason: `matured on ${position.maturityDate} and is still open on ${asOf}: it counts again once the cash arrives`,
    };
  const sameKind = rule.categories.filter((category) => category.kind === position.kind);
  const failures: string[] = [];
  for (const category of sameKind) {
    const failure = conditionFailure(category, holding, asOf);
    if (failure === undefined)
      return {
        ...base,
        eligible: true,
        category: category.id,
        reason: `eligible as ${category.id} (${category.source.article})`,
      };
    failures.push(`${category.id} (${category.source.article}): ${failure}`);
  }
  const reason =
    failures.length === 0
      ? `${ruleset.name} admits no ${base.assetClass} as a reserve asset (${rule.source.article} lists those that count)`
      : `not eligible: ${failures.join('; ')}`;
  return { ...base, eligible: false, reason };
}

function groupIneligible(verdicts: readonly HoldingVerdict[]): IneligibleEntry[] {
  const groups = new Map<
    AssetClass,
    { amount: bigint; holdings: string[]; reasons: Set<string> }
  >();
  for (const verdict of verdicts) {
    if (verdict.eligible) continue;
    let group = groups.get(verdict.assetClass);
    if (group === undefined) {
      group = { amount: 0n, holdings: [], reasons: new Set() };
      groups.set(verdict.assetClass, group);
    }
    group.amount += verdict.value;
    group.holdings.push(verdict.id);
    group.reasons.add(verdict.reason); // each distinct reason once, in first-seen order
  }
  return [...groups].map(([assetClass, group]) => ({
    assetClass,
    amount: group.amount as Micro,
    holdings: group.holdings,
    reason: [...group.reasons].join('; '),
  }));
}

// ---------------------------------------------------------------- evaluation: rules

interface State {
  readonly ruleset: Ruleset;
  readonly portfolio: Portfolio;
  readonly context: EvaluationContext;
  readonly verdicts: readonly HoldingVerdict[];
  readonly totals: EligibilityTotals;
}

type Verdict = Pick<RuleResult, 'outcome' | 'reason' | 'figures'>;

const amount = formatAmount;

/** `n` and a noun, plural when n ≠ 1. */
function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

function shareBase(state: State, of: (typeof shareBases)[number]): bigint {
  switch (of) {
    case 'liabilities':
      return state.totals.liabilities;
    case 'eligible-reserves':
      return state.totals.eligibleReserves;
    case 'total-reserves':
      return state.totals.totalReserves;
  }
}

function baseWords(of: (typeof shareBases)[number]): string {
  return of === 'liabilities' ? 'liabilities' : of.replace('-', ' ');
}

function judgeEligibleAssets(rule: EligibleAssetsRule, state: State): Verdict {
  const { totals, verdicts } = state;
  const ineligible = verdicts.filter((verdict) => !verdict.eligible);
  const ineligibleAmount = totals.totalReserves - totals.eligibleReserves;
  const figures = {
    eligibleReserves: amount(totals.eligibleReserves),
    totalReserves: amount(totals.totalReserves),
    ineligibleReserves: amount(ineligibleAmount),
    holdingsEligible: String(verdicts.length - ineligible.length),
    holdingsIneligible: String(ineligible.length),
  };
  if (ineligible.length === 0)
    return {
      outcome: 'pass',
      reason: `All ${count(verdicts.length, 'holding')}, ${amount(totals.totalReserves)} in total, are eligible reserve assets.`,
      figures,
    };
  const classes = groupIneligible(verdicts)
    .map((entry) => `${entry.assetClass} ${amount(entry.amount)}`)
    .join(', ');
  const counted = `${amount(totals.eligibleReserves)} of ${amount(totals.totalReserves)} counts as eligible reserves`;
  return rule.whenIneligible === 'fail'
    ? {
        outcome: 'fail',
        reason: `${count(ineligible.length, 'holding')} worth ${amount(ineligibleAmount)} are not eligible reserve assets (${classes}), and this ruleset allows none; ${counted}.`,
        figures,
      }
    : {
        outcome: 'pass',
        reason: `${counted}; ${count(ineligible.length, 'holding')} worth ${amount(ineligibleAmount)} ${ineligible.length === 1 ? 'is' : 'are'} not eligible and not counted (${classes}).`,
        figures,
      };
}

function judgeCoverage(rule: Extract<Rule, { type: 'coverage' }>, state: State): Verdict {
  const { eligibleReserves, liabilities } = state.totals;
  const buffer = parsePercent(rule.bufferPct, 'bufferPct');
  const factor: Percent = {
    units: 100n * buffer.scale + buffer.units,
    scale: buffer.scale,
    text: `100 + ${buffer.text}`,
  };
  // eligible ≥ liabilities × (100 + buffer) / 100, decided exactly.
  const passes = eligibleReserves * factor.scale * 100n >= liabilities * factor.units;
  const required = applyPercent(liabilities, factor, 'up');
  const ratio = formatSharePct(eligibleReserves, liabilities, 'down');
  const figures: Record<string, string> = {
    eligibleReserves: amount(eligibleReserves),
    liabilities: amount(liabilities),
    bufferPct: rule.bufferPct,
    requiredReserves: amount(required),
    ...(ratio === undefined ? {} : { coverageRatioPct: ratio }),
    excess: amount(passes ? eligibleReserves - required : 0n),
    shortfall: amount(passes ? 0n : required - eligibleReserves),
  };
  const needed = `at least ${amount(required)} (liabilities of ${amount(liabilities)} plus a ${rule.bufferPct} % buffer) is required`;
  const covered =
    ratio === undefined
      ? `Eligible reserves are ${amount(eligibleReserves)} and there are no liabilities`
      : `Eligible reserves of ${amount(eligibleReserves)} cover ${ratio} % of liabilities of ${amount(liabilities)}`;
  return passes
    ? { outcome: 'pass', reason: `${covered}; ${needed}.`, figures }
    : {
        outcome: 'fail',
        reason: `${covered}; ${needed}: a shortfall of ${figures.shortfall}.`,
        figures,
      };
}

function categoryAmount(state: State, categories: readonly string[]): bigint {
  let sum = 0n;
  for (const verdict of state.verdicts)
    if (verdict.eligible && categories.includes(verdict.category!)) sum += verdict.value;
  return sum;
}

function judgeMinShare(rule: Extract<Rule, { type: 'min-share' }>, state: State): Verdict {
  const minimum = parsePercent(rule.minPct, 'minPct');
  const part = categoryAmount(state, rule.categories);
  const whole = shareBase(state, rule.of);
  const passes = shareAtLeast(part, whole, minimum);
  const required = applyPercent(whole, minimum, 'up');
  const share = formatSharePct(part, whole, 'down');
  const figures: Record<string, string> = {
    amount: amount(part),
    base: amount(whole),
    ...(share === undefined ? {} : { sharePct: share }),
    minPct: rule.minPct,
    requiredAmount: amount(required),
    shortfall: amount(passes || required < part ? 0n : required - part),
  };
  const what = rule.categories.join(' + ');
  const reason =
    share === undefined
      ? `There are no ${baseWords(rule.of)}, so ${what} of ${amount(part)} meets the ${rule.minPct} % minimum.`
      : `${what} is ${amount(part)}, ${share} % of ${baseWords(rule.of)} of ${amount(whole)}; the minimum is ${rule.minPct} % (${amount(required)})${passes ? '.' : `: short by ${figures.shortfall}.`}`;
  return { outcome: passes ? 'pass' : 'fail', reason, figures };
}

function judgeMaxSharePerCounterparty(
  rule: Extract<Rule, { type: 'max-share-per-counterparty' }>,
  state: State,
): Verdict {
  const maximum = parsePercent(rule.maxPct, 'maxPct');
  const whole = shareBase(state, rule.of);
  const byCounterparty = new Map<string, bigint>();
  for (const [index, verdict] of state.verdicts.entries()) {
    if (!verdict.eligible || !rule.categories.includes(verdict.category!)) continue;
    const counterparty = counterpartyOf(state.portfolio.holdings[index]!.position);
    byCounterparty.set(counterparty, (byCounterparty.get(counterparty) ?? 0n) + verdict.value);
  }
  const limit = applyPercent(whole, maximum, 'down');
  const figures: Record<string, string> = {
    base: amount(whole),
    maxPct: rule.maxPct,
    limitAmount: amount(limit),
    counterparties: String(byCounterparty.size),
  };
  const over: string[] = [];
  let largest: [string, bigint] | undefined;
  for (const [counterparty, part] of byCounterparty) {
    const share = formatSharePct(part, whole, 'up');
    figures[`counterparty.${counterparty}.amount`] = amount(part);
    if (share !== undefined) figures[`counterparty.${counterparty}.sharePct`] = share;
    if (largest === undefined || part > largest[1]) largest = [counterparty, part];
    if (!shareAtMost(part, whole, maximum))
      over.push(
        `${counterparty} holds ${amount(part)}${share === undefined ? '' : ` (${share} %)`}`,
      );
  }
  const what = rule.categories.join(' + ');
  if (largest === undefined)
    return { outcome: 'pass', reason: `There is no ${what} to concentrate.`, figures };
  const largestShare = formatSharePct(largest[1], whole, 'up');
  if (largestShare !== undefined) figures.largestSharePct = largestShare;
  const limitWords = `the limit is ${rule.maxPct} % of ${baseWords(rule.of)} of ${amount(whole)} (${amount(limit)}) per counterparty`;
  return over.length === 0
    ? {
        outcome: 'pass',
        reason: `${what} is spread over ${count(byCounterparty.size, 'counterparty', 'counterparties')}, the largest (${largest[0]}) holding ${amount(largest[1])}${largestShare === undefined ? '' : ` (${largestShare} %)`}; ${limitWords}.`,
        figures,
      }
    : {
        outcome: 'fail',
        reason: `${over.join('; ')}; ${limitWords}.`,
        figures,
      };
}

function judgeNoFeeRedemption(rule: Rule, state: State): Verdict {
  const fee = state.context.redemptionFee;
  if (fee === undefined)
    throw new ClearpegError(
      'evaluation-context-missing',
      `context.redemptionFee: rule "${rule.id}" (${rule.type}) needs the issuer's redemption fee schedule`,
      { field: 'context.redemptionFee', rule: `rule "${rule.id}" needs the fee schedule` },
    );
  if (!Number.isSafeInteger(fee.feeBps) || fee.feeBps < 0)
    throw new ClearpegError(
      'evaluation-context-invalid',
      `context.redemptionFee.feeBps: must be a whole number of basis points, 0 or more (got ${fee.feeBps})`,
      { field: 'context.redemptionFee.feeBps', rule: 'a whole number ≥ 0' },
    );
  checkAmount(fee.feeMin, 'context.redemptionFee.feeMin');
  checkAmount(fee.feeMax, 'context.redemptionFee.feeMax');
  const figures = {
    feeBps: String(fee.feeBps),
    feeMin: amount(fee.feeMin),
    feeMax: amount(fee.feeMax),
  };
  // The fee on any amount is max(feeMin, amount × feeBps), capped by feeMax and the amount:
  // it is zero for every amount exactly when feeMin is zero and either feeBps or feeMax is.
  const free = fee.feeMin === 0n && (fee.feeBps === 0 || fee.feeMax === 0n);
  const schedule = `${fee.feeBps} bp, at least ${amount(fee.feeMin)}, at most ${amount(fee.feeMax)}`;
  return free
    ? {
        outcome: 'pass',
        reason: `Redemption is free: the fee schedule (${schedule}) charges nothing on any amount.`,
        figures,
      }
    : {
        outcome: 'fail',
        reason: `Redemption must not be subject to a fee, but the fee schedule charges ${schedule}.`,
        figures,
      };
}

function judgeCompositionReport(state: State): Verdict {
  const { portfolio, verdicts, totals } = state;
  const perCategory = new Map<
    string,
    { value: bigint; dayValue: bigint; custody: Map<string, bigint> }
  >();
  const missing: string[] = [];
  for (const [index, verdict] of verdicts.entries()) {
    if (!verdict.eligible) continue;
    const holding = portfolio.holdings[index]!;
    const { custodian, jurisdiction } = holding.position;
    if (typeof custodian !== 'string' || custodian.trim() === '')
      missing.push(`${verdict.id} names no custodian`);
    if (typeof jurisdiction !== 'string' || !/^[A-Z]{2}$/.test(jurisdiction)) {
      missing.push(`${verdict.id} has no ISO 3166 country of custody`);
      continue;
    }
    let entry = perCategory.get(verdict.category!);
    if (entry === undefined) {
      entry = { value: 0n, dayValue: 0n, custody: new Map() };
      perCategory.set(verdict.category!, entry);
    }
    entry.value += verdict.value;
    entry.dayValue += verdict.value * BigInt(holdingDaysToMaturity(portfolio.asOf, holding));
    entry.custody.set(jurisdiction, (entry.custody.get(jurisdiction) ?? 0n) + verdict.value);
  }
  const figures: Record<string, string> = {
    totalOutstanding: amount(totals.liabilities),
    eligibleReserves: amount(totals.eligibleReserves),
  };
  for (const [category, entry] of perCategory) {
    figures[`reserves.${category}.amount`] = amount(entry.value);
    // Value-weighted days to maturity, two decimals, rounded down; cash and fund shares count 0.
    figures[`reserves.${category}.averageTenorDays`] =
      entry.value === 0n ? '0.00' : formatHundredths(entry.dayValue, entry.value, 'down');
    for (const [country, value] of entry.custody)
      figures[`reserves.${category}.custody.${country}`] = amount(value);
  }
  if (missing.length > 0)
    return {
      outcome: 'fail',
      reason: `The monthly composition cannot be published: ${missing.join('; ')}.`,
      figures,
    };
  return {
    outcome: 'pass',
    reason: `The monthly composition can be published: ${amount(totals.liabilities)} tokens outstanding against ${amount(totals.eligibleReserves)} of eligible reserves in ${count(perCategory.size, 'category', 'categories')}, each with its amount, average tenor and country of custody.`,
    figures,
  };
}

function judge(rule: Rule, state: State): RuleResult {
  const head = { id: rule.id, type: rule.type, source: rule.source };
  if (rule.appliesWhen !== undefined) {
    const significant = state.context.significant;
    if (typeof significant !== 'boolean')
      throw new ClearpegError(
        'evaluation-context-missing',
        `context.significant: rule "${rule.id}" applies only when the token is ${rule.appliesWhen.significant ? '' : 'not '}significant; say whether it is`,
        { field: 'context.significant', rule: `rule "${rule.id}" needs context.significant` },
      );
    if (significant !== rule.appliesWhen.significant)
      return {
        ...head,
        outcome: 'not-applicable',
        reason: `Applies only to ${rule.appliesWhen.significant ? 'significant' : 'non-significant'} tokens; this token is ${significant ? '' : 'not '}significant.`,
        figures: {},
      };
  }
  switch (rule.type) {
    case 'eligible-assets':
      return { ...head, ...judgeEligibleAssets(rule, state) };
    case 'coverage':
      return { ...head, ...judgeCoverage(rule, state) };
    case 'min-share':
      return { ...head, ...judgeMinShare(rule, state) };
    case 'max-share-per-counterparty':
      return { ...head, ...judgeMaxSharePerCounterparty(rule, state) };
    case 'no-fee-redemption':
      return { ...head, ...judgeNoFeeRedemption(rule, state) };
    case 'composition-report':
      return { ...head, ...judgeCompositionReport(state) };
  }
}

/**
 * Judges `portfolio` by `ruleset`: which holdings count as reserves and why not, the totals
 * (eligible reserves, coverage ratio, excess or shortfall) and a verdict with the numbers for
 * every rule. Bad input throws `portfolio-invalid`; a rule that needs a context field that is
 * missing throws `evaluation-context-missing`.
 * @example
 * const result = evaluate(loadRuleset('genius'), portfolio, {});
 * result.totals.coverageRatioPct // '82.80'
 */
export function evaluate(
  ruleset: Ruleset,
  portfolio: Portfolio,
  context: EvaluationContext = {},
): EligibilityReport {
  checkPortfolio(portfolio);
  const eligibleRule = ruleset.rules.find(
    (rule): rule is EligibleAssetsRule => rule.type === 'eligible-assets',
  );
  assert(eligibleRule !== undefined, 'a parsed ruleset has an eligible-assets rule');
  const verdicts = portfolio.holdings.map((holding) =>
    classify(ruleset, eligibleRule, holding, portfolio.asOf),
  );
  let totalReserves = 0n;
  let eligibleReserves = 0n;
  for (const verdict of verdicts) {
    totalReserves += verdict.value;
    if (verdict.eligible) eligibleReserves += verdict.value;
  }
  const liabilities = portfolio.liabilities;
  const totals: EligibilityTotals = {
    totalReserves: totalReserves as Micro,
    eligibleReserves: eligibleReserves as Micro,
    liabilities,
    coverageRatioPct: formatSharePct(eligibleReserves, liabilities, 'down') ?? null,
    excess: (eligibleReserves > liabilities ? eligibleReserves - liabilities : 0n) as Micro,
    shortfall: (liabilities > eligibleReserves ? liabilities - eligibleReserves : 0n) as Micro,
  };
  assert(
    totals.eligibleReserves + totals.shortfall - totals.excess === liabilities,
    'eligible + shortfall − excess = liabilities',
  );
  const state: State = { ruleset, portfolio, context, verdicts, totals };
  const rules = ruleset.rules.map((rule) => judge(rule, state));
  return {
    ruleset: ruleset.name,
    asOf: portfolio.asOf,
    passed: rules.every((rule) => rule.outcome !== 'fail'),
    rules,
    holdings: verdicts,
    ineligible: groupIneligible(verdicts),
    totals,
  };
}
