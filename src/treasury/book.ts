/**
 * Treasury operations as ledger postings (docs/reserves.md, "Postings"). Each operation is
 * one atomic ledger transfer whose id is named by the operation's reference, then the
 * position row, committed with its audit entry: an operation repeated, or retried after a
 * crash between the two, posts once. A refused operation changes nothing.
 *
 *   buy bill       reserves:tbill:<cusip>  ← reserves:cash:<bank>     cost, at settlement
 *   mature         reserves:cash:<bank>    ← reserves:tbill:<cusip>   face (= carrying value)
 *   sell           reserves:cash:<bank>    ← reserves:tbill:<cusip>   carrying value,
 *                  and the gain from income:trading (or the loss to it)
 *   repo open      reserves:repo:<cp>      ← reserves:cash:<bank>     principal
 *   repo close     reserves:cash:<bank>    ← reserves:repo:<cp>       principal,
 *                  and the interest from income:interest
 *   MMF in / out   reserves:mmf:<fund>     ⇄ reserves:cash:<bank>
 *   MMF dividend   reserves:mmf:<fund>     ← income:interest          (reinvested)
 *   invest         investments:<name>      ← reserves:cash:<bank>     only out of excess,
 *                  under quorum (investments.ts)
 */
import { daysBetween, isoDate } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import type { Command, Outcome } from '../ledger/types.ts';
import { namedUuid } from '../ledger/uuid.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import type { AuditDetail } from '../policy/audit.ts';
import { carryingValue } from '../reserves/accretion.ts';
import { billCost, billDaysMax, isCusip, pricePer100 } from '../reserves/bills.ts';
import { parseRatio, type Ratio } from '../reserves/decimal.ts';
import type { Evidence, TbillPosition } from '../reserves/instruments.ts';
import { repoInterest } from '../reserves/interest.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import {
  type AccountSpec,
  accountId,
  bankPattern,
  incomeInterest,
  incomeTrading,
  namePattern,
  reservesCash,
  reservesMmf,
  reservesRepo,
  reservesTbill,
  usd,
} from '../workflow/accounts.ts';
import { type Actor, requireRole } from '../workflow/actors.ts';
import { audited, type IssuanceContext } from '../workflow/context.ts';
import type { TreasuryErrorCode } from './errors.ts';
import {
  findPosition,
  getPosition,
  type StoredPosition,
  selectPositions,
  statementEvidence,
} from './positions.ts';
import type { BookReader } from './valuation.ts';

/** A reference: the operator's ticket for an operation, the key that makes it happen once. */
const referencePattern = /^[A-Za-z0-9._-]{1,64}$/;

export function invalid(
  field: string,
  rule: string,
  code: TreasuryErrorCode = 'reserves-invalid',
): never {
  throw new ClearpegError(code, `${field} must be ${rule}`, { field, rule });
}

export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !namePattern.test(value))
    invalid(field, 'lowercase letters, digits and dashes, starting with a letter (at most 32)');
  return value;
}

export function checkReference(value: unknown): string {
  if (typeof value !== 'string' || !referencePattern.test(value))
    invalid('reference', '1 to 64 letters, digits, dots, underscores or dashes');
  return value;
}

export function checkAmount(value: unknown, field: string): Micro {
  if (typeof value !== 'bigint' || value <= 0n) invalid(field, 'an amount more than zero');
  return value as Micro;
}

function checkText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 200)
    invalid(field, '1 to 200 characters');
  return value;
}

function checkJurisdiction(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Z]{2}$/.test(value))
    invalid('jurisdiction', 'an ISO 3166-1 alpha-2 country code such as US');
  return value;
}

/** Where a position is held, as every operation that opens one takes it. */
export interface Custody {
  readonly custodian: string;
  /** ISO 3166-1 alpha-2. */
  readonly jurisdiction: string;
  /** SHA-256 (hex) of a recorded custodian statement the position comes from. */
  readonly statement?: string;
}

