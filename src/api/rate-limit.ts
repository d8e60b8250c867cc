/**
 * Per-API-key rate limits: a token bucket per key, in memory (one process serves the API).
 * A request takes one token; the bucket refills at `perSecond` up to `burst`. A refused
 * request is told how long to wait (`Retry-After`, whole seconds, at least 1).
 */
import { assert } from '../errors.ts';
import { ApiError } from './problem.ts';

export interface RateLimitOptions {
  /** Tokens added per second: the sustained rate. */
  readonly perSecond: number;
  /** The bucket's size: the largest burst. */
  readonly burst: number;
}

/** 100 requests/s sustained, bursts of 200: well above an operator's or an integration's need. */
export const rateLimitDefault: RateLimitOptions = { perSecond: 100, burst: 200 };

/** Buckets kept: one per API key in use; past this the fullest (idle) ones are dropped. */
const bucketsMax = 100_000;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** The rate limiter of one app. */
export interface RateLimiter {
  /** Takes a token for `key`, or throws `rate-limited` with the seconds to wait. */
  take(key: string): void;
}

/**
 * A limiter of `options`; `nowMs` is the clock (tests move it by hand).
 * @example const limiter = createRateLimiter({ perSecond: 100, burst: 200 }); limiter.take('ck_1a2b')
 */
export function createRateLimiter(
  options: RateLimitOptions = rateLimitDefault,
  nowMs: () => number = () => performance.now(),
): RateLimiter {
  assert(options.perSecond > 0 && options.burst >= 1, 'a rate limit refills and holds a request');
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, now: number) => {
    const elapsed = Math.max(0, now - bucket.updatedMs);
    bucket.tokens = Math.min(options.burst, bucket.tokens + (elapsed * options.perSecond) / 1000);
    bucket.updatedMs = now;
  };
  const sweep = (now: number) => {
    for (const [key, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= options.burst) buckets.delete(key);
    }
  };
  return {
    take(key) {
      const now = nowMs();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= bucketsMax) sweep(now);
        bucket = { tokens: options.burst, updatedMs: now };
        buckets.set(key, bucket);
      } else refill(bucket, now);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      const waitSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
      throw new ApiError(
        'rate-limited',
        `over the rate limit of this API key (${options.perSecond} requests/s, bursts of ${options.burst}); retry in ${waitSeconds} s`,
        {
          rule: `${options.perSecond} requests/s, bursts of ${options.burst}`,
          headers: { 'retry-after': String(waitSeconds) },
        },
      );
    },
  };
}
