import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { formatAmount } from '../money/money.ts';
import { throwsCode } from '../testing.ts';
import {
  type Approval,
  approvalLimits,
  approverPublicKey,
  checkQuorum,
  generateApproverKey,
  type RegisteredApprover,
  signApproval,
  signMessage,
  verifyApproval,
  verifyMessage,
} from './approvals.ts';
import {
  canonicalIntentJson,
  describeIntent,
  type Intent,
  intentBytes,
  intentDomain,
  intentHash,
  parseIntent,
  parseIntentBytes,
} from './intent.ts';

/** Node's Ed25519 (OpenSSL): an implementation independent of @noble/curves. */
function opensslVerify(signature: Uint8Array, message: Uint8Array, publicKeyHex: string): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyHex, 'hex').toString('base64url') },
    format: 'jwk',
  });
  return nodeVerify(null, message, key, signature);
}

const mint: Intent = {
  kind: 'mint',
  requestId: 'req-0001',
  chainId: '31337',
  to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
  amount: '1000000.000000',
  asset: 'CPUSD',
  customerId: 'cus-0042',
};

// RFC 8032 §7.1, TEST 1 and TEST 2 (https://www.rfc-editor.org/rfc/rfc8032#section-7.1).
const rfc8032 = [
  {
    name: 'TEST 1 (empty message)',
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155' +
      '5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (one byte)',
    secretKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da' +
      '085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

describe('Ed25519 primitive (RFC 8032)', () => {
  for (const v of rfc8032) {
    it(`reproduces ${v.name}: public key, signature, verification`, () => {
      const secret = hexToBytes(v.secretKey);
      const message = hexToBytes(v.message);
      assert.equal(approverPublicKey(secret), v.publicKey);
      assert.equal(bytesToHex(signMessage(message, secret)), v.signature);
      assert.equal(verifyMessage(hexToBytes(v.signature), message, hexToBytes(v.publicKey)), true);
      assert.equal(opensslVerify(hexToBytes(v.signature), message, v.publicKey), true);
      const other = Uint8Array.of(...message, 0);
      assert.equal(verifyMessage(hexToBytes(v.signature), other, hexToBytes(v.publicKey)), false);
    });
  }

  it('refuses a malleated signature (S + L) that a lax verifier might take', () => {
    const v = rfc8032[1]!;
    const sig = hexToBytes(v.signature);
    const order = ed25519.Point.Fn.ORDER;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    const malleated = Uint8Array.from(sig);
    let t = s + order;
    for (let i = 32; i < 64; i++, t >>= 8n) malleated[i] = Number(t & 0xffn);
    assert.equal(t, 0n, 'S + L fits 32 bytes');
    assert.equal(verifyMessage(malleated, hexToBytes(v.message), hexToBytes(v.publicKey)), false);
  });

  it('refuses a small-order public key (the identity verifies forgeries)', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const message = Uint8Array.of(1, 2, 3);
    // R = identity, S = 0 satisfies [S]B = R + [k]A for A = identity, whatever the message.
    const forged = new Uint8Array(64);
    forged[0] = 1;
    assert.equal(verifyMessage(forged, message, identity), false);
    throwsCode(
      () =>
        verifyApproval(
          signApproval(mint, new Uint8Array(32).fill(7), 'a'),
          mint,
          bytesToHex(identity),
        ),
      'approver-key-invalid',
      'registeredPublicKey',
    );
  });
});

describe('intent bytes', () => {
  it('are the prefix then RFC 8785 JSON: keys sorted, no whitespace', () => {
    assert.equal(
      canonicalIntentJson(mint),
      '{"amount":"1000000.000000","asset":"CPUSD","chainId":"31337","customerId":"cus-0042",' +
        '"kind":"mint","requestId":"req-0001","to":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8"}',
    );
    const text = new TextDecoder().decode(intentBytes(mint));
    assert.equal(text, `clearpeg-approval/1\n${canonicalIntentJson(mint)}`);
    assert.equal(intentDomain, 'clearpeg-approval/1\n');
    assert.equal(intentHash(mint), createHash('sha256').update(intentBytes(mint)).digest('hex'));
  });

  it('do not depend on key order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(Object.entries(mint), { minLength: 7 }), (entries) => {
        const reordered = Object.fromEntries(entries) as Intent;
        assert.deepEqual(intentBytes(reordered), intentBytes(mint));
        assert.equal(intentHash(reordered), intentHash(mint));
      }),
    );
  });

  it('escape as RFC 8785 does and encode UTF-8', () => {
    const intent = { kind: 'note', requestId: 'r', text: 'Zoë "q" \\ €' };
    assert.equal(
      canonicalIntentJson(intent),
      '{"kind":"note","requestId":"r","text":"Zoë \\"q\\" \\\\ €"}',
    );
    assert.deepEqual(parseIntentBytes(intentBytes(intent)), intent);
  });

  it('decode only from their exact canonical form', () => {
    assert.deepEqual(parseIntentBytes(intentBytes(mint)), mint);
    const encode = (s: string) => new TextEncoder().encode(s);
    const json = canonicalIntentJson(mint);
    throwsCode(() => parseIntentBytes(encode(json)), 'intent-bytes-invalid');
    throwsCode(
      () => parseIntentBytes(encode(`${intentDomain}${JSON.stringify(mint)}`)),
      'intent-bytes-invalid',
    );
    throwsCode(() => parseIntentBytes(encode(`${intentDomain}${json} `)), 'intent-bytes-invalid');
    throwsCode(() => parseIntentBytes(Uint8Array.of(0xff)), 'intent-bytes-invalid');
  });

  it('refuse what an intent may not hold, naming the field', () => {
    const cases: [unknown, string][] = [
      [null, 'intent'],
      [[], 'intent'],
      [new Map(), 'intent'],
      [{ requestId: 'r' }, 'intent.kind'],
      [{ kind: 'mint-x' }, 'intent.requestId'],
      [{ kind: 'Mint', requestId: 'r' }, 'intent.kind'],
      [{ kind: 'x', requestId: 'r', 'bad-key': 'v' }, 'intent'],
      [{ kind: 'x', requestId: 'r', _proto: 'v' }, 'intent'],
      [{ kind: 'x', requestId: 'r', n: 5 }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: 5n }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: '' }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: 'a'.repeat(257) }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: 'line\nbreak' }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: 'abc\u202Efed' }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: 'zero\u200Bwidth' }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: 'lone \uD800' }, 'intent.n'],
      [{ kind: 'x', requestId: 'r', n: 'e\u0301' }, 'intent.n'],
      [{ ...mint, amount: '1000000' }, 'intent.amount'],
      [{ ...mint, amount: '1000000.5' }, 'intent.amount'],
      [{ ...mint, amount: '01.000000' }, 'intent.amount'],
      [{ ...mint, amount: '-1.000000' }, 'intent.amount'],
      [{ ...mint, chainId: '031337' }, 'intent.chainId'],
      [{ ...mint, to: mint.to!.toUpperCase().replace('0X', '0x') }, 'intent.to'],
      [
        Object.fromEntries(Object.entries(mint).filter(([k]) => k !== 'customerId')),
        'intent.customerId',
      ],
    ];
    for (const [value, field] of cases)
      throwsCode(() => parseIntent(value), 'intent-invalid', field);
    const fields = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
    assert.ok(parseIntent({ kind: 'x', requestId: 'r', ...fields(30) }));
    throwsCode(
      () => parseIntent({ kind: 'x', requestId: 'r', ...fields(31) }),
      'intent-invalid',
      'intent',
    );
    assert.ok(parseIntent({ kind: 'x', requestId: 'r', n: '€'.repeat(256) }));
  });

  it('summarise every field on one line, addresses in full', () => {
    assert.equal(
      describeIntent(mint),
      'mint 1,000,000.000000 CPUSD to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 on chain 31337 ' +
        'for customer cus-0042, request req-0001',
    );
    assert.equal(
      describeIntent({ ...mint, customerId: 'C, request R2', memo: 'x' }),
      'mint 1,000,000.000000 CPUSD to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 on chain 31337 ' +
        'for customer "C, request R2", request req-0001 (memo x)',
    );
    assert.equal(
      describeIntent({ kind: 'payout', requestId: 'R', amount: '1234.500000', currency: 'USD' }),
      'payout amount 1,234.500000, currency USD, request R',
    );
    assert.equal(describeIntent({ kind: 'freeze', requestId: 'R' }), 'freeze, request R');
    const investment = {
      kind: 'investment',
      requestId: 'R',
      reference: 'I-1',
      name: 'btc',
      asset: 'bitcoin',
      amount: '250000.000000',
      currency: 'USD',
      bank: 'bank-a',
      custodian: 'Coinbase Custody',
      jurisdiction: 'US',
      statement: 'none',
    };
    assert.equal(
      describeIntent(investment),
      'invest 250,000.000000 USD from bank bank-a in bitcoin btc, held by "Coinbase Custody" in US, ' +
        'statement none, reference I-1, request R',
    );
    const { custodian: _, ...anonymous } = investment;
    throwsCode(() => parseIntent(anonymous), 'intent-invalid', 'intent.custodian');
  });
});

