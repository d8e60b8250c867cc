import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { throwsCode } from '../testing.ts';
import { generateApproverKey } from './approvals.ts';
import { readApproverKeyFile, writeApproverKeyFile } from './approver-key-file.ts';

describe('approver key file v1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-approver-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips a key, written for its owner only, never over another', () => {
    const key = generateApproverKey();
    const path = join(dir, 'ann.json');
    writeApproverKeyFile(path, 'op-ann', key);
    const read = readApproverKeyFile(path);
    assert.equal(read.approverId, 'op-ann');
    assert.equal(read.key.publicKey, key.publicKey);
    assert.deepEqual(read.key.privateKey, key.privateKey);
    assert.throws(() => writeApproverKeyFile(path, 'op-ann', generateApproverKey()), /EEXIST/);
  });

  it('refuses a file others can read, another format, or a public key that is not the private key’s', () => {
    const path = join(dir, 'bob.json');
    writeApproverKeyFile(path, 'op-bob', generateApproverKey());
    chmodSync(path, 0o644);
    throwsCode(() => readApproverKeyFile(path), 'approver-key-file-invalid', 'mode');
    chmodSync(path, 0o600);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...json, publicKey: generateApproverKey().publicKey }));
    throwsCode(() => readApproverKeyFile(path), 'approver-key-file-invalid', 'publicKey');
    writeFileSync(path, JSON.stringify({ ...json, format: 'clearpeg-approver-key/2' }));
    throwsCode(() => readApproverKeyFile(path), 'approver-key-file-invalid', 'format');
    throwsCode(
      () => readApproverKeyFile(join(dir, 'missing.json')),
      'approver-key-file-unreadable',
    );
  });
});
