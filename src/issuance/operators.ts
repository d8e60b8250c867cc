/**
 * Operators and their credentials. An operator acts through an API key (its SHA-256 is
 * stored, never the key); an approver also holds an Ed25519 key of their own, whose public
 * half is registered here and checked on every approval.
 *
 * `createOperator` is the set-up ceremony's step (the first admin and approvers, before any
 * quorum exists) and runs with database access only; once operators exist, adding one or
 * changing a role is a change under quorum (governance.ts).
 */

import { createHash, randomBytes } from 'node:crypto';
import { wallClockUs } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { requireReadableText } from '../policy/intent.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import {
  type Actor,
  type OperatorRole,
  operatorIdPattern,
  operatorRoles,
} from '../workflow/actors.ts';
import { appendAudit } from '../workflow/audit-store.ts';

export interface NewOperator {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly OperatorRole[];
  /** An approver's Ed25519 public key, 32 bytes as hex. */
  readonly approvalKey?: string;
}

/**
 * Registers an operator (set-up ceremony) and returns a new API key for them, shown once.
 * @example const { apiKey } = await createOperator(db, { id: 'op-ann', name: 'Ann', roles: ['approver'], approvalKey })
 */
export async function createOperator(
  db: SqlDatabase,
  operator: NewOperator,
  clockUs: () => bigint = wallClockUs,
): Promise<{ apiKey: string }> {
  if (!operatorIdPattern.test(operator.id))
    throw new ClearpegError('operator-invalid', 'id must be lowercase letters, digits and dashes', {
      field: 'id',
      rule: operatorIdPattern.source,
    });
  if (typeof operator.name !== 'string' || operator.name.length < 1 || operator.name.length > 200)
    throw new ClearpegError('operator-invalid', 'name must be 1 to 200 characters', {
      field: 'name',
      rule: '1 to 200 characters',
    });
  requireReadableText(operator.name, 'name', 'operator-invalid');
  for (const role of operator.roles)
    if (!operatorRoles.includes(role))
      throw new ClearpegError('operator-invalid', `unknown role ${role}`, {
        field: 'roles',
        rule: operatorRoles.join(' | '),
      });
  if (operator.roles.includes('approver') && !/^[0-9a-f]{64}$/.test(operator.approvalKey ?? ''))
    throw new ClearpegError(
      'operator-invalid',
      'an approver needs an Ed25519 public key (64 hex digits)',
      {
        field: 'approvalKey',
        rule: '32 bytes of lowercase hex',
      },
    );
  return db.transaction(async (tx) => {
    const now = clockUs();
    await tx.query(
      `INSERT INTO operators (id, name, roles, approval_key, active, created_at_us) VALUES ($1, $2, $3, $4, true, $5)`,
      [
        operator.id,
        operator.name,
        operator.roles,
        operator.approvalKey === undefined ? null : Buffer.from(operator.approvalKey, 'hex'),
        now,
      ],
    );
    const apiKey = await issueApiKey(tx, { operatorId: operator.id }, now);
    await appendAudit(
      tx,
      {
        actor: 'setup',
        action: 'operator.create',
        subject: operator.id,
        outcome: 'ok',
        detail: { roles: [...operator.roles], approvalKey: operator.approvalKey ?? null },
      },
      now,
    );
    return { apiKey };
  });
}

/**
 * A new API key `ck_<id>.<secret>` (8 random bytes of id, 32 of secret) and its SHA-256, the
 * one format of every key. Only the hash is stored; the key is shown once to its owner. An
 * operator added under quorum runs this on their own machine and sends only `sha256Hex`.
 * @example const { apiKey, sha256Hex } = generateApiKey() // apiKey 'ck_1f….Xb…', sha256Hex 64 hex digits
 */
export function generateApiKey(): { id: string; apiKey: string; sha256Hex: string } {
  const id = `ck_${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const apiKey = `${id}.${secret}`;
  return { id, apiKey, sha256Hex: Buffer.from(apiKeySha256(apiKey)).toString('hex') };
}

/**
 * SHA-256 of an API key: what `api_keys` stores and a key is looked up by.
 * @example apiKeySha256('ck_1f….Xb…').length === 32
 */
export function apiKeySha256(apiKey: string): Uint8Array {
  return createHash('sha256').update(apiKey).digest();
}

/** How many operators exist (the set-up ceremony runs while there are none). */
export async function operatorCount(db: SqlExecutor): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM operators');
  return rows[0]!.n;
}

/** A new API key `ck_<id>.<secret>` for an operator or a customer; only its hash is stored. */
export async function issueApiKey(
  tx: SqlExecutor,
  owner: { operatorId: string } | { customerId: string },
  nowUs: bigint,
): Promise<string> {
  const { id, apiKey, sha256Hex } = generateApiKey();
  await tx.query(
    `INSERT INTO api_keys (id, secret_sha256, operator_id, customer_id, created_at_us) VALUES ($1, $2, $3, $4, $5)`,
    [
      id,
      Buffer.from(sha256Hex, 'hex'),
      'operatorId' in owner ? owner.operatorId : null,
      'customerId' in owner ? owner.customerId : null,
      nowUs,
    ],
  );
  return apiKey;
}

/**
 * The actor an API key stands for, or undefined for an unknown, revoked or inactive one.
 * @example const actor = await actorForApiKey(db, request.header('authorization').slice(7))
 */
export async function actorForApiKey(db: SqlExecutor, apiKey: string): Promise<Actor | undefined> {
  if (typeof apiKey !== 'string' || apiKey.length > 200) return undefined;
  const { rows } = await db.query<{
    operator_id: string | null;
    customer_id: string | null;
    roles: OperatorRole[] | null;
    active: boolean | null;
  }>(
    `SELECT k.operator_id, k.customer_id, o.roles, o.active FROM api_keys k LEFT JOIN operators o ON o.id = k.operator_id
     WHERE k.secret_sha256 = $1 AND k.revoked_at_us IS NULL`,
    [apiKeySha256(apiKey)],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  if (row.customer_id !== null) return { kind: 'customer', id: row.customer_id };
  if (row.operator_id === null || row.active !== true) return undefined;
  return { kind: 'operator', id: row.operator_id, roles: row.roles ?? [] };
}
