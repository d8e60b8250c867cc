/**
 * `clearpeg chain status|parity|deploy|key`: the configured chains. `status` and `parity` read
 * what Clearpeg knows from its database; `deploy` and `key` act on a chain and on the key files
 * in the data directory. Every read takes `--json`.
 */
import { type Hex, isAddress } from 'viem';
import { type ChainConfig, loadChains } from '../chain/config.ts';
import { createIssuerKey, issuerKeyFile, readIssuerAccount } from '../chain/keys.ts';
import { stopsMinting, trippedBreakers } from '../chain/parity.ts';
import { deployToken, openIssuerChain, resolveToken } from '../chain/runtime.ts';
import { ClearpegError } from '../errors.ts';
import { toJson } from '../json.ts';
import { formatAmount, parseAmount } from '../money/money.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import {
  type Command,
  commandOptions,
  exitCode,
  printView,
  readOptions,
  strings,
  UsageError,
  withDatabase,
} from './io.ts';

const options = (args: readonly string[]) => commandOptions(args, readOptions);

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

/** The rows of `sql`, by their `chain_id` (as text). */
async function byChain<R extends { chain_id: string }>(
  db: SqlDatabase,
  sql: string,
): Promise<Map<string, R>> {
  const { rows } = await db.query<R>(sql);
  return new Map(rows.map((row) => [row.chain_id, row]));
}

/** The newest parity check of each chain. */
function latestParity(db: SqlDatabase): Promise<Map<string, ParityRow>> {
  return byChain<ParityRow>(
    db,
    `SELECT DISTINCT ON (p.chain_id) ${parityColumns} FROM chain_parity p ORDER BY p.chain_id, p.block_number DESC`,
  );
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
  usage: 'clearpeg chain status [--json]',
  async run(args, context) {
    const { values } = options(args);
    const chains = loadChains();
    const view = await withDatabase(context, async (db) => {
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
          rpcUrl: chain.rpcUrl,
          finalityDepth: chain.finalityDepth,
          token: tokens.get(id)?.address ?? chain.token ?? null,
          deployBlock: tokens.get(id)?.deploy_block ?? null,
          indexedBlock: cursors.get(id)?.block_number ?? null,
          openRequests: open.get(id)?.n ?? 0,
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

/** The configured chain named by `--chain`. */
function chainOption(name: string | undefined): ChainConfig {
  const chains = loadChains();
  const names = chains.map((c) => c.name).join(', ');
  if (name === undefined) throw new UsageError(`--chain: give one of ${names}`);
  const chain = chains.find((c) => c.name === name);
  if (chain === undefined)
    throw new UsageError(`--chain: no chain "${name}" is configured (configured: ${names})`);
  return chain;
}

/** The default admin-transfer delay of a deployment: two days. */
const adminDelaySecondsDefault = 172_800;

export const chainDeploy: Command = {
  name: 'chain deploy',
  usage:
    'clearpeg chain deploy --chain NAME --minter-allowance AMOUNT [--token-name "Clearpeg USD"] [--symbol CPUSD] [--admin-delay SECONDS] [--admin-to ADDRESS] [--json]',
  async run(args, context) {
    const { values } = commandOptions(args, {
      ...readOptions,
      ...strings('chain', 'minter-allowance', 'admin-to'),
      'token-name': { type: 'string', default: 'Clearpeg USD' },
      symbol: { type: 'string', default: 'CPUSD' },
      'admin-delay': { type: 'string', default: String(adminDelaySecondsDefault) },
    });
    const config = chainOption(values.chain);
    if (values['minter-allowance'] === undefined)
      throw new UsageError(
        '--minter-allowance: give the first minter allowance in tokens, e.g. 1000000 (there is no unlimited)',
      );
    const minterAllowance = parseAmount(values['minter-allowance'], '--minter-allowance');
    if (!/^[0-9]{1,10}$/.test(values['admin-delay']))
      throw new UsageError('--admin-delay: give the delay in whole seconds');
    const adminTo = values['admin-to'];
    if (adminTo !== undefined && !isAddress(adminTo, { strict: false }))
      throw new UsageError('--admin-to: give a 20-byte hex address');
    const record = await withDatabase(context, async (db) => {
      const chain = await openIssuerChain(config, { db, dataDir: context.config.dataDir });
      try {
        const existing = await resolveToken(db, config);
        if (existing !== undefined && existing.deployRequestId === null)
          throw new ClearpegError(
            'chain-token-configured',
            `chain ${config.name} uses the configured token ${existing.address}; nothing to deploy`,
          );
        if (!values.json) context.out(`issuer ${chain.account.address} on ${config.name}`);
        return await deployToken(db, chain, {
          name: values['token-name'],
          symbol: values.symbol,
          adminDelaySeconds: Number(values['admin-delay']),
          minterAllowance,
          ...(adminTo === undefined ? {} : { adminTo: adminTo as Hex }),
          progress: (step, state) => {
            if (!values.json)
              context.out(
                `  ${step.padEnd(24)} ${state.status}${state.txHash === null ? '' : ` ${state.txHash}`}`,
              );
          },
        });
      } finally {
        await chain.close();
      }
    });
    const view = {
      chain: config.name,
      chainId: String(config.chainId),
      token: record.address,
      deployBlock: String(record.deployBlock),
    };
    return printView(context, values.json, view, [
      `token ${view.token} on ${view.chain}, deployed at block ${view.deployBlock}`,
    ]);
  },
};

/**
 * The private key to import, from the variable `--private-key-env` names: never from the
 * command line, where arguments are visible to every user.
 */
function privateKeyFromEnv(variable: string | undefined): Hex {
  if (variable === undefined)
    throw new UsageError('--private-key-env: name the variable that holds the key');
  const value = process.env[variable];
  if (value === undefined || value === '')
    throw new UsageError(`--private-key-env: ${variable} is not set`);
  return value as Hex;
}

export const chainKey: Command = {
  name: 'chain key',
  usage:
    'clearpeg chain key create|import|show --chain NAME [--private-key-env VARIABLE] [--json]   (CLEARPEG_KEY_PASSPHRASE)',
  async run(args, context) {
    const { values, positionals } = commandOptions(args, {
      ...readOptions,
      ...strings('chain', 'private-key-env'),
    });
    const action = positionals[0];
    if (action !== 'create' && action !== 'import' && action !== 'show')
      throw new UsageError('give create, import or show');
    const config = chainOption(values.chain);
    const dataDir = context.config.dataDir;
    const { address } =
      action === 'show'
        ? await readIssuerAccount(dataDir, config)
        : await createIssuerKey(
            dataDir,
            config,
            action === 'import' ? { privateKey: privateKeyFromEnv(values['private-key-env']) } : {},
          );
    const file = issuerKeyFile(dataDir, config);
    return printView(context, values.json, { chain: config.name, address, file }, [
      action === 'show'
        ? `${config.name}: issuer ${address} (${file})`
        : `${config.name}: issuer ${address}, key in ${file}; fund this address with gas before "clearpeg chain deploy"`,
    ]);
  },
};
