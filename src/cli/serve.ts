/**
 * `clearpeg serve`: the API on 127.0.0.1 and the workers (expiry of pending transfers), on
 * the embedded store by default or PostgreSQL with DATABASE_URL.
 */
import { serve } from '@hono/node-server';
import { createApp } from '../api/app.ts';
import { Ledger } from '../ledger/ledger.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { describeDatabase, openDatabase } from '../storage/open.ts';
import { type Command, exitCode } from './io.ts';
import { version } from './version.ts';

/** How often pending transfers are checked for expiry. */
const expiryIntervalMs = 1000;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the API and run the workers',
  usage: 'clearpeg serve   (CLEARPEG_PORT, CLEARPEG_HOST, CLEARPEG_DATA_DIR, DATABASE_URL)',
  async run(_args, { config, out, err }) {
    const db = await openDatabase(config);
    const store = new SqlLedgerStore(db);
    const ledger = new Ledger(store);
    const database = describeDatabase(config);
    const app = createApp({ store, database, version });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
        out(`clearpeg ${version} serving on http://${config.host}:${info.port}/ (${database})`);
        out(`  health:   http://${config.host}:${info.port}/health`);
        out(`  accounts: http://${config.host}:${info.port}/v1/ledger/accounts`);
        resolve(s);
      });
    });
    let sweeping = false;
    const expiry = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      ledger
        .expireDue()
        .catch((error: unknown) => err(`expiry sweep failed: ${(error as Error).message}`))
        .finally(() => {
          sweeping = false;
        });
    }, expiryIntervalMs);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    clearInterval(expiry);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
    out('stopped');
    return exitCode.ok;
  },
};
