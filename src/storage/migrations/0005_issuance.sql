-- Issuance and policy (docs/architecture.md, "Issuance" and "Policy"): operators and their
-- keys, customers, deposits, mints, redemptions, payouts, the policy in force, limits, the
-- idempotency of the API, and the audit log. Amounts are numeric(39,0) micro-units, as in the
-- ledger; times are microseconds since the epoch.

-- Operators act through API keys; approvers also hold an Ed25519 key of their own (only its
-- public half is here): an approval is their signature, not a row anyone could insert.
CREATE TABLE operators (
  id text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{0,63}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  roles text[] NOT NULL CHECK (roles <@ ARRAY['treasurer', 'approver', 'compliance', 'admin', 'auditor']::text[]),
  approval_key bytea CHECK (length(approval_key) = 32),
  active boolean NOT NULL,
  created_at_us bigint NOT NULL,
  CHECK (NOT ('approver' = ANY (roles)) OR approval_key IS NOT NULL)
);

-- API keys, stored as SHA-256 of the secret: the database never holds a usable key. A key
-- belongs to an operator or to a customer (who may see and request only their own things).
CREATE TABLE api_keys (
  id text PRIMARY KEY CHECK (id ~ '^ck_[a-z0-9]{8,32}$'),
  secret_sha256 bytea NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
  operator_id text REFERENCES operators (id),
  customer_id text,
  created_at_us bigint NOT NULL,
  revoked_at_us bigint,
  CHECK ((operator_id IS NULL) <> (customer_id IS NULL))
);

CREATE TABLE customers (
  id text PRIMARY KEY CHECK (id ~ '^[A-Z][A-Z0-9-]{2,31}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kyc text NOT NULL CHECK (kyc IN ('pending', 'approved', 'suspended')),
  -- The ledger account of the customer's fiat (customers:<id>:fiat).
  fiat_account uuid NOT NULL UNIQUE,
  created_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL
);
ALTER TABLE api_keys ADD FOREIGN KEY (customer_id) REFERENCES customers (id);

-- Wallets a customer may mint to, screened when registered.
CREATE TABLE customer_wallets (
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  customer_id text NOT NULL REFERENCES customers (id),
  registered_at_us bigint NOT NULL,
  PRIMARY KEY (chain_id, address)
);
CREATE INDEX customer_wallets_customer ON customer_wallets (customer_id);

-- Fiat received, one row per bank statement line: its reference is the idempotency key. A
-- line that matches no customer is credited to suspense (customer_id null) with an alert.
CREATE TABLE deposits (
  reference text PRIMARY KEY CHECK (length(reference) BETWEEN 1 AND 140),
  bank text NOT NULL CHECK (bank ~ '^[a-z][a-z0-9-]{0,31}$'),
  amount numeric(39,0) NOT NULL CHECK (amount > 0),
  customer_id text REFERENCES customers (id),
  remittance text,
  booking_date date NOT NULL,
  source text NOT NULL CHECK (source IN ('manual', 'camt053')),
  ledger_transfer uuid NOT NULL UNIQUE,
  entered_by text NOT NULL,
  received_at_us bigint NOT NULL
);

-- A mint: requested, approved by a quorum of signatures over its intent, sent, final. The
-- pending ledger transfer (customer fiat → supply) reserves the customer's fiat from the
-- request on; it is posted when the mint is final on chain and voided if the mint fails.
CREATE TABLE mint_requests (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  to_address text NOT NULL CHECK (to_address ~ '^0x[0-9a-f]{40}$'),
  amount numeric(39,0) NOT NULL CHECK (amount > 0),
  status text NOT NULL CHECK (status IN ('pending-approval', 'approved', 'submitted', 'final', 'failed', 'expired')),
  initiator text NOT NULL,
  approvals_required integer NOT NULL CHECK (approvals_required >= 1),
  ledger_pending uuid NOT NULL UNIQUE,
  chain_request_id text UNIQUE,
  tx_hash text,
  block_number bigint,
  failure text,
  created_at_us bigint NOT NULL,
  expires_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL
);
CREATE INDEX mint_requests_open ON mint_requests (status) WHERE status IN ('pending-approval', 'approved', 'submitted');

-- Approvals: each the approver's Ed25519 signature over the canonical intent (docs/formats.md,
-- "Approval v1"). The chain writer verifies them again, against the intent it rebuilds from
-- the request's own columns, right before it signs.
CREATE TABLE approvals (
  subject_kind text NOT NULL CHECK (subject_kind IN ('mint', 'payout', 'policy')),
  subject_id uuid NOT NULL,
  approver_id text NOT NULL REFERENCES operators (id),
  public_key bytea NOT NULL CHECK (length(public_key) = 32),
  intent_hash bytea NOT NULL CHECK (length(intent_hash) = 32),
  signature bytea NOT NULL CHECK (length(signature) = 64),
  approved_at_us bigint NOT NULL,
  PRIMARY KEY (subject_kind, subject_id, approver_id)
);

