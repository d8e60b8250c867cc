import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { type Chart, type ChartPanel, renderSvg } from './chart.ts';

const million = 1_000_000_000_000n; // one million dollars in micro-dollars
const days = (count: number, from = '2016-01-01') =>
  Array.from({ length: count }, (_, index) => addDays(from, index));

/** A seeded generator (xorshift32), so the test data are the same on every run. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** A random walk of micro-dollars: `count` values from `start`, steps up to `stepMax`. */
function walk(count: number, seed: number, start: bigint, stepMax: bigint): bigint[] {
  const next = generator(seed);
  let value = start;
  return Array.from({ length: count }, () => {
    value += BigInt(Math.floor((next() * 2 - 1) * 1_000_000)) * (stepMax / 1_000_000n);
    return value;
  });
}

/**
 * Whether `svg` is well-formed XML as this renderer writes it: one root, every element closed
 * in order, attribute values quoted, no raw `<` or stray `&` in text or attributes.
 */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let roots = 0;
  for (const match of svg.matchAll(token)) {
    const [whole, closing, name, attributes, selfClosing, text, stray] = match;
    assert.equal(stray, undefined, `a stray '<' at ${match.index}`);
    if (text !== undefined) {
      if (stack.length === 0) assert.match(text, /^\s*$/, 'text outside the root');
      assert.doesNotMatch(text, /&(?!(?:amp|lt|gt|quot|apos);)/, `a raw '&' in ${text}`);
      assert.doesNotMatch(text, />/, `a raw '>' in ${text}`);
      continue;
    }
    assert.doesNotMatch(attributes ?? '', /&(?!(?:amp|lt|gt|quot|apos);)/, whole);
    if (closing === '/') assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (selfClosing === '/') {
      if (stack.length === 0) roots += 1;
    } else {
      if (stack.length === 0) roots += 1;
      stack.push(name!);
    }
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
}

