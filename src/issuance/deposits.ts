/**
 * Fiat deposits: a bank statement line, entered by a treasurer or imported from a camt.053
 * statement, becomes one ledger transfer `reserves:cash:<bank>` → `customers:<id>:fiat`.
 *
 * The line's reference is the idempotency key twice over: the deposit row's key, and (as a
 * UUIDv8 named by it) the ledger transfer's id, so a line entered again, or a crash between
 * the ledger's commit and the row's, never credits twice. A line whose customer cannot be
 * told (no customer id given, none or several in its remittance text) is credited to
 * `suspense:deposits` and raises an alert.
 */
import { ClearpegError } from '../errors.ts';
import { namedUuid } from '../ledger/uuid.ts';
import { formatAmount, type Micro } from '../money/money.ts';
import { raiseAlert } from '../policy/alerts.ts';
import type { AuditDetail } from '../policy/audit.ts';
import { requireReadableText } from '../policy/intent.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import {
  accountId,
  bankPattern,
  customerFiat,
  depositSuspense,
  reservesCash,
  usd,
} from '../workflow/accounts.ts';
import { type Actor, actorName, requireRole } from '../workflow/actors.ts';
import { audited, type IssuanceContext, recordRefusal } from '../workflow/context.ts';
import { parseCamt053 } from './camt053.ts';
import { getCustomer } from './customers.ts';

/** A statement line as a deposit. */
export interface DepositLine {
  readonly reference: string;
  readonly bank: string;
  readonly amount: Micro;
  /** The customer, when the treasurer knows it; else found from `remittance`. */
  readonly customerId?: string;
  readonly remittance?: string;
  /** YYYY-MM-DD. */
  readonly bookingDate: string;
}

export interface Deposit {
  readonly reference: string;
  readonly bank: string;
  readonly amount: Micro;
  /** Null: credited to suspense. */
  readonly customerId: string | null;
  readonly bookingDate: string;
  readonly ledgerTransfer: string;
  /** `created` now, or `duplicate`: the same line was recorded before and nothing changed. */
  readonly status: 'created' | 'duplicate';
}

const datePattern = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const customerToken = /\b[A-Z][A-Z0-9-]{2,31}\b/g;
const referenceLengthMax = 140;

function invalid(field: string, rule: string): never {
  throw new ClearpegError('deposit-invalid', `${field} must be ${rule}`, { field, rule });
}

function checkLine(line: DepositLine): void {
  if (
    typeof line.reference !== 'string' ||
    line.reference.length < 1 ||
    line.reference.length > referenceLengthMax
  )
    invalid('reference', `1 to ${referenceLengthMax} characters`);
  if (typeof line.bank !== 'string' || !bankPattern.test(line.bank))
    invalid('bank', 'lowercase letters, digits and dashes, starting with a letter');
  if (typeof line.amount !== 'bigint' || line.amount <= 0n) invalid('amount', 'more than zero');
  if (
    typeof line.bookingDate !== 'string' ||
    !datePattern.test(line.bookingDate) ||
    // A real calendar day: 2026-02-31 matches the pattern but is not one.
    new Date(`${line.bookingDate}T00:00:00Z`).toISOString().slice(0, 10) !== line.bookingDate
  )
    invalid('bookingDate', 'a date YYYY-MM-DD');
  if (
    line.remittance !== undefined &&
    (typeof line.remittance !== 'string' || line.remittance.length > 500)
  )
    invalid('remittance', 'at most 500 characters');
}

/** The one customer whose id appears in the remittance text, if exactly one does. */
async function customerFromRemittance(
  db: SqlExecutor,
  remittance: string | undefined,
): Promise<string | null> {
  const tokens = [...new Set(remittance?.toUpperCase().match(customerToken) ?? [])];
  if (tokens.length === 0) return null;
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM customers WHERE id = ANY($1::text[])',
    [tokens],
  );
  return rows.length === 1 ? rows[0]!.id : null;
}

type DepositRow = {
  reference: string;
  bank: string;
  amount: string;
  customer_id: string | null;
  booking_date: string;
  ledger_transfer: string;
};

