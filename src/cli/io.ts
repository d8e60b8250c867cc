/**
 * What a CLI command gets: its arguments, the configuration, and where to write. Commands
 * return an exit code that scripts can rely on (see `exitCode`).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { toJson } from '../json.ts';
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

/** A command's option table. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's options; a wrong one is a `UsageError`.
 * @example const { values } = commandOptions(args, readOptions)
 */
export function commandOptions<const O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The options every read takes. */
export const readOptions = { json: { type: 'boolean' } } as const;

/**
 * String options by name, for a command's option table.
 * @example commandOptions(args, { ...readOptions, ...strings('id', 'out') })
 */
export function strings<const N extends readonly string[]>(
  ...names: N
): { [K in N[number]]: { type: 'string' } } {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as {
    [K in N[number]]: { type: 'string' };
  };
}

/**
 * The value of a required option, or a `UsageError` naming it.
 * @example const out = requiredOption(values.out, '--out', 'the file to write') // '--out: give the file to write'
 */
export function requiredOption(value: string | undefined, option: string, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${option}: give ${what}`);
  return value;
}

/**
 * Prints what a command made: `view` as JSON with `--json`, else the lines a person reads.
 * @example return printView(context, values.json, { apiKey }, [`API key: ${apiKey}`])
 */
export function printView(
  context: Pick<CommandContext, 'out'>,
  json: boolean | undefined,
  view: unknown,
  lines: readonly string[],
): number {
  if (json) context.out(toJson(view));
  else for (const line of lines) context.out(line);
  return exitCode.ok;
}

/**
 * Opens the configured database for the length of `body`. The storage adapters (PGlite,
 * node-postgres) are loaded here, so that a command that never opens the database never loads them.
 * @example await withDatabase(context, (db) => db.query('SELECT 1'))
 */
export async function withDatabase<T>(
  context: CommandContext,
  body: (db: SqlDatabase) => Promise<T>,
): Promise<T> {
  const { openDatabase } = await import('../storage/open.ts');
  const db = await openDatabase(context.config);
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}
