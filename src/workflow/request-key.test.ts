import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClearpegError } from '../errors.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import { oncePerKey, requestKeyOf } from './request-key.ts';

/** A table of one keyed request, as `oncePerKey` reads it (the SQL runs in the API and mint tests). */
function table(initial?: string) {
  const state = { id: initial };
  const db = {
    query: async () => ({ rows: state.id === undefined ? [] : [{ id: state.id }] }),
  } as unknown as SqlExecutor;
  return { state, db };
}

describe('request keys', () => {
  it('digests caller and key as docs/formats.md says (its vector)', () => {
    assert.equal(
      Buffer.from(requestKeyOf('op-tess', '3f0c2a1e-mint-1')).toString('hex'),
      '564881fe26d3d32aa6193f162f1b46f21ec1e5dfdfdd8613a4cbb726ba4a8355',
    );
    assert.notDeepEqual(requestKeyOf('op-tess', 'k'), requestKeyOf('op-ann', 'k'));
  });

  it('answers what the key made, refuses other fields, and finds what a racing run made', async () => {
    const key = requestKeyOf('op-tess', 'k');
    const amounts: Record<string, bigint> = { first: 5n, 'other run': 5n };
    const get = async (id: string) => ({ id, amount: amounts[id]! });
    let made = 0;
    const stored = table('first');
    const found = await oncePerKey(
      stored.db,
      key,
      'mint_requests',
      get,
      (s) => s.amount === 5n,
      async () => {
        made++;
        return { id: 'second', amount: 5n };
      },
    );
    assert.equal(found.id, 'first');
    assert.equal(made, 0);
    await assert.rejects(
      oncePerKey(stored.db, key, 'mint_requests', get, (s) => s.amount === 6n, get.bind(null, 'x')),
      (e: unknown) => e instanceof ClearpegError && e.code === 'idempotency-key-reused',
    );
    // The insert lost a race: the request the other run made is the answer.
    const racing = table();
    const raced = await oncePerKey(
      racing.db,
      key,
      'mint_requests',
      get,
      () => true,
      async () => {
        racing.state.id = 'other run';
        throw new Error('duplicate key value violates unique constraint');
      },
    );
    assert.equal(raced.id, 'other run');
    // A failure with nothing under the key is the failure; without a key, no lookup at all.
    await assert.rejects(
      oncePerKey(
        table().db,
        key,
        'payouts',
        get,
        () => true,
        async () => {
          throw new Error('refused');
        },
      ),
      /refused/,
    );
    const none = await oncePerKey(
      table('first').db,
      undefined,
      'changes',
      get,
      () => false,
      () => get('other run'),
    );
    assert.equal(none.id, 'other run');
  });
});
