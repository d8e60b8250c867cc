#!/usr/bin/env node
// The `clearpeg` command. It runs the JavaScript that `npm install` compiled into dist/
// (scripts/build.js, also `npm run build`) while no TypeScript source is newer than that build,
// and otherwise the TypeScript sources through tsx: the same program, slower to start (tsx
// costs about 0.3 s before the first line of Clearpeg runs, compiled code nothing).
// CLEARPEG_FROM_SOURCES=1 runs the sources whatever dist/ holds.
import { readdirSync, readFileSync, statSync } from 'node:fs';

const src = new URL('../src/', import.meta.url);
const dist = new URL('../dist/', import.meta.url);

/** The newest modification time of a built `.ts` file under `dir` (tests are not built). */
function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(url));
    else if (entry.name.endsWith('.ts') && !/\.(test|suite)\.ts$/.test(entry.name))
      newest = Math.max(newest, statSync(url).mtimeMs);
  }
  return newest;
}

/** Whether dist/ holds a build of the current sources. */
function built() {
  try {
    const startedMs = Number(readFileSync(new URL('.built', dist), 'utf8'));
    return startedMs > newestSourceMs(src);
  } catch {
    return false;
  }
}

let main;
if (process.env.CLEARPEG_FROM_SOURCES !== '1' && built())
  ({ main } = await import('../dist/cli/main.js'));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
