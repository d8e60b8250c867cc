/**
 * Assertions the tests share.
 */
import assert from 'node:assert/strict';
import { ClearpegError } from './errors.ts';

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
