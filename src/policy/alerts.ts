/**
 * Alerts: what an operator must look at (docs/architecture.md, "Alerts and breakers"). Raised
 * in the transaction of the change that found the problem; never deleted, only acknowledged.
 */
import { uuidv7 } from '../ledger/uuid.ts';
import type { SqlExecutor } from '../storage/sql.ts';

/**
 * Raises an alert of `kind` about `subject` with its `detail` (JSON).
 * @example await raiseAlert(tx, 'deposit-unmatched', 'deposit WIRE-3', { reference: 'WIRE-3' }, nowUs)
 */
export async function raiseAlert(
  tx: SqlExecutor,
  kind: string,
  subject: string,
  detail: unknown,
  atUs: bigint,
): Promise<void> {
  await tx.query(
    'INSERT INTO alerts (id, kind, subject, detail, raised_at_us) VALUES ($1, $2, $3, $4::jsonb, $5)',
    [uuidv7(), kind, subject, JSON.stringify(detail), atUs],
  );
}
