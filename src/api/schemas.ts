/**
 * The API's zod schemas: every request body, query, path and response. The same schemas
 * validate requests and make the OpenAPI document (`openapi.ts`), so the two cannot drift.
 *
 * Rules that hold for all of them: objects are strict (an unknown field is refused, never
 * ignored); an amount is a decimal STRING (`"5000000.000000"`), never a JSON number; ids are
 * strings. No schema transforms: what a schema accepts is what its JSON Schema says.
 */
import { z } from 'zod';
import { kycStates } from '../issuance/customers.ts';
import { codePattern } from '../ledger/command.ts';
import { limits } from '../limits.ts';
import { shippedRulesets } from '../reserves/eligibility.ts';
import { instrumentKinds, investmentAssets } from '../reserves/instruments.ts';
import { operatorRoles } from '../workflow/actors.ts';

/**
 * The named schemas of the OpenAPI document (`components.schemas`) by id: a schema named here
 * is written once there and referenced by `$ref` wherever it is used.
 */
export const namedSchemas = new Map<string, z.ZodType>();

/** Names `schema` as the component `id`; returns it. */
function named<T extends z.ZodType>(id: string, schema: T): T {
  namedSchemas.set(id, schema);
  return schema;
}

// ---------------------------------------------------------------- values

/** An amount in a request: digits, an optional point and 1 to 6 decimals (money.ts's rule). */
export const amountPattern = /^(0|[1-9][0-9]*)(\.[0-9]{1,6})?$/;
/** An amount in a response: formatAmount's output, always six decimals. */
export const amountOutPattern = /^-?(0|[1-9][0-9]*)\.[0-9]{6}$/;

export const amountInput = named(
  'AmountInput',
  z
    .string()
    .max(48)
    .regex(amountPattern, {
      error:
        'a decimal string such as "12.50": digits, an optional point and 1 to 6 decimals, no sign, exponent or leading zeros',
    })
    .meta({ description: 'USD (or tokens) as a decimal string', examples: ['5000000.00'] }),
);

export const amount = named(
  'Amount',
  z
    .string()
    .regex(amountOutPattern)
    .meta({ description: 'a decimal string with six decimals', examples: ['5000000.000000'] }),
);

export const customerId = z
  .string()
  .regex(/^[A-Z][A-Z0-9-]{2,31}$/, {
    error: '3 to 32 capital letters, digits and dashes, starting with a letter',
  })
  .meta({ examples: ['CUST-0001'] });

export const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
    error: 'a lowercase canonical UUID',
  });

export const chainId = z
  .int()
  .min(1)
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ examples: [31337] });

