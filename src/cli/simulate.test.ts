import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { preset } from '../economics/presets.ts';
import { UsageError } from './io.ts';
import { simulateCommand } from './simulate.ts';
import { type DemoServer, runCommand, startDemoServer, testConfig } from './testing.ts';

describe('clearpeg simulate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-simulate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a preset’s income statement and its headlines beside the published figures', async () => {
    const { code, out } = await runCommand(simulateCommand, ['--preset', 'circle-2024', '--check']);
    assert.equal(code, 0, out);
    assert.match(out, /^circle-2024: /);
    assert.match(out, /income statement \(simulated\)/);
    assert.match(
      out,
      /ok {2}Reserve income 2024\n {6}simulated \$1\.[0-9]{2}B, published \$1\.66B, difference [−-]?[0-9.]+ %, tolerance ±5\.00 %/,
    );
    assert.doesNotMatch(out, /OUT/);
  });

  it('exits 1 under --check when a --set pushes a headline out of its tolerance', async () => {
    const { code, out } = await runCommand(simulateCommand, [
      '--preset',
      'circle-2024',
      '--set',
      'revenueShareBps=3000',
      '--check',
    ]);
    assert.equal(code, 1);
    assert.match(out, /OUT Distribution and transaction costs 2024/);
  });

  it('writes JSON, CSV and the SVG chart, the same bytes for the same seed', async () => {
    const svg = join(dir, 'chart.svg');
    const json = await runCommand(simulateCommand, [
      '--preset',
      'svb-2023',
      '--json',
      '--svg',
      svg,
    ]);
    const again = await runCommand(simulateCommand, ['--preset', 'svb-2023', '--json']);
    assert.equal(json.out, again.out);
    const doc = JSON.parse(json.out);
    assert.equal(doc.format, 'clearpeg-simulation/1');
    assert.equal(doc.days.length, 45);
    assert.equal(doc.scenario.name, 'svb-2023');
    assert.ok(doc.headlines.every((h: { within: boolean | null }) => h.within !== false));
    assert.match(doc.summary.net, /^[0-9]+\.[0-9]{6}$/);
    const chart = readFileSync(svg, 'utf8');
    assert.match(chart, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(chart, /Eligible reserves ÷ what is owed/);
    const csv = await runCommand(simulateCommand, ['--preset', 'svb-2023', '--csv']);
    const lines = csv.out.split('\n');
    assert.equal(lines.length, 46);
    assert.match(lines[0]!, /^date,rate_bp,supply,.*,same_day,next_day,within_week,beyond$/);
    const frozen = lines.find((l) => l.startsWith('2023-03-11,'))!.split(',');
    assert.equal(frozen[7], '3300000000.000000', 'the frozen column on the Saturday');
  });

  it('runs Monte Carlo paths on threads: the seed decides the spreads', async () => {
    const args = ['--preset', 'svb-2023', '--paths', '40', '--json'];
    const a = JSON.parse((await runCommand(simulateCommand, [...args, '--threads', '2'])).out);
    const b = JSON.parse((await runCommand(simulateCommand, [...args, '--threads', '0'])).out);
    const c = JSON.parse((await runCommand(simulateCommand, [...args, '--seed', '99'])).out);
    assert.equal(a.monteCarlo.paths, 40);
    assert.deepEqual(a.monteCarlo, b.monteCarlo);
    assert.notDeepEqual(a.monteCarlo.net, c.monteCarlo.net);
    const text = await runCommand(simulateCommand, ['--preset', 'svb-2023', '--paths', '20']);
    assert.match(text.out, /Monte Carlo: 20 paths of rates and redemptions, seed 20240101/);
    assert.match(text.out, /coverage breached +in 20 of 20 paths, first on 2023-03-10/);
  });

  it('reads a scenario file, and refuses bad input naming the field, changing nothing', async () => {
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify({ ...preset('rate-cuts').scenario, days: 30 }));
    const { code, out } = await runCommand(simulateCommand, ['--scenario', file]);
    assert.equal(code, 0);
    assert.match(out, /30 days/);
    for (const [args, message] of [
      [['--preset', 'nope'], /^preset: must be one of issuer-2024, /],
      [['--preset', 'svb-2023', '--set', 'reserves.cashBps=20000'], /^reserves\.cashBps: /],
      [['--preset', 'svb-2023', '--set', 'stresses.0.amount=-1'], /^stresses\.0\.amount: /],
      [['--preset', 'svb-2023', '--paths', 'many'], /^--paths: must be a whole number/],
      [['--preset', 'svb-2023', '--json', '--csv'], /at most one of --json and --csv/],
      [['--scenario', join(dir, 'missing.json')], /^--scenario: /],
      [[], /one of --preset NAME or --scenario/],
    ] as const)
      await assert.rejects(
        runCommand(simulateCommand, args),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
  });
});

describe('clearpeg simulate --preset clearpeg-demo', () => {
  let demo: DemoServer;
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-simulate-demo-'));
  before(async () => {
    demo = await startDemoServer(dir);
  });
  after(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from the running issuer’s verified attestation: the first day is its book', async () => {
    const url = `http://127.0.0.1:${demo.port}`;
    const state = join(dir, 'state');
    const { code, out } = await runCommand(
      simulateCommand,
      [
        '--preset',
        'clearpeg-demo',
        url,
        '--trust-on-first-use',
        '--state',
        state,
        '--check',
        '--json',
      ],
      testConfig,
    );
    assert.equal(code, 0, out);
    const doc = JSON.parse(out);
    assert.equal(doc.scenario.name, 'clearpeg-demo');
    assert.equal(doc.headlines.length, 3);
    for (const h of doc.headlines)
      assert.equal(h.within, true, `${h.label}: ${h.simulated} against ${h.published}`);
    // The demo owes its customers dollars and tokens: a book of millions, not zero.
    assert.ok(Number(doc.days[0].supply) > 1_000_000, doc.days[0].supply);
    // A log that does not verify (a wrong pinned key) starts nothing.
    const wrong = await runCommand(simulateCommand, [
      '--preset',
      'clearpeg-demo',
      url,
      '--key',
      'wrong+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      '--quorum',
      '0',
      '--state',
      join(dir, 'other'),
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /did not verify/);
  });
});
