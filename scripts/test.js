#!/usr/bin/env node
// Runs the test suite with Node's own runner. Node 20 needs the files listed explicitly (a
// folder finds nothing and passes), so this lists every `*.test.ts` under src/.
//   npm test                 every test (the PostgreSQL ones skip, saying so, without a server);
//                            the PostgreSQL half runs first and says how many of its tests ran
//   npm run test:postgres    only the PostgreSQL half, then how many of its tests ran and skipped
//   npm run test:ha          only the failover tests (`*.ha.test.ts`: Patroni, etcd, HAProxy),
//                            one file at a time; the others never run them
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const onlyPostgres = process.argv.includes('--only-postgres');
const onlyHa = process.argv.includes('--ha');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

let files = find(join(root, 'src'))
  .sort()
  .filter((f) => f.endsWith('.ha.test.ts') === onlyHa);
if (onlyPostgres) files = files.filter((f) => f.endsWith('.postgres.test.ts'));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('test: no test files found');
  process.exit(1);
}
/**
 * V8 protects WebAssembly code pages with the CPU's memory protection keys where it has them
 * (PKU: most server CPUs, this machine's and CI's). Under PGlite, whose PostgreSQL is
 * WebAssembly run in worker threads opened and closed by the hundred here, that bookkeeping
 * races and the process dies with SIGSEGV now and then (nodejs/node#64500,
 * electric-sql/pglite#1053; one CI run of the durability test, 2026-12). The test processes
 * run without it: the flag is `--no-wasm-memory-protection-keys` in Node 20's V8 and
 * `--no-memory-protection-keys` from Node 22; children spawned by tests inherit it
 * (`inheritedV8Flags` in src/testing.ts).
 */
function withoutPkuFlags() {
  const { stdout } = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  for (const name of ['wasm-memory-protection-keys', 'memory-protection-keys'])
    if (new RegExp(`^\\s*--${name} `, 'm').test(stdout)) return [`--no-${name}`];
  return [];
}
/**
 * Runs `list` with Node's runner: the spec reporter on stdout, TAP into a file for the counts
 * and, when something failed, the diagnostics the spec reporter leaves out.
 */
function run(list) {
  const tap = join(tmpdir(), `clearpeg-test-${process.pid}-${Date.now()}.tap`);
  const args = [
    ...withoutPkuFlags(),
    '--import',
    'tsx',
    '--test',
    // The failover tests one at a time: two clusters with ttl 10 on two cores fail over spuriously.
    `--test-concurrency=${onlyHa ? 1 : 2}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...list,
  ];
  const { status } = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const summary = readFileSync(tap, 'utf8');
  rmSync(tap, { force: true });
  const count = (name) => Number(summary.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  const [pass, fail, skipped] = [count('pass'), count('fail'), count('skipped')];
  if (fail > 0 || status !== 0) {
    // The spec reporter names a file that failed as a whole but not why (exit code, signal,
    // an error after its tests): the TAP diagnostics do.
    console.log('\nfailures (TAP diagnostics):');
    const lines = summary.split('\n');
    lines.forEach((line, i) => {
      if (!/^\s*not ok /.test(line)) return;
      const indent = line.search(/\S/);
      const block = [line];
      for (let j = i + 1; j < lines.length && j < i + 60; j++) {
        if (lines[j].trim() !== '' && lines[j].search(/\S/) <= indent) break;
        block.push(lines[j]);
      }
      console.log(block.join('\n'));
    });
  }
  return { ok: status === 0 && fail === 0, pass, fail, skipped };
}

// The PostgreSQL half first, on its own, so that every run says whether it ran.
const postgresFiles = files.filter((f) => f.endsWith('.postgres.test.ts'));
const otherFiles = files.filter((f) => !f.endsWith('.postgres.test.ts'));
const runs = [];
if (postgresFiles.length > 0) {
  const r = run(postgresFiles);
  console.log(`postgres: ${r.pass + r.fail} tests ran, ${r.skipped} skipped`);
  runs.push(r);
}
if (otherFiles.length > 0) runs.push(run(otherFiles));
const total = (key) => runs.reduce((sum, r) => sum + r[key], 0);
const [pass, fail, skipped] = [total('pass'), total('fail'), total('skipped')];
console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
process.exit(runs.every((r) => r.ok) && fail === 0 && pass > 0 ? 0 : 1);
