/**
 * Property-based invariants of the ledger, run on each backend (seeded, reproducible):
 * after every random operation
 *   - Σ debits = Σ credits per asset (posted and pending alike),
 *   - no flagged account is beyond its limit,
 *   - a refused operation leaves every balance, pending transfer and the head byte-identical,
 *   - the journal verifies: each new record extends the chain, and replaying the records
 *     alone gives exactly the stored balances.
 * `CLEARPEG_INVARIANT_OPS` sets the number of operations (default 10,000 per backend).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClearpegError } from '../errors.ts';
import { toJson } from '../json.ts';
import { decodeCommand } from '../ledger/command.ts';
import { ChainVerifier, genesisHead } from '../ledger/journal.ts';
import { type Account, accountFlag, type Command, type Uuid } from '../ledger/types.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { Replayer, verifyLedger } from '../ledger/verify.ts';
import type { Micro } from '../money/money.ts';
import { harness } from './ledger.suite.ts';
import type { TestBackend } from './testing.ts';

const operations = Number(process.env.CLEARPEG_INVARIANT_OPS ?? 10_000);
const perRun = 50;

type Op =
  | {
      kind: 'transfer';
      debit: number;
      credit: number;
      amount: bigint;
      pending: boolean;
      asset: number;
      legs: number;
    }
  | { kind: 'post'; pending: number; fraction: number | null }
  | { kind: 'void'; pending: number }
  | { kind: 'flags'; account: number; close: boolean }
  | { kind: 'tick'; seconds: number }
  | { kind: 'replay'; back: number; mutate: boolean }
  | { kind: 'malformed'; text: string };

const amount = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 50_000_000n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: 5_000_000_000n }) },
  { weight: 1, arbitrary: fc.constantFrom(1n, (1n << 127n) - 1n, (1n << 128n) - 1n) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('transfer' as const),
      debit: fc.nat(13),
      credit: fc.nat(13),
      amount,
      pending: fc.boolean(),
      asset: fc.nat(9),
      legs: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      pending: fc.nat(20),
      fraction: fc.option(fc.integer({ min: 0, max: 100 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('void' as const), pending: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('flags' as const),
      account: fc.nat(11),
      close: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      seconds: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('replay' as const),
      back: fc.nat(30),
      mutate: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('malformed' as const),
      text: fc.constantFrom(
        '1e3',
        '.5',
        '-0',
        ' 1',
        '1.0000001',
        '340282366920938463463374607431768.211456',
      ),
    }),
  },
);

/**
 * Defines the invariant suite for one backend.
 * @example defineInvariantSuite('pglite')
 */
