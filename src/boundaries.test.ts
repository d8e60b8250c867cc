/**
 * The layers' boundary (docs/architecture.md, "Layers"): the pure modules (`money/`, `ledger/`,
 * `reserves/`, `economics/`, and `policy/` but for the files listed in `impure`) never import, directly,
 * anything under `storage/`, `chain/`, `api/` or `cli/`: not statically, not dynamically, not
 * even for a type. Imports are read with regular expressions over the sources (`import … from`,
 * `export … from`, `import '…'`, `import('…')`, `require('…')`) and relative paths resolved.
 *
 * Test files are not checked: a test may drive a pure module through a real store; what is
 * checked is what ships.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = dirname(fileURLToPath(import.meta.url));

/** The folders whose files must stay pure. */
const pure = ['money', 'ledger', 'reserves', 'policy', 'economics'];
/** What a pure file must not import. */
const forbidden = ['storage', 'chain', 'api', 'cli'];
/** Files of a pure folder that are not pure, each with the reason. */
const impure: Readonly<Record<string, string>> = {
  'policy/alerts.ts':
    'raises alerts and trips breakers: rows of the alerts and breakers tables, written through the storage port (SqlExecutor) in the transaction of the change that found the problem',
};

/** One import a file makes: the specifier as written, and where in the file. */
interface Import {
  readonly specifier: string;
  readonly line: number;
}

const importPatterns = [
  // import x from '…', import { a, b } from '…', import type …, export { … } from '…', export * from '…'
  /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
  // import '…' (for its effects)
  /\bimport\s*(['"])([^'"]+)\1/g,
  // import('…'), typeof import('…'), require('…')
  /\b(?:import|require)\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g,
];

/** A dynamic import of something other than a string literal: where it leads cannot be read. */
const opaqueImport = /\b(?:import|require)\s*\(\s*(?!['"`])[^)\s]/g;

/**
 * Every import `source` makes; an import whose target is not a literal is reported as `?`.
 * @example importsOf("import type { A } from './a.ts';") // [{ specifier: './a.ts', line: 1 }]
 */
function importsOf(source: string): Import[] {
  const lineOf = (index: number) => source.slice(0, index).split('\n').length;
  const found: Import[] = [];
  for (const pattern of importPatterns)
    for (const match of source.matchAll(pattern))
      found.push({ specifier: match[2]!, line: lineOf(match.index) });
  for (const match of source.matchAll(opaqueImport))
    found.push({ specifier: '?', line: lineOf(match.index) });
  return found.sort((a, b) => a.line - b.line);
}

/**
 * The forbidden imports of the file at `path` (relative to src/, `/`-separated) with `source`:
 * each as `path:line imports specifier`.
 */
function violations(path: string, source: string): string[] {
  const out: string[] = [];
  for (const { specifier, line } of importsOf(source)) {
    if (specifier === '?') {
      out.push(`${path}:${line} imports something not named by a string literal`);
      continue;
    }
    if (!specifier.startsWith('.')) continue; // a package
    const target = relative(src, resolve(src, dirname(path), specifier))
      .split(sep)
      .join('/');
    const top = target.split('/')[0]!;
    if (forbidden.includes(top)) out.push(`${path}:${line} imports ${specifier} (${target})`);
  }
  return out;
}

/** The files under src/`folder`, relative to src/, `/`-separated. */
function filesOf(folder: string): string[] {
  return readdirSync(join(src, folder), { recursive: true, encoding: 'utf8' })
    .map((name) => `${folder}/${name.split(sep).join('/')}`)
    .filter((path) => /\.(ts|js|mjs|cjs)$/.test(path) && !/\.test\.ts$/.test(path));
}

describe('layer boundaries', () => {
  it('no pure file imports storage/, chain/, api/ or cli/', () => {
    const files = pure.flatMap(filesOf).filter((path) => impure[path] === undefined);
    assert.ok(files.length >= 20, `${files.length} files checked`);
    const found = files.flatMap((path) => violations(path, readFileSync(join(src, path), 'utf8')));
    assert.deepEqual(found, []);
  });

  it('every exception exists and is not pure in fact (else it should leave the list)', () => {
    for (const path of Object.keys(impure))
      assert.notDeepEqual(violations(path, readFileSync(join(src, path), 'utf8')), [], path);
  });

  it('finds a synthetic violation of every form', () => {
    const source = [
      "import { SqlLedgerStore } from '../storage/ledger-store.ts';",
      "import type { SqlExecutor } from '../storage/sql.ts';",
      'import {',
      '  type Hex,',
      '  openIssuerChain,',
      "} from '../chain/runtime.ts';",
      "export { problemOf } from '../api/problem.ts';",
      "export * from '../cli/io.ts';",
      "import '../storage/open.ts';",
      "const m = await import('../chain/evm.ts');",
      'type Ctx = typeof import("../api/app.ts");',
      'const n = await import(name);',
      "import { parseAmount } from '../money/money.ts';",
      "import { sha256 } from '@noble/hashes/sha2.js';",
      "import { ok } from './storage/fine.ts';",
    ].join('\n');
    assert.deepEqual(violations('ledger/bad.ts', source), [
      'ledger/bad.ts:1 imports ../storage/ledger-store.ts (storage/ledger-store.ts)',
      'ledger/bad.ts:2 imports ../storage/sql.ts (storage/sql.ts)',
      'ledger/bad.ts:3 imports ../chain/runtime.ts (chain/runtime.ts)',
      'ledger/bad.ts:7 imports ../api/problem.ts (api/problem.ts)',
      'ledger/bad.ts:8 imports ../cli/io.ts (cli/io.ts)',
      'ledger/bad.ts:9 imports ../storage/open.ts (storage/open.ts)',
      'ledger/bad.ts:10 imports ../chain/evm.ts (chain/evm.ts)',
      'ledger/bad.ts:11 imports ../api/app.ts (api/app.ts)',
      'ledger/bad.ts:12 imports something not named by a string literal',
    ]);
    // Resolved, not matched by name: a folder of the same name inside a pure one is fine, a
    // path that climbs out and back in is not.
    assert.deepEqual(violations('policy/x.ts', "import '../ledger/../storage/sql.ts';"), [
      'policy/x.ts:1 imports ../ledger/../storage/sql.ts (storage/sql.ts)',
    ]);
  });
});
