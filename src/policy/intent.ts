/**
 * An intent: what an approval is about, decoded, so that an approver signs what a person can
 * read ("mint 1,000,000.000000 CPUSD to 0x… on chain 31337 for customer C, request R") and
 * not an opaque id the database could point elsewhere.
 *
 * An intent is a flat object of strings (no numbers in signed data: no float, no exponent,
 * no precision lost between languages) with a required `kind` and `requestId`. The signed
 * message is its bytes:
 *
 *   intentBytes = UTF-8( "clearpeg-approval/1\n" ‖ JCS(intent) )
 *   intentHash  = hex( SHA-256( intentBytes ) )
 *
 * where JCS is the JSON Canonicalization Scheme, RFC 8785 (keys sorted by UTF-16 code units,
 * no whitespace, strings escaped as ECMAScript's JSON.stringify does). The prefix is a domain
 * separator: a signature over an intent can never be taken for a signature over any other
 * Clearpeg message, and `/1` lets the format change without ambiguity.
 *
 * Security:
 * - Every value is checked before anything is signed or shown: well-formed Unicode in NFC, no
 *   control, format (bidirectional overrides, zero-width) or line-separator characters, so
 *   that the one-line summary an approver reads is the whole intent and cannot be spoofed.
 * - `describeIntent` shows every field, and addresses in full: an abbreviated address
 *   (`0xab…cd`) is cheap to imitate with a vanity address.
 * - An `amount` is a canonical six-decimal string (`formatAmount`'s output), so one amount has
 *   one encoding and one hash.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ClearpegError, type ErrorCode } from '../errors.ts';
import { canonicalJson } from '../json.ts';
import { formatAmount, parseAmount } from '../money/money.ts';

/** An intent, decoded: a flat object of strings with a `kind` and a `requestId`. */
export type Intent = Readonly<Record<string, string>> & {
  /** What is approved: `mint`, `payout`, `policy-change`… (kebab-case). */
  readonly kind: string;
  /** The request the intent belongs to. */
  readonly requestId: string;
};

/** The codes an intent function throws (`ClearpegError.code`); stable, never reworded. */
export type IntentErrorCode =
  /** The intent, or one of its fields (`field` names it), breaks a rule. */
  | 'intent-invalid'
  /** `parseIntentBytes`: the bytes are not an intent's canonical encoding. */
  | 'intent-bytes-invalid';

/** The domain separator in front of every signed intent: its format's name and version. */
export const intentDomain = 'clearpeg-approval/1\n';

/** The bounds of an intent, each with its reason. */
export const intentLimits = {
  /** Keys in one intent: a mint needs 7; room for richer kinds without becoming a document. */
  keysMax: 32,
  /** Characters (Unicode code points) of a key: field names, not data. */
  keyCharsMax: 64,
  /** Characters (Unicode code points) of a value: an address, an id, a short reason. */
  valueCharsMax: 256,
  /** Characters of `kind`. */
  kindCharsMax: 32,
} as const;

const keyPattern = /^[a-zA-Z][a-zA-Z0-9]*$/;
const kindPattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** Characters a value may not hold: controls, format characters (bidi, zero-width), lone surrogates, line and paragraph separators. */
const unsafeCharacters = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const addressPattern = /^0x[0-9a-f]{40}$/;
const chainIdPattern = /^[1-9][0-9]{0,19}$/;
/** Values shown without quotes in a summary: nothing there could be read as punctuation. */
const plainValuePattern = /^[A-Za-z0-9._:@/+-]+$/;

/** The fields a mint intent must have, besides `kind` and `requestId`. */
const mintFields = ['chainId', 'to', 'amount', 'asset', 'customerId'] as const;

/** The fields an investment intent must have, besides `kind` and `requestId`. */
const investmentFields = [
  'reference',
  'name',
  'asset',
  'amount',
  'currency',
  'bank',
  'custodian',
  'jurisdiction',
  'statement',
] as const;

function invalid(field: string, rule: string, got?: string): never {
  throw new ClearpegError(
    'intent-invalid',
    `${field}: must be ${rule}${got === undefined ? '' : ` (got ${got})`}`,
    { field, rule },
  );
}

/**
 * The classes of characters that text an operator reads or signs may not hold, each with the
 * rule a refusal names, in the order they are looked for: a line break could forge a second
 * line of a summary or a log, an ESC (C0) or CSI (C1) drives a terminal, a bidirectional
 * control reorders what is shown (`U+202E` makes `exe.txt` read `txt.exe`), and other format
 * characters (zero-width) hide differences between two texts that look the same.
 */
