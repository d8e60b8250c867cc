/** Seeded randomness for benchmarks: the same workload every run (src/random.ts). */
export { seededRandom as random } from '../../src/random.ts';
