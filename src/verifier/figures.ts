/**
 * The checks of what the latest attestation states (docs/verify.md): its figures recomputed and
 * its customer-fiat sum tree recomputed from the published sum tiles (`attestation`), each T-bill
 * repriced from public rates the way the issuer's book prices bills at market (`bills`: as
 * `readBook` in src/treasury/valuation.ts, `billCost(face, pricePer100(rate, days))`), each
 * custodian statement's hash and signature (`custodians`, as `recordStatement` verifies them),
 * and each chain's supply re-read at the attested block (`chain`).
 *
 * Pure: no Node imports (bundled for the browser); rates and the chain come from the caller.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { daysBetween, newYorkDate } from '../calendar.ts';
import type { Micro } from '../money/money.ts';
import {
  type Attestation,
  amountText,
  attestationBytes,
  coverageRatio,
  discrepancies,
  microsOf,
  type PositionFigures,
  parseAttestation,
} from '../proofs/attestation.ts';
import type { Checkpoint } from '../proofs/checkpoint.ts';
import { emptyRoot } from '../proofs/hash.ts';
import { sumProofFromTiles } from '../proofs/sumtiles.ts';
import type { SumNode, SumProofStep } from '../proofs/sumtree.ts';
import { billCost, pricePer100 } from '../reserves/bills.ts';
import { formatRatio, halfUp, type Ratio } from '../reserves/decimal.ts';
import { verifierLimits } from './limits.ts';
import { type CheckResult, messageOf, result } from './result.ts';
import { type Fetcher, required, type TileTree } from './tree.ts';

/** Public T-bill discount rates: the last observation on or before a date (`quoteOn` in src/reserves/rates.ts). */
export interface RateSource {
  /** Where the rates come from, for the report (e.g. `data/rates/DTB3.csv`). */
  readonly source: string;
  quote(date: string, daysToMaturity: number): { discountRatePct: Ratio; observedOn: string };
}

