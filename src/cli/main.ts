/**
 * The `clearpeg` command: `clearpeg <noun> <verb> [options]`. One command per file; this file
 * only finds the command, loads its module (and nothing else: a command pays only for what it
 * uses) and maps errors to exit codes.
 */
import { loadConfig } from '../config.ts';
import { ClearpegError } from '../errors.ts';
import { type Command, type CommandContext, exitCode, UsageError } from './io.ts';
import { version } from './version.ts';

/** One line of the command table: what `clearpeg help` shows, and where the command lives. */
export interface CommandEntry {
  /** `noun verb`, as typed. */
  readonly name: string;
  readonly summary: string;
  /** Imports the command's module: only the command that runs is loaded. */
  readonly load: () => Promise<Command>;
}

/** Every command, one entry each, in the order `clearpeg help` lists them. */
export const commands: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'serve the API and run the workers',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'status',
    summary: "the issuer's processes on this database and who holds each worker's lease",
    load: async () => (await import('./checks.ts')).clusterStatusCommand,
  },
  {
    name: 'ledger verify',
    summary: 'replay the journal: check every hash link and every balance',
    load: async () => (await import('./ledger.ts')).ledgerVerify,
  },
  {
    name: 'ledger head',
    summary: 'the journal head (sequence number and hash)',
    load: async () => (await import('./ledger.ts')).ledgerHead,
  },
  {
    name: 'ledger accounts',
    summary: 'list accounts with their balances',
    load: async () => (await import('./ledger.ts')).ledgerAccounts,
  },
  {
    name: 'ledger transaction',
    summary: 'one journal record by its id',
    load: async () => (await import('./ledger.ts')).ledgerTransaction,
  },
  {
    name: 'chain status',
    summary: 'each configured chain: token, indexed block, open requests, parity, breakers',
    load: async () => (await import('./chain.ts')).chainStatus,
  },
  {
    name: 'chain parity',
    summary: "each chain's newest supply parity check; exit 1 if one does not hold",
    load: async () => (await import('./chain.ts')).chainParity,
  },
  {
    name: 'chain deploy',
    summary: 'deploy and set up the token on a chain (resumable; waits until final)',
    load: async () => (await import('./chain.ts')).chainDeploy,
  },
  {
    name: 'chain key',
    summary: "create, import or show the issuer's key file for a chain",
    load: async () => (await import('./chain.ts')).chainKey,
  },
  {
    name: 'audit verify',
    summary: "recompute the audit log's hash chain; exit 1 at the first broken entry",
    load: async () => (await import('./audit.ts')).auditVerify,
  },
  {
    name: 'verify-all',
    summary: 'every check: ledger, audit log, parity, and the business tables against the ledger',
    load: async () => (await import('./checks.ts')).verifyAllCommand,
  },
  // Through a running server's API (CLEARPEG_URL, CLEARPEG_API_KEY).
  {
    name: 'customers create',
    summary: 'onboard a customer (KYC pending)',
    load: async () => (await import('./customers.ts')).customersCreate,
  },
  {
    name: 'customers show',
    summary: 'a customer: KYC, posted fiat, wallets',
    load: async () => (await import('./customers.ts')).customersShow,
  },
  {
    name: 'customers leaf',
    summary: "a customer's leaf of the newest liabilities round, to check with verify --leaf",
    load: async () => (await import('./customers.ts')).customersLeaf,
  },
  {
    name: 'customers list',
    summary: 'customers by id, a page at a time',
    load: async () => (await import('./customers.ts')).customersList,
  },
  {
    name: 'customers kyc',
    summary: "set a customer's KYC state (compliance)",
    load: async () => (await import('./customers.ts')).customersKyc,
  },
  {
    name: 'customers wallet',
    summary: 'register a wallet the customer may mint to (screened first)',
    load: async () => (await import('./customers.ts')).customersWallet,
  },
  {
    name: 'deposits add',
    summary: "record a bank statement line: credits the customer's fiat once per reference",
    load: async () => (await import('./customers.ts')).depositsAdd,
  },
  {
    name: 'deposits import',
    summary: "import a bank's camt.053 statement (XML): each booked credit becomes a deposit",
    load: async () => (await import('./customers.ts')).depositsImport,
  },
  {
    name: 'deposits list',
    summary: 'deposits by reference, optionally of one customer',
    load: async () => (await import('./customers.ts')).depositsList,
  },
  {
    name: 'mint request',
    summary: "ask to mint to a customer's registered wallet (reserves their fiat)",
    load: async () => (await import('./mints.ts')).mintRequest,
  },
  {
    name: 'mint approve',
    summary: 'sign a mint request with your approver key file and send the approval',
    load: async () => (await import('./mints.ts')).mintApprove,
  },
  {
    name: 'mint status',
    summary: 'a mint request: its intent, approvals and transaction',
    load: async () => (await import('./mints.ts')).mintStatusCommand,
  },
  {
    name: 'mint list',
    summary: 'mint requests in the order made, optionally by status',
    load: async () => (await import('./mints.ts')).mintList,
  },
  {
    name: 'redeem address',
    summary: "a customer's redemption address on a chain and the fee (a quote)",
    load: async () => (await import('./mints.ts')).redeemAddress,
  },
  {
    name: 'redeem status',
    summary: 'a redemption: the transfer, the fee, what is owed, the burn',
    load: async () => (await import('./mints.ts')).redeemStatus,
  },
  {
    name: 'redeem list',
    summary: 'redemptions, newest first, optionally of one customer',
    load: async () => (await import('./mints.ts')).redeemList,
  },
  {
    name: 'payouts create',
    summary: "instruct a payout (the maker's step): reserves the customer's fiat",
    load: async () => (await import('./payouts.ts')).payoutsCreate,
  },
  {
    name: 'payouts approve',
    summary: 'sign a payout with your approver key file and send the approval',
    load: async () => (await import('./payouts.ts')).payoutsApprove,
  },
  {
    name: 'payouts sent',
    summary: "record that the bank sent an approved payout (posts the customer's fiat)",
    load: async () => (await import('./payouts.ts')).payoutsSent,
  },
  {
    name: 'payouts cancel',
    summary: 'cancel a payout not yet sent (voids its reservation)',
    load: async () => (await import('./payouts.ts')).payoutsCancel,
  },
  {
    name: 'payouts status',
    summary: 'a payout: its intent, approvals and bank reference',
    load: async () => (await import('./payouts.ts')).payoutsStatus,
  },
  {
    name: 'payouts list',
    summary: 'payouts, newest first, optionally by status or customer',
    load: async () => (await import('./payouts.ts')).payoutsList,
  },
  {
    name: 'investments propose',
    summary: "propose moving the issuer's excess into an outside investment (treasurer)",
    load: async () => (await import('./investments.ts')).investmentsPropose,
  },
  {
    name: 'investments approve',
    summary: 'sign an investment request with your approver key file and send the approval',
    load: async () => (await import('./investments.ts')).investmentsApprove,
  },
  {
    name: 'investments execute',
    summary: 'execute an approved investment: the excess checked again, the cash moved',
    load: async () => (await import('./investments.ts')).investmentsExecute,
  },
  {
    name: 'investments cancel',
    summary: 'cancel an investment request not yet executed',
    load: async () => (await import('./investments.ts')).investmentsCancel,
  },
  {
    name: 'investments status',
    summary: 'an investment request: its intent, approvals and execution',
    load: async () => (await import('./investments.ts')).investmentsStatus,
  },
  {
    name: 'investments list',
    summary: 'investment requests, newest first, optionally by status',
    load: async () => (await import('./investments.ts')).investmentsList,
  },
  {
    name: 'expenses propose',
    summary: "propose paying a distribution partner's share or an operating cost out of excess",
    load: async () => (await import('./expenses.ts')).expensesPropose,
  },
  {
    name: 'expenses approve',
    summary: 'sign an expense request with your approver key file',
    load: async () => (await import('./expenses.ts')).expenseSteps.approve,
  },
  {
    name: 'expenses execute',
    summary: 'pay an approved expense: the excess checked again and the cash paid at once',
    load: async () => (await import('./expenses.ts')).expenseSteps.execute,
  },
  {
    name: 'expenses cancel',
    summary: 'cancel an expense request not yet paid',
    load: async () => (await import('./expenses.ts')).expenseSteps.cancel,
  },
  {
    name: 'expenses status',
    summary: 'an expense request, its intent and approvals',
    load: async () => (await import('./expenses.ts')).expenseSteps.status,
  },
  {
    name: 'expenses list',
    summary: 'expense requests, newest first',
    load: async () => (await import('./expenses.ts')).expenseSteps.list,
  },
  {
    name: 'changes propose',
    summary: 'propose a change (admin): policy, operators, a breaker cleared, unpause',
    load: async () => (await import('./changes.ts')).changesPropose,
  },
  {
    name: 'changes approve',
    summary: 'sign a change with your approver key file and send the approval',
    load: async () => (await import('./changes.ts')).changesApprove,
  },
  {
    name: 'changes status',
    summary: 'a change: its body, intent and approvals',
    load: async () => (await import('./changes.ts')).changesStatus,
  },
  {
    name: 'changes list',
    summary: 'the changes, newest first, optionally of one status',
    load: async () => (await import('./changes.ts')).changesList,
  },
  {
    name: 'breakers trip',
    summary: 'trip a breaker now (admin or compliance): mint stops all minting, mint:ID one chain',
    load: async () => (await import('./changes.ts')).breakersTrip,
  },
  {
    name: 'breakers list',
    summary: 'the breakers tripped now',
    load: async () => (await import('./changes.ts')).breakersList,
  },
  {
    name: 'reserves buy',
    summary: "buy a bill lot out of a bank's cash, priced from its discount rate (or its cost)",
    load: async () => (await import('./reserves.ts')).reservesBuy,
  },
  {
    name: 'reserves sell',
    summary: 'sell a bill lot at a market discount rate; the gain or loss goes to income:trading',
    load: async () => (await import('./reserves.ts')).reservesSell,
  },
  {
    name: 'reserves positions',
    summary: 'reserve positions with what the ledger carries: open ones, or all',
    load: async () => (await import('./reserves.ts')).reservesPositions,
  },
  {
    name: 'reserves accrue',
    summary: 'the daily job: post the bills’ accretion through a day, mature the lots due',
    load: async () => (await import('./reserves.ts')).reservesAccrue,
  },
  {
    name: 'reserves value',
    summary: 'the book valued on a day: every holding, totals by kind, tokens outstanding',
    load: async () => (await import('./reserves.ts')).reservesValue,
  },
  {
    name: 'reserves report',
    summary: 'the reserve composition report of a month or a day; --html prints the page',
    load: async () => (await import('./reserves.ts')).reservesReport,
  },
  {
    name: 'income',
    summary: "the issuer's income statement of a period from the ledger, reconciled to it",
    load: async () => (await import('./income.ts')).income,
  },
  // On this machine, or on the database (set-up ceremony).
  {
    name: 'approver keygen',
    summary: 'write a new approver key file (Ed25519) and print the public key to register',
    load: async () => (await import('./keys.ts')).approverKeygen,
  },
  {
    name: 'operator keygen',
    summary: 'print a new API key and its SHA-256, for an operator.add change',
    load: async () => (await import('./keys.ts')).operatorKeygen,
  },
  {
    name: 'setup operator',
    summary: 'set-up ceremony: register an operator in the database (server stopped)',
    load: async () => (await import('./keys.ts')).setupOperator,
  },
  {
    name: 'reserves price',
    summary: "a bill's price per 100 and investment rate from its discount rate (here, no server)",
    load: async () => (await import('./reserves.ts')).reservesPrice,
  },
  {
    name: 'log check-inclusion',
    summary: 'check an RFC 9162 inclusion proof read from a JSON file (here, no server)',
    load: async () => (await import('./log.ts')).logCheckInclusion,
  },
  {
    name: 'log check-consistency',
    summary: 'check an RFC 9162 consistency proof read from a JSON file (here, no server)',
    load: async () => (await import('./log.ts')).logCheckConsistency,
  },
  {
    name: 'liabilities prove',
    summary: 'proof of liabilities from a balances CSV: root, sum tiles, one proof per account',
    load: async () => (await import('./liabilities.ts')).liabilitiesProve,
  },
  {
    name: 'liabilities verify',
    summary: "check an account's proof of liabilities file against a published root and total",
    load: async () => (await import('./liabilities.ts')).liabilitiesVerify,
  },
  {
    name: 'simulate',
    summary: 'the economics and stress simulator: presets on real rates, Monte Carlo, CSV/SVG',
    load: async () => (await import('./simulate.ts')).simulateCommand,
  },
  {
    name: 'verify',
    summary: "a holder's check of the published log: signatures, witnesses, proofs, reserves",
    load: async () => (await import('./verify.ts')).verifyCommand,
  },
  {
    name: 'witness keygen',
    summary: 'write a new witness key file (cosignature/v1) and print its verifier key',
    load: async () => (await import('./witness.ts')).witnessKeygen,
  },
  {
    name: 'witness serve',
    summary: "run a C2SP tlog-witness: cosign the logs' checkpoints that extend the last one",
    load: async () => (await import('./witness.ts')).witnessServe,
  },
];

