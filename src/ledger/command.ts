/**
 * Commands: decoding from JSON and the checks that need no ledger state.
 *
 * `decodeCommand` is the one way input from outside (HTTP, CLI, files) becomes a `Command`;
 * `validateCommand` re-checks a command built in code. Both refuse with a `LedgerError` that
 * names the field (`postings.1.amount`) and the rule, before anything is written.
 */
import { limits } from '../limits.ts';
import { amountMax, type Micro, parseAmount } from '../money/money.ts';
import { type LedgerErrorCode, refusal } from './errors.ts';
import {
  accountFlag,
  accountFlagsAll,
  type Command,
  type Metadata,
  nilUuid,
  type Posting,
  type Uuid,
} from './types.ts';
import { isUuid } from './uuid.ts';

const assetPattern = /^[A-Z][A-Z0-9]{1,15}$/;
/** An account's code: a letter or digit, then letters, digits and `_ . : / -`. */
export const codePattern = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
const metadataKeyPattern = /^[A-Za-z0-9_.:-]+$/;
const utf8 = new TextEncoder();

/**
 * The code of a fault in a command's field, by its first segment (`postings.0.debit` →
 * `postings-invalid`); a field no command has (an unknown key) is `command-invalid`.
 */
const fieldCodes: ReadonlyMap<string, LedgerErrorCode> = new Map(
  Object.entries({
    accountId: 'account-id-invalid',
    amount: 'amount-invalid',
    amounts: 'amounts-invalid',
    asset: 'asset-invalid',
    code: 'code-invalid',
    command: 'command-invalid',
    entries: 'entries-invalid',
    flags: 'flags-invalid',
    id: 'id-invalid',
    metadata: 'metadata-invalid',
    pendingId: 'pending-id-invalid',
    pendingTimeoutSeconds: 'pending-timeout-seconds-invalid',
    postings: 'postings-invalid',
    type: 'type-invalid',
  } satisfies Record<string, LedgerErrorCode>),
);

/** Refuses input: the code is the field's (`fieldCodes`) unless given (`amount-invalid`). */
function invalid(
  field: string,
  rule: string,
  detail?: string,
  code: LedgerErrorCode = fieldCodes.get(field.split('.')[0]!) ?? 'command-invalid',
): never {
  throw refusal(code, field, rule, detail);
}

function checkId(value: unknown, field: string): Uuid {
  if (!isUuid(value) || value === nilUuid)
    invalid(
      field,
      'must be a lowercase canonical UUID other than the nil UUID',
      JSON.stringify(value),
    );
  return value;
}

function checkAsset(value: unknown, field = 'asset'): string {
  if (typeof value !== 'string' || !assetPattern.test(value))
    invalid(
      field,
      'must be 2 to 16 capital letters or digits, starting with a letter',
      JSON.stringify(value),
    );
  return value;
}

function checkFlags(value: unknown, field = 'flags'): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    (value & ~accountFlagsAll) !== 0
  ) {
    invalid(field, 'must be a combination of the flag bits 1, 2 and 4', JSON.stringify(value));
  }
  const both = accountFlag.debitsMustNotExceedCredits | accountFlag.creditsMustNotExceedDebits;
  if ((value & both) === both)
    invalid(field, 'debitsMustNotExceedCredits and creditsMustNotExceedDebits exclude each other');
  return value;
}

function checkPositive(amount: unknown, field: string): Micro {
  if (typeof amount !== 'bigint' || amount < 0n || amount > amountMax)
    invalid(
      field,
      'must be an amount of micro-units from 0 to 2^128 - 1',
      undefined,
      'amount-invalid',
    );
  if (amount === 0n) invalid(field, 'must be positive', undefined, 'amount-invalid');
  return amount as Micro;
}

