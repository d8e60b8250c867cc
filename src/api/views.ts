/**
 * JSON views of ledger and issuance values: amounts as decimal strings, hashes as hex, times as
 * ISO 8601 with microseconds. The one place that decides how they look from outside.
 */
import type { Deposit } from '../issuance/deposits.ts';
import { type Change, changeIntent } from '../issuance/governance.ts';
import { type MintRequest, mintIntent } from '../issuance/mint.ts';
import { type Payout, payoutIntent } from '../issuance/payouts.ts';
import type { Redemption, RedemptionQuote } from '../issuance/redemption.ts';
import { hex } from '../ledger/journal.ts';
import {
  type Account,
  accountFlag,
  type JournalHead,
  type JournalRecord,
  nilUuid,
  recordKind,
} from '../ledger/types.ts';
import { formatAmount } from '../money/money.ts';
import type { AuditRecord } from '../policy/audit.ts';
import { describeIntent, type Intent } from '../policy/intent.ts';
import type { EligibilityReport } from '../reserves/eligibility.ts';
import type { Evidence } from '../reserves/instruments.ts';
import type { AccrualRun } from '../treasury/accrual.ts';
import { type InvestmentRequest, requestIntent } from '../treasury/investments.ts';
import type { StoredPosition } from '../treasury/positions.ts';
import { type AsOfSource, accountCodeOf, type Basis, type Book } from '../treasury/valuation.ts';
import type { AlertRecord, BreakerRecord, CustomerRecord, DepositRecord } from './queries.ts';

const kindName: Record<number, string> = Object.fromEntries(
  Object.entries(recordKind).map(([name, value]) => [value, name]),
);

/**
 * ISO 8601 UTC with microseconds.
 * @example isoMicros(1_700_000_000_000_001n) === '2023-11-14T22:13:20.000001Z'
 */
export function isoMicros(us: bigint): string {
  const ms = us / 1000n;
  const base = new Date(Number(ms)).toISOString(); // …:20.000Z
  return `${base.slice(0, -1)}${String(us % 1000n).padStart(3, '0')}Z`;
}

/** An account as JSON. */
export function accountView(account: Account) {
  return {
    id: account.id,
    code: account.code,
    asset: account.asset,
    flags: {
      debitsMustNotExceedCredits: (account.flags & accountFlag.debitsMustNotExceedCredits) !== 0,
      creditsMustNotExceedDebits: (account.flags & accountFlag.creditsMustNotExceedDebits) !== 0,
      closed: (account.flags & accountFlag.closed) !== 0,
    },
    debitsPending: formatAmount(account.debitsPending),
    debitsPosted: formatAmount(account.debitsPosted),
    creditsPending: formatAmount(account.creditsPending),
    creditsPosted: formatAmount(account.creditsPosted),
  };
}

/** A journal record as JSON. */
export function recordView(record: JournalRecord) {
  return {
    seq: record.seq.toString(),
    id: record.id,
    kind: kindName[record.kind],
    timestamp: isoMicros(record.timestampUs),
    asset: record.asset,
    ...(record.kind === recordKind.accountCreated
      ? { code: record.code, flags: record.flags }
      : {}),
    ...(record.kind === recordKind.accountFlagsSet
      ? { accountId: record.accountId, flags: record.flags }
      : {}),
    ...(record.pendingId === nilUuid ? {} : { pendingId: record.pendingId }),
    ...(record.kind === recordKind.transferPending
      ? { timeoutSeconds: record.timeoutSeconds }
      : {}),
    postings: record.postings.map((p) => ({
      debit: p.debit,
      credit: p.credit,
      amount: formatAmount(p.amount),
    })),
    metadata: record.metadata,
    hash: hex(record.hash),
  };
}

/** The journal head as JSON. */
export function headView(head: JournalHead) {
  return {
    seq: head.seq.toString(),
    hash: hex(head.hash),
    timestamp: head.seq === 0n ? null : isoMicros(head.timestampUs),
  };
}

