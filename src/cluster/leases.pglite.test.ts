import { defineLeaseSuite } from './leases.suite.ts';

defineLeaseSuite('pglite');
