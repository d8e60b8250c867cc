/**
 * Assertions the tests share.
 */
import assert from 'node:assert/strict';
import { ClearpegError } from './errors.ts';

/**
 * Asserts `fn` throws a `ClearpegError` with this code (and field, when given).
 * @example throwsCode(() => parseAmount('1.0000001'), 'amount-invalid', 'amount')
 */
export function throwsCode(fn: () => unknown, code: string, field?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ClearpegError, `a ClearpegError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.field, field);
    return true;
  });
}
