/**
 * The attestation: what the issuer states, at one moment, about what it owes and what it
 * holds, as one JSON document in RFC 8785 canonical form (its bytes are a leaf of the log).
 * ARCHITECTURE §6 lists what it carries; this file fixes its shape, parses it strictly and
 * recomputes every figure that follows from others, so that a verifier never takes a total
 * on trust.
 *
 *   format        "clearpeg-attestation/1"
 *   origin        the log's origin line (whose checkpoints carry this attestation)
 *   asOf          the moment, UTC, RFC 3339 with microseconds: "2026-12-06T06:40:00.000000Z"
 *   previous      SHA-256 (hex) of the previous attestation's bytes, or null for the first
 *   ledger        { seq, head }: the journal's last record and its hash (hex)
 *   chains[]      { chainId, token, issuerAddresses[], block: { number, hash (0x-hex) },
 *                   totalSupply, issuerHeld, circulating }: circulating = totalSupply −
 *                   issuerHeld; issuerHeld is the sum of the balances of issuerAddresses
 *                   (lowercase 0x-hex, sorted, unique; none: issuerHeld is 0)
 *   liabilities   { tokens, customerFiat: { total, root, accounts, round }, payables, total }:
 *                 tokens = Σ circulating; total = tokens + customerFiat.total + payables;
 *                 customerFiat.root is the sum tree's root hash (hex) and total its sum
 *   reserves      { ruleset, positions[], total, eligible }: each position { id, kind,
 *                   value, eligible, evidence, bill }; evidence = { statementSha256,
 *                   custodian, custodianKey, signature } | null: the custodian's Ed25519
 *                   public key (64 hex) and its signature over the statement file's bytes
 *                   (128 hex), each null when absent; bill = { cusip, face, maturity
 *                   (YYYY-MM-DD) } when kind is "tbill", else null (value is then the bill's
 *                   carrying value, which a verifier reprices from public rates);
 *                   total = Σ value, eligible = Σ value of the eligible ones
 *   coverage      { ratio, excess }: ratio = eligible / liabilities.total, rounded down to
 *                 six decimals ("1.023456"; "0.000000" … and null when nothing is owed);
 *                 excess = eligible − liabilities.total (negative: a shortfall)
 *
 * Amounts are decimal strings of micro-dollars with exactly six decimals ("12.500000"), as
 * `src/money/money.ts` formats them (a copy of its two rules is here: `src/proofs/` depends
 * on nothing outside itself); block numbers, sequence numbers and counts are decimal strings.
 * No number appears anywhere: nothing depends on floating point.
 */
import { jcsBytes } from './jcs.ts';

export const attestationFormat = 'clearpeg-attestation/1';

export interface ChainFigures {
  readonly chainId: string;
  /** The token contract, lowercase 0x-hex. */
  readonly token: string;
  /** The issuer's addresses whose balances make `issuerHeld`: lowercase 0x-hex, sorted, unique. */
  readonly issuerAddresses: readonly string[];
  readonly block: { readonly number: string; readonly hash: string };
  readonly totalSupply: string;
  readonly issuerHeld: string;
  readonly circulating: string;
}

export interface PositionFigures {
  readonly id: string;
  readonly kind: string;
  readonly value: string;
  readonly eligible: boolean;
  readonly evidence: PositionEvidence | null;
  /** The bill's terms when `kind` is "tbill", else null. */
  readonly bill: BillTerms | null;
}

/** A custodian's statement behind a position: its hash, and its signature when there is one. */
export interface PositionEvidence {
  /** SHA-256 (hex) of the statement file's bytes (published at `log/statements/<hex>`). */
  readonly statementSha256: string;
  readonly custodian: string;
  /** The custodian's Ed25519 public key (64 hex), or null when none is configured. */
  readonly custodianKey: string | null;
  /** The custodian's Ed25519 signature over the statement file's bytes (128 hex), or null. */
  readonly signature: string | null;
}

/** A Treasury bill's terms: enough for anyone to price it from public rates. */
export interface BillTerms {
  readonly cusip: string;
  /** The face (par) amount. */
  readonly face: string;
  /** YYYY-MM-DD. */
  readonly maturity: string;
}

