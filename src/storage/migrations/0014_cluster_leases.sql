-- Several issuer processes on one database (docs/deployment.md): every process serves the API;
-- each worker runs in one process at a time, under a lease held here.
--
-- cluster_processes: one row per process start (instance: random, new at every start), seen
-- again at every lease round; `clearpeg status` lists them. The host and pid let a restarted
-- process on the same host see that an instance holding a lease is dead, and take its leases
-- at once instead of waiting for them to expire.
CREATE TABLE cluster_processes (
  instance text PRIMARY KEY CHECK (instance ~ '^[0-9a-f]{32}$'),
  node text NOT NULL CHECK (length(node) BETWEEN 1 AND 128),
  host text NOT NULL,
  pid integer NOT NULL CHECK (pid > 0),
  version text NOT NULL,
  api_url text,
  started_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL
);

-- cluster_leases: who runs each worker. `token` is the fencing token: it grows by one every
-- time the lease changes hands (never when its holder renews it), and every write the worker
-- guards (a nonce taken, a transaction signed, a checkpoint signed) checks, in the transaction
-- that writes, that its instance still holds the lease with the token it was given. Times are
-- the database's clock (clock_timestamp()), the one clock every process shares.
CREATE TABLE cluster_leases (
  name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 128),
  instance text NOT NULL,
  token bigint NOT NULL CHECK (token >= 1),
  acquired_at timestamptz NOT NULL,
  renewed_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CHECK (acquired_at <= renewed_at AND renewed_at <= expires_at)
);
