/**
 * The verifier's Node parts (docs/verify.md): the log fetched over HTTP(S) with the global
 * `fetch`, the state directory (what was pinned on first use, and the last checkpoint seen of
 * each log, written atomically), the shipped DTB3 rates, and a chain's RPC read with viem
 * (loaded only when asked for).
 *
 * State, under `$XDG_CONFIG_HOME/clearpeg/verify/` (or `~/.config/clearpeg/verify/`, or `--state`):
 *
 *   pins/<sha256 of the URL>.json       { url, pinnedAt, logKey?, witnesses?: { keys, quorum } }
 *   logs/<sha256 of the log key>.json   { logKey, checkpoint (note text), storedAt }
 *
 * A checkpoint is kept per log key, not per URL: two mirrors of one log share what was seen, so
 * a mirror that shows another tree is a split view too.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { writeFileAtomically } from '../files.ts';
import { boundedBody } from '../http-body.ts';
import { loadDtb3, quoteOn } from '../reserves/rates.ts';
import { checkNames, type VerifyReport, verifyLog } from './checks.ts';
import type { ChainReader, RateSource } from './figures.ts';
import { verifierLimits } from './limits.ts';
import { type Pin, resolvePolicy, type TrustOptions } from './policy.ts';
import { result } from './result.ts';
import type { Fetcher } from './tree.ts';

/**
 * The default state directory: `$XDG_CONFIG_HOME/clearpeg/verify`, else `~/.config/clearpeg/verify`.
 * @example defaultStateDir({ XDG_CONFIG_HOME: '/tmp/c' }) === '/tmp/c/clearpeg/verify'
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'clearpeg', 'verify');
}

/** Reads a response's body, refusing more than `max` bytes (declared or read). */
async function boundedResponse(response: Response, max: number, url: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max) throw new Error(`${url}: ${declared} bytes, more than ${max}`);
  return boundedBody(response, max, `${url}:`);
}

/**
 * A `Fetcher` of the log served at `<base>/log/`: a 404 is a missing file (null), any other
 * answer but 200 an error; each file bounded in size and time (`verifierLimits`).
 * @example const fetch = httpFetcher('http://127.0.0.1:8080')
 */
export function httpFetcher(base: string): Fetcher {
  const root = `${base.replace(/\/+$/, '')}/log/`;
  return async (path) => {
    const url = root + path;
    // Redirects are followed: what is read is authenticated by the checks, not by where it came from.
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(verifierLimits.fetchTimeoutMs) });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause;
      throw new Error(`${url}: ${cause?.message ?? (error as Error).message}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`${url}: HTTP ${response.status}`);
    }
    return boundedResponse(response, verifierLimits.fetchBytesMax, url);
  };
}

/**
 * The shipped DTB3 history (`data/rates/DTB3.csv`) as a `RateSource`: the last observation on
 * or before a date, as the issuer prices bills (`quoteOn`).
 * @example dtb3Rates().quote('2026-12-06', 164).observedOn === '2026-03-26'
 */
export function dtb3Rates(): RateSource {
  const curve = loadDtb3();
  return { source: curve.source, quote: (date, days) => quoteOn(curve, date, days) };
}

/**
 * A `ChainReader` over a JSON-RPC URL, with viem (imported here, only when an RPC is given).
 * @example const chain = await rpcChainReader('http://127.0.0.1:8545')
 */
export async function rpcChainReader(rpc: string): Promise<ChainReader> {
  const { createPublicClient, erc20Abi, http } = await import('viem');
  const client = createPublicClient({
    transport: http(rpc, { timeout: verifierLimits.fetchTimeoutMs }),
  });
  return {
    chainId: () => client.getChainId(),
    blockHash: async (blockNumber) => (await client.getBlock({ blockNumber })).hash!,
    supply: async (token, holders, blockNumber) => {
      const address = token as `0x${string}`;
      const totalSupply = await client.readContract({
        address,
        abi: erc20Abi,
        functionName: 'totalSupply',
        blockNumber,
      });
      const balances: bigint[] = [];
      for (const holder of holders)
        balances.push(
          await client.readContract({
            address,
            abi: erc20Abi,
            functionName: 'balanceOf',
            args: [holder as `0x${string}`],
            blockNumber,
          }),
        );
      return { totalSupply, balances };
    },
  };
}

const hexSha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The JSON at `path` if `valid` holds for it, or undefined when there is no file; throws on a malformed one. */
async function readJson<T>(path: string, valid: (value: T) => boolean): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: T;
  try {
    value = JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${path}: not JSON (${(error as Error).message}); remove it to start over`);
  }
  if (typeof value !== 'object' || value === null || !valid(value))
    throw new Error(`${path}: not a state file of this verifier; remove it to start over`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** Whether a stored pin has its shape. */
function validPin(pin: Pin): boolean {
  const w = pin.witnesses;
  return (
    isString(pin.url) &&
    isString(pin.pinnedAt) &&
    (pin.logKey === undefined || isString(pin.logKey)) &&
    (w === undefined ||
      (Array.isArray(w.keys) && w.keys.every(isString) && Number.isSafeInteger(w.quorum)))
  );
}

/**
 * Writes `value` as JSON at `path` atomically: a temporary file, fsynced, renamed over it (and
 * the directory fsynced), so a crash leaves the old file or the new one, never half of one.
 * @example await writeJsonAtomically(join(dir, 'logs', 'x.json'), { checkpoint })
 */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomically(dir, basename(path), `${JSON.stringify(value, null, 2)}\n`);
}

