/**
 * `clearpeg expenses propose|approve|execute|cancel|status|list`: paying a distribution
 * partner's share of reserve income or an operating cost out of the issuer's excess, under
 * quorum, through a running server's API (`CLEARPEG_URL`, `CLEARPEG_API_KEY`). An expense is a
 * request out of excess like an investment (docs/income.md): a treasurer proposes, an approver
 * other than the proposer signs its intent with their own key file, a treasurer executes it
 * (the excess checked again and the cash paid in one atomic step). Every read takes `--json`.
 */
import { awaitingApproval } from './approve.ts';
import { investmentLines, requestSteps } from './investments.ts';
import { remoteCommand, writeOptions } from './remote.ts';
import { expensePurposes } from './vocabulary.ts';

export const expensesPropose = remoteCommand({
  name: 'expenses propose',
  usage: `clearpeg expenses propose --purpose ${expensePurposes.join('|')} --reference REF --name NAME --amount A --bank B --payee NAME --jurisdiction CC [--period-from YYYY-MM-DD --period-to YYYY-MM-DD] [--json] [--idempotency-key K]`,
  options: writeOptions(
    'purpose',
    'reference',
    'name',
    'amount',
    'bank',
    'payee',
    'jurisdiction',
    'period-from',
    'period-to',
  ),
  async run({ values, option, amount, send }) {
    const from = values['period-from'];
    const to = values['period-to'];
    const body = {
      purpose: option('purpose', expensePurposes.join(' or ')),
      reference: option('reference', 'your ticket for the payment, e.g. an invoice number'),
      name: option(
        'name',
        'the distribution partner, or the cost category (audit, salaries, banking…)',
      ),
      amount: amount('amount'),
      bank: option('bank', 'the bank whose cash pays, e.g. bank-a'),
      payee: option('payee', 'who is paid, e.g. "Audit LLP"'),
      jurisdiction: option('jurisdiction', "the payee's country code, e.g. US"),
      ...(from === undefined && to === undefined
        ? {}
        : {
            period: {
              from: option('period-from', 'the first day of the period shared'),
              to: option('period-to', 'the last day of the period shared'),
            },
          }),
    };
    return send(
      '/v1/reserves/expenses',
      body,
      awaitingApproval('expenses approve', investmentLines),
    );
  },
});

/** `expenses approve|execute|cancel|status|list`: the steps every request out of excess takes. */
export const expenseSteps = requestSteps('expenses');