export const evmAddress = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, { error: '0x and 40 hex digits' })
  .meta({ examples: ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8'] });

export const bank = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, {
    error: '1 to 32 lowercase letters, digits and dashes, starting with a letter',
  })
  .meta({ examples: ['bank-a'] });

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${2 * bytes}}$`), {
    error: `${bytes} bytes as lowercase hex, without 0x`,
  });

/** JSON of any shape (alert details, audit details, reasons). */
export const jsonValue = z.unknown();

/** ISO 8601 UTC with microseconds, as views.ts writes it. */
export const timestamp = z.string().meta({ examples: ['2026-11-20T10:00:00.000001Z'] });

// ---------------------------------------------------------------- paging

/** Items per page: a page, not a dump. */
export const pageLimitMax = 1000;

/** `?limit` in a query (text), 1 to `pageLimitMax`. */
export const limitQuery = z
  .string()
  .regex(/^[1-9][0-9]{0,3}$/, { error: `a whole number from 1 to ${pageLimitMax}` })
  .refine((text) => Number(text) <= pageLimitMax, {
    error: `a whole number from 1 to ${pageLimitMax}`,
  })
  .optional()
  .meta({ description: `items per page, 1 to ${pageLimitMax} (default 100)` });

/** The limit a query asks for. */
export function pageLimit(text: string | undefined): number {
  return text === undefined ? 100 : Number(text);
}

/** `?after`: the cursor of the page before (its `next`). */
const cursor = z
  .string()
  .min(1)
  .max(200)
  // A code or a reference: never a control character (PostgreSQL refuses a NUL in text).
  .regex(/^\P{Cc}+$/u, { error: 'no control characters' })
  .optional()
  .meta({ description: 'the `next` of the page before' });

export const pageQuery = z.strictObject({ limit: limitQuery, after: cursor });

/** A page's `next`: the cursor of the following page, null on the last. */
const next = z
  .string()
  .nullable()
  .meta({ description: 'pass as ?after= for the next page; null on the last' });

// ---------------------------------------------------------------- problems

export const problem = named(
  'Problem',
  z
    .object({
      type: z.string().meta({ examples: ['/problems/request-invalid'] }),
      title: z.string(),
      status: z.int(),
      detail: z.string().optional(),
      field: z.string().optional(),
      rule: z.string().optional(),
      violations: z.array(z.strictObject({ code: z.string(), message: z.string() })).optional(),
      errors: z.array(z.strictObject({ field: z.string(), rule: z.string() })).optional(),
    })
    .meta({ description: 'RFC 9457 problem details; `type` is stable per error code' }),
);

// ---------------------------------------------------------------- ledger

const accountFlags = z.strictObject({
  debitsMustNotExceedCredits: z.boolean(),
  creditsMustNotExceedDebits: z.boolean(),
  closed: z.boolean(),
});

export const ledgerAccount = named(
  'LedgerAccount',
  z.strictObject({
    id: uuid,
    code: z.string(),
    asset: z.string(),
    flags: accountFlags,
    debitsPending: amount,
    debitsPosted: amount,
    creditsPending: amount,
    creditsPosted: amount,
  }),
);

export const journalHead = named(
  'JournalHead',
  z.strictObject({ seq: z.string(), hash: z.string(), timestamp: timestamp.nullable() }),
);

export const journalRecord = named(
  'JournalRecord',
  z.strictObject({
    seq: z.string(),
    id: uuid,
    kind: z.string(),
    timestamp,
    asset: z.string(),
    code: z.string().optional(),
    flags: z.int().optional(),
    accountId: uuid.optional(),
    pendingId: uuid.optional(),
    timeoutSeconds: z.int().optional(),
    postings: z.array(z.strictObject({ debit: uuid, credit: uuid, amount })),
    metadata: z.record(z.string(), z.string()),
    hash: z.string(),
  }),
);

export const accountPage = z.strictObject({ accounts: z.array(ledgerAccount), next });

export const health = z.strictObject({
  status: z.literal('ok'),
  version: z.string(),
  database: z.string(),
  journal: journalHead,
});

// ---------------------------------------------------------------- customers

export const kyc = z.enum(kycStates);

export const wallet = named('Wallet', z.strictObject({ chainId, address: evmAddress }));

export const registeredWallet = named(
  'RegisteredWallet',
  z.strictObject({
    chainId,
    address: evmAddress,
    redemptionAddress: evmAddress
      .nullable()
      .meta({ description: "the customer's redemption address on the chain's token" }),
  }),
);

export const customer = named(
  'Customer',
  z.strictObject({
    id: customerId,
    name: z.string(),
    kyc,
    fiatBalance: amount.meta({ description: 'posted fiat: credits − debits' }),
    wallets: z.array(wallet),
  }),
);

export const customerPage = z.strictObject({ customers: z.array(customer), next });

export const createCustomerBody = named(
  'CreateCustomer',
  z.strictObject({ id: customerId, name: z.string().min(1).max(200) }),
);

export const setKycBody = named('SetKyc', z.strictObject({ kyc }));

// ---------------------------------------------------------------- deposits

/** Whether `text` (YYYY-MM-DD) names a day of the calendar (not 2026-02-31). */
function isCalendarDay(text: string): boolean {
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCDate() === day;
}

export const bookingDate = z
  .string()
  .regex(/^(19|20|21)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, {
    error: 'a date YYYY-MM-DD from 1900 to 2199',
  })
  .refine(isCalendarDay, { error: 'a day of the calendar' })
  .meta({ examples: ['2026-11-20'] });

export const recordDepositBody = named(
  'RecordDeposit',
  z.strictObject({
    reference: z.string().min(1).max(140),
    bank,
    amount: amountInput,
    customerId: customerId.optional(),
    remittance: z.string().max(500).optional(),
    bookingDate,
  }),
);

const depositFields = {
  reference: z.string(),
  bank: z.string(),
  amount,
  customerId: customerId.nullable().meta({ description: 'null: credited to suspense' }),
  bookingDate,
  ledgerTransfer: uuid,
};

export const recordedDeposit = named(
  'RecordedDeposit',
  z.strictObject({
    ...depositFields,
    status: z
      .enum(['created', 'duplicate'])
      .meta({ description: 'duplicate: recorded before; nothing changed' }),
  }),
);

export const deposit = named(
  'Deposit',
  z.strictObject({
    ...depositFields,
    source: z.enum(['manual', 'camt053']),
    receivedAt: timestamp,
  }),
);

export const depositPage = z.strictObject({ deposits: z.array(deposit), next });

export const importReport = named(
  'ImportReport',
  z.strictObject({
    statements: z.int(),
    created: z.int(),
    duplicates: z.int(),
    unmatched: z.int(),
    skipped: z.int(),
    deposits: z.array(recordedDeposit),
  }),
);

export const statementQuery = z.strictObject({ bank });

export const depositsQuery = z.strictObject({
  limit: limitQuery,
  after: cursor,
  customerId: customerId.optional(),
});

// ---------------------------------------------------------------- mints

export const mintStatus = z.enum([
  'pending-approval',
  'approved',
  'submitted',
  'final',
  'failed',
  'expired',
]);

export const intent = named(
  'Intent',
  z
    .record(z.string(), z.string())
    .meta({ description: 'what approvers sign (docs/formats.md, "Approval v1")' }),
);

export const requestMintBody = named(
  'RequestMint',
  z.strictObject({ customerId, chainId, to: evmAddress, amount: amountInput }),
);

const mintFields = {
  id: uuid,
  customerId,
  chainId,
  to: evmAddress,
  amount,
  status: mintStatus,
  initiator: z.string(),
  approvalsRequired: z.int(),
  ledgerPending: uuid,
  token: evmAddress,
  txHash: z.string().nullable(),
  blockNumber: z.string().nullable(),
  failure: z.string().nullable(),
};

export const mint = named(
  'Mint',
  z.strictObject({
    ...mintFields,
    intent,
    intentText: z.string().meta({ description: 'the intent in words, as an approver reads it' }),
  }),
);

export const approvalRecord = z.strictObject({ approverId: z.string(), approvedAt: timestamp });

/** The component `id`: an approvable thing with who approved it (routes/approvals.ts `withApprovals`). */
function withApprovals<S extends z.ZodRawShape>(id: string, thing: z.ZodObject<S>) {
  return named(id, z.strictObject({ ...thing.shape, approvals: z.array(approvalRecord) }));
}

export const mintDetail = withApprovals('MintDetail', mint);

export const mintPage = z.strictObject({ mints: z.array(mint), next });

export const mintsQuery = z.strictObject({
  limit: limitQuery,
  after: uuid.optional().meta({ description: 'the `next` of the page before' }),
  status: mintStatus.optional(),
});

export const approval = named(
  'Approval',
  z.strictObject({
    approverId: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, { error: 'an approver id' }),
    publicKey: hex(32),
    intentHash: hex(32),
    signature: hex(64),
  }),
);

export const approveBody = named('Approve', z.strictObject({ approval }));

// ---------------------------------------------------------------- policy

const velocity = z.strictObject({ capacity: amount, refillPerHour: amount });

export const policy = named(
  'PolicyDocument',
  z.strictObject({
    mint: z.strictObject({
      tiers: z.array(z.strictObject({ upTo: amount.nullable(), approvals: z.int() })),
      perTransactionCap: amount,
      hourly: velocity,
      daily: velocity,
      expirySeconds: z.int(),
    }),
    redemption: z.strictObject({
      feeBps: z.int(),
      feeMin: amount,
      feeMax: amount,
      slaBusinessDays: z.int(),
      alertShareBps: z.int(),
    }),
    payoutApprovals: z.int(),
    policyChangeApprovals: z.int(),
  }),
);

export const policyVersion = z.strictObject({ version: z.int(), policy });

// ---------------------------------------------------------------- redemptions

export const redemptionStatus = z.enum(['credited', 'burning', 'burned', 'held']);

export const redemption = named(
  'Redemption',
  z.strictObject({
    id: uuid,
    chainId,
    txHash: z.string(),
    logIndex: z.int(),
    blockNumber: z.string(),
    customerId,
    from: evmAddress,
    redemptionAddress: evmAddress,
    amount,
    fee: amount,
    net: amount.meta({ description: 'what the customer is owed: amount − fee (zero when held)' }),
    status: redemptionStatus,
    refusal: z.string().nullable(),
    burnTxHash: z.string().nullable(),
    ledgerTransfer: uuid,
    dueAt: timestamp,
    createdAt: timestamp,
  }),
);

export const redemptionPage = z.strictObject({ redemptions: z.array(redemption), next });

export const redemptionsQuery = z.strictObject({
  limit: limitQuery,
  after: uuid.optional().meta({ description: 'the `next` of the page before (newest first)' }),
  customerId: customerId.optional(),
  status: redemptionStatus.optional(),
});

export const quoteBody = named(
  'RedemptionQuoteRequest',
  z.strictObject({ customerId, chainId, amount: amountInput.optional() }),
);

export const quote = named(
  'RedemptionQuote',
  z.strictObject({
    customerId,
    chainId,
    redemptionAddress: evmAddress.meta({ description: 'send tokens here to redeem them' }),
    feeSchedule: z.strictObject({ feeBps: z.int(), feeMin: amount, feeMax: amount }),
    slaBusinessDays: z.int(),
    amount: amount.optional(),
    fee: amount.optional(),
    net: amount.optional(),
  }),
);

// ---------------------------------------------------------------- payouts

export const payoutStatus = z.enum(['pending-approval', 'approved', 'sent', 'cancelled']);

/** Printable text shown to approvers: no controls or invisible format characters. */
const printable = z.string().regex(/^[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]{1,140}$/u, {
  error: '1 to 140 printable characters',
});

export const createPayoutBody = named(
  'CreatePayout',
  z.strictObject({
    customerId,
    amount: amountInput,
    bank,
    beneficiary: printable.meta({ examples: ['Acme Treasury LLC, IBAN DE89370400440532013000'] }),
    redemptionId: uuid.optional(),
  }),
);

export const payout = named(
  'Payout',
  z.strictObject({
    id: uuid,
    customerId,
    bank,
    amount,
    beneficiary: z.string(),
    status: payoutStatus,
    maker: z.string(),
    approvalsRequired: z.int(),
    ledgerPending: uuid,
    redemptionId: uuid.nullable(),
    dueAt: timestamp.nullable(),
    bankReference: z.string().nullable(),
    failure: z.string().nullable(),
    createdAt: timestamp,
    intent,
    intentText: z.string(),
  }),
);

export const payoutDetail = withApprovals('PayoutDetail', payout);

export const payoutPage = z.strictObject({ payouts: z.array(payout), next });

export const payoutsQuery = z.strictObject({
  limit: limitQuery,
  after: uuid.optional().meta({ description: 'the `next` of the page before (newest first)' }),
  customerId: customerId.optional(),
  status: payoutStatus.optional(),
});

export const payoutSentBody = named(
  'PayoutSent',
  z.strictObject({ bankReference: z.string().min(1).max(140) }),
);

export const cancelBody = named('CancelPayout', z.strictObject({ reason: printable }));

// ---------------------------------------------------------------- governance

export const changeStatus = z.enum(['pending-approval', 'adopted', 'failed', 'expired']);

const roles = z.array(z.enum(operatorRoles)).min(1).max(operatorRoles.length);
const publicKeyHex = z.string().regex(/^[0-9a-f]{64}$/, { error: '32 bytes as lowercase hex' });

/** A change's action and body: the body's shape per action; its rules are checked by the workflow. */
export const proposeChangeBody = named(
  'ProposeChange',
  z.discriminatedUnion('action', [
    z.strictObject({
      action: z.literal('policy.adopt'),
      body: z.strictObject({ policy }),
    }),
    z.strictObject({
      action: z.literal('operator.add'),
      body: z.strictObject({
        id: z.string().max(64),
        name: z.string().min(1).max(200),
        roles,
        approvalKey: publicKeyHex.optional(),
        apiKeySha256: publicKeyHex.meta({ description: "SHA-256 of the new operator's API key" }),
      }),
    }),
    z.strictObject({
      action: z.literal('operator.update'),
      body: z.strictObject({
        id: z.string().max(64),
        roles: roles.optional(),
        active: z.boolean().optional(),
        approvalKey: publicKeyHex.optional(),
      }),
    }),
    z.strictObject({
      action: z.literal('breaker.clear'),
      body: z.strictObject({ name: z.string().min(1).max(64) }),
    }),
    z.strictObject({
      action: z.literal('token.unpause'),
      body: z.strictObject({ chainId }),
    }),
  ]),
);

export const change = named(
  'Change',
  z.strictObject({
    id: uuid,
    action: z.string(),
    body: jsonValue,
    proposedBy: z.string(),
    status: changeStatus,
    approvalsRequired: z.int(),
    failure: z.string().nullable(),
    createdAt: timestamp,
    expiresAt: timestamp,
    intent,
    intentText: z.string(),
  }),
);

export const changeDetail = withApprovals('ChangeDetail', change);

export const changeList = z.strictObject({ changes: z.array(change), next });

export const changesQuery = z.strictObject({
  limit: limitQuery,
  after: uuid.optional().meta({ description: 'the `next` of the page before (newest first)' }),
  status: changeStatus.optional(),
});

export const tripBreakerBody = named(
  'TripBreaker',
  z.strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9:.-]{0,63}$/, { error: 'a breaker name such as mint or mint:31337' }),
    reason: z.string().min(1).max(500),
  }),
);

export const breakerTrip = z.strictObject({
  name: z.string(),
  tripped: z
    .boolean()
    .meta({ description: 'false: it was tripped already (the first trip stays)' }),
});

// ---------------------------------------------------------------- breakers, alerts, audit

export const breaker = named(
  'Breaker',
  z.strictObject({ name: z.string(), reason: jsonValue, trippedAt: timestamp }),
);

export const breakerList = z.strictObject({ breakers: z.array(breaker) });

export const alert = named(
  'Alert',
  z.strictObject({
    id: uuid,
    kind: z.string(),
    subject: z.string(),
    detail: jsonValue,
    raisedAt: timestamp,
    acknowledgedAt: timestamp.nullable(),
  }),
);

export const alertPage = z.strictObject({ alerts: z.array(alert), next });

export const alertsQuery = z.strictObject({
  limit: limitQuery,
  after: uuid.optional().meta({ description: 'the `next` of the page before' }),
  open: z.enum(['true', 'false']).optional().meta({ description: 'true: only unacknowledged' }),
});

export const auditEntry = named(
  'AuditEntry',
  z.strictObject({
    seq: z.string(),
    at: timestamp,
    actor: z.string(),
    action: z.string(),
    subject: z.string(),
    outcome: z.enum(['ok', 'refused']),
    detail: jsonValue,
    hash: z.string(),
  }),
);

export const auditPage = z.strictObject({ entries: z.array(auditEntry), next });

export const auditQuery = z.strictObject({
  limit: limitQuery,
  after: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,17})$/, { error: 'a sequence number' })
    .optional()
    .meta({ description: 'the seq of the last entry of the page before' }),
});

// ---------------------------------------------------------------- path parameters

export const idParam = z.strictObject({ id: uuid });
export const customerParam = z.strictObject({ id: customerId });
export const accountParam = z.strictObject({
  // A uuid is written in the code's characters too.
  ref: z
    .string()
    .min(1)
    .max(limits.accountCodeBytesMax)
    .regex(codePattern, { error: 'an account id or code: letters, digits and _ . : / -' }),
});

// ---------------------------------------------------------------- reserves

/** A calendar date in a request (`bookingDate`'s rule). */
const day = bookingDate;
/** A date in a response. */
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** A reserve position's id, as `reserve_positions` checks it (`tbill:<cusip>:<reference>`). */
export const positionId = z
  .string()
  .regex(/^(cash|tbill|repo|mmf|investment):[A-Za-z0-9._:-]{1,120}$/, {
    error: 'a position id: cash|tbill|repo|mmf|investment, a colon, and its name',
  })
  .meta({ examples: ['tbill:912797LB1:T-2026-11-19'] });

const reference = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, {
    error: '1 to 64 letters, digits, dots, underscores or dashes',
  })
  .meta({
    description: "the operator's ticket: the same reference again does the operation once",
    examples: ['T-2026-11-19'],
  });

/** A name in account codes: a bank's, a fund's, a counterparty's, an investment's. */
const reserveName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, {
    error: '1 to 32 lowercase letters, digits and dashes, starting with a letter',
  })
  .meta({ examples: ['gov-fund'] });

/**
 * A CUSIP as the position table stores it: 8 digits or capital letters and a check digit
 * (the workflow checks the digit). Treasury's CUSIPs never hold `*`, `@` or `#`.
 */