export async function custody(
  db: SqlExecutor,
  input: Custody,
): Promise<{
  custodian: string;
  jurisdiction: string;
  evidence: Evidence | undefined;
}> {
  return {
    custodian: checkText(input.custodian, 'custodian'),
    jurisdiction: checkJurisdiction(input.jurisdiction),
    evidence:
      input.statement === undefined ? undefined : await statementEvidence(db, input.statement),
  };
}

/** The evidence columns' values. */
export function evidenceParams(
  evidence: Evidence | undefined,
): [Uint8Array | null, Uint8Array | null, boolean] {
  if (evidence === undefined) return [null, null, false];
  return [
    Buffer.from(evidence.statementSha256, 'hex'),
    evidence.signature === undefined ? null : Buffer.from(evidence.signature, 'hex'),
    evidence.signatureVerified,
  ];
}

/** One leg of a treasury transfer. */
export interface Leg {
  readonly debit: AccountSpec;
  readonly credit: AccountSpec;
  readonly amount: Micro;
}

/**
 * The ledger command of one treasury transfer, its id named by `key` (its accounts made on
 * first use, so outside any transaction). Zero legs are left out.
 */
export async function treasuryTransfer(
  ctx: IssuanceContext,
  key: string,
  legs: readonly Leg[],
  metadata: Record<string, string>,
): Promise<Command> {
  const postings = await Promise.all(
    legs
      .filter((leg) => leg.amount > 0n)
      .map(async (leg) => ({
        debit: await accountId(ctx.ledger, leg.debit),
        credit: await accountId(ctx.ledger, leg.credit),
        amount: leg.amount,
      })),
  );
  return {
    type: 'transfer',
    id: namedUuid('clearpeg-reserves/1', key),
    asset: usd,
    postings,
    metadata,
  };
}

/** Refuses (`reserves-refused`, naming `field`) unless the ledger committed the transfer `key`. */
export function requireCommitted(outcome: Outcome | undefined, key: string, field: string): void {
  if (outcome?.status !== 'committed')
    throw new ClearpegError(
      'reserves-refused',
      `the ledger refused ${key}: ${outcome?.status === 'failed' ? outcome.error.message : 'no outcome'}`,
      { field },
    );
}

/**
 * Posts one treasury transfer, its id named by `key`; refused (`reserves-refused`, naming
 * `field`) when the ledger refuses it, e.g. for want of cash. Zero legs are left out.
 */
async function post(
  ctx: IssuanceContext,
  key: string,
  legs: readonly Leg[],
  metadata: Record<string, string>,
  field: string,
): Promise<string> {
  const transfer = await treasuryTransfer(ctx, key, legs, metadata);
  const [outcome] = await ctx.ledger.submit([transfer]);
  requireCommitted(outcome, key, field);
  return transfer.id;
}

/**
 * The commit that closes an open position as `status`, with how it closed: the position
 * after, and the detail for the audit entry.
 */
function closing(
  status: 'sold' | 'matured',
  id: string,
  detail: Record<string, string>,
  atUs: bigint,
): (tx: SqlExecutor) => Promise<{ result: StoredPosition; detail: AuditDetail }> {
  return async (tx) => {
    await tx.query(
      `UPDATE reserve_positions SET status = $2, closed_at_us = $3, close_detail = $4::jsonb
       WHERE id = $1 AND status = 'open'`,
      [id, status, atUs, JSON.stringify(detail)],
    );
    return { result: await getPosition(tx, id), detail };
  };
}

/** Refuses unless `bank` holds `amount` available (pending payments out counted as gone). */
export async function requireCash(reader: BookReader, bank: string, amount: bigint): Promise<void> {
  const { available } = await reader.ledger.balance(reservesCash(bank).code, 'debit', reader.db);
  if (available < amount)
    throw new ClearpegError(
      'reserves-cash-short',
      `bank ${bank} holds ${formatAmount(available)} available, less than the ${formatAmount(amount)} needed`,
      { field: 'bank', rule: 'a bank holding the cash the operation pays' },
    );
}

/**
 * Describes a bank's cash (the `reserves:cash:<bank>` account): its custodian, jurisdiction
 * whether it is a central-bank balance and whether the bank is an insured depository
 * institution. A bank never described counts as a deposit at a US insured bank, held by the
 * bank itself.
 * @example await describeBank(ctx, treasurer, { bank: 'bank-a', custodian: 'Bank A, N.A.', jurisdiction: 'US', centralBank: false, insuredInstitution: true })
 */
