/**
 * `clearpeg chain status|parity|deploy|key`: the configured chains. `status` and `parity` read
 * what Clearpeg knows from its database; `deploy` and `key` act on a chain and on the key files
 * in the data directory. Every read takes `--json`.
 */
import { type Hex, isAddress } from 'viem';
import { type ChainConfig, loadChains } from '../chain/config.ts';
import { createIssuerKey, issuerKeyFile, readIssuerAccount } from '../chain/keys.ts';
import { deployToken, openIssuerChain, resolveToken } from '../chain/runtime.ts';
import { ClearpegError } from '../errors.ts';
import { parseAmount } from '../money/money.ts';
import {
  type Command,
  commandOptions,
  printView,
  readOptions,
  strings,
  UsageError,
  withDatabase,
} from './io.ts';

/** `chain status` and `chain parity`: locally or through a running server (checks.ts). */
export { chainParity, chainStatus } from './checks.ts';

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