/** The stored lines with these references (those that exist). */
async function storedDeposits(
  db: SqlExecutor,
  references: readonly string[],
): Promise<DepositRow[]> {
  const { rows } = await db.query<DepositRow>(
    `SELECT reference, bank, amount::text, customer_id, to_char(booking_date, 'YYYY-MM-DD') AS booking_date, ledger_transfer
     FROM deposits WHERE reference = ANY($1::text[])`,
    [references],
  );
  return rows;
}

async function storedDeposit(db: SqlExecutor, reference: string): Promise<DepositRow | undefined> {
  return (await storedDeposits(db, [reference]))[0];
}

/**
 * Refuses `line` if its reference was recorded with other content (bank, amount, booking date,
 * and the customer if the line names one); a line recorded with the same content is a
 * duplicate, not an error.
 */
function refuseOtherContent(before: DepositRow, line: DepositLine): void {
  const same =
    before.bank === line.bank &&
    BigInt(before.amount) === line.amount &&
    before.booking_date === line.bookingDate &&
    (line.customerId === undefined || before.customer_id === line.customerId);
  if (!same)
    throw new ClearpegError(
      'deposit-conflict',
      `reference ${line.reference} was recorded with other content (${before.bank}, ${formatAmount(BigInt(before.amount))}, ${before.booking_date})`,
      { field: 'reference', rule: 'one content per statement reference' },
    );
}

function asDeposit(row: DepositRow, status: Deposit['status']): Deposit {
  return {
    reference: row.reference,
    bank: row.bank,
    amount: BigInt(row.amount) as Micro,
    customerId: row.customer_id,
    bookingDate: row.booking_date,
    ledgerTransfer: row.ledger_transfer,
    status,
  };
}

/**
 * Records a statement line: credits the customer's fiat (or suspense) once, however often the
 * same line is recorded; the same reference with other content is refused.
 * @example await recordDeposit(ctx, treasurer, { reference: 'WIRE-1', bank: 'bank-a', amount: parseAmount('5000000'), customerId: 'CUST-0001', bookingDate: '2026-11-20' })
 */
export async function recordDeposit(
  ctx: IssuanceContext,
  actor: Actor,
  line: DepositLine,
  source: 'manual' | 'camt053' = 'manual',
): Promise<Deposit> {
  const db = ctx.db;
  return audited(ctx, actor, 'deposit.record', line.reference, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'record deposits' });
    checkLine(line);
    if (source === 'manual') {
      // What an operator typed is shown to operators; an imported line is the bank's text.
      requireReadableText(line.reference, 'reference', 'deposit-invalid');
      if (line.remittance !== undefined)
        requireReadableText(line.remittance, 'remittance', 'deposit-invalid');
    }
    const customerId =
      line.customerId === undefined
        ? await customerFromRemittance(db, line.remittance)
        : (await getCustomer(db, line.customerId)).id;

    /** The line recorded before: the same (nothing changes) or another (refused). */
    const earlier = (before: DepositRow) => {
      refuseOtherContent(before, line);
      const detail: AuditDetail = { duplicate: true };
      return { result: asDeposit(before, 'duplicate'), detail };
    };
    const before = await storedDeposit(db, line.reference);
    if (before !== undefined) return commit(async () => earlier(before));

    const ledgerTransfer = namedUuid('clearpeg-deposit/1', line.reference);
    const [cash, credit] = await Promise.all([
      accountId(ctx.ledger, reservesCash(line.bank)),
      accountId(ctx.ledger, customerId === null ? depositSuspense : customerFiat(customerId)),
    ]);
    const [outcome] = await ctx.ledger.submit([
      {
        type: 'transfer',
        id: ledgerTransfer,
        asset: usd,
        postings: [{ debit: cash, credit, amount: line.amount }],
        metadata: { 'deposit.reference': line.reference, 'deposit.bank': line.bank },
      },
    ]);
    if (outcome?.status !== 'committed')
      throw new ClearpegError(
        'deposit-refused',
        `the ledger refused the deposit ${line.reference}: ${outcome?.status === 'failed' ? outcome.error.message : 'no outcome'}`,
        { field: 'reference' },
      );
    return commit(async (tx) => {
      const now = ctx.clockUs();
      const inserted = await tx.query(
        `INSERT INTO deposits (reference, bank, amount, customer_id, remittance, booking_date, source, ledger_transfer, entered_by, received_at_us)
       VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10) ON CONFLICT (reference) DO NOTHING RETURNING reference`,
        [
          line.reference,
          line.bank,
          line.amount,
          customerId,
          line.remittance ?? null,
          line.bookingDate,
          source,
          ledgerTransfer,
          actorName(actor),
          now,
        ],
      );
      // Recorded meanwhile by another request (the ledger took the same transfer once).
      if (inserted.rows.length === 0) return earlier((await storedDeposit(tx, line.reference))!);
      if (customerId === null)
        await raiseAlert(
          tx,
          'deposit-unmatched',
          `deposit ${line.reference}`,
          {
            reference: line.reference,
            bank: line.bank,
            amount: formatAmount(line.amount),
            remittance: line.remittance ?? null,
          },
          now,
        );
      const row = (await storedDeposit(tx, line.reference))!;
      return {
        result: asDeposit(row, 'created'),
        detail: {
          bank: line.bank,
          amount: formatAmount(line.amount),
          customerId,
          source,
          ledgerTransfer,
        },
      };
    });
  });
}