export async function describeBank(
  ctx: IssuanceContext,
  actor: Actor,
  input: Custody & { bank: string; centralBank: boolean; insuredInstitution: boolean },
): Promise<StoredPosition> {
  return audited(ctx, actor, 'reserves.bank', input.bank, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'describe banks' });
    const bank = checkName(input.bank, 'bank');
    if (!bankPattern.test(bank)) invalid('bank', 'a bank code');
    if (typeof input.centralBank !== 'boolean') invalid('centralBank', 'true or false');
    if (typeof input.insuredInstitution !== 'boolean')
      invalid('insuredInstitution', 'true or false');
    const held = await custody(ctx.db, input);
    await accountId(ctx.ledger, reservesCash(bank));
    return commit(async (tx) => {
      await tx.query(
        `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, bank, central_bank,
           insured_institution, evidence_sha256, evidence_signature, evidence_verified, opened_at_us)
         VALUES ($1, 'cash', $2, $3, $4, 'open', $5, $6, $11, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET custodian = excluded.custodian, jurisdiction = excluded.jurisdiction,
           central_bank = excluded.central_bank, insured_institution = excluded.insured_institution,
           evidence_sha256 = excluded.evidence_sha256,
           evidence_signature = excluded.evidence_signature, evidence_verified = excluded.evidence_verified`,
        [
          `cash:${bank}`,
          reservesCash(bank).code,
          held.custodian,
          held.jurisdiction,
          bank,
          input.centralBank,
          ...evidenceParams(held.evidence),
          ctx.clockUs(),
          input.insuredInstitution,
        ],
      );
      return {
        result: await getPosition(tx, `cash:${bank}`),
        detail: { bank, custodian: held.custodian, jurisdiction: held.jurisdiction },
      };
    });
  });
}

/** A bill to buy. Its price comes from the discount rate, or its cost is given. */
export interface BillPurchase extends Custody {
  readonly reference: string;
  readonly cusip: string;
  readonly face: Micro;
  readonly issueDate: string;
  readonly maturityDate: string;
  readonly tradeDate: string;
  readonly settlementDate: string;
  /** The bank that pays (and is paid at maturity). */
  readonly bank: string;
  /** Discount rate in percent (`"4.480"`): cost = face × price / 100 for the days left. */
  readonly discountRatePct?: string | Ratio;
  /** Or the cost itself. */
  readonly cost?: Micro;
}

/** A bill lot's terms checked; its cost from the rate or as given. */
function checkBill(input: BillPurchase): Omit<TbillPosition, 'id' | 'custodian' | 'jurisdiction'> {
  const cusip = String(input.cusip);
  // Treasury's CUSIPs use digits and capitals only (the store checks the same).
  if (!isCusip(cusip) || !/^[0-9A-Z]{9}$/.test(cusip))
    invalid('cusip', 'a 9-character CUSIP of digits and capitals with a valid check digit');
  const face = checkAmount(input.face, 'face');
  const issueDate = isoDate(input.issueDate, 'issueDate');
  const maturityDate = isoDate(input.maturityDate, 'maturityDate');
  const tradeDate = isoDate(input.tradeDate, 'tradeDate');
  const settlementDate = isoDate(input.settlementDate, 'settlementDate');
  if (daysBetween(issueDate, maturityDate) <= 0) invalid('maturityDate', 'after issueDate');
  if (daysBetween(issueDate, settlementDate) < 0)
    invalid('settlementDate', 'on or after issueDate');
  if (daysBetween(settlementDate, maturityDate) <= 0)
    invalid('settlementDate', 'before maturityDate');
  if (daysBetween(tradeDate, settlementDate) < 0)
    invalid('tradeDate', 'on or before settlementDate');
  if ((input.cost === undefined) === (input.discountRatePct === undefined))
    invalid('discountRatePct', 'given, or cost given, not both');
  const cost =
    input.cost !== undefined
      ? checkAmount(input.cost, 'cost')
      : billCost(
          face,
          pricePer100(input.discountRatePct!, daysBetween(settlementDate, maturityDate)),
        );
  if (cost > face) invalid('cost', 'at most the face value (a bill pays face at maturity)');
  // What the accretion carries (../reserves/accretion.ts): a bill, not a long bond or a
  // distressed asset; a lot outside it would be booked and then break every valuation.
  if (daysBetween(settlementDate, maturityDate) > billDaysMax)
    invalid('maturityDate', `at most ${billDaysMax} days after settlementDate`);
  if (cost * 2n < face) invalid('cost', 'at least half the face value');
  return { kind: 'tbill', cusip, face, cost, issueDate, maturityDate, tradeDate, settlementDate };
}

