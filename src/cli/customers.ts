/**
 * `clearpeg customers create|show|list|kyc|wallet|leaf` and `clearpeg deposits add|import|list`:
 * customers and the money they send, through a running server's API (`CLEARPEG_URL`,
 * `CLEARPEG_API_KEY`). Every read takes `--json`.
 */
import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import type { customer, deposit, importReport, recordedDeposit, wallet } from '../api/schemas.ts';
import { ClearpegError } from '../errors.ts';
import { readOptions } from './io.ts';
import { itemPath, listCommand, remoteCommand, showCommand, writeOptions } from './remote.ts';
import { kycStates, statementBytesMax } from './vocabulary.ts';

type Customer = z.infer<typeof customer>;
type RecordedDeposit = z.infer<typeof recordedDeposit>;
type Deposit = z.infer<typeof deposit>;

const customerUsage = 'ID: give the customer id, e.g. CUST-0001';

function customerLine(c: Customer): string {
  const wallets = c.wallets.map((w) => `${w.chainId}:${w.address}`).join(' ');
  return `${c.id.padEnd(16)} kyc ${c.kyc.padEnd(9)} fiat ${c.fiatBalance.padStart(22)}  ${JSON.stringify(c.name)}${wallets === '' ? '' : `  wallets ${wallets}`}`;
}

function customerLines(c: Customer): string[] {
  return [
    `customer ${c.id} ${JSON.stringify(c.name)}`,
    `  kyc      ${c.kyc}`,
    `  fiat     ${c.fiatBalance}`,
    ...(c.wallets.length === 0
      ? ['  wallets  none']
      : c.wallets.map((w) => `  wallet   ${w.address} on chain ${w.chainId}`)),
  ];
}

export const customersCreate = remoteCommand({
  name: 'customers create',
  usage: 'clearpeg customers create --id ID --name NAME [--json] [--idempotency-key K]',
  options: writeOptions('id', 'name'),
  run: ({ option, send }) =>
    send(
      '/v1/customers',
      {
        id: option('id', 'the customer id, e.g. CUST-0001'),
        name: option('name', "the customer's legal name"),
      },
      customerLines,
    ),
});

export const customersShow = showCommand({
  name: 'customers show',
  path: '/v1/customers',
  what: 'customer id, e.g. CUST-0001',
  lines: customerLines,
});

export const customersList = listCommand({
  name: 'customers list',
  path: '/v1/customers',
  key: 'customers',
  line: customerLine,
});

export const customersKyc = remoteCommand({
  name: 'customers kyc',
  usage: `clearpeg customers kyc ID --state ${kycStates.join('|')} [--json] [--idempotency-key K]`,
  options: writeOptions('state'),
  async run({ arg, choice, send }) {
    const id = arg(customerUsage);
    const state = choice('state', kycStates);
    return send(`${itemPath('/v1/customers', id)}/kyc`, { kyc: state }, customerLines);
  },
});

export const customersWallet = remoteCommand({
  name: 'customers wallet',
  usage:
    'clearpeg customers wallet ID --chain CHAINID --address 0x… [--json] [--idempotency-key K]',
  options: writeOptions('chain', 'address'),
  async run({ arg, option, chainId, send }) {
    const id = arg(customerUsage);
    const body = {
      chainId: chainId('chain'),
      address: option('address', 'the wallet address, 0x and 40 hex digits'),
    };
    return send(`${itemPath('/v1/customers', id)}/wallets`, body, (w: z.infer<typeof wallet>) => [
      `wallet ${w.address} on chain ${w.chainId} registered for ${id}`,
    ]);
  },
});

/**
 * `customers leaf ID`: the customer's leaf file of the newest liabilities round
 * (`clearpeg-liabilities-leaf/1`), printed as one line of JSON to save and give to the customer,
 * who checks it with `clearpeg verify URL --leaf FILE` from the public tiles alone.
 */
export const customersLeaf = remoteCommand({
  name: 'customers leaf',
  usage: 'clearpeg customers leaf ID > leaf.json   (then: clearpeg verify URL --leaf leaf.json)',
  options: readOptions,
  run: ({ arg, show }) =>
    show(`${itemPath('/v1/customers', arg(customerUsage))}/liabilities-leaf`, (leaf: unknown) => [
      JSON.stringify(leaf),
    ]),
});

function recordedLine(d: RecordedDeposit): string {
  return `deposit ${d.reference} (${d.bank}, ${d.bookingDate}) ${d.amount} to ${d.customerId ?? 'suspense (no customer matched)'}: ${d.status}, ledger transfer ${d.ledgerTransfer}`;
}

function depositLine(d: Deposit): string {
  return `${d.bookingDate} ${d.reference.padEnd(24)} ${d.bank.padEnd(10)} ${d.amount.padStart(22)}  ${(d.customerId ?? 'suspense').padEnd(16)} ${d.source}`;
}

export const depositsAdd = remoteCommand({
  name: 'deposits add',
  usage:
    'clearpeg deposits add --reference R --bank B --amount A --date YYYY-MM-DD [--customer ID] [--remittance TEXT] [--json] [--idempotency-key K]',
  options: writeOptions('reference', 'bank', 'amount', 'date', 'customer', 'remittance'),
  run: ({ values, option, amount, send }) =>
    send(
      '/v1/deposits',
      {
        reference: option('reference', "the bank's reference of the line"),
        bank: option('bank', 'the bank, e.g. bank-a'),
        amount: amount('amount'),
        bookingDate: option('date', 'the booking date, YYYY-MM-DD'),
        ...(values.customer === undefined ? {} : { customerId: values.customer }),
        ...(values.remittance === undefined ? {} : { remittance: values.remittance }),
      },
      (d: RecordedDeposit) => [recordedLine(d)],
    ),
});

/** The statement file's bytes, refused before sending when over the server's limit. */
function readStatement(path: string): Uint8Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new ClearpegError('statement-unreadable', `${path}: ${(error as Error).message}`, {
      field: 'path',
    });
  }
  if (size > statementBytesMax)
    throw new ClearpegError(
      'statement-too-large',
      `${path}: ${size} bytes, more than the ${statementBytesMax} a statement may have; split it`,
      { field: 'path', rule: `at most ${statementBytesMax} bytes` },
    );
  return readFileSync(path);
}

export const depositsImport = remoteCommand({
  name: 'deposits import',
  usage: 'clearpeg deposits import STATEMENT.xml --bank B [--json] [--idempotency-key K]',
  options: writeOptions('bank'),
  async run({ arg, option, send }) {
    const path = arg('STATEMENT.xml: give the camt.053 file');
    const bank = option('bank', 'the bank the statement is from, e.g. bank-a');
    const report = (r: z.infer<typeof importReport>) => [
      `${r.statements} statements: ${r.created} deposits created (${r.unmatched} to suspense), ${r.duplicates} recorded before, ${r.skipped} lines skipped`,
      ...r.deposits.map(recordedLine),
    ];
    return send('/v1/deposits/statements', readStatement(path), report, {
      contentType: 'application/xml',
      query: { bank },
    });
  },
});

export const depositsList = listCommand({
  name: 'deposits list',
  path: '/v1/deposits',
  key: 'deposits',
  line: depositLine,
  filters: { customer: { query: 'customerId', usage: 'ID' } },
});