export interface Attestation {
  readonly format: typeof attestationFormat;
  readonly origin: string;
  readonly asOf: string;
  readonly previous: string | null;
  readonly ledger: { readonly seq: string; readonly head: string };
  readonly chains: readonly ChainFigures[];
  readonly liabilities: {
    readonly tokens: string;
    readonly customerFiat: {
      readonly total: string;
      readonly root: string;
      readonly accounts: string;
      readonly round: string;
    };
    readonly payables: string;
    readonly total: string;
  };
  readonly reserves: {
    readonly ruleset: string;
    readonly positions: readonly PositionFigures[];
    readonly total: string;
    readonly eligible: string;
  };
  readonly coverage: { readonly ratio: string | null; readonly excess: string };
}

/** One figure that does not follow from the others: where, what it says, what it should say. */
export interface Discrepancy {
  readonly path: string;
  readonly stated: string | null;
  readonly computed: string | null;
}

const amountPattern = /^(?:0|[1-9][0-9]*)\.[0-9]{6}$/;
const signedAmountPattern = /^-?(?:0|[1-9][0-9]*)\.[0-9]{6}$/;
const counterPattern = /^(?:0|[1-9][0-9]{0,19})$/;
const hashPattern = /^[0-9a-f]{64}$/;
const addressPattern = /^0x[0-9a-f]{40}$/;
const datePattern = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;
const cusipPattern = /^[0-9A-Z*@#]{8}[0-9]$/;
const timePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const unsafeText = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const microPerUnit = 1_000_000n;
const amountMax = (1n << 128n) - 1n;

/**
 * Micro-units of a canonical amount string ("12.500000" → 12_500_000n); a signed one when
 * `signed`. Throws naming `path` for anything else.
 * @example microsOf('12.500000', 'reserves.total') === 12_500_000n
 */
export function microsOf(text: unknown, path: string, signed = false): bigint {
  const pattern = signed ? signedAmountPattern : amountPattern;
  if (typeof text !== 'string' || !pattern.test(text) || text === '-0.000000')
    throw new TypeError(
      `${path}: must be a decimal string with exactly six decimals, e.g. "12.500000"`,
    );
  const negative = text.startsWith('-');
  const [whole, fraction] = (negative ? text.slice(1) : text).split('.') as [string, string];
  const magnitude = BigInt(whole) * microPerUnit + BigInt(fraction);
  if (magnitude > amountMax) throw new TypeError(`${path}: must be at most 2^128 − 1 micro-units`);
  return negative ? -magnitude : magnitude;
}

/**
 * The canonical string of an amount of micro-units (as `formatAmount` writes it).
 * @example amountText(12_500_000n) === '12.500000'
 */
export function amountText(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const fraction = (magnitude % microPerUnit).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${magnitude / microPerUnit}.${fraction}`;
}

/**
 * The coverage ratio, eligible ÷ owed, rounded down to six decimals; null when nothing is owed.
 * @example coverageRatio(1_023_456_789n, 1_000_000_000n) === '1.023456'
 */
export function coverageRatio(eligible: bigint, owed: bigint): string | null {
  if (owed === 0n) return null;
  return amountText((eligible * microPerUnit) / owed);
}

type Reader = (value: unknown, path: string) => void;

function object(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${path}: must be an object`);
  const found = Object.keys(value).sort();
  const want = [...keys].sort();
  if (found.join(',') !== want.join(','))
    throw new TypeError(
      `${path}: must have exactly the members ${want.join(', ')} (has ${found.join(', ')})`,
    );
  return value as Record<string, unknown>;
}

const matching =
  (pattern: RegExp, rule: string): Reader =>
  (value, path) => {
    if (typeof value !== 'string' || !pattern.test(value))
      throw new TypeError(`${path}: must be ${rule}`);
  };
const amount: Reader = (value, path) => void microsOf(value, path);
const counter = matching(
  counterPattern,
  'a decimal string of at most 20 digits without leading zeros',
);
const hash = matching(hashPattern, '64 lowercase hex digits');
const text: Reader = (value, path) => {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 256 ||
    unsafeText.test(value)
  )
    throw new TypeError(
      `${path}: must be 1 to 256 characters without control or format characters`,
    );
};
const boolean: Reader = (value, path) => {
  if (typeof value !== 'boolean') throw new TypeError(`${path}: must be true or false`);
};

