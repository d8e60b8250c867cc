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
import { expensePurposes, investmentStatuses } from './vocabulary.ts';

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

export function investmentLines(v: InvestmentView | InvestmentDetail): string[] {
  return [
    `${v.purpose === 'investment' ? 'investment' : `expense (${v.purpose})`} ${v.id}: ${v.status}`,
    `  ${v.intentText}`,
    `  proposed by ${v.maker} at ${v.createdAt}`,
    ...approvalLines(v),
    ...(v.executedAt === null
      ? []
      : [
          v.positionId === null
            ? `  paid at ${v.executedAt}`
            : `  executed at ${v.executedAt}: position ${v.positionId}`,
        ]),
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

/**
 * The steps of a request out of excess after its proposal, the same for an investment and an
 * expense (one table, one approval flow): approve, execute, cancel, status, list (of the
 * noun's purposes only: `investments list` the investments, `expenses list` the expenses).
 * @example const { approve } = requestSteps('expenses')
 */
export function requestSteps(noun: 'investments' | 'expenses') {
  const purposes = noun === 'investments' ? ['investment'] : expensePurposes;
  return {
    approve: approveCommand(`${noun} approve`, {
      ...signableInvestment,
      what: noun === 'investments' ? 'investment request' : 'expense request',
    }),
    execute: remoteCommand({
      name: `${noun} execute`,
      usage: `clearpeg ${noun} execute ID [--json] [--idempotency-key K]`,
      options: writeOptions(),
      run: ({ arg, send }) => send(`${itemPath(path, arg(idUsage))}/execute`, {}, investmentLines),
    }),
    cancel: remoteCommand({
      name: `${noun} cancel`,
      usage: `clearpeg ${noun} cancel ID --reason TEXT [--json] [--idempotency-key K]`,
      options: writeOptions('reason'),
      run: ({ arg, option, send }) =>
        send(
          `${itemPath(path, arg(idUsage))}/cancel`,
          { reason: option('reason', 'why, in a few words') },
          investmentLines,
        ),
    }),
    status: showCommand({
      name: `${noun} status`,
      path,
      what: 'request id (a UUID)',
      lines: investmentLines,
    }),
    list: listCommand({
      name: `${noun} list`,
      path,
      key: 'investments',
      line: investmentLine,
      filters: {
        status: { query: 'status', usage: investmentStatuses.join('|') },
        ...(purposes.length === 1
          ? {}
          : { purpose: { query: 'purpose', usage: purposes.join('|') } }),
      },
      fixed: { kind: noun === 'investments' ? 'investment' : 'expense' },
    }),
  };
}

const investments = requestSteps('investments');
export const investmentsApprove = investments.approve;
export const investmentsExecute = investments.execute;
export const investmentsCancel = investments.cancel;
export const investmentsStatus = investments.status;
export const investmentsList = investments.list;
