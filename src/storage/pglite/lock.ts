/**
 * One process per data directory. PGlite's own postmaster.pid cannot do this: inside wasm
 * every instance has the same fake pid and `kill(pid, 0)` sees no other process, so two
 * PGlite instances happily open (and corrupt) the same directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ClearpegError } from '../../errors.ts';

/** The lock file, beside PostgreSQL's files (PostgreSQL ignores unknown files there). */
const LOCK_FILE = 'clearpeg.lock';

const held = new Set<string>();

/**
 * Takes `dir` for this process, creating it if needed; throws if a live process (or this one)
 * holds it. Returns the release function. The check is by pid, so it does not protect a
 * directory shared between machines or pid namespaces.
 */
export function lockDataDir(dir: string): () => void {
  const root = path.resolve(dir);
  if (held.has(root)) throw new Error(`${root} is already open in this process`);
  fs.mkdirSync(root, { recursive: true });
  const file = path.join(root, LOCK_FILE);
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = Number(fs.readFileSync(file, 'utf8'));
    if (owner !== process.pid && isAlive(owner)) {
      throw new ClearpegError(
        'data-dir-in-use',
        `${root} is in use by process ${owner} (a running "clearpeg serve"?): the embedded store serves one process; stop it, or read through its API, or use PostgreSQL (DATABASE_URL) to share the data`,
        { field: 'CLEARPEG_DATA_DIR', rule: 'one process per embedded data directory' },
      );
    }
    fs.writeFileSync(file, String(process.pid)); // stale: its owner is gone
  }
  held.add(root);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(root);
    fs.rmSync(file, { force: true });
  };
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
