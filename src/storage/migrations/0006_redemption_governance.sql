-- Redemptions, payouts and governance (docs/architecture.md, "Issuance and policy").

-- A redemption the issuer cannot honour at once (a sanctioned sender, a suspended customer)
-- is held: its tokens are taken out of supply into `suspense:redemptions` and stay unburned
-- until compliance decides. `held` replaces the unused `refused`.
ALTER TABLE redemptions DROP CONSTRAINT redemptions_status_check;
ALTER TABLE redemptions ADD CONSTRAINT redemptions_status_check
  CHECK (status IN ('credited', 'burning', 'burned', 'held'));
ALTER TABLE redemptions ADD COLUMN burn_tx_hash text;
CREATE INDEX redemptions_open ON redemptions (chain_id, status) WHERE status IN ('credited', 'burning');

-- A payout: made by a treasurer (the maker), approved by signatures of other approvers (the
-- checkers), then sent by the bank and marked with the bank's reference, which posts it.
ALTER TABLE payouts ADD COLUMN approvals_required integer NOT NULL DEFAULT 1 CHECK (approvals_required >= 1);
ALTER TABLE payouts ADD COLUMN bank_reference text CHECK (length(bank_reference) BETWEEN 1 AND 140);
ALTER TABLE payouts ADD COLUMN sent_at_us bigint;
ALTER TABLE payouts ADD COLUMN failure text;
CREATE UNIQUE INDEX payouts_redemption ON payouts (redemption_id) WHERE redemption_id IS NOT NULL AND status <> 'cancelled';
CREATE INDEX payouts_open ON payouts (status) WHERE status IN ('pending-approval', 'approved');

-- A governance change: a policy, an operator, a role, a key, a breaker, the token's pause.
-- One operator proposes; it takes effect only with a quorum of other approvers' signatures
-- over its intent (the initiator never counts), so no single credential can change the rules.
CREATE TABLE changes (
  id uuid PRIMARY KEY,
  action text NOT NULL CHECK (action ~ '^[a-z][a-z-]*\.[a-z][a-z-]*$'),
  body jsonb NOT NULL,
  proposed_by text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending-approval', 'adopted', 'failed', 'expired')),
  approvals_required integer NOT NULL CHECK (approvals_required >= 1),
  failure text,
  created_at_us bigint NOT NULL,
  expires_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL
);
CREATE INDEX changes_open ON changes (created_at_us) WHERE status = 'pending-approval';

ALTER TABLE approvals DROP CONSTRAINT approvals_subject_kind_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_subject_kind_check
  CHECK (subject_kind IN ('mint', 'payout', 'change'));