/** Whether `s` is a CUSIP whose ninth character is its check digit (ANSI X9.6). */
function isCusip(s: string): boolean {
  if (!cusipPattern.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = s[i]!;
    const code = c.charCodeAt(0);
    let v: number;
    if (code >= 48 && code <= 57) v = code - 48;
    else if (code >= 65 && code <= 90) v = code - 55;
    else v = c === '*' ? 36 : c === '@' ? 37 : 38;
    if (i % 2 === 1) v *= 2;
    sum += Math.floor(v / 10) + (v % 10);
  }
  return (10 - (sum % 10)) % 10 === Number(s[8]);
}

function array(value: unknown, path: string, item: (value: unknown, path: string) => void): void {
  if (!Array.isArray(value)) throw new TypeError(`${path}: must be an array`);
  for (const [i, v] of value.entries()) item(v, `${path}[${i}]`);
}

/**
 * Checks that `value` is an attestation of this format, member by member (no member missing
 * or extra, every string in its form), and returns it typed. It does not check the figures
 * against each other: `discrepancies` does.
 * @example parseAttestation(JSON.parse(bytesText)).asOf
 */
export function parseAttestation(value: unknown): Attestation {
  const a = object(value, 'attestation', [
    'format',
    'origin',
    'asOf',
    'previous',
    'ledger',
    'chains',
    'liabilities',
    'reserves',
    'coverage',
  ]);
  if (a.format !== attestationFormat)
    throw new TypeError(`attestation.format: must be "${attestationFormat}"`);
  text(a.origin, 'attestation.origin');
  matching(timePattern, 'an RFC 3339 UTC time with six fraction digits')(
    a.asOf,
    'attestation.asOf',
  );
  if (a.previous !== null) hash(a.previous, 'attestation.previous');
  const ledger = object(a.ledger, 'attestation.ledger', ['seq', 'head']);
  counter(ledger.seq, 'attestation.ledger.seq');
  hash(ledger.head, 'attestation.ledger.head');
  array(a.chains, 'attestation.chains', (v, path) => {
    const c = object(v, path, [
      'chainId',
      'token',
      'issuerAddresses',
      'block',
      'totalSupply',
      'issuerHeld',
      'circulating',
    ]);
    counter(c.chainId, `${path}.chainId`);
    const address = matching(addressPattern, 'a lowercase 0x-prefixed 20-byte address');
    address(c.token, `${path}.token`);
    array(c.issuerAddresses, `${path}.issuerAddresses`, address);
    const addresses = c.issuerAddresses as string[];
    for (let i = 1; i < addresses.length; i++)
      if (addresses[i - 1]! >= addresses[i]!)
        throw new TypeError(`${path}.issuerAddresses: must be sorted and unique`);
    const block = object(c.block, `${path}.block`, ['number', 'hash']);
    counter(block.number, `${path}.block.number`);
    matching(/^0x[0-9a-f]{64}$/, 'a lowercase 0x-prefixed 32-byte hash')(
      block.hash,
      `${path}.block.hash`,
    );
    for (const key of ['totalSupply', 'issuerHeld', 'circulating'])
      amount(c[key], `${path}.${key}`);
  });
  const l = object(a.liabilities, 'attestation.liabilities', [
    'tokens',
    'customerFiat',
    'payables',
    'total',
  ]);
  const fiat = object(l.customerFiat, 'attestation.liabilities.customerFiat', [
    'total',
    'root',
    'accounts',
    'round',
  ]);
  amount(l.tokens, 'attestation.liabilities.tokens');
  amount(fiat.total, 'attestation.liabilities.customerFiat.total');
  hash(fiat.root, 'attestation.liabilities.customerFiat.root');
  counter(fiat.accounts, 'attestation.liabilities.customerFiat.accounts');
  text(fiat.round, 'attestation.liabilities.customerFiat.round');
  amount(l.payables, 'attestation.liabilities.payables');
  amount(l.total, 'attestation.liabilities.total');
  const r = object(a.reserves, 'attestation.reserves', [
    'ruleset',
    'positions',
    'total',
    'eligible',
  ]);
  text(r.ruleset, 'attestation.reserves.ruleset');
  array(r.positions, 'attestation.reserves.positions', (v, path) => {
    const p = object(v, path, ['id', 'kind', 'value', 'eligible', 'evidence', 'bill']);
    text(p.id, `${path}.id`);
    text(p.kind, `${path}.kind`);
    amount(p.value, `${path}.value`);
    boolean(p.eligible, `${path}.eligible`);
    if (p.evidence !== null) {
      const e = object(p.evidence, `${path}.evidence`, [
        'statementSha256',
        'custodian',
        'custodianKey',
        'signature',
      ]);
      hash(e.statementSha256, `${path}.evidence.statementSha256`);
      text(e.custodian, `${path}.evidence.custodian`);
      if (e.custodianKey !== null) hash(e.custodianKey, `${path}.evidence.custodianKey`);
      if (e.signature !== null)
        matching(/^[0-9a-f]{128}$/, '128 lowercase hex digits')(
          e.signature,
          `${path}.evidence.signature`,
        );
    }
    if (p.bill !== null) {
      const b = object(p.bill, `${path}.bill`, ['cusip', 'face', 'maturity']);
      if (typeof b.cusip !== 'string' || !isCusip(b.cusip))
        throw new TypeError(`${path}.bill.cusip: must be a CUSIP with its check digit`);
      amount(b.face, `${path}.bill.face`);
      matching(datePattern, 'a date YYYY-MM-DD')(b.maturity, `${path}.bill.maturity`);
    }
  });
  amount(r.total, 'attestation.reserves.total');
  amount(r.eligible, 'attestation.reserves.eligible');
  const coverage = object(a.coverage, 'attestation.coverage', ['ratio', 'excess']);
  if (coverage.ratio !== null) amount(coverage.ratio, 'attestation.coverage.ratio');
  microsOf(coverage.excess, 'attestation.coverage.excess', true);
  return value as Attestation;
}

