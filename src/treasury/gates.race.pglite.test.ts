import { defineGateRaceSuite } from './gates.race.suite.ts';

defineGateRaceSuite('pglite');