function checkMetadata(value: unknown, field = 'metadata'): Metadata | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(field, 'must be an object of string values');
  const entries = Object.entries(value);
  if (entries.length > limits.metadataEntriesMax)
    invalid(field, `must have at most ${limits.metadataEntriesMax} entries`);
  for (const [key, entry] of entries) {
    if (!metadataKeyPattern.test(key) || key.length > limits.metadataKeyBytesMax) {
      invalid(
        `${field}.${key}`,
        `key must be 1 to ${limits.metadataKeyBytesMax} letters, digits or _.:-`,
      );
    }
    if (
      typeof entry !== 'string' ||
      Buffer.byteLength(entry, 'utf8') > limits.metadataValueBytesMax
    ) {
      invalid(
        `${field}.${key}`,
        `must be a string of at most ${limits.metadataValueBytesMax} UTF-8 bytes`,
      );
    }
  }
  return value as Metadata;
}

function checkPostings(value: unknown): readonly Posting[] {
  if (!Array.isArray(value) || value.length === 0) invalid('postings', 'must be a non-empty list');
  if (value.length > limits.postingsMax)
    invalid('postings', `must have at most ${limits.postingsMax} postings`);
  // The hot path of every submit: check without building field names unless something fails.
  for (let index = 0; index < value.length; index++) {
    const posting: unknown = value[index];
    if (typeof posting !== 'object' || posting === null)
      invalid(`postings.${index}`, 'must be an object with debit, credit and amount');
    const { debit, credit, amount } = posting as Record<string, unknown>;
    if (!isUuid(debit) || debit === nilUuid) checkId(debit, `postings.${index}.debit`);
    if (!isUuid(credit) || credit === nilUuid) checkId(credit, `postings.${index}.credit`);
    if (debit === credit) invalid(`postings.${index}.credit`, 'must differ from the debit account');
    if (typeof amount !== 'bigint' || amount <= 0n || amount > amountMax)
      checkPositive(amount, `postings.${index}.amount`);
  }
  return value as readonly Posting[];
}

/**
 * Checks a command's shape and every rule that needs no ledger state; returns it unchanged.
 * @example validateCommand({ type: 'voidPending', id, pendingId })
 */
export function validateCommand(command: Command): Command {
  checkId(command.id, 'id');
  switch (command.type) {
    case 'createAccount': {
      const bytes = typeof command.code === 'string' ? utf8.encode(command.code).length : 0;
      if (
        typeof command.code !== 'string' ||
        !codePattern.test(command.code) ||
        bytes > limits.accountCodeBytesMax
      ) {
        invalid(
          'code',
          `must be 1 to ${limits.accountCodeBytesMax} letters, digits or _.:/- starting with a letter or digit`,
          JSON.stringify(command.code),
        );
      }
      checkAsset(command.asset);
      if ((checkFlags(command.flags) & accountFlag.closed) !== 0)
        invalid('flags', 'an account cannot be created closed');
      return command;
    }
    case 'setAccountFlags':
      checkId(command.accountId, 'accountId');
      checkFlags(command.flags);
      return command;
    case 'transfer': {
      checkAsset(command.asset);
      checkPostings(command.postings);
      const timeout = command.pendingTimeoutSeconds;
      if (
        timeout !== undefined &&
        (!Number.isInteger(timeout) || timeout < 1 || timeout > limits.pendingTimeoutSecondsMax)
      ) {
        invalid(
          'pendingTimeoutSeconds',
          `must be a whole number of seconds from 1 to ${limits.pendingTimeoutSecondsMax}`,
          JSON.stringify(timeout),
        );
      }
      checkMetadata(command.metadata);
      return command;
    }
    case 'postPending': {
      checkId(command.pendingId, 'pendingId');
      if (command.amounts !== undefined) {
        if (
          !Array.isArray(command.amounts) ||
          command.amounts.length === 0 ||
          command.amounts.length > limits.postingsMax
        ) {
          invalid(
            'amounts',
            `must be a list of 1 to ${limits.postingsMax} amounts, one per posting of the pending transfer`,
          );
        }
        command.amounts.forEach((amount, index) => {
          if (typeof amount !== 'bigint' || amount < 0n || amount > amountMax)
            invalid(
              `amounts.${index}`,
              'must be an amount of micro-units from 0 to 2^128 - 1',
              undefined,
              'amount-invalid',
            );
        });
        if (command.amounts.every((amount) => amount === 0n))
          invalid(
            'amounts',
            'at least one amount must be positive (to release everything, void the pending transfer)',
          );
      }
      checkMetadata(command.metadata);
      return command;
    }
    case 'voidPending':
      checkId(command.pendingId, 'pendingId');
      checkMetadata(command.metadata);
      return command;
    default:
      return invalid(
        'type',
        'must be one of createAccount, setAccountFlags, transfer, postPending, voidPending',
        JSON.stringify((command as { type: unknown }).type),
      );
  }
}

