-- The verifier and the API page through accounts in byte order of their codes
-- (`code COLLATE "C" > $1 ORDER BY code COLLATE "C"`). The unique index on code is in the
-- database's collation, which on a server initialised with a locale (en_US.UTF-8, most
-- distributions' default) does not serve that order: every page was a scan and a sort of the
-- whole table, and a replay compared a million accounts in 1,000 of them. This index serves it.
CREATE INDEX ledger_accounts_code_c ON ledger_accounts (code COLLATE "C");
