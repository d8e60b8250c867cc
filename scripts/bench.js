#!/usr/bin/env node
// `npm run bench -- NAME` runs bench/NAME.ts; without a name, every benchmark in turn.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const names = process.argv.slice(2);
const all = readdirSync(new URL('../bench/', import.meta.url))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
for (const name of names.length > 0 ? names : all) {
  if (!all.includes(name)) {
    console.error(`bench: no benchmark named ${name} (have: ${all.join(', ')})`);
    process.exit(2);
  }
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
    stdio: 'inherit',
  });
  if (status !== 0) process.exit(status ?? 1);
}
