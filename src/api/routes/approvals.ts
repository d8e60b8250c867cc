/**
 * What the routes of approvable things (mints, payouts, investments, changes) share: a view with who
 * approved it and when, and the approval route itself.
 */

import type { z } from 'zod';
import type { ErrorCode } from '../../errors.ts';
import type { Approval } from '../../policy/approvals.ts';
import type { SqlExecutor } from '../../storage/sql.ts';
import type { Actor } from '../../workflow/actors.ts';
import type { ApprovalSubjectKind } from '../../workflow/approving.ts';
import { approvalsOf } from '../queries.ts';
import { type Route, route } from '../route.ts';
import { approveBody, idParam } from '../schemas.ts';
import { approvalView } from '../views.ts';

/**
 * `view` with its approvals (approver and time; the signatures are checked where they count).
 * @example await withApprovals(db, 'mint', mintView(request))
 */
export async function withApprovals<T extends { readonly id: string }>(
  db: SqlExecutor,
  kind: ApprovalSubjectKind,
  view: T,
): Promise<T & { approvals: { approverId: string; approvedAt: string }[] }> {
  return { ...view, approvals: (await approvalsOf(db, kind, view.id)).map(approvalView) };
}

/** The problems of every approval route, beyond its subject's own. */
const approvalProblems: readonly ErrorCode[] = [
  'forbidden',
  'approval-not-yours',
  'approval-self',
  'approver-unknown',
  'approval-invalid',
  'approval-key-mismatch',
];

/**
 * The route `POST /v1/<things>/:id/approvals` of an approvable thing: the caller's signed
 * approval in, the thing with its approvals out.
 * @example approvalRoute({ db, kind: 'mint', path: '/v1/mints/:id/approvals', …, approve: (actor, id, a) => approveMint(ctx, actor, id, a), view: mintView })
 */
export function approvalRoute<T>(spec: {
  readonly db: SqlExecutor;
  readonly kind: ApprovalSubjectKind;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly response: z.ZodType;
  /** The subject's own problems (not found, not pending, …). */
  readonly problems: readonly ErrorCode[];
  approve(actor: Actor, id: string, approval: Approval): Promise<T>;
  view(approved: T): { readonly id: string };
}): Route {
  return route({
    method: 'post',
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    tag: spec.tag,
    auth: 'key',
    params: idParam,
    body: approveBody,
    responses: { 200: spec.response },
    problems: [...approvalProblems, ...spec.problems],
    handle: async ({ actor, params, body }) => ({
      status: 200,
      body: await withApprovals(
        spec.db,
        spec.kind,
        spec.view(await spec.approve(actor, params.id, body.approval)),
      ),
    }),
  });
}
