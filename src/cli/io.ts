/**
 * What a CLI command gets: its arguments, the configuration, and where to write. Commands
 * return an exit code that scripts can rely on (see `exitCode`).
 */
import type { Config } from '../config.ts';

/** Exit codes: stable, documented in docs/operations.md. */
export const exitCode = {
  ok: 0,
  /** The check ran and found a problem (a broken journal, a thing not found). */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
  /** Anything else went wrong (a database that does not answer, a bug). */
  error: 3,
} as const;

/** One command of the CLI. */
export interface Command {
  /** `noun verb`, e.g. `ledger verify`. */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], context: CommandContext): Promise<number>;
}

/** The command's world. */
export interface CommandContext {
  readonly config: Config;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** A wrong command line: the message says what and how to fix it. */
export class UsageError extends Error {
  override name = 'UsageError';
}
