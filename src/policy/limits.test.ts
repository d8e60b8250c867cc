import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClearpegError } from '../errors.ts';
import { type Micro, units } from '../money/money.ts';
import { throwsCode } from '../testing.ts';
import {
  checkMintLimits,
  createTokenBucket,
  type MintLimitsInput,
  microsecondsPerDay,
  microsecondsPerHour,
  refill,
  type TokenBucket,
  take,
  validateTokenBucket,
} from './limits.ts';

const m = (value: bigint) => value as Micro;
const t0 = 1_700_000_000_000_000n; // µs since the epoch
const empty = (capacity: bigint, refillPerHour: bigint): TokenBucket => ({
  capacity: m(capacity),
  refillPerHour: m(refillPerHour),
  level: m(0n),
  updatedAtUs: t0,
});

describe('refill', () => {
  it('is exact at 1 µs', () => {
    // 3,600,000,000 µ per hour is 1 µ per µs.
    assert.equal(refill(empty(10n ** 12n, microsecondsPerHour), t0 + 1n).level, 1n);
    // 3,599,999,999 µ per hour is just under: nothing yet, and the µs is carried.
    const under = refill(empty(10n ** 12n, microsecondsPerHour - 1n), t0 + 1n);
    assert.deepEqual([under.level, under.updatedAtUs], [0n, t0]);
    // 1,000,000 tokens an hour: ⌊10^12 / 3.6·10^9⌋ = 277 µ in a µs, remainder carried.
    assert.equal(refill(empty(10n ** 18n, units(1_000_000n)), t0 + 1n).level, 277n);
  });

  it('is exact at 1 hour and at 1 day', () => {
    const rate = units(1_000_000n);
    assert.equal(refill(empty(units(100_000_000n), rate), t0 + microsecondsPerHour).level, rate);
    // One µs short: 10^12 − ⌈10^12 / 3.6·10^9⌉ = 10^12 − 278.
    assert.equal(
      refill(empty(units(100_000_000n), rate), t0 + microsecondsPerHour - 1n).level,
      999_999_999_722n,
    );
    assert.equal(
      refill(empty(units(100_000_000n), rate), t0 + microsecondsPerDay).level,
      24n * rate,
    );
    const oneHour = refill(empty(units(100_000_000n), rate), t0 + microsecondsPerHour);
    assert.equal(oneHour.updatedAtUs, t0 + microsecondsPerHour);
  });

  it('caps a long idle period at capacity', () => {
    const tenYears = 10n * 365n * microsecondsPerDay;
    const bucket = refill(empty(units(5_000_000n), units(1_000_000n)), t0 + tenYears);
    assert.deepEqual(bucket, {
      capacity: units(5_000_000n),
      refillPerHour: units(1_000_000n),
      level: units(5_000_000n),
      updatedAtUs: t0 + tenYears,
    });
    // Full at exactly the boundary; one µs before it, one µs of refill (277.7… µ, so 278) short.
    const fill = 5n * microsecondsPerHour;
    assert.equal(
      refill(empty(units(5_000_000n), units(1_000_000n)), t0 + fill).level,
      units(5_000_000n),
    );
    assert.equal(
      refill(empty(units(5_000_000n), units(1_000_000n)), t0 + fill - 1n).level,
      4_999_999_999_722n,
    );
  });

  it('carries the fraction: refilling often gives what refilling once gives', () => {
    // 1 µ per hour: a refill every second would never add anything if the fraction were dropped.
    let bucket = empty(10n, 1n);
    for (let s = 1n; s <= 3600n; s++) bucket = refill(bucket, t0 + s * 1_000_000n);
    assert.equal(bucket.level, 1n);
    // 3,600 µ per hour (1 µ per second), refilled every 0.7 s for an hour.
    bucket = empty(10_000n, 3_600n);
    for (let at = t0; at <= t0 + microsecondsPerHour; at += 700_000n) bucket = refill(bucket, at);
    bucket = refill(bucket, t0 + microsecondsPerHour);
    assert.equal(bucket.level, 3_600n);
  });

  it('leaves the bucket as it is when the clock steps back', () => {
    const bucket = { ...empty(100n, 100n), level: m(5n) };
    assert.deepEqual(refill(bucket, t0 - 1_000_000n), bucket);
    assert.deepEqual(refill(bucket, t0), bucket);
  });

  it('never gives more in steps than at once, never leaves 0..capacity (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        fc.array(fc.bigInt({ min: 0n, max: 2n * microsecondsPerHour }), {
          minLength: 1,
          maxLength: 30,
        }),
        (capacity, rate, steps) => {
          let stepped = empty(capacity, rate);
          let at = t0;
          for (const step of steps) {
            at += step;
            stepped = refill(stepped, at);
            assert.ok(stepped.level >= 0n && stepped.level <= capacity);
            assert.ok(stepped.updatedAtUs <= at);
          }
          const once = refill(empty(capacity, rate), at);
          assert.ok(stepped.level <= once.level, 'steps never give more');
          // Each step loses less than one µ-worth, so at most one µ per step.
          assert.ok(once.level - stepped.level <= BigInt(steps.length));
        },
      ),
    );
  });
});

