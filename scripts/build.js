#!/usr/bin/env node
// Compiles src/ to JavaScript in dist/ (tsconfig.build.json: emit only, `npm run typecheck`
// checks the types), so that `clearpeg` starts without
// compiling TypeScript on the fly. `npm install` runs it (the `prepare` script); so does
// `npm run build`. Files that are not TypeScript (the migrations) are copied beside the code
// that reads them. dist/.built records when the build started: bin/clearpeg.js uses dist/ only
// while no source file is newer than that, and otherwise runs the sources through tsx.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const startedMs = Date.now();
rmSync(dist, { recursive: true, force: true });
let tsc;
try {
  tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
} catch {
  // An install without the dev dependencies: clearpeg runs from the sources through tsx.
  console.error(
    'build: typescript is not installed; clearpeg will run from the TypeScript sources',
  );
  process.exit(0);
}
const { status } = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (status !== 0) {
  // Not a failed install: the command runs from the sources instead.
  rmSync(dist, { recursive: true, force: true });
  console.error(
    'build: tsc failed; clearpeg will run from the TypeScript sources (slower to start)',
  );
  process.exit(0);
}
cpSync(join(root, 'src'), dist, {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
});
writeFileSync(join(dist, '.built'), `${startedMs}\n`);
