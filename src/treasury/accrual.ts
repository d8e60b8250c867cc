/**
 * The daily accrual job: for every open bill lot and every day from the day after its last
 * accrued day through `through` (never past its maturity), one ledger transfer
 * `reserves:tbill:<cusip>` ← `income:interest` of that day's effective-interest accretion
 * (../reserves/accretion.ts: a lot's daily amounts sum to exactly face − cost).
 *
 * Once per (lot, day): the transfer's id is named by the lot and the day, so a run repeated,
 * or retried after a crash between the ledger's commit and the lot's `accrued_through`
 * (`reserve_accruals`, a narrow row per lot: migration 0008),
 * posts nothing twice; after downtime one run backfills every missed day, once. Then the
 * lots due by `through` are matured (./book.ts). A day's accretion is booked when the day
 * begins: it is fixed by the lot's terms, with no market input.
 */
import { addDays, isoDate } from '../calendar.ts';
import { assert, ClearpegError } from '../errors.ts';
import type { Command, Uuid } from '../ledger/types.ts';
import { namedUuid } from '../ledger/uuid.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { type AccretingBill, accretionBetween } from '../reserves/accretion.ts';
import { type SqlExecutor, selectTuples } from '../storage/sql.ts';
import { incomeInterest, reservesTbill, usd } from '../workflow/accounts.ts';
import { type Actor, systemActor } from '../workflow/actors.ts';
import { audited, type IssuanceContext } from '../workflow/context.ts';
import { matureBills } from './book.ts';

/** What one run did. */
export interface AccrualRun {
  readonly through: string;
  /** Lots accrued. */
  readonly lots: number;
  /** (lot, day) pairs booked, zero amounts included. */
  readonly days: number;
  /** Ledger transfers made (a day whose accretion rounds to zero makes none). */
  readonly transfers: number;
  /** Interest booked. */
  readonly amount: Micro;
  /** Lots matured after accruing. */
  readonly matured: number;
}

/** A (lot, day)'s transfer id. */
export function accrualTransferId(positionId: string, day: string): Uuid {
  return namedUuid('clearpeg-accrual/1', `${positionId}:${day}`);
}

/** An open bill lot as the job reads it: what accretion needs, and how far it has gone. */
interface AccruingLot extends AccretingBill {
  readonly id: string;
  readonly cusip: string;
  readonly accruedThrough: string;
}

/**
 * The open lots (or lot `positionId`) not yet accrued through `day` (or their maturity), in
 * id order: only the seven columns accretion needs.
 */
async function accruing(db: SqlExecutor, day: string, positionId?: string): Promise<AccruingLot[]> {
  const lots = await selectTuples<string[]>(
    db,
    [
      'p.id',
      'p.cusip',
      'p.face::text',
      'p.cost::text',
      'a.settlement_date',
      'a.maturity_date',
      'a.accrued_through',
    ],
    `reserve_accruals a JOIN reserve_positions p ON p.id = a.position_id
     WHERE p.status = 'open' AND a.accrued_through < least($1::date, a.maturity_date)${
       positionId === undefined ? '' : ' AND p.id = $2'
     }`,
    'p.id',
    positionId === undefined ? [day] : [day, positionId],
  );
  return lots.map(([id, cusip, face, cost, settlementDate, maturityDate, accruedThrough]) => ({
    id: id!,
    cusip: cusip!,
    face: BigInt(face!) as Micro,
    cost: BigInt(cost!) as Micro,
    settlementDate: settlementDate!,
    maturityDate: maturityDate!,
    accruedThrough: accruedThrough!,
  }));
}

/**
 * Posts the accretion of every open lot (or of `positionId` only) for every day not yet
 * accrued through `through`; then matures the lots due (unless one lot is asked for).
 * @example await accrue(ctx, '2024-12-31')
 */
export async function accrue(
  ctx: IssuanceContext,
  through: string,
  options: { positionId?: string; actor?: Actor } = {},
): Promise<AccrualRun> {
  const actor = options.actor ?? systemActor;
  const day = isoDate(through, 'through');
  return audited(ctx, actor, 'reserves.accrue', options.positionId ?? day, async (commit) => {
    const lots = await accruing(ctx.db, day, options.positionId);
    // The ledger remembers accounts' ids: after a process's first run, no read at all.
    const income = await ctx.ledger.accountIdOf(incomeInterest);
    const ids = new Map<string, Uuid>();
    for (const cusip of new Set(lots.map((lot) => lot.cusip)))
      ids.set(cusip, await ctx.ledger.accountIdOf(reservesTbill(cusip)));
    const commands: Command[] = [];
    const advanced: string[] = [];
    let days = 0;
    let amount = 0n;
    for (const lot of lots) {
      const account = ids.get(lot.cusip)!;
      let d = lot.accruedThrough;
      for (const accreted of accretionBetween(lot, d, day)) {
        d = addDays(d, 1);
        days++;
        if (accreted === 0n) continue;
        amount += accreted;
        commands.push({
          type: 'transfer',
          id: accrualTransferId(lot.id, d),
          asset: usd,
          postings: [{ debit: account, credit: income, amount: accreted }],
          metadata: { 'reserves.position': lot.id, 'reserves.op': 'accrue', 'reserves.day': d },
        });
      }
      advanced.push(lot.id);
    }
    const outcomes = commands.length === 0 ? [] : await ctx.ledger.submit(commands);
    const refused = outcomes.find((outcome) => outcome.status !== 'committed');
    if (refused !== undefined)
      throw new ClearpegError(
        'accrual-refused',
        `the ledger refused an accrual: ${refused.status === 'failed' ? refused.error.message : 'no outcome'}`,
        { field: 'through' },
      );
    assert(outcomes.length === commands.length, 'one outcome per accrual');
    const run = await commit(async (tx) => {
      // Each lot advanced to its own last day (its maturity, or `through`), in one statement.
      if (advanced.length > 0)
        await tx.query(
          `UPDATE reserve_accruals a SET accrued_through = least($1::date, a.maturity_date)
           FROM unnest($2::text[]) AS v(id)
           WHERE a.position_id = v.id AND a.accrued_through < least($1::date, a.maturity_date)`,
          [day, advanced],
        );
      const result = {
        through: day,
        lots: advanced.length,
        days,
        transfers: commands.length,
        amount: amount as Micro,
        matured: 0,
      };
      return {
        result,
        detail: {
          through: day,
          lots: String(advanced.length),
          days: String(days),
          amount: formatAmount(amount),
        },
      };
    });
    if (options.positionId !== undefined) return run;
    const matured = await matureBills(ctx, actor, day);
    return { ...run, matured: matured.length };
  });
}
