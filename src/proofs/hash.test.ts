/**
 * The log's hashes against published values: the empty tree's root is SHA-256 of nothing
 * (RFC 6962 §2.1), and the hash of the empty leaf is the first leaf hash of the RFC 6962
 * reference tree used by Certificate Transparency and transparency-dev/merkle's tests.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { emptyRoot, leafHash, nodeHash, type Sha256 } from './hash.ts';

const native: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

describe('the log hashes (RFC 6962)', () => {
  it('the empty tree and the empty leaf', () => {
    assert.equal(
      bytesToHex(emptyRoot),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      bytesToHex(leafHash(new Uint8Array())),
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
  });

  it('separates leaves from nodes, and a given SHA-256 gives the same hashes', () => {
    const a = leafHash(hexToBytes('00'));
    const b = leafHash(hexToBytes('10'));
    // The root of the reference tree's first two leaves ("" and 00): its size-2 root.
    assert.equal(
      bytesToHex(nodeHash(leafHash(new Uint8Array()), a)),
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    );
    assert.notEqual(bytesToHex(nodeHash(a, b)), bytesToHex(leafHash(new Uint8Array([...a, ...b]))));
    assert.deepEqual(nodeHash(a, b, native), nodeHash(a, b));
    assert.deepEqual(leafHash(hexToBytes('2021'), native), leafHash(hexToBytes('2021')));
  });
});