export function defineInvariantSuite(backend: TestBackend, skip?: string): void {
  describe(`ledger invariants on ${backend}`, () => {
    it(`${operations} random operations keep every invariant`, {
      skip,
      timeout: 30 * 60_000,
    }, async () => {
      const h = await harness(backend);
      try {
        // 12 accounts: 9 USD, 3 EUR; limits on some of them.
        const flagsOf = [
          accountFlag.creditsMustNotExceedDebits,
          accountFlag.debitsMustNotExceedCredits,
          accountFlag.debitsMustNotExceedCredits,
          0,
        ];
        const accounts: Uuid[] = [];
        for (let i = 0; i < 12; i++)
          accounts.push(
            await h.account(`acct-${i}`, { asset: i < 9 ? 'USD' : 'EUR', flags: flagsOf[i % 4]! }),
          );
        // Two "source" accounts without limits are funded freely; the rest must be paid into first.
        const pendings: Uuid[] = [];
        const history: Command[] = [];
        const chain = new ChainVerifier(genesisHead);
        const replay = new Replayer();
        let done = 0;
        let refused = 0;

        // The state after one operation is the state before the next: one read per operation.
        // (Every account and the head: a refused operation must leave both byte-identical.)
        const state = async () => {
          const stored = await h.store.accounts({ limit: 1000 });
          return { stored, text: toJson({ stored, head: await h.store.head() }) };
        };
        let current = await state();
        const check = async (refusedNow: boolean) => {
          const before = current.text;
          current = await state();
          if (refusedNow) assert.equal(current.text, before, 'a refused operation changed nothing');
          const stored = current.stored;
          const totals = new Map<string, bigint[]>();
          for (const a of stored) {
            const t = totals.get(a.asset) ?? [0n, 0n, 0n, 0n];
            t[0]! += a.debitsPosted;
            t[1]! += a.creditsPosted;
            t[2]! += a.debitsPending;
            t[3]! += a.creditsPending;
            totals.set(a.asset, t);
            if (a.flags & accountFlag.debitsMustNotExceedCredits)
              assert.ok(
                a.debitsPosted + a.debitsPending <= a.creditsPosted,
                `${a.code} within its debit limit`,
              );
            if (a.flags & accountFlag.creditsMustNotExceedDebits)
              assert.ok(
                a.creditsPosted + a.creditsPending <= a.debitsPosted,
                `${a.code} within its credit limit`,
              );
          }
          for (const [asset, [dp, cp, dpe, cpe]] of totals) {
            assert.equal(dp, cp, `${asset}: Σ posted debits = Σ posted credits`);
            assert.equal(dpe, cpe, `${asset}: Σ pending debits = Σ pending credits`);
          }
          for (const record of await h.store.records(chain.head.seq, 100_000)) {
            assert.ok(chain.push(record), toJson(chain.broken));
            assert.equal(replay.apply(record), undefined);
          }
          for (const a of stored)
            assert.deepEqual(
              strip(replay.accounts.get(a.id)!),
              a,
              `${a.code}: the journal replays to the stored balance`,
            );
        };

        const apply = async (o: Op): Promise<boolean> => {
          const command = toCommand(o, accounts, pendings, history);
          if (command === 'malformed') {
            assert.throws(
              () =>
                decodeCommand({
                  type: 'transfer',
                  id: uuidv7(),
                  asset: 'USD',
                  postings: [
                    {
                      debit: accounts[0],
                      credit: accounts[1],
                      amount: (o as { text: string }).text,
                    },
                  ],
                }),
              ClearpegError,
            );
            return true;
          }
          if (command === 'tick') {
            h.clock.advanceSeconds((o as { seconds: number }).seconds);
            await h.ledger.expireDue();
            return false;
          }
          const [outcome] = await h.ledger.submit([command]);
          history.push(command);
          if (
            outcome!.status === 'committed' &&
            command.type === 'transfer' &&
            command.pendingTimeoutSeconds !== undefined
          )
            pendings.push(command.id);
          return outcome!.status === 'failed';
        };

        const result = await fc.check(
          fc.asyncProperty(fc.array(op, { minLength: perRun, maxLength: perRun }), async (ops) => {
            for (const o of ops) {
              const wasRefused = await apply(o);
              if (wasRefused) refused++;
              await check(wasRefused);
              done++;
            }
          }),
          {
            seed: backend === 'pglite' ? 20261122 : 20261123,
            numRuns: Math.ceil(operations / perRun),
            endOnFailure: true,
          },
        );
        // Report the first failing operation's own error (fast-check's summary hides it).
        if (result.failed) throw result.errorInstance ?? new Error(fc.defaultReportMessage(result));
        assert.ok(done >= operations);
        assert.ok(
          refused > done / 20 && refused < done * 0.9,
          `a useful mix of refusals (${refused} of ${done})`,
        );
        const report = await verifyLedger(h.store);
        assert.ok(report.ok);
        assert.equal(report.records, chain.head.seq);
      } finally {
        await h.close();
      }
    });
  });
}

function strip(a: Account & { createdSeq?: bigint }): Account {
  const { createdSeq: _, ...rest } = a;
  return rest;
}

function toCommand(
  o: Op,
  accounts: Uuid[],
  pendings: Uuid[],
  history: Command[],
): Command | 'malformed' | 'tick' {
  const id = uuidv7();
  // Indexes past the pool name accounts or pending transfers that do not exist.
  const account = (i: number) => accounts[i] ?? uuidv7();
  const pending = (i: number) => pendings[pendings.length - 1 - i] ?? uuidv7();
  switch (o.kind) {
    case 'transfer': {
      const postings = Array.from({ length: o.legs }, (_, leg) => {
        const debit = account((o.debit + leg * 5) % 14);
        let credit = account((o.credit + leg * 3) % 14);
        if (credit === debit) credit = account((o.credit + leg * 3 + 1) % 14);
        return { debit, credit, amount: (o.amount / BigInt(leg + 1) || 1n) as Micro };
      });
      return {
        type: 'transfer',
        id,
        asset: o.asset === 0 ? 'EUR' : 'USD',
        postings,
        ...(o.pending ? { pendingTimeoutSeconds: 60 } : {}),
      };
    }
    case 'post':
      return {
        type: 'postPending',
        id,
        pendingId: pending(o.pending),
        ...(o.fraction === null ? {} : { amounts: [BigInt(o.fraction + 1) as Micro] }),
      };
    case 'void':
      return { type: 'voidPending', id, pendingId: pending(o.pending) };
    case 'flags':
      return {
        type: 'setAccountFlags',
        id,
        accountId: accounts[o.account]!,
        flags:
          (o.account % 4 === 0
            ? accountFlag.creditsMustNotExceedDebits
            : o.account % 4 === 3
              ? 0
              : accountFlag.debitsMustNotExceedCredits) | (o.close ? accountFlag.closed : 0),
      };
    case 'tick':
      return 'tick';
    case 'malformed':
      return 'malformed';
    case 'replay': {
      const earlier = history[history.length - 1 - o.back];
      if (earlier === undefined) return { type: 'voidPending', id, pendingId: uuidv7() };
      if (!o.mutate || earlier.type !== 'transfer') return earlier;
      return {
        ...earlier,
        postings: earlier.postings.map((p) => ({
          ...p,
          amount: (p.amount === 1n ? 2n : p.amount - 1n) as Micro,
        })),
      };
    }
  }
}
