/** Running a command in a test's own process, collecting what it prints. */
import { tmpdir } from 'node:os';
import type { Config } from '../config.ts';
import type { Command } from './io.ts';

/** A configuration for commands that need no data directory or server of their own. */
export const testConfig: Config = {
  dataDir: tmpdir(),
  databaseUrl: undefined,
  host: '127.0.0.1',
  port: 1,
};

/** What a command printed and returned. */
export interface CommandRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/**
 * Runs `command` with `args`, its output lines joined by newlines.
 * @example const { code, out } = await runCommand(logCheckInclusion, ['proof.json'])
 */
export async function runCommand(
  command: Command,
  args: readonly string[],
  config: Config = testConfig,
): Promise<CommandRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command.run(args, {
    config,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
