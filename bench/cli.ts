/**
 * The CLI benchmark: how long a `clearpeg` command takes from the shell, start to exit.
 *
 * Setup, not timed: `node scripts/build.js` (what `npm install` runs), so that bin/clearpeg.js
 * runs the compiled JavaScript in dist/.
 *
 * Timed, each as a fresh `node` process, N times in turn (N = 15; `BENCH_QUICK=1`: 5), the
 * median printed:
 *   help            `clearpeg help`: the command table, no command loaded
 *   reserves-price  `clearpeg reserves price …`: a local command (bill math, no server)
 *   mint-list       `clearpeg mint list` against a port where nothing listens (exit 1 at once):
 *                   what an API command costs before its request, its module and the HTTP client
 *   help.from-sources  `clearpeg help` run from the TypeScript sources through tsx
 *                      (CLEARPEG_FROM_SOURCES=1): what every command cost before dist/
 * Baseline, in the same run and the same turns: `node -e 0`. Ratios to it are printed as
 * `cli.<name>.vs-node` (target: help and reserves-price at most 4).
 *
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { print, printMachine } from './lib/report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/clearpeg.js', import.meta.url));
const runs = process.env.BENCH_QUICK === '1' ? 5 : 15;

const workloads: Record<string, { args: string[]; env?: Record<string, string>; status?: number }> =
  {
    'baseline.node-e-0': { args: ['-e', '0'] },
    help: { args: [bin, 'help'] },
    'reserves-price': {
      args: [
        bin,
        'reserves',
        'price',
        '--discount-rate',
        '4.48',
        '--issue-date',
        '2025-01-02',
        '--maturity-date',
        '2025-01-30',
      ],
    },
    'mint-list': {
      args: [bin, 'mint', 'list'],
      env: { CLEARPEG_URL: 'http://127.0.0.1:1', CLEARPEG_API_KEY: 'ck_bench' },
      status: 1,
    },
    'help.from-sources': { args: [bin, 'help'], env: { CLEARPEG_FROM_SOURCES: '1' } },
  };

/** Runs one workload once; returns its wall time in ms (it must exit 0). */
function once(name: string): number {
  const { args, env, status = 0 } = workloads[name]!;
  const startedNs = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - startedNs) / 1e6;
  if (run.status !== status) throw new Error(`${name} exited ${run.status}: ${run.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

printMachine();
execFileSync(process.execPath, ['scripts/build.js'], { cwd: root, stdio: 'inherit' });
console.log(`# ${runs} runs of each, in turn; medians`);
const times = new Map<string, number[]>(Object.keys(workloads).map((name) => [name, []]));
for (const name of Object.keys(workloads)) once(name); // warm the file cache
for (let i = 0; i < runs; i++)
  for (const name of Object.keys(workloads)) times.get(name)!.push(once(name));
const baselineMs = median(times.get('baseline.node-e-0')!);
for (const [name, values] of times) print(`cli.${name}`, median(values), 'ms');
for (const name of Object.keys(workloads).filter((n) => !n.startsWith('baseline')))
  print(`cli.${name}.vs-node`, median(times.get(name)!) / baselineMs, '×');
