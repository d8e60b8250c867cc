import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ledger } from '../ledger/ledger.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { parseAmount } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { openDatabase } from '../storage/open.ts';
import { appendAudit } from '../workflow/audit-store.ts';

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

  it('reports each chain and its parity from the database; exit 1 when parity does not hold', async () => {
    const db = await openDatabase({ dataDir, databaseUrl: undefined });
    try {
      await db.exec(`
        INSERT INTO chain_cursors (chain_id, token, block_number)
          VALUES (31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3', 42);
        INSERT INTO chain_parity (chain_id, block_number, total_supply, issuer_held, ledger_supply, ok, checked_at_us)
          VALUES (31337, 41, 750000000, 100000000, 650000000, true, 1),
                 (31338, 9, 7000000, 0, 0, false, 1);
        INSERT INTO breakers (name, reason, tripped_at_us) VALUES ('mint:31338', '{}', 1);`);
    } finally {
      await db.close();
    }
    const status = clearpeg('chain', 'status', '--json');
    assert.equal(status.code, 0, status.err);
    const [a, b] = JSON.parse(status.out);
    assert.deepEqual(
      [a.name, a.chainId, a.indexedBlock, a.parity.ledgerSupply, a.parity.ok, a.breakers],
      ['local-a', '31337', '42', '650.000000', true, []],
    );
    assert.deepEqual(
      [b.name, b.indexedBlock, b.parity.ok, b.breakers],
      ['local-b', null, false, ['mint:31338']],
    );
    assert.match(clearpeg('chain', 'status').out, /local-b .*STOPPED by mint:31338/);
    const parity = clearpeg('chain', 'parity');
    assert.equal(parity.code, 1);
    assert.match(
      parity.out,
      /local-a at block 41: total supply 750\.000000 − issuer-held 100\.000000 = ledger 650\.000000/,
    );
    assert.match(parity.out, /local-b at block 9: .* ≠ ledger 0\.000000 {2}MISMATCH/);
    assert.equal(clearpeg('chain', 'parity', '--bogus').code, 2);
  });

  it('an embedded store held by another process is refused with a named error, not a crash', () => {
    // This test process stands for a running server: it is alive and not the CLI.
    writeFileSync(join(dataDir, 'pgdata', 'clearpeg.lock'), String(process.pid));
    try {
      const run = clearpeg('ledger', 'head');
      assert.equal(run.code, 1, run.err);
      assert.match(
        run.err,
        new RegExp(`is in use by process ${process.pid} \\(a running "clearpeg serve"\\?\\)`),
      );
    } finally {
      rmSync(join(dataDir, 'pgdata', 'clearpeg.lock'));
    }
  });

  it('audit verify: ok on an intact log, exit 1 naming the entry after an edit', async () => {
    const db = await openDatabase({ dataDir, databaseUrl: undefined });
    try {
      for (let n = 1; n <= 3; n++)
        await db.transaction((tx) =>
          appendAudit(tx, {
            actor: 'alice',
            action: 'x.test',
            subject: `s-${n}`,
            outcome: 'ok',
            detail: {},
          }),
        );
    } finally {
      await db.close();
    }
    const ok = clearpeg('audit', 'verify', '--json');
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out).ok, true);
    const edit = await openDatabase({ dataDir, databaseUrl: undefined });
    try {
      await edit.query(`UPDATE audit_log SET actor = 'mallory' WHERE subject = 's-2'`);
    } finally {
      await edit.close();
    }
    const broken = clearpeg('audit', 'verify');
    assert.equal(broken.code, 1);
    assert.match(broken.out, /^BROKEN at entry \d+: hash-mismatch/);
  });
});
