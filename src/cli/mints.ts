/**
 * `clearpeg mint request|approve|status|list` and `clearpeg redeem address|status|list`:
 * tokens in and out, through a running server's API (`CLEARPEG_URL`, `CLEARPEG_API_KEY`).
 * `mint approve` signs with the approver's own key file, over the intent it rebuilds from the
 * request's fields. Every read takes `--json`.
 */
import type { Hex } from 'viem';
import type { z } from 'zod';
import type { mint, mintDetail, quote, redemption } from '../api/schemas.ts';
import { parseAmount } from '../money/money.ts';
import { approvalLines, approveCommand, awaitingApproval, type Signable } from './approve.ts';
import { listCommand, remoteCommand, showCommand, writeOptions } from './remote.ts';
import { mintStatuses, redemptionStatuses } from './vocabulary.ts';

type Mint = z.infer<typeof mint>;
type MintDetail = z.infer<typeof mintDetail>;
type Redemption = z.infer<typeof redemption>;

/**
 * What the approvers sign, rebuilt from the fields the server shows. `mintIntent` reads the
 * id, chain, token, recipient, amount and customer only: the rest is not signed.
 */
async function rebuildMintIntent(m: Mint) {
  // The server's own function, loaded only to approve (its module brings the workflows).
  const { mintIntent } = await import('../issuance/mint.ts');
  return mintIntent({
    id: m.id,
    chainId: m.chainId,
    token: m.token as Hex,
    to: m.to as Hex,
    amount: parseAmount(m.amount, 'amount'),
    customerId: m.customerId,
  });
}

function mintLine(m: Mint): string {
  return `${m.id} ${m.status.padEnd(16)} ${m.amount.padStart(22)} to ${m.to} on ${m.chainId} for ${m.customerId}`;
}

function mintLines(m: Mint | MintDetail): string[] {
  return [
    `mint ${m.id}: ${m.status}`,
    `  ${m.intentText}`,
    `  token ${m.token}, requested by ${m.initiator}, ledger reservation ${m.ledgerPending}`,
    ...approvalLines(m),
    ...(m.txHash === null
      ? []
      : [`  tx ${m.txHash}${m.blockNumber === null ? '' : ` in block ${m.blockNumber}`}`]),
    ...(m.failure === null ? [] : [`  failure: ${m.failure}`]),
  ];
}

const signableMint: Signable<MintDetail> = {
  what: 'mint request',
  path: '/v1/mints',
  rebuild: rebuildMintIntent,
  outcome: mintLines,
};

export const mintRequest = remoteCommand({
  name: 'mint request',
  usage:
    'clearpeg mint request --customer ID --chain CHAINID --to 0x… --amount A [--json] [--idempotency-key K]',
  options: writeOptions('customer', 'chain', 'to', 'amount'),
  async run({ option, amount, chainId, send }) {
    const body = {
      customerId: option('customer', 'the customer id'),
      chainId: chainId('chain'),
      to: option('to', 'a registered wallet of the customer, 0x…'),
      amount: amount('amount'),
    };
    return send('/v1/mints', body, awaitingApproval('mint approve', mintLines));
  },
});

export const mintApprove = approveCommand('mint approve', signableMint);

export const mintStatusCommand = showCommand({
  name: 'mint status',
  path: '/v1/mints',
  what: 'mint request id (a UUID)',
  lines: mintLines,
});

export const mintList = listCommand({
  name: 'mint list',
  path: '/v1/mints',
  key: 'mints',
  line: mintLine,
  filters: { status: { query: 'status', usage: mintStatuses.join('|') } },
});

function redemptionLine(r: Redemption): string {
  return `${r.id} ${r.status.padEnd(8)} ${r.amount.padStart(22)} from ${r.from} on ${r.chainId} for ${r.customerId}, net ${r.net}`;
}

function redemptionLines(r: Redemption): string[] {
  return [
    `redemption ${r.id}: ${r.status}${r.refusal === null ? '' : ` (${r.refusal})`}`,
    `  ${r.amount} tokens from ${r.from} to ${r.redemptionAddress} on chain ${r.chainId}, customer ${r.customerId}`,
    `  tx ${r.txHash} log ${r.logIndex} in block ${r.blockNumber}`,
    `  fee ${r.fee}, owed ${r.net} by ${r.dueAt}`,
    ...(r.burnTxHash === null ? [] : [`  burned in ${r.burnTxHash}`]),
  ];
}

export const redeemAddress = remoteCommand({
  name: 'redeem address',
  usage:
    'clearpeg redeem address --customer ID --chain CHAINID [--amount A] [--json] [--idempotency-key K]',
  options: writeOptions('customer', 'chain', 'amount'),
  async run({ values, option, amount, chainId, send }) {
    const body = {
      customerId: option('customer', 'the customer id'),
      chainId: chainId('chain'),
      ...(values.amount === undefined ? {} : { amount: amount('amount') }),
    };
    return send('/v1/redemptions/quote', body, (q: z.infer<typeof quote>) => [
      `send tokens to ${q.redemptionAddress} on chain ${q.chainId} to redeem them for ${q.customerId}`,
      `  fee ${q.feeSchedule.feeBps} bps, at least ${q.feeSchedule.feeMin}, at most ${q.feeSchedule.feeMax}; paid out within ${q.slaBusinessDays} business days`,
      ...(q.amount === undefined ? [] : [`  for ${q.amount}: fee ${q.fee}, paid out ${q.net}`]),
    ]);
  },
});

export const redeemStatus = showCommand({
  name: 'redeem status',
  path: '/v1/redemptions',
  what: 'redemption id (a UUID)',
  lines: redemptionLines,
});

export const redeemList = listCommand({
  name: 'redeem list',
  path: '/v1/redemptions',
  key: 'redemptions',
  line: redemptionLine,
  filters: {
    customer: { query: 'customerId', usage: 'ID' },
    status: { query: 'status', usage: redemptionStatuses.join('|') },
  },
});
