import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { deriveSalt, sumLeaf } from '../proofs/sumtree.ts';
import { roundSecret } from './rounds.ts';

describe('the rounds of the liabilities sum tree', () => {
  // docs/formats.md "Round secret": computed independently with Python's hmac and hashlib:
  //   s = hmac.new(bytes(range(32)), b'clearpeg-round-secret/1\n12', sha256).digest()
  //   salt = hmac.new(s, b'clearpeg-liabilities-salt/1\n12\nCUST-0001', sha256).digest()
  //   sha256(b'\0' + sha256(b'CUST-0001' + salt).digest() + (10_000_000).to_bytes(16, 'big'))
  it('derives the round secret, the salt and the leaf of the published vector', () => {
    const master = Uint8Array.from({ length: 32 }, (_, i) => i);
    const secret = roundSecret(master, 12n);
    assert.equal(
      bytesToHex(secret),
      '975244a052d617c2ad7524c86154902d7e19c8547744e231a288ee1f92885035',
    );
    const salt = deriveSalt(secret, '12', 'CUST-0001');
    assert.equal(
      bytesToHex(salt),
      '4ec1327449c735baaff16670034dbe01d9565bf217a2892ee904a3f4b1e57ca9',
    );
    assert.equal(
      bytesToHex(sumLeaf('CUST-0001', salt, 10_000_000n).hash),
      '0b8c07ab272fef002b8683d127e2889e3e7951cb9312c692ee266bad6c3d2306',
    );
    // Another round, another secret: a leaf says nothing about the next round's.
    assert.notDeepEqual(roundSecret(master, 13n), secret);
  });

  it('refuses a master secret that is not 32 bytes', () => {
    assert.throws(() => roundSecret(new Uint8Array(31), 1n), /32 bytes/);
  });
});
