/**
 * A PGlite filesystem that makes PostgreSQL's own fsync/fdatasync calls reach the OS.
 * Why and how: see the comment at the top of ./pglite.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** OS-level syncs performed on PostgreSQL's behalf since the store opened. */
export interface SyncCounts {
  /** `fsync(2)` of a file or directory (checkpoints, pg_control, new WAL segments). */
  readonly fsync: number;
  /** `fdatasync(2)` of a file (the WAL at every commit). */
  readonly fdatasync: number;
}

/** The few Emscripten runtime members the hooks use (PGlite ships no types for them). */
interface EmscriptenStream {
  readonly nfd?: number;
}
interface EmscriptenRuntime {
  readonly FS: { getStream(fd: number): EmscriptenStream | null | undefined };
  readonly NODEFS: {
    readonly stream_ops: { fsync?: (stream: EmscriptenStream) => number };
    tryFSOperation<T>(operation: () => T): T;
  };
}
type WasmImports = Record<string, Record<string, unknown>>;
type InstantiateWasm = (imports: WasmImports, done: (...args: unknown[]) => void) => unknown;
type EmscriptenOptions = Parameters<NodeFS['init']>[1];

/** Emscripten's errno for a bad file descriptor (EBADF in its own numbering). */
const EBADF = 8;

/** NodeFS whose fsync/fdatasync are real; throws at start if PGlite changed so they cannot be. */
export class DurableNodeFS extends NodeFS {
  readonly #counts = { fsync: 0, fdatasync: 0 };
  #runtime: EmscriptenRuntime | undefined;
  #hooked = { fsync: false, fdatasync: false };

  /** Syncs performed so far. */
  get counts(): SyncCounts {
    return { ...this.#counts };
  }

  /** True once both hooks are in place (checked by the worker before it reports ready). */
  get engaged(): boolean {
    return this.#hooked.fsync && this.#hooked.fdatasync;
  }

  override async init(...args: Parameters<NodeFS['init']>) {
    const { emscriptenOpts } = await super.init(...args);
    const opts = emscriptenOpts as EmscriptenOptions & { instantiateWasm?: InstantiateWasm };
    const instantiate = opts.instantiateWasm;
    if (typeof instantiate !== 'function') {
      throw new Error('PGlite no longer passes instantiateWasm: cannot hook fdatasync');
    }
    opts.instantiateWasm = (imports, done) => {
      const env = imports.env;
      if (typeof env?.__syscall_fdatasync !== 'function') {
        throw new Error('PGlite wasm no longer imports __syscall_fdatasync: cannot hook it');
      }
      env.__syscall_fdatasync = (fd: number) => this.#fdatasync(fd);
      this.#hooked.fdatasync = true;
      return instantiate(imports, done);
    };
    const preRun = (runtime: unknown) => {
      this.#runtime = runtime as EmscriptenRuntime;
      const nodefs = this.#runtime.NODEFS;
      nodefs.stream_ops.fsync = (stream) => {
        nodefs.tryFSOperation(() => fs.fsyncSync(hostFd(stream)));
        this.#counts.fsync++;
        return 0;
      };
      this.#hooked.fsync = true;
    };
    opts.preRun = [...(opts.preRun ?? []), preRun];
    return { emscriptenOpts: opts };
  }

  /** Emscripten's `__syscall_fdatasync` (a no-op in PGlite), made real: returns 0 or -errno. */
  #fdatasync(fd: number): number {
    const runtime = this.#runtime!;
    const stream = runtime.FS.getStream(fd);
    if (!stream) return -EBADF;
    if (stream.nfd === undefined) return 0; // in-memory file (MEMFS): nothing on disk
    try {
      runtime.NODEFS.tryFSOperation(() => fs.fdatasyncSync(hostFd(stream)));
    } catch (error) {
      const errno = (error as { errno?: unknown }).errno;
      if (typeof errno === 'number') return -errno;
      throw error;
    }
    this.#counts.fdatasync++;
    return 0;
  }
}

function hostFd(stream: EmscriptenStream): number {
  if (stream.nfd === undefined) throw new Error('not a NODEFS stream');
  return stream.nfd;
}

/**
 * fsyncs every file and directory under `dir`, then `dir`'s parent. Used once after a fresh
 * initdb, whose files PGlite copies in from a tarball without any fsync.
 */
export function syncTree(dir: string): void {
  const visit = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const child = path.join(at, entry.name);
      if (entry.isDirectory()) visit(child);
      else if (entry.isFile()) syncPath(child);
    }
    syncPath(at);
  };
  visit(dir);
  syncPath(path.dirname(path.resolve(dir)));
}

function syncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