/** The last checkpoint a verifier stored for a log key. */
interface SeenFile {
  readonly logKey: string;
  readonly checkpoint: string;
  readonly storedAt: string;
}

/** What `runVerify` needs. */
export interface RunOptions {
  /** The base URL that serves `/log/`. */
  readonly url: string;
  readonly trust: TrustOptions;
  readonly stateDir: string;
  readonly rpc?: string;
  /** The holder's leaf file's text. */
  readonly leaf?: string;
  /** Reads the log (default: `httpFetcher(url)`). */
  readonly fetch?: Fetcher;
  readonly rates?: RateSource;
}

/** What a run found, and what it stored. */
export interface RunResult {
  readonly report: VerifyReport;
  readonly notes: readonly string[];
  /** Whether the checkpoint (and any pin) was stored. */
  readonly stored: boolean;
}

/**
 * Verifies the log at `options.url`: resolves the key and witness policy (pinning on first use),
 * runs every check against the last checkpoint seen, and, only when every check passed, stores
 * the new checkpoint and the pins.
 * @example const { report } = await runVerify({ url, trust, stateDir: defaultStateDir() })
 */
export async function runVerify(options: RunOptions): Promise<RunResult> {
  const url = options.url.replace(/\/+$/, '');
  const fetch = options.fetch ?? httpFetcher(url);
  const pinPath = join(options.stateDir, 'pins', `${hexSha256(url)}.json`);
  const pin = await readJson<Pin>(pinPath, validPin);
  const resolved = await resolvePolicy(
    fetch,
    url,
    options.trust,
    pin,
    new Date().toISOString(),
  ).catch((error: Error) => ({ ok: false as const, reason: error.message }));
  if (!resolved.ok) {
    const checks = [
      result('checkpoint-signature', 'fail', resolved.reason),
      ...checkNames.slice(1).map((n) => result(n, 'skip', 'not run: no log key to verify with')),
    ];
    const report = {
      ok: false,
      checks,
      checkpoint: null,
      origin: null,
      size: null,
      attestation: null,
    };
    return { report, notes: [], stored: false };
  }
  const { policy } = resolved;
  const seenPath = join(options.stateDir, 'logs', `${hexSha256(policy.logKey)}.json`);
  const seen = await readJson<SeenFile>(
    seenPath,
    (file) => file.logKey === policy.logKey && isString(file.checkpoint),
  );
  const report = await verifyLog({
    fetch,
    policy,
    ...(seen === undefined ? {} : { seen: seen.checkpoint }),
    rates: options.rates ?? dtb3Rates(),
    ...(options.rpc === undefined ? {} : { chain: await rpcChainReader(options.rpc) }),
    ...(options.leaf === undefined ? {} : { leaf: options.leaf }),
  });
  if (!report.ok || report.checkpoint === null)
    return { report, notes: [...resolved.notes, 'nothing stored: a check failed'], stored: false };
  const storedAt = new Date().toISOString();
  await writeJsonAtomically(seenPath, {
    logKey: policy.logKey,
    checkpoint: report.checkpoint,
    storedAt,
  });
  if (resolved.pin !== undefined) await writeJsonAtomically(pinPath, resolved.pin);
  return { report, notes: [...resolved.notes, `checkpoint stored in ${seenPath}`], stored: true };
}
