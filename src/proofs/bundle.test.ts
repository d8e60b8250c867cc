/**
 * `src/proofs/` runs in a browser as it is: every file bundles with esbuild for the browser
 * platform (which refuses any `node:` import or Node-only package), the bundle names no Node
 * global (`Buffer`, `process`, `require`), and every import is `@noble/hashes`,
 * `@noble/curves` or another file of `src/proofs/`. The holder's verifier is this library,
 * so what it may depend on is checked here, not promised.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const folder = dirname(fileURLToPath(import.meta.url));

/** The library's files (not its tests), by name. */
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .sort();

/** What a file of `src/proofs/` may import. */
const allowed = [
  /^@noble\/hashes\/[a-z0-9_-]+\.js$/,
  /^@noble\/curves\/[a-z0-9_-]+\.js$/,
  /^\.\/[a-z0-9-]+\.ts$/,
];

/** Every specifier in `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`. */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\b(?:import|require)\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[2]!));
}

describe('src/proofs runs in a browser', () => {
  it('imports only @noble and its own files', () => {
    assert.ok(files.includes('hash.ts'));
    const found = files.flatMap((name) =>
      specifiers(readFileSync(join(folder, name), 'utf8'))
        .filter((specifier) => !allowed.some((rule) => rule.test(specifier)))
        .map((specifier) => `${name} imports ${specifier}`),
    );
    assert.deepEqual(found, []);
  });

  it('bundles for the browser platform, naming no Node global', async () => {
    const result = await build({
      entryPoints: files.map((name) => join(folder, name)),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      outdir: 'out',
      logLevel: 'silent',
    });
    assert.deepEqual(result.errors, []);
    assert.equal(result.outputFiles.length, files.length);
    for (const output of result.outputFiles) {
      // Comments may name them; code may not.
      const code = output.text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
      for (const global of [
        /(?<![\w$])Buffer\b/,
        /(?<![\w$.])process\.[a-z]/,
        /(?<![\w$.])require\(/,
      ])
        assert.doesNotMatch(code, global, output.path);
    }
  });

  it('would refuse a file that imports Node', async () => {
    await assert.rejects(
      build({
        stdin: {
          contents: "import { readFileSync } from 'node:fs'; export const x = readFileSync;",
        },
        bundle: true,
        platform: 'browser',
        write: false,
        logLevel: 'silent',
      }),
      /node:fs/,
    );
    assert.deepEqual(
      specifiers("import { a } from 'node:fs';").filter((s) => allowed.some((r) => r.test(s))),
      [],
    );
  });
});
