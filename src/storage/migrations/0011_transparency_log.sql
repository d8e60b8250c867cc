-- The transparency log of attestations (docs/transparency.md). Each attestation's bytes are
-- one leaf; entries are appended in order by whoever holds the head row's lock, and never
-- changed or removed (the trigger below, like the journal's).
CREATE TABLE log_entries (
  idx bigint PRIMARY KEY CHECK (idx >= 0),
  data bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 65535),
  leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
  appended_at_us bigint NOT NULL
);

CREATE FUNCTION log_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'log_entries is append-only (% refused)', TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
  FOR EACH ROW EXECUTE FUNCTION log_entries_append_only();
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
  FOR EACH STATEMENT EXECUTE FUNCTION log_entries_append_only();

-- Every checkpoint the log signed, in the transaction that appended its last entry: a
-- checkpoint is signed only over committed entries, and the newest row is the head every
-- append starts from (its lock orders appenders in every process). `cosigned` is the note
-- with the witnesses' cosignatures once they answered.
CREATE TABLE log_checkpoints (
  size bigint PRIMARY KEY CHECK (size >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  note text NOT NULL,
  cosigned text,
  signed_at_us bigint NOT NULL
);

-- One row, locked by every append: the log's lock, held from reading its size to committing
-- the signed checkpoint.
CREATE TABLE log_lock (id boolean PRIMARY KEY DEFAULT true CHECK (id));
INSERT INTO log_lock DEFAULT VALUES;

-- The customer-fiat sum tree of each attestation round (proof of liabilities): its root and
-- total, and each customer's leaf (index and balance; the salt is derived from the issuer's
-- secret, never stored). Old rounds' leaves are pruned; the round row stays.
CREATE TABLE liability_rounds (
  round bigint PRIMARY KEY CHECK (round >= 0),
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  total numeric(39,0) NOT NULL CHECK (total >= 0),
  -- SHA-256 of the sorted (customer, balance) pairs: a round is reused while they are unchanged
  digest bytea NOT NULL CHECK (length(digest) = 32),
  created_at_us bigint NOT NULL
);
CREATE TABLE liability_leaves (
  round bigint NOT NULL REFERENCES liability_rounds (round) ON DELETE CASCADE,
  idx bigint NOT NULL CHECK (idx >= 0),
  customer_id text NOT NULL,
  value numeric(39,0) NOT NULL CHECK (value >= 0),
  PRIMARY KEY (round, idx)
);
CREATE UNIQUE INDEX liability_leaves_customer ON liability_leaves (customer_id, round);

-- A custodian statement's bytes, when it came as a file: published beside the attestations so
-- that anyone checks the custodian's signature.
ALTER TABLE custodian_statements ADD COLUMN bytes bytea;
