import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leafHash } from '../proofs/hash.ts';
import { openTestDatabase } from '../storage/testing.ts';
import { logIdentity } from './keys.ts';
import { MemoryTree, TransparencyLog } from './log.ts';

describe('TransparencyLog', () => {
  it('finds its newest checkpoint past size 9 (sizes order as numbers, not as text)', async () => {
    const t = await openTestDatabase('pglite');
    try {
      const log = new TransparencyLog(t.db, logIdentity(t.dataDir!, {}));
      const tree = new MemoryTree();
      for (let n = 0; n < 12; n++) {
        const bytes = new TextEncoder().encode(`entry ${n}`);
        const { checkpoint } = await log.append(async ({ index }) => {
          assert.equal(index, BigInt(n));
          return bytes;
        });
        tree.push(leafHash(bytes));
        assert.equal(checkpoint.size, BigInt(n + 1));
      }
      assert.equal((await log.latest())?.size, 12n);
      // A second writer (another process) loads the twelve entries in index order.
      const other = new TransparencyLog(t.db, logIdentity(t.dataDir!, {}));
      const synced = await other.synced();
      assert.equal(synced.size, 12n);
      assert.deepEqual(
        synced.entries.map((e) => new TextDecoder().decode(e)),
        Array.from({ length: 12 }, (_, n) => `entry ${n}`),
      );
      assert.deepEqual((await other.latest())?.root, await tree.root());
    } finally {
      await t.dispose();
    }
  });
});
