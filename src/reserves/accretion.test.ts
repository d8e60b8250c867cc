import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addDays } from '../calendar.ts';
import type { Micro } from '../money/money.ts';
import { throwsCode } from '../testing.ts';
import {
  type AccretingBill,
  AccretionError,
  accretionBetween,
  carryingValue,
  dailyAccretion,
  schedule,
} from './accretion.ts';
import { billCost, pricePer100 } from './bills.ts';
import { integerRoot } from './decimal.ts';

/**
 * An independent reference: carrying(t) = round-half-even of y, y^N = cost^(N−t) × face^t,
 * from the exact integer root floor(2y) = ⌊(2^N × cost^(N−t) × face^t)^(1/N)⌋.
 */
function referenceCarrying(cost: bigint, face: bigint, days: number, t: number): bigint {
  const n = BigInt(days);
  const power = (1n << n) * cost ** (n - BigInt(t)) * face ** BigInt(t);
  const twice = integerRoot(power, days); // floor(2y)
  if (twice % 2n === 0n) return twice / 2n; // y in [m, m + ½)
  // y in [m + ½, m + 1): a tie only if (2y)^N is exactly twice^N (never, see accretion.ts).
  assert.notEqual(twice ** n, power, 'no exact ties');
  return (twice + 1n) / 2n;
}

function bill(cost: bigint, face: bigint, settlementDate: string, days: number): AccretingBill {
  return {
    cost: cost as Micro,
    face: face as Micro,
    settlementDate,
    maturityDate: addDays(settlementDate, days),
  };
}

describe('a 26-week bill bought at auction (912796V48, $100,000,000 face)', () => {
  const face = 100_000_000_000_000n;
  const cost = billCost(face as Micro, pricePer100('4.245', 182));
  const lot = bill(cost, face, '2022-10-20', 182);
  const days = [...schedule(lot)];

  it('costs what Treasury charged', () => assert.equal(cost, 97_853_917_000_000n));

  it('accretes exactly face − cost over 182 days, from cost to face', () => {
    assert.equal(days.length, 182);
    assert.equal(
      days.reduce((sum, d) => sum + d.accretion, 0n),
      face - cost,
    );
    assert.deepEqual(days[0], {
      day: 1,
      date: '2022-10-21',
      carryingValue: 97_865_581_915_613n,
      accretion: 11_664_915_613n,
    });
    assert.equal(days.at(-1)!.date, '2023-04-20');
    assert.equal(days.at(-1)!.carryingValue, face);
    assert.equal(carryingValue(lot, '2022-10-20'), cost);
    assert.equal(carryingValue(lot, '2023-04-20'), face);
  });

  it('matches the exact reference on every day', () => {
    for (const d of days) {
      assert.equal(d.carryingValue, referenceCarrying(cost, face, 182, d.day), d.date);
    }
  });

  it('gives the same figures one day at a time', () => {
    for (const d of days) {
      assert.equal(carryingValue(lot, d.date), d.carryingValue, d.date);
      assert.equal(dailyAccretion(lot, d.date), d.accretion, d.date);
    }
  });

  it('accretes nothing outside (settlement, maturity]', () => {
    for (const date of ['2022-10-19', '2022-10-20', '2023-04-21', '2024-01-01']) {
      assert.equal(dailyAccretion(lot, date), 0n, date);
    }
  });
});

