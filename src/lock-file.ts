/**
 * A lock file that keeps a second process off something only one process may write: the
 * embedded store's data directory, an in-process chain's journal.
 *
 * The file holds the owner's pid and, on Linux, the owner's start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot), so that a lock left behind by a process that
 * is gone is taken over even when a live process now has its pid: a container that restarts
 * runs its server as pid 1 again, and pids are reused. A lock is held if its pid is alive
 * and, where both start times are known, started when the lock's owner did; this process's
 * own pid counts only for locks this process took (a lock with this pid that this process did
 * not take was left by an earlier process with the same pid).
 *
 * Pids are per host (per pid namespace): this does not protect something shared between
 * machines or containers.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ClearpegError, type ErrorCode } from './errors.ts';
import { readTextIfExists } from './files.ts';

/** The error a held lock is refused with: `message` is given the holder ("process 123"). */
export interface LockRefusal {
  readonly code: ErrorCode;
  readonly message: (holder: string) => string;
  readonly field: string;
  readonly rule: string;
}

/** Lock files this process holds, by absolute path. */
const held = new Set<string>();

/**
 * Takes `file` for this process, or throws `refusal` if a live process (this one included)
 * holds it. Returns the release function (idempotent).
 * @example const release = takeLock('/data/chain.jsonl.lock', refusal); … release();
 */
export function takeLock(file: string, refusal: LockRefusal): () => void {
  const absolute = path.resolve(file);
  if (held.has(absolute)) refuse(refusal, process.pid);
  const mine = `${process.pid} ${startTime(process.pid) ?? '-'}\n`;
  for (;;) {
    try {
      writeFileSync(absolute, mine, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = ownerOf(absolute);
    if (owner !== undefined && holding(owner)) refuse(refusal, owner.pid);
    rmSync(absolute, { force: true }); // stale: its owner is gone
  }
  held.add(absolute);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(absolute);
    rmSync(absolute, { force: true });
  };
}

function refuse(refusal: LockRefusal, pid: number): never {
  throw new ClearpegError(refusal.code, refusal.message(`process ${pid}`), {
    field: refusal.field,
    rule: refusal.rule,
  });
}

interface Owner {
  readonly pid: number;
  readonly startTime: string | undefined;
}

/** The owner a lock file names; undefined if it names none (torn or foreign content). */
function ownerOf(file: string): Owner | undefined {
  const [pidText, start] = (readTextIfExists(file) ?? '').trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: start === undefined || start === '-' ? undefined : start };
}

/**
 * The pid of the live process that holds `file`, or undefined if none does (no file, a torn
 * one, or its owner gone): another process asking who holds a lock, without taking it.
 * @example lockHolder('/data/pgdata/clearpeg.lock') // 4242 while a server runs there
 */
export function lockHolder(file: string): number | undefined {
  const owner = ownerOf(path.resolve(file));
  return owner !== undefined && holding(owner) ? owner.pid : undefined;
}

/**
 * Whether process `pid` of this host runs (EPERM: it does, as another user).
 * @example pidAlive(process.pid) === true
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock's owner still runs (this process only for the locks it took). */
function holding(owner: Owner): boolean {
  if (owner.pid === process.pid) return false; // not in `held`: an earlier process's
  if (!pidAlive(owner.pid)) return false;
  const now = startTime(owner.pid);
  return owner.startTime === undefined || now === undefined || now === owner.startTime;
}

/** A process's start time from /proc (Linux), or undefined where there is none. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is 3,
    // starttime 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
