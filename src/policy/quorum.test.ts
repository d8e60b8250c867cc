import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClearpegError } from '../errors.ts';
import { amountMax, type Micro, units } from '../money/money.ts';
import { throwsCode } from '../testing.ts';
import { type QuorumTier, quorumLimits, requiredApprovals, validateTiers } from './quorum.ts';

const tiers: QuorumTier[] = [
  { upTo: units(10_000n), approvals: 1 },
  { upTo: units(1_000_000n), approvals: 2 },
  { upTo: null, approvals: 3 },
];

describe('validateTiers', () => {
  it('accepts an ascending list ending in upTo null', () => {
    assert.equal(validateTiers(tiers), tiers);
    assert.ok(validateTiers([{ upTo: null, approvals: 1 }]));
    assert.ok(
      validateTiers([
        { upTo: 0n as Micro, approvals: 1 },
        { upTo: null, approvals: 1 },
      ]),
    );
  });

  it('refuses every broken rule, naming the field', () => {
    const cases: [QuorumTier[], string][] = [
      [[], 'tiers'],
      [[{ upTo: units(1n), approvals: 1 }], 'tiers.0.upTo'],
      [
        [
          { upTo: null, approvals: 1 },
          { upTo: null, approvals: 2 },
        ],
        'tiers.0.upTo',
      ],
      [[{ upTo: null, approvals: 0 }], 'tiers.0.approvals'],
      [
        [
          { upTo: units(1n), approvals: 0 },
          { upTo: null, approvals: 1 },
        ],
        'tiers.0.approvals',
      ],
      [[{ upTo: null, approvals: 1.5 }], 'tiers.0.approvals'],
      [[{ upTo: null, approvals: -1 }], 'tiers.0.approvals'],
      [[{ upTo: null, approvals: quorumLimits.approvalsPerTierMax + 1 }], 'tiers.0.approvals'],
      [[tiers[1]!, tiers[0]!, tiers[2]!], 'tiers.1.upTo'],
      [[tiers[0]!, tiers[0]!, tiers[2]!], 'tiers.1.upTo'],
      [
        [tiers[0]!, { upTo: units(20_000n), approvals: 1 }, { upTo: null, approvals: 0 }],
        'tiers.2.approvals',
      ],
      [
        [
          { upTo: units(1n), approvals: 3 },
          { upTo: null, approvals: 2 },
        ],
        'tiers.1.approvals',
      ],
      [
        [
          { upTo: -1n as Micro, approvals: 1 },
          { upTo: null, approvals: 1 },
        ],
        'tiers.0.upTo',
      ],
      [
        [
          { upTo: 5 as unknown as Micro, approvals: 1 },
          { upTo: null, approvals: 1 },
        ],
        'tiers.0.upTo',
      ],
    ];
    for (const [list, field] of cases) {
      assert.throws(
        () => validateTiers(list),
        (error: unknown) => error instanceof ClearpegError && error.field === field,
        `${JSON.stringify(list, (_, v) => (typeof v === 'bigint' ? `${v}` : v))} names ${field}`,
      );
    }
    throwsCode(() => validateTiers([{ upTo: null, approvals: 0 }]), 'quorum-tiers-invalid');
  });

  it('refuses more than 10 tiers', () => {
    const list = (count: number): QuorumTier[] =>
      Array.from({ length: count }, (_, i) => ({
        upTo: i === count - 1 ? null : units(BigInt(i + 1)),
        approvals: 1,
      }));
    assert.ok(validateTiers(list(quorumLimits.tiersMax)));
    throwsCode(
      () => validateTiers(list(quorumLimits.tiersMax + 1)),
      'quorum-tiers-invalid',
      'tiers',
    );
  });
});

describe('requiredApprovals', () => {
  it('takes upTo as inclusive, at every boundary', () => {
    assert.equal(requiredApprovals(tiers, 0n as Micro), 1);
    assert.equal(requiredApprovals(tiers, units(10_000n)), 1);
    assert.equal(requiredApprovals(tiers, (units(10_000n) + 1n) as Micro), 2);
    assert.equal(requiredApprovals(tiers, units(1_000_000n)), 2);
    assert.equal(requiredApprovals(tiers, (units(1_000_000n) + 1n) as Micro), 3);
    assert.equal(requiredApprovals(tiers, amountMax as Micro), 3);
  });

  it('refuses a bad amount or a bad list', () => {
    throwsCode(() => requiredApprovals(tiers, -1n as Micro), 'amount-invalid', 'amount');
    throwsCode(() => requiredApprovals([], 1n as Micro), 'quorum-tiers-invalid');
  });

  it('never needs fewer than 1, nor fewer for a larger amount (property)', () => {
    const tiersArb = fc
      .uniqueArray(fc.bigInt({ min: 0n, max: 10n ** 20n }), { minLength: 0, maxLength: 9 })
      .chain((bounds) =>
        fc
          .array(fc.integer({ min: 1, max: 16 }), {
            minLength: bounds.length + 1,
            maxLength: bounds.length + 1,
          })
          .map((approvals) => {
            const sorted = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
            approvals.sort((a, b) => a - b);
            return approvals.map((n, i) => ({
              upTo: (sorted[i] ?? null) as Micro | null,
              approvals: n,
            }));
          }),
      );
    const amountArb = fc.bigInt({ min: 0n, max: 10n ** 21n });
    fc.assert(
      fc.property(tiersArb, amountArb, amountArb, (list, a, b) => {
        const [small, large] = (a <= b ? [a, b] : [b, a]) as [Micro, Micro];
        const needSmall = requiredApprovals(list, small);
        assert.ok(needSmall >= 1);
        assert.ok(requiredApprovals(list, large) >= needSmall);
      }),
    );
  });
});