/**
 * Buys a bill lot: its cost moves from the bank's cash to `reserves:tbill:<cusip>` as of its
 * settlement date. The same reference again returns the lot bought before.
 * @example await buyBill(ctx, treasurer, { reference: 'T-1', cusip: '912797LB1', face: parseAmount('1000000'), issueDate: '2024-01-04', maturityDate: '2024-04-04', tradeDate: '2024-01-02', settlementDate: '2024-01-04', bank: 'bank-a', discountRatePct: '5.235', custodian: 'BNY', jurisdiction: 'US' })
 */
export async function buyBill(
  ctx: IssuanceContext,
  actor: Actor,
  input: BillPurchase,
): Promise<StoredPosition> {
  const reference = String(input.reference).slice(0, 64);
  return audited(ctx, actor, 'reserves.buy', reference, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'buy bills' });
    checkReference(input.reference);
    const terms = checkBill(input);
    const bank = checkName(input.bank, 'bank');
    const held = await custody(ctx.db, input);
    const id = `tbill:${terms.cusip}:${reference}`;
    const before = await findPosition(ctx.db, id); // the same reference again
    if (before !== undefined)
      return commit(async () => ({ result: before, detail: { duplicate: true } }));
    await requireCash(ctx, bank, terms.cost);
    await post(
      ctx,
      `buy:${id}`,
      [{ debit: reservesTbill(terms.cusip), credit: reservesCash(bank), amount: terms.cost }],
      {
        'reserves.position': id,
        'reserves.op': 'buy',
        'reserves.settlement': terms.settlementDate,
      },
      'reference',
    );
    return commit(async (tx) => {
      await tx.query(
        `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, bank, cusip, face, cost,
           issue_date, maturity_date, trade_date, settlement_date,
           evidence_sha256, evidence_signature, evidence_verified, opened_at_us)
         VALUES ($1, 'tbill', $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (id) DO NOTHING`,
        [
          id,
          reservesTbill(terms.cusip).code,
          held.custodian,
          held.jurisdiction,
          bank,
          terms.cusip,
          terms.face,
          terms.cost,
          terms.issueDate,
          terms.maturityDate,
          terms.tradeDate,
          terms.settlementDate,
          ...evidenceParams(held.evidence),
          ctx.clockUs(),
        ],
      );
      // Accrued through the settlement day: the lot's accretion starts the day after.
      await tx.query(
        `INSERT INTO reserve_accruals (position_id, settlement_date, maturity_date, accrued_through)
         VALUES ($1, $2, $3, $2) ON CONFLICT (position_id) DO NOTHING`,
        [id, terms.settlementDate, terms.maturityDate],
      );
      const detail: AuditDetail = {
        cusip: terms.cusip,
        face: formatAmount(terms.face),
        cost: formatAmount(terms.cost),
        settlementDate: terms.settlementDate,
        maturityDate: terms.maturityDate,
        bank,
      };
      return { result: await getPosition(tx, id), detail };
    });
  });
}

/** A bill lot as the pure accretion functions take it. */
export function billOf(stored: StoredPosition): TbillPosition {
  if (stored.position.kind !== 'tbill')
    throw new ClearpegError('position-not-bill', `${stored.position.id} is not a bill`, {
      field: 'positionId',
      rule: 'a T-bill lot',
    });
  return stored.position;
}

