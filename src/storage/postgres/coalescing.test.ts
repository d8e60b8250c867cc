/**
 * `coalescing`, the order and grouping of one transaction's statements on node-postgres, with a
 * stand-in client that records what it is sent (the server's side is in
 * pipelining.postgres.test.ts and sql.suite.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { SqlError } from '../sql.ts';
import { coalescing } from './postgres.ts';

/** A client that answers each message after a tick, failing the ones `fails` matches. */
function recordingClient(fails: RegExp = /$^/) {
  const sent: string[] = [];
  const client = {
    query: async (text: string) => {
      sent.push(text);
      await new Promise((resolve) => setImmediate(resolve));
      if (fails.test(text)) throw new Error(`refused: ${text}`);
      const results = text
        .split(';\n')
        .map((sql) => ({ command: sql.split(' ')[0], rows: [], rowCount: 0 }) as never);
      return results.length === 1 ? results[0] : results;
    },
  } as unknown as Pick<pg.PoolClient, 'query'>;
  return { client, sent };
}

describe('coalescing', () => {
  it('sends statements without parameters queued back to back as one message, in order', async () => {
    const { client, sent } = recordingClient();
    const queue = coalescing(client);
    const begin = queue.simple('BEGIN');
    const head = queue.simple('SELECT 1 FROM ledger_head FOR UPDATE;');
    const audit = queue.simple('SELECT 1 FROM audit_head FOR UPDATE');
    const step = queue.step(async () => {
      sent.push('(a statement with parameters)');
      return 'stepped';
    });
    const later = queue.simple('SELECT 2');
    const commit = queue.simple('COMMIT');
    assert.equal((await begin).command, 'BEGIN');
    assert.equal((await head).command, 'SELECT');
    assert.equal((await audit).command, 'SELECT');
    assert.equal(await step, 'stepped');
    assert.equal((await later).command, 'SELECT');
    assert.equal((await commit).command, 'COMMIT');
    assert.deepEqual(sent, [
      'BEGIN;\nSELECT 1 FROM ledger_head FOR UPDATE;\nSELECT 1 FROM audit_head FOR UPDATE',
      '(a statement with parameters)',
      'SELECT 2;\nCOMMIT',
    ]);
  });

  it('fails what comes after a failed message unsent, but sends what finishes the transaction', async () => {
    const { client, sent } = recordingClient(/SELEC 1/);
    const queue = coalescing(client);
    const begin = queue.simple('BEGIN');
    const bad = queue.simple('SELEC 1');
    const settled = await Promise.allSettled([begin, bad]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'rejected'],
      'a message fails whole: the server parsed it whole and ran none of it',
    );
    let ran = false;
    const step = queue.step(async () => {
      ran = true;
    });
    const commit = queue.simple('COMMIT');
    const aborted = (error: unknown) => error instanceof SqlError && error.code === '25P02';
    await assert.rejects(step, aborted);
    await assert.rejects(commit, aborted);
    assert.equal(ran, false, 'nothing runs outside the transaction BEGIN did not open');
    assert.equal(await queue.finish(async () => 'rolled back'), 'rolled back');
    assert.deepEqual(sent, ['BEGIN;\nSELEC 1']);
  });
});
