import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type LockRefusal, startTime, takeLock } from './lock-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'clearpeg-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const refusal: LockRefusal = {
  code: 'data-dir-in-use',
  message: (holder: string) => `the thing is held by ${holder}`,
  field: 'thing',
  rule: 'one process per thing',
};
const heldBy = (pid: number) => ({
  code: 'data-dir-in-use',
  message: `the thing is held by process ${pid}`,
});
/** Linux gives start times; elsewhere locks hold the pid alone. */
const linux = startTime(process.pid) !== undefined;

describe('takeLock', () => {
  it('holds the file for this process until released, and refuses a second taker', () => {
    const file = join(dir, 'one.lock');
    const release = takeLock(file, refusal);
    assert.match(readFileSync(file, 'utf8'), new RegExp(`^${process.pid} \\S+\\n$`));
    assert.throws(() => takeLock(file, refusal), heldBy(process.pid));
    release();
    release(); // idempotent
    assert.equal(existsSync(file), false);
    takeLock(file, refusal)();
  });

  it("refuses a lock held by another live process (this process's parent)", () => {
    const file = join(dir, 'parent.lock');
    writeFileSync(file, `${process.ppid} ${startTime(process.ppid) ?? '-'}\n`);
    assert.throws(() => takeLock(file, refusal), heldBy(process.ppid));
    writeFileSync(file, `${process.ppid}\n`); // an older lock: the pid alone
    assert.throws(() => takeLock(file, refusal), heldBy(process.ppid));
    assert.ok(existsSync(file), 'a held lock is left alone');
  });

  it('takes over a lock whose process is gone, or that holds no pid', () => {
    const file = join(dir, 'stale.lock');
    for (const content of ['4194305 12345\n', '4194305\n', '', 'garbage\n', '-3\n']) {
      writeFileSync(file, content);
      const release = takeLock(file, refusal);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`^${process.pid} `), content);
      release();
    }
  });

  it("takes over a lock left with this process's pid by an earlier process (a restarted container)", () => {
    const file = join(dir, 'restarted.lock');
    writeFileSync(file, `${process.pid}\n`);
    takeLock(file, refusal)();
    writeFileSync(file, `${process.pid} 1\n`);
    takeLock(file, refusal)();
  });

  it('takes over a lock whose pid now belongs to a process started later (pid reused)', {
    skip: linux ? false : 'no process start times here (/proc)',
  }, () => {
    const file = join(dir, 'reused.lock');
    writeFileSync(file, `${process.ppid} 1\n`); // the parent, but started at another time
    const release = takeLock(file, refusal);
    assert.match(readFileSync(file, 'utf8'), new RegExp(`^${process.pid} `));
    release();
  });
});