/** One line of a journal entry in the accountant's form: an account and one side. */
export interface EntryLine {
  readonly account: Uuid;
  readonly debit?: Micro;
  readonly credit?: Micro;
}

/**
 * Turns balanced journal-entry lines (any number of debits and credits) into postings,
 * pairing debits and credits in order; refuses lines whose debits and credits differ.
 * @example fromEntries([{ account: a, debit: 5n }, { account: b, credit: 3n }, { account: c, credit: 2n }])
 * // [{ debit: a, credit: b, amount: 3n }, { debit: a, credit: c, amount: 2n }]
 */
export function fromEntries(lines: readonly EntryLine[], field = 'entries'): Posting[] {
  const debits: Array<{ account: Uuid; left: bigint }> = [];
  const credits: Array<{ account: Uuid; left: bigint }> = [];
  let debitSum = 0n;
  let creditSum = 0n;
  lines.forEach((line, index) => {
    const at = `${field}.${index}`;
    checkId(line.account, `${at}.account`);
    if ((line.debit === undefined) === (line.credit === undefined))
      invalid(at, 'must have exactly one of debit and credit');
    if (line.debit !== undefined) {
      debitSum += checkPositive(line.debit, `${at}.debit`);
      debits.push({ account: line.account, left: line.debit });
    } else {
      creditSum += checkPositive(line.credit, `${at}.credit`);
      credits.push({ account: line.account, left: line.credit! });
    }
  });
  if (debits.length === 0 || credits.length === 0)
    invalid(field, 'must have at least one debit and one credit');
  if (debitSum !== creditSum) {
    throw refusal(
      'unbalanced',
      field,
      'total debits must equal total credits',
      `debits ${debitSum}, credits ${creditSum} micro-units`,
    );
  }
  const postings: Posting[] = [];
  for (let d = 0, c = 0; d < debits.length && c < credits.length; ) {
    const debit = debits[d]!;
    const credit = credits[c]!;
    const amount = debit.left < credit.left ? debit.left : credit.left;
    if (debit.account === credit.account)
      invalid(field, 'must not debit and credit the same account against each other');
    postings.push({ debit: debit.account, credit: credit.account, amount: amount as Micro });
    debit.left -= amount;
    credit.left -= amount;
    if (debit.left === 0n) d++;
    if (credit.left === 0n) c++;
  }
  if (postings.length > limits.postingsMax)
    invalid(field, `must pair into at most ${limits.postingsMax} postings`);
  return postings;
}

/** A JSON object as decoded, before checking. */
type Json = Record<string, unknown>;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(field, 'must be an object');
  return value as Json;
}

function integer(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    invalid(field, 'must be a whole number', JSON.stringify(value));
  return value;
}

function refuseUnknownKeys(input: Json, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key))
      invalid(`${prefix}${key}`, `is not a field of this command (expected ${known.join(', ')})`);
  }
}

/**
 * Decodes a command from parsed JSON: amounts as decimal strings (`"12.500000"`), postings
 * either as `postings` (`{debit, credit, amount}`) or as balanced `entries`
 * (`{account, debit}` / `{account, credit}`). Unknown fields are refused.
 * @example decodeCommand({ type: 'voidPending', id, pendingId })
 */