/** A customer as JSON: posted fiat as a decimal string. */
export function customerView(customer: CustomerRecord) {
  return {
    id: customer.id,
    name: customer.name,
    kyc: customer.kyc,
    fiatBalance: formatAmount(customer.fiatBalance),
    wallets: customer.wallets.map((w) => ({ chainId: w.chainId, address: w.address })),
  };
}

/** The fields every view of a deposit has. */
function depositLineView(
  deposit: Pick<
    DepositRecord,
    'reference' | 'bank' | 'amount' | 'customerId' | 'bookingDate' | 'ledgerTransfer'
  >,
) {
  return {
    reference: deposit.reference,
    bank: deposit.bank,
    amount: formatAmount(deposit.amount),
    customerId: deposit.customerId,
    bookingDate: deposit.bookingDate,
    ledgerTransfer: deposit.ledgerTransfer,
  };
}

/** A deposit just recorded (or found recorded before) as JSON. */
export function recordedDepositView(deposit: Deposit) {
  return { ...depositLineView(deposit), status: deposit.status };
}

/** A listed deposit as JSON. */
export function depositView(deposit: DepositRecord) {
  return {
    ...depositLineView(deposit),
    source: deposit.source,
    receivedAt: isoMicros(deposit.receivedAtUs),
  };
}

/** `view` with the intent approvers sign and that intent in words (`describeIntent`). */
function withIntent<V>(view: V, intent: Intent) {
  return { ...view, intent, intentText: describeIntent(intent) };
}

/** A mint request as JSON, with the intent its approvers sign and that intent in words. */
export function mintView(request: MintRequest) {
  return withIntent(
    {
      id: request.id,
      customerId: request.customerId,
      chainId: request.chainId,
      to: request.to,
      amount: formatAmount(request.amount),
      status: request.status,
      initiator: request.initiator,
      approvalsRequired: request.approvalsRequired,
      ledgerPending: request.ledgerPending,
      token: request.token,
      txHash: request.txHash,
      blockNumber: request.blockNumber === null ? null : request.blockNumber.toString(),
      failure: request.failure,
    },
    mintIntent(request),
  );
}

/** Who approved and when, as JSON. */
export function approvalView(approval: { approverId: string; approvedAtUs: bigint }) {
  return { approverId: approval.approverId, approvedAt: isoMicros(approval.approvedAtUs) };
}

/** A tripped breaker as JSON. */
export function breakerView(breaker: BreakerRecord) {
  return { name: breaker.name, reason: breaker.reason, trippedAt: isoMicros(breaker.trippedAtUs) };
}

/** An alert as JSON. */
export function alertView(alert: AlertRecord) {
  return {
    id: alert.id,
    kind: alert.kind,
    subject: alert.subject,
    detail: alert.detail,
    raisedAt: isoMicros(alert.raisedAtUs),
    acknowledgedAt: alert.acknowledgedAtUs === null ? null : isoMicros(alert.acknowledgedAtUs),
  };
}

/** An audit entry as JSON. */
export function auditView(entry: AuditRecord) {
  return {
    seq: entry.seq.toString(),
    at: isoMicros(entry.atUs),
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject,
    outcome: entry.outcome,
    detail: entry.detail,
    hash: hex(entry.hash),
  };
}

/** A redemption as JSON. */
export function redemptionView(redemption: Redemption) {
  return {
    id: redemption.id,
    chainId: redemption.chainId,
    txHash: redemption.txHash,
    logIndex: redemption.logIndex,
    blockNumber: redemption.blockNumber.toString(),
    customerId: redemption.customerId,
    from: redemption.from,
    redemptionAddress: redemption.redemptionAddress,
    amount: formatAmount(redemption.amount),
    fee: formatAmount(redemption.fee),
    net: formatAmount(redemption.net),
    status: redemption.status,
    refusal: redemption.refusal,
    burnTxHash: redemption.burnTxHash,
    ledgerTransfer: redemption.ledgerTransfer,
    dueAt: isoMicros(redemption.dueAtUs),
    createdAt: isoMicros(redemption.createdAtUs),
  };
}

