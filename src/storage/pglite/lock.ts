/**
 * One process per data directory. PGlite's own postmaster.pid cannot do this: inside wasm
 * every instance has the same fake pid and `kill(pid, 0)` sees no other process, so two
 * PGlite instances happily open (and corrupt) the same directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { lockHolder, takeLock } from '../../lock-file.ts';

/** The lock file, beside PostgreSQL's files (PostgreSQL ignores unknown files there). */
const LOCK_FILE = 'clearpeg.lock';

/**
 * Takes `dir` for this process, creating it if needed; throws `data-dir-in-use` if a live
 * process (this one included) holds it. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const root = path.resolve(dir);
  fs.mkdirSync(root, { recursive: true });
  return takeLock(path.join(root, LOCK_FILE), {
    code: 'data-dir-in-use',
    message: (holder) =>
      `${root} is in use by ${holder} (a running "clearpeg serve"?): the embedded store serves one process; stop it, or read through its API, or use PostgreSQL (DATABASE_URL) to share the data`,
    field: 'CLEARPEG_DATA_DIR',
    rule: 'one process per embedded data directory',
  });
}

/**
 * The pid of the live process that holds the data directory `dir` (a running server), if any.
 * @example dataDirHolder('.clearpeg/pgdata') // undefined when no server runs there
 */
export function dataDirHolder(dir: string): number | undefined {
  return lockHolder(path.join(path.resolve(dir), LOCK_FILE));
}
