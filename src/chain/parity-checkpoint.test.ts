/**
 * Parity's ledger side from a checkpoint equals the full sum over the journal at every block
 * checked, whatever order postings arrive in (late ones tied to blocks already folded, ones
 * tied to blocks not yet checked), on both stores.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { Ledger } from '../ledger/ledger.ts';
import type { Command, Uuid } from '../ledger/types.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import type { Micro } from '../money/money.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { openTestDatabase, postgresUnavailable, type TestBackend } from '../storage/testing.ts';
import { supplyAccountSpec } from '../workflow/accounts.ts';
import { chainTie, ledgerSupplyAt, ledgerSupplyFromCheckpoint } from './parity.ts';

const skipPostgres = await postgresUnavailable();
const tx = `0x${'ab'.repeat(32)}` as Hex;

for (const backend of ['pglite', 'postgres'] as TestBackend[])
  describe(`parity from a checkpoint on ${backend}`, () => {
    it('equals the full sum at every check, for postings in any block order', {
      skip: backend === 'postgres' ? skipPostgres : undefined,
    }, async () => {
      const t = await openTestDatabase(backend);
      try {
        const ledger = new Ledger(new SqlLedgerStore(t.db));
        const supply = await ledger.accountIdOf(supplyAccountSpec(7));
        const other = await ledger.accountIdOf(supplyAccountSpec(8)); // another chain's
        const source = await ledger.accountIdOf({ code: 'source', asset: 'USD', flags: 0 });
        let round: Command[] = [];
        const post = (debit: Uuid, credit: Uuid, amount: bigint, chain: number, block: bigint) => {
          round.push({
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit, credit, amount: amount as Micro }],
            metadata: chainTie(chain, block, tx),
          });
        };
        const flush = async () => {
          const outcomes = await ledger.submit(round);
          assert.ok(outcomes.every((outcome) => outcome.status === 'committed'));
          round = [];
        };
        // A seeded walk: mints and redemptions tied to blocks around the one being checked.
        let seed = 42;
        const next = (n: number) => {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
          return seed % n;
        };
        let checked = 0n;
        for (let r = 0; r < 12; r++) {
          for (let i = 0; i < 6; i++) {
            const block = checked - 3n + BigInt(next(9)); // late, current and ahead
            const amount = BigInt(1 + next(1_000)) * 1_000_000n;
            post(source, supply, amount, 7, block < 0n ? 0n : block);
            if (next(3) === 0) post(supply, source, amount / 2n, 7, block < 0n ? 0n : block);
            post(source, other, amount, 8, block < 0n ? 0n : block); // never counted for chain 7
          }
          await flush();
          checked += BigInt(next(3)); // the final block moves on, or stays
          const fromCheckpoint = await t.db.transaction((db) =>
            ledgerSupplyFromCheckpoint(db, supply, 7, checked),
          );
          assert.equal(
            fromCheckpoint,
            await ledgerSupplyAt(t.db, supply, 7, checked),
            `round ${r}`,
          );
        }
        // A check below the checkpoint (the final block moved back) is summed in full.
        const below = checked - 2n;
        assert.equal(
          await t.db.transaction((db) => ledgerSupplyFromCheckpoint(db, supply, 7, below)),
          await ledgerSupplyAt(t.db, supply, 7, below),
        );
        // Nothing waits in the deltas at or below the block folded.
        const { rows } = await t.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM chain_parity_deltas WHERE chain_id = 7 AND block_number <= $1',
          [checked],
        );
        assert.equal(Number(rows[0]!.n), 0);
      } finally {
        await t.dispose();
      }
    });
  });
