import type { Ledger } from '../ledger/ledger.ts';
import type { AuditRecord } from '../policy/audit.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import { customerFiat } from '../workflow/accounts.ts';
import type { ApprovalSubjectKind } from '../workflow/approving.ts';

/** A customer as the API shows it: with posted fiat and wallets. */
export interface CustomerRecord {
  readonly id: string;
  readonly name: string;
  readonly kyc: string;
  /** The posted balance of the customer's fiat account, micro-units (ledger/balances.ts). */
  readonly fiatBalance: bigint;
  readonly wallets: readonly { chainId: number; address: string }[];
}

/**
 * Customers by id, from `after` (exclusive), at most `limit`; or the one customer `id`: one
 * query with their wallets joined in, and one for their balances, from the ledger.
 * @example const [customer] = await customers(ctx, { id: 'CUST-0001', limit: 1 })
 */
export async function customers(
  { db, ledger }: { db: SqlExecutor; ledger: Ledger<SqlExecutor> },
  page: { limit: number; after?: string; id?: string },
): Promise<CustomerRecord[]> {
  const { rows } = await db.query<{
    id: string;
    name: string;
    kyc: string;
    wallets: { chainId: number; address: string }[];
  }>(
    `SELECT c.id, c.name, c.kyc,
       coalesce((SELECT json_agg(json_build_object('chainId', w.chain_id, 'address', w.address)
                 ORDER BY w.registered_at_us, w.chain_id, w.address)
                 FROM customer_wallets w WHERE w.customer_id = c.id), '[]'::json) AS wallets
     FROM customers c
     WHERE ($1::text IS NULL OR c.id > $1) AND ($2::text IS NULL OR c.id = $2)
     ORDER BY c.id LIMIT $3`,
    [page.after ?? null, page.id ?? null, page.limit],
  );
  const fiat = await ledger.balancesByCode({
    codes: rows.map((row) => customerFiat(row.id).code),
    side: 'credit',
  });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    kyc: row.kyc,
    fiatBalance: fiat.get(customerFiat(row.id).code)?.posted ?? 0n,
    wallets: row.wallets,
  }));
}

/** A deposit as listed. */
export interface DepositRecord {
  readonly reference: string;
  readonly bank: string;
  readonly amount: bigint;
  readonly customerId: string | null;
  readonly bookingDate: string;
  readonly ledgerTransfer: string;
  readonly source: 'manual' | 'camt053';
  readonly receivedAtUs: bigint;
}

/**
 * Deposits by reference, from `after` (exclusive), optionally of one customer.
 * @example await deposits(db, { limit: 100, customerId: 'CUST-0001' })
 */
export async function deposits(
  db: SqlExecutor,
  page: { limit: number; after?: string; customerId?: string },
): Promise<DepositRecord[]> {
  const { rows } = await db.query<
    Omit<DepositRecord, 'amount' | 'receivedAtUs'> & { amount: string; receivedAtUs: string }
  >(
    `SELECT reference, bank, amount::text AS amount, customer_id AS "customerId",
       to_char(booking_date, 'YYYY-MM-DD') AS "bookingDate", ledger_transfer AS "ledgerTransfer",
       source, received_at_us::text AS "receivedAtUs"
     FROM deposits WHERE ($1::text IS NULL OR reference > $1) AND ($2::text IS NULL OR customer_id = $2)
     ORDER BY reference LIMIT $3`,
    [page.after ?? null, page.customerId ?? null, page.limit],
  );
  return rows.map((row) => ({
    ...row,
    amount: BigInt(row.amount),
    receivedAtUs: BigInt(row.receivedAtUs),
  }));
}

/**
 * Who approved a request and when (its signatures are checked where they count, not shown).
 * @example await approvalsOf(db, 'mint', request.id)
 */
export async function approvalsOf(
  db: SqlExecutor,
  kind: ApprovalSubjectKind,
  subjectId: string,
): Promise<{ approverId: string; approvedAtUs: bigint }[]> {
  const { rows } = await db.query<{ approver_id: string; approved_at_us: string }>(
    `SELECT approver_id, approved_at_us::text FROM approvals WHERE subject_kind = $1 AND subject_id = $2
     ORDER BY approved_at_us, approver_id`,
    [kind, subjectId],
  );
  return rows.map((row) => ({
    approverId: row.approver_id,
    approvedAtUs: BigInt(row.approved_at_us),
  }));
}

/** A tripped breaker. */
export interface BreakerRecord {
  readonly name: string;
  readonly reason: unknown;
  readonly trippedAtUs: bigint;
}

/** The breakers tripped now, by name. */
export async function breakers(db: SqlExecutor): Promise<BreakerRecord[]> {
  const { rows } = await db.query<{ name: string; reason: unknown; tripped_at_us: string }>(
    'SELECT name, reason, tripped_at_us::text FROM breakers ORDER BY name',
  );
  return rows.map((row) => ({
    name: row.name,
    reason: row.reason,
    trippedAtUs: BigInt(row.tripped_at_us),
  }));
}

/** An alert. */
export interface AlertRecord {
  readonly id: string;
  readonly kind: string;
  readonly subject: string;
  readonly detail: unknown;
  readonly raisedAtUs: bigint;
  readonly acknowledgedAtUs: bigint | null;
}

/**
 * Alerts by id (UUIDv7: in order raised), from `after`; only unacknowledged ones if `open`.
 * @example await alerts(db, { limit: 100, open: true })
 */
export async function alerts(
  db: SqlExecutor,
  page: { limit: number; after?: string; open: boolean },
): Promise<AlertRecord[]> {
  const { rows } = await db.query<
    Omit<AlertRecord, 'raisedAtUs' | 'acknowledgedAtUs'> & {
      raisedAtUs: string;
      acknowledgedAtUs: string | null;
    }
  >(
    `SELECT id, kind, subject, detail, raised_at_us::text AS "raisedAtUs",
       acknowledged_at_us::text AS "acknowledgedAtUs"
     FROM alerts WHERE ($1::uuid IS NULL OR id > $1) AND (NOT $2::boolean OR acknowledged_at_us IS NULL)
     ORDER BY id LIMIT $3`,
    [page.after ?? null, page.open, page.limit],
  );
  return rows.map((row) => ({
    ...row,
    raisedAtUs: BigInt(row.raisedAtUs),
    acknowledgedAtUs: row.acknowledgedAtUs === null ? null : BigInt(row.acknowledgedAtUs),
  }));
}

/**
 * Audit entries in order, after `afterSeq`.
 * @example await auditEntries(db, { limit: 100, afterSeq: 0n })
 */
export async function auditEntries(
  db: SqlExecutor,
  page: { limit: number; afterSeq: bigint },
): Promise<AuditRecord[]> {
  const { rows } = await db.query<
    Omit<AuditRecord, 'seq' | 'atUs'> & { seq: string; atUs: string }
  >(
    // Ordered by the bigint column (a.seq), not the text of the same name the query returns.
    `SELECT a.seq::text AS seq, a.at_us::text AS "atUs", a.actor, a.action, a.subject, a.outcome,
       a.detail, a.hash
     FROM audit_log a WHERE a.seq > $1 ORDER BY a.seq LIMIT $2`,
    [page.afterSeq, page.limit],
  );
  return rows.map((row) => ({ ...row, seq: BigInt(row.seq), atUs: BigInt(row.atUs) }));
}
