-- The accrual job's progress per bill lot, in a narrow table of its own (docs/reserves.md).
--
-- The daily job advances every open lot's last accrued day. On the wide, write-once position
-- row that update cost about 90 µs per lot (PostgreSQL checks every CHECK constraint of a
-- row on any update, and the position's are regular expressions): 0.9 s a day for 10,000
-- lots. Here a lot's row carries only what its own constraint needs; the settlement and
-- maturity dates are the position's, held equal to it by the composite foreign key (which
-- is checked only when those columns change, never on the daily update).
ALTER TABLE reserve_positions
  ADD CONSTRAINT reserve_positions_bill_terms UNIQUE (id, settlement_date, maturity_date);

CREATE TABLE reserve_accruals (
  position_id text PRIMARY KEY,
  settlement_date date NOT NULL,
  maturity_date date NOT NULL,
  -- the last day whose accretion is posted: the settlement date until the first accrual
  accrued_through date NOT NULL CHECK (accrued_through BETWEEN settlement_date AND maturity_date),
  FOREIGN KEY (position_id, settlement_date, maturity_date)
    REFERENCES reserve_positions (id, settlement_date, maturity_date)
) WITH (fillfactor = 50); -- room on each page: the daily job updates every open lot in place

INSERT INTO reserve_accruals (position_id, settlement_date, maturity_date, accrued_through)
  SELECT id, settlement_date, maturity_date, accrued_through FROM reserve_positions WHERE kind = 'tbill';

-- Dropping the column drops the bill CHECK of 0007 that named it; the rest of it comes back.
ALTER TABLE reserve_positions DROP COLUMN accrued_through;
ALTER TABLE reserve_positions ADD CONSTRAINT reserve_positions_bill CHECK (kind <> 'tbill' OR (
  cusip IS NOT NULL AND face IS NOT NULL AND cost IS NOT NULL AND cost <= face
  AND issue_date IS NOT NULL AND maturity_date > issue_date
  AND settlement_date IS NOT NULL AND settlement_date >= issue_date
  AND settlement_date < maturity_date AND trade_date <= settlement_date));
-- The position rows are written once and closed once: no more room kept on their pages.
ALTER TABLE reserve_positions SET (fillfactor = 100);
