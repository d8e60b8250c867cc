import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { defineSqlSuite } from '../sql.suite.ts';
import { openPglite } from './pglite.ts';

const scratch = mkdtempSync(join(tmpdir(), 'clearpeg-pglite-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

defineSqlSuite('pglite (memory)', () => openPglite({ dataDir: 'memory' }));
defineSqlSuite('pglite (durable directory)', () => openPglite({ dataDir: join(scratch, 'suite') }));

describe('openPglite', () => {
  it('keeps a second opener off a directory until the first closes', async () => {
    const dataDir = join(scratch, 'locked');
    const db = await openPglite({ dataDir, durable: false });
    await assert.rejects(openPglite({ dataDir }), /already open in this process/);
    await db.close();
    const again = await openPglite({ dataDir, durable: false });
    assert.deepEqual((await again.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
    await again.close();
  });

  it("starts its TypeScript worker when tsx was loaded with tsx's register() API", async () => {
    const module = new URL('./pglite.ts', import.meta.url).href;
    const script = `import { register } from 'tsx/esm/api';
      register();
      const { openPglite } = await import(${JSON.stringify(module)});
      const db = await openPglite({ dataDir: 'memory' });
      console.log(JSON.stringify((await db.query('SELECT 2::int8 AS two')).rows));
      await db.close();`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: new URL('../../..', import.meta.url) },
    );
    assert.equal(stdout.trim(), '[{"two":"2"}]');
  });
});
