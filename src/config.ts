/**
 * Runtime configuration, from the environment, with the embedded defaults: a PGlite store in
 * `./.clearpeg/` and a server on 127.0.0.1:7373.
 */
import { resolve } from 'node:path';
import { ClearpegError } from './errors.ts';

/** Where data lives and where the server listens. */
export interface Config {
  /** The data directory (the embedded database, keys). */
  readonly dataDir: string;
  /** A PostgreSQL URL; when set, the server uses PostgreSQL instead of the embedded store. */
  readonly databaseUrl: string | undefined;
  readonly host: string;
  readonly port: number;
}

/**
 * Reads the configuration: `CLEARPEG_DATA_DIR`, `DATABASE_URL`, `CLEARPEG_HOST`, `CLEARPEG_PORT`.
 * @example loadConfig({}).port === 7373
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.CLEARPEG_PORT ?? 7373);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ClearpegError(
      'config-invalid',
      `CLEARPEG_PORT: must be a port number from 0 to 65535 (got ${env.CLEARPEG_PORT})`,
      { field: 'CLEARPEG_PORT', rule: 'port number' },
    );
  }
  return {
    dataDir: resolve(env.CLEARPEG_DATA_DIR ?? '.clearpeg'),
    databaseUrl: env.DATABASE_URL || undefined,
    host: env.CLEARPEG_HOST ?? '127.0.0.1',
    port,
  };
}
