/**
 * The error codes' lists (docs/architecture.md, "Errors"): each module's is alphabetical,
 * kebab-case and true (every code in it is raised by the module's own sources), and docs/api.md
 * names every code with the status `problemStatus` gives it. That every raised code is listed,
 * and every listed code has a status, `tsc` checks.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { apiErrorCodes } from './api/errors.ts';
import { problemStatus } from './api/problem.ts';
import { attestErrorCodes } from './attest/errors.ts';
import { chainErrorCodes } from './chain/errors.ts';
import { cliErrorCodes } from './cli/errors.ts';
import { clusterErrorCodes } from './cluster/errors.ts';
import { economicsErrorCodes } from './economics/errors.ts';
import { coreErrorCodes } from './errors.ts';
import { issuanceErrorCodes } from './issuance/errors.ts';
import { ledgerErrorCodes } from './ledger/errors.ts';
import { moneyErrorCodes } from './money/errors.ts';
import { policyErrorCodes } from './policy/errors.ts';
import { reservesErrorCodes } from './reserves/errors.ts';
import { storageErrorCodes } from './storage/errors.ts';
import { treasuryErrorCodes } from './treasury/errors.ts';
import { workflowErrorCodes } from './workflow/errors.ts';

const src = dirname(fileURLToPath(import.meta.url));

/** Each module's list, by its folder (the files at the top of src/ for `coreErrorCodes`). */
const lists: Readonly<Record<string, readonly string[]>> = {
  '.': coreErrorCodes,
  api: apiErrorCodes,
  attest: attestErrorCodes,
  chain: chainErrorCodes,
  cli: cliErrorCodes,
  cluster: clusterErrorCodes,
  economics: economicsErrorCodes,
  issuance: issuanceErrorCodes,
  ledger: ledgerErrorCodes,
  money: moneyErrorCodes,
  policy: policyErrorCodes,
  reserves: reservesErrorCodes,
  storage: storageErrorCodes,
  treasury: treasuryErrorCodes,
  workflow: workflowErrorCodes,
};

/**
 * The sources of a module, where a code it raises appears as a quoted literal: its folder's
 * files but tests and its list (the ledger's sits in errors.ts beside code that raises: cut out).
 */
function sourcesOf(folder: string): string {
  const root = join(src, folder);
  const names =
    folder === '.'
      ? readdirSync(root).filter((name) => name.endsWith('.ts'))
      : readdirSync(root, { recursive: true, encoding: 'utf8' });
  return names
    .filter((name) => name.endsWith('.ts') && !/\.(test|suite)\.ts$/.test(name))
    .filter((name) => name !== 'errors.ts' || folder === 'ledger')
    .map((name) => readFileSync(join(root, name), 'utf8'))
    .join('\n')
    .replace(/ledgerErrorCodes = \[[^\]]*\]/, '');
}

describe('error codes', () => {
  it('each module lists its codes once, alphabetically, in kebab-case', () => {
    for (const [folder, codes] of Object.entries(lists)) {
      assert.deepEqual([...codes], [...new Set(codes)].sort(), `${folder}: sorted, each once`);
      for (const code of codes) assert.match(code, /^[a-z0-9]+(-[a-z0-9]+)*$/, folder);
    }
  });

  it("every listed code is raised by the module's own sources", () => {
    for (const [folder, codes] of Object.entries(lists)) {
      const sources = sourcesOf(folder);
      const stale = codes.filter((code) => !sources.includes(`'${code}'`));
      assert.deepEqual(stale, [], `${folder} lists codes it never raises`);
    }
  });

  it('docs/api.md names every code once, with its status', () => {
    const doc = readFileSync(join(src, '../docs/api.md'), 'utf8');
    const table = doc.slice(doc.indexOf('| code | status | meaning |'));
    const named = new Map<string, number>();
    for (const line of table.split('\n').slice(2)) {
      if (!line.startsWith('|')) break;
      const [codes, status] = line.split('|').slice(1, 3);
      for (const [, code] of codes!.matchAll(/`([a-z0-9-]+)`/g)) {
        assert.equal(named.has(code!), false, `${code} named twice`);
        named.set(code!, Number(status));
      }
    }
    named.delete('internal'); // the opaque 500 of an unexpected error: no code raises it
    assert.deepEqual(
      Object.fromEntries([...named].sort(([a], [b]) => a.localeCompare(b))),
      Object.fromEntries(Object.entries(problemStatus).sort(([a], [b]) => a.localeCompare(b))),
    );
  });
});