const textRules: readonly { readonly pattern: RegExp; readonly rule: string }[] = [
  {
    pattern: /[\n\r\u0085\u2028\u2029]/u,
    rule: 'no line breaks (CR, LF, NEL, U+2028, U+2029)',
  },
  {
    pattern: /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u,
    rule: 'no bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)',
  },
  {
    pattern: /\p{Cc}/u,
    rule: 'no control characters (C0, DEL or C1: ESC and CSI begin terminal escapes)',
  },
  {
    pattern: /[\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u,
    rule: 'no invisible format characters (zero-width, soft hyphen) or unpaired surrogates',
  },
];

/** What a text broke (`textFault`): the rule, and the character found, as `U+` and its code point in hex (`U+202E`). */
export interface TextFault {
  readonly rule: string;
  readonly found: string;
}

/**
 * The first rule `text` breaks as text an operator reads or signs (no line breaks,
 * bidirectional controls, control or format characters, and in Unicode NFC), or undefined.
 * Workflows refuse such text when it is entered, naming the field and this rule.
 * @example textFault('Acme\u202eCLL')?.found === 'U+202E'; textFault('Acme GmbH') === undefined
 */
export function textFault(text: string): TextFault | undefined {
  for (const { pattern, rule } of textRules) {
    const match = pattern.exec(text);
    if (match !== null) {
      const hex = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      return { rule, found: `U+${hex}` };
    }
  }
  if (text.normalize('NFC') !== text) return { rule: 'Unicode in NFC form', found: 'not NFC' };
  return undefined;
}

/**
 * Refuses `text` when `textFault` finds fault with it: a `ClearpegError` of `code` (the
 * workflow's own, e.g. `customer-name-invalid`) naming `field`, the rule and the character.
 * @example requireReadableText(input.name, 'name', 'customer-name-invalid')
 */
export function requireReadableText(text: string, field: string, code: ErrorCode): void {
  const fault = textFault(text);
  if (fault !== undefined)
    throw new ClearpegError(code, `${field}: ${fault.rule} (found ${fault.found})`, {
      field,
      rule: fault.rule,
    });
}

/**
 * Whether `text` may stand in a signed intent: no control, format (bidi, zero-width) or
 * line-separator characters, and in Unicode NFC, so that what a person reads is what is
 * signed. Workflows that put free text into an intent check it with this when it is entered.
 * @example isSignableText('Acme GmbH') === true; isSignableText('Cafe\u0301') === false
 */
export function isSignableText(text: string): boolean {
  return textFault(text) === undefined;
}

/**
 * A short description of a value for an error message.
 * @example describeValue('x'.repeat(50)) === 'a string of 50 characters'
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'bigint' ? `${value}n` : typeof value;
}

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

function checkValue(key: string, value: unknown): string {
  const field = `intent.${key}`;
  if (typeof value !== 'string')
    invalid(field, 'a string (no numbers in signed data)', describeValue(value));
  if (value.length === 0) invalid(field, 'a non-empty string (omit a field that has no value)');
  const chars = codePoints(value);
  if (chars > intentLimits.valueCharsMax)
    invalid(field, `at most ${intentLimits.valueCharsMax} characters`, `${chars}`);
  if (unsafeCharacters.test(value))
    invalid(field, 'free of control, format and line-separator characters', describeValue(value));
  if (value.normalize('NFC') !== value) invalid(field, 'Unicode in NFC form', describeValue(value));
  return value;
}

/** `formatAmount`'s own output: one amount, one encoding. */
function isCanonicalAmount(value: string): boolean {
  try {
    return formatAmount(parseAmount(value, 'intent.amount')) === value;
  } catch {
    return false;
  }
}

/** The rules a few field names carry in every kind, and those of a mint. */
function checkFields(intent: Intent): void {
  const amount = intent.amount;
  if (amount !== undefined && !isCanonicalAmount(amount))
    invalid(
      'intent.amount',
      'a decimal with exactly six decimals and no leading zeros, e.g. "12.500000"',
      describeValue(amount),
    );
  const chainId = intent.chainId;
  if (chainId !== undefined && !chainIdPattern.test(chainId))
    invalid('intent.chainId', 'a decimal chain id without leading zeros', describeValue(chainId));
  if (intent.kind === 'investment') {
    for (const key of investmentFields)
      if (intent[key] === undefined) invalid(`intent.${key}`, 'present in an investment intent');
    return;
  }
  if (intent.kind !== 'mint') return;
  for (const key of mintFields) {
    if (intent[key] === undefined) invalid(`intent.${key}`, 'present in a mint intent');
  }
  if (!addressPattern.test(intent.to!))
    invalid('intent.to', 'a lowercase 0x-prefixed 20-byte address', describeValue(intent.to));
}

/**
 * Checks an intent and returns a copy of it that holds only its own string fields, read once;
 * every other function here works on such a copy.
 * @example parseIntent({ kind: 'mint', requestId: 'R1', … }).kind === 'mint'
 */
export function parseIntent(value: unknown): Intent {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid('intent', 'an object of strings', describeValue(value));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null)
    invalid('intent', 'a plain object of strings', 'an instance of a class');
  const entries = Object.entries(value);
  if (entries.length > intentLimits.keysMax)
    invalid('intent', `at most ${intentLimits.keysMax} fields`, `${entries.length}`);
  const copy: Record<string, string> = {};
  for (const [key, raw] of entries) {
    if (!keyPattern.test(key) || key.length > intentLimits.keyCharsMax)
      invalid(
        'intent',
        `keyed by names of a letter then letters and digits, at most ${intentLimits.keyCharsMax}`,
        describeValue(key),
      );
    copy[key] = checkValue(key, raw);
  }
  const { kind, requestId } = copy;
  if (kind === undefined) invalid('intent.kind', 'present');
  if (requestId === undefined) invalid('intent.requestId', 'present');
  if (!kindPattern.test(kind) || kind.length > intentLimits.kindCharsMax)
    invalid(
      'intent.kind',
      `kebab-case, at most ${intentLimits.kindCharsMax} characters`,
      describeValue(kind),
    );
  const intent = copy as Intent;
  checkFields(intent);
  return intent;
}

