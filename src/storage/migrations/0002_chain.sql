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

-- The indexer: how far it has read each chain (the cursor: the last block read), the headers
-- of blocks it read (each cursor position and each block with events), so that a reorg is
-- found by parent hash and undone down to the newest block still on the canonical chain.
CREATE TABLE chain_cursors (
  chain_id bigint PRIMARY KEY CHECK (chain_id > 0),
  token text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
  block_number bigint NOT NULL CHECK (block_number >= 0)
);
CREATE TABLE chain_blocks (
  chain_id bigint NOT NULL,
  number bigint NOT NULL CHECK (number >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  parent_hash bytea NOT NULL CHECK (length(parent_hash) = 32),
  PRIMARY KEY (chain_id, number)
);

-- The token's events, once each: (chain, transaction, log index) is the key. `name` is the
-- event (Transfer, Minted, Burned, Blocked, …); a Transfer's parties and amount have columns.
CREATE TABLE chain_events (
  chain_id bigint NOT NULL,
  tx_hash bytea NOT NULL CHECK (length(tx_hash) = 32),
  log_index integer NOT NULL CHECK (log_index >= 0),
  block_number bigint NOT NULL,
  block_hash bytea NOT NULL CHECK (length(block_hash) = 32),
  name text NOT NULL,
  from_address text,
  to_address text,
  amount numeric(78,0) CHECK (amount >= 0),
  args jsonb NOT NULL,
  PRIMARY KEY (chain_id, tx_hash, log_index),
  CHECK ((name = 'Transfer') = (amount IS NOT NULL))
);
CREATE INDEX chain_events_block ON chain_events (chain_id, block_number);
CREATE INDEX chain_events_to ON chain_events (chain_id, to_address) WHERE name = 'Transfer';
CREATE INDEX chain_events_from ON chain_events (chain_id, from_address) WHERE name = 'Transfer';

-- Addresses whose tokens the issuer holds: its treasury, and each customer's redemption
-- address (tokens sent there are being redeemed). Their balances are not in circulation.
CREATE TABLE chain_issuer_addresses (
  chain_id bigint NOT NULL,
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  purpose text NOT NULL CHECK (purpose IN ('treasury', 'redemption')),
  customer_id text,
  PRIMARY KEY (chain_id, address),
  CHECK ((purpose = 'redemption') = (customer_id IS NOT NULL))
);

-- Supply parity, checked after each indexed batch at the newest final block B:
-- totalSupply(B) − issuer-held(B) must equal the ledger's supply account as of B.
CREATE TABLE chain_parity (
  chain_id bigint NOT NULL,
  block_number bigint NOT NULL,
  total_supply numeric(78,0) NOT NULL,
  issuer_held numeric(78,0) NOT NULL,
  ledger_supply numeric(78,0) NOT NULL,
  ok boolean NOT NULL,
  checked_at_us bigint NOT NULL,
  PRIMARY KEY (chain_id, block_number),
  CHECK (ok = (total_supply - issuer_held = ledger_supply))
);

-- The ledger's postings tied to a chain carry its id and block in their metadata
-- (`chain.id`, `chain.block`): parity sums them per chain.
CREATE INDEX ledger_journal_chain ON ledger_journal ((metadata->>'chain.id'))
  WHERE metadata ? 'chain.id';
