/**
 * The `clearpeg` command: `clearpeg <noun> <verb> [options]`. One command per file; this file
 * only finds the command and maps errors to exit codes.
 */
import { loadConfig } from '../config.ts';
import { ClearpegError } from '../errors.ts';
import { auditVerify } from './audit.ts';
import { chainDeploy, chainKey, chainParity, chainStatus } from './chain.ts';
import {
  breakersList,
  breakersTrip,
  changesApprove,
  changesList,
  changesPropose,
  changesStatus,
} from './changes.ts';
import { verifyAllCommand } from './checks.ts';
import {
  customersCreate,
  customersKyc,
  customersList,
  customersShow,
  customersWallet,
  depositsAdd,
  depositsImport,
  depositsList,
} from './customers.ts';
import { type Command, type CommandContext, exitCode, UsageError } from './io.ts';
import { approverKeygen, operatorKeygen, setupOperator } from './keys.ts';
import { ledgerAccounts, ledgerHead, ledgerTransaction, ledgerVerify } from './ledger.ts';
import {
  mintApprove,
  mintList,
  mintRequest,
  mintStatusCommand,
  redeemAddress,
  redeemList,
  redeemStatus,
} from './mints.ts';
import {
  payoutsApprove,
  payoutsCancel,
  payoutsCreate,
  payoutsList,
  payoutsSent,
  payoutsStatus,
} from './payouts.ts';
import {
  reservesAccrue,
  reservesBuy,
  reservesPositions,
  reservesPrice,
  reservesReport,
  reservesSell,
  reservesValue,
} from './reserves.ts';
import { serveCommand } from './serve.ts';
import { version } from './version.ts';

/** Every command, in the order `clearpeg help` lists them. */
export const commands: readonly Command[] = [
  serveCommand,
  ledgerVerify,
  ledgerHead,
  ledgerAccounts,
  ledgerTransaction,
  chainStatus,
  chainParity,
  chainDeploy,
  chainKey,
  auditVerify,
  verifyAllCommand,
  // Through a running server's API (CLEARPEG_URL, CLEARPEG_API_KEY).
  customersCreate,
  customersShow,
  customersList,
  customersKyc,
  customersWallet,
  depositsAdd,
  depositsImport,
  depositsList,
  mintRequest,
  mintApprove,
  mintStatusCommand,
  mintList,
  redeemAddress,
  redeemStatus,
  redeemList,
  payoutsCreate,
  payoutsApprove,
  payoutsSent,
  payoutsCancel,
  payoutsStatus,
  payoutsList,
  changesPropose,
  changesApprove,
  changesStatus,
  changesList,
  breakersTrip,
  breakersList,
  reservesBuy,
  reservesSell,
  reservesPositions,
  reservesAccrue,
  reservesValue,
  reservesReport,
  // On this machine, or on the database (set-up ceremony).
  approverKeygen,
  operatorKeygen,
  setupOperator,
  reservesPrice,
];

function help(out: (line: string) => void): void {
  out(`clearpeg ${version}: a fully reserved stablecoin issuer that nobody has to trust\n`);
  out('usage: clearpeg <command> [options]\n');
  for (const command of commands) out(`  ${command.name.padEnd(22)} ${command.summary}`);
  out(
    '\nEnvironment: CLEARPEG_DATA_DIR (default ./.clearpeg), DATABASE_URL (PostgreSQL instead of the embedded store), CLEARPEG_HOST, CLEARPEG_PORT, CLEARPEG_CHAINS (JSON: the chains; default two in-process chains), CLEARPEG_KEY_PASSPHRASE (the passphrase of the key files), CLEARPEG_URL (the server the API commands talk to; default http://127.0.0.1:$CLEARPEG_PORT), CLEARPEG_API_KEY (your API key, ck_…).',
  );
}

/**
 * Runs the CLI with `argv` (without node and the script); returns the exit code.
 * @example await main(['ledger', 'verify', '--json'])
 */
export async function main(
  argv: readonly string[],
  io: Pick<CommandContext, 'out' | 'err'> = {
    out: (l) => console.log(l),
    err: (l) => console.error(l),
  },
): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    help(io.out);
    return argv.length === 0 ? exitCode.usage : exitCode.ok;
  }
  if (argv[0] === '--version') {
    io.out(version);
    return exitCode.ok;
  }
  const command = commands.find((c) => {
    const words = c.name.split(' ');
    return words.every((word, i) => argv[i] === word);
  });
  if (command === undefined) {
    io.err(`clearpeg: unknown command "${argv.slice(0, 2).join(' ')}" (try: clearpeg help)`);
    return exitCode.usage;
  }
  const args = argv.slice(command.name.split(' ').length);
  try {
    return await command.run(args, { config: loadConfig(), ...io });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`clearpeg ${command.name}: ${error.message}\nusage: ${command.usage}`);
      return exitCode.usage;
    }
    if (error instanceof ClearpegError) {
      io.err(`clearpeg ${command.name}: ${error.message}`);
      return exitCode.failed;
    }
    io.err(`clearpeg ${command.name}: ${(error as Error).stack ?? error}`);
    return exitCode.error;
  }
}
