import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyText, SqlArray } from './sql.ts';

describe('SqlArray', () => {
  it('refuses an element its type cannot hold, naming its index', () => {
    const uuid = '019ab0c4-5e1a-7000-8f3e-2d1c0b9a8f7e';
    const bad: Array<[SqlArray['type'], SqlArray['values'], RegExp]> = [
      ['uuid', [uuid, 'not-a-uuid'], /^TypeError: uuid\[1\]: not a canonical uuid$/],
      ['uuid', [`${uuid},${uuid}`], /^TypeError: uuid\[0\]/], // would be two elements in a literal
      ['uuid', [uuid.toUpperCase()], /^TypeError: uuid\[0\]/],
      ['int4', [0, 2 ** 31], /^RangeError: int4\[1\]: 2147483648 is out of the type's range$/],
      ['int4', [-(2 ** 31) - 1], /^RangeError: int4\[0\]/],
      ['int8', [2n ** 63n], /^RangeError: int8\[0\]/],
      ['int8', [1.5], /^TypeError: int8\[0\]: 1.5 is not a bigint or a safe integer$/],
      ['int8', [2 ** 53], /^TypeError: int8\[0\]/],
      ['numeric', [1n, '7'], /^TypeError: numeric\[1\]/],
      ['numeric', [2n ** 128n + 1n], /^RangeError: numeric\[0\]/],
    ];
    for (const [type, values, message] of bad)
      assert.throws(
        () => new SqlArray(type, values),
        (error: Error) => {
          assert.match(`${error.name}: ${error.message}`, message);
          return true;
        },
      );
  });

  it('takes the extremes of each type, and NULLs', () => {
    const arrays = [
      new SqlArray('int4', [-(2 ** 31), 2 ** 31 - 1, null]),
      new SqlArray('int8', [-(2n ** 63n), 2n ** 63n - 1n, Number.MAX_SAFE_INTEGER]),
      new SqlArray('numeric', [-(2n ** 128n), 2n ** 128n, 0]),
      new SqlArray('uuid', [null]),
    ];
    assert.deepEqual(
      arrays.map((a) => a.toLiteral()),
      [
        '{-2147483648,2147483647,NULL}',
        `{-9223372036854775808,9223372036854775807,${Number.MAX_SAFE_INTEGER}}`,
        `{-${2n ** 128n},${2n ** 128n},0}`,
        '{NULL}',
      ],
    );
  });
});

describe('copyText', () => {
  it('escapes backslash, tab, newline and carriage return', () => {
    assert.equal(copyText('a\\b\tc\nd\re'), 'a\\\\b\\tc\\nd\\re');
    assert.equal(copyText('plain'), 'plain');
  });
});
