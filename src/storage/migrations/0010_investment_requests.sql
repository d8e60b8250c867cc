-- Investments out of excess under quorum (docs/reserves.md, "Investments"): a treasurer
-- proposes, approvers other than the proposer sign the request's intent, and a treasurer
-- executes it: the stored approvals are verified again, and the excess check and the ledger
-- transfer are one atomic step. `reference` is the operator's ticket: the ledger transfer's
-- id is named by it (`invest:<name>:<reference>`), so one request posts at most once.
CREATE TABLE investment_requests (
  id uuid PRIMARY KEY,
  reference text NOT NULL UNIQUE CHECK (reference ~ '^[A-Za-z0-9._-]{1,64}$'),
  name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,31}$'),
  asset text NOT NULL,
  amount numeric(39,0) NOT NULL CHECK (amount > 0),
  bank text NOT NULL,
  custodian text NOT NULL CHECK (length(custodian) BETWEEN 1 AND 200),
  jurisdiction text NOT NULL CHECK (jurisdiction ~ '^[A-Z]{2}$'),
  statement_sha256 bytea CHECK (length(statement_sha256) = 32),
  status text NOT NULL CHECK (status IN ('pending-approval', 'approved', 'executed', 'cancelled')),
  maker text NOT NULL,
  approvals_required integer NOT NULL CHECK (approvals_required >= 1),
  failure text,
  created_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL,
  executed_at_us bigint,
  CHECK ((status = 'executed') = (executed_at_us IS NOT NULL))
);

CREATE INDEX investment_requests_status ON investment_requests (status, id);

ALTER TABLE approvals DROP CONSTRAINT approvals_subject_kind_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_subject_kind_check
  CHECK (subject_kind IN ('mint', 'payout', 'change', 'investment'));