/** A redemption quote as JSON. */
export function quoteView(quote: RedemptionQuote) {
  const optional = (key: 'amount' | 'fee' | 'net') =>
    quote[key] === undefined ? {} : { [key]: formatAmount(quote[key]) };
  return {
    customerId: quote.customerId,
    chainId: quote.chainId,
    redemptionAddress: quote.redemptionAddress,
    feeSchedule: {
      feeBps: quote.feeSchedule.feeBps,
      feeMin: formatAmount(quote.feeSchedule.feeMin),
      feeMax: formatAmount(quote.feeSchedule.feeMax),
    },
    slaBusinessDays: quote.slaBusinessDays,
    ...optional('amount'),
    ...optional('fee'),
    ...optional('net'),
  };
}

/** A payout as JSON, with the intent its checkers sign and that intent in words. */
export function payoutView(payout: Payout) {
  return withIntent(
    {
      id: payout.id,
      customerId: payout.customerId,
      bank: payout.bank,
      amount: formatAmount(payout.amount),
      beneficiary: payout.beneficiary,
      status: payout.status,
      maker: payout.maker,
      approvalsRequired: payout.approvalsRequired,
      ledgerPending: payout.ledgerPending,
      redemptionId: payout.redemptionId,
      dueAt: payout.dueAtUs === null ? null : isoMicros(payout.dueAtUs),
      bankReference: payout.bankReference,
      failure: payout.failure,
      createdAt: isoMicros(payout.createdAtUs),
    },
    payoutIntent(payout),
  );
}

/** An investment request as JSON, with the intent its approvers sign and that intent in words. */
export function investmentView(request: InvestmentRequest) {
  return withIntent(
    {
      id: request.id,
      purpose: request.purpose,
      reference: request.reference,
      name: request.name,
      asset: request.asset,
      amount: formatAmount(request.amount),
      bank: request.bank,
      custodian: request.custodian,
      jurisdiction: request.jurisdiction,
      period: request.period,
      statement: request.statement,
      status: request.status,
      maker: request.maker,
      approvalsRequired: request.approvalsRequired,
      positionId:
        request.status === 'executed' && request.purpose === 'investment'
          ? `investment:${request.name}`
          : null,
      failure: request.failure,
      createdAt: isoMicros(request.createdAtUs),
      executedAt: request.executedAtUs === null ? null : isoMicros(request.executedAtUs),
    },
    requestIntent(request),
  );
}

/** A governance change as JSON, with the intent its approvers sign and that intent in words. */
export function changeView(change: Change) {
  return withIntent(
    {
      id: change.id,
      action: change.action,
      body: change.body,
      proposedBy: change.proposedBy,
      status: change.status,
      approvalsRequired: change.approvalsRequired,
      failure: change.failure,
      createdAt: isoMicros(change.createdAtUs),
      expiresAt: isoMicros(change.expiresAtUs),
    },
    changeIntent(change),
  );
}

/** A position's evidence as JSON: the statement's hash and, if it came signed, the signature. */
export function evidenceView(evidence: Evidence | undefined) {
  return evidence === undefined
    ? null
    : {
        statementSha256: evidence.statementSha256,
        signature: evidence.signature ?? null,
        signatureVerified: evidence.signatureVerified,
      };
}

/**
 * A reserve position as JSON: its terms by kind, amounts as decimal strings, and `bookValue`,
 * what the ledger carries for it while it is open (null once closed).
 */
