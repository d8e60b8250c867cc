import { postgresUnavailable } from '../storage/testing.ts';
import { defineApiSuite } from './issuance.suite.ts';

const skip = await postgresUnavailable();
if (skip) console.log(`# ${skip}`);
defineApiSuite('postgres', skip);
