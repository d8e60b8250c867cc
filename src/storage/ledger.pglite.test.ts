import { defineInvariantSuite } from './ledger.invariants.ts';
import { defineLedgerSuite } from './ledger.suite.ts';

defineLedgerSuite('pglite');
defineInvariantSuite('pglite');
