/**
 * The holder's verifier (ARCHITECTURE §6, docs/verify.md): every check, in order, over the
 * bytes a `Fetcher` reads from a published log, each a named result (pass, fail or skip, and
 * what failed):
 *
 *   checkpoint-signature  the checkpoint verifies under the pinned log key
 *   witnesses             k of the pinned n witnesses cosigned it (cosignature/v1)
 *   consistency           it extends the last checkpoint this verifier saw (else: split view)
 *   tiles                 every tile and entry bundle read agrees with its root
 *   inclusion             the latest attestation (the last entry) is in the tree
 *   attestation           its totals and coverage recomputed; the customer-fiat round's sum
 *                         tree recomputed from its tiles
 *   bills                 each T-bill repriced from public rates
 *   custodians            each statement's hash and custodian signature
 *   chain                 supply re-read from a chain's RPC (only with one)
 *   leaf                  the holder's own leaf in the sum tree (only with one)
 *
 * A check that needs what an earlier one failed to establish is skipped, saying so; the run
 * passes when every check that ran passed. The caller stores `checkpoint` only then.
 *
 * Pure: no Node imports (bundled for the browser); fetching, rates, the chain and the state
 * file are the caller's (`node.ts`).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Attestation } from '../proofs/attestation.ts';
import { type Checkpoint, parseCheckpoint } from '../proofs/checkpoint.ts';
import { checkWitnesses } from '../proofs/cosignature.ts';
import { leafHash } from '../proofs/hash.ts';
import {
  consistencyProof,
  inclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../proofs/merkle.ts';
import { ed25519Verifier, openNote } from '../proofs/note.ts';
import {
  attestationCheck,
  billsCheck,
  type ChainReader,
  chainCheck,
  custodiansCheck,
  type RateSource,
} from './figures.ts';
import { leafCheck } from './leaf.ts';
import type { Policy } from './policy.ts';
import { type CheckName, type CheckResult, checkNames, messageOf, result } from './result.ts';
import { type Fetcher, required, TileTree } from './tree.ts';

export type { CheckName, CheckResult } from './result.ts';
export { checkNames } from './result.ts';
export type { Fetcher } from './tree.ts';

/** What a run is given. */
export interface VerifyInput {
  readonly fetch: Fetcher;
  readonly policy: Policy;
  /** The last checkpoint (note text) this verifier saw for the log, verified then. */
  readonly seen?: string;
  /** Public T-bill rates; without them `bills` is skipped. */
  readonly rates?: RateSource;
  /** A chain's RPC; without it `chain` is skipped. */
  readonly chain?: ChainReader;
  /** The holder's leaf file (`clearpeg-liabilities-leaf/1`); without it `leaf` is skipped. */
  readonly leaf?: string;
}

/** What a run found. */
export interface VerifyReport {
  /** Whether every check that ran passed. */
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
  /** The checkpoint fetched (note text, cosignatures included); store it only when `ok`. */
  readonly checkpoint: string | null;
  readonly origin: string | null;
  readonly size: string | null;
  /**
   * The latest attestation, as included under the checkpoint and recomputed (null when no
   * check got that far). Trust it only when `ok`.
   */
  readonly attestation: Attestation | null;
}

const skipped = (name: CheckName, why: string) => result(name, 'skip', `not run: ${why}`);

/** a. The checkpoint, opened with the pinned key; its origin must be the key's name. */
async function checkpointSignature(
  fetch: Fetcher,
  logKey: string,
): Promise<{ result: CheckResult; note?: string; checkpoint?: Checkpoint }> {
  const name = 'checkpoint-signature';
  let note: string;
  try {
    note = new TextDecoder('utf-8', { fatal: true }).decode(await required(fetch, 'checkpoint'));
  } catch (error) {
    return { result: result(name, 'fail', messageOf(error)) };
  }
  try {
    const verifier = ed25519Verifier(logKey);
    const checkpoint = parseCheckpoint(openNote(note, [verifier]).text);
    if (checkpoint.origin !== verifier.name)
      throw new Error(
        `the checkpoint's origin ${JSON.stringify(checkpoint.origin)} is not the key's name ${JSON.stringify(verifier.name)}`,
      );
    const detail = `${checkpoint.origin} size ${checkpoint.size} root ${bytesToHex(checkpoint.root)}`;
    return { result: result(name, 'pass', detail), note, checkpoint };
  } catch (error) {
    return {
      result: result(name, 'fail', `log/checkpoint: ${messageOf(error)} (pinned key ${logKey})`),
    };
  }
}