export function decodeCommand(json: unknown): Command {
  const input = object(json, 'command');
  const id = input.id as Uuid;
  switch (input.type) {
    case 'createAccount':
      refuseUnknownKeys(input, ['type', 'id', 'code', 'asset', 'flags']);
      return validateCommand({
        type: 'createAccount',
        id,
        code: input.code as string,
        asset: input.asset as string,
        flags: integer(input.flags ?? 0, 'flags'),
      });
    case 'setAccountFlags':
      refuseUnknownKeys(input, ['type', 'id', 'accountId', 'flags']);
      return validateCommand({
        type: 'setAccountFlags',
        id,
        accountId: input.accountId as Uuid,
        flags: integer(input.flags, 'flags'),
      });
    case 'transfer': {
      refuseUnknownKeys(input, [
        'type',
        'id',
        'asset',
        'postings',
        'entries',
        'pendingTimeoutSeconds',
        'metadata',
      ]);
      if ((input.postings === undefined) === (input.entries === undefined))
        invalid('postings', 'give exactly one of postings and entries');
      const postings =
        input.entries !== undefined
          ? fromEntries(decodeEntries(input.entries))
          : decodeList(input.postings, 'postings').map((value, index) => {
              const posting = object(value, `postings.${index}`);
              refuseUnknownKeys(posting, ['debit', 'credit', 'amount'], `postings.${index}.`);
              return {
                debit: posting.debit as Uuid,
                credit: posting.credit as Uuid,
                amount: parseAmount(posting.amount, `postings.${index}.amount`),
              };
            });
      const timeout =
        input.pendingTimeoutSeconds === undefined
          ? {}
          : {
              pendingTimeoutSeconds: integer(input.pendingTimeoutSeconds, 'pendingTimeoutSeconds'),
            };
      const metadata = checkMetadata(input.metadata);
      return validateCommand({
        type: 'transfer',
        id,
        asset: input.asset as string,
        postings,
        ...timeout,
        ...(metadata ? { metadata } : {}),
      });
    }
    case 'postPending': {
      refuseUnknownKeys(input, ['type', 'id', 'pendingId', 'amounts', 'metadata']);
      const amounts =
        input.amounts === undefined
          ? {}
          : {
              amounts: decodeList(input.amounts, 'amounts').map((a, i) =>
                parseAmount(a, `amounts.${i}`),
              ),
            };
      const metadata = checkMetadata(input.metadata);
      return validateCommand({
        type: 'postPending',
        id,
        pendingId: input.pendingId as Uuid,
        ...amounts,
        ...(metadata ? { metadata } : {}),
      });
    }
    case 'voidPending': {
      refuseUnknownKeys(input, ['type', 'id', 'pendingId', 'metadata']);
      const metadata = checkMetadata(input.metadata);
      return validateCommand({
        type: 'voidPending',
        id,
        pendingId: input.pendingId as Uuid,
        ...(metadata ? { metadata } : {}),
      });
    }
    default:
      return invalid(
        'type',
        'must be one of createAccount, setAccountFlags, transfer, postPending, voidPending',
        JSON.stringify(input.type),
      );
  }
}

function decodeList(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) invalid(field, 'must be a list');
  if (value.length > limits.postingsMax)
    invalid(field, `must have at most ${limits.postingsMax} items`);
  return value;
}

function decodeEntries(value: unknown): EntryLine[] {
  return decodeList(value, 'entries').map((item, index) => {
    const line = object(item, `entries.${index}`);
    refuseUnknownKeys(line, ['account', 'debit', 'credit'], `entries.${index}.`);
    return {
      account: line.account as Uuid,
      ...(line.debit === undefined
        ? {}
        : { debit: parseAmount(line.debit, `entries.${index}.debit`) }),
      ...(line.credit === undefined
        ? {}
        : { credit: parseAmount(line.credit, `entries.${index}.credit`) }),
    };
  });
}