const cusip = z
  .string()
  .regex(/^[0-9A-Z]{8}[0-9]$/, {
    error: '9 characters: 8 digits or capital letters, then the check digit',
  })
  .meta({ examples: ['912797LB1'] });

const custodianName = z
  .string()
  .regex(/^[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]{1,200}$/u, {
    error: '1 to 200 printable characters',
  })
  .meta({ examples: ['The Bank of New York Mellon'] });

const jurisdiction = z
  .string()
  .regex(/^[A-Z]{2}$/, { error: 'an ISO 3166-1 alpha-2 country code such as US' })
  .meta({ examples: ['US'] });

/** A bill's discount rate in percent (bank-discount basis); a market rate may be negative. */
export const discountRatePct = z
  .string()
  .regex(/^-?(0|[1-9][0-9]?)(\.[0-9]{1,6})?$/, {
    error:
      'a discount rate in percent as a decimal string such as "4.480": an optional minus, at most 2 digits before the point and 6 after',
  })
  .meta({ examples: ['4.480'] });

/** An auction's discount rate: as `discountRatePct`, not negative. */
const auctionRatePct = z
  .string()
  .regex(/^(0|[1-9][0-9]?)(\.[0-9]{1,6})?$/, {
    error:
      'a discount rate in percent as a decimal string such as "4.480": at most 2 digits before the point and 6 after, not negative',
  })
  .meta({ examples: ['4.480'] });

