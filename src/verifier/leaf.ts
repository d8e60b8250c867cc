/**
 * j. The holder's own balance (`--leaf FILE`): the leaf file the issuer gave it
 * (`clearpeg-liabilities-leaf/1`, src/attest/rounds.ts) verified from the public sum tiles alone,
 * to the root and total the attestation of its round states. A round is named by the index of
 * the attestation that built it (`roundFor(tx, index, …)`), so the file's round R is stated by
 * entry R of the log, read and checked through the same tiles as the checkpoint.
 *
 * Pure: no Node imports (bundled for the browser).
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { type Attestation, microsOf, parseAttestation } from '../proofs/attestation.ts';
import type { Checkpoint } from '../proofs/checkpoint.ts';
import { verifySumProof } from '../proofs/sumtree.ts';
import { roundRoot } from './figures.ts';
import { verifierLimits } from './limits.ts';
import { type CheckResult, messageOf, result } from './result.ts';
import type { Fetcher, TileTree } from './tree.ts';

/** The leaf file's format (`leafFormat` of src/attest/rounds.ts, which is Node: a test holds them equal). */
export const leafFileFormat = 'clearpeg-liabilities-leaf/1';

/** A holder's leaf file, parsed. */
export interface LeafFile {
  readonly origin: string;
  readonly round: bigint;
  readonly index: bigint;
  readonly size: bigint;
  readonly customerId: string;
  readonly salt: Uint8Array;
  /** Micro-dollars. */
  readonly value: bigint;
  /** The value as the file writes it. */
  readonly valueText: string;
}

const counter = /^(?:0|[1-9][0-9]{0,19})$/;

/**
 * Parses a leaf file strictly: exactly its members, each in its form. Throws naming the member.
 * @example parseLeafFile(text).customerId
 */
export function parseLeafFile(text: string): LeafFile {
  if (text.length > verifierLimits.leafFileBytesMax)
    throw new Error(`the leaf file is longer than ${verifierLimits.leafFileBytesMax} bytes`);
  const v = JSON.parse(text) as Record<string, unknown>;
  const keys = ['format', 'origin', 'round', 'index', 'size', 'customerId', 'salt', 'value'];
  if (
    typeof v !== 'object' ||
    v === null ||
    Object.keys(v).sort().join() !== [...keys].sort().join()
  )
    throw new Error(`the leaf file must have exactly the members ${keys.join(', ')}`);
  if (v.format !== leafFileFormat) throw new Error(`format: must be "${leafFileFormat}"`);
  for (const key of ['round', 'index', 'size'])
    if (typeof v[key] !== 'string' || !counter.test(v[key] as string))
      throw new Error(`${key}: must be a decimal string`);
  if (typeof v.origin !== 'string' || typeof v.customerId !== 'string')
    throw new Error('origin and customerId: must be strings');
  if (typeof v.salt !== 'string' || !/^[0-9a-f]{64}$/.test(v.salt))
    throw new Error('salt: must be 64 lowercase hex digits');
  return {
    origin: v.origin,
    round: BigInt(v.round as string),
    index: BigInt(v.index as string),
    size: BigInt(v.size as string),
    customerId: v.customerId,
    salt: hexToBytes(v.salt),
    value: microsOf(v.value, 'value'),
    valueText: v.value as string,
  };
}

/** The attestation that built round `round`: entry `round` of the log (or the latest, if it is). */
async function roundAttestation(
  round: bigint,
  latest: Attestation,
  tree: TileTree,
): Promise<Attestation> {
  if (latest.liabilities.customerFiat.round === round.toString()) return latest;
  if (round >= tree.checkpoint.size)
    throw new Error(`round ${round}: the log holds only ${tree.checkpoint.size} attestations`);
  const bytes = await tree.entry(round);
  const a = parseAttestation(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
  if (a.liabilities.customerFiat.round !== round.toString())
    throw new Error(
      `entry ${round} states round ${a.liabilities.customerFiat.round}, not ${round}: no attestation built the file's round`,
    );
  return a;
}

/**
 * j. The holder's leaf, verified from the public sum tiles to its round's stated root and total.
 * @example await leafCheck(fileText, latest, checkpoint, tree, fetch)
 */
export async function leafCheck(
  text: string,
  latest: Attestation,
  checkpoint: Checkpoint,
  tree: TileTree,
  fetch: Fetcher,
): Promise<CheckResult> {
  try {
    const leaf = parseLeafFile(text);
    if (leaf.origin !== checkpoint.origin)
      throw new Error(`the file is of log ${leaf.origin}, not ${checkpoint.origin}`);
    const a = await roundAttestation(leaf.round, latest, tree);
    const fiat = a.liabilities.customerFiat;
    if (BigInt(fiat.accounts) !== leaf.size)
      throw new Error(
        `the file says ${leaf.size} accounts, round ${leaf.round} has ${fiat.accounts}`,
      );
    if (leaf.index >= leaf.size) throw new Error(`index ${leaf.index} is not below ${leaf.size}`);
    const { root, proof } = await roundRoot(fetch, fiat.round, leaf.size, leaf.index);
    if (bytesToHex(root.hash) !== fiat.root || microsOf(fiat.total, 'total') !== root.value)
      throw new Error(
        `the sum tiles of round ${leaf.round} do not give the root and total its attestation states`,
      );
    const check = verifySumProof({ ...leaf, proof, root });
    if (!check.ok)
      return result('leaf', 'fail', `${leaf.customerId} with ${leaf.valueText}: ${check.reason}`);
    const current = fiat.round === latest.liabilities.customerFiat.round;
    return result(
      'leaf',
      'pass',
      `${leaf.customerId}'s ${leaf.valueText} is counted in round ${leaf.round} (leaf ${leaf.index} of ${leaf.size}, total ${fiat.total})${current ? ', the latest attestation’s round' : `; the latest attestation states round ${latest.liabilities.customerFiat.round}: ask for your leaf in it`}`,
    );
  } catch (error) {
    return result('leaf', 'fail', messageOf(error));
  }
}
