/**
 * What the API commands know of the server's vocabulary: the values an option may take and the
 * sizes a file may have. Copies, so that a command that only talks HTTP loads neither the
 * issuance workflows nor the API's schemas (and through them viem and the EVM); vocabulary.test.ts
 * checks each against the server's own, so a copy cannot drift.
 */

/** `customers kyc --state` (issuance/customers.ts, `kycStates`). */
export const kycStates = ['pending', 'approved', 'suspended'] as const;

/** `mint list --status` (api/schemas.ts, `mintStatus`). */
export const mintStatuses = [
  'pending-approval',
  'approved',
  'submitted',
  'final',
  'failed',
  'expired',
] as const;

/** `redeem list --status` (api/schemas.ts, `redemptionStatus`). */
export const redemptionStatuses = ['credited', 'burning', 'burned', 'held'] as const;

/** `payouts list --status` (api/schemas.ts, `payoutStatus`). */
export const payoutStatuses = ['pending-approval', 'approved', 'sent', 'cancelled'] as const;

/** `investments list --status` (api/schemas.ts, `investmentStatus`). */
/** What an expense pays for (`ExpensePurpose`, the expense body's `purpose`). */
export const expensePurposes = ['distribution', 'operating'] as const;

export const investmentStatuses = [
  'pending-approval',
  'approved',
  'executed',
  'cancelled',
] as const;

/** `changes list --status` (api/schemas.ts, `changeStatus`). */
export const changeStatuses = ['pending-approval', 'adopted', 'failed', 'expired'] as const;

/** `changes propose --action` (issuance/governance.ts, `changeActions`). */
export const changeActions = [
  'policy.adopt',
  'operator.add',
  'operator.update',
  'breaker.clear',
  'token.unpause',
] as const;

/** The largest statement `deposits import` sends (api/routes/deposits.ts, `statementBytesMax`). */
export const statementBytesMax = 10 * 1024 * 1024;

/** The largest JSON body the server reads (api/request.ts, `jsonBodyBytesMax`). */
export const jsonBodyBytesMax = 64 * 1024;
