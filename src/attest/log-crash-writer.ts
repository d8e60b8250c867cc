/**
 * Child process of log.crash.test.ts: appends entries to the transparency log of a durable
 * embedded store until it is killed. Usage: node --import tsx log-crash-writer.ts <dataDir>.
 * Prints `send <n>` before each append and `ack <size>:<root hex>` only once the append's
 * transaction (its entry and the checkpoint it signed) committed: what a witness or a reader
 * of the published files could have seen.
 */
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { migrate } from '../storage/migrate.ts';
import { openPglite } from '../storage/pglite/pglite.ts';
import { logIdentity } from './keys.ts';
import { TransparencyLog } from './log.ts';

const dataDir = process.argv[2]!;
const db = await openPglite({ dataDir });
await migrate(db);
const log = new TransparencyLog(db, logIdentity(dataDir, {}));
for (let n = 0; ; n++) {
  writeSync(1, `send ${n}\n`);
  // Entries of varied length, so that a torn write would show.
  const { checkpoint } = await log.append(async ({ index }) =>
    new TextEncoder().encode(`entry ${index} ${randomBytes(1 + (n % 200)).toString('hex')}`),
  );
  writeSync(1, `ack ${checkpoint.size}:${Buffer.from(checkpoint.root).toString('hex')}\n`);
}
