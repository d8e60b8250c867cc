-- The double-entry ledger (docs/architecture.md, "Ledger"). Amounts are numeric(39,0):
-- integers of micro-units up to 2^128 - 1. The journal is append-only and hash-chained;
-- ledger_accounts and ledger_pending are the current state it implies, kept by the writer
-- in the same transaction as the records, and re-derived by `clearpeg ledger verify`.

-- fillfactor leaves room on each page so that balance updates stay HOT (no index writes).
CREATE TABLE ledger_accounts (
  id uuid PRIMARY KEY,
  code text NOT NULL UNIQUE,
  asset text NOT NULL,
  flags integer NOT NULL CHECK (flags BETWEEN 0 AND 7 AND flags & 3 <> 3),
  debits_pending numeric(39,0) NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted numeric(39,0) NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending numeric(39,0) NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted numeric(39,0) NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  created_seq bigint NOT NULL,
  -- The flags, enforced a second time by the database itself.
  CONSTRAINT debits_must_not_exceed_credits
    CHECK (flags & 1 = 0 OR debits_pending + debits_posted <= credits_posted),
  CONSTRAINT credits_must_not_exceed_debits
    CHECK (flags & 2 = 0 OR credits_pending + credits_posted <= debits_posted)
) WITH (fillfactor = 50);

-- One row per journal record; the columns are the record's fields (docs/formats.md). A field
-- the record's kind does not use is NULL here (the canonical encoding writes it empty: '', 0,
-- the nil UUID, no metadata), which keeps the common row, a transfer, small.
CREATE TABLE ledger_journal (
  seq bigint PRIMARY KEY CHECK (seq >= 1),
  id uuid NOT NULL UNIQUE,
  kind smallint NOT NULL CHECK (kind BETWEEN 1 AND 7),
  timestamp_us bigint NOT NULL,
  asset text NOT NULL,
  code text,
  flags integer,
  account_id uuid,
  pending_id uuid,
  timeout_seconds integer,
  debit_ids uuid[] NOT NULL,
  credit_ids uuid[] NOT NULL,
  amounts numeric(39,0)[] NOT NULL,
  metadata jsonb,
  -- The command's hash, for posts, voids and expiries only: the other kinds are recorded
  -- exactly as submitted and their command hash is derived from the record.
  input_hash bytea CHECK ((input_hash IS NOT NULL) = (kind IN (5, 6, 7))),
  hash bytea NOT NULL
);

-- The end of the chain: one row, locked by every writer first, which orders all writers.
CREATE TABLE ledger_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash bytea NOT NULL,
  timestamp_us bigint NOT NULL
);
INSERT INTO ledger_head (seq, hash, timestamp_us)
  VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000', 0);

-- Pending transfers; the postings are those of the journal record at `seq`.
CREATE TABLE ledger_pending (
  id uuid PRIMARY KEY,
  seq bigint NOT NULL UNIQUE,
  expires_at_us bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'posted', 'voided', 'expired')),
  resolved_seq bigint
);
CREATE INDEX ledger_pending_due ON ledger_pending (expires_at_us) WHERE status = 'pending';

-- Commands the ledger's state refused: their ids stay failed.
CREATE TABLE ledger_failures (
  id uuid PRIMARY KEY,
  input_hash bytea NOT NULL,
  error jsonb NOT NULL,
  failed_at_us bigint NOT NULL
);

-- The journal is append-only: an UPDATE, DELETE or TRUNCATE is refused. (Whoever owns the
-- database can drop this trigger; the hash chain and the transparency log catch that.)
CREATE FUNCTION ledger_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_journal is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER ledger_journal_append_only BEFORE UPDATE OR DELETE ON ledger_journal
  FOR EACH ROW EXECUTE FUNCTION ledger_journal_append_only();
CREATE TRIGGER ledger_journal_no_truncate BEFORE TRUNCATE ON ledger_journal
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_journal_append_only();
