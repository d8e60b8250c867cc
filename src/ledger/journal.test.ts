import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Micro } from '../money/money.ts';
import {
  ChainVerifier,
  canonicalBytes,
  commandHash,
  decodeRecord,
  derivedCommandHash,
  genesisHash,
  genesisHead,
  hex,
  type RecordContent,
  recordHash,
  unusedFields,
} from './journal.ts';
import { type JournalRecord, recordKind } from './types.ts';

interface Vector {
  record: Record<string, unknown>;
  previousHash: string;
  bytes: string;
  hash: string;
}
const file = JSON.parse(
  readFileSync(new URL('./vectors/journal-v1.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

/** A vector's record: JSON with decimal strings for the u64 and u128 fields. */
type RecordJson = Omit<RecordContent, 'seq' | 'timestampUs' | 'postings'> & {
  seq: string;
  timestampUs: string;
  postings: Array<{ debit: string; credit: string; amount: string }>;
};

function toRecord(json: Record<string, unknown>): RecordContent {
  const r = json as unknown as RecordJson;
  return {
    ...r,
    seq: BigInt(r.seq),
    timestampUs: BigInt(r.timestampUs),
    postings: r.postings.map((p) => ({ ...p, amount: BigInt(p.amount) as Micro })),
  };
}

/** An encoder written from docs/formats.md alone, to cross-check the production one. */
function independentEncoding(r: RecordContent): Buffer {
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const u64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(n);
    return b;
  };
  const uuid = (u: string) => Buffer.from(u.replaceAll('-', ''), 'hex');
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([u16(b.length), b]);
  };
  const entries = Object.entries(r.metadata).sort(([a], [b]) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  return Buffer.concat([
    Buffer.from([1, r.kind]),
    u64(r.seq),
    uuid(r.id),
    u64(r.timestampUs),
    str(r.asset),
    str(r.code),
    u32(r.flags),
    uuid(r.accountId),
    uuid(r.pendingId),
    u32(r.timeoutSeconds),
    u16(r.postings.length),
    ...r.postings.flatMap((p) => [
      uuid(p.debit),
      uuid(p.credit),
      u64(p.amount >> 64n),
      u64(p.amount & ((1n << 64n) - 1n)),
    ]),
    u16(entries.length),
    ...entries.flatMap(([k, v]) => [str(k), str(v)]),
  ]);
}

describe('journal record v1 vectors', () => {
  it('cover every record kind', () => {
    const kinds = new Set(file.vectors.map((v) => v.record.kind));
    for (const kind of [1, 2, 3, 4, 5]) assert.ok(kinds.has(kind), `kind ${kind}`);
  });

  file.vectors.forEach((vector, index) => {
    it(`vector ${index + 1}: encodes, decodes and chains both ways`, () => {
      const record = toRecord(vector.record);
      assert.equal(hex(canonicalBytes(record)), vector.bytes);
      assert.deepEqual(decodeRecord(Buffer.from(vector.bytes, 'hex')), record);
      assert.equal(independentEncoding(record).toString('hex'), vector.bytes);
      const previous = Buffer.from(vector.previousHash, 'hex');
      assert.equal(hex(recordHash(previous, record)), vector.hash);
      assert.equal(
        hex(sha256(Buffer.concat([previous, Buffer.from(vector.bytes, 'hex')]))),
        vector.hash,
        'an independent SHA-256 agrees',
      );
      assert.equal(
        vector.previousHash,
        index === 0 ? hex(genesisHash) : file.vectors[index - 1]!.hash,
      );
    });
  });

  it('a verifier walks the whole vector chain and stops at a changed byte', () => {
    const records: JournalRecord[] = file.vectors.map((v) => ({
      ...toRecord(v.record),
      inputHash: null,
      hash: Buffer.from(v.hash, 'hex'),
    }));
    const good = new ChainVerifier(genesisHead);
    for (const r of records) assert.ok(good.push(r));
    const bad = new ChainVerifier(genesisHead);
    for (const [i, r] of records.entries()) {
      if (i !== 4) bad.push(r);
      else
        bad.push({
          ...r,
          postings: [{ ...r.postings[0]!, amount: (r.postings[0]!.amount + 1n) as Micro }],
        });
    }
    assert.equal(bad.broken?.seq, 5n);
    assert.equal(bad.broken?.reason, 'hash-mismatch');
  });
});

describe('decodeRecord', () => {
  const bytes = Buffer.from(file.vectors[7]!.bytes, 'hex');
  it('refuses truncated, padded, unknown and non-canonical input', () => {
    assert.throws(() => decodeRecord(bytes.subarray(0, bytes.length - 1)), /truncated/);
    assert.throws(() => decodeRecord(Buffer.concat([bytes, Buffer.from([0])])), /1 bytes after/);
    assert.throws(
      () => decodeRecord(Buffer.concat([Buffer.from([2]), bytes.subarray(1)])),
      /version 2/,
    );
    assert.throws(
      () => decodeRecord(Buffer.concat([Buffer.from([1, 9]), bytes.subarray(2)])),
      /unknown kind 9/,
    );
    const record = toRecord(file.vectors[7]!.record);
    // Two metadata entries written in the wrong order.
    const swapped = independentEncoding(record);
    const keys = Object.keys(record.metadata).sort();
    const [first, second] = keys.map((k) =>
      Buffer.concat([
        Buffer.from([0, Buffer.byteLength(k)]),
        Buffer.from(k),
        Buffer.from([0, Buffer.byteLength(record.metadata[k]!)]),
        Buffer.from(record.metadata[k]!),
      ]),
    );
    const tail = swapped.length - first!.length - second!.length;
    const reordered = Buffer.concat([swapped.subarray(0, tail), second!, first!]);
    assert.throws(() => decodeRecord(reordered), /strictly increasing/);
  });
});

describe('command hashes', () => {
  it('a transfer, an account and a flags change hash the same as the records they make', () => {
    const id = '01900000-0000-7000-8000-0000000000aa';
    const postings = [
      {
        debit: '01900000-0000-7000-8000-000000000001',
        credit: '01900000-0000-7000-8000-000000000002',
        amount: 7n as Micro,
      },
    ];
    const metadata = { b: '2', a: '1' };
    const base = { ...unusedFields, seq: 9n, timestampUs: 123n, id };
    assert.deepEqual(
      derivedCommandHash({
        ...base,
        kind: recordKind.transferPending,
        asset: 'USD',
        timeoutSeconds: 30,
        postings,
        metadata,
      }),
      commandHash({
        type: 'transfer',
        id,
        asset: 'USD',
        postings,
        pendingTimeoutSeconds: 30,
        metadata,
      }),
    );
    assert.deepEqual(
      derivedCommandHash({
        ...base,
        kind: recordKind.accountCreated,
        asset: 'USD',
        code: 'x',
        flags: 1,
      }),
      commandHash({ type: 'createAccount', id, code: 'x', asset: 'USD', flags: 1 }),
    );
    assert.deepEqual(
      derivedCommandHash({
        ...base,
        kind: recordKind.accountFlagsSet,
        asset: '',
        accountId: postings[0]!.debit,
        flags: 4,
      }),
      commandHash({ type: 'setAccountFlags', id, accountId: postings[0]!.debit, flags: 4 }),
    );
    assert.notDeepEqual(
      commandHash({ type: 'transfer', id, asset: 'USD', postings }),
      commandHash({ type: 'transfer', id, asset: 'USD', postings, pendingTimeoutSeconds: 30 }),
    );
    assert.notDeepEqual(
      commandHash({ type: 'postPending', id, pendingId: id }),
      commandHash({ type: 'postPending', id, pendingId: id, amounts: [7n as Micro] }),
    );
  });
});