describe('take', () => {
  it('takes exactly the level, and not one µ more', () => {
    const bucket = createTokenBucket({
      capacity: units(10n),
      refillPerHour: units(10n),
      nowUs: t0,
    });
    const all = take(bucket, units(10n), t0);
    assert.deepEqual(all, { ok: true, bucket: { ...bucket, level: 0n } });
    assert.deepEqual(take(bucket, m(units(10n) + 1n), t0), { ok: false, available: units(10n) });
    assert.deepEqual(take(bucket, m(0n), t0), { ok: true, bucket });
  });

  it('refills before taking', () => {
    const bucket = empty(units(10n), units(10n)); // 10 tokens an hour
    assert.deepEqual(take(bucket, units(1n), t0), { ok: false, available: 0n });
    const later = take(bucket, units(1n), t0 + microsecondsPerHour / 10n);
    assert.ok(later.ok);
    assert.equal(later.bucket.level, 0n);
  });

  it('lets nothing through a closed bucket', () => {
    const closed = { ...empty(0n, 0n) };
    assert.deepEqual(take(closed, m(1n), t0 + 100n * microsecondsPerDay), {
      ok: false,
      available: 0n,
    });
  });

  it('never goes negative nor over capacity, whatever the sequence (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.array(
          fc.tuple(
            fc.bigInt({ min: 0n, max: microsecondsPerHour }),
            fc.bigInt({ min: 0n, max: 10n ** 15n }),
          ),
        ),
        (capacity, rate, ops) => {
          let bucket = createTokenBucket({
            capacity: m(capacity),
            refillPerHour: m(rate),
            nowUs: t0,
          });
          let at = t0;
          let taken = 0n;
          for (const [step, amount] of ops) {
            at += step;
            const result = take(bucket, m(amount), at);
            if (result.ok) {
              bucket = result.bucket;
              taken += amount;
            } else assert.ok(result.available < amount);
            assert.ok(bucket.level >= 0n && bucket.level <= capacity);
          }
          // Never more than the first burst plus what the elapsed time refilled.
          assert.ok(taken <= capacity + (rate * (at - t0)) / microsecondsPerHour);
        },
      ),
    );
  });
});

describe('validateTokenBucket', () => {
  it('refuses a bucket that cannot be', () => {
    const ok = empty(100n, 100n);
    const cases: [unknown, string][] = [
      [{ ...ok, level: 101n }, 'bucket.level'],
      [{ ...ok, level: -1n }, 'bucket.level'],
      [{ ...ok, capacity: 100 }, 'bucket.capacity'],
      [{ ...ok, refillPerHour: 0n }, 'bucket.refillPerHour'],
      [{ ...ok, capacity: 0n, level: 0n }, 'bucket.refillPerHour'],
      [{ ...ok, updatedAtUs: -1n }, 'bucket.updatedAtUs'],
      [{ ...ok, updatedAtUs: 1 }, 'bucket.updatedAtUs'],
    ];
    for (const [bucket, field] of cases) {
      assert.throws(
        () => validateTokenBucket(bucket as TokenBucket),
        (error: unknown) => error instanceof ClearpegError && error.field === field,
        field,
      );
    }
    assert.ok(validateTokenBucket(empty(0n, 0n)));
    throwsCode(() => refill(ok, -1n), 'limit-invalid', 'nowUs');
  });
});