/** A repo rate in percent a year (actual/360), as the position table stores it. */
const repoRatePct = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,2})(\.[0-9]{1,6})?$/, {
    error:
      'a rate in percent as a decimal string such as "5.31": at most 3 digits before the point and 6 after, not negative',
  })
  .meta({ examples: ['5.31'] });

const sha256Hex = hex(32).meta({ description: 'SHA-256, 64 lowercase hex digits' });

/** Where a position is held, and the recorded statement it comes from. */
const custody = {
  custodian: custodianName,
  jurisdiction,
  statement: sha256Hex.optional().meta({
    description: 'the SHA-256 of a recorded custodian statement the position comes from',
  }),
};

export const valuationBasis = z
  .enum(['book', 'amortized', 'market'])
  .meta({ description: 'bills at book (ledger), amortized (today) or market (DTB3) value' });

export const asOfSource = z.enum(['ledger', 'journal']).meta({
  description:
    "ledger: today's book, from the accounts' running sums; journal: a past day's, from the journal cut at the end of that day (docs/reserves.md)",
});

export const describeBankBody = named(
  'DescribeBank',
  z.strictObject({
    bank,
    ...custody,
    centralBank: z.boolean().meta({ description: 'a Federal Reserve balance' }),
    insuredInstitution: z.boolean().meta({ description: 'an insured depository institution' }),
  }),
);

