/**
 * What a CLI command gets: its arguments, the configuration, and where to write. Commands
 * return an exit code that scripts can rely on (see `exitCode`).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { openDatabase } from '../storage/open.ts';
import type { SqlDatabase } from '../storage/sql.ts';

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

/**
 * Parses a command's options; a wrong one is a `UsageError`.
 * @example const { values } = commandOptions(args, { json: { type: 'boolean' } })
 */
export function commandOptions<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Opens the configured database for the length of `body`. */
export async function withDatabase<T>(
  context: CommandContext,
  body: (db: SqlDatabase) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(context.config);
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}
