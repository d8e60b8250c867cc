-- A request made through the API under an Idempotency-Key keeps a digest of its caller and key
-- (docs/api.md, "A crash in flight"): a run of the same request again (after a crash, or a
-- COMMIT whose answer the server never saw) finds the request the first run made instead of
-- making a second one. Unique, so two runs at once make one request: the second insert fails
-- and its run answers the first's request. NULL for requests made otherwise (the demo, tests).
ALTER TABLE mint_requests ADD COLUMN request_key bytea UNIQUE CHECK (length(request_key) = 32);
ALTER TABLE payouts ADD COLUMN request_key bytea UNIQUE CHECK (length(request_key) = 32);
ALTER TABLE changes ADD COLUMN request_key bytea UNIQUE CHECK (length(request_key) = 32);