/** A statement in a JSON body: at most this many characters of base64 (the body's limit is 64 KiB). */
export const statementBase64CharsMax = 60_000;

export const recordStatementBody = named(
  'RecordStatement',
  z.strictObject({
    custodian: custodianName,
    sha256: sha256Hex.optional().meta({ description: 'the file’s SHA-256, or give `bytes`' }),
    bytes: z
      .string()
      .min(4)
      .max(statementBase64CharsMax)
      .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, {
        error: 'the file in base64 (RFC 4648 §4, with padding)',
      })
      .optional()
      .meta({ description: 'the statement file, base64 (needed to verify a signature)' }),
    signature: hex(64)
      .optional()
      .meta({ description: "the custodian's Ed25519 signature over the file" }),
  }),
);

export const setCustodianKeyBody = named(
  'SetCustodianKey',
  z.strictObject({ custodian: custodianName, publicKey: hex(32) }),
);

export const buyBillBody = named(
  'BuyBill',
  z.strictObject({
    reference,
    cusip,
    face: amountInput,
    issueDate: day,
    maturityDate: day,
    tradeDate: day,
    settlementDate: day,
    bank: bank.meta({ description: 'the bank that pays, and is paid at maturity' }),
    discountRatePct: discountRatePct
      .optional()
      .meta({ description: 'the price comes from the rate; or give `cost`' }),
    cost: amountInput.optional().meta({ description: 'what the lot cost, as the statement says' }),
    ...custody,
  }),
);

export const sellBillBody = named(
  'SellBill',
  z.strictObject({ settlementDate: day, discountRatePct }),
);

export const openRepoBody = named(
  'OpenRepo',
  z.strictObject({
    reference,
    counterparty: reserveName,
    principal: amountInput,
    ratePct: repoRatePct,
    startDate: day,
    maturityDate: day,
    bank,
    collateral: z
      .array(z.strictObject({ cusip, face: amountInput, maturityDate: day }))
      .min(1)
      .max(100),
    ...custody,
  }),
);

export const closeRepoBody = named('CloseRepo', z.strictObject({}));

export const fundOrderBody = named(
  'FundOrder',
  z.strictObject({
    reference,
    fund: reserveName,
    side: z.enum(['subscribe', 'redeem', 'dividend']),
    amount: amountInput,
    bank,
    government: z.boolean().meta({ description: 'a government MMF (recorded on the first order)' }),
    ...custody,
  }),
);

export const investBody = named(
  'ProposeInvestment',
  z.strictObject({
    reference,
    name: reserveName,
    asset: z.enum(investmentAssets),
    amount: amountInput,
    bank,
    ...custody,
  }),
);

export const expenseBody = named(
  'ProposeExpense',
  z.strictObject({
    purpose: z.enum(['distribution', 'operating']).meta({
      description:
        "a distribution partner's share of reserve income (expenses:distribution:<partner>) or an operating cost (expenses:operating:<category>)",
    }),
    reference,
    name: reserveName.meta({
      description: "the partner (one of the policy's revenueShare) or the cost's category",
      examples: ['audit'],
    }),
    amount: amountInput,
    bank,
    payee: custodianName.meta({ description: 'who is paid', examples: ['Audit LLP'] }),
    jurisdiction,
    period: z.strictObject({ from: day, to: day }).optional().meta({
      description:
        "a distribution's closed period of reserve income (its partner is paid once for it); absent for an operating cost",
    }),
  }),
);

