import { postgresUnavailable } from '../storage/testing.ts';
import { defineGateRaceSuite } from './gates.race.suite.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);
defineGateRaceSuite('postgres', skip);
