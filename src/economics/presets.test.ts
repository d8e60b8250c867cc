import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClearpegError } from '../errors.ts';
import { loadDtb3 } from '../reserves/rates.ts';
import { type Headline, preset, presetNames, withinTolerance } from './presets.ts';
import { parseScenario } from './scenario.ts';
import { prepare, simulate } from './simulate.ts';
import { assertIdentities } from './testing.ts';

const curve = loadDtb3();

describe('presets', () => {
  for (const name of presetNames.filter((n) => n !== 'clearpeg-demo'))
    it(`${name}: every headline within its documented tolerance, every day's identities hold`, () => {
      const p = preset(name);
      const scenario = parseScenario(p.scenario);
      const run = simulate(prepare(scenario, curve));
      assertIdentities(run.days, scenario.capital);
      const headlines = p.headlines(run);
      assert.ok(
        headlines.some((h) => h.tolerance !== null),
        'at least one judged headline',
      );
      for (const h of headlines)
        assert.notEqual(
          withinTolerance(h),
          false,
          `${h.label}: ${h.simulated} against ${h.published}`,
        );
    });

  it('judges a tolerance the way docs/economics.md states it', () => {
    const h = (
      simulated: bigint,
      published: bigint,
      tolerance: Headline['tolerance'],
    ): Headline => ({
      label: 'x',
      unit: 'usd',
      simulated,
      published,
      source: 's',
      tolerance,
    });
    assert.equal(withinTolerance(h(105n, 100n, { kind: 'relative', bps: 500 })), true);
    assert.equal(withinTolerance(h(106n, 100n, { kind: 'relative', bps: 500 })), false);
    assert.equal(withinTolerance(h(94n, 100n, { kind: 'relative', bps: 500 })), false);
    assert.equal(withinTolerance(h(130n, 100n, { kind: 'absolute', amount: 30n })), true);
    assert.equal(withinTolerance(h(131n, 100n, { kind: 'absolute', amount: 30n })), false);
    assert.equal(withinTolerance(h(1n, 0n, { kind: 'exact' })), false);
    assert.equal(withinTolerance(h(1n, 0n, null)), null);
  });

  it('fails a headline when the book it describes changes', () => {
    // Circle's reserve income on half the supply is far outside ±5 %.
    const p = preset('circle-2024');
    const run = simulate(
      prepare(
        parseScenario({
          ...p.scenario,
          supply: {
            ...p.scenario.supply,
            initial: '12200000000',
            points: [{ date: '2024-12-31', supply: '22000000000' }],
          },
        }),
        curve,
      ),
    );
    assert.equal(withinTolerance(p.headlines(run)[0]!), false);
  });

  it('refuses an unknown preset naming the field and the names', () => {
    assert.throws(
      () => preset('tether-2025'),
      (e: unknown) =>
        e instanceof ClearpegError &&
        e.code === 'preset-unknown' &&
        e.field === 'preset' &&
        /issuer-2024/.test(e.message),
    );
  });
});
