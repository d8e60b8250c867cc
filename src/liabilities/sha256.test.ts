/**
 * The SHA-256 kernel against `node:crypto` (OpenSSL), an independent implementation: on random
 * messages of every length from 0 to 600 bytes (which covers every message the tree hashes:
 * `customerId ‖ salt` of 33 to 288 bytes, the 49-byte leaf, the 97-byte node, and the HMAC of
 * the salts), on the FIPS 180-2 vectors, and through an HMAC key's saved state.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hmacKeyState, paddedBlocks, Sha256Kernel } from './sha256.ts';

function kernelSha256(kernel: Sha256Kernel, message: Uint8Array): string {
  const out = new Uint8Array(32);
  kernel.sha256Into(message, 0, message.length, out, 0);
  return Buffer.from(out).toString('hex');
}

const nodeSha256 = (message: Uint8Array) => createHash('sha256').update(message).digest('hex');

describe('Sha256Kernel', () => {
  it('gives the FIPS 180-2 digests of "abc" and the 448-bit message', () => {
    const kernel = new Sha256Kernel();
    const text = (s: string) => new TextEncoder().encode(s);
    assert.equal(
      kernelSha256(kernel, text('abc')),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(
      kernelSha256(kernel, text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    assert.equal(
      kernelSha256(kernel, new Uint8Array(0)),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('agrees with node:crypto on random messages of every length from 0 to 600 bytes', () => {
    const kernel = new Sha256Kernel(640);
    for (let length = 0; length <= 600; length++) {
      for (let round = 0; round < 3; round++) {
        const message = randomBytes(length);
        assert.equal(kernelSha256(kernel, message), nodeSha256(message), `length ${length}`);
      }
    }
  });

  it('hashes a range inside a larger buffer, into an offset', () => {
    const kernel = new Sha256Kernel();
    const buffer = randomBytes(200);
    const out = new Uint8Array(40);
    kernel.sha256Into(buffer, 17, 97, out, 5);
    assert.equal(
      Buffer.from(out.subarray(5, 37)).toString('hex'),
      nodeSha256(buffer.subarray(17, 114)),
    );
  });

  it('pads at the block boundaries of §5.1.1 (55 bytes: one block, 56: two)', () => {
    assert.deepEqual([0, 55, 56, 63, 64, 119, 120].map(paddedBlocks), [1, 1, 2, 2, 2, 2, 3]);
  });

  it('refuses a message longer than its scratch buffer', () => {
    const kernel = new Sha256Kernel(64);
    assert.throws(
      () => kernel.sha256Into(new Uint8Array(56), 0, 56, new Uint8Array(32), 0),
      /fits the scratch/,
    );
  });

  it('computes HMAC-SHA256 from the saved key states as node:crypto does, for any message length', () => {
    const kernel = new Sha256Kernel(640);
    for (const keyLength of [0, 1, 32, 64]) {
      const key = randomBytes(keyLength);
      const inner = hmacKeyState(kernel, key, 0x36);
      const outer = hmacKeyState(kernel, key, 0x5c);
      for (let length = 0; length <= 300; length += 7) {
        const message = randomBytes(length);
        const innerHash = new Uint8Array(32);
        const mac = new Uint8Array(32);
        kernel.resume(inner);
        kernel.sha256Into(message, 0, length, innerHash, 0, 64);
        kernel.resume(outer);
        kernel.sha256Into(innerHash, 0, 32, mac, 0, 64);
        assert.equal(
          Buffer.from(mac).toString('hex'),
          createHmac('sha256', key).update(message).digest('hex'),
          `key ${keyLength} bytes, message ${length} bytes`,
        );
      }
    }
  });
});
