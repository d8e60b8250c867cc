-- Parity from a checkpoint (docs/architecture.md, "Parity"): the ledger's supply on a chain
-- at block B is the sum of the supply account's postings tied to that chain at blocks <= B.
-- Summing every chain-tied record on every check costs more as the issuer ages; instead each
-- chain keeps a running sum. `through_seq` is the last journal record read into it; the
-- postings tied to blocks <= `folded_block` are summed in `folded_supply`; those tied to
-- later blocks wait in `chain_parity_deltas`, one row per block, until a check at or past
-- their block folds them in. A check reads only the records after `through_seq` and the
-- deltas above the block it checks: its cost does not grow with the journal.
CREATE TABLE chain_parity_checkpoints (
  chain_id bigint PRIMARY KEY,
  supply_account uuid NOT NULL,
  through_seq bigint NOT NULL CHECK (through_seq >= 0),
  folded_block bigint NOT NULL CHECK (folded_block >= -1),
  folded_supply numeric(78,0) NOT NULL
);

CREATE TABLE chain_parity_deltas (
  chain_id bigint NOT NULL REFERENCES chain_parity_checkpoints (chain_id),
  block_number bigint NOT NULL,
  delta numeric(78,0) NOT NULL,
  PRIMARY KEY (chain_id, block_number)
);