const environment =
  'Environment: CLEARPEG_DATA_DIR (default ./.clearpeg), DATABASE_URL (PostgreSQL instead of the embedded store), CLEARPEG_HOST, CLEARPEG_PORT, CLEARPEG_CHAINS (JSON: the chains; default two in-process chains), CLEARPEG_KEY_PASSPHRASE (the passphrase of the key files), CLEARPEG_URL (the server the API commands talk to; default http://127.0.0.1:$CLEARPEG_PORT), CLEARPEG_API_KEY (your API key, ck_…).';

function help(out: (line: string) => void): void {
  out(`clearpeg ${version}: a fully reserved stablecoin issuer that nobody has to trust\n`);
  out('usage: clearpeg <command> [options]   (clearpeg <command> --help: its usage)\n');
  for (const command of commands) out(`  ${command.name.padEnd(22)} ${command.summary}`);
  out(`\n${environment}`);
}

/** The commands `words` name: the one whose name they start with, else every command of the noun. */
function named(words: readonly string[]): { exact?: CommandEntry; noun: CommandEntry[] } {
  const exact = commands.find((c) => c.name.split(' ').every((word, i) => words[i] === word));
  if (exact !== undefined) return { exact, noun: [exact] };
  return { noun: commands.filter((c) => c.name.split(' ')[0] === words[0]) };
}

