-- The token of record on each chain: the deployment the indexer reads and parity checks.
-- Set once, when the deployment and its set-up are mined (docs/contract.md, "Deployment"),
-- or from the configuration for a token deployed elsewhere; never changed after.
CREATE TABLE chain_tokens (
  chain_id bigint PRIMARY KEY CHECK (chain_id > 0),
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  -- The block of the deployment: the indexer starts there.
  deploy_block bigint NOT NULL CHECK (deploy_block >= 0),
  -- The connector's request that deployed it; null for a token deployed elsewhere.
  deploy_request_id text REFERENCES chain_requests (request_id),
  recorded_at_us bigint NOT NULL
);
