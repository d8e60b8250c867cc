import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ledger } from '../ledger/ledger.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { parseAmount } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { openDatabase } from '../storage/open.ts';

const bin = fileURLToPath(new URL('../../bin/clearpeg.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function clearpeg(...args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, CLEARPEG_DATA_DIR: dataDir, DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('the clearpeg command', () => {
  it('verifies an empty embedded ledger and reports it as JSON', () => {
    const run = clearpeg('ledger', 'verify', '--json');
    assert.equal(run.code, 0, run.err);
    const report = JSON.parse(run.out);
    assert.equal(report.ok, true);
    assert.equal(report.records, '0');
  });

  it('uses exit code 2 for a wrong command line and 1 for a missing record', () => {
    assert.equal(clearpeg('ledger', 'nonsense').code, 2);
    const bad = clearpeg('ledger', 'transaction', 'not-a-uuid');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /ID: give the transaction id/);
    assert.equal(clearpeg('ledger', 'transaction', '01900000-0000-7000-8000-000000000001').code, 1);
  });

  it('names the sequence number of a flipped byte and of a deleted row', async () => {
    const db = await openDatabase({ dataDir, databaseUrl: undefined });
    try {
      const ledger = new Ledger(new SqlLedgerStore(db));
      const [a, b] = [uuidv7(), uuidv7()];
      await ledger.submit([
        { type: 'createAccount', id: a, code: 'cli:a', asset: 'USD', flags: 0 },
        { type: 'createAccount', id: b, code: 'cli:b', asset: 'USD', flags: 0 },
      ]);
      for (let i = 1; i <= 5; i++)
        await ledger.submit([
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: a, credit: b, amount: parseAmount(String(i)) }],
          },
        ]);
      // The 2 USD transfer is record 4; its amount, 2000000 micro-units, is 0x1e8480.
      await db.exec(`ALTER TABLE ledger_journal DISABLE TRIGGER USER;
        UPDATE ledger_journal SET amounts = '{2000001}' WHERE seq = 4`); // one byte of the encoding: 0x80 -> 0x81
    } finally {
      await db.close();
    }
    const flipped = clearpeg('ledger', 'verify');
    assert.equal(flipped.code, 1);
    assert.match(flipped.out, /^BROKEN at seq 4: hash-mismatch/);
    const db2 = await openDatabase({ dataDir, databaseUrl: undefined });
    await db2.exec(
      `UPDATE ledger_journal SET amounts = '{2000000}' WHERE seq = 4; DELETE FROM ledger_journal WHERE seq = 6`,
    );
    await db2.close();
    const deleted = clearpeg('ledger', 'verify', '--json');
    assert.equal(deleted.code, 1);
    const report = JSON.parse(deleted.out);
    assert.deepEqual([report.broken.seq, report.broken.reason], ['6', 'missing']);
  });
});
