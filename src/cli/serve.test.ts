/**
 * `clearpeg serve` on a port that another process holds: one line, exit 1, and nothing opened
 * (no data directory made, no token deployed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { portRefusal } from './serve.ts';

const bin = fileURLToPath(new URL('../../bin/clearpeg.js', import.meta.url));

describe('clearpeg serve on a busy port', () => {
  const parent = mkdtempSync(join(tmpdir(), 'clearpeg-serve-'));
  let holder: Server;
  let port: number;
  before(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    port = (holder.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => holder.close(resolve));
    rmSync(parent, { recursive: true, force: true });
  });

  it('refuses in one line with exit 1 before it opens or deploys anything', () => {
    const dataDir = join(parent, 'data');
    const run = spawnSync(process.execPath, [bin, 'serve', '--demo'], {
      env: {
        ...process.env,
        CLEARPEG_DATA_DIR: dataDir,
        CLEARPEG_PORT: String(port),
        CLEARPEG_HOST: '127.0.0.1',
        DATABASE_URL: '',
      },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stderr,
      `error: port ${port} on 127.0.0.1 is in use (another clearpeg serve?): set CLEARPEG_PORT (0: any free port)\n`,
    );
    assert.equal(run.stdout, '');
    assert.equal(existsSync(dataDir), false, 'no data directory was made');
  });

  it('finds a free port free, and port 0 always', async () => {
    assert.equal(await portRefusal('127.0.0.1', 0), undefined);
    const free = createServer();
    await new Promise<void>((resolve) => free.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const freePort = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    assert.equal(await portRefusal('127.0.0.1', freePort), undefined);
    assert.match((await portRefusal('127.0.0.1', port)) ?? '', /is in use/);
  });
});
