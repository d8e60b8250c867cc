/**
 * Production mode's refusal on the local server, which has no standby: refused, naming both
 * settings; a session with `synchronous_commit` off is refused for that too; the embedded
 * store is refused outright; and `clearpeg serve` in production mode exits before it opens or
 * migrates anything. The Patroni cluster, which passes, is in ../ha/postgres.ha.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config.ts';
import { ClearpegError } from '../../errors.ts';
import { openTestDatabase, postgresUnavailable, type TestDatabase } from '../testing.ts';
import { refuseUnsafeProduction, requireSynchronousReplication } from './production.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);

const bin = fileURLToPath(new URL('../../../bin/clearpeg.js', import.meta.url));

/** A `config-invalid` on DATABASE_URL whose message matches every pattern. */
const refusal =
  (...patterns: RegExp[]) =>
  (error: unknown) => {
    assert.ok(error instanceof ClearpegError, String(error));
    assert.equal(error.code, 'config-invalid');
    assert.equal(error.field, 'DATABASE_URL');
    assert.match(error.rule ?? '', /synchronous_commit.*synchronous_standby_names/);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  };

describe('production mode: the store', () => {
  it('reads CLEARPEG_MODE: production, development (the default), nothing else', () => {
    assert.equal(loadConfig({ CLEARPEG_MODE: 'production' }).mode, 'production');
    assert.equal(loadConfig({ CLEARPEG_MODE: 'development' }).mode, undefined);
    assert.equal(loadConfig({}).mode, undefined);
    assert.throws(
      () => loadConfig({ CLEARPEG_MODE: 'prod' }),
      (error: unknown) => error instanceof ClearpegError && error.field === 'CLEARPEG_MODE',
    );
  });

  it('refuses the embedded store in production mode, and checks nothing outside it', async () => {
    await assert.rejects(
      refuseUnsafeProduction({ mode: 'production', databaseUrl: undefined }),
      refusal(/embedded store/),
    );
    assert.equal(await refuseUnsafeProduction({ databaseUrl: undefined }), undefined);
  });

  describe('on the local server (no standby)', { skip }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase('postgres', { migrate: false });
    });
    after(() => t?.dispose());

    it('refuses it: synchronous_standby_names is empty', async () => {
      await assert.rejects(
        requireSynchronousReplication(t.db),
        refusal(/synchronous_standby_names is empty/, /synchronous_commit on/),
      );
      await assert.rejects(
        refuseUnsafeProduction({ mode: 'production', databaseUrl: t.url }),
        refusal(/synchronous_standby_names is empty/),
      );
    });

    it('refuses a session whose commits do not wait, naming synchronous_commit', async () => {
      await assert.rejects(
        t.db.transaction(async (tx) => {
          await tx.query('SET LOCAL synchronous_commit = local');
          await requireSynchronousReplication(tx);
        }),
        refusal(/synchronous_commit is local, not on or remote_apply/),
      );
    });

    it('clearpeg serve in production mode exits 1 before it opens the data directory', () => {
      const parent = mkdtempSync(join(tmpdir(), 'clearpeg-production-'));
      try {
        for (const databaseUrl of [t.url!, '']) {
          const dataDir = join(parent, 'data');
          const run = spawnSync(process.execPath, [bin, 'serve'], {
            env: {
              ...process.env,
              CLEARPEG_MODE: 'production',
              CLEARPEG_DATA_DIR: dataDir,
              CLEARPEG_PORT: '0',
              DATABASE_URL: databaseUrl,
            },
            encoding: 'utf8',
            timeout: 60_000,
          });
          assert.equal(run.status, 1, run.stderr);
          assert.match(run.stderr, /^clearpeg serve: DATABASE_URL: production mode/);
          assert.match(
            run.stderr,
            databaseUrl === '' ? /embedded store/ : /synchronous_standby_names/,
          );
          assert.equal(run.stdout, '');
          assert.equal(existsSync(dataDir), false, 'no data directory was made');
        }
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    });
  });
});