/** Arbitrary valid intents: mints with random fields, and other kinds of random fields. */
const valueArb = fc
  .string({ minLength: 1, maxLength: 24, unit: 'grapheme' })
  .map((s) => s.normalize('NFC'))
  .filter((s) => {
    try {
      parseIntent({ kind: 'x', requestId: 'r', v: s });
      return true;
    } catch {
      return false;
    }
  });
const mintArb = fc.record({
  kind: fc.constant('mint'),
  requestId: valueArb,
  chainId: fc.bigInt({ min: 1n, max: 2n ** 63n }).map(String),
  to: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${bytesToHex(b)}`),
  amount: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(formatAmount),
  asset: fc.constantFrom('CPUSD', 'USD'),
  customerId: valueArb,
});
const otherArb = fc
  .tuple(
    fc.constantFrom('payout', 'policy-change', 'freeze'),
    valueArb,
    fc.dictionary(
      fc
        .stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,11}$/)
        .filter((k) => !['kind', 'requestId', 'amount', 'chainId'].includes(k)),
      valueArb,
      { maxKeys: 12 },
    ),
  )
  .map(([kind, requestId, rest]) => ({ ...rest, kind, requestId }) as Intent);
const intentArb: fc.Arbitrary<Intent> = fc.oneof(mintArb, otherArb);

describe('approvals', () => {
  const alice = generateApproverKey();
  const bob = generateApproverKey();

  it('generate 32-byte keys whose public half matches', () => {
    assert.equal(alice.privateKey.length, 32);
    assert.match(alice.publicKey, /^[0-9a-f]{64}$/);
    assert.equal(approverPublicKey(alice.privateKey), alice.publicKey);
    assert.notDeepEqual(alice.privateKey, bob.privateKey);
  });

  it('sign then verify, and any single-byte change of the signature fails (property)', () => {
    fc.assert(
      fc.property(
        intentArb,
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: 1, max: 255 }),
        (intent, index, delta) => {
          const approval = signApproval(intent, alice.privateKey, 'alice');
          assert.equal(approval.intentHash, intentHash(intent));
          verifyApproval(approval, intent, alice.publicKey);
          assert.ok(
            opensslVerify(hexToBytes(approval.signature), intentBytes(intent), alice.publicKey),
          );
          const bytes = hexToBytes(approval.signature);
          bytes[index] = bytes[index]! ^ delta;
          const tampered = { ...approval, signature: bytesToHex(bytes) };
          throwsCode(() => verifyApproval(tampered, intent, alice.publicKey), 'approval-invalid');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fail on every single-byte change of a signature, position by position', () => {
    const approval = signApproval(mint, alice.privateKey, 'alice');
    for (let index = 0; index < 64; index++) {
      const bytes = hexToBytes(approval.signature);
      bytes[index] = bytes[index]! ^ 0x01;
      const tampered = { ...approval, signature: bytesToHex(bytes) };
      throwsCode(
        () => verifyApproval(tampered, mint, alice.publicKey),
        'approval-invalid',
        'approval.signature',
      );
    }
  });

  it('fail when replayed on another intent: amount or recipient changed by one character', () => {
    const approval = signApproval(mint, alice.privateKey, 'alice');
    const others: Intent[] = [
      { ...mint, amount: '1000001.000000' },
      { ...mint, to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c9' },
      { ...mint, chainId: '1' },
      { ...mint, kind: 'payout' },
    ];
    for (const other of others) {
      // As is: the approval names the other intent's hash.
      throwsCode(
        () => verifyApproval(approval, other, alice.publicKey),
        'approval-invalid',
        'approval.intentHash',
      );
      // Hash swapped to the other intent's: the signature still covers the first intent only.
      const relabelled = { ...approval, intentHash: intentHash(other) };
      throwsCode(
        () => verifyApproval(relabelled, other, alice.publicKey),
        'approval-invalid',
        'approval.signature',
      );
    }
  });

  it('fail when replayed on an intent with any one value changed (property)', () => {
    fc.assert(
      fc.property(intentArb, valueArb, fc.nat(), (intent, replacement, pick) => {
        const keys = Object.keys(intent);
        const key = keys[pick % keys.length]!;
        const other = { ...intent, [key]: replacement } as Intent;
        fc.pre(other[key] !== intent[key]);
        try {
          parseIntent(other);
        } catch {
          return; // not a valid intent (a mint's address, amount…): nothing to replay on.
        }
        const approval = {
          ...signApproval(intent, alice.privateKey, 'alice'),
          intentHash: intentHash(other),
        };
        throwsCode(() => verifyApproval(approval, other, alice.publicKey), 'approval-invalid');
      }),
      { numRuns: 100 },
    );
  });

  it("refuse an approval whose key is not the approver's registered key", () => {
    const approval = signApproval(mint, bob.privateKey, 'alice');
    throwsCode(
      () => verifyApproval(approval, mint, alice.publicKey),
      'approval-key-mismatch',
      'approval.publicKey',
    );
    // Claiming the registered key does not help: verification uses the registered key.
    const claimed = { ...approval, publicKey: alice.publicKey };
    throwsCode(
      () => verifyApproval(claimed, mint, alice.publicKey),
      'approval-invalid',
      'approval.signature',
    );
  });

  it('refuse a malformed approval, naming the field', () => {
    const approval = signApproval(mint, alice.privateKey, 'alice');
    const cases: [unknown, string][] = [
      [null, 'approval'],
      [{ ...approval, signature: approval.signature.toUpperCase() }, 'approval.signature'],
      [{ ...approval, signature: approval.signature.slice(2) }, 'approval.signature'],
      [{ ...approval, publicKey: `0x${approval.publicKey}` }, 'approval.publicKey'],
      [{ ...approval, intentHash: 5 }, 'approval.intentHash'],
      [{ ...approval, approverId: '' }, 'approval.approverId'],
      [{ ...approval, approverId: 'a b' }, 'approval.approverId'],
      [
        { ...approval, approverId: 'a'.repeat(approvalLimits.approverIdCharsMax + 1) },
        'approval.approverId',
      ],
    ];
    for (const [value, field] of cases)
      throwsCode(
        () => verifyApproval(value as Approval, mint, alice.publicKey),
        'approval-invalid',
        field,
      );
    throwsCode(
      () => signApproval(mint, new Uint8Array(31), 'alice'),
      'approver-key-invalid',
      'privateKey',
    );
    throwsCode(
      () => verifyApproval(approval, mint, 'zz'),
      'approver-key-invalid',
      'registeredPublicKey',
    );
  });
});

describe('checkQuorum', () => {
  const keys = {
    ivan: generateApproverKey(),
    alice: generateApproverKey(),
    bob: generateApproverKey(),
    carol: generateApproverKey(),
    dave: generateApproverKey(),
    erin: generateApproverKey(),
  };
  const register = (
    overrides: Partial<Record<keyof typeof keys, Partial<RegisteredApprover>>> = {},
  ): Map<string, RegisteredApprover> =>
    new Map(
      Object.entries(keys).map(([id, key]) => [
        id,
        {
          publicKey: key.publicKey,
          roles: ['approver'],
          active: true,
          ...overrides[id as keyof typeof keys],
        },
      ]),
    );
  const sign = (id: keyof typeof keys, intent: Intent = mint) =>
    signApproval(intent, keys[id].privateKey, id);
  /** The quorum of `approvals` of `mint`, initiated by ivan. */
  const quorum = (approvals: readonly Approval[], required: number, approvers = register()) =>
    checkQuorum({ intent: mint, initiatorId: 'ivan', approvals, approvers, required });

  it('counts two valid approvals from two approvers', () => {
    const result = quorum([sign('alice'), sign('bob')], 2);
    assert.deepEqual(result, { ok: true, counted: ['alice', 'bob'], refused: [] });
  });

  it("never counts the initiator's own approval, even with a valid signature", () => {
    const result = quorum([sign('ivan'), sign('alice')], 2);
    assert.deepEqual(result, {
      ok: false,
      counted: ['alice'],
      refused: [{ approverId: 'ivan', reason: 'initiator' }],
    });
  });

  it("never counts an approval under the initiator's key filed under another id", () => {
    const approvers = register({ erin: { publicKey: keys.ivan.publicKey } });
    const approvals = [signApproval(mint, keys.ivan.privateKey, 'erin'), sign('alice')];
    const result = quorum(approvals, 2, approvers);
    assert.deepEqual(result.refused, [{ approverId: 'erin', reason: 'initiator' }]);
    assert.equal(result.ok, false);
  });

  it('counts duplicates once, and one key shared by two approvers once', () => {
    const approvers = register({ erin: { publicKey: keys.alice.publicKey } });
    const approvals = [
      sign('alice'),
      sign('alice'),
      signApproval(mint, keys.alice.privateKey, 'erin'),
      { ...sign('alice'), signature: sign('bob').signature },
    ];
    const result = quorum(approvals, 2, approvers);
    assert.deepEqual(result, {
      ok: false,
      counted: ['alice'],
      refused: [
        { approverId: 'alice', reason: 'duplicate' },
        { approverId: 'erin', reason: 'shared-key' },
        { approverId: 'alice', reason: 'duplicate' },
      ],
    });
  });

  it('counts a valid approval that follows an invalid one from the same approver', () => {
    const forged = {
      ...sign('alice'),
      signature: sign('alice', { ...mint, amount: '1.000000' }).signature,
    };
    const result = quorum([forged, sign('alice')], 1);
    assert.deepEqual(result, {
      ok: true,
      counted: ['alice'],
      refused: [{ approverId: 'alice', reason: 'approval-invalid' }],
    });
  });

  it('refuses inactive, non-approver, unknown, mismatched and invalid approvals', () => {
    const approvers = register({
      bob: { active: false },
      carol: { roles: ['treasurer', 'admin'] },
      dave: { publicKey: keys.erin.publicKey },
      erin: { publicKey: 'not a key' },
    });
    approvers.delete('alice');
    const result = quorum(
      [
        sign('alice'),
        sign('bob'),
        sign('carol'),
        sign('dave'),
        sign('erin'),
        sign('ivan', { ...mint, amount: '2.000000' }),
        { approverId: 'x' } as Approval,
      ],
      1,
      approvers,
    );
    assert.deepEqual(result, {
      ok: false,
      counted: [],
      refused: [
        { approverId: 'alice', reason: 'unknown-approver' },
        { approverId: 'bob', reason: 'inactive' },
        { approverId: 'carol', reason: 'not-approver' },
        { approverId: 'dave', reason: 'approval-key-mismatch' },
        { approverId: 'erin', reason: 'approver-key-invalid' },
        { approverId: 'ivan', reason: 'initiator' },
        { approverId: 'x', reason: 'approval-invalid' },
      ],
    });
  });

  it('refuses approvals of another intent', () => {
    const other = { ...mint, to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c9' };
    const result = quorum([sign('alice', other), sign('bob', other)], 1);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.refused.map((r) => r.reason),
      ['approval-invalid', 'approval-invalid'],
    );
  });

  it('refuses a zero or absurd quorum and too many approvals', () => {
    const base = { intent: mint, initiatorId: 'ivan', approvals: [], approvers: register() };
    for (const required of [0, 1.5, 17])
      throwsCode(() => checkQuorum({ ...base, required }), 'quorum-invalid', 'required');
    const flood = Array.from({ length: approvalLimits.approvalsPerCheckMax + 1 }, () =>
      sign('alice'),
    );
    throwsCode(
      () => checkQuorum({ ...base, approvals: flood, required: 1 }),
      'quorum-invalid',
      'approvals',
    );
    throwsCode(
      () => checkQuorum({ ...base, initiatorId: '', required: 1 }),
      'quorum-invalid',
      'initiatorId',
    );
  });
});

describe('vector approval-v1.json', () => {
  const file = JSON.parse(
    readFileSync(new URL('./vectors/approval-v1.json', import.meta.url), 'utf8'),
  ) as {
    format: string;
    privateKey: string;
    publicKey: string;
    approverId: string;
    vectors: {
      intent: Intent;
      canonicalJson: string;
      intentBytes: string;
      intentHash: string;
      signature: string;
    }[];
  };

  it('is reproduced from the private key and the intents', () => {
    assert.equal(file.format, 'clearpeg-approval/1');
    const secret = hexToBytes(file.privateKey);
    assert.deepEqual(secret, new Uint8Array(32).fill(1));
    assert.equal(approverPublicKey(secret), file.publicKey);
    for (const v of file.vectors) {
      assert.equal(canonicalIntentJson(v.intent), v.canonicalJson);
      assert.equal(bytesToHex(intentBytes(v.intent)), v.intentBytes);
      assert.equal(intentHash(v.intent), v.intentHash);
      assert.deepEqual(signApproval(v.intent, secret, file.approverId), {
        approverId: file.approverId,
        publicKey: file.publicKey,
        intentHash: v.intentHash,
        signature: v.signature,
      });
    }
  });

  it('verifies from its bytes alone, here and in an independent implementation', () => {
    for (const v of file.vectors) {
      const bytes = hexToBytes(v.intentBytes);
      assert.equal(Buffer.from(bytes).toString('utf8'), `clearpeg-approval/1\n${v.canonicalJson}`);
      assert.deepEqual(parseIntentBytes(bytes), v.intent);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), v.intentHash);
      assert.ok(opensslVerify(hexToBytes(v.signature), bytes, file.publicKey));
      assert.ok(verifyMessage(hexToBytes(v.signature), bytes, hexToBytes(file.publicKey)));
      const approval = {
        approverId: file.approverId,
        publicKey: file.publicKey,
        intentHash: v.intentHash,
        signature: v.signature,
      };
      verifyApproval(approval, v.intent, file.publicKey);
    }
  });
});