/**
 * Sells a bill lot before maturity at the market's discount rate, settling on
 * `settlementDate`: the accretion through that day is posted first (by the accrual job's own
 * rule), then the proceeds come in, the carrying value goes out, and the difference is the
 * realized gain (or loss) in `income:trading`.
 * @example await sellBill(ctx, treasurer, { positionId, settlementDate: '2024-02-01', discountRatePct: '5.10' })
 */
export async function sellBill(
  ctx: IssuanceContext,
  actor: Actor,
  input: { positionId: string; settlementDate: string; discountRatePct: string },
  accrueThrough: (positionId: string, through: string) => Promise<void>,
): Promise<StoredPosition> {
  return audited(ctx, actor, 'reserves.sell', input.positionId, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'sell bills' });
    const stored = await getPosition(ctx.db, String(input.positionId));
    const bill = billOf(stored);
    if (stored.status === 'sold')
      return commit(async () => ({ result: stored, detail: { duplicate: true } }));
    if (stored.status !== 'open')
      invalid('positionId', `an open lot (this one is ${stored.status})`, 'position-not-open');
    const settlementDate = isoDate(input.settlementDate, 'settlementDate');
    const daysLeft = daysBetween(settlementDate, bill.maturityDate);
    if (daysLeft <= 0)
      invalid('settlementDate', 'before the maturity date (a bill due is matured, not sold)');
    if (daysBetween(stored.accruedThrough!, settlementDate) < 0)
      invalid('settlementDate', `on or after the last accrued day, ${stored.accruedThrough}`);
    const proceeds = billCost(bill.face, pricePer100(String(input.discountRatePct), daysLeft));
    await accrueThrough(bill.id, settlementDate);
    const carrying = carryingValue(bill, settlementDate);
    const gain = proceeds - carrying;
    const cash = reservesCash(stored.bank!);
    const lot = reservesTbill(bill.cusip);
    const legs: Leg[] =
      gain >= 0n
        ? [
            { debit: cash, credit: lot, amount: carrying },
            { debit: cash, credit: incomeTrading, amount: gain as Micro },
          ]
        : [
            { debit: cash, credit: lot, amount: proceeds },
            { debit: incomeTrading, credit: lot, amount: -gain as Micro },
          ];
    const transfer = await post(
      ctx,
      `sell:${bill.id}`,
      legs,
      {
        'reserves.position': bill.id,
        'reserves.op': 'sell',
        'reserves.settlement': settlementDate,
      },
      'positionId',
    );
    const detail = {
      settlementDate,
      discountRatePct: String(input.discountRatePct),
      proceeds: formatAmount(proceeds),
      carrying: formatAmount(carrying),
      gain: formatAmount(gain),
      transfer,
    };
    return commit(closing('sold', bill.id, detail, ctx.clockUs()));
  });
}

/**
 * Pays every open bill lot due on or before `through` into its bank: face, once its
 * accretion through the maturity date is posted (the carrying value is then the face).
 * Returns the lots matured. The accrual job calls it after accruing.
 * @example await matureBills(ctx, '2024-04-04')
 */
export async function matureBills(
  ctx: IssuanceContext,
  actor: Actor,
  through: string,
): Promise<StoredPosition[]> {
  const day = isoDate(through, 'through');
  const due = await selectPositions(
    ctx.db,
    `p.kind = 'tbill' AND p.status = 'open' AND p.maturity_date <= $1::date AND a.accrued_through = p.maturity_date`,
    [day],
  );
  const matured: StoredPosition[] = [];
  for (const stored of due) {
    const bill = billOf(stored);
    matured.push(
      await audited(ctx, actor, 'reserves.mature', bill.id, async (commit) => {
        const transfer = await post(
          ctx,
          `mature:${bill.id}`,
          [
            {
              debit: reservesCash(stored.bank!),
              credit: reservesTbill(bill.cusip),
              amount: bill.face,
            },
          ],
          {
            'reserves.position': bill.id,
            'reserves.op': 'mature',
            'reserves.settlement': bill.maturityDate,
          },
          'positionId',
        );
        const detail = { proceeds: formatAmount(bill.face), transfer };
        return commit(closing('matured', bill.id, detail, ctx.clockUs()));
      }),
    );
  }
  return matured;
}

