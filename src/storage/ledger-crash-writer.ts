/**
 * Child process of ledger.crash.test.ts: streams transfers through the ledger on a durable
 * embedded store until it is killed. Usage: node --import tsx ledger-crash-writer.ts <dataDir>.
 * Prints `send <id>` before a command is submitted and `ack <id>` only after the ledger
 * returned its committed outcome. Several submissions are in flight at once, so the kill
 * lands amid group commits and pipelined batches.
 */
import { writeSync } from 'node:fs';
import { Ledger } from '../ledger/ledger.ts';
import type { Command, Uuid } from '../ledger/types.ts';
import { accountFlag } from '../ledger/types.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import type { Micro } from '../money/money.ts';
import { SqlLedgerStore } from './ledger-store.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite/pglite.ts';

const db = await openPglite({ dataDir: process.argv[2]! });
await migrate(db);
const store = new SqlLedgerStore(db);
const ledger = new Ledger(store);
const codes = ['crash:source', ...Array.from({ length: 20 }, (_, i) => `crash:sink-${i}`)];
const ids: Uuid[] = [];
for (const code of codes) {
  const flags = code === 'crash:source' ? 0 : accountFlag.debitsMustNotExceedCredits;
  ids.push((await ledger.ensureAccount({ code, asset: 'USD', flags })).id);
}
writeSync(1, 'ready\n');
let n = 0;
const stream = async (): Promise<never> => {
  for (;;) {
    const batch: Command[] = Array.from({ length: 1 + (n++ % 50) }, (_, i) => ({
      type: 'transfer',
      id: uuidv7(),
      asset: 'USD',
      postings: [
        {
          debit: ids[0]!,
          credit: ids[1 + ((n + i) % 20)]!,
          amount: BigInt(1 + ((n * 7 + i) % 1000)) as Micro,
        },
      ],
    }));
    writeSync(1, batch.map((c) => `send ${c.id}\n`).join(''));
    const outcomes = await ledger.submit(batch);
    writeSync(
      1,
      outcomes
        .filter((o) => o.status === 'committed')
        .map((o) => `ack ${o.id}\n`)
        .join(''),
    );
  }
};
await Promise.all([stream(), stream(), stream(), stream()]);
