/**
 * What Clearpeg knows of each configured chain, read from its database: the token of record,
 * the indexed block, open requests, the newest supply parity check and the breakers that stop
 * its minting. `clearpeg chain status|parity` print it; the API serves it
 * (`GET /v1/chains`, `GET /v1/chains/parity`). Reads only: the checks themselves are made by
 * the chain worker (parity.ts).
 */
import { formatAmount } from '../money/money.ts';
import { stopsMinting } from '../policy/breakers.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import type { ChainConfig } from './config.ts';
import { trippedBreakers } from './parity.ts';

/** A parity check as shown: amounts as six-decimal strings. */
export interface ParityView {
  readonly blockNumber: string;
  readonly totalSupply: string;
  readonly issuerHeld: string;
  readonly ledgerSupply: string;
  readonly ok: boolean;
}

/** A chain's newest parity check (null: not checked yet). */
export interface ChainParityView {
  readonly name: string;
  readonly chainId: string;
  readonly parity: ParityView | null;
}

/** A chain as `chain status` shows it. */
export interface ChainStatusView extends ChainParityView {
  readonly rpcUrl: string;
  readonly finalityDepth: number;
  readonly token: string | null;
  readonly deployBlock: string | null;
  readonly indexedBlock: string | null;
  readonly openRequests: number;
  readonly breakers: string[];
}

type ParityRow = {
  chain_id: string;
  block_number: string;
  total_supply: string;
  issuer_held: string;
  ledger_supply: string;
  ok: boolean;
};

/** The rows of `sql`, by their `chain_id` (as text). */
async function byChain<R extends { chain_id: string }>(
  db: SqlExecutor,
  sql: string,
): Promise<Map<string, R>> {
  const { rows } = await db.query<R>(sql);
  return new Map(rows.map((row) => [row.chain_id, row]));
}

/** The newest parity check of each chain. */
function latestParity(db: SqlExecutor): Promise<Map<string, ParityRow>> {
  return byChain<ParityRow>(
    db,
    `SELECT DISTINCT ON (p.chain_id) chain_id::text, block_number::text, total_supply::text,
       issuer_held::text, ledger_supply::text, ok
     FROM chain_parity p ORDER BY p.chain_id, p.block_number DESC`,
  );
}

function parityView(row: ParityRow | undefined): ParityView | null {
  return row === undefined
    ? null
    : {
        blockNumber: row.block_number,
        totalSupply: formatAmount(BigInt(row.total_supply)),
        issuerHeld: formatAmount(BigInt(row.issuer_held)),
        ledgerSupply: formatAmount(BigInt(row.ledger_supply)),
        ok: row.ok,
      };
}

/**
 * Each chain's newest parity check.
 * @example (await chainParities(db, loadChains())).every((c) => c.parity?.ok !== false)
 */
export async function chainParities(
  db: SqlExecutor,
  chains: readonly ChainConfig[],
): Promise<ChainParityView[]> {
  const parity = await latestParity(db);
  return chains.map((chain) => ({
    name: chain.name,
    chainId: String(chain.chainId),
    parity: parityView(parity.get(String(chain.chainId))),
  }));
}

/**
 * An RPC URL as shown: its scheme and host only, since a provider's path or query often holds
 * its API key (`in-process` as it is).
 * @example rpcUrlShown('https://eth.example/v3/SECRET') === 'https://eth.example'
 */
export function rpcUrlShown(rpcUrl: string): string {
  try {
    const url = new URL(rpcUrl);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? `${url.protocol}//${url.host}`
      : rpcUrl;
  } catch {
    return rpcUrl;
  }
}

/**
 * Each chain's token, indexed block, open requests, newest parity check and breakers.
 * @example (await chainStatuses(db, loadChains()))[0].indexedBlock
 */
export async function chainStatuses(
  db: SqlExecutor,
  chains: readonly ChainConfig[],
): Promise<ChainStatusView[]> {
  const cursors = await byChain<{ chain_id: string; block_number: string }>(
    db,
    'SELECT chain_id::text, block_number::text FROM chain_cursors',
  );
  const tokens = await byChain<{ chain_id: string; address: string; deploy_block: string }>(
    db,
    'SELECT chain_id::text, address, deploy_block::text FROM chain_tokens',
  );
  const open = await byChain<{ chain_id: string; n: number }>(
    db,
    `SELECT chain_id::text, count(*)::int AS n FROM chain_requests WHERE status IN ('signed', 'mined') GROUP BY chain_id`,
  );
  const parity = await latestParity(db);
  const breakers = await trippedBreakers(db);
  return chains.map((chain) => {
    const id = String(chain.chainId);
    return {
      name: chain.name,
      chainId: id,
      rpcUrl: rpcUrlShown(chain.rpcUrl),
      finalityDepth: chain.finalityDepth,
      token: tokens.get(id)?.address ?? chain.token ?? null,
      deployBlock: tokens.get(id)?.deploy_block ?? null,
      indexedBlock: cursors.get(id)?.block_number ?? null,
      openRequests: open.get(id)?.n ?? 0,
      parity: parityView(parity.get(id)),
      breakers: breakers.filter((name) => stopsMinting(name, chain.chainId)),
    };
  });
}

/**
 * Whether no chain's newest parity check failed (a chain not checked yet passes).
 * @example parityHolds(await chainParities(db, chains))
 */
export function parityHolds(chains: readonly ChainParityView[]): boolean {
  return chains.every((chain) => chain.parity?.ok !== false);
}