describe('accretion properties', () => {
  const lots = fc
    .record({
      face: fc.oneof(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.constant(100_000_000_000_000n), // $100,000,000
        fc.bigInt({ min: 10n ** 14n, max: 10n ** 17n }),
      ),
      discountPpm: fc.integer({ min: 0, max: 100_000 }), // up to 10 % off face
      days: fc.oneof(
        fc.constant(1),
        fc.constant(365),
        fc.constant(366),
        fc.integer({ min: 1, max: 366 }),
      ),
      settlement: fc.integer({ min: 18_000, max: 22_000 }),
    })
    .map(({ face, discountPpm, days, settlement }) => {
      const cost = face - (face * BigInt(discountPpm)) / 1_000_000n;
      const start = addDays('1970-01-01', settlement);
      return bill(cost > 0n ? cost : 1n, face, start, days);
    });

  it('sums exactly to face − cost; each day ≥ 0 and rising within rounding', () => {
    fc.assert(
      fc.property(lots, (lot) => {
        const days = [...schedule(lot)];
        let sum = 0n;
        let previous = -1n;
        for (const d of days) {
          assert.ok(d.accretion >= 0n, 'never negative');
          assert.ok(d.accretion >= previous - 1n, 'non-decreasing within a micro-dollar');
          sum += d.accretion;
          previous = d.accretion;
        }
        assert.equal(sum, lot.face - lot.cost);
        assert.equal(days.at(-1)!.carryingValue, lot.face);
        assert.equal(days.at(-1)!.date, lot.maturityDate);
        // Spot-check the one-day functions against the schedule.
        for (const d of [days[0]!, days[days.length >> 1]!, days.at(-1)!]) {
          assert.equal(dailyAccretion(lot, d.date), d.accretion);
          assert.equal(carryingValue(lot, d.date), d.carryingValue);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives, over any span, the amounts of the schedule for those days, up to maturity', () => {
    fc.assert(
      fc.property(lots, fc.nat(), fc.integer({ min: 0, max: 400 }), (lot, start, length) => {
        const days = [...schedule(lot)];
        const first = start % (days.length + 1); // 0 (settlement) … N (maturity)
        const after = addDays(lot.settlementDate, first);
        const amounts = accretionBetween(lot, after, addDays(after, length));
        const expected = days.slice(first, first + length).map((d) => d.accretion);
        assert.deepEqual(amounts, expected);
      }),
      { numRuns: 200 },
    );
  });

  it('equals the exact integer-root reference (short bills, every day)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 40 }),
        (face, discountPpm, days) => {
          const cost = face - (face * BigInt(discountPpm)) / 1_000_000n || 1n;
          const lot = bill(cost, face, '2025-01-02', days);
          for (const d of schedule(lot)) {
            assert.equal(d.carryingValue, referenceCarrying(cost, face, days, d.day));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('equals the reference on a 365-day bill of $100,000,000', () => {
    const face = 100_000_000_000_000n;
    const cost = billCost(face as Micro, pricePer100('4.070', 365));
    const lot = bill(cost, face, '2024-12-26', 365);
    for (const t of [1, 2, 59, 182, 364]) {
      assert.equal(
        carryingValue(lot, addDays('2024-12-26', t)),
        referenceCarrying(cost, face, 365, t),
      );
    }
  });

  it('puts everything on the one day of a 1-day bill, and nothing on a bill bought at par', () => {
    const oneDay = bill(99_987_500n, 100_000_000n, '2025-03-03', 1);
    assert.deepEqual(
      [...schedule(oneDay)].map((d) => d.accretion),
      [12_500n],
    );
    const par = bill(5_000_000n, 5_000_000n, '2025-03-03', 28);
    assert.ok(
      [...schedule(par)].every((d) => d.accretion === 0n && d.carryingValue === 5_000_000n),
    );
  });
});

describe('the exact settlement near half a micro-dollar', () => {
  // cost = k² + k + 1, face = k² + 3k + 3, 2 days: cost × face = m² + m + 1 with m = (k + 1)²,
  // so carrying(1) = √(m² + m + 1) = m + ½ + about 3/(8m): above the half by ~4·10^-15 micro,
  // inside the 2^-30 tolerance, so the exact comparison decides the rounding.
  const k = 10_000_000n;
  const m = (k + 1n) ** 2n;

  it('rounds up just above the half', () => {
    const lot = bill(k * k + k + 1n, k * k + 3n * k + 3n, '2025-06-02', 2);
    assert.equal(carryingValue(lot, '2025-06-03'), m + 1n);
    assert.equal(referenceCarrying(lot.cost, lot.face, 2, 1), m + 1n);
  });

  it('rounds down just below the half', () => {
    // cost × face = m² + m: √ = m + ½ − about 1/(8m).
    const lot = bill(m, m + 1n, '2025-06-02', 2);
    assert.equal(carryingValue(lot, '2025-06-03'), m);
    assert.deepEqual(
      [...schedule(lot)].map((d) => d.accretion),
      [0n, 1n],
    );
  });
});

describe('refusals', () => {
  it('refuses a bill it cannot accrete, naming the field', () => {
    const at = (cost: bigint, face: bigint, days: number) => bill(cost, face, '2025-01-02', days);
    // Each bill is judged on 2025-01-03, the day after it settles.
    const badBill = (
      judge: (lot: AccretingBill, date: string) => unknown,
      lot: AccretingBill,
      field: string,
      message: RegExp,
    ) => throwsCode(() => judge(lot, '2025-01-03'), 'bill-invalid', field, message);
    badBill(carryingValue, at(101n, 100n, 28), 'cost', /at most face/);
    badBill(carryingValue, at(49n, 100n, 28), 'cost', /half/);
    badBill(carryingValue, at(0n, 0n, 28), 'cost', /at most face/);
    badBill(dailyAccretion, at(99n, 100n, 0), 'maturityDate', /1 to 366 days/);
    badBill(dailyAccretion, at(99n, 100n, 367), 'maturityDate', /1 to 366 days/);
    throwsCode(
      () => dailyAccretion(at(99n, 100n, 28), '2025-02-30'),
      'date-invalid',
      'to',
      /YYYY-MM-DD/,
    );
  });

  it('values only from settlement to maturity', () => {
    const lot = bill(99n, 100n, '2025-01-02', 28);
    assert.throws(
      () => carryingValue(lot, '2025-01-01'),
      (error) => error instanceof AccretionError && error.code === 'date-out-of-range',
    );
    throwsCode(() => carryingValue(lot, '2025-01-31'), 'date-out-of-range', 'date', /2025-01-30/);
    throwsCode(
      () => accretionBetween(lot, '2025-01-01', '2025-01-10'),
      'date-out-of-range',
      'after',
      /from settlementDate 2025-01-02/,
    );
    assert.deepEqual(
      accretionBetween(lot, '2025-01-30', '2025-02-10'),
      [],
      'nothing after maturity',
    );
  });
});