/** An overnight repo to open. */
export interface RepoOpening extends Custody {
  readonly reference: string;
  readonly counterparty: string;
  readonly principal: Micro;
  readonly ratePct: string;
  readonly startDate: string;
  readonly maturityDate: string;
  readonly bank: string;
  readonly collateral: readonly { cusip: string; face: Micro; maturityDate: string }[];
}

/**
 * Lends cash overnight against bills: principal from the bank to `reserves:repo:<cp>`.
 * @example await openRepo(ctx, treasurer, { reference: 'R-1', counterparty: 'ficc', principal, ratePct: '5.31', startDate: '2024-01-02', maturityDate: '2024-01-03', bank: 'bank-a', collateral: [...], custodian: 'BNY', jurisdiction: 'US' })
 */
export async function openRepo(
  ctx: IssuanceContext,
  actor: Actor,
  input: RepoOpening,
): Promise<StoredPosition> {
  const reference = String(input.reference).slice(0, 64);
  return audited(ctx, actor, 'reserves.repo-open', reference, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'open repos' });
    checkReference(input.reference);
    const counterparty = checkName(input.counterparty, 'counterparty');
    const bank = checkName(input.bank, 'bank');
    const principal = checkAmount(input.principal, 'principal');
    parseRatio(String(input.ratePct), 'ratePct');
    const startDate = isoDate(input.startDate, 'startDate');
    const maturityDate = isoDate(input.maturityDate, 'maturityDate');
    if (daysBetween(startDate, maturityDate) <= 0) invalid('maturityDate', 'after startDate');
    if (
      !Array.isArray(input.collateral) ||
      input.collateral.length === 0 ||
      input.collateral.length > 100
    )
      invalid('collateral', '1 to 100 bills');
    const collateral = input.collateral.map((c, i) => {
      if (!isCusip(String(c.cusip))) invalid(`collateral.${i}.cusip`, 'a valid CUSIP');
      return {
        cusip: c.cusip,
        face: formatAmount(checkAmount(c.face, `collateral.${i}.face`)),
        maturityDate: isoDate(c.maturityDate, `collateral.${i}.maturityDate`),
      };
    });
    const held = await custody(ctx.db, input);
    const id = `repo:${counterparty}:${reference}`;
    const before = await findPosition(ctx.db, id); // the same reference again
    if (before !== undefined)
      return commit(async () => ({ result: before, detail: { duplicate: true } }));
    await requireCash(ctx, bank, principal);
    await post(
      ctx,
      `open:${id}`,
      [{ debit: reservesRepo(counterparty), credit: reservesCash(bank), amount: principal }],
      { 'reserves.position': id, 'reserves.op': 'repo-open', 'reserves.settlement': startDate },
      'reference',
    );
    return commit(async (tx) => {
      await tx.query(
        `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, bank, counterparty,
           principal, rate_pct, start_date, maturity_date, collateral,
           evidence_sha256, evidence_signature, evidence_verified, opened_at_us)
         VALUES ($1, 'repo', $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15)
         ON CONFLICT (id) DO NOTHING`,
        [
          id,
          reservesRepo(counterparty).code,
          held.custodian,
          held.jurisdiction,
          bank,
          counterparty,
          principal,
          String(input.ratePct),
          startDate,
          maturityDate,
          JSON.stringify(collateral),
          ...evidenceParams(held.evidence),
          ctx.clockUs(),
        ],
      );
      return {
        result: await getPosition(tx, id),
        detail: {
          counterparty,
          principal: formatAmount(principal),
          ratePct: String(input.ratePct),
          bank,
        },
      };
    });
  });
}

/**
 * Closes a repo at its maturity: principal back to the bank, interest (actual/360, rounded
 * half-up) from `income:interest`.
 * @example await closeRepo(ctx, treasurer, 'repo:ficc:R-1')
 */
