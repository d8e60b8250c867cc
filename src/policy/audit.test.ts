import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from 'viem';
import { sampleAuditEntry } from '../testing.ts';
import {
  type AuditRecord,
  auditBytes,
  auditGenesis,
  auditGenesisHead,
  auditHash,
  chainAudit,
  verifyAuditChain,
  verifyAuditRecords,
} from './audit.ts';

const entry = sampleAuditEntry;

describe('audit record v1 bytes', () => {
  it('is the domain line and RFC 8785 JSON, keys sorted, numbers as strings (vector)', () => {
    const record = {
      seq: 1n,
      atUs: 1_795_000_000_000_000n,
      actor: 'alice',
      action: 'mint.request',
      subject: 'R-1',
      outcome: 'ok' as const,
      detail: { z: '1.000000', a: [true, null] },
    };
    assert.equal(
      new TextDecoder().decode(auditBytes(record)),
      'clearpeg-audit/1\n{"action":"mint.request","actor":"alice","atUs":"1795000000000000","detail":{"a":[true,null],"z":"1.000000"},"outcome":"ok","seq":"1","subject":"R-1"}',
    );
    assert.equal(
      bytesToHex(auditHash(auditGenesis, record)),
      '0x013dc74eac13653cee00b86620dd167d0f1223818d2f3c0259223978968df9e4',
    );
  });

  it('refuses a JSON number in the detail, naming where', () => {
    assert.throws(
      () =>
        auditBytes({
          seq: 1n,
          atUs: 1n,
          actor: 'a',
          action: 'x.y',
          subject: 's',
          outcome: 'ok',
          detail: { amounts: [{ value: 5 as unknown as string }] },
        }),
      { code: 'audit-invalid', field: 'detail.amounts.0.value' },
    );
  });
});

describe('a list of audit entries, verified', () => {
  const chain = (n: number): AuditRecord[] => {
    const records: AuditRecord[] = [];
    for (let i = 1; i <= n; i++)
      records.push(chainAudit(entry(i), BigInt(i) * 1000n, records.at(-1) ?? auditGenesisHead));
    return records;
  };

  it('verifies a chain and its head', () => {
    const records = chain(4);
    assert.deepEqual(verifyAuditChain(records, records[3]!), {
      ok: true,
      entries: 4n,
      head: bytesToHex(records[3]!.hash),
    });
    assert.equal(verifyAuditChain([], auditGenesisHead).ok, true);
  });

  it('names the first altered entry, a deleted one, and a head that is not the last', () => {
    const records = chain(4);
    const altered = records.map((r) => (r.seq === 3n ? { ...r, subject: 'other' } : r));
    assert.deepEqual(verifyAuditChain(altered, records[3]!).broken, {
      seq: 3n,
      reason: 'hash-mismatch',
    });
    const gap = records.filter((r) => r.seq !== 2n);
    assert.deepEqual(verifyAuditChain(gap, records[3]!).broken, { seq: 2n, reason: 'missing' });
    assert.deepEqual(verifyAuditChain(records.slice(0, 3), records[3]!).broken, {
      seq: 4n,
      reason: 'missing',
    });
    assert.deepEqual(verifyAuditChain(records, records[2]!).broken, {
      seq: 3n,
      reason: 'head-mismatch',
    });
  });

  it('verifies page by page from the head before', () => {
    const records = chain(5);
    const first = verifyAuditRecords(records.slice(0, 2));
    assert.equal(first.head.seq, 2n);
    const rest = verifyAuditRecords(records.slice(2), first.head);
    assert.deepEqual([rest.head.seq, rest.broken], [5n, undefined]);
    assert.equal(verifyAuditRecords(records.slice(3), first.head).broken?.reason, 'missing');
  });

  it('refuses an invalid entry before it is chained', () => {
    assert.throws(() => chainAudit({ ...entry(1), actor: '' }, 1n, auditGenesisHead), {
      code: 'audit-invalid',
      field: 'actor',
    });
    const big = { ...entry(1), detail: { text: 'x'.repeat(20_000) } };
    assert.throws(() => chainAudit(big, 1n, auditGenesisHead), {
      code: 'audit-invalid',
      field: 'detail',
    });
  });
});
