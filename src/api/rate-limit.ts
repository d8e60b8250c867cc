/**
 * Rate limits: token buckets in memory (one process serves the API). A request takes one
 * token; a bucket refills at `perSecond` up to `burst`. A refused request is told how long to
 * wait (`Retry-After`, whole seconds, at least 1). The app keeps three kinds of bucket
 * (docs/api.md): one per API key, one per client address for requests without a valid key
 * (public routes, failed authentication), and one per client address that failed requests
 * drain, which refuses every request of that address while it is empty.
 */
import { isIPv6 } from 'node:net';
import { assert } from '../errors.ts';
import { limits } from '../limits.ts';
import { ApiError } from './problem.ts';

export interface RateLimitOptions {
  /** Tokens added per second: the sustained rate. */
  readonly perSecond: number;
  /** The bucket's size: the largest burst. */
  readonly burst: number;
}

/** 100 requests/s sustained, bursts of 200: well above an operator's or an integration's need. */
export const rateLimitDefault: RateLimitOptions = { perSecond: 100, burst: 200 };

/** Requests without a valid API key, per client address (limits.ts says why). */
export const anonymousRateLimitDefault: RateLimitOptions = {
  perSecond: limits.apiAnonymousPerSecond,
  burst: limits.apiAnonymousBurst,
};

/** Failed requests (a 4xx but 429), per client address (limits.ts says why). */
export const failureRateLimitDefault: RateLimitOptions = {
  perSecond: limits.apiFailuresPerSecond,
  burst: limits.apiFailuresBurst,
};

/** Buckets kept: one per key in use; past this the fullest (idle) ones, then the oldest, go. */
const bucketsMax = 100_000;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** The rate limiter of one app. */
export interface RateLimiter {
  /** Takes a token for `key`, or throws `rate-limited` with the seconds to wait. */
  take(key: string): void;
  /** Throws `rate-limited` if `key`'s bucket is empty; takes nothing. */
  check(key: string): void;
  /** Takes a token for `key` if there is one left; never throws. */
  charge(key: string): void;
}

/**
 * A limiter of `options`; `nowMs` is the clock (tests move it by hand); `subject` names what
 * is limited in a refusal ("this API key").
 * @example const limiter = createRateLimiter({ perSecond: 100, burst: 200 }); limiter.take('ck_1a2b')
 */
export function createRateLimiter(
  options: RateLimitOptions = rateLimitDefault,
  nowMs: () => number = () => performance.now(),
  subject = 'this API key',
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
    // Still full (many clients draining at once): the oldest bucket goes, memory stays bounded.
    if (buckets.size >= bucketsMax) buckets.delete(buckets.keys().next().value!);
  };
  const bucketOf = (key: string): Bucket => {
    const now = nowMs();
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      if (buckets.size >= bucketsMax) sweep(now);
      bucket = { tokens: options.burst, updatedMs: now };
      buckets.set(key, bucket);
    } else refill(bucket, now);
    return bucket;
  };
  const refuse = (bucket: Bucket): never => {
    const waitSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
    const rule = `${options.perSecond} requests/s, bursts of ${options.burst}`;
    throw new ApiError(
      'rate-limited',
      `over the rate limit of ${subject} (${rule}); retry in ${waitSeconds} s`,
      { rule, headers: { 'retry-after': String(waitSeconds) } },
    );
  };
  return {
    take(key) {
      const bucket = bucketOf(key);
      if (bucket.tokens < 1) refuse(bucket);
      bucket.tokens -= 1;
    },
    check(key) {
      const bucket = bucketOf(key);
      if (bucket.tokens < 1) refuse(bucket);
    },
    charge(key) {
      const bucket = bucketOf(key);
      if (bucket.tokens >= 1) bucket.tokens -= 1;
    },
  };
}

/**
 * The key of a client address for its buckets: an IPv4 address as it is, an IPv6 address by
 * its /64 prefix (one host is given a whole /64 and may use any address in it).
 * @example clientKey('2001:db8:1:2:aaaa::1') === '2001:db8:1:2::/64'
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