export async function closeRepo(
  ctx: IssuanceContext,
  actor: Actor,
  positionId: string,
): Promise<StoredPosition> {
  return audited(ctx, actor, 'reserves.repo-close', positionId, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'close repos' });
    const stored = await getPosition(ctx.db, String(positionId));
    const repo = stored.position;
    if (repo.kind !== 'repo') invalid('positionId', 'a repo', 'position-not-repo');
    if (stored.status !== 'open')
      return commit(async () => ({ result: stored, detail: { duplicate: true } }));
    const interest = repoInterest(
      repo.principal,
      parseRatio(repo.ratePct, 'ratePct'),
      daysBetween(repo.startDate, repo.maturityDate),
    );
    const cash = reservesCash(stored.bank!);
    const transfer = await post(
      ctx,
      `close:${repo.id}`,
      [
        { debit: cash, credit: reservesRepo(repo.counterparty), amount: repo.principal },
        { debit: cash, credit: incomeInterest, amount: interest },
      ],
      {
        'reserves.position': repo.id,
        'reserves.op': 'repo-close',
        'reserves.settlement': repo.maturityDate,
      },
      'positionId',
    );
    const detail = { interest: formatAmount(interest), transfer };
    return commit(closing('matured', repo.id, detail, ctx.clockUs()));
  });
}

/** A money-market fund order: `subscribe` (cash in), `redeem` (cash out) or `dividend`. */
export interface FundOrder extends Custody {
  readonly reference: string;
  readonly fund: string;
  readonly side: 'subscribe' | 'redeem' | 'dividend';
  readonly amount: Micro;
  readonly bank: string;
  /** A government MMF (recorded on the first order). */
  readonly government: boolean;
}

/**
 * Subscribes to, redeems from, or books a reinvested dividend of a money-market fund
 * (stable $1 NAV: shares are dollars).
 * @example await fundOrder(ctx, treasurer, { reference: 'M-1', fund: 'gov-fund', side: 'subscribe', amount, bank: 'bank-a', government: true, custodian: 'Fund TA', jurisdiction: 'US' })
 */
export async function fundOrder(
  ctx: IssuanceContext,
  actor: Actor,
  input: FundOrder,
): Promise<StoredPosition> {
  const reference = String(input.reference).slice(0, 64);
  return audited(
    ctx,
    actor,
    `reserves.mmf-${String(input.side).slice(0, 20)}`,
    reference,
    async (commit) => {
      requireRole(actor, ['treasurer'], { action: 'trade fund shares' });
      checkReference(input.reference);
      const fund = checkName(input.fund, 'fund');
      const bank = checkName(input.bank, 'bank');
      const amount = checkAmount(input.amount, 'amount');
      if (!['subscribe', 'redeem', 'dividend'].includes(input.side))
        invalid('side', 'subscribe, redeem or dividend');
      if (typeof input.government !== 'boolean') invalid('government', 'true or false');
      const held = await custody(ctx.db, input);
      const id = `mmf:${fund}`;
      const account = reservesMmf(fund);
      if (input.side === 'subscribe') await requireCash(ctx, bank, amount);
      const legs: Leg[] =
        input.side === 'subscribe'
          ? [{ debit: account, credit: reservesCash(bank), amount }]
          : input.side === 'redeem'
            ? [{ debit: reservesCash(bank), credit: account, amount }]
            : [{ debit: account, credit: incomeInterest, amount }];
      await post(
        ctx,
        `mmf:${fund}:${input.side}:${reference}`,
        legs,
        { 'reserves.position': id, 'reserves.op': `mmf-${input.side}` },
        input.side === 'redeem' ? 'amount' : 'reference',
      );
      return commit(async (tx) => {
        await tx.query(
          `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, fund, government,
           evidence_sha256, evidence_signature, evidence_verified, opened_at_us)
         VALUES ($1, 'mmf', $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
          [
            id,
            account.code,
            held.custodian,
            held.jurisdiction,
            fund,
            input.government,
            ...evidenceParams(held.evidence),
            ctx.clockUs(),
          ],
        );
        return {
          result: await getPosition(tx, id),
          detail: { fund, side: input.side, amount: formatAmount(amount), bank },
        };
      });
    },
  );
}