export function positionView(stored: StoredPosition, bookValue: bigint | null) {
  const p = stored.position;
  const common = {
    id: p.id,
    status: stored.status,
    accountCode: stored.accountCode,
    bank: stored.bank,
    custodian: p.custodian,
    jurisdiction: p.jurisdiction,
    evidence: evidenceView(p.evidence),
    accruedThrough: stored.accruedThrough,
    closeDetail: stored.closeDetail,
    bookValue: bookValue === null ? null : formatAmount(bookValue),
  };
  switch (p.kind) {
    case 'cash':
      return {
        ...common,
        kind: p.kind,
        centralBank: p.centralBank,
        insuredInstitution: p.insuredInstitution,
      };
    case 'tbill':
      return {
        ...common,
        kind: p.kind,
        cusip: p.cusip,
        face: formatAmount(p.face),
        cost: formatAmount(p.cost),
        issueDate: p.issueDate,
        maturityDate: p.maturityDate,
        tradeDate: p.tradeDate,
        settlementDate: p.settlementDate,
      };
    case 'repo':
      return {
        ...common,
        kind: p.kind,
        counterparty: p.counterparty,
        principal: formatAmount(p.principal),
        ratePct: p.ratePct,
        startDate: p.startDate,
        maturityDate: p.maturityDate,
        collateral: p.collateral.map((c) => ({
          cusip: c.cusip,
          face: formatAmount(c.face),
          maturityDate: c.maturityDate,
        })),
      };
    case 'mmf':
      return { ...common, kind: p.kind, fund: p.fund, government: p.government };
    case 'investment':
      return { ...common, kind: p.kind, asset: p.asset, name: p.name };
  }
}

/** A run of the accrual job as JSON. */
export function accrualView(run: AccrualRun) {
  return { ...run, amount: formatAmount(run.amount) };
}

/** The book valued on a day as JSON: each holding's value, totals by kind, tokens outstanding. */
export function bookValueView(book: Book, basis: Basis) {
  const byKind: Record<string, bigint> = {};
  let value = 0n;
  const holdings = book.portfolio.holdings.map((holding) => {
    const position = holding.position;
    byKind[position.kind] = (byKind[position.kind] ?? 0n) + holding.value;
    value += holding.value;
    return {
      id: position.id,
      kind: position.kind,
      accountCode: accountCodeOf(position),
      custodian: position.custodian,
      jurisdiction: position.jurisdiction,
      value: formatAmount(holding.value),
      daysToMaturity: holding.daysToMaturity ?? null,
    };
  });
  return {
    asOf: book.portfolio.asOf,
    computedFrom: book.computedFrom,
    basis,
    holdings,
    totals: {
      value: formatAmount(value),
      byKind: Object.fromEntries(
        Object.entries(byKind).map(([kind, amount]) => [kind, formatAmount(amount)]),
      ),
      liabilities: formatAmount(book.portfolio.liabilities),
    },
    outstanding: Object.fromEntries(
      [...book.supplyByChain].map(([chain, amount]) => [chain, formatAmount(amount)]),
    ),
  };
}

/** A ruleset's judgement of the book as JSON: every rule, every holding, the totals. */
export function eligibilityView(report: EligibilityReport, computedFrom: AsOfSource) {
  return {
    ruleset: report.ruleset,
    asOf: report.asOf,
    computedFrom,
    passed: report.passed,
    rules: report.rules.map((rule) => ({
      id: rule.id,
      type: rule.type,
      outcome: rule.outcome,
      reason: rule.reason,
      figures: rule.figures,
      source: rule.source,
    })),
    holdings: report.holdings.map((h) => ({
      id: h.id,
      kind: h.kind,
      assetClass: h.assetClass,
      value: formatAmount(h.value),
      eligible: h.eligible,
      category: h.category ?? null,
      reason: h.reason,
    })),
    ineligible: report.ineligible.map((entry) => ({
      assetClass: entry.assetClass,
      amount: formatAmount(entry.amount),
      holdings: entry.holdings,
      reason: entry.reason,
    })),
    totals: {
      totalReserves: formatAmount(report.totals.totalReserves),
      eligibleReserves: formatAmount(report.totals.eligibleReserves),
      liabilities: formatAmount(report.totals.liabilities),
      coverageRatioPct: report.totals.coverageRatioPct,
      excess: formatAmount(report.totals.excess),
      shortfall: formatAmount(report.totals.shortfall),
    },
  };
}
