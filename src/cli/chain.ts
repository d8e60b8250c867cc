/**
 * `clearpeg chain status|parity`: what Clearpeg knows of each configured chain, from its
 * database (so it works for the in-process chains of a running server too). Every read takes
 * `--json`.
 */
import { loadChains } from '../chain/config.ts';
import { stopsMinting } from '../chain/parity.ts';
import { toJson } from '../json.ts';
import { formatAmount } from '../money/money.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import { type Command, commandOptions, exitCode, withDatabase } from './io.ts';

const options = (args: readonly string[]) => commandOptions(args, { json: { type: 'boolean' } });

type ParityRow = {
  chain_id: string;
  block_number: string;
  total_supply: string;
  issuer_held: string;
  ledger_supply: string;
  ok: boolean;
};

const parityColumns = `chain_id::text, block_number::text, total_supply::text, issuer_held::text,
  ledger_supply::text, ok`;

/** The newest parity check of each chain. */
async function latestParity(db: SqlDatabase): Promise<Map<string, ParityRow>> {
  const { rows } = await db.query<ParityRow>(
    `SELECT DISTINCT ON (p.chain_id) ${parityColumns} FROM chain_parity p ORDER BY p.chain_id, p.block_number DESC`,
  );
  return new Map(rows.map((row) => [row.chain_id, row]));
}

function parityView(row: ParityRow | undefined) {
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

export const chainStatus: Command = {
  name: 'chain status',
  summary: 'each configured chain: token, indexed block, open requests, parity, breakers',
  usage: 'clearpeg chain status [--json]',
  async run(args, context) {
    const { values } = options(args);
    const chains = loadChains();
    const view = await withDatabase(context, async (db) => {
      const cursors = new Map(
        (
          await db.query<{ chain_id: string; block_number: string; token: string }>(
            'SELECT chain_id::text, block_number::text, token FROM chain_cursors',
          )
        ).rows.map((row) => [row.chain_id, row]),
      );
      const open = new Map(
        (
          await db.query<{ chain_id: string; n: number }>(
            `SELECT chain_id::text, count(*)::int AS n FROM chain_requests WHERE status IN ('signed', 'mined') GROUP BY chain_id`,
          )
        ).rows.map((row) => [row.chain_id, row.n]),
      );
      const parity = await latestParity(db);
      const breakers = (
        await db.query<{ name: string }>('SELECT name FROM breakers ORDER BY name')
      ).rows.map((row) => row.name);
      return chains.map((chain) => {
        const id = String(chain.chainId);
        return {
          name: chain.name,
          chainId: id,
          rpcUrl: chain.rpcUrl,
          finalityDepth: chain.finalityDepth,
          token: cursors.get(id)?.token ?? chain.token ?? null,
          indexedBlock: cursors.get(id)?.block_number ?? null,
          openRequests: open.get(id) ?? 0,
          parity: parityView(parity.get(id)),
          breakers: breakers.filter((name) => stopsMinting(name, chain.chainId)),
        };
      });
    });
    if (values.json) {
      context.out(toJson(view));
      return exitCode.ok;
    }
    for (const chain of view) {
      const parity =
        chain.parity === null
          ? 'not checked yet'
          : `${chain.parity.ok ? 'ok' : 'MISMATCH'} at block ${chain.parity.blockNumber}`;
      context.out(
        `${chain.name} (chain ${chain.chainId}, ${chain.rpcUrl}): token ${chain.token ?? 'not deployed'}, indexed to ${chain.indexedBlock ?? '-'}, ${chain.openRequests} open requests, parity ${parity}${chain.breakers.length > 0 ? `, STOPPED by ${chain.breakers.join(', ')}` : ''}`,
      );
    }
    return exitCode.ok;
  },
};

export const chainParity: Command = {
  name: 'chain parity',
  summary: "each chain's newest supply parity check; exit 1 if one does not hold",
  usage: 'clearpeg chain parity [--json]',
  async run(args, context) {
    const { values } = options(args);
    const chains = loadChains();
    const parity = await withDatabase(context, latestParity);
    const view = chains.map((chain) => ({
      name: chain.name,
      chainId: String(chain.chainId),
      parity: parityView(parity.get(String(chain.chainId))),
    }));
    if (values.json) context.out(toJson(view));
    else
      for (const chain of view) {
        const p = chain.parity;
        context.out(
          p === null
            ? `${chain.name}: not checked yet`
            : `${chain.name} at block ${p.blockNumber}: total supply ${p.totalSupply} − issuer-held ${p.issuerHeld} ${p.ok ? '=' : '≠'} ledger ${p.ledgerSupply}${p.ok ? '' : '  MISMATCH'}`,
        );
      }
    return view.every((chain) => chain.parity?.ok !== false) ? exitCode.ok : exitCode.failed;
  },
};
