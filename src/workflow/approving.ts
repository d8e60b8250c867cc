/**
 * Approvals under quorum, as the workflows that need one share them (mints, governance
 * changes): the approver register read from `operators`, each approval checked and stored in
 * `approvals` under its subject, the quorum counted over what is stored, and the writer's
 * second check right before it acts.
 *
 *   record    the caller is the approver (their API key) and the approval is their signature
 *             (their own Ed25519 key) over the intent rebuilt from the subject's own row; the
 *             initiator never approves; then the quorum is counted over every stored approval.
 *   reverify  the chain writer counts the stored approvals again, against the intent it is
 *             about to act on and the register as it is now: a row inserted by hand, a key
 *             changed since, or an edited subject does not make a quorum.
 */
import { ClearpegError } from '../errors.ts';
import { raiseAlert } from '../policy/alerts.ts';
import {
  type Approval,
  checkQuorum,
  type QuorumCheck,
  type RegisteredApprover,
  verifyApproval,
} from '../policy/approvals.ts';
import type { Intent } from '../policy/intent.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import { type Actor, requireRole, systemActor } from './actors.ts';
import { type Change, type IssuanceContext, recordRefusal } from './context.ts';

/** What an approval is about (`approvals.subject_kind`). */
export type ApprovalSubjectKind = 'mint' | 'payout' | 'change' | 'investment';

/**
 * The approver register, from the operators table.
 * @example const register = await approverRegister(db); register.get('op-ann')?.publicKey
 */
export async function approverRegister(db: SqlExecutor): Promise<Map<string, RegisteredApprover>> {
  const { rows } = await db.query<{
    id: string;
    roles: string[];
    approval_key: Uint8Array | null;
    active: boolean;
  }>('SELECT id, roles, approval_key, active FROM operators');
  return new Map(
    rows.map((row) => [
      row.id,
      {
        publicKey: row.approval_key === null ? '' : Buffer.from(row.approval_key).toString('hex'),
        roles: row.roles,
        active: row.active,
      },
    ]),
  );
}

/**
 * The approvals stored for a subject, oldest first, as `checkQuorum` takes them.
 * @example await storedApprovals(db, 'mint', request.id)
 */
export async function storedApprovals(
  db: SqlExecutor,
  kind: ApprovalSubjectKind,
  subject: string,
): Promise<Approval[]> {
  const { rows } = await db.query<{
    approver_id: string;
    public_key: Uint8Array;
    intent_hash: Uint8Array;
    signature: Uint8Array;
  }>(
    'SELECT approver_id, public_key, intent_hash, signature FROM approvals WHERE subject_kind = $1 AND subject_id = $2 ORDER BY approved_at_us',
    [kind, subject],
  );
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return rows.map((row) => ({
    approverId: row.approver_id,
    publicKey: hex(row.public_key),
    intentHash: hex(row.intent_hash),
    signature: hex(row.signature),
  }));
}

/**
 * Refuses unless `actor` holds the role `approver` and `approval` is their own (`forbidden`,
 * `approval-not-yours`): checked before anything is read.
 * @example requireOwnApproval(actor, approval, 'approve mints')
 */
export function requireOwnApproval(actor: Actor, approval: Approval, action: string): void {
  requireRole(actor, ['approver'], { action });
  if (approval?.approverId !== actor.id)
    throw new ClearpegError(
      'approval-not-yours',
      `the approval is by ${approval?.approverId}, not ${actor.id}`,
      {
        field: 'approval.approverId',
        rule: "the caller's own approval",
      },
    );
}

/** The arguments of `recordApproval`. */
export interface RecordApprovalInput {
  readonly kind: ApprovalSubjectKind;
  /** The subject's id (a uuid). */
  readonly subjectId: string;
  /** Who initiated the subject: never approves it, never counts. */
  readonly initiatorId: string;
  /** The intent, rebuilt from the subject's own row. */
  readonly intent: Intent;
  /** The approver (the caller, checked by `requireOwnApproval`). */
  readonly approverId: string;
  readonly approval: Approval;
  /** Approvals the subject needs. */
  readonly required: number;
  readonly nowUs: bigint;
}

/**
 * Checks one approver's approval of a subject (`approval-self`, `approver-unknown`, and
 * `verifyApproval`'s codes), stores it (once per approver) and counts the quorum over every
 * stored approval. Runs inside the caller's transaction, with the subject locked.
 * @example const quorum = await recordApproval(tx, { kind: 'mint', subjectId, initiatorId, intent, approverId: actor.id, approval, required: 2, nowUs })
 */
