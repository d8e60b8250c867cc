/**
 * The simulator's seeded random numbers: xoshiro128** (Blackman and Vigna, 2018), seeded
 * through SplitMix32 from a 32-bit seed and a stream number (one stream per Monte Carlo
 * path), so a path's draws do not depend on how many paths run or on which worker runs it.
 * Integer arithmetic only (`Math.imul`, shifts): the same seed gives the same numbers on
 * every platform and Node version. Not for secrets.
 */

/** A generator's state: four 32-bit words, never all zero. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * The generator of `stream` under `seed` (both unsigned 32-bit integers).
   * @example new Random(42, 0).next() === new Random(42, 0).next()
   */
  constructor(seed: number, stream: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError(`seed: must be an integer from 0 to 4294967295 (got ${seed})`);
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff)
      throw new RangeError(`stream: must be an integer from 0 to 4294967295 (got ${stream})`);
    let x = (seed ^ Math.imul(stream, 0x9e3779b9)) >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      // SplitMix32 (the 32-bit variant of Steele, Lea and Flood's SplitMix).
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      words.push((z ^ (z >>> 16)) >>> 0);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next unsigned 32-bit integer. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /**
   * An integer below `bound` (1 to 2^32), without modulo bias (rejection).
   * @example new Random(1, 0).below(10) < 10
   */
  below(bound: number): number {
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const x = this.next();
      if (x < limit) return x % bound;
    }
  }

  /**
   * A standard normal draw × 4096, as an integer: the sum of twelve 12-bit uniforms less their
   * mean (Irwin–Hall), whose variance is 4096² − 1. Tails end at ±6 σ, which a simulator of
   * daily flows can live with (docs/economics.md, "Randomness").
   * @example Math.abs(new Random(1, 0).normal4096()) <= 6 * 4096
   */
  normal4096(): number {
    let sum = 0;
    for (let i = 0; i < 6; i++) {
      const x = this.next();
      sum += (x >>> 20) + ((x >>> 4) & 0xfff);
    }
    return sum - 24_570;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
