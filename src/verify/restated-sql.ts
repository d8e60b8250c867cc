/**
 * `RestatedPort` over SQL: the business tables a page at a time by key, and the ledger's
 * transfers with their accounts' codes and their reservations' states. Reads only.
 */
import type { IsoDate } from '../reserves/instruments.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import type {
  DepositRow,
  InvestmentRow,
  LotJournal,
  LotRow,
  MintRow,
  PayoutRow,
  RedemptionRow,
  RestatedPort,
  TransferFact,
} from './restated.ts';

const big = (text: string | null): bigint | null => (text === null ? null : BigInt(text));

/** Rows after `after` (a uuid key; '' for the first page). */
const afterUuid = `($1 = '' OR id > $1::uuid)`;

/** The kinds of journal records that carry a transfer's postings: posted (3) and pending (4). */
const transferKinds = '(3, 4)';

/** A page of a table whose rows each reserve money by a pending transfer (mints, payouts). */
async function reservedRows(
  db: SqlExecutor,
  table: 'mint_requests' | 'payouts',
  after: string,
  limit: number,
): Promise<MintRow[] & PayoutRow[]> {
  const { rows } = await db.query<{
    id: string;
    amount: string;
    status: string;
    ledger_pending: string;
  }>(
    `SELECT id::text, amount::text, status, ledger_pending::text FROM ${table}
     WHERE ${afterUuid} ORDER BY id LIMIT ${limit}`,
    [after],
  );
  return rows.map((r) => ({
    id: r.id,
    amount: BigInt(r.amount),
    status: r.status,
    ledgerPending: r.ledger_pending,
  }));
}

/**
 * The port over `db` (a session or a transaction's executor).
 * @example await restatedDifferences((body) => body(sqlRestatedPort(db)))
 */
export function sqlRestatedPort(db: SqlExecutor): RestatedPort {
  return {
    async deposits(after, limit) {
      const { rows } = await db.query<{
        reference: string;
        bank: string;
        amount: string;
        customer_id: string | null;
        ledger_transfer: string;
      }>(
        `SELECT reference, bank, amount::text, customer_id, ledger_transfer::text FROM deposits
         WHERE reference > $1 ORDER BY reference LIMIT ${limit}`,
        [after],
      );
      return rows.map(
        (r): DepositRow => ({
          reference: r.reference,
          bank: r.bank,
          amount: BigInt(r.amount),
          customerId: r.customer_id,
          ledgerTransfer: r.ledger_transfer,
        }),
      );
    },
    mints: (after, limit) => reservedRows(db, 'mint_requests', after, limit),
    async redemptions(after, limit) {
      const { rows } = await db.query<{
        id: string;
        customer_id: string;
        amount: string;
        fee: string;
        status: string;
        ledger_transfer: string;
      }>(
        `SELECT id::text, customer_id, amount::text, fee::text, status, ledger_transfer::text
         FROM redemptions WHERE ${afterUuid} ORDER BY id LIMIT ${limit}`,
        [after],
      );
      return rows.map(
        (r): RedemptionRow => ({
          id: r.id,
          customerId: r.customer_id,
          amount: BigInt(r.amount),
          fee: BigInt(r.fee),
          status: r.status,
          ledgerTransfer: r.ledger_transfer,
        }),
      );
    },
    payouts: (after, limit) => reservedRows(db, 'payouts', after, limit),
    async investments(after, limit) {
      const { rows } = await db.query<{
        id: string;
        purpose: string;
        reference: string;
        name: string;
        bank: string;
        amount: string;
        status: string;
      }>(
        `SELECT id::text, purpose, reference, name, bank, amount::text, status
         FROM investment_requests WHERE ${afterUuid} ORDER BY id LIMIT ${limit}`,
        [after],
      );
      return rows.map((r): InvestmentRow => ({ ...r, amount: BigInt(r.amount) }));
    },
    lots: () => lots(db),
    transfers: (ids) => transfers(db, ids),
    lotJournal: (codes) => lotJournal(db, codes),
  };
}