export const investmentStatus = z.enum(['pending-approval', 'approved', 'executed', 'cancelled']);

export const investmentRequest = named(
  'InvestmentRequest',
  z.strictObject({
    id: uuid,
    purpose: z.enum(['investment', 'distribution', 'operating']).meta({
      description:
        'what it pays for: investments:<name>, expenses:distribution:<partner> or expenses:operating:<category>',
    }),
    reference: z.string(),
    name: z.string(),
    asset: z
      .enum(investmentAssets)
      .nullable()
      .meta({ description: "an investment's asset; null for an expense" }),
    amount,
    bank,
    custodian: z
      .string()
      .meta({ description: 'who holds the investment, or who the expense pays' }),
    jurisdiction: z.string(),
    period: z
      .strictObject({ from: z.string(), to: z.string() })
      .nullable()
      .meta({ description: "a distribution's period of reserve income; else null" }),
    statement: z.string().nullable(),
    status: investmentStatus,
    maker: z.string(),
    approvalsRequired: z.int(),
    positionId: z
      .string()
      .nullable()
      .meta({ description: 'the position it opened or added to, once executed' }),
    failure: z.string().nullable(),
    createdAt: timestamp,
    executedAt: timestamp.nullable(),
    intent,
    intentText: z.string(),
  }),
);

export const investmentDetail = withApprovals('InvestmentDetail', investmentRequest);

export const investmentPage = z.strictObject({ investments: z.array(investmentRequest), next });

export const investmentsQuery = z.strictObject({
  limit: limitQuery,
  after: uuid.optional().meta({ description: 'the `next` of the page before (newest first)' }),
  status: investmentStatus.optional(),
  kind: z
    .enum(['investment', 'expense'])
    .optional()
    .meta({ description: 'investments only, or expenses only (default both)' }),
  purpose: z.enum(['investment', 'distribution', 'operating']).optional(),
});

export const executeInvestmentBody = named('ExecuteInvestment', z.strictObject({}));

export const cancelInvestmentBody = named(
  'CancelInvestment',
  z.strictObject({ reason: printable }),
);

export const accrueBody = named('Accrue', z.strictObject({ through: day }));

export const judgeBody = named(
  'JudgeReserves',
  z.strictObject({ asOf: day.optional().meta({ description: 'default: today in New York' }) }),
);

const evidence = z.strictObject({
  statementSha256: z.string(),
  signature: z.string().nullable(),
  signatureVerified: z.boolean(),
});

const positionFields = {
  id: positionId,
  status: z.enum(['open', 'matured', 'sold', 'closed']),
  accountCode: z.string(),
  bank: z.string().nullable(),
  custodian: z.string(),
  jurisdiction: z.string(),
  evidence: evidence.nullable(),
  accruedThrough: isoDay.nullable().meta({ description: 'bills: the last day accrued' }),
  closeDetail: z.record(z.string(), z.string()).nullable(),
  bookValue: amount.nullable().meta({
    description:
      'open: what the ledger carries for it (a bill lot at cost plus its accretion posted); closed: null',
  }),
};

export const reservePosition = named(
  'ReservePosition',
  z.discriminatedUnion('kind', [
    z.strictObject({
      ...positionFields,
      kind: z.literal('cash'),
      centralBank: z.boolean(),
      insuredInstitution: z.boolean(),
    }),
    z.strictObject({
      ...positionFields,
      kind: z.literal('tbill'),
      cusip: z.string(),
      face: amount,
      cost: amount,
      issueDate: isoDay,
      maturityDate: isoDay,
      tradeDate: isoDay,
      settlementDate: isoDay,
    }),
    z.strictObject({
      ...positionFields,
      kind: z.literal('repo'),
      counterparty: z.string(),
      principal: amount,
      ratePct: z.string(),
      startDate: isoDay,
      maturityDate: isoDay,
      collateral: z.array(
        z.strictObject({ cusip: z.string(), face: amount, maturityDate: isoDay }),
      ),
    }),
    z.strictObject({
      ...positionFields,
      kind: z.literal('mmf'),
      fund: z.string(),
      government: z.boolean(),
    }),
    z.strictObject({
      ...positionFields,
      kind: z.literal('investment'),
      asset: z.enum(investmentAssets),
      name: z.string(),
    }),
  ]),
);

export const positionPage = z.strictObject({ positions: z.array(reservePosition), next });

export const positionsQuery = z.strictObject({
  status: z.enum(['open', 'all']).optional().meta({ description: 'default open' }),
  kind: z.enum(instrumentKinds).optional(),
  limit: limitQuery,
  after: positionId.optional().meta({ description: 'the `next` of the page before' }),
});

export const positionParam = z.strictObject({ id: positionId });

export const statementRecorded = named(
  'StatementRecorded',
  z.strictObject({ custodian: z.string(), ...evidence.shape }),
);

export const custodianKey = named(
  'CustodianKey',
  z.strictObject({ custodian: z.string(), publicKey: z.string() }),
);

export const accrualRun = named(
  'AccrualRun',
  z.strictObject({
    through: isoDay,
    lots: z.int(),
    days: z.int().meta({ description: '(lot, day) pairs booked' }),
    transfers: z.int(),
    amount: amount.meta({ description: 'interest booked' }),
    matured: z.int().meta({ description: 'lots matured after accruing' }),
  }),
);

