/**
 * Who is acting: an operator with roles, a customer (only on their own things), or the system
 * (the workers). Every workflow takes an actor and checks it first; the API resolves it from
 * an API key, the CLI from the operator's key.
 */
import { ClearpegError } from '../errors.ts';

export const operatorRoles = ['treasurer', 'approver', 'compliance', 'admin', 'auditor'] as const;

/** An operator's id, as the operators table checks it. */
export const operatorIdPattern = /^[a-z][a-z0-9-]{0,63}$/;
export type OperatorRole = (typeof operatorRoles)[number];

export type Actor =
  | { readonly kind: 'operator'; readonly id: string; readonly roles: readonly OperatorRole[] }
  | { readonly kind: 'customer'; readonly id: string }
  | { readonly kind: 'system'; readonly id: 'system' };

/** The workers: settlement, the chain writer, expiry. */
export const systemActor: Actor = { kind: 'system', id: 'system' };

/** The actor as the audit log names it. */
export function actorName(actor: Actor): string {
  return actor.kind === 'customer' ? `customer:${actor.id}` : actor.id;
}

/**
 * Refuses unless `actor` is an operator holding one of `roles` (or, where `customerId` is
 * given, that customer acting for themselves).
 * @example requireRole(actor, ['treasurer'], { customerId: 'CUST-0001' })
 */
export function requireRole(
  actor: Actor,
  roles: readonly OperatorRole[],
  options: { customerId?: string; action?: string } = {},
): void {
  if (actor.kind === 'system') return;
  if (
    actor.kind === 'customer' &&
    options.customerId !== undefined &&
    actor.id === options.customerId
  )
    return;
  if (actor.kind === 'operator' && actor.roles.some((role) => roles.includes(role))) return;
  throw new ClearpegError(
    'forbidden',
    `${actorName(actor)} may not ${options.action ?? 'do this'}: it needs the role ${roles.join(' or ')}${options.customerId === undefined ? '' : ` or to be customer ${options.customerId}`}`,
    { rule: `role ${roles.join(' or ')}` },
  );
}