async function lots(db: SqlExecutor): Promise<LotRow[]> {
  const date = (column: string) => `to_char(${column}, 'YYYY-MM-DD')`;
  const { rows } = await db.query<{
    id: string;
    kind: 'tbill' | 'repo';
    account_code: string;
    status: string;
    face: string | null;
    cost: string | null;
    principal: string | null;
    settlement_date: string | null;
    maturity_date: string | null;
    accrued_through: string | null;
  }>(
    `SELECT p.id, p.kind, p.account_code, p.status, p.face::text, p.cost::text, p.principal::text,
       ${date('p.settlement_date')} AS settlement_date, ${date('p.maturity_date')} AS maturity_date,
       ${date('a.accrued_through')} AS accrued_through
     FROM reserve_positions p LEFT JOIN reserve_accruals a ON a.position_id = p.id
     WHERE p.kind IN ('tbill', 'repo') ORDER BY p.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    accountCode: r.account_code,
    status: r.status,
    face: big(r.face),
    cost: big(r.cost),
    principal: big(r.principal),
    settlementDate: r.settlement_date as IsoDate | null,
    maturityDate: r.maturity_date as IsoDate | null,
    accruedThrough: r.accrued_through as IsoDate | null,
  }));
}

/** The transfers of `ids` (journal records of kind 3 or 4), their postings by account code. */
async function transfers(
  db: SqlExecutor,
  ids: readonly string[],
): Promise<ReadonlyMap<string, TransferFact>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{
    id: string;
    kind: number;
    state: TransferFact['state'] | null;
    debits: string[];
    credits: string[];
    amounts: string[];
  }>(
    `SELECT j.id::text, j.kind, p.status AS state,
       ARRAY(SELECT a.code FROM unnest(j.debit_ids) WITH ORDINALITY d(id, n)
             JOIN ledger_accounts a ON a.id = d.id ORDER BY d.n) AS debits,
       ARRAY(SELECT a.code FROM unnest(j.credit_ids) WITH ORDINALITY c(id, n)
             JOIN ledger_accounts a ON a.id = c.id ORDER BY c.n) AS credits,
       j.amounts::text[] AS amounts
     FROM ledger_journal j LEFT JOIN ledger_pending p ON p.id = j.id
     WHERE j.id = ANY($1::uuid[]) AND j.kind IN ${transferKinds}`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        kind: r.kind === 4 ? 'pending' : 'posted',
        state: r.kind === 4 ? (r.state ?? 'pending') : 'posted',
        postings: r.amounts.map((amount, i) => ({
          debit: r.debits[i] ?? '?',
          credit: r.credits[i] ?? '?',
          amount: BigInt(amount),
        })),
      },
    ]),
  );
}

/**
 * The lots' side in the journal: per lot (metadata `reserves.position`), the debit of its
 * opening transfer (`buy`, `repo-open`) and its net on the lot accounts, over posted records
 * (kind 3) and posted reservations (kind 5); and each lot account's posted balance.
 */
async function lotJournal(db: SqlExecutor, codes: readonly string[]): Promise<LotJournal> {
  if (codes.length === 0) return { lots: new Map(), balances: new Map() };
  const { rows } = await db.query<{ position: string; opened: string | null; net: string }>(
    `WITH lot_accounts AS (SELECT id FROM ledger_accounts WHERE code = ANY($1::text[])),
     legs AS (
       SELECT j.metadata->>'reserves.position' AS position, j.metadata->>'reserves.op' AS op,
              x.debit, x.credit, x.amount
       FROM ledger_journal j, unnest(j.debit_ids, j.credit_ids, j.amounts) AS x(debit, credit, amount)
       WHERE j.kind IN (3, 5) AND j.metadata ? 'reserves.position')
     SELECT l.position,
       (sum(l.amount) FILTER (WHERE d.id IS NOT NULL AND l.op IN ('buy', 'repo-open')))::text AS opened,
       (coalesce(sum(l.amount) FILTER (WHERE d.id IS NOT NULL), 0)
         - coalesce(sum(l.amount) FILTER (WHERE c.id IS NOT NULL), 0))::text AS net
     FROM legs l LEFT JOIN lot_accounts d ON d.id = l.debit LEFT JOIN lot_accounts c ON c.id = l.credit
     GROUP BY l.position`,
    [codes],
  );
  const balances = await db.query<{ code: string; balance: string }>(
    `SELECT code, (debits_posted - credits_posted)::text AS balance FROM ledger_accounts
     WHERE code = ANY($1::text[])`,
    [codes],
  );
  return {
    lots: new Map(
      rows.map((r) => [r.position, { opened: big(r.opened) ?? undefined, net: BigInt(r.net) }]),
    ),
    balances: new Map(balances.rows.map((r) => [r.code, BigInt(r.balance)])),
  };
}
