/**
 * Position rows as read back, and migration 0008, which moved each bill lot's last accrued
 * day out of the wide position row into `reserve_accruals`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadMigrations, migrate } from '../storage/migrate.ts';
import { SqlError } from '../storage/sql.ts';
import { openTestDatabase, type TestDatabase } from '../storage/testing.ts';
import { selectPositions } from './positions.ts';

const lot = (id: string, status: string, accruedThrough: string) => [
  id,
  status,
  '912797GN1',
  '2023-11-16',
  '2024-02-15',
  accruedThrough,
];

describe('migration 0008: bill lots keep their last accrued day', () => {
  let t: TestDatabase;
  before(async () => {
    t = await openTestDatabase('pglite', { migrate: false });
    await migrate(
      t.db,
      loadMigrations().filter((m) => m.version <= 7),
    );
    for (const row of [
      lot('tbill:912797GN1:A', 'open', '2023-12-01'),
      lot('tbill:912797GN1:B', 'sold', '2024-01-10'),
    ])
      await t.db.query(
        `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, bank, cusip,
           face, cost, issue_date, maturity_date, trade_date, settlement_date, accrued_through, opened_at_us)
         VALUES ($1, 'tbill', 'reserves:tbill:912797GN1', 'Bank of New York Mellon', 'US', $2, 'bank-a', $3,
           10000000000000, 9866406900000, $4, $5, $4, $4, $6, 1)`,
        row,
      );
    await t.db.query(
      `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, fund, government, opened_at_us)
       VALUES ('mmf:gov-fund', 'mmf', 'reserves:mmf:gov-fund', 'Fund Co', 'US', 'open', 'gov-fund', true, 1)`,
    );
    assert.deepEqual(
      (await migrate(t.db)).filter((name) => name.startsWith('0008')),
      ['0008_reserve_accruals.sql'],
    );
  });
  after(() => t?.dispose());

  it('moves the day of every lot, open or closed, and reads it back beside the position', async () => {
    const read = await selectPositions(t.db);
    assert.deepEqual(
      read.map((p) => [p.position.id, p.status, p.accruedThrough]),
      [
        ['mmf:gov-fund', 'open', null],
        ['tbill:912797GN1:A', 'open', '2023-12-01'],
        ['tbill:912797GN1:B', 'sold', '2024-01-10'],
      ],
    );
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.columns
       WHERE table_name = 'reserve_positions' AND column_name = 'accrued_through'`,
    );
    assert.equal(rows[0]!.n, 0, 'the column is gone from the position row');
  });

  it('refuses a day past maturity, and dates that differ from the position', async () => {
    const refused = async (sql: string, code: string) => {
      await assert.rejects(
        t.db.query(sql),
        (error) => error instanceof SqlError && error.code === code,
      );
    };
    await refused(
      `UPDATE reserve_accruals SET accrued_through = '2024-02-16' WHERE position_id = 'tbill:912797GN1:A'`,
      '23514', // check_violation
    );
    await refused(
      `UPDATE reserve_accruals SET maturity_date = '2024-03-15', accrued_through = '2024-03-01'
       WHERE position_id = 'tbill:912797GN1:A'`,
      '23503', // foreign_key_violation
    );
    await refused(
      `INSERT INTO reserve_accruals VALUES ('mmf:gov-fund', '2023-11-16', '2024-02-15', '2023-11-16')`,
      '23503',
    );
    const [a] = await selectPositions(t.db, `p.id = 'tbill:912797GN1:A'`);
    assert.equal(a!.accruedThrough, '2023-12-01', 'nothing changed');
  });

  it('still refuses a bill whose terms do not hold', async () => {
    await assert.rejects(
      t.db.query(
        `INSERT INTO reserve_positions (id, kind, account_code, custodian, jurisdiction, status, bank, cusip,
           face, cost, issue_date, maturity_date, trade_date, settlement_date, opened_at_us)
         VALUES ('tbill:912797GN1:C', 'tbill', 'reserves:tbill:912797GN1', 'BNY', 'US', 'open', 'bank-a',
           '912797GN1', 100, 101, '2023-11-16', '2024-02-15', '2023-11-16', '2023-11-16', 1)`,
      ),
      (error) => error instanceof SqlError && error.constraint === 'reserve_positions_bill',
    );
  });
});
