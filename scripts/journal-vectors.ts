/**
 * Writes src/ledger/vectors/journal-v1.json: a chain of journal records covering every kind,
 * with their canonical bytes and chain hashes. Deterministic (fixed ids and times); run it
 * only when the encoding changes version: `node --import tsx scripts/journal-vectors.ts`.
 */
import { writeFileSync } from 'node:fs';
import {
  canonicalBytes,
  genesisHash,
  hex,
  type RecordContent,
  recordHash,
  unusedFields,
} from '../src/ledger/journal.ts';
import { recordKind } from '../src/ledger/types.ts';
import type { Micro } from '../src/money/money.ts';

const cash = '01900000-0000-7000-8000-000000000001';
const alice = '01900000-0000-7000-8000-000000000002';
const supply = '01900000-0000-7000-8000-000000000003';
const base = unusedFields;
const t0 = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z
const records: RecordContent[] = [
  {
    ...base,
    seq: 1n,
    kind: recordKind.accountCreated,
    id: cash,
    timestampUs: t0,
    asset: 'USD',
    code: 'reserves:cash:bank-a',
    flags: 2,
  },
  {
    ...base,
    seq: 2n,
    kind: recordKind.accountCreated,
    id: alice,
    timestampUs: t0 + 1n,
    asset: 'USD',
    code: 'customers:alice:fiat',
    flags: 1,
  },
  {
    ...base,
    seq: 3n,
    kind: recordKind.accountCreated,
    id: supply,
    timestampUs: t0 + 2n,
    asset: 'USD',
    code: 'supply:chain-1',
    flags: 1,
  },
  {
    ...base,
    seq: 4n,
    kind: recordKind.transferPosted,
    id: '01900000-0001-7000-8000-000000000004',
    timestampUs: t0 + 1_000_000n,
    asset: 'USD',
    postings: [{ debit: cash, credit: alice, amount: 5_000_000_000_000n as Micro }],
    metadata: { statementLine: 'CAMT-2026-0001', bank: 'bank-a' },
  },
  {
    ...base,
    seq: 5n,
    kind: recordKind.transferPending,
    id: '01900000-0002-7000-8000-000000000005',
    timestampUs: t0 + 2_000_000n,
    asset: 'USD',
    timeoutSeconds: 3600,
    postings: [{ debit: alice, credit: supply, amount: 1_250_000_500_000n as Micro }],
    metadata: { mintRequest: 'r-1', chain: '1' },
  },
  {
    ...base,
    seq: 6n,
    kind: recordKind.pendingPosted,
    id: '01900000-0003-7000-8000-000000000006',
    timestampUs: t0 + 3_000_000n,
    asset: 'USD',
    pendingId: '01900000-0002-7000-8000-000000000005',
    postings: [{ debit: alice, credit: supply, amount: 1_250_000_500_000n as Micro }],
  },
  {
    ...base,
    seq: 7n,
    kind: recordKind.accountFlagsSet,
    id: '01900000-0004-7000-8000-000000000007',
    timestampUs: t0 + 4_000_000n,
    asset: '',
    accountId: alice,
    flags: 1 | 4,
  },
  {
    ...base,
    seq: 8n,
    kind: recordKind.transferPosted,
    id: '01900000-0005-7000-8000-000000000008',
    timestampUs: t0 + 5_000_000n,
    asset: 'USD',
    postings: [
      { debit: supply, credit: cash, amount: ((1n << 128n) - 1n) as Micro },
      { debit: supply, credit: alice, amount: 1n as Micro },
    ],
    metadata: { note: 'größte', Z: 'a\tb' },
  },
];
let previous: Uint8Array = genesisHash;
const vectors = records.map((record) => {
  const bytes = canonicalBytes(record);
  const hash = recordHash(previous, record);
  const vector = {
    record: JSON.parse(
      JSON.stringify(record, (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
    ),
    previousHash: hex(previous),
    bytes: hex(bytes),
    hash: hex(hash),
  };
  previous = hash;
  return vector;
});
writeFileSync(
  new URL('../src/ledger/vectors/journal-v1.json', import.meta.url),
  `${JSON.stringify({ version: 1, description: 'Clearpeg journal record v1: canonical bytes and chain hashes (docs/formats.md)', vectors }, null, 2)}\n`,
);
console.log(`wrote ${vectors.length} vectors; head ${hex(previous)}`);
