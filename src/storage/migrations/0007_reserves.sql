-- Reserves (docs/reserves.md): what stands behind the reserve accounts of the ledger.
--
-- The ledger holds the amounts (`reserves:cash:<bank>`, `reserves:tbill:<cusip>`,
-- `reserves:repo:<counterparty>`, `reserves:mmf:<fund>`, `investments:<name>`); a position
-- row says what an amount is: custodian, jurisdiction, the instrument's terms and the
-- evidence it came from. A bill or a repo is a lot (one purchase, one loan): several lots may
-- share one ledger account, and Σ of the lots' carrying values is that account's balance.
CREATE TABLE reserve_positions (
  id text PRIMARY KEY CHECK (id ~ '^(cash|tbill|repo|mmf|investment):[A-Za-z0-9._:-]{1,120}$'),
  kind text NOT NULL CHECK (kind IN ('cash', 'tbill', 'repo', 'mmf', 'investment')),
  account_code text NOT NULL,
  custodian text NOT NULL CHECK (length(custodian) BETWEEN 1 AND 200),
  jurisdiction text NOT NULL CHECK (jurisdiction ~ '^[A-Z]{2}$'),
  status text NOT NULL CHECK (status IN ('open', 'matured', 'sold', 'closed')),
  -- cash: a deposit at a bank, or a central-bank balance
  bank text,
  central_bank boolean,
  insured_institution boolean,
  -- tbill (a lot): its terms, what it cost, and the last day whose accretion is posted
  cusip text CHECK (cusip ~ '^[0-9A-Z]{8}[0-9]$'),
  face numeric(39,0) CHECK (face > 0),
  cost numeric(39,0) CHECK (cost > 0),
  issue_date date,
  maturity_date date,
  trade_date date,
  settlement_date date,
  accrued_through date,
  -- repo (a lot): overnight cash against bills
  counterparty text,
  principal numeric(39,0) CHECK (principal > 0),
  rate_pct numeric(12,6),
  start_date date,
  collateral jsonb,
  -- mmf
  fund text,
  government boolean,
  -- investment
  asset text CHECK (asset IN ('bitcoin', 'gold', 'secured-loan', 'equity', 'other')),
  name text,
  -- evidence: the custodian statement's SHA-256, and its Ed25519 signature when one came
  evidence_sha256 bytea CHECK (length(evidence_sha256) = 32),
  evidence_signature bytea CHECK (length(evidence_signature) = 64),
  evidence_verified boolean NOT NULL DEFAULT false,
  opened_at_us bigint NOT NULL,
  closed_at_us bigint,
  -- how it closed: proceeds, gain, the rate a sale was made at, the transfer
  close_detail jsonb,
  CHECK (kind <> 'tbill' OR (cusip IS NOT NULL AND face IS NOT NULL AND cost IS NOT NULL
    AND cost <= face AND issue_date IS NOT NULL AND maturity_date > issue_date
    AND settlement_date IS NOT NULL AND settlement_date >= issue_date
    AND settlement_date < maturity_date AND trade_date <= settlement_date
    AND accrued_through BETWEEN settlement_date AND maturity_date)),
  CHECK (kind <> 'repo' OR (counterparty IS NOT NULL AND principal IS NOT NULL
    AND rate_pct IS NOT NULL AND start_date IS NOT NULL AND maturity_date > start_date)),
  CHECK (kind <> 'cash' OR (bank IS NOT NULL AND central_bank IS NOT NULL AND insured_institution IS NOT NULL)),
  CHECK (kind <> 'mmf' OR (fund IS NOT NULL AND government IS NOT NULL)),
  CHECK (kind <> 'investment' OR (asset IS NOT NULL AND name IS NOT NULL))
) WITH (fillfactor = 50); -- room on each page: the daily accrual updates every open bill in place
CREATE INDEX reserve_positions_open ON reserve_positions (kind, maturity_date) WHERE status = 'open';
CREATE UNIQUE INDEX reserve_positions_account ON reserve_positions (account_code)
  WHERE kind IN ('cash', 'mmf', 'investment');

-- Custodians' Ed25519 public keys: a statement signed by a configured custodian is verified
-- when it is recorded, and its position marked as verified.
CREATE TABLE custodian_keys (
  custodian text PRIMARY KEY CHECK (length(custodian) BETWEEN 1 AND 200),
  public_key bytea NOT NULL CHECK (length(public_key) = 32),
  added_at_us bigint NOT NULL
);

-- The custodian statements positions came from (the file's hash, never the file itself).
CREATE TABLE custodian_statements (
  sha256 bytea PRIMARY KEY CHECK (length(sha256) = 32),
  custodian text NOT NULL,
  signature bytea CHECK (length(signature) = 64),
  verified boolean NOT NULL,
  received_at_us bigint NOT NULL
);

-- Redemptions paid per day, the worst of which the liquidity report measures against.
CREATE INDEX redemptions_by_time ON redemptions (created_at_us);

-- Each reserve account judged by the configured ruleset (../reserves/eligibility.ts), as of a
-- day: written by every treasury operation and by the daily job. The mint path's gate sums the
-- balances of the accounts judged eligible, in its own transaction; an account never judged
-- counts only if it is cash (a bank never described is a US bank deposit).
CREATE TABLE reserve_eligibility (
  account_code text PRIMARY KEY,
  eligible boolean NOT NULL,
  ruleset text NOT NULL,
  as_of date NOT NULL,
  reason text NOT NULL
);
