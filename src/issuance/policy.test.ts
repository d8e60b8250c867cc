/**
 * The policy's revenue share (distribution partners) is checked field by field, and survives
 * its stored JSON; the policy in force at a moment is the one adopted last before it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClearpegError } from '../errors.ts';
import { openTestDatabase, type TestDatabase } from '../storage/testing.ts';
import {
  defaultPolicy,
  investBufferBps,
  type PolicyDocument,
  policyAsOf,
  policyFromJson,
  policyHash,
  policyToJson,
  type RevenueShare,
  validatePolicy,
} from './policy.ts';

const withShare = (revenueShare: readonly RevenueShare[]): PolicyDocument => ({
  ...defaultPolicy,
  revenueShare,
});

function refused(policy: PolicyDocument, field: string): void {
  assert.throws(
    () => validatePolicy(policy),
    (error: unknown) =>
      error instanceof ClearpegError &&
      error.code === 'policy-invalid' &&
      error.field === `policy.${field}`,
  );
}

describe("the policy's revenue share", () => {
  it('takes partners with their basis points, and round-trips its JSON', () => {
    const policy = withShare([
      { partner: 'acme-wallet', shareBps: 2500 },
      { partner: 'globex', shareBps: 7500 },
    ]);
    assert.deepEqual(policyFromJson(policyToJson(policy)), policy);
    assert.notDeepEqual(policyHash(policy), policyHash(defaultPolicy));
  });

  it('refuses each bad field, naming it', () => {
    refused(withShare([{ partner: 'Acme', shareBps: 100 }]), 'revenueShare.0.partner');
    refused(withShare([{ partner: 'acme', shareBps: 0 }]), 'revenueShare.0.shareBps');
    refused(withShare([{ partner: 'acme', shareBps: 1.5 }]), 'revenueShare.0.shareBps');
    refused(
      withShare([
        { partner: 'acme', shareBps: 100 },
        { partner: 'acme', shareBps: 100 },
      ]),
      'revenueShare.1.partner',
    );
    refused(
      withShare([
        { partner: 'acme', shareBps: 6000 },
        { partner: 'globex', shareBps: 4001 },
      ]),
      'revenueShare',
    );
    refused(
      withShare(Array.from({ length: 33 }, (_, i) => ({ partner: `p${i}`, shareBps: 1 }))),
      'revenueShare',
    );
  });
});

describe('the policy in force at a moment', () => {
  let t: TestDatabase;
  before(async () => {
    t = await openTestDatabase('pglite');
  });
  after(() => t?.dispose());

  it('is the one adopted last before it, superseded since or not; else the default', async () => {
    const insert = (version: number, bufferBps: number, status: string, atUs: bigint) => {
      const policy = { ...defaultPolicy, reserves: { investBufferBps: bufferBps } };
      return t.db.query(
        `INSERT INTO policies (version, document, document_sha256, proposed_by, status, proposed_at_us, adopted_at_us)
         VALUES ($1, $2::jsonb, $3, 'test', $4, $5, $5)`,
        [version, JSON.stringify(policyToJson(policy)), policyHash(policy), status, atUs],
      );
    };
    await insert(1, 100, 'superseded', 1_000n);
    await insert(2, 300, 'adopted', 2_000n);
    assert.equal(investBufferBps(await policyAsOf(t.db, 500n)), investBufferBps(defaultPolicy));
    assert.equal(investBufferBps(await policyAsOf(t.db, 1_500n)), 100);
    assert.equal(investBufferBps(await policyAsOf(t.db, 2_000n)), 100); // adopted at, not before
    assert.equal(investBufferBps(await policyAsOf(t.db, 2_001n)), 300);
  });
});
