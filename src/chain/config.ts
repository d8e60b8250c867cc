/**
 * The chains Clearpeg issues on, by configuration: `CLEARPEG_CHAINS`, a JSON array of
 * `{ "name", "chainId", "rpcUrl", "finalityDepth", "token"?, "deployBlock"? }`. `rpcUrl` is an HTTP(S) URL of
 * any EVM node, or `in-process` for Hardhat's EVM inside the Clearpeg process. Without it,
 * the embedded default: two in-process chains, so that supply is visible per chain.
 */
import { type Hex, isAddress } from 'viem';
import { ClearpegError } from '../errors.ts';

export interface ChainConfig {
  /** A short name, for commands, key files and messages. */
  readonly name: string;
  readonly chainId: number;
  /** `in-process`, or the node's HTTP(S) URL. */
  readonly rpcUrl: string;
  /** The token's address, when it was deployed elsewhere (else `clearpeg chain deploy` records it). */
  readonly token: Hex | undefined;
  /** The block of that deployment, where the indexer starts (only with `token`). */
  readonly deployBlock: bigint | undefined;
  /** Blocks on top of a transaction's block before it is final (1: the block itself). */
  readonly finalityDepth: number;
}

/**
 * The embedded default: two in-process chains. Each mines a block per transaction and never
 * reorganizes, so a transaction's own block is final (depth 1).
 */
export const defaultChains: readonly ChainConfig[] = [
  {
    name: 'local-a',
    chainId: 31337,
    rpcUrl: 'in-process',
    token: undefined,
    deployBlock: undefined,
    finalityDepth: 1,
  },
  {
    name: 'local-b',
    chainId: 31338,
    rpcUrl: 'in-process',
    token: undefined,
    deployBlock: undefined,
    finalityDepth: 1,
  },
];

/** The most blocks a finality depth may be: deeper than any public chain needs. */
const finalityDepthMax = 10_000;

function invalid(field: string, rule: string, got: unknown): never {
  throw new ClearpegError(
    'config-invalid',
    `CLEARPEG_CHAINS: ${field} must be ${rule} (got ${JSON.stringify(got)})`,
    { field: `CLEARPEG_CHAINS.${field}`, rule },
  );
}

/**
 * Reads `CLEARPEG_CHAINS`, or the default; refuses anything malformed, naming the field.
 * @example loadChains({}).length === 2
 */
export function loadChains(env: NodeJS.ProcessEnv = process.env): ChainConfig[] {
  const text = env.CLEARPEG_CHAINS;
  if (text === undefined || text.trim() === '') return [...defaultChains];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    invalid('(the whole value)', 'a JSON array of chains', text);
  }
  if (!Array.isArray(value) || value.length === 0)
    invalid('(the whole value)', 'a non-empty JSON array', value);
  const chains = value.map((entry, index) => parseChain(entry, index));
  for (const key of ['name', 'chainId'] as const) {
    const seen = new Set<unknown>();
    chains.forEach((chain, index) => {
      if (seen.has(chain[key])) invalid(`${index}.${key}`, 'unique among the chains', chain[key]);
      seen.add(chain[key]);
    });
  }
  return chains;
}

function parseChain(entry: unknown, index: number): ChainConfig {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    invalid(`${index}`, 'an object', entry);
  const e = entry as Record<string, unknown>;
  const known = new Set(['name', 'chainId', 'rpcUrl', 'token', 'deployBlock', 'finalityDepth']);
  for (const key of Object.keys(e))
    if (!known.has(key)) invalid(`${index}.${key}`, 'a known field', key);
  if (typeof e.name !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(e.name))
    invalid(
      `${index}.name`,
      'lowercase letters, digits and dashes, 1 to 32, starting with a letter',
      e.name,
    );
  if (typeof e.chainId !== 'number' || !Number.isSafeInteger(e.chainId) || e.chainId < 1)
    invalid(`${index}.chainId`, 'a positive integer', e.chainId);
  if (
    typeof e.rpcUrl !== 'string' ||
    (e.rpcUrl !== 'in-process' && !/^https?:\/\/[^\s]+$/.test(e.rpcUrl))
  )
    invalid(`${index}.rpcUrl`, '"in-process" or an http(s) URL', e.rpcUrl);
  if (
    e.token !== undefined &&
    (typeof e.token !== 'string' || !isAddress(e.token, { strict: false }))
  )
    invalid(`${index}.token`, 'a 20-byte hex address', e.token);
  if (
    e.deployBlock !== undefined &&
    (e.token === undefined ||
      typeof e.deployBlock !== 'number' ||
      !Number.isSafeInteger(e.deployBlock) ||
      e.deployBlock < 0)
  )
    invalid(`${index}.deployBlock`, 'a block number ≥ 0, given with token', e.deployBlock);
  if (
    typeof e.finalityDepth !== 'number' ||
    !Number.isSafeInteger(e.finalityDepth) ||
    e.finalityDepth < 1 ||
    e.finalityDepth > finalityDepthMax
  )
    invalid(`${index}.finalityDepth`, `an integer from 1 to ${finalityDepthMax}`, e.finalityDepth);
  return {
    name: e.name,
    chainId: e.chainId,
    rpcUrl: e.rpcUrl,
    token: e.token === undefined ? undefined : ((e.token as string).toLowerCase() as Hex),
    deployBlock: e.deployBlock === undefined ? undefined : BigInt(e.deployBlock as number),
    finalityDepth: e.finalityDepth,
  };
}
