/**
 * A bill ladder: `rungs` lots maturing `spacingDays` apart, holding `faceTotal` in all. On
 * each roll date every empty rung (no open lot of the ladder maturing within its week) is
 * bought, face split equally in $100 multiples (the last empty rung takes the remainder), so
 * the first roll builds the whole ladder and each later one replaces what matured with a bill
 * of the longest term. Lots of a ladder are named by it (`ladder-<name>-<maturity date>`), so
 * a roll repeated on the same day buys nothing twice.
 *
 * The price is the day's discount rate for the bill's term (../reserves/rates.ts). A bill's
 * CUSIP is Treasury's: `cusipFor` maps a maturity date to it (bills of one maturity date share
 * a CUSIP).
 */
import { addDays, daysBetween, isoDate } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import type { Micro } from '../money/money.ts';
import { type RateCurve, rateOn } from '../reserves/rates.ts';
import type { Actor } from '../workflow/actors.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { billOf, buyBill, type Custody } from './book.ts';
import { type StoredPosition, selectPositions } from './positions.ts';

/** The shape of a ladder. */
export interface LadderPolicy extends Custody {
  readonly name: string;
  readonly rungs: number;
  readonly spacingDays: number;
  readonly faceTotal: Micro;
  /** The bank that pays for the bills and receives them at maturity. */
  readonly bank: string;
}

/** Bills are sold in multiples of $100 face. */
const faceUnit = 100_000_000n;

/** The open lots of the ladder `name`. */
export function ladderLots(ctx: IssuanceContext, name: string): Promise<StoredPosition[]> {
  return selectPositions(ctx.db, `p.kind = 'tbill' AND p.status = 'open' AND p.id LIKE $1`, [
    `tbill:%:ladder-${name}-%`,
  ]);
}

/**
 * Buys the empty rungs of the ladder on `asOf` at the curve's rate; returns the lots bought.
 * @example await rollLadder(ctx, treasurer, { name: 'main', rungs: 13, spacingDays: 7, faceTotal, bank: 'bank-a', custodian: 'BNY', jurisdiction: 'US' }, '2024-01-04', dtb3, cusipFor)
 */
export async function rollLadder(
  ctx: IssuanceContext,
  actor: Actor,
  policy: LadderPolicy,
  asOf: string,
  curve: RateCurve,
  cusipFor: (maturityDate: string) => string,
): Promise<StoredPosition[]> {
  const day = isoDate(asOf, 'asOf');
  if (!Number.isSafeInteger(policy.rungs) || policy.rungs < 1 || policy.rungs > 52)
    throw new ClearpegError('ladder-invalid', 'rungs must be 1 to 52', {
      field: 'rungs',
      rule: '1..52',
    });
  if (
    !Number.isSafeInteger(policy.spacingDays) ||
    policy.spacingDays < 1 ||
    policy.spacingDays > 91
  )
    throw new ClearpegError('ladder-invalid', 'spacingDays must be 1 to 91', {
      field: 'spacingDays',
      rule: '1..91',
    });
  if (policy.faceTotal % faceUnit !== 0n || policy.faceTotal < faceUnit * BigInt(policy.rungs))
    throw new ClearpegError(
      'ladder-invalid',
      'faceTotal must be a multiple of $100, at least $100 a rung',
      {
        field: 'faceTotal',
        rule: 'a multiple of $100, at least $100 × rungs',
      },
    );
  const open = (await ladderLots(ctx, policy.name)).map(billOf);
  const openFace = open.reduce((sum, bill) => sum + bill.face, 0n);
  const empty: string[] = [];
  for (let k = 1; k <= policy.rungs; k++) {
    const maturity = addDays(day, k * policy.spacingDays);
    const taken = open.some((bill) => {
      const gap = daysBetween(bill.maturityDate, maturity);
      return gap >= 0 && gap < policy.spacingDays;
    });
    if (!taken) empty.push(maturity);
  }
  const toBuy = policy.faceTotal - openFace;
  if (empty.length === 0 || toBuy <= 0n) return [];
  const share = (toBuy / BigInt(empty.length) / faceUnit) * faceUnit;
  const bought: StoredPosition[] = [];
  for (const [i, maturity] of empty.entries()) {
    const face = (
      i === empty.length - 1 ? toBuy - share * BigInt(empty.length - 1) : share
    ) as Micro;
    const term = daysBetween(day, maturity);
    bought.push(
      await buyBill(ctx, actor, {
        reference: `ladder-${policy.name}-${maturity}`,
        cusip: cusipFor(maturity),
        face,
        issueDate: day,
        maturityDate: maturity,
        tradeDate: day,
        settlementDate: day,
        bank: policy.bank,
        discountRatePct: rateOn(curve, day, term),
        custodian: policy.custodian,
        jurisdiction: policy.jurisdiction,
        ...(policy.statement === undefined ? {} : { statement: policy.statement }),
      }),
    );
  }
  return bought;
}