export async function recordApproval(
  tx: SqlExecutor,
  input: RecordApprovalInput,
): Promise<QuorumCheck> {
  const { kind, subjectId, approverId, approval } = input;
  if (input.initiatorId === approverId)
    throw new ClearpegError('approval-self', 'the initiator of a request cannot approve it', {
      field: 'approval.approverId',
      rule: 'an approver other than the initiator',
    });
  const register = await approverRegister(tx);
  const approver = register.get(approverId);
  if (approver === undefined || !approver.active || approver.publicKey === '')
    throw new ClearpegError(
      'approver-unknown',
      `${approverId} is not an active approver with a key`,
      {
        field: 'approval.approverId',
        rule: 'an active approver',
      },
    );
  verifyApproval(approval, input.intent, approver.publicKey);
  await tx.query(
    `INSERT INTO approvals (subject_kind, subject_id, approver_id, public_key, intent_hash, signature, approved_at_us)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (subject_kind, subject_id, approver_id) DO NOTHING`,
    [
      kind,
      subjectId,
      approverId,
      Buffer.from(approval.publicKey, 'hex'),
      Buffer.from(approval.intentHash, 'hex'),
      Buffer.from(approval.signature, 'hex'),
      input.nowUs,
    ],
  );
  return checkQuorum({
    intent: input.intent,
    initiatorId: input.initiatorId,
    approvals: await storedApprovals(tx, kind, subjectId),
    approvers: register,
    required: input.required,
  });
}

/** The tables of approvable subjects whose status turns `approved` at the quorum. */
export type ApprovableTable = 'mint_requests' | 'payouts' | 'investment_requests';

/**
 * The approval step of a subject waiting in `table`, inside the caller's transaction with the
 * subject locked and found awaiting approval: `recordApproval`, then at the quorum the row's
 * status becomes `approved`. Returns the change for `commit`: the subject as it is now, and
 * the audit detail (approvals counted, required, approved).
 * @example return approveSubject(tx, 'payouts', payout, { kind: 'payout', subjectId: payout.id, … })
 */
export async function approveSubject<S extends { readonly status: string }>(
  tx: SqlExecutor,
  table: ApprovableTable,
  subject: S,
  input: RecordApprovalInput,
): Promise<Change<S>> {
  const quorum = await recordApproval(tx, input);
  if (quorum.ok)
    await tx.query(`UPDATE ${table} SET status = 'approved', updated_at_us = $2 WHERE id = $1`, [
      input.subjectId,
      input.nowUs,
    ]);
  return {
    result: quorum.ok ? { ...subject, status: 'approved' } : subject,
    detail: {
      approvals: quorum.counted,
      required: String(input.required),
      approved: quorum.ok,
    },
  };
}

/**
 * An approval run again after its subject moved on (the first run's answer was lost: a crash,
 * a database failover), answered as the first run was: when this very approval (the approver's
 * id and signature) is stored for the subject, the subject as it is now, with an audit detail
 * that says so; else undefined, and the caller refuses as it would have.
 * @example if (request.status !== 'pending-approval') return (await approvedBefore(tx, 'mint', request.id, request, approval)) ?? refuse()
 */
export async function approvedBefore<S>(
  tx: SqlExecutor,
  kind: ApprovalSubjectKind,
  subjectId: string,
  subject: S,
  approval: Approval,
): Promise<Change<S> | undefined> {
  const signature = String(approval?.signature ?? '').toLowerCase();
  const stored = await storedApprovals(tx, kind, subjectId);
  return stored.some((a) => a.approverId === approval?.approverId && a.signature === signature)
    ? { result: subject, detail: { approvedBefore: true } }
    : undefined;
}

/** The arguments of `reverifyQuorum`. */
export interface ReverifyQuorumInput {
  readonly kind: ApprovalSubjectKind;
  readonly subjectId: string;
  /** The subject as error messages name it (`mint <id>`). */
  readonly label: string;
  /** The intent the writer is about to act on, rebuilt from the subject's own row. */
  readonly intent: Intent;
  readonly initiatorId: string;
  /** The register as it is now. */
  readonly approvers: ReadonlyMap<string, RegisteredApprover>;
  readonly required: number;
}

/**
 * The writer's second check: the stored approvals make a quorum of `required` over `intent`,
 * or `quorum-reverify-failed` (a forged row, a changed key, an edited subject).
 * @example await reverifyQuorum(db, { kind: 'mint', subjectId: id, label: `mint ${id}`, intent, initiatorId, approvers, required: 2 })
 */
export async function reverifyQuorum(db: SqlExecutor, input: ReverifyQuorumInput): Promise<void> {
  const quorum = checkQuorum({
    intent: input.intent,
    initiatorId: input.initiatorId,
    approvals: await storedApprovals(db, input.kind, input.subjectId),
    approvers: input.approvers,
    required: input.required,
  });
  if (!quorum.ok)
    throw new ClearpegError(
      'quorum-reverify-failed',
      `${input.label}: the stored approvals do not make a quorum of ${input.required} over this request (${quorum.refused.map((r) => `${r.approverId}: ${r.reason}`).join(', ') || 'too few'})`,
    );
}

/**
 * Records the writer's refusal of a subject in the audit log; a failed re-verification (a
 * forged approval row, an edited subject) also raises the alert `approval-forged`.
 * @example await recordWriteRefusal(ctx, 'mint.write', request.id, `mint ${request.id}`, error)
 */
export async function recordWriteRefusal(
  ctx: IssuanceContext,
  action: string,
  subject: string,
  label: string,
  error: ClearpegError,
): Promise<void> {
  await recordRefusal(ctx, systemActor, action, subject, error);
  if (error.code === 'quorum-reverify-failed')
    await raiseAlert(ctx.db, 'approval-forged', label, { message: error.message }, ctx.clockUs());
}
