-- Alerts and breakers (docs/architecture.md, "Alerts and breakers").
-- An alert is something an operator must look at; it is never deleted, only acknowledged.
CREATE TABLE alerts (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]*$'),
  subject text NOT NULL,
  detail jsonb NOT NULL,
  raised_at_us bigint NOT NULL,
  acknowledged_at_us bigint
);
CREATE INDEX alerts_open ON alerts (raised_at_us) WHERE acknowledged_at_us IS NULL;

-- A breaker stops a flow (a row: tripped). The mint path refuses while any `mint` breaker or
-- the breaker of its chain is tripped. Clearing one is an operator's act, under quorum.
CREATE TABLE breakers (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9:.-]*$'),
  reason jsonb NOT NULL,
  tripped_at_us bigint NOT NULL
);