/** Prints the usage of `entries` (a command, or every command of a noun). */
async function usage(entries: readonly CommandEntry[], out: (line: string) => void): Promise<void> {
  for (const [i, entry] of entries.entries()) {
    const command = await entry.load();
    out(`${i > 0 ? '\n' : ''}clearpeg ${entry.name}: ${entry.summary}\nusage: ${command.usage}`);
  }
}

const helpFlags = ['--help', '-h'];

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
  const asked = argv[0] === 'help' || helpFlags.includes(argv[0] ?? '');
  const words = asked ? argv.slice(1) : argv;
  if (words.length === 0) {
    help(io.out);
    return asked ? exitCode.ok : exitCode.usage;
  }
  if (argv[0] === '--version') {
    io.out(version);
    return exitCode.ok;
  }
  const { exact, noun } = named(words);
  const args = argv.slice(exact === undefined ? 1 : exact.name.split(' ').length);
  if (noun.length === 0) {
    io.err(`clearpeg: unknown command "${words[0]}" (try: clearpeg help)`);
    return exitCode.usage;
  }
  if (asked || args.some((arg) => helpFlags.includes(arg))) {
    await usage(noun, io.out);
    return exitCode.ok;
  }
  if (exact === undefined) {
    io.err(
      `clearpeg: "${words.slice(0, 2).join(' ')}" is not a command; the ${words[0]} commands:`,
    );
    await usage(noun, io.err);
    return exitCode.usage;
  }
  return run(exact, args, io);
}

/** Runs one command; its errors become exit codes. */
async function run(
  entry: CommandEntry,
  args: readonly string[],
  io: Pick<CommandContext, 'out' | 'err'>,
): Promise<number> {
  try {
    const command = await entry.load();
    try {
      return await command.run(args, { config: loadConfig(), ...io });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      io.err(`clearpeg ${entry.name}: ${error.message}\nusage: ${command.usage}`);
      return exitCode.usage;
    }
  } catch (error) {
    if (error instanceof ClearpegError) {
      io.err(`clearpeg ${entry.name}: ${error.message}`);
      return exitCode.failed;
    }
    io.err(`clearpeg ${entry.name}: ${(error as Error).stack ?? error}`);
    return exitCode.error;
  }
}