/**
 * Every figure of `a` that does not follow from the figures it sums, each named by its path:
 * a chain's circulating supply (and its issuerHeld, which is 0 when no issuer address is
 * named), the tokens owed, the liabilities' total, the reserves' total and eligible total, the
 * coverage ratio and excess, and a position's bill (present exactly when its kind is "tbill":
 * stated and computed are then "bill" or null). Empty when they all agree.
 * @example discrepancies(attestation) // [] or [{ path: 'reserves.total', stated: '…', computed: '…' }]
 */
export function discrepancies(a: Attestation): Discrepancy[] {
  const out: Discrepancy[] = [];
  const check = (path: string, stated: string | null, computed: string | null) => {
    if (stated !== computed) out.push({ path, stated, computed });
  };
  let tokens = 0n;
  a.chains.forEach((chain, i) => {
    if (chain.issuerAddresses.length === 0)
      check(`chains[${i}].issuerHeld`, chain.issuerHeld, '0.000000');
    const circulating =
      microsOf(chain.totalSupply, 'totalSupply') - microsOf(chain.issuerHeld, 'issuerHeld');
    check(`chains[${i}].circulating`, chain.circulating, amountText(circulating));
    tokens += microsOf(chain.circulating, 'circulating');
  });
  const l = a.liabilities;
  check('liabilities.tokens', l.tokens, amountText(tokens));
  const owed =
    microsOf(l.tokens, 'tokens') +
    microsOf(l.customerFiat.total, 'fiat') +
    microsOf(l.payables, 'payables');
  check('liabilities.total', l.total, amountText(owed));
  let total = 0n;
  let eligible = 0n;
  for (const [i, position] of a.reserves.positions.entries()) {
    check(
      `reserves.positions[${i}].bill`,
      position.bill === null ? null : 'bill',
      position.kind === 'tbill' ? 'bill' : null,
    );
    const value = microsOf(position.value, 'value');
    total += value;
    if (position.eligible) eligible += value;
  }
  check('reserves.total', a.reserves.total, amountText(total));
  check('reserves.eligible', a.reserves.eligible, amountText(eligible));
  const stated = microsOf(a.reserves.eligible, 'eligible');
  const liabilities = microsOf(l.total, 'total');
  check('coverage.ratio', a.coverage.ratio, coverageRatio(stated, liabilities));
  check('coverage.excess', a.coverage.excess, amountText(stated - liabilities));
  return out;
}

/**
 * The attestation's bytes: its RFC 8785 canonical JSON in UTF-8 (a leaf of the log).
 * @example attestationBytes(attestation) // hashed by leafHash as a log entry
 */
export function attestationBytes(a: Attestation): Uint8Array {
  return jcsBytes(parseAttestation(a));
}
