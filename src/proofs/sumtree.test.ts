/**
 * Tests of the Merkle sum tree (`sumtree.ts`). No published vectors exist for this format (it
 * is Clearpeg's own), so the pinned vectors below were computed once by the independent
 * reference in this file (`ref*`, built on Node's own SHA-256 and HMAC from the byte layouts
 * written out by hand, with RFC 6962's recursive split for the shape) and are explained where
 * they are pinned. Property tests then compare the library with that reference on random
 * trees, check that proofs verify and that any change to them fails, and replay the two
 * known attacks on sum trees: Maxwell's single-sum node and the clash of unbound salts.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import type { Sha256 } from './hash.ts';
import {
  buildSumTree,
  decodeSumProof,
  deriveSalt,
  encodeSumProof,
  type SumNode,
  type SumProofInput,
  type SumProofStep,
  SumTreeError,
  sumLeaf,
  sumNode,
  sumProof,
  sumRecordBytes,
  sumTreeNode,
  u128Max,
  verifySumProof,
} from './sumtree.ts';

// ---------------------------------------------------------------------------------------------
// An independent reference, written from the byte formats in the file header.

const nodeSha256: Sha256 = (data) => new Uint8Array(createHash('sha256').update(data).digest());

function refSha(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

function refU128(value: bigint): Uint8Array {
  const out = Buffer.alloc(16);
  out.writeBigUInt64BE(value >> 64n, 0);
  out.writeBigUInt64BE(value & 0xffff_ffff_ffff_ffffn, 8);
  return new Uint8Array(out);
}

function refLeaf(customerId: string, salt: Uint8Array, value: bigint): SumNode {
  const inner = refSha(Buffer.from(customerId, 'utf8'), salt);
  return { hash: refSha(Uint8Array.of(0x00), inner, refU128(value)), value };
}

function refNode(l: SumNode, r: SumNode): SumNode {
  const hash = refSha(Uint8Array.of(0x01), l.hash, refU128(l.value), r.hash, refU128(r.value));
  return { hash, value: l.value + r.value };
}

/** RFC 6962 §2.1: split at the largest power of two below n. */
function refRoot(leaves: readonly SumNode[]): SumNode {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return refNode(refRoot(leaves.slice(0, k)), refRoot(leaves.slice(k)));
}

function refSalt(secret: Uint8Array, roundId: string, customerId: string): Uint8Array {
  const mac = createHmac('sha256', secret);
  mac.update(`clearpeg-liabilities-salt/1\n${roundId}\n${customerId}`, 'utf8');
  return new Uint8Array(mac.digest());
}

const hex = bytesToHex;

// ---------------------------------------------------------------------------------------------
// Fixtures and generators

/** Salt 00 01 02 … 1f. */
const salt0 = Uint8Array.from({ length: 32 }, (_, i) => i);
/** Round secret 42 42 … 42 (32 bytes). */
const secret42 = new Uint8Array(32).fill(0x42);
const round = '2026-12-06';

interface Account {
  customerId: string;
  salt: Uint8Array;
  value: bigint;
}

function proofInput(tree: ReturnType<typeof buildSumTree>, accounts: Account[], i: number) {
  return {
    ...accounts[i]!,
    index: BigInt(i),
    size: tree.size,
    proof: sumProof(tree, BigInt(i)),
    root: tree.root,
  } satisfies SumProofInput;
}