/** b. The witness policy on the note. */
function witnessesCheck(note: string, policy: Policy): CheckResult {
  const name = 'witnesses';
  if (policy.quorum === 0 && policy.witnessesFromLog)
    return result(
      name,
      'fail',
      'the log names no witness (quorum 0 in log/witnesses): nothing excludes a split view (--quorum 0 accepts that)',
    );
  if (policy.quorum === 0)
    return result(name, 'skip', 'no witness required (--quorum 0): a split view goes unseen');
  if (policy.witnesses.length === 0)
    return result(name, 'fail', 'no witness key is pinned: nothing excludes a split view');
  try {
    const check = checkWitnesses(note, policy.witnesses, policy.quorum);
    const cosigned = check.cosigned.map((w) => w.name).join(', ') || 'none';
    const detail = `${check.cosigned.length} of ${policy.witnesses.length} pinned witnesses cosigned (${cosigned}); the policy needs ${policy.quorum}`;
    return result(name, check.satisfied ? 'pass' : 'fail', detail);
  } catch (error) {
    return result(name, 'fail', messageOf(error));
  }
}

/** A split view: both checkpoints, in full. */
function splitView(seen: string, fetched: string, why: string): CheckResult {
  return {
    ...result('consistency', 'fail', `split view: ${why}`, [
      'the checkpoint seen before:',
      ...seen.trimEnd().split('\n'),
      'the checkpoint fetched now:',
      ...fetched.trimEnd().split('\n'),
    ]),
    splitView: { seen, fetched },
  };
}

/** c. The fetched checkpoint against the last one seen: the same, or extended (from tiles). */
async function consistencyCheck(
  seen: string | undefined,
  note: string,
  checkpoint: Checkpoint,
  logKey: string,
  tree: TileTree,
  tilesOk: boolean,
): Promise<CheckResult> {
  const name = 'consistency';
  if (seen === undefined)
    return result(name, 'pass', `first checkpoint seen for this log (size ${checkpoint.size})`);
  let old: Checkpoint;
  try {
    old = parseCheckpoint(openNote(seen, [ed25519Verifier(logKey)]).text);
  } catch (error) {
    return result(name, 'fail', `the stored checkpoint does not verify: ${messageOf(error)}`);
  }
  const roots = `root ${bytesToHex(old.root)}, now ${bytesToHex(checkpoint.root)}`;
  if (checkpoint.size < old.size)
    return splitView(seen, note, `the tree shrank from ${old.size} to ${checkpoint.size}`);
  if (checkpoint.size === old.size)
    return bytesToHex(old.root) === bytesToHex(checkpoint.root)
      ? result(name, 'pass', `the same tree as seen before (size ${old.size})`)
      : splitView(seen, note, `two roots for size ${old.size}: ${roots}`);
  if (!tilesOk) return skipped(name, 'the tiles do not agree with the checkpoint (see tiles)');
  try {
    const proof = await consistencyProof(old.size, checkpoint.size, tree.reader);
    const check = verifyConsistency({
      size1: old.size,
      size2: checkpoint.size,
      root1: old.root,
      root2: checkpoint.root,
      proof,
    });
    if (!check.ok)
      return splitView(
        seen,
        note,
        `the tree of ${old.size} is not a prefix of the tree of ${checkpoint.size}: ${check.reason}`,
      );
    return result(
      name,
      'pass',
      `extends the checkpoint seen before: ${old.size} → ${checkpoint.size}`,
    );
  } catch (error) {
    return result(name, 'fail', `the consistency proof could not be read: ${messageOf(error)}`);
  }
}

/** e. The latest entry's inclusion under the checkpoint's root, from the tiles. */
async function inclusionCheck(
  tree: TileTree,
): Promise<{ result: CheckResult; attestation?: Attestation; bytes?: Uint8Array }> {
  const name = 'inclusion';
  const { size, root } = tree.checkpoint;
  if (size === 0n) return { result: skipped(name, 'the log is empty') };
  try {
    const bytes = await tree.entry(size - 1n);
    const proof = await inclusionProof(size - 1n, size, tree.reader);
    const check = verifyInclusion({
      index: size - 1n,
      size,
      leafHash: leafHash(bytes),
      proof,
      root,
    });
    if (!check.ok) return { result: result(name, 'fail', `entry ${size - 1n}: ${check.reason}`) };
    return {
      result: result(
        name,
        'pass',
        `attestation ${size - 1n} is in the tree (${proof.length} hashes)`,
      ),
      bytes,
    };
  } catch (error) {
    return { result: result(name, 'fail', `entry ${size - 1n}: ${messageOf(error)}`) };
  }
}

