/**
 * `clearpeg payouts create|approve|sent|cancel|status|list`: a customer's dollars to their
 * bank, maker-checker, through a running server's API (`CLEARPEG_URL`, `CLEARPEG_API_KEY`).
 * `payouts approve` signs with the checker's own key file, over the intent it rebuilds from
 * the payout's fields. Every read takes `--json`.
 */
import type { z } from 'zod';
import type { payout, payoutDetail } from '../api/schemas.ts';
import { parseAmount } from '../money/money.ts';
import { approvalLines, approveCommand, awaitingApproval, type Signable } from './approve.ts';
import type { Command } from './io.ts';
import { itemPath, listCommand, remoteCommand, showCommand, writeOptions } from './remote.ts';
import { payoutStatuses } from './vocabulary.ts';

type PayoutView = z.infer<typeof payout>;
type PayoutDetail = z.infer<typeof payoutDetail>;

const payoutUsage = 'ID: give the payout id (a UUID)';

/**
 * What the checkers sign, rebuilt from the fields the server shows. `payoutIntent` reads the
 * id, customer, amount, bank, beneficiary and redemption only: the rest is not signed.
 */
async function rebuildPayoutIntent(p: PayoutView) {
  // The server's own function, loaded only to approve (its module brings the workflows).
  const { payoutIntent } = await import('../issuance/payouts.ts');
  return payoutIntent({
    id: p.id,
    customerId: p.customerId,
    amount: parseAmount(p.amount, 'amount'),
    bank: p.bank,
    beneficiary: p.beneficiary,
    redemptionId: p.redemptionId,
  });
}

function payoutLine(p: PayoutView): string {
  return `${p.id} ${p.status.padEnd(16)} ${p.amount.padStart(22)} ${p.customerId.padEnd(16)} via ${p.bank} to ${JSON.stringify(p.beneficiary)}`;
}

function payoutLines(p: PayoutView | PayoutDetail): string[] {
  return [
    `payout ${p.id}: ${p.status}`,
    `  ${p.intentText}`,
    `  made by ${p.maker} at ${p.createdAt}${p.dueAt === null ? '' : `, due by ${p.dueAt}`}, ledger reservation ${p.ledgerPending}`,
    ...approvalLines(p),
    ...(p.bankReference === null ? [] : [`  sent: bank reference ${p.bankReference}`]),
    ...(p.failure === null
      ? []
      : [`  ${p.status === 'cancelled' ? 'cancelled' : 'failure'}: ${p.failure}`]),
  ];
}

const signablePayout: Signable<PayoutDetail> = {
  what: 'payout',
  path: '/v1/payouts',
  rebuild: rebuildPayoutIntent,
  outcome: payoutLines,
};

export const payoutsCreate = remoteCommand({
  name: 'payouts create',
  usage:
    'clearpeg payouts create --customer ID --amount A --bank B --beneficiary TEXT [--redemption ID] [--json] [--idempotency-key K]',
  options: writeOptions('customer', 'amount', 'bank', 'beneficiary', 'redemption'),
  async run({ values, option, amount, send }) {
    const body = {
      customerId: option('customer', 'the customer id'),
      amount: amount('amount'),
      bank: option('bank', 'the bank that sends the wire, e.g. bank-a'),
      beneficiary: option(
        'beneficiary',
        'who receives the wire and where, e.g. "Acme LLC, IBAN …"',
      ),
      ...(values.redemption === undefined ? {} : { redemptionId: values.redemption }),
    };
    return send('/v1/payouts', body, awaitingApproval('payouts approve', payoutLines));
  },
});

export const payoutsApprove = approveCommand('payouts approve', signablePayout);

/** `payouts <verb> ID --<option> TEXT`: a step of a payout, POSTed to `<payout>/<verb>`. */
function payoutStep<const O extends string>(spec: {
  verb: 'sent' | 'cancel';
  option: O;
  /** The body's member the option sets, and what it is. */
  field: string;
  what: string;
}): Command {
  return remoteCommand({
    name: `payouts ${spec.verb}`,
    usage: `clearpeg payouts ${spec.verb} ID --${spec.option} TEXT [--json] [--idempotency-key K]`,
    options: writeOptions(spec.option),
    run: ({ arg, option, send }) =>
      send(
        `${itemPath('/v1/payouts', arg(payoutUsage))}/${spec.verb}`,
        { [spec.field]: option(spec.option, spec.what) },
        payoutLines,
      ),
  });
}

export const payoutsSent = payoutStep({
  verb: 'sent',
  option: 'bank-reference',
  field: 'bankReference',
  what: "the bank's reference of the wire",
});

export const payoutsCancel = payoutStep({
  verb: 'cancel',
  option: 'reason',
  field: 'reason',
  what: 'why, in a few words',
});

export const payoutsStatus = showCommand({
  name: 'payouts status',
  path: '/v1/payouts',
  what: 'payout id (a UUID)',
  lines: payoutLines,
});

export const payoutsList = listCommand({
  name: 'payouts list',
  path: '/v1/payouts',
  key: 'payouts',
  line: payoutLine,
  filters: {
    status: { query: 'status', usage: payoutStatuses.join('|') },
    customer: { query: 'customerId', usage: 'ID' },
  },
});