/** The numbers of a path's `d`: [[x, y], …]. */
function points(d: string): [number, number][] {
  return [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Each y tick of panel `panel`: its label and the y of its grid line. */
function yTicks(svg: string, panel: number): { label: string; y: number }[] {
  const group = panelGroup(svg, panel);
  const grid = [...group.matchAll(/<line class="grid" x1="[\d.]+" y1="([\d.]+)"/g)];
  const labels = [...group.matchAll(/<text class="y-tick"[^>]*>([^<]*)<\/text>/g)];
  assert.equal(grid.length, labels.length);
  return grid.map((line, index) => ({ label: labels[index]![1]!, y: Number(line[1]) }));
}

function panelGroup(svg: string, panel: number): string {
  const start = svg.indexOf(`<g class="panel" data-panel="${panel}">`);
  assert.ok(start >= 0, `panel ${panel}`);
  return svg.slice(start, svg.indexOf('</g>', start));
}

function paths(svg: string, panel: number): string[] {
  return [...panelGroup(svg, panel).matchAll(/<path class="series"[^>]* d="([^"]*)"/g)].map(
    (m) => m[1]!,
  );
}

function tenYears(): Chart {
  const dates = days(3653);
  const income = walk(dates.length, 1, 2n * million, 400_000_000_000n);
  let sum = 0n;
  const cumulative = income.map((value) => (sum += value));
  const coverage = walk(dates.length, 2, 10_200n, 4_000_000n).map((v) => v / 1_000_000n);
  return {
    title: 'Ten years',
    dates,
    note: 'Simulated.',
    panels: [
      {
        title: 'Income',
        unit: 'usd',
        series: [
          { name: 'daily net income', values: income },
          { name: 'cumulative', values: cumulative },
        ],
      },
      {
        title: 'Coverage',
        unit: 'bps',
        series: [{ name: 'eligible reserves / supply', values: coverage }],
        reference: { label: '100 %', value: 10_000n },
      },
      {
        title: 'Equity',
        unit: 'usd',
        series: [{ name: 'equity', values: cumulative.map((v) => v - 500n * million) }],
        reference: { label: 'zero equity', value: 0n },
      },
    ],
  };
}

describe('renderSvg', () => {
  it('writes well-formed XML, escaping the text it is given', () => {
    const svg = renderSvg({
      title: `Tom & Jerry's <"chart">`,
      dates: days(40),
      note: 'a < b && c > d',
      panels: [
        {
          title: 'P&L <daily>',
          unit: 'usd',
          series: [{ name: `"quoted" & 'single'`, values: days(40).map((_, i) => BigInt(i)) }],
        },
      ],
    });
    assertWellFormed(svg);
    assert.ok(svg.includes('Tom &amp; Jerry&apos;s &lt;&quot;chart&quot;&gt;'));
    assert.ok(svg.includes('P&amp;L &lt;daily&gt;'));
    assert.ok(svg.includes('a &lt; b &amp;&amp; c &gt; d'));
    assert.ok(svg.includes('font-family="system-ui, sans-serif"'));
    assertWellFormed(renderSvg(tenYears()));
  });

  it('gives byte-identical output for the same input, and different output for other data', () => {
    const first = renderSvg(tenYears());
    assert.equal(renderSvg(tenYears()), first);
    const other = tenYears();
    const changed = {
      ...other,
      panels: [{ ...other.panels[0]!, title: 'Income!' }, ...other.panels.slice(1)],
    };
    assert.notEqual(renderSvg(changed), first);
  });

  it('prints every coordinate with at most one decimal', () => {
    const svg = renderSvg(tenYears());
    const numbers = [...svg.matchAll(/ (?:[xy][12]?|c[xy]|d)="([^"]*)"/g)].flatMap((m) =>
      m[1]!.split(/[ML ]/).filter(Boolean),
    );
    assert.ok(numbers.length > 1000);
    for (const number of numbers) assert.match(number, /^-?\d+(\.\d)?$/);
  });

  it('labels dollar ticks with B and M and a true minus, percent ticks from basis points', () => {
    const dates = days(3);
    const svg = renderSvg({
      title: 't',
      dates,
      panels: [
        {
          title: 'billions',
          unit: 'usd',
          series: [{ name: 's', values: [0n, 1_200n * million, 1_500n * million] }],
        },
        {
          title: 'losses',
          unit: 'usd',
          series: [{ name: 's', values: [-4_100_000n * 1_000_000n, -350_000n * 1_000_000n, 0n] }],
        },
        {
          title: 'coverage',
          unit: 'bps',
          series: [{ name: 's', values: [10_450n, 10_400n, 10_300n] }],
        },
      ],
    });
    assert.deepEqual(
      yTicks(svg, 0).map((t) => t.label),
      ['$0', '$500M', '$1.0B', '$1.5B'],
    );
    const losses = yTicks(svg, 1).map((t) => t.label);
    assert.deepEqual(losses, ['−$5M', '−$4M', '−$3M', '−$2M', '−$1M', '$0']);
    assert.deepEqual(
      yTicks(svg, 2).map((t) => t.label),
      ['103.0 %', '103.5 %', '104.0 %', '104.5 %'],
    );
    // Ticks run upward: a larger value is higher on the page (a smaller y).
    for (const panel of [0, 1, 2]) {
      const ys = yTicks(svg, panel).map((t) => t.y);
      assert.deepEqual(
        ys,
        [...ys].sort((a, b) => b - a),
      );
    }
  });

  it('keeps a one-day spike visible after downsampling ten years', () => {
    const dates = days(3653);
    for (const spikeAt of [0, 1_234, 3_000, 3_652]) {
      const values = dates.map((_, i) => (i === spikeAt ? 1_000n * million : 0n));
      const svg = renderSvg({
        title: 'spike',
        dates,
        panels: [{ title: 'p', unit: 'usd', series: [{ name: 's', values }] }],
      });
      const [d] = paths(svg, 0);
      const drawn = points(d!);
      assert.ok(drawn.length < 2 * 853 + 2, `downsampled to ${drawn.length} points`);
      const top = yTicks(svg, 0).find((t) => t.label === '$1.0B')!;
      const zero = yTicks(svg, 0).find((t) => t.label === '$0')!;
      assert.equal(Math.min(...drawn.map(([, y]) => y)), top.y, `spike on day ${spikeAt}`);
      assert.equal(drawn.filter(([, y]) => y === top.y).length, 1);
      assert.equal(Math.max(...drawn.map(([, y]) => y)), zero.y);
      // The spike sits at its own date's x, between the first and the last.
      const xs = drawn.map(([x]) => x);
      const spikeX = drawn.find(([, y]) => y === top.y)![0];
      const expected = xs[0]! + ((xs.at(-1)! - xs[0]!) * spikeAt) / (dates.length - 1);
      assert.ok(Math.abs(spikeX - expected) <= 0.1, `${spikeX} vs ${expected}`);
    }
  });

  it('draws the reference line where the scale puts its value', () => {
    const svg = renderSvg(tenYears());
    for (const [panel, value] of [
      [1, 10_000n],
      [2, 0n],
    ] as const) {
      const ticks = yTicks(svg, panel);
      const reference = panelGroup(svg, panel).match(/<line class="reference"[^>]* y1="([\d.]+)"/);
      assert.ok(reference);
      const first = ticks[0]!;
      const last = ticks.at(-1)!;
      const low = tickValue(first.label);
      const high = tickValue(last.label);
      assert.ok(low <= value && value <= high);
      const expected = first.y + ((last.y - first.y) * Number(value - low)) / Number(high - low);
      assert.ok(Math.abs(Number(reference[1]) - expected) <= 0.1, `${reference[1]} vs ${expected}`);
    }
  });

  it('stays under 200 KB for ten years of four series', () => {
    const bytes = Buffer.byteLength(renderSvg(tenYears()));
    assert.ok(bytes < 200_000, `${bytes} bytes`);
    assert.ok(bytes > 20_000, `${bytes} bytes: the lines are drawn`);
  });

  it('labels years on a long chart and months on a short one', () => {
    const long = renderSvg(tenYears());
    const years = [...panelGroup(long, 0).matchAll(/<text class="x-tick"[^>]*>([^<]*)</g)];
    assert.deepEqual(
      years.map((m) => m[1]),
      ['2016', '2017', '2018', '2019', '2020', '2021', '2022', '2023', '2024', '2025'],
    );
    const dates = days(100, '2024-02-15');
    const short = renderSvg({
      title: 't',
      dates,
      panels: [{ title: 'p', unit: 'bps', series: [{ name: 's', values: dates.map(() => 5n) }] }],
    });
    const months = [...short.matchAll(/<text class="x-tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(months, ['Mar 2024', 'Apr', 'May']);
  });

  it('handles a single date, a constant series, zeros and all-negative values', () => {
    const single = renderSvg({
      title: 'one day',
      dates: ['2024-12-31'],
      panels: [{ title: 'p', unit: 'usd', series: [{ name: 's', values: [7n * million] }] }],
    });
    assertWellFormed(single);
    assert.match(single, /<circle class="series"[^>]* cx="510" /);
    assert.match(single, />2024-12-31</);
    const dates = days(30);
    const svg = renderSvg({
      title: 'edge cases',
      dates,
      panels: [
        {
          title: 'constant',
          unit: 'bps',
          series: [{ name: 's', values: dates.map(() => 10_000n) }],
        },
        { title: 'zeros', unit: 'usd', series: [{ name: 's', values: dates.map(() => 0n) }] },
        {
          title: 'negative',
          unit: 'usd',
          series: [{ name: 's', values: dates.map((_, i) => -BigInt(i + 1) * million) }],
        },
      ],
    });
    assertWellFormed(svg);
    assert.deepEqual(
      yTicks(svg, 0).map((t) => t.label),
      ['90 %', '95 %', '100 %', '105 %', '110 %'],
    );
    const constant = points(paths(svg, 0)[0]!);
    assert.equal(new Set(constant.map(([, y]) => y)).size, 1);
    assert.equal(constant[0]![1], yTicks(svg, 0).find((t) => t.label === '100 %')!.y);
    const zeros = yTicks(svg, 1);
    assert.ok(zeros.some((t) => t.label === '$0'));
    assert.equal(points(paths(svg, 1)[0]!)[0]![1], zeros.find((t) => t.label === '$0')!.y);
    const negative = yTicks(svg, 2).map((t) => t.label);
    assert.equal(negative[0], '−$30M');
    assert.ok(
      negative.every((l) => l.startsWith('−$') || l === '$0'),
      negative.join(' '),
    );
    const zeroY = yTicks(svg, 2).find((t) => t.label === '$0')!.y;
    assert.ok(points(paths(svg, 2)[0]!).every(([, y]) => y > zeroY));
  });

  it('refuses empty and inconsistent charts with a clear error', () => {
    const panel: ChartPanel = { title: 'p', unit: 'usd', series: [{ name: 's', values: [1n] }] };
    const chart: Chart = { title: 't', dates: ['2024-01-02'], panels: [panel] };
    assert.throws(() => renderSvg({ ...chart, dates: [] }), RangeError);
    assert.throws(() => renderSvg({ ...chart, panels: [] }), /at least one panel/);
    assert.throws(
      () => renderSvg({ ...chart, panels: [{ ...panel, title: 'Income', series: [] }] }),
      /panel 'Income' has no series/,
    );
    assert.throws(
      () => renderSvg({ ...chart, dates: ['2024-01-02', '2024-01-03'] }),
      /panels\.0\.series\.0\.values: one value per date \(2, got 1\)/,
    );
    assert.throws(
      () =>
        renderSvg({
          ...chart,
          dates: ['2024-01-03', '2024-01-02'],
          panels: [{ ...panel, series: [{ name: 's', values: [1n, 2n] }] }],
        }),
      /strictly ascending/,
    );
    assert.throws(
      () => renderSvg({ ...chart, dates: ['2024-02-30'] }),
      (error: unknown) => error instanceof ClearpegError && error.code === 'date-invalid',
    );
    const floats = { name: 's', values: [1.5] as unknown as bigint[] };
    assert.throws(
      () => renderSvg({ ...chart, panels: [{ ...panel, series: [floats] }] }),
      TypeError,
    );
  });
});

/** The value of a tick label, in the unit the panel was given (micro-dollars or bps). */
function tickValue(label: string): bigint {
  const match = label.match(/^(−?)\$?(\d+)(?:\.(\d+))?\s?([BMK%]?)$/);
  assert.ok(match, label);
  const [, sign, whole, fraction = '', suffix] = match;
  const scale = { B: 10n ** 15n, M: 10n ** 12n, K: 10n ** 9n, '%': 100n, '': 10n ** 6n }[suffix!]!;
  const value = (BigInt(whole!) * 10n ** BigInt(fraction.length) + BigInt(fraction || '0')) * scale;
  return (sign === '−' ? -value : value) / 10n ** BigInt(fraction.length);
}