/** A chain's RPC, read at a block (the caller builds it, e.g. with viem). */
export interface ChainReader {
  chainId(): Promise<number>;
  /** The hash (0x-hex) of the block at `blockNumber`. */
  blockHash(blockNumber: bigint): Promise<string>;
  /** `totalSupply()` and `balanceOf(holder)` of `token`, each read at `blockNumber`. */
  supply(
    token: string,
    holders: readonly string[],
    blockNumber: bigint,
  ): Promise<{ totalSupply: bigint; balances: bigint[] }>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The root (hash and total) of a round's sum tree of `accounts` leaves, and the proof of leaf
 * `index`, from its published tiles (`log/liabilities/<round>/`); `read` names the tiles read.
 * The empty tree has no tiles: its root is `{ SHA-256(""), 0 }`.
 * @example const { root, read } = await roundRoot(fetch, '3', 120n)
 */
export async function roundRoot(
  fetch: Fetcher,
  round: string,
  accounts: bigint,
  index = 0n,
): Promise<{ root: SumNode; proof: SumProofStep[]; read: string[] }> {
  const read: string[] = [];
  const base = `liabilities/${round}/`;
  if (accounts === 0n) return { root: { hash: emptyRoot, value: 0n }, proof: [], read };
  try {
    const { root, proof } = await sumProofFromTiles(
      (path) => {
        read.push(base + path);
        return required(fetch, base + path);
      },
      accounts,
      index,
    );
    return { root, proof, read };
  } catch (error) {
    throw new Error(`log/${base}: ${messageOf(error)}`);
  }
}

/** What is wrong with the round's sum tree against what the attestation states, or nothing. */
async function fiatProblems(a: Attestation, fetch: Fetcher): Promise<string[]> {
  const fiat = a.liabilities.customerFiat;
  let computed: { root: SumNode; read: string[] };
  try {
    computed = await roundRoot(fetch, fiat.round, BigInt(fiat.accounts));
  } catch (error) {
    return [messageOf(error)];
  }
  const { root, read } = computed;
  if (bytesToHex(root.hash) === fiat.root && amountText(root.value) === fiat.total) return [];
  return [
    `the sum tiles of round ${fiat.round} (${read.join(', ')}) give root ${bytesToHex(root.hash)} total ${amountText(root.value)}; the attestation states root ${fiat.root} total ${fiat.total}`,
  ];
}

/**
 * f. The latest attestation: canonical, of this log, chained to the one before, every figure
 * recomputed, and the customer-fiat round's root and total recomputed from its sum tiles. The
 * attestation is returned whenever it parses (the other checks read it).
 * @example const { result, attestation } = await attestationCheck(bytes, checkpoint, tree, fetch)
 */
export async function attestationCheck(
  bytes: Uint8Array,
  checkpoint: Checkpoint,
  tree: TileTree,
  fetch: Fetcher,
): Promise<{ result: CheckResult; attestation?: Attestation }> {
  const index = checkpoint.size - 1n;
  let a: Attestation;
  try {
    a = parseAttestation(JSON.parse(utf8.decode(bytes)));
  } catch (error) {
    return { result: result('attestation', 'fail', `entry ${index}: ${messageOf(error)}`) };
  }
  const problems: string[] = [];
  if (bytesToHex(attestationBytes(a)) !== bytesToHex(bytes))
    problems.push(`entry ${index} is not in RFC 8785 canonical form`);
  if (a.origin !== checkpoint.origin)
    problems.push(`its origin ${a.origin} is not the checkpoint's ${checkpoint.origin}`);
  for (const d of discrepancies(a))
    problems.push(`${d.path}: states ${d.stated}, the figures give ${d.computed}`);
  problems.push(...(await previousProblems(a, index, tree)));
  problems.push(...(await fiatProblems(a, fetch)));
  if (problems.length > 0)
    return {
      result: result('attestation', 'fail', problems[0]!, problems.slice(1)),
      attestation: a,
    };
  const owed = microsOf(a.liabilities.total, 'total');
  const ratio =
    coverageRatio(microsOf(a.reserves.eligible, 'eligible'), owed) ?? 'none (nothing owed)';
  const detail = `as of ${a.asOf}: owes ${a.liabilities.total} (customer fiat ${a.liabilities.customerFiat.total} in ${a.liabilities.customerFiat.accounts} accounts, round ${a.liabilities.customerFiat.round}), eligible reserves ${a.reserves.eligible}, coverage ${ratio}`;
  return { result: result('attestation', 'pass', detail), attestation: a };
}

/** Whether `previous` is the SHA-256 of the entry before (null for the first). */
async function previousProblems(a: Attestation, index: bigint, tree: TileTree): Promise<string[]> {
  if (index === 0n)
    return a.previous === null ? [] : [`previous: entry 0 names a previous attestation`];
  try {
    const before = bytesToHex(sha256(await tree.entry(index - 1n)));
    return a.previous === before
      ? []
      : [`previous: states ${a.previous}, the SHA-256 of entry ${index - 1n} is ${before}`];
  } catch (error) {
    return [`previous: entry ${index - 1n}: ${messageOf(error)}`];
  }
}

/** One bill repriced: the line for the report and whether its stated value stands too high. */
function repriceBill(
  position: PositionFigures,
  day: string,
  rates: RateSource,
): { line: string; overstated: boolean; observedOn?: string } {
  const bill = position.bill!;
  const face = microsOf(bill.face, 'face');
  const stated = microsOf(position.value, 'value');
  const days = daysBetween(day, bill.maturity);
  let repriced = face;
  let how = 'matured: at face';
  let observedOn: string | undefined;
  if (days > 0) {
    const quote = rates.quote(day, days);
    repriced = billCost(face as Micro, pricePer100(quote.discountRatePct, days));
    observedOn = quote.observedOn;
    how = `at ${formatRatio(quote.discountRatePct, 2, halfUp)}% observed ${quote.observedOn}, ${days} days to maturity`;
  }
  const over = stated - repriced;
  const overstated = over * 10_000n > face * verifierLimits.billOverstatementBpsMax;
  const sign = over >= 0n ? '+' : '';
  const line = `${position.id} (${bill.cusip}, face ${bill.face}): stated ${position.value}, repriced ${amountText(repriced)} ${how}; stated − repriced ${sign}${amountText(over)}${overstated ? ` (above ${verifierLimits.billOverstatementBpsMax} bp of face)` : ''}`;
  return observedOn === undefined ? { line, overstated } : { line, overstated, observedOn };
}

/**
 * g. Each T-bill repriced from public rates on the attestation's New York date. A stated value
 * above the repriced one by more than `billOverstatementBpsMax` of face fails; the rate's
 * observation date is reported (the shipped history may end before the date: the issuer uses
 * the last observation on or before it too).
 * @example billsCheck(attestation, dtb3Rates)
 */
export function billsCheck(a: Attestation, rates: RateSource): CheckResult {
  const day = newYorkDate(Date.parse(a.asOf));
  const bills = a.reserves.positions.filter((p) => p.kind === 'tbill' && p.bill !== null);
  if (bills.length === 0) return result('bills', 'pass', 'the attestation holds no T-bill');
  const lines: string[] = [];
  const failed: string[] = [];
  const observed = new Set<string>();
  for (const position of bills) {
    try {
      const priced = repriceBill(position, day, rates);
      lines.push(priced.line);
      if (priced.observedOn !== undefined) observed.add(priced.observedOn);
      if (priced.overstated) failed.push(position.id);
    } catch (error) {
      lines.push(`${position.id}: cannot be repriced: ${messageOf(error)}`);
      failed.push(position.id);
    }
  }
  const dates = [...observed].sort();
  const stale = dates.length === 0 ? 0 : daysBetween(dates.at(-1)!, day);
  const when =
    dates.length === 0
      ? ''
      : `, rate observed ${dates.join(', ')}${stale > 7 ? ` (${stale} days before: the last observation in ${rates.source} on or before it, as the issuer uses)` : ''}`;
  const detail =
    failed.length > 0
      ? `${failed.length} of ${bills.length} bills stated above their price from public rates: ${failed.join(', ')}`
      : `${bills.length} bill(s) repriced from ${rates.source} as of ${day}${when}`;
  return result('bills', failed.length > 0 ? 'fail' : 'pass', detail, lines);
}

/** The problem with one statement, or undefined when it holds; `signed` says whether a signature was checked. */
async function statementProblem(
  fetch: Fetcher,
  evidence: NonNullable<PositionFigures['evidence']>,
): Promise<string | undefined> {
  const path = `statements/${evidence.statementSha256}`;
  const bytes = await fetch(path);
  if (bytes === null) return `log/${path} is not published`;
  const hash = bytesToHex(sha256(bytes));
  if (hash !== evidence.statementSha256) return `log/${path}: its SHA-256 is ${hash}`;
  if (evidence.custodianKey === null) return undefined;
  if (evidence.signature === null)
    return `log/${path}: ${evidence.custodian} has a key (${evidence.custodianKey}) but the statement has no signature`;
  let valid: boolean;
  try {
    valid = ed25519.verify(
      hexToBytes(evidence.signature),
      bytes,
      hexToBytes(evidence.custodianKey),
    );
  } catch {
    valid = false;
  }
  return valid
    ? undefined
    : `log/${path}: the signature is not ${evidence.custodian}'s (key ${evidence.custodianKey}) over these bytes`;
}

/**
 * h. Each custodian statement behind a position: published, of the stated SHA-256, and signed by
 * the stated custodian key when one is stated. An unsigned statement is reported, not failed:
 * it is the issuer's own word.
 * @example await custodiansCheck(attestation, fetch)
 */
export async function custodiansCheck(a: Attestation, fetch: Fetcher): Promise<CheckResult> {
  const bySha = new Map<string, NonNullable<PositionFigures['evidence']>>();
  let bare = 0;
  for (const position of a.reserves.positions)
    if (position.evidence === null) bare++;
    else bySha.set(position.evidence.statementSha256, position.evidence);
  const problems: string[] = [];
  let signed = 0;
  for (const evidence of bySha.values()) {
    try {
      const problem = await statementProblem(fetch, evidence);
      if (problem !== undefined) problems.push(problem);
      else if (evidence.custodianKey !== null) signed++;
    } catch (error) {
      problems.push(`log/statements/${evidence.statementSha256}: ${messageOf(error)}`);
    }
  }
  if (problems.length > 0) return result('custodians', 'fail', problems[0]!, problems.slice(1));
  const unsigned = bySha.size - signed;
  return result(
    'custodians',
    'pass',
    `${bySha.size} statement(s) match their SHA-256, ${signed} signed by the stated custodian key${unsigned > 0 ? `, ${unsigned} unsigned (the issuer's word only)` : ''}; ${bare} position(s) without a statement`,
  );
}

/**
 * i. Each chain the RPC serves: the block's hash, the total supply and the issuer's balances
 * re-read at the attested block.
 * @example await chainCheck(attestation, viemReader)
 */
export async function chainCheck(a: Attestation, chain: ChainReader): Promise<CheckResult> {
  if (a.chains.length === 0) return result('chain', 'pass', 'the attestation states no chain');
  let chainId: number;
  try {
    chainId = await chain.chainId();
  } catch (error) {
    return result('chain', 'fail', `the RPC: ${messageOf(error)}`);
  }
  const mine = a.chains.filter((c) => c.chainId === String(chainId));
  const others = a.chains.filter((c) => c.chainId !== String(chainId)).map((c) => c.chainId);
  if (mine.length === 0)
    return result(
      'chain',
      'fail',
      `the RPC serves chain ${chainId}; the attestation states chains ${others.join(', ')}`,
    );
  const problems: string[] = [];
  for (const c of mine) {
    const at = `chain ${c.chainId} block ${c.block.number}`;
    try {
      const block = BigInt(c.block.number);
      const hash = (await chain.blockHash(block)).toLowerCase();
      if (hash !== c.block.hash) {
        problems.push(`${at}: the block's hash is ${hash}, the attestation states ${c.block.hash}`);
        continue;
      }
      const read = await chain.supply(c.token, c.issuerAddresses, block);
      const held = read.balances.reduce((sum, b) => sum + b, 0n);
      if (amountText(read.totalSupply) !== c.totalSupply)
        problems.push(
          `${at}: totalSupply is ${amountText(read.totalSupply)}, the attestation states ${c.totalSupply}`,
        );
      if (amountText(held) !== c.issuerHeld)
        problems.push(
          `${at}: the issuer's addresses hold ${amountText(held)}, the attestation states ${c.issuerHeld}`,
        );
    } catch (error) {
      problems.push(`${at}: ${messageOf(error)}`);
    }
  }
  if (problems.length > 0) return result('chain', 'fail', problems[0]!, problems.slice(1));
  const rest = others.length > 0 ? `; not checked (another RPC): chains ${others.join(', ')}` : '';
  return result(
    'chain',
    'pass',
    `chain ${chainId}: supply and the issuer's balances as stated at block ${mine.map((c) => c.block.number).join(', ')}${rest}`,
  );
}
