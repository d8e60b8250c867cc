/**
 * `clearpeg ledger verify|head|accounts|transaction`: the ledger from the command line.
 * Every read takes `--json`; `verify` runs locally or through a running server (checks.ts).
 */
import { accountView, headView, recordView } from '../api/views.ts';
import { isUuid } from '../ledger/uuid.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import {
  type Command,
  type CommandContext,
  commandOptions,
  exitCode,
  UsageError,
  withDatabase,
} from './io.ts';

function withStore<T>(
  context: CommandContext,
  body: (store: SqlLedgerStore) => Promise<T>,
): Promise<T> {
  return withDatabase(context, (db) => body(new SqlLedgerStore(db)));
}

const options = (args: readonly string[]) =>
  commandOptions(args, {
    json: { type: 'boolean' },
    after: { type: 'string' },
    limit: { type: 'string' },
  });

/** `ledger verify`: locally or through a running server (checks.ts). */
export { ledgerVerify } from './checks.ts';

export const ledgerHead: Command = {
  name: 'ledger head',
  usage: 'clearpeg ledger head [--json]',
  async run(args, context) {
    const { values } = options(args);
    const head = headView(await withStore(context, (store) => store.head()));
    context.out(
      values.json
        ? JSON.stringify(head)
        : `seq ${head.seq} hash ${head.hash}${head.timestamp ? ` at ${head.timestamp}` : ''}`,
    );
    return exitCode.ok;
  },
};

export const ledgerAccounts: Command = {
  name: 'ledger accounts',
  usage: 'clearpeg ledger accounts [--after CODE] [--limit N] [--json]',
  async run(args, context) {
    const { values } = options(args);
    const limit = Number(values.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('--limit: must be a whole number from 1 to 10000');
    const accounts = await withStore(context, (store) =>
      store.accounts({
        ...(values.after === undefined ? {} : { afterCode: String(values.after) }),
        limit,
      }),
    );
    if (values.json) {
      context.out(JSON.stringify(accounts.map(accountView)));
      return exitCode.ok;
    }
    for (const a of accounts.map(accountView)) {
      context.out(
        `${a.code.padEnd(40)} ${a.asset.padEnd(5)} debits ${a.debitsPosted.padStart(22)} (+${a.debitsPending} pending)  credits ${a.creditsPosted.padStart(22)} (+${a.creditsPending} pending)`,
      );
    }
    if (accounts.length === 0) context.out('no accounts');
    return exitCode.ok;
  },
};

export const ledgerTransaction: Command = {
  name: 'ledger transaction',
  usage: 'clearpeg ledger transaction ID [--json]',
  async run(args, context) {
    const { values, positionals } = options(args);
    const id = positionals[0];
    if (!isUuid(id))
      throw new UsageError('ID: give the transaction id, a lowercase canonical UUID');
    const record = await withStore(context, (store) => store.recordById(id));
    if (record === undefined) {
      context.err(`transaction ${id} was not found`);
      return exitCode.failed;
    }
    context.out(
      values.json
        ? JSON.stringify(recordView(record))
        : JSON.stringify(recordView(record), null, 2),
    );
    return exitCode.ok;
  },
};