export const valueQuery = z.strictObject({
  asOf: day.optional().meta({ description: 'default: today in New York' }),
  basis: valuationBasis.optional().meta({ description: 'default book' }),
});

export const reserveValue = named(
  'ReserveValue',
  z.strictObject({
    asOf: isoDay,
    computedFrom: asOfSource,
    basis: valuationBasis,
    holdings: z.array(
      z.strictObject({
        id: z.string(),
        kind: z.enum(instrumentKinds),
        accountCode: z.string(),
        custodian: z.string(),
        jurisdiction: z.string(),
        value: amount,
        daysToMaturity: z.int().nullable(),
      }),
    ),
    totals: z.strictObject({
      value: amount.meta({ description: 'every holding, reserve or not' }),
      byKind: z.record(z.string(), amount),
      liabilities: amount.meta({ description: 'tokens outstanding' }),
    }),
    outstanding: z.record(z.string(), amount).meta({ description: 'tokens outstanding by chain' }),
  }),
);

const reserveTotals = z.strictObject({
  totalReserves: amount,
  eligibleReserves: amount,
  liabilities: amount,
  coverageRatioPct: z.string().nullable(),
  excess: amount,
  shortfall: amount,
});

export const eligibilityQuery = z.strictObject({
  asOf: day.optional().meta({ description: 'default: today in New York' }),
  ruleset: z
    .enum(shippedRulesets)
    .optional()
    .meta({ description: 'default: the ruleset the server judges by' }),
  significant: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'whether the token is significant (MiCA); default false' }),
  basis: valuationBasis.optional().meta({ description: 'default book, as the mint gate' }),
});

export const eligibilityReport = named(
  'EligibilityReport',
  z.strictObject({
    ruleset: z.string(),
    asOf: isoDay,
    computedFrom: asOfSource,
    passed: z.boolean(),
    rules: z.array(
      z.strictObject({
        id: z.string(),
        type: z.string(),
        outcome: z.enum(['pass', 'fail', 'not-applicable']),
        reason: z.string(),
        figures: z.record(z.string(), z.string()),
        source: z.strictObject({
          article: z.string(),
          url: z.string(),
          note: z.string().optional(),
        }),
      }),
    ),
    holdings: z.array(
      z.strictObject({
        id: z.string(),
        kind: z.enum(instrumentKinds),
        assetClass: z.string(),
        value: amount,
        eligible: z.boolean(),
        category: z.string().nullable(),
        reason: z.string(),
      }),
    ),
    ineligible: z.array(
      z.strictObject({
        assetClass: z.string(),
        amount,
        holdings: z.array(z.string()),
        reason: z.string(),
      }),
    ),
    totals: reserveTotals,
  }),
);

export const reportQuery = z.strictObject({
  month: z
    .string()
    .regex(/^(19|20|21)\d{2}-(0[1-9]|1[0-2])$/, { error: 'a month YYYY-MM' })
    .optional()
    .meta({ description: "the month's report: as of its last day" }),
  asOf: day.optional().meta({ description: 'or any day (default: today in New York)' }),
  basis: valuationBasis.optional().meta({ description: 'default amortized' }),
});

export const compositionReport = named(
  'ReserveReport',
  z.strictObject({
    format: z.literal('clearpeg-reserve-report/1'),
    month: z.string().nullable(),
    asOf: isoDay,
    computedFrom: asOfSource,
    basis: valuationBasis,
    ruleset: z.string(),
    outstanding: z.strictObject({ total: amount, byChain: z.record(z.string(), amount) }),
    categories: z.array(
      z.strictObject({
        category: z.string(),
        eligible: z.boolean(),
        amount,
        sharePct: z.string(),
        averageTenorDays: z.string(),
        custody: z.array(
          z.strictObject({ custodian: z.string(), jurisdiction: z.string(), amount }),
        ),
        holdings: z.int(),
      }),
    ),
    totals: reserveTotals,
    rules: z.array(z.strictObject({ id: z.string(), outcome: z.string(), reason: z.string() })),
    ineligible: z.array(z.strictObject({ assetClass: z.string(), amount, reason: z.string() })),
    liquidity: z.strictObject({
      buckets: z.record(z.string(), amount),
      worstDailyRedemptions: amount,
      sameDayCoversDays: z.string(),
    }),
  }),
);

export const priceQuery = z.strictObject({
  discountRate: auctionRatePct,
  issueDate: day,
  maturityDate: day,
});

export const billPrice = named(
  'BillPrice',
  z.strictObject({
    days: z.int(),
    pricePer100: z.string().meta({ examples: ['99.651556'] }),
    investmentRatePct: z.string().meta({ examples: ['4.558'] }),
  }),
);

// ---------------------------------------------------------------- checks of a live issuer

/** `?expectHead=<seq>:<hash>`: a head noted before, which the journal must still hold. */
export const ledgerVerifyQuery = z.strictObject({
  expectHead: z
    .string()
    .regex(/^[1-9][0-9]{0,18}:[0-9a-f]{64}$/, {
      error: '<seq>:<hash>: a sequence number, a colon and 64 lowercase hex digits',
    })
    .optional()
    .meta({
      description:
        'a head noted earlier (GET /v1/ledger/head): fails if the journal does not hold it (truncated and its head moved back)',
    }),
});

