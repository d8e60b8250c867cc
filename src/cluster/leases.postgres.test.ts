import { postgresUnavailable } from '../storage/testing.ts';
import { defineLeaseSuite } from './leases.suite.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);
defineLeaseSuite('postgres', skip);
