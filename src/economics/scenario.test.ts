import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClearpegError } from '../errors.ts';
import { parseScenario, scenarioJson, setField } from './scenario.ts';
import { smallScenario } from './testing.ts';

/** Asserts `f` throws a `scenario-invalid` naming `field`. */
function refused(f: () => unknown, field: string, rule?: RegExp, code = 'scenario-invalid') {
  assert.throws(f, (error: unknown) => {
    assert.ok(error instanceof ClearpegError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.field, field);
    assert.ok(
      error.message.startsWith(code === 'scenario-invalid' ? `${field}: ` : field),
      error.message,
    );
    if (rule !== undefined) assert.match(error.message, rule);
    return true;
  });
}

describe('scenarios', () => {
  it('reads back what it writes', () => {
    const s = parseScenario(
      smallScenario({
        investments: [{ name: 'x', amount: '1.5', day: '2024-01-05', annualReturnBps: -100 }],
      }),
    );
    assert.deepEqual(parseScenario(scenarioJson(s)), s);
    assert.equal(s.capital, 500_000_000_000_000n);
    assert.equal(s.investments[0]!.amount, 1_500_000n);
  });

  it('refuses a bad field naming its path and the rule', () => {
    refused(() => parseScenario(smallScenario({ days: 0 })), 'days');
    refused(() => parseScenario(smallScenario({ capital: '1e9' })), 'capital', /decimal string/);
    refused(() => parseScenario(smallScenario({ capital: 5 as unknown as string })), 'capital');
    refused(
      () =>
        parseScenario(
          smallScenario({
            reserves: { ...smallScenario().reserves, cashBps: 6_000, repoBps: 5_000 },
          }),
        ),
      'reserves.cashBps',
      /at most 10000/,
    );
    refused(
      () =>
        parseScenario(
          smallScenario({
            investments: [{ name: 'x', amount: '1', day: '2030-01-01', annualReturnBps: 0 }],
          }),
        ),
      'investments.0.day',
      /within the scenario/,
    );
    refused(
      () => parseScenario(smallScenario({ start: '2024-02-30' })),
      'start',
      undefined,
      'date-invalid',
    );
    refused(() => parseScenario({ ...smallScenario(), extra: 1 }), 'scenario');
    refused(
      () =>
        parseScenario(
          smallScenario({ stresses: [{ kind: 'meteor', day: '2024-01-05' } as never] }),
        ),
      'stresses.0.kind',
    );
    refused(
      () =>
        parseScenario(
          smallScenario({ book: { cash: '1', repo: '0', mmf: '0', bets: '0', bills: [] } }),
        ),
      'capital',
      /equity/,
    );
  });

  it('sets a field by its dotted path, and refuses a path to nowhere', () => {
    const json = smallScenario();
    assert.equal(setField(json, 'reserves.cashBps=700').reserves.cashBps, 700);
    assert.equal(setField(json, 'capital=12.5').capital, '12.5');
    assert.equal(setField(json, 'rates.kind=hold').rates.kind, 'hold');
    assert.equal(json.reserves.cashBps, 300, 'the original is untouched');
    refused(() => setField(json, 'reserves.nothing=1'), 'reserves.nothing', /names no field/);
    refused(() => setField(json, 'days=ten'), 'days', /whole number/);
    refused(() => setField(json, 'days'), 'set');
    refused(() => setField(json, 'capital.x=1'), 'capital', /a value/);
    // A set that makes the scenario wrong is refused when it is read.
    refused(() => parseScenario(setField(json, 'reserves.cashBps=-1')), 'reserves.cashBps');
  });
});