describe('checkMintLimits', () => {
  const nowUs = t0;
  const open = (capacity: bigint) =>
    createTokenBucket({
      capacity: m(capacity),
      refillPerHour: m(capacity),
      nowUs: t0 - microsecondsPerDay,
    });
  const input = (overrides: Partial<MintLimitsInput> = {}): MintLimitsInput => ({
    amount: units(1_000_000n),
    perTransactionCap: units(5_000_000n),
    hourBucket: open(units(10_000_000n)),
    dayBucket: open(units(50_000_000n)),
    nowUs,
    postedFiat: units(1_000_000n),
    supplyAfter: units(21_000_000n),
    reserves: units(25_000_000n),
    ...overrides,
  });

  it('passes a mint within every limit and takes it from both buckets', () => {
    const result = checkMintLimits(input());
    assert.deepEqual(result.violations, []);
    assert.equal(result.hourBucket.level, units(9_000_000n));
    assert.equal(result.dayBucket.level, units(49_000_000n));
    assert.equal(result.hourBucket.updatedAtUs, nowUs);
  });

  it('passes a mint exactly at every limit', () => {
    const amount = units(1_000_000n);
    const result = checkMintLimits(
      input({
        amount,
        perTransactionCap: amount,
        hourBucket: open(amount),
        dayBucket: open(amount),
        postedFiat: amount,
        supplyAfter: units(3_000_000n),
        reserves: units(3_000_000n),
      }),
    );
    assert.deepEqual(result.violations, []);
    assert.equal(result.hourBucket.level, 0n);
    assert.equal(result.dayBucket.level, 0n);
  });

  it('reports every reason at once for a mint of 300,000,000,000,000 tokens with no fiat', () => {
    const amount = units(300_000_000_000_000n);
    const result = checkMintLimits(
      input({ amount, postedFiat: m(0n), supplyAfter: m(units(20_000_000n) + amount) }),
    );
    const codes = result.violations.map((v) => v.code);
    for (const code of ['fiat-not-posted', 'over-transaction-cap', 'over-hourly-velocity'])
      assert.ok(codes.includes(code as never), `reports ${code}`);
    assert.deepEqual(codes, [
      'over-transaction-cap',
      'over-hourly-velocity',
      'over-daily-velocity',
      'fiat-not-posted',
      'supply-over-reserves',
    ]);
    for (const v of result.violations) {
      assert.equal(v.field, 'amount');
      assert.ok(
        v.message.startsWith('amount: 300000000000000.000000 ') ||
          v.code === 'supply-over-reserves',
      );
      assert.ok(v.rule.length > 0);
    }
    assert.equal(
      result.violations[0]!.message,
      'amount: 300000000000000.000000 is over the per-transaction cap of 5000000.000000',
    );
    assert.equal(
      result.violations[1]!.message,
      'amount: 300000000000000.000000 is over the hourly mint velocity: 10000000.000000 available now',
    );
    assert.equal(
      result.violations[3]!.message,
      'amount: 300000000000000.000000 is not covered by posted fiat: 0.000000 posted',
    );
    // Refused: nothing is taken from the buckets.
    assert.equal(result.hourBucket.level, units(10_000_000n));
    assert.equal(result.dayBucket.level, units(50_000_000n));
  });

  it('reports one rule alone when only one is broken', () => {
    const one = (overrides: Partial<MintLimitsInput>) =>
      checkMintLimits(input(overrides)).violations.map((v) => v.code);
    assert.deepEqual(one({ perTransactionCap: m(units(1_000_000n) - 1n) }), [
      'over-transaction-cap',
    ]);
    assert.deepEqual(one({ hourBucket: open(units(999_999n)) }), ['over-hourly-velocity']);
    assert.deepEqual(one({ dayBucket: open(units(999_999n)) }), ['over-daily-velocity']);
    assert.deepEqual(one({ postedFiat: m(units(1_000_000n) - 1n) }), ['fiat-not-posted']);
    assert.deepEqual(one({ reserves: m(units(21_000_000n) - 1n) }), ['supply-over-reserves']);
  });

  it('lets nothing pass a limit of 0: there is no "0 = unlimited"', () => {
    const closed = createTokenBucket({ capacity: m(0n), refillPerHour: m(0n), nowUs: t0 });
    const codes = checkMintLimits(
      input({
        amount: m(1n),
        perTransactionCap: m(0n),
        hourBucket: closed,
        dayBucket: closed,
        reserves: m(0n),
      }),
    ).violations.map((v) => v.code);
    assert.deepEqual(codes, [
      'over-transaction-cap',
      'over-hourly-velocity',
      'over-daily-velocity',
      'supply-over-reserves',
    ]);
  });

  it('refuses malformed input, naming the field', () => {
    const cases: [Partial<MintLimitsInput>, string, string][] = [
      [{ amount: m(0n) }, 'amount-invalid', 'amount'],
      [{ amount: m(-1n) }, 'amount-invalid', 'amount'],
      [{ amount: 5 as unknown as Micro }, 'amount-invalid', 'amount'],
      [{ perTransactionCap: m(-1n) }, 'amount-invalid', 'perTransactionCap'],
      [{ supplyAfter: m(1n) }, 'limit-invalid', 'supplyAfter'],
      [{ hourBucket: { ...open(10n), level: m(11n) } }, 'limit-invalid', 'hourBucket.level'],
    ];
    for (const [overrides, code, field] of cases)
      throwsCode(() => checkMintLimits(input(overrides)), code, field);
  });
});
