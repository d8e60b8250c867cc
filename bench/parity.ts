/**
 * The parity benchmark: what one parity check's ledger side costs as the journal grows.
 *
 * Parity compares a chain's circulating tokens with the ledger's supply on that chain at a
 * final block B: the sum of the supply account's postings tied to blocks ≤ B. The chain side
 * (totalSupply and issuer-held at B, read from the node and the indexed events) costs the same
 * at any age; the ledger side used to sum every chain-tied journal record on every check.
 * It now advances a checkpoint (`ledgerSupplyFromCheckpoint`, src/chain/parity.ts).
 *
 * Workload, per journal size N (10,000 and 1,000,000 chain-tied records; `BENCH_QUICK=1`:
 * 10,000 and 100,000): N mint postings tied to blocks 1 … N/100 are written through the ledger
 * (batches of 8,190), the checkpoint folded once through the last block; then, seven times, 100
 * new postings tied to the next block are written and one check at that block is timed.
 * Printed: the median check, `bench parity.check.<N> <ms> ms`, and beside it, in the same run,
 * the baseline: the full sum over the journal (`ledgerSupplyAt`, what every check cost
 * before), `bench parity.baseline.fullsum.<N> <ms> ms`; then the ratio of the largest to the
 * smallest check (target: at most 2). Store: PGlite in memory, or `BENCH_BACKEND=postgres`.
 */
import assert from 'node:assert/strict';
import type { Hex } from 'viem';
import { chainTie, ledgerSupplyAt, ledgerSupplyFromCheckpoint } from '../src/chain/parity.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import type { Command } from '../src/ledger/types.ts';
import { uuidv7 } from '../src/ledger/uuid.ts';
import type { Micro } from '../src/money/money.ts';
import { SqlLedgerStore } from '../src/storage/ledger-store.ts';
import { openTestDatabase, type TestBackend } from '../src/storage/testing.ts';
import { supplyAccountSpec } from '../src/workflow/accounts.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const backend = (process.env.BENCH_BACKEND ?? 'pglite') as TestBackend;
const sizes = quick
  ? [
      { n: 10_000, name: '10k' },
      { n: 100_000, name: '100k' },
    ]
  : [
      { n: 10_000, name: '10k' },
      { n: 1_000_000, name: '1m' },
    ];
const rounds = 7;
const perRound = 100;
const batch = 8_190;
const chainId = 1;
const tx = `0x${'cd'.repeat(32)}` as Hex;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const time = async <T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
};

printMachine();
console.log(`# store: ${backend}; ${rounds} checks of ${perRound} new postings each per size`);
const checks: number[] = [];
for (const { n, name } of sizes) {
  const t = await openTestDatabase(backend);
  try {
    const ledger = new Ledger(new SqlLedgerStore(t.db));
    const supply = await ledger.accountIdOf(supplyAccountSpec(chainId));
    const source = await ledger.accountIdOf({ code: 'source', asset: 'USD', flags: 0 });
    const mint = (block: bigint): Command => ({
      type: 'transfer',
      id: uuidv7(),
      asset: 'USD',
      postings: [{ debit: source, credit: supply, amount: 1_000_000n as Micro }],
      metadata: chainTie(chainId, block, tx),
    });
    const started = Date.now();
    for (let written = 0; written < n; written += batch) {
      const commands = Array.from({ length: Math.min(batch, n - written) }, (_, i) =>
        mint(BigInt(Math.floor((written + i) / 100) + 1)),
      );
      await ledger.submit(commands);
    }
    let block = BigInt(n / 100);
    await t.db.transaction((db) => ledgerSupplyFromCheckpoint(db, supply, chainId, block));
    console.log(`# ${name}: ${n} records written and folded in ${Date.now() - started} ms`);
    const checked: number[] = [];
    const full: number[] = [];
    for (let round = 0; round < rounds; round++) {
      block += 1n;
      await ledger.submit(Array.from({ length: perRound }, () => mint(block)));
      const check = await time(() =>
        t.db.transaction((db) => ledgerSupplyFromCheckpoint(db, supply, chainId, block)),
      );
      const baseline = await time(() => ledgerSupplyAt(t.db, supply, chainId, block));
      assert.equal(check.value, baseline.value, 'the checkpoint and the full sum agree');
      assert.equal(check.value, BigInt(n + (round + 1) * perRound) * 1_000_000n);
      checked.push(check.ms);
      full.push(baseline.ms);
    }
    checks.push(median(checked));
    print(`parity.check.${name}`, median(checked), 'ms');
    print(`parity.baseline.fullsum.${name}`, median(full), 'ms');
  } finally {
    await t.dispose();
  }
}
print(`parity.check.ratio.${sizes[1]!.name}-to-${sizes[0]!.name}`, checks[1]! / checks[0]!, '×');
