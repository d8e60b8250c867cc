/**
 * Test support for commands: running one in the test's own process, collecting what it prints;
 * and `clearpeg serve --demo` as a user starts it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { freePort } from '../net.ts';
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

/** `clearpeg serve --demo` running in a directory of its own. */
export interface DemoServer {
  readonly port: number;
  /** The environment it runs in (the CLI run against it wants the same). */
  readonly env: NodeJS.ProcessEnv;
  readonly server: ChildProcess;
  /** Everything it printed so far. */
  log(): string;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
}

/** This checkout's `clearpeg` command. */
export const clearpegBin = fileURLToPath(new URL('../../bin/clearpeg.js', import.meta.url));

/**
 * Starts `clearpeg serve --demo` in `dir` (its data in `dir/.clearpeg`, as after `npm start`) on
 * a free port, with none of the caller's Clearpeg settings but `env`'s, and waits for its first
 * attestation (`attested: …`), at most 5 minutes.
 * @example const demo = await startDemoServer(dir); try { … } finally { await demo.stop() }
 */
export async function startDemoServer(
  dir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<DemoServer> {
  const serverEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '' };
  for (const name of ['CLEARPEG_DATA_DIR', 'CLEARPEG_URL', 'CLEARPEG_API_KEY', 'CLEARPEG_CHAINS'])
    delete serverEnv[name];
  const port = await freePort();
  Object.assign(serverEnv, env, { CLEARPEG_PORT: String(port) });
  const server = spawn(process.execPath, [clearpegBin, 'serve', '--demo'], {
    cwd: dir,
    env: serverEnv,
  });
  let out = '';
  server.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  server.stderr?.on('data', (chunk) => {
    out += chunk;
  });
  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 300_000;
  while (!/^ {2}attested: /m.test(out)) {
    if (server.exitCode !== null) throw new Error(`serve --demo exited:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the demo was not seeded and attested within 5 minutes:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { port, env: serverEnv, server, log: () => out, stop };
}

/**
 * The remote commands' server and key (`CLEARPEG_URL`, `CLEARPEG_API_KEY`) for a test: `use`
 * sets them, `restore` puts back what was there before.
 * @example const remote = remoteEnv(); remote.use(server.url, key); …; remote.restore()
 */
export function remoteEnv(): { use(url: string, apiKey: string): void; restore(): void } {
  const saved = {
    CLEARPEG_URL: process.env.CLEARPEG_URL,
    CLEARPEG_API_KEY: process.env.CLEARPEG_API_KEY,
  };
  return {
    use(url, apiKey) {
      process.env.CLEARPEG_URL = url;
      process.env.CLEARPEG_API_KEY = apiKey;
    },
    restore() {
      for (const [name, value] of Object.entries(saved))
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    },
  };
}
