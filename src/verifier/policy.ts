/**
 * What the verifier trusts: the log's verifier key and a witness policy ("k of these n witness
 * keys"), given on the command line or pinned on first use from what the log publishes
 * (`log/vkey`, `log/witnesses`) and never taken from the log again (docs/verify.md).
 *
 * Pure: no Node imports (bundled for the browser); the pin is stored by the caller.
 */
import { algorithmCosignatureV1, algorithmEd25519, parseVerifierKey } from '../proofs/note.ts';
import type { Fetcher } from './tree.ts';

/** The key and witness policy a run verifies against. */
export interface Policy {
  /** The log's Ed25519 verifier key (C2SP vkey); its name is the checkpoints' origin. */
  readonly logKey: string;
  /** The witnesses' cosignature/v1 verifier keys. */
  readonly witnesses: readonly string[];
  /** How many of them must cosign (0: none). */
  readonly quorum: number;
  /** Whether the witness policy was taken from the log (`log/witnesses`) rather than given. */
  readonly witnessesFromLog?: boolean;
}

/** What a verifier pinned on first use for one log URL: the log key, the witness policy, or both. */
export interface Pin {
  readonly url: string;
  /** When it was first pinned (RFC 3339). */
  readonly pinnedAt: string;
  /** The log key, unless `--key` gave it. */
  readonly logKey?: string;
  /** The witness policy, unless `--witness`/`--quorum` gave it. */
  readonly witnesses?: { readonly keys: readonly string[]; readonly quorum: number };
}

/** What the command line says about trust. */
export interface TrustOptions {
  readonly key?: string;
  readonly witnesses: readonly string[];
  readonly quorum?: number;
  readonly trustOnFirstUse: boolean;
}

/** A policy to verify against, with what was learned on the way; or why there is none. */
export type ResolvedPolicy =
  | { readonly ok: true; readonly policy: Policy; readonly pin?: Pin; readonly notes: string[] }
  | { readonly ok: false; readonly reason: string };

/** A witness policy the log publishes (informational: `LogPublisher.publishWitnesses`). */
export interface PublishedWitnesses {
  readonly witnesses: readonly { vkey: string; url: string }[];
  readonly quorum: number;
}

/**
 * Parses `log/witnesses`: lines `witness <vkey> <url>`, then `quorum <k>`. Throws naming the
 * line on anything else.
 * @example parseWitnessesFile('witness w1+…+B… http://127.0.0.1:7380\nquorum 1\n').quorum === 1
 */
export function parseWitnessesFile(text: string): PublishedWitnesses {
  const witnesses: { vkey: string; url: string }[] = [];
  let quorum: number | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    const fields = line.split(' ');
    const where = `log/witnesses line ${i + 1}`;
    if (fields[0] === 'witness' && fields.length === 3) {
      const key = parseVerifierKey(fields[1]!);
      if (key.algorithm !== algorithmCosignatureV1)
        throw new Error(`${where}: the witness key is not a cosignature/v1 key`);
      witnesses.push({ vkey: fields[1]!, url: fields[2]! });
    } else if (fields[0] === 'quorum' && fields.length === 2 && /^[0-9]{1,3}$/.test(fields[1]!)) {
      quorum = Number(fields[1]);
    } else throw new Error(`${where}: must be "witness <vkey> <url>" or "quorum <k>"`);
  }
  if (quorum === undefined || quorum > witnesses.length)
    throw new Error(`log/witnesses: must end with "quorum <k>", k at most ${witnesses.length}`);
  return { witnesses, quorum };
}

/** The text of a fetched file, or null. */
async function text(fetch: Fetcher, path: string): Promise<string | null> {
  const bytes = await fetch(path);
  return bytes === null ? null : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/**
 * The policy of this run: `--key`, or the log key pinned on first use (the published `log/vkey`
 * the first time; a different one published later is refused); `--witness`/`--quorum`, or the
 * witnesses and quorum the log published the first time (`log/witnesses`). `pin` is what was
 * pinned before for this URL; the result's `pin` (trust on first use only) is what to store if
 * the run passes.
 * @example const resolved = await resolvePolicy(fetch, url, options, storedPin, new Date().toISOString())
 */
export async function resolvePolicy(
  fetch: Fetcher,
  url: string,
  options: TrustOptions,
  pin: Pin | undefined,
  nowIso: string,
): Promise<ResolvedPolicy> {
  const notes: string[] = [];
  const tofu = options.trustOnFirstUse;
  let pinned: Pin = pin ?? { url, pinnedAt: nowIso };
  let logKey = options.key;
  if (logKey === undefined) {
    if (!tofu) return { ok: false, reason: 'give the log key with --key, or --trust-on-first-use' };
    const published = (await text(fetch, 'vkey'))?.trim();
    if (pin?.logKey !== undefined) {
      if (published !== undefined && published !== pin.logKey)
        return {
          ok: false,
          reason: `the log now publishes key ${published}, not the key ${pin.logKey} pinned on first use (${pin.pinnedAt}): refused (a new key is a new log: verify it with --key if you trust it)`,
        };
      logKey = pin.logKey;
    } else if (published === undefined)
      return { ok: false, reason: 'log/vkey is not published: give the log key with --key' };
    else {
      logKey = published;
      notes.push(`log key ${logKey} pinned on first use`);
    }
    pinned = { ...pinned, logKey };
  }
  try {
    if (parseVerifierKey(logKey).algorithm !== algorithmEd25519)
      return { ok: false, reason: `the log key ${logKey} is not an Ed25519 (0x01) key` };
  } catch (error) {
    return { ok: false, reason: `the log key: ${(error as Error).message}` };
  }
  let witnesses = options.witnesses;
  let quorum = options.quorum ?? witnesses.length;
  if (witnesses.length === 0 && options.quorum === undefined) {
    if (!tofu)
      return { ok: false, reason: 'give --witness (and --quorum), or --trust-on-first-use' };
    if (pin?.witnesses !== undefined) ({ keys: witnesses, quorum } = pin.witnesses);
    else {
      const file = await text(fetch, 'witnesses');
      if (file === null)
        return { ok: false, reason: 'log/witnesses is not published: give --witness and --quorum' };
      const published = parseWitnessesFile(file);
      witnesses = published.witnesses.map((w) => w.vkey);
      quorum = published.quorum;
      notes.push(`witness policy ${quorum} of ${witnesses.length} pinned on first use`);
    }
    pinned = { ...pinned, witnesses: { keys: witnesses, quorum } };
  }
  const fromLog = options.witnesses.length === 0 && options.quorum === undefined;
  const policy: Policy = {
    logKey,
    witnesses,
    quorum,
    ...(fromLog ? { witnessesFromLog: true } : {}),
  };
  return tofu ? { ok: true, policy, notes, pin: pinned } : { ok: true, policy, notes };
}