-- A redemption: tokens that arrived at a customer's redemption address (found by the
-- indexer), credited back to the customer's fiat at par less the fee, then burned.
CREATE TABLE redemptions (
  id uuid PRIMARY KEY,
  chain_id bigint NOT NULL,
  tx_hash bytea NOT NULL CHECK (length(tx_hash) = 32),
  log_index integer NOT NULL,
  block_number bigint NOT NULL,
  customer_id text NOT NULL REFERENCES customers (id),
  from_address text NOT NULL,
  redemption_address text NOT NULL,
  amount numeric(39,0) NOT NULL CHECK (amount > 0),
  fee numeric(39,0) NOT NULL CHECK (fee >= 0 AND fee <= amount),
  ledger_transfer uuid NOT NULL UNIQUE,
  burn_request_id text UNIQUE,
  status text NOT NULL CHECK (status IN ('credited', 'burning', 'burned', 'refused')),
  refusal text,
  due_at_us bigint NOT NULL,
  created_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL,
  UNIQUE (chain_id, tx_hash, log_index)
);

-- A payout of a customer's fiat to their bank: made by one operator, approved by another.
CREATE TABLE payouts (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  bank text NOT NULL,
  amount numeric(39,0) NOT NULL CHECK (amount > 0),
  beneficiary text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending-approval', 'approved', 'sent', 'cancelled')),
  maker text NOT NULL,
  ledger_pending uuid NOT NULL UNIQUE,
  redemption_id uuid REFERENCES redemptions (id),
  due_at_us bigint,
  created_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL
);

-- The policy in force: a versioned document (quorum tiers, caps, velocity, fees); a new
-- version is adopted only with a quorum over its hash. Version 1 is the embedded default.
CREATE TABLE policies (
  version integer PRIMARY KEY CHECK (version >= 1),
  document jsonb NOT NULL,
  document_sha256 bytea NOT NULL CHECK (length(document_sha256) = 32),
  proposed_by text NOT NULL,
  status text NOT NULL CHECK (status IN ('proposed', 'adopted', 'superseded', 'rejected')),
  proposed_at_us bigint NOT NULL,
  adopted_at_us bigint
);
CREATE UNIQUE INDEX policies_adopted ON policies ((true)) WHERE status = 'adopted';

-- Token buckets of the velocity limits: their level and when it was last refilled.
CREATE TABLE limit_buckets (
  name text PRIMARY KEY,
  level numeric(39,0) NOT NULL CHECK (level >= 0),
  updated_at_us bigint NOT NULL
);

-- Idempotency of the API: per caller and Idempotency-Key, the request's hash and the first
-- response, returned again for the same request and refused for another.
CREATE TABLE idempotency_keys (
  caller text NOT NULL,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_sha256 bytea NOT NULL CHECK (length(request_sha256) = 32),
  status integer NOT NULL,
  body text NOT NULL,
  created_at_us bigint NOT NULL,
  PRIMARY KEY (caller, key)
);

-- The audit log: every mutation and every refused request, hash-chained like the ledger's
-- journal (docs/formats.md, "Audit record v1"). `audit_head` is the chain's tip, locked by
-- each append so that records are numbered and linked in one order.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY CHECK (seq >= 1),
  at_us bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'refused')),
  detail jsonb NOT NULL,
  hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash bytea NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_head (seq, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');
