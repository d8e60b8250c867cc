/**
 * Alerts: what an operator must look at (docs/architecture.md, "Alerts and breakers"). Raised
 * in the transaction of the change that found the problem; never deleted, only acknowledged.
 * A breaker stops an operation until an operator clears it; tripping one raises an alert.
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

/**
 * Trips the breaker `name` with its `reason` (JSON) unless it is tripped already, and raises
 * `alert` only when this call tripped it: one alert per trip, however often the cause is seen
 * again before an operator clears the breaker. Returns whether this call tripped it.
 * @example await tripBreaker(tx, 'mint:31337', reason, { kind: 'parity-mismatch', subject: 'chain 31337 at block 120', detail: reason }, nowUs)
 */
export async function tripBreaker(
  tx: SqlExecutor,
  name: string,
  reason: unknown,
  alert: { readonly kind: string; readonly subject: string; readonly detail: unknown },
  atUs: bigint,
): Promise<boolean> {
  const { rows } = await tx.query(
    `INSERT INTO breakers (name, reason, tripped_at_us) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (name) DO NOTHING RETURNING name`,
    [name, JSON.stringify(reason), atUs],
  );
  if (rows.length === 0) return false;
  await raiseAlert(tx, alert.kind, alert.subject, alert.detail, atUs);
  return true;
}
