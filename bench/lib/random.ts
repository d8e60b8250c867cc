/** Seeded randomness for benchmarks: the same workload every run. */

/**
 * A seeded generator (mulberry32) of numbers in [0, 1).
 * @example const next = random(42); next() // the same first number every run
 */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