/** d. Every tile and bundle read, as the run used them. */
function tilesCheck(tree: TileTree): CheckResult {
  if (tree.failures.length > 0)
    return result('tiles', 'fail', tree.failures[0]!, tree.failures.slice(1));
  const bundles = tree.fetched.filter((path) => path.startsWith('tile/entries/')).length;
  return result(
    'tiles',
    'pass',
    `${tree.fetched.length - bundles} tile(s) and ${bundles} entry bundle(s) agree with root ${bytesToHex(tree.checkpoint.root).slice(0, 16)}…`,
  );
}

/**
 * Runs every check on the log `input.fetch` reads, against `input.policy`.
 * @example const report = await verifyLog({ fetch, policy: { logKey, witnesses: [w1], quorum: 1 } })
 */
export async function verifyLog(input: VerifyInput): Promise<VerifyReport> {
  const { fetch, policy } = input;
  const signed = await checkpointSignature(fetch, policy.logKey);
  if (signed.checkpoint === undefined || signed.note === undefined) {
    const rest = checkNames.slice(1).map((n) => skipped(n, 'no verified checkpoint'));
    return report([signed.result, ...rest], null, null, null);
  }
  const { note, checkpoint } = signed;
  const tree = new TileTree(fetch, checkpoint);
  const tilesOk = checkpoint.size === 0n || (await tree.checkRoot());
  const results: Partial<Record<CheckName, CheckResult>> = {
    'checkpoint-signature': signed.result,
    witnesses: witnessesCheck(note, policy),
    consistency: await consistencyCheck(input.seen, note, checkpoint, policy.logKey, tree, tilesOk),
  };
  const included = tilesOk
    ? await inclusionCheck(tree)
    : { result: skipped('inclusion', 'the tiles do not agree with the checkpoint') };
  results.inclusion = included.result;
  const attestation =
    included.bytes === undefined
      ? undefined
      : await attestationCheck(included.bytes, checkpoint, tree, fetch);
  const why = 'needs an attestation included under the checkpoint';
  if (attestation?.attestation === undefined) {
    results.attestation = attestation?.result ?? skipped('attestation', why);
    for (const name of ['bills', 'custodians', 'chain', 'leaf'] as const)
      results[name] = skipped(name, why);
  } else {
    const a = attestation.attestation;
    results.attestation = attestation.result;
    results.bills =
      input.rates === undefined ? skipped('bills', 'no rates') : billsCheck(a, input.rates);
    results.custodians = await custodiansCheck(a, fetch);
    results.chain =
      input.chain === undefined
        ? result('chain', 'skip', 'no --rpc given')
        : await chainCheck(a, input.chain);
    results.leaf =
      input.leaf === undefined
        ? result('leaf', 'skip', 'no --leaf given')
        : await leafCheck(input.leaf, a, checkpoint, tree, fetch);
  }
  results.tiles = checkpoint.size === 0n ? skipped('tiles', 'the log is empty') : tilesCheck(tree);
  return report(
    checkNames.map((name) => results[name]!),
    note,
    checkpoint,
    attestation?.attestation ?? null,
  );
}

function report(
  checks: CheckResult[],
  note: string | null,
  checkpoint: Checkpoint | null,
  attestation: Attestation | null,
): VerifyReport {
  return {
    ok: checks.every((check) => check.status !== 'fail'),
    checks,
    checkpoint: note,
    origin: checkpoint?.origin ?? null,
    size: checkpoint === null ? null : checkpoint.size.toString(),
    attestation,
  };
}

/**
 * The report for a person: one line per check (`PASS name  detail`), more lines indented.
 * @example formatReport(report).join('\n')
 */
export function formatReport(report: VerifyReport): string[] {
  const out: string[] = [];
  const width = Math.max(...checkNames.map((n) => n.length));
  for (const check of report.checks) {
    out.push(
      `${check.status.toUpperCase().padEnd(4)} ${check.name.padEnd(width)}  ${check.detail}`,
    );
    for (const line of check.lines ?? []) out.push(`       ${line}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
  out.push(failed.length === 0 ? 'verified' : `NOT verified: ${failed.join(', ')} failed`);
  return out;
}
