/**
 * `clearpeg investments propose|approve|execute|cancel|status|list`: moving the issuer's
 * excess into an outside investment, under quorum, through a running server's API
 * (`CLEARPEG_URL`, `CLEARPEG_API_KEY`). A treasurer proposes; an approver other than the
 * proposer signs with their own key file (`investments approve`, over the intent it rebuilds
 * from the request's fields); a treasurer executes, when the excess is checked again and the
 * cash moves. Every read takes `--json`.
 */
import type { z } from 'zod';
import type { investmentDetail, investmentRequest } from '../api/schemas.ts';
import { parseAmount } from '../money/money.ts';
import type { InvestmentAsset } from '../reserves/instruments.ts';
import { approvalLines, approveCommand, awaitingApproval, type Signable } from './approve.ts';
import { itemPath, listCommand, remoteCommand, showCommand, writeOptions } from './remote.ts';
import { investmentStatuses } from './vocabulary.ts';

type InvestmentView = z.infer<typeof investmentRequest>;
type InvestmentDetail = z.infer<typeof investmentDetail>;

const path = '/v1/reserves/investments';
const idUsage = 'ID: give the investment request id (a UUID)';

/**
 * What the approvers sign, rebuilt from the fields the server shows (`investmentIntent` reads
 * the id, reference, name, asset, amount, bank, custodian, jurisdiction and statement only).
 */
async function rebuildInvestmentIntent(v: InvestmentView) {
  // The server's own function, loaded only to approve.
  const { requestIntent } = await import('../treasury/investments.ts');
  return requestIntent({
    id: v.id,
    purpose: v.purpose,
    reference: v.reference,
    name: v.name,
    asset: v.asset as InvestmentAsset | null,
    amount: parseAmount(v.amount, 'amount'),
    bank: v.bank,
    custodian: v.custodian,
    jurisdiction: v.jurisdiction,
    period: v.period,
    statement: v.statement,
  } as Parameters<typeof requestIntent>[0]);
}

function investmentLine(v: InvestmentView): string {
  return `${v.id} ${v.status.padEnd(16)} ${v.amount.padStart(22)} ${(v.asset ?? v.purpose).padEnd(8)} ${v.name} from ${v.bank}, ref ${v.reference}`;
}

function investmentLines(v: InvestmentView | InvestmentDetail): string[] {
  return [
    `investment ${v.id}: ${v.status}`,
    `  ${v.intentText}`,
    `  proposed by ${v.maker} at ${v.createdAt}`,
    ...approvalLines(v),
    ...(v.executedAt === null ? [] : [`  executed at ${v.executedAt}: position ${v.positionId}`]),
    ...(v.failure === null ? [] : [`  cancelled: ${v.failure}`]),
  ];
}

const signableInvestment: Signable<InvestmentDetail> = {
  what: 'investment request',
  path,
  rebuild: rebuildInvestmentIntent,
  outcome: investmentLines,
};

export const investmentsPropose = remoteCommand({
  name: 'investments propose',
  usage:
    'clearpeg investments propose --reference REF --name NAME --asset ASSET --amount A --bank B --custodian NAME --jurisdiction CC [--statement SHA256] [--json] [--idempotency-key K]',
  options: writeOptions(
    'reference',
    'name',
    'asset',
    'amount',
    'bank',
    'custodian',
    'jurisdiction',
    'statement',
  ),
  async run({ values, option, amount, send }) {
    const body = {
      reference: option('reference', 'your ticket for the investment, e.g. I-2026-12-01'),
      name: option('name', 'the investment, e.g. btc (its account is investments:<name>)'),
      asset: option('asset', 'bitcoin, gold, secured-loan, equity or other'),
      amount: amount('amount'),
      bank: option('bank', 'the bank whose cash pays, e.g. bank-a'),
      custodian: option('custodian', 'who holds it, e.g. "Coinbase Custody"'),
      jurisdiction: option('jurisdiction', "the custodian's country code, e.g. US"),
      ...(values.statement === undefined ? {} : { statement: values.statement }),
    };
    return send(path, body, awaitingApproval('investments approve', investmentLines));
  },
});

export const investmentsApprove = approveCommand('investments approve', signableInvestment);

export const investmentsExecute = remoteCommand({
  name: 'investments execute',
  usage: 'clearpeg investments execute ID [--json] [--idempotency-key K]',
  options: writeOptions(),
  run: ({ arg, send }) => send(`${itemPath(path, arg(idUsage))}/execute`, {}, investmentLines),
});

export const investmentsCancel = remoteCommand({
  name: 'investments cancel',
  usage: 'clearpeg investments cancel ID --reason TEXT [--json] [--idempotency-key K]',
  options: writeOptions('reason'),
  run: ({ arg, option, send }) =>
    send(
      `${itemPath(path, arg(idUsage))}/cancel`,
      { reason: option('reason', 'why, in a few words') },
      investmentLines,
    ),
});

export const investmentsStatus = showCommand({
  name: 'investments status',
  path,
  what: 'investment request id (a UUID)',
  lines: investmentLines,
});

export const investmentsList = listCommand({
  name: 'investments list',
  path,
  key: 'investments',
  line: investmentLine,
  filters: { status: { query: 'status', usage: investmentStatuses.join('|') } },
});
