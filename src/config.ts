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
  /**
   * `production` (CLEARPEG_MODE=production): `serve` refuses a store that could lose an
   * acknowledged write to one failure (storage/postgres/production.ts); undefined: development.
   */
  readonly mode?: 'production';
}

/**
 * Reads the configuration: `CLEARPEG_DATA_DIR`, `DATABASE_URL`, `CLEARPEG_HOST`, `CLEARPEG_PORT`,
 * `CLEARPEG_MODE` (`production`, or unset or `development`).
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
  const mode = env.CLEARPEG_MODE || 'development';
  if (mode !== 'production' && mode !== 'development') {
    throw new ClearpegError(
      'config-invalid',
      `CLEARPEG_MODE: must be production or development (got ${env.CLEARPEG_MODE})`,
      { field: 'CLEARPEG_MODE', rule: 'production or development' },
    );
  }
  return {
    ...(mode === 'production' ? { mode } : {}),
    dataDir: resolve(env.CLEARPEG_DATA_DIR ?? '.clearpeg'),
    databaseUrl: env.DATABASE_URL || undefined,
    host: env.CLEARPEG_HOST ?? '127.0.0.1',
    port,
  };
}
