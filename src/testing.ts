/**
 * Assertions the tests share.
 */
import assert from 'node:assert/strict';
import { ClearpegError } from './errors.ts';
import type { AuditEntry } from './policy/audit.ts';

/**
 * Asserts `fn` throws a `ClearpegError` with this code (and field, and a message matching
 * `message`, when given).
 * @example throwsCode(() => parseAmount('1.0000001'), 'amount-invalid', 'amount')
 * @example throwsCode(() => parseCusip('912797SU3', 'cusip'), 'cusip-invalid', 'cusip', /check digit/)
 */
export function throwsCode(
  fn: () => unknown,
  code: string,
  field?: string,
  message?: RegExp,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ClearpegError, `a ClearpegError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.field, field);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

/**
 * The `n`th of a varied run of audit entries (actors, outcomes, nested details).
 * @example sampleAuditEntry(3).outcome === 'refused'
 */
export function sampleAuditEntry(n: number): AuditEntry {
  return {
    actor: n % 2 === 0 ? 'alice' : 'customer:C-0001',
    action: 'mint.request',
    subject: `request-${n}`,
    outcome: n % 3 === 0 ? 'refused' : 'ok',
    detail: { amount: `${n}.000000`, reasons: ['a', 'b'], nested: { ok: true, none: null } },
  };
}

/**
 * The V8 flags this process was started with that a child Node process must share: the
 * memory-protection-key switch scripts/test.js sets (see there why), so that a crash test's
 * writer runs PGlite as its parent does.
 * @example spawn(process.execPath, [...inheritedV8Flags(), '--import', 'tsx', script])
 */
export function inheritedV8Flags(): string[] {
  return process.execArgv.filter((flag) => /^--no-(?:wasm-)?memory-protection-keys$/.test(flag));
}