const accountsArb = fc
  .array(
    fc.record({
      salt: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      value: fc.bigInt({ min: 0n, max: 1n << 100n }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((rows) => rows.map((row, i): Account => ({ customerId: `acct-${i}`, ...row })));

const treeAndIndexArb = accountsArb.chain((accounts) =>
  fc.record({
    accounts: fc.constant(accounts),
    index: fc.nat({ max: accounts.length - 1 }),
  }),
);

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
  return out;
}

function notOk(result: ReturnType<typeof verifySumProof>, reason?: RegExp): void {
  assert.equal(result.ok, false);
  if (reason && !result.ok) assert.match(result.reason, reason);
}

// ---------------------------------------------------------------------------------------------

describe('deriveSalt', () => {
  it('is HMAC-SHA256(secret, "clearpeg-liabilities-salt/1\\n" ‖ roundId ‖ "\\n" ‖ id)', () => {
    // Pinned: secret 0x42 × 32, round "2026-12-06", id "alice", computed with Node's HMAC.
    const salt = deriveSalt(secret42, round, 'alice');
    assert.equal(hex(salt), '33235c25e83642963f04c8097826e369612d641c2c5a40b2aad45293d7a19865');
  });

  it('agrees with Node’s HMAC for any secret, round and id', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), text, text, (secret, r, id) => {
        fc.pre(!r.includes('\n') && r === r.normalize('NFC') && id === id.normalize('NFC'));
        assert.deepEqual(deriveSalt(secret, r, id), refSalt(secret, r, id));
      }),
    );
  });

  it('gives each account and each round its own salt', () => {
    const a = hex(deriveSalt(secret42, round, 'alice'));
    assert.notEqual(a, hex(deriveSalt(secret42, round, 'bob')));
    assert.notEqual(a, hex(deriveSalt(secret42, '2026-12-07', 'alice')));
    assert.notEqual(a, hex(deriveSalt(new Uint8Array(32), round, 'alice')));
  });

  it('refuses a bad secret, round id or customer id, naming the field', () => {
    assert.throws(() => deriveSalt(new Uint8Array(31), round, 'a'), /roundSecret: must be 32/);
    assert.throws(() => deriveSalt(secret42, 'a\nb', 'c'), /roundId: must not contain a newline/);
    assert.throws(() => deriveSalt(secret42, '', 'c'), /roundId: must not be empty/);
    assert.throws(() => deriveSalt(secret42, round, ''), /customerId: must not be empty/);
    // "Zoë" with a combining diaeresis (NFD): the NFC form is U+00EB.
    assert.throws(
      () => deriveSalt(secret42, round, 'Zoe\u0308'),
      /customerId: must be in Unicode NFC/,
    );
    assert.throws(() => deriveSalt(secret42, round, 'x'.repeat(257)), /at most 256 bytes/);
    // 128 × "é" (2 bytes each) is 256 bytes; one more character passes the limit.
    assert.equal(deriveSalt(secret42, round, '\u00e9'.repeat(128)).length, 32);
    assert.throws(() => deriveSalt(secret42, round, '\u00e9'.repeat(128) + 'x'), /256 bytes/);
    assert.throws(() => deriveSalt(secret42, round, 'a\ud800'), /lone surrogates/);
  });
});

describe('sumLeaf and sumNode: byte formats', () => {
  it('hashes 0x00 ‖ SHA-256(customerId ‖ salt) ‖ u128be(value): 49 bytes', () => {
    const value = 0x0102030405060708090a0b0c0d0e0f10n;
    const inner = refSha(new TextEncoder().encode('alice'), salt0);
    const input = new Uint8Array(49);
    input[0] = 0x00;
    input.set(inner, 1);
    input.set(hexToBytes('0102030405060708090a0b0c0d0e0f10'), 33);
    const leaf = sumLeaf('alice', salt0, value);
    assert.equal(hex(leaf.hash), hex(refSha(input)));
    assert.equal(leaf.value, value);
  });

  it('hashes 0x01 ‖ hashL ‖ u128be(valueL) ‖ hashR ‖ u128be(valueR): 97 bytes', () => {
    const l = { hash: new Uint8Array(32).fill(0xaa), value: 1n };
    const r = { hash: new Uint8Array(32).fill(0xbb), value: u128Max - 1n };
    const input = new Uint8Array(97);
    input[0] = 0x01;
    input.set(l.hash, 1);
    input[48] = 0x01; // valueL = 1 in the last of its 16 bytes
    input.set(r.hash, 49);
    input.fill(0xff, 81, 96);
    input[96] = 0xfe; // valueR = 2^128 − 2
    const node = sumNode(l, r);
    assert.equal(hex(node.hash), hex(refSha(input)));
    assert.equal(node.value, u128Max);
  });

  it('uses the SHA-256 it is given', () => {
    let calls = 0;
    const counting: Sha256 = (data) => {
      calls++;
      return nodeSha256(data);
    };
    const leaf = sumLeaf('alice', salt0, 5n, counting);
    assert.equal(calls, 2);
    assert.deepEqual(leaf, sumLeaf('alice', salt0, 5n));
  });

  it('refuses bad fields and a sum overflowing u128', () => {
    assert.throws(() => sumLeaf('alice', salt0, -1n), /value: must not be negative/);
    assert.throws(() => sumLeaf('alice', salt0, 1n << 128n), /value: must be below 2\^128/);
    assert.throws(() => sumLeaf('alice', new Uint8Array(16), 1n), /salt: must be 32 bytes/);
    assert.throws(() => sumLeaf('', salt0, 1n), /customerId: must not be empty/);
    const big = { hash: new Uint8Array(32), value: 1n << 127n };
    assert.throws(() => sumNode(big, big), /overflows u128/);
    assert.throws(() => sumNode({ hash: new Uint8Array(31), value: 0n }, big), /left.hash/);
  });
});

