import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { businessDeadlineUs, isBusinessDay } from './calendar.ts';
import { throwsCode } from './testing.ts';

const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

describe('US banking business days', () => {
  it("knows the Federal Reserve's 2026 holidays (federalreserve.gov/aboutthefed/k8.htm)", () => {
    for (const day of [
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-05-25',
      '2026-06-19',
      '2026-09-07',
      '2026-10-12',
      '2026-11-11',
      '2026-11-26',
      '2026-12-25',
    ])
      assert.equal(isBusinessDay(day), false, day);
    // July 4, 2026 is a Saturday: the Fed does not move it, so Friday July 3 is open.
    assert.equal(isBusinessDay('2026-07-03'), true);
    assert.equal(isBusinessDay('2026-11-27'), true);
    assert.equal(isBusinessDay('2026-11-28'), false); // Saturday
  });

  it('observes a Sunday holiday on the Monday after', () => {
    assert.equal(isBusinessDay('2022-06-20'), false); // Juneteenth 2022 was a Sunday
    assert.equal(isBusinessDay('2023-01-02'), false); // New Year's Day 2023 was a Sunday
    assert.equal(isBusinessDay('2021-06-18'), true); // before Juneteenth was a holiday
  });

  it('puts a T+n deadline at the end of the n-th business day', () => {
    // Wednesday before Thanksgiving, T+1: Thursday is a holiday, so the end of Friday.
    assert.equal(businessDeadlineUs(us('2026-11-25T15:00:00Z'), 1), us('2026-11-28T00:00:00Z'));
    // Friday T+1: the end of Monday.
    assert.equal(businessDeadlineUs(us('2026-11-27T23:59:59Z'), 1), us('2026-12-01T00:00:00Z'));
    // Saturday T+0: the end of Monday.
    assert.equal(businessDeadlineUs(us('2026-11-28T10:00:00Z'), 0), us('2026-12-01T00:00:00Z'));
  });

  it('refuses a malformed date or count, naming the field', () => {
    throwsCode(() => isBusinessDay('2026-13-01'), 'date-invalid');
    throwsCode(() => businessDeadlineUs(0n, -1), 'business-days-invalid');
  });
});