/** What an import did. */
export interface ImportReport {
  readonly statements: number;
  readonly created: number;
  readonly duplicates: number;
  /** Created, but to suspense. */
  readonly unmatched: number;
  /** Lines that are not booked incoming money (debits, pending, reversals): not deposits. */
  readonly skipped: number;
  readonly deposits: readonly Deposit[];
}

/**
 * Imports a camt.053 statement from `bank`: every booked credit line that is not a reversal
 * becomes a deposit (idempotent by its reference); importing it again adds nothing.
 *
 * A statement is refused whole, before any line is recorded, if it does not parse, if a line
 * breaks a rule of `recordDeposit`, or if a reference was recorded before with other content.
 * Lines are then recorded one by one, each once: if the import stops part way (a crash, a
 * ledger refusal), importing the same statement again records the rest.
 * @example await importStatement(ctx, treasurer, 'bank-a', readFileSync('statement.xml'))
 */
export async function importStatement(
  ctx: IssuanceContext,
  actor: Actor,
  bank: string,
  xml: string | Uint8Array,
): Promise<ImportReport> {
  let statements: ReturnType<typeof parseCamt053>;
  let lines: DepositLine[];
  try {
    requireRole(actor, ['treasurer'], { action: 'import statements' });
    statements = parseCamt053(xml);
    lines = depositLines(statements, bank);
    for (const line of lines) checkLine(line);
    const byReference = new Map(lines.map((line) => [line.reference, line]));
    const before = await storedDeposits(ctx.db, [...byReference.keys()]);
    for (const row of before) refuseOtherContent(row, byReference.get(row.reference)!);
  } catch (error) {
    if (error instanceof ClearpegError)
      await recordRefusal(ctx, actor, 'deposit.import', bank, error);
    throw error;
  }
  const deposits: Deposit[] = [];
  for (const line of lines) deposits.push(await recordDeposit(ctx, actor, line, 'camt053'));
  return {
    statements: statements.length,
    created: deposits.filter((d) => d.status === 'created').length,
    duplicates: deposits.filter((d) => d.status === 'duplicate').length,
    unmatched: deposits.filter((d) => d.status === 'created' && d.customerId === null).length,
    skipped: statements.reduce((n, statement) => n + statement.entries.length, 0) - lines.length,
    deposits,
  };
}

/** The deposits of parsed statements: their booked credit lines that are not reversals. */
function depositLines(statements: ReturnType<typeof parseCamt053>, bank: string): DepositLine[] {
  return statements.flatMap((statement) =>
    statement.entries
      .filter((entry) => entry.direction === 'credit' && entry.status === 'BOOK' && !entry.reversal)
      .map((entry) => ({
        reference: entry.reference,
        bank,
        amount: entry.amount,
        ...(entry.remittance === undefined ? {} : { remittance: entry.remittance }),
        // A booked line has a booking date (the parser refuses one without).
        bookingDate: entry.bookingDate!,
      })),
  );
}
