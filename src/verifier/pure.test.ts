/**
 * The checks bundle for the browser: everything `checks.ts` imports, followed file by file,
 * imports nothing of Node (no builtin module, no `Buffer` or `process`) and no package but
 * @noble's. `node.ts` is the one file of the verifier that may.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The specifiers a source imports (static, re-exports, dynamic), type-only ones included. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\b(?:import|require)\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
  ];
  for (const pattern of patterns)
    for (const match of source.matchAll(pattern)) found.push(match[2]!);
  return found;
}

/** Every file `entry` reaches through relative imports, and what each imports from outside. */
function closure(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const outside: string[] = [];
    for (const specifier of specifiers(source)) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else outside.push(specifier);
    }
    if (/\bBuffer\b|\bprocess\.|\brequire\(/.test(source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
      outside.push('a Node global (Buffer, process or require)');
    seen.set(file, outside);
  }
  return seen;
}

describe('the verifier checks are browser-safe', () => {
  it('imports nothing of Node and no package but @noble from checks.ts on', () => {
    const files = closure(resolve(src, 'verifier/checks.ts'));
    const problems: string[] = [];
    for (const [file, outside] of files)
      for (const specifier of outside)
        if (isBuiltin(specifier) || !specifier.startsWith('@noble/'))
          problems.push(`${relative(src, file)} imports ${specifier}`);
    assert.deepEqual(problems, []);
    assert.ok(files.size > 10, `${files.size} files followed`);
    assert.ok(!files.has(resolve(src, 'verifier/node.ts')));
  });

  it('sees a Node import where there is one (the check can fail)', () => {
    const files = closure(resolve(src, 'verifier/node.ts'));
    const node = files.get(resolve(src, 'verifier/node.ts'))!;
    assert.ok(node.includes('node:crypto'));
    assert.ok(files.get(resolve(src, 'reserves/rates.ts'))!.includes('node:fs'));
  });
});
