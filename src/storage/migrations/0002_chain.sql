-- The chains (docs/architecture.md, "Chain"): what the issuer sends, what the indexer reads.
-- Addresses are lowercase 0x text; hashes are bytea (32 bytes); token amounts and gas prices
-- are numeric(78,0), the range of a uint256.

-- One row per request id: the idempotency key of one on-chain effect. The request and its
-- first signed transaction are stored, with the nonce they take, before anything is sent;
-- after a restart the stored transaction is sent again, never a new one, so a request id
-- can take effect at most once (a nonce is spent once).
CREATE TABLE chain_requests (
  request_id text PRIMARY KEY CHECK (length(request_id) BETWEEN 1 AND 128),
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  sender text NOT NULL CHECK (sender ~ '^0x[0-9a-f]{40}$'),
  nonce bigint NOT NULL CHECK (nonce >= 0),
  -- What the request does ({"to", "function", "args"}, amounts as decimal strings), and the
  -- SHA-256 of its canonical JSON: the same id with another intent is refused.
  intent jsonb NOT NULL,
  intent_hash bytea NOT NULL CHECK (length(intent_hash) = 32),
  status text NOT NULL CHECK (status IN ('signed', 'mined', 'final', 'reverted')),
  -- The attempt that was mined (set with status mined, final or reverted).
  tx_hash bytea CHECK (length(tx_hash) = 32),
  block_number bigint,
  block_hash bytea,
  created_at_us bigint NOT NULL,
  updated_at_us bigint NOT NULL,
  UNIQUE (chain_id, sender, nonce),
  CHECK ((status = 'signed') = (tx_hash IS NULL)),
  CHECK ((tx_hash IS NULL) = (block_number IS NULL) AND (tx_hash IS NULL) = (block_hash IS NULL))
);
CREATE INDEX chain_requests_open ON chain_requests (chain_id, status) WHERE status IN ('signed', 'mined');

-- Every signed transaction of a request: the first, and each fee bump (same nonce, higher
-- fees). At most one of them is ever mined.
CREATE TABLE chain_attempts (
  tx_hash bytea PRIMARY KEY CHECK (length(tx_hash) = 32),
  request_id text NOT NULL REFERENCES chain_requests (request_id),
  raw bytea NOT NULL,
  max_fee_per_gas numeric(78,0) NOT NULL CHECK (max_fee_per_gas >= 0),
  max_priority_fee_per_gas numeric(78,0) NOT NULL CHECK (max_priority_fee_per_gas >= 0),
  signed_at_us bigint NOT NULL
);
CREATE INDEX chain_attempts_request ON chain_attempts (request_id);

-- The next nonce of each sender, taken in the transaction that stores a request.
CREATE TABLE chain_nonces (
  chain_id bigint NOT NULL,
  sender text NOT NULL CHECK (sender ~ '^0x[0-9a-f]{40}$'),
  next_nonce bigint NOT NULL CHECK (next_nonce >= 0),
  PRIMARY KEY (chain_id, sender)
);
