/**
 * Seeded randomness for tests, fault injection and benchmarks: the same seed, the same
 * sequence, so a failing run replays. Never for keys, salts or anything secret (those use
 * `node:crypto`); the economics simulator has its own generator (src/economics/random.ts).
 */

/**
 * A seeded generator (mulberry32) of numbers in [0, 1).
 * @example const next = seededRandom(42); next() // the same first number every run
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
