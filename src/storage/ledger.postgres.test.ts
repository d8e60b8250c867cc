import { defineInvariantSuite } from './ledger.invariants.ts';
import { defineLedgerSuite } from './ledger.suite.ts';
import { postgresUnavailable } from './testing.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);
defineLedgerSuite('postgres', skip);
defineInvariantSuite('postgres', skip);