describe('pinned vectors', () => {
  it('tree 1: one leaf is its own root', () => {
    // customerId "alice", salt 00 01 … 1f, value 1,000,000 (one unit in micro-units).
    const tree = buildSumTree([{ customerId: 'alice', salt: salt0, value: 1_000_000n }]);
    const expected = 'eac7d74c348ccfa04b0d8ab319b740dde146a1d9e7ebd65d5610ebef3b7286db';
    assert.equal(hex(tree.root.hash), expected);
    assert.equal(tree.root.value, 1_000_000n);
    assert.deepEqual(sumProof(tree, 0n), []);
    assert.equal(tree.levels.length, 1);
  });

  it('tree 2: three leaves, root = node(node(a, b), c)', () => {
    // a: "alice", salt 00…1f, 5; b: "bob", salt ff fe … e0 (00…1f xor ff), 10;
    // c: "carol", salt 32 zero bytes, 0. RFC 6962 splits 3 as 2 + 1: c goes up unchanged.
    const accounts: Account[] = [
      { customerId: 'alice', salt: salt0, value: 5n },
      { customerId: 'bob', salt: salt0.map((x) => x ^ 0xff), value: 10n },
      { customerId: 'carol', salt: new Uint8Array(32), value: 0n },
    ];
    const tree = buildSumTree(accounts);
    const expected = [
      ['fc6532eaa593948b6fec51aec73e2131fe90877ec380064194d0406b210cb752', 5n],
      ['9ac1186746c47de749cfa6a6f9cc9af735c4c016155115f0746bec8d6fb96412', 10n],
      ['e4a76bb744a1126122cca9c43dba97b08c69ad7bd851f4a4c658c7899362d91a', 0n],
    ] as const;
    expected.forEach(([h, v], i) => {
      assert.equal(hex(sumTreeNode(tree, 0, BigInt(i)).hash), h);
      assert.equal(sumTreeNode(tree, 0, BigInt(i)).value, v);
    });
    const ab = sumTreeNode(tree, 1, 0n);
    assert.equal(hex(ab.hash), 'c501158d88461a57c7230cf709e33f24a83f59b53f5ce085e0c67c7d9a20977e');
    assert.equal(ab.value, 15n);
    // Level 1 holds node(a, b) and c carried up.
    assert.equal(hex(sumTreeNode(tree, 1, 1n).hash), expected[2][0]);
    assert.equal(
      hex(tree.root.hash),
      'f3b619bb36dce87e8427f3d761c0762172825bd6f4089aee3a7b87c451fb930a',
    );
    assert.equal(tree.root.value, 15n);
    // c's proof has one step, node(a, b) on its left; a's has b on its right, then c.
    assert.deepEqual(sumProof(tree, 2n), [{ ...ab, side: 'left' }]);
    const pa = sumProof(tree, 0n);
    assert.deepEqual(
      pa.map((s) => [hex(s.hash), s.value, s.side]),
      [
        [expected[1][0], 10n, 'right'],
        [expected[2][0], 0n, 'right'],
      ],
    );
  });

  it('tree 3: five leaves with derived salts, root = node(node(node(0,1), node(2,3)), 4)', () => {
    // Salts: deriveSalt(0x42 × 32, "2026-12-06", id). Values 1, 2, 3, 4 and 2^127 (a sum near
    // the top of u128 exercises all 16 value bytes). "Zoë" is NFC (U+00EB): 4 bytes of UTF-8.
    const ids = ['acct-1', 'acct-2', 'acct-3', 'acct-4', 'Zo\u00eb'];
    const values = [1n, 2n, 3n, 4n, 1n << 127n];
    const accounts = ids.map((customerId, i) => ({
      customerId,
      salt: deriveSalt(secret42, round, customerId),
      value: values[i]!,
    }));
    const tree = buildSumTree(accounts);
    const leaves = [
      '39a9b7b28472eb3abc4f4965f5d5959415d89c756fcb4de513cbd9bfa9071f6a',
      '130a607b2e3bcd1bdd736cf4bce71bfafa2ac6f41c6681cedff1a9e3c7cee7f6',
      '85c7947a1ea40124dd2405bfa0b523cf8280764a06ca7e814f579a66895bea55',
      '6bc9d2b9164019b49dddf3d38077c1874ce3dcb3736c969590a325c7eba47d52',
      '63a11cdb91473b27f5ab97404e59d41372672bfc2857b1b014b88ad7a2c69fc7',
    ];
    leaves.forEach((h, i) => {
      assert.equal(hex(sumTreeNode(tree, 0, BigInt(i)).hash), h);
    });
    const n01 = '2a28ea06bf9d9cbc13c9777924ad4764687eb4e89374c16eac0ef9c0306f50fb';
    const n23 = '71c27366955efefabfd03b10705dada504b5d4bf3bb74a190f459591772747b6';
    const n03 = 'b83a3c270894ca56c96893089599e4218e942280bd90f47a25a7f4e0c2c79aff';
    assert.equal(hex(sumTreeNode(tree, 1, 0n).hash), n01);
    assert.equal(hex(sumTreeNode(tree, 1, 1n).hash), n23);
    assert.equal(hex(sumTreeNode(tree, 2, 0n).hash), n03);
    assert.equal(sumTreeNode(tree, 2, 0n).value, 10n);
    const root = '4283ca2ef9fbd6488f97fe65ac1b993f8d2037cb84f33230dcb43f86c23bf003';
    assert.equal(hex(tree.root.hash), root);
    assert.equal(tree.root.value, (1n << 127n) + 10n);
    assert.equal(tree.levels.length, 4);
    // Leaf 4 is carried up twice: its proof is the one left sibling node(0..3).
    assert.deepEqual(
      sumProof(tree, 4n).map((s) => [hex(s.hash), s.value, s.side]),
      [[n03, 10n, 'left']],
    );
    for (let i = 0; i < 5; i++)
      assert.deepEqual(verifySumProof(proofInput(tree, accounts, i)), { ok: true });
  });
});

