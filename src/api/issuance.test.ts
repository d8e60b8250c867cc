import { defineApiSuite } from './issuance.suite.ts';

defineApiSuite('pglite');