/**
 * The RFC 8785 canonical JSON of an intent (no prefix).
 * @example canonicalIntentJson({ requestId: 'R', kind: 'mint', … }) // '{"amount":…,"kind":"mint",…}'
 */
export function canonicalIntentJson(intent: Intent): string {
  return canonicalJson(parseIntent(intent));
}

/**
 * The message an approver signs: UTF-8 of `"clearpeg-approval/1\n"` then the intent's
 * RFC 8785 canonical JSON.
 * @example new TextDecoder().decode(intentBytes({ kind: 'mint', requestId: 'R', … })).startsWith('clearpeg-approval/1\n{"amount":')
 */
export function intentBytes(intent: Intent): Uint8Array {
  return concatBytes(utf8ToBytes(intentDomain), utf8ToBytes(canonicalIntentJson(intent)));
}

/**
 * SHA-256 of the intent's bytes, as 64 lowercase hex digits: what an approval names.
 * @example intentHash(intent).length === 64
 */
export function intentHash(intent: Intent): string {
  return bytesToHex(sha256(intentBytes(intent)));
}

/**
 * Decodes signed bytes back to the intent, and refuses bytes that are not exactly the
 * canonical encoding of a valid intent (another key order, whitespace, escapes, prefix).
 * @example parseIntentBytes(intentBytes(intent)) // deep-equals intent
 */
export function parseIntentBytes(bytes: Uint8Array): Intent {
  const refuse = (rule: string): never => {
    throw new ClearpegError('intent-bytes-invalid', `intentBytes: must be ${rule}`, {
      field: 'intentBytes',
      rule,
    });
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse('valid UTF-8');
  }
  if (!text.startsWith(intentDomain)) refuse(`prefixed by ${JSON.stringify(intentDomain)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(intentDomain.length));
  } catch {
    return refuse('JSON after the prefix');
  }
  const intent = parseIntent(parsed);
  if (canonicalIntentJson(intent) !== text.slice(intentDomain.length))
    refuse('RFC 8785 canonical JSON (sorted keys, no whitespace)');
  return intent;
}

/**
 * Groups the whole part of a decimal by thousands.
 * @example groupThousands('1000000.000000') === '1,000,000.000000'
 */
export function groupThousands(decimal: string): string {
  const [whole = '', fraction] = decimal.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function show(key: string, value: string): string {
  if (key === 'amount') return groupThousands(value);
  return plainValuePattern.test(value) ? value : JSON.stringify(value);
}

function rest(intent: Intent, shown: readonly string[]): string[] {
  return Object.keys(intent)
    .filter((key) => !shown.includes(key))
    .sort()
    .map((key) => `${key} ${show(key, intent[key]!)}`);
}

/**
 * A one-line summary of every field of an intent, for a person to read before signing: a
 * sentence for a mint and an investment, `kind field value, …` for the others. Values with
 * spaces or punctuation are quoted; addresses are shown in full.
 * @example describeIntent(mint) // 'mint 1,000,000.000000 CPUSD to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 on chain 31337 for customer cus-0042, request req-0001'
 */
export function describeIntent(intent: Intent): string {
  const checked = parseIntent(intent);
  const request = `request ${show('requestId', checked.requestId)}`;
  if (checked.kind === 'mint') {
    const v = (key: string) => show(key, checked[key]!);
    const extra = rest(checked, ['kind', 'requestId', ...mintFields]);
    return (
      `mint ${v('amount')} ${v('asset')} to ${v('to')} on chain ${v('chainId')} ` +
      `for customer ${v('customerId')}, ${request}` +
      (extra.length === 0 ? '' : ` (${extra.join(', ')})`)
    );
  }
  if (checked.kind === 'investment') {
    const v = (key: string) => show(key, checked[key]!);
    const extra = rest(checked, ['kind', 'requestId', ...investmentFields]);
    return (
      `invest ${v('amount')} ${v('currency')} from bank ${v('bank')} in ${v('asset')} ${v('name')}, ` +
      `held by ${v('custodian')} in ${v('jurisdiction')}, statement ${v('statement')}, ` +
      `reference ${v('reference')}, ${request}` +
      (extra.length === 0 ? '' : ` (${extra.join(', ')})`)
    );
  }
  const fields = rest(checked, ['kind', 'requestId']);
  return [
    `${checked.kind}${fields.length === 0 ? '' : ` ${fields[0]}`}`,
    ...fields.slice(1),
    request,
  ].join(', ');
}