describe('buildSumTree', () => {
  it('matches the reference (RFC 6962 shape) for any leaves', () => {
    fc.assert(
      fc.property(accountsArb, (accounts) => {
        const tree = buildSumTree(accounts);
        const leaves = accounts.map((a) => refLeaf(a.customerId, a.salt, a.value));
        const expected = refRoot(leaves);
        assert.equal(hex(tree.root.hash), hex(expected.hash));
        assert.equal(tree.root.value, expected.value);
        assert.equal(tree.size, BigInt(accounts.length));
        // Level L: ⌈n / 2^L⌉ records; the first ⌊n / 2^L⌋ are the complete subtrees (tiles).
        tree.levels.forEach((level, L) => {
          const width = 2 ** L;
          assert.equal(level.length, Math.ceil(accounts.length / width) * sumRecordBytes);
          for (let i = 0; i < Math.floor(accounts.length / width); i++) {
            const subtree = refRoot(leaves.slice(i * width, (i + 1) * width));
            assert.equal(hex(sumTreeNode(tree, L, BigInt(i)).hash), hex(subtree.hash));
          }
        });
      }),
    );
  });

  it('builds the same tree from accounts, leaf nodes, or a packed leaf file, with any SHA-256', () => {
    fc.assert(
      fc.property(accountsArb, (accounts) => {
        const fromAccounts = buildSumTree(accounts);
        const nodes = accounts.map((a) => sumLeaf(a.customerId, a.salt, a.value));
        const packed = new Uint8Array(fromAccounts.levels[0]!);
        assert.deepEqual(buildSumTree(nodes).root, fromAccounts.root);
        assert.deepEqual(buildSumTree(packed, nodeSha256).root, fromAccounts.root);
        assert.deepEqual(buildSumTree(accounts, nodeSha256).levels, fromAccounts.levels);
      }),
      { numRuns: 30 },
    );
  });

  it('gives the empty tree the root SHA-256("") with total 0', () => {
    const tree = buildSumTree([]);
    assert.equal(tree.size, 0n);
    assert.equal(
      hex(tree.root.hash),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(tree.root.value, 0n);
    assert.throws(() => sumProof(tree, 0n), /index/);
  });

  it('refuses a negative value, a value ≥ 2^128 and a sum overflowing u128', () => {
    const a = (value: bigint) => ({ customerId: 'a', salt: salt0, value });
    assert.throws(() => buildSumTree([a(1n), a(-1n)]), /leaves\[1\]\.value: must not be negative/);
    assert.throws(() => buildSumTree([a(1n << 128n)]), /leaves\[0\]\.value: must be below 2\^128/);
    assert.throws(
      () => buildSumTree([{ hash: new Uint8Array(32), value: -5n }]),
      /leaves\[0\]\.value: must not be negative/,
    );
    // 2^127 + 2^127 = 2^128: one past the top.
    assert.throws(() => buildSumTree([a(1n << 127n), a(1n << 127n)]), SumTreeError);
    assert.throws(
      () => buildSumTree([a(1n << 127n), a(1n << 127n)]),
      /node 0 at level 1 overflows u128/,
    );
    // Overflow only higher up: (2^127 − 1 + 1) + (2^127 − 1 + 1) at level 2.
    const high = [a((1n << 127n) - 1n), a(1n), a((1n << 127n) - 1n), a(1n)];
    assert.throws(() => buildSumTree(high), /node 0 at level 2 overflows u128/);
    // Just fits: 2^128 − 1 in total.
    assert.equal(buildSumTree([a(u128Max - 7n), a(7n)]).root.value, u128Max);
    assert.throws(() => buildSumTree(new Uint8Array(47)), /multiple of 48 bytes/);
    assert.throws(
      () => buildSumTree([{ customerId: 'a', salt: salt0, value: 1 as unknown as bigint }]),
      /must be a bigint/,
    );
  });
});

describe('sumProof and verifySumProof', () => {
  it('verifies every proof of a random tree', () => {
    fc.assert(
      fc.property(treeAndIndexArb, ({ accounts, index }) => {
        const tree = buildSumTree(accounts);
        assert.deepEqual(verifySumProof(proofInput(tree, accounts, index)), { ok: true });
        assert.deepEqual(verifySumProof(proofInput(tree, accounts, index), nodeSha256), {
          ok: true,
        });
      }),
    );
  });

  it('fails on any change to the value, salt, id, a sibling, or the index', () => {
    const change = fc.record({
      what: fc.constantFrom('value', 'salt', 'customerId', 'siblingHash', 'siblingValue', 'index'),
      bit: fc.nat({ max: 255 }),
      delta: fc.bigInt({ min: 1n, max: 1n << 64n }),
      other: fc.nat(),
    });
    fc.assert(
      fc.property(treeAndIndexArb, change, ({ accounts, index }, c) => {
        const tree = buildSumTree(accounts);
        const input = proofInput(tree, accounts, index);
        const step = input.proof.length > 0 ? c.other % input.proof.length : -1;
        const withStep = (s: Partial<SumProofStep>) =>
          input.proof.map((p, k) => (k === step ? { ...p, ...s } : p));
        let changed: SumProofInput;
        switch (c.what) {
          case 'value':
            changed = { ...input, value: input.value + c.delta };
            break;
          case 'salt':
            changed = { ...input, salt: flipBit(input.salt, c.bit) };
            break;
          case 'customerId':
            changed = { ...input, customerId: `${input.customerId}x` };
            break;
          case 'siblingHash':
            fc.pre(step >= 0);
            changed = {
              ...input,
              proof: withStep({ hash: flipBit(input.proof[step]!.hash, c.bit) }),
            };
            break;
          case 'siblingValue': {
            fc.pre(step >= 0);
            const v = input.proof[step]!.value;
            changed = {
              ...input,
              proof: withStep({ value: v >= c.delta ? v - c.delta : v + c.delta }),
            };
            break;
          }
          case 'index': {
            fc.pre(accounts.length > 1);
            const other = (index + 1 + (c.other % (accounts.length - 1))) % accounts.length;
            changed = { ...input, index: BigInt(other) };
            break;
          }
        }
        notOk(verifySumProof(changed));
      }),
      { numRuns: 300 },
    );
  });

  it('fails when the root is not the tree’s, in hash or in total', () => {
    const accounts: Account[] = [
      { customerId: 'a', salt: salt0, value: 5n },
      { customerId: 'b', salt: salt0, value: 7n },
    ];
    const tree = buildSumTree(accounts);
    const input = proofInput(tree, accounts, 0);
    notOk(
      verifySumProof({ ...input, root: { ...tree.root, value: 11n } }),
      /root.value: the proof sums to 12/,
    );
    notOk(
      verifySumProof({ ...input, root: { ...tree.root, hash: flipBit(tree.root.hash, 0) } }),
      /root.hash: differs/,
    );
  });

  it('fails on a proof of the wrong length or sides, or a sum overflowing u128', () => {
    const accounts: Account[] = [
      { customerId: 'a', salt: salt0, value: 5n },
      { customerId: 'b', salt: salt0, value: 7n },
      { customerId: 'c', salt: salt0, value: 9n },
    ];
    const tree = buildSumTree(accounts);
    const input = proofInput(tree, accounts, 0);
    notOk(verifySumProof({ ...input, proof: input.proof.slice(1) }), /has 1 steps.*needs 2/);
    notOk(verifySumProof({ ...input, proof: [...input.proof, input.proof[0]!] }), /has 3 steps/);
    const swapped = input.proof.map((s, k) => (k === 0 ? { ...s, side: 'left' as const } : s));
    notOk(verifySumProof({ ...input, proof: swapped }), /proof\[0\]\.side: must be right/);
    const huge = input.proof.map((s, k) => (k === 1 ? { ...s, value: u128Max } : s));
    notOk(verifySumProof({ ...input, proof: huge }), /proof\[1\]: the sum overflows u128/);
  });

  it('returns a reason, never passes or throws, on malformed input', () => {
    const accounts: Account[] = [{ customerId: 'a', salt: salt0, value: 5n }];
    const tree = buildSumTree(accounts);
    const input = proofInput(tree, accounts, 0);
    const bad: Array<[Partial<Record<keyof SumProofInput, unknown>>, RegExp]> = [
      [{ index: 1n }, /index: must be a bigint from 0 to size − 1/],
      [{ index: -1n }, /index/],
      [{ size: 0n }, /size: must be a bigint from 1/],
      [{ size: 1n << 64n }, /size/],
      [{ size: 1 }, /size/],
      [{ value: -5n }, /value: must not be negative/],
      [{ salt: new Uint8Array(33) }, /salt: must be 32 bytes/],
      [{ customerId: 'e\u0301' }, /customerId: must be in Unicode NFC/],
      [{ proof: 'none' }, /proof: must be an array/],
      [{ root: { hash: new Uint8Array(32), value: -1n } }, /root.value/],
      [{ root: null }, /root: must be an object/],
    ];
    for (const [patch, reason] of bad) {
      notOk(verifySumProof({ ...input, ...patch } as SumProofInput), reason);
    }
    notOk(verifySumProof(null as unknown as SumProofInput), /input: must be an object/);
    const tree3 = buildSumTree([...accounts, ...accounts, ...accounts]);
    const in3 = proofInput(tree3, [...accounts, ...accounts, ...accounts], 0);
    const badStep = [{ hash: new Uint8Array(32), value: 0n, side: 'up' }, in3.proof[1]];
    notOk(
      verifySumProof({ ...in3, proof: badStep } as SumProofInput),
      /proof\[0\]\.side: must be right, got up/,
    );
  });
});

describe('paths in trees of any size up to 2^64 − 1', () => {
  /** RFC 6962 §2.1.1 PATH(m, D[n]), as the sides of the siblings from the leaf up. */
  function refSides(m: bigint, n: bigint): Array<'left' | 'right'> {
    if (n <= 1n) return [];
    let k = 1n;
    while (k * 2n < n) k *= 2n;
    return m < k ? [...refSides(m, k), 'right'] : [...refSides(m - k, n - k), 'left'];
  }

  it('verifies a path built by RFC 6962’s recursion, for any index of any size', () => {
    const sizeAndIndex = fc
      .bigInt({ min: 1n, max: (1n << 64n) - 1n })
      .chain((size) => fc.tuple(fc.constant(size), fc.bigInt({ min: 0n, max: size - 1n })));
    fc.assert(
      fc.property(
        sizeAndIndex,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        ([size, index], h) => {
          const sides = refSides(index, size);
          assert.ok(sides.length <= 64);
          // Any sibling hashes will do: the root is recomputed from them the RFC's way.
          const proof = sides.map(
            (side, k): SumProofStep => ({ hash: flipBit(h, k), value: BigInt(k), side }),
          );
          const leaf = sumLeaf('acct', salt0, 1n);
          const root = naiveRoot(leaf, proof, sumNode);
          const input = { customerId: 'acct', salt: salt0, value: 1n, index, size, proof, root };
          assert.deepEqual(verifySumProof(input), { ok: true });
          const extra: SumProofStep = { hash: h, value: 0n, side: 'left' };
          notOk(verifySumProof({ ...input, proof: [...proof, extra] }), /steps/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads nodes of a built tree by level and index, and refuses others', () => {
    const tree = buildSumTree([
      { customerId: 'a', salt: salt0, value: 1n },
      { customerId: 'b', salt: salt0, value: 2n },
    ]);
    assert.deepEqual(sumTreeNode(tree, 1, 0n), tree.root);
    assert.throws(() => sumTreeNode(tree, 2, 0n), /level: must be an integer from 0 to 1/);
    assert.throws(() => sumTreeNode(tree, 0, 2n), /index: must be a bigint from 0 to 1 at level 0/);
    assert.throws(() => sumProof(tree, 2n), /index: must be a bigint from 0 to size − 1/);
  });
});

describe('encodeSumProof and decodeSumProof', () => {
  it('round-trips any proof, with decimal values and hex hashes', () => {
    fc.assert(
      fc.property(treeAndIndexArb, ({ accounts, index }) => {
        const tree = buildSumTree(accounts);
        const input = proofInput(tree, accounts, index);
        const text = encodeSumProof(input);
        assert.deepEqual(decodeSumProof(text), input);
        assert.deepEqual(verifySumProof(decodeSumProof(text)), { ok: true });
      }),
      { numRuns: 50 },
    );
  });

  it('writes the documented shape', () => {
    const accounts: Account[] = [
      { customerId: 'alice', salt: salt0, value: 5n },
      { customerId: 'bob', salt: salt0.map((x) => x ^ 0xff), value: 10n },
    ];
    const tree = buildSumTree(accounts);
    const json = JSON.parse(encodeSumProof(proofInput(tree, accounts, 0)));
    assert.deepEqual(json, {
      format: 'clearpeg-sum-proof/1',
      customerId: 'alice',
      salt: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
      value: '5',
      index: '0',
      size: '2',
      proof: [
        {
          side: 'right',
          hash: '9ac1186746c47de749cfa6a6f9cc9af735c4c016155115f0746bec8d6fb96412',
          value: '10',
        },
      ],
      root: { hash: hex(tree.root.hash), value: '15' },
    });
  });

  it('refuses anything off the shape, naming the field', () => {
    const accounts: Account[] = [
      { customerId: 'alice', salt: salt0, value: 5n },
      { customerId: 'bob', salt: salt0, value: 10n },
    ];
    const tree = buildSumTree(accounts);
    const good = JSON.parse(encodeSumProof(proofInput(tree, accounts, 0)));
    const step = good.proof[0];
    const h = step.hash;
    const bad: Array<[unknown, RegExp]> = [
      [{ ...good, extra: 1 }, /unknown key "extra"/],
      [{ ...good, format: 'clearpeg-sum-proof/2' }, /format: must be/],
      [{ ...good, value: '05' }, /value: must be a decimal string/],
      [{ ...good, value: '-5' }, /value: must be a decimal string/],
      [{ ...good, value: 5 }, /value: must be a decimal string/],
      [{ ...good, value: '1e3' }, /value: must be a decimal string/],
      [{ ...good, value: (1n << 128n).toString() }, /value: must be at most/],
      [{ ...good, index: '2' }, /index: must be below size/],
      [{ ...good, size: '0' }, /size: must be at least 1/],
      [{ ...good, size: (1n << 64n).toString() }, /size: must be at most/],
      [{ ...good, salt: good.salt.toUpperCase() }, /salt: must be 64 lowercase hex/],
      [{ ...good, salt: good.salt.slice(2) }, /salt: must be 64 lowercase hex/],
      [{ ...good, customerId: '' }, /customerId: must not be empty/],
      [{ ...good, proof: {} }, /proof: must be an array/],
      [{ ...good, proof: [{ ...step, side: 'up' }] }, /proof\[0\]\.side/],
      [{ ...good, proof: [{ hash: h, value: '1' }] }, /proof\[0\]: missing key "side"/],
      [{ ...good, proof: [{ ...step, hash: `${h}00` }] }, /proof\[0\]\.hash/],
      [{ ...good, root: { hash: h } }, /root: missing key "value"/],
      [[good], /proof JSON: must be a JSON object/],
    ];
    const { root: _root, ...noRoot } = good;
    bad.push([noRoot, /missing key "root"/]);
    for (const [json, message] of bad) {
      assert.throws(() => decodeSumProof(JSON.stringify(json)), message, JSON.stringify(json));
    }
    assert.throws(() => decodeSumProof('{'), /not valid JSON/);
  });
});

// ---------------------------------------------------------------------------------------------
// The attacks

/**
 * Recomputes a root from a leaf and a proof, trusting the proof's sides: the loop of any sum
 * tree verifier, with the node function as the parameter.
 */
function naiveRoot(
  leaf: SumNode,
  proof: readonly SumProofStep[],
  node: (l: SumNode, r: SumNode) => SumNode,
) {
  return proof.reduce((n, s) => (s.side === 'left' ? node(s, n) : node(n, s)), leaf);
}

function sameNode(a: SumNode, b: SumNode): boolean {
  return hex(a.hash) === hex(b.hash) && a.value === b.value;
}

describe('the Maxwell attack: a node that hashes only the sum', () => {
  // Maxwell's original tree: node = SHA-256(0x01 ‖ hashL ‖ hashR ‖ u128(valueL + valueR)),
  // only the sum hashed. The split between the two children is not committed, so the issuer
  // may show each child a different sibling value (Hu, Zhang, Guo, "Maxwell's proof of
  // solvency revisited", 2019; Ji and Chalkias, "Generalized proof of liabilities", 2021).
  const maxwellNode = (l: SumNode, r: SumNode): SumNode => ({
    hash: refSha(Uint8Array.of(0x01), l.hash, r.hash, refU128(l.value + r.value)),
    value: l.value + r.value,
  });
  const a = sumLeaf('alice', salt0, 5n);
  const b = sumLeaf(
    'bob',
    salt0.map((x) => x ^ 0xff),
    10n,
  );
  const c = sumLeaf('carol', new Uint8Array(32), 20n);
  const d = sumLeaf('dave', new Uint8Array(32).fill(1), 30n);

  it('lets the issuer understate the total while every customer’s proof verifies', () => {
    // The issuer claims 10 for node(a, b) instead of 15: its hash commits to the sum 10 only.
    const ab = { hash: maxwellNode(a, { ...b, value: 5n }).hash, value: 10n };
    const cd = maxwellNode(c, d);
    const root = maxwellNode(ab, cd);
    assert.equal(root.value, 60n); // the true total is 65
    // Alice is shown Bob at 5 (5 + 5 = 10), Bob is shown Alice at 0 (0 + 10 = 10).
    const proofs: Array<[SumNode, SumProofStep[]]> = [
      [
        a,
        [
          { ...b, value: 5n, side: 'right' },
          { ...cd, side: 'right' },
        ],
      ],
      [
        b,
        [
          { ...a, value: 0n, side: 'left' },
          { ...cd, side: 'right' },
        ],
      ],
      [
        c,
        [
          { ...d, side: 'right' },
          { ...ab, side: 'left' },
        ],
      ],
      [
        d,
        [
          { ...c, side: 'left' },
          { ...ab, side: 'left' },
        ],
      ],
    ];
    for (const [leaf, proof] of proofs) {
      assert.ok(sameNode(naiveRoot(leaf, proof, maxwellNode), root));
    }
  });

  it('is caught by our node, which hashes both child sums', () => {
    // Whatever split (x, 10 − x) the issuer commits in node(a, b), and whatever values it then
    // shows Alice and Bob, at most one of them verifies against a total of 60.
    const cd = sumNode(c, d);
    for (let x = 0n; x <= 10n; x++) {
      const ab = sumNode({ ...a, value: x }, { ...b, value: 10n - x });
      const root = sumNode(ab, cd);
      assert.equal(root.value, 60n);
      for (let shownToAlice = 0n; shownToAlice <= 10n; shownToAlice++) {
        for (let shownToBob = 0n; shownToBob <= 10n; shownToBob++) {
          const common = { index: 0n, size: 4n, root, salt: salt0 };
          const alice = verifySumProof({
            ...common,
            customerId: 'alice',
            value: 5n,
            proof: [
              { ...b, value: shownToAlice, side: 'right' },
              { ...cd, side: 'right' },
            ],
          });
          const bob = verifySumProof({
            ...common,
            customerId: 'bob',
            salt: salt0.map((v) => v ^ 0xff),
            value: 10n,
            index: 1n,
            proof: [
              { ...a, value: shownToBob, side: 'left' },
              { ...cd, side: 'right' },
            ],
          });
          assert.ok(!(alice.ok && bob.ok), `split ${x}: both verified`);
        }
      }
    }
    // The same lie as above, replayed in our format: Bob's check fails on the root hash.
    const ab = sumNode(a, { ...b, value: 5n });
    const root = sumNode(ab, cd);
    const common = { size: 4n, root };
    assert.deepEqual(
      verifySumProof({
        ...common,
        customerId: 'alice',
        salt: salt0,
        value: 5n,
        index: 0n,
        proof: [
          { ...b, value: 5n, side: 'right' },
          { ...cd, side: 'right' },
        ],
      }),
      { ok: true },
    );
    notOk(
      verifySumProof({
        ...common,
        customerId: 'bob',
        salt: salt0.map((v) => v ^ 0xff),
        value: 10n,
        index: 1n,
        proof: [
          { ...a, value: 0n, side: 'left' },
          { ...cd, side: 'right' },
        ],
      }),
      /root.hash: differs/,
    );
  });
});

describe('the clash attack: salts not bound to the customer', () => {
  // If a leaf is SHA-256(0x00 ‖ salt ‖ value) and the issuer picks the salts, two customers
  // with equal balances can be given the same salt and index and shown one leaf: the tree
  // counts one balance for two (Chalkias, Lewi, Mohassel, Nikolaenko, "Distributed auditing
  // proofs of liabilities", 2020, on shared-leaf attacks).
  const naiveLeaf = (salt: Uint8Array, value: bigint): SumNode => ({
    hash: refSha(Uint8Array.of(0x00), salt, refU128(value)),
    value,
  });
  const shared = new Uint8Array(32).fill(0x5a);
  const carolSalt = new Uint8Array(32).fill(0x07);

  it('lets two customers with equal balances share one leaf', () => {
    // Alice and Bob both hold 100; the tree holds 100 once and Carol's 7: total 107, not 207.
    const leaves = [naiveLeaf(shared, 100n), naiveLeaf(carolSalt, 7n)];
    const root = sumNode(leaves[0]!, leaves[1]!);
    assert.equal(root.value, 107n);
    const proof: SumProofStep[] = [{ ...leaves[1]!, side: 'right' }];
    // Alice and Bob recompute the same leaf from the same salt and value: both pass.
    for (const _customer of ['alice', 'bob']) {
      assert.ok(sameNode(naiveRoot(naiveLeaf(shared, 100n), proof, sumNode), root));
    }
  });

  it('is caught by our leaf, which binds the customer id', () => {
    const tree = buildSumTree([
      { customerId: 'alice', salt: shared, value: 100n },
      { customerId: 'carol', salt: carolSalt, value: 7n },
    ]);
    assert.equal(tree.root.value, 107n);
    const told = { salt: shared, value: 100n, index: 0n, size: 2n, proof: sumProof(tree, 0n) };
    assert.deepEqual(verifySumProof({ ...told, customerId: 'alice', root: tree.root }), {
      ok: true,
    });
    notOk(verifySumProof({ ...told, customerId: 'bob', root: tree.root }), /root.hash: differs/);
    // Even with a salt of the issuer's choosing, Bob's leaf is another leaf.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (salt) => {
        notOk(verifySumProof({ ...told, salt, customerId: 'bob', root: tree.root }));
      }),
      { numRuns: 50 },
    );
  });
});