export const ledgerCheck = named(
  'LedgerCheck',
  z.strictObject({
    ok: z.boolean(),
    records: z.string().meta({ description: 'records replayed' }),
    accounts: z.number().int(),
    head: z.strictObject({ seq: z.string(), hash: hex(32) }),
    broken: z
      .strictObject({
        seq: z.string(),
        reason: z.enum([
          'missing',
          'out-of-order',
          'hash-mismatch',
          'head-mismatch',
          'balance-mismatch',
          'invalid-record',
        ]),
        detail: z.string(),
      })
      .nullable(),
  }),
);

export const auditCheck = named(
  'AuditCheck',
  z.strictObject({
    ok: z.boolean(),
    entries: z.string(),
    head: hex(32),
    broken: z
      .strictObject({
        seq: z.string(),
        reason: z.enum(['missing', 'hash-mismatch', 'head-mismatch']),
      })
      .nullable(),
  }),
);

const parityCheck = named(
  'ParityCheck',
  z.strictObject({
    blockNumber: z.string(),
    totalSupply: amount,
    issuerHeld: amount,
    ledgerSupply: amount,
    ok: z.boolean(),
  }),
);

const chainParity = named(
  'ChainParity',
  z.strictObject({ name: z.string(), chainId: z.string(), parity: parityCheck.nullable() }),
);

export const chainParityList = z.strictObject({
  ok: z.boolean().meta({ description: "false if a chain's newest check failed" }),
  chains: z.array(chainParity),
});

export const chainStatusList = z.strictObject({
  chains: z.array(
    named(
      'ChainStatus',
      z.strictObject({
        name: z.string(),
        chainId: z.string(),
        rpcUrl: z.string().meta({ description: 'scheme and host only (a path may hold a key)' }),
        finalityDepth: z.number().int(),
        token: z.string().nullable(),
        deployBlock: z.string().nullable(),
        indexedBlock: z.string().nullable(),
        openRequests: z.number().int(),
        parity: parityCheck.nullable(),
        breakers: z.array(z.string()),
      }),
    ),
  ),
});

/** `GET /v1/status`: the processes on this database and who holds each worker's lease. */
export const clusterStatus = z.strictObject({
  now: z.string().meta({ description: "the database's clock" }),
  processes: z.array(
    named(
      'ClusterProcess',
      z.strictObject({
        node: z.string(),
        instance: z.string(),
        host: z.string(),
        pid: z.number().int(),
        version: z.string(),
        apiUrl: z.string().nullable(),
        startedAt: z.string(),
        seenAt: z.string(),
        alive: z.boolean().meta({ description: 'seen within the lease ttl' }),
      }),
    ),
  ),
  leases: z.array(
    named(
      'ClusterLease',
      z.strictObject({
        name: z.string(),
        node: z.string().nullable(),
        instance: z.string(),
        token: z
          .string()
          .meta({ description: 'the fencing token: grows at every change of hands' }),
        acquiredAt: z.string(),
        expiresAt: z.string(),
        expired: z.boolean(),
      }),
    ),
  ),
});

export const restatedDifference = named(
  'RestatedDifference',
  z.strictObject({
    table: z.string(),
    id: z.string(),
    column: z.string(),
    stored: z.string().nullable(),
    journal: z.string().nullable(),
  }),
);

export const verifyAllReport = named(
  'VerifyAll',
  z.strictObject({
    ok: z.boolean(),
    ledger: ledgerCheck,
    audit: auditCheck,
    parity: chainParityList,
    restated: z.strictObject({ ok: z.boolean(), differences: z.array(restatedDifference) }),
  }),
);

export const incomeQuery = z.strictObject({
  from: day.meta({ description: 'the first day of the period (New York business day)' }),
  to: day.meta({ description: 'the last day of the period, at most today' }),
  every: z
    .enum(['day', 'week', 'month'])
    .optional()
    .meta({ description: 'the series of equity and excess: at the end of each (default month)' }),
});

/** A signed amount (a loss, a shortfall). */
const signedAmount = z.string().regex(/^-?\d+\.\d{6}$/);

export const incomeStatement = named(
  'IncomeStatement',
  z.strictObject({
    format: z.literal('clearpeg-income-statement/1'),
    from: isoDay,
    to: isoDay,
    every: z.enum(['day', 'week', 'month']),
    openingDay: isoDay,
    income: z.strictObject({
      interest: z.strictObject({
        accretion: signedAmount,
        other: signedAmount,
        total: signedAmount,
      }),
      realizedGains: signedAmount,
      fees: signedAmount,
      total: signedAmount,
    }),
    expenses: z.strictObject({
      distribution: z.record(z.string(), signedAmount),
      operating: z.record(z.string(), signedAmount),
      total: signedAmount,
    }),
    netIncome: signedAmount,
    equity: z.strictObject({ opening: signedAmount, closing: signedAmount }),
    series: z.array(
      z.strictObject({
        asOf: isoDay,
        equity: signedAmount,
        eligibleReserves: amount,
        owed: amount,
        excess: amount,
        bufferBps: z.int(),
        spendable: signedAmount,
      }),
    ),
    distributionDue: z.array(
      z.strictObject({
        partner: z.string(),
        shareBps: z.int(),
        share: amount,
        booked: amount,
        due: amount,
      }),
    ),
    reconciliation: z.strictObject({
      reconciled: z.boolean(),
      equityChange: signedAmount,
      accounts: z.array(
        z.strictObject({ code: z.string(), line: signedAmount, ledgerChange: signedAmount }),
      ),
    }),
  }),
);
