-- Expenses out of excess, under quorum (docs/income.md): money leaving the reserves to pay a
-- distribution partner's share of revenue (`distribution`) or an operating cost (`operating`)
-- goes through the same door as an investment: a treasurer proposes, approvers other than the
-- proposer sign, and the execution checks the excess and posts in one atomic step. A request's
-- purpose names its target account: investments:<name>, expenses:distribution:<partner> or
-- expenses:operating:<category>. For an expense, `custodian` is the payee (who is paid) and
-- `jurisdiction` the payee's country; it has no asset and no reserve position. A distribution
-- names the period of reserve income it shares; an executed one is the partner's for it.
ALTER TABLE investment_requests
  ADD COLUMN purpose text NOT NULL DEFAULT 'investment'
    CHECK (purpose IN ('investment', 'distribution', 'operating')),
  ADD COLUMN period_from date,
  ADD COLUMN period_to date;
ALTER TABLE investment_requests ALTER COLUMN asset DROP NOT NULL;
ALTER TABLE investment_requests ADD CONSTRAINT investment_requests_asset_purpose
  CHECK ((purpose = 'investment') = (asset IS NOT NULL));
ALTER TABLE investment_requests ADD CONSTRAINT investment_requests_period_purpose
  CHECK ((purpose = 'distribution') = (period_from IS NOT NULL AND period_to IS NOT NULL)
    AND (period_from IS NULL OR period_from <= period_to));
CREATE INDEX investment_requests_distributions ON investment_requests (name, period_from)
  WHERE purpose = 'distribution' AND status = 'executed';
