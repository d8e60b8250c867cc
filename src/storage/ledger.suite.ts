/**
 * The ledger's shared suite: every test runs on PGlite and on PostgreSQL (Hono's
 * `common.case.test.ts` pattern). Each test gets a fresh database.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClearpegError } from '../errors.ts';
import { toJson } from '../json.ts';
import { balanceOf, type Sums } from '../ledger/balances.ts';
import { decodeCommand } from '../ledger/command.ts';
import { Ledger } from '../ledger/ledger.ts';
import type { Command, Outcome, Uuid } from '../ledger/types.ts';
import { accountFlag } from '../ledger/types.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { LedgerFollower, verifyLedger } from '../ledger/verify.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { SqlLedgerStore } from './ledger-store.ts';
import { openTestDatabase, type TestBackend, type TestDatabase } from './testing.ts';

const usd = (text: string): Micro => parseAmount(text);

/** A test clock: microseconds, moved by hand. */
export class TestClock {
  constructor(public nowUs = 1_800_000_000_000_000n) {}
  readonly read = (): bigint => this.nowUs;
  advanceSeconds(seconds: number): void {
    this.nowUs += BigInt(seconds) * 1_000_000n;
  }
}

/** A ledger on a fresh database, with helpers. */
export interface Harness {
  readonly t: TestDatabase;
  readonly store: SqlLedgerStore;
  readonly ledger: Ledger;
  readonly clock: TestClock;
  account(code: string, options?: { asset?: string; flags?: number }): Promise<Uuid>;
  one(command: Command): Promise<Outcome>;
  balances(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens a harness on `backend`.
 * @example const h = await harness('pglite'); await h.account('cash', { flags: 2 })
 */
export async function harness(backend: TestBackend): Promise<Harness> {
  const t = await openTestDatabase(backend);
  const store = new SqlLedgerStore(t.db);
  const clock = new TestClock();
  const ledger = new Ledger(store, { clockUs: clock.read });
  const one = async (command: Command) => (await ledger.submit([command]))[0]!;
  return {
    t,
    store,
    ledger,
    clock,
    one,
    async account(code, options = {}) {
      const id = uuidv7();
      const outcome = await one({
        type: 'createAccount',
        id,
        code,
        asset: options.asset ?? 'USD',
        flags: options.flags ?? 0,
      });
      assert.equal(outcome.status, 'committed', toJson(outcome));
      return id;
    },
    balances: () => snapshot(store),
    close: () => t.dispose(),
  };
}

/** Every account and the head, serialized: two equal snapshots mean nothing changed. */
export async function snapshot(store: SqlLedgerStore): Promise<string> {
  const accounts = await store.accounts({ limit: 100_000 });
  const head = await store.head();
  const pendings = await store.pendings(0n, 100_000);
  return toJson({ accounts, head, pendings });
}

function committed(outcome: Outcome): asserts outcome is Extract<Outcome, { status: 'committed' }> {
  assert.equal(outcome.status, 'committed', toJson(outcome));
}

function failedWith(outcome: Outcome, code: string, field: string): void {
  assert.equal(outcome.status, 'failed', toJson(outcome));
  if (outcome.status !== 'failed') return;
  assert.equal(outcome.error.code, code);
  assert.equal(outcome.error.field, field);
  assert.ok(outcome.error.message.startsWith(`${field}: `), outcome.error.message);
  assert.ok(outcome.error.rule && outcome.error.rule.length > 5);
}

/**
 * Defines the suite for one backend.
 * @example defineLedgerSuite('pglite')
 */
export function defineLedgerSuite(backend: TestBackend, skip?: string): void {
  describe(`ledger on ${backend}`, () => {
    const test = (name: string, body: (h: Harness) => Promise<void>) =>
      it(name, { skip }, async () => {
        const h = await harness(backend);
        try {
          await body(h);
          const report = await verifyLedger(h.store);
          assert.ok(report.ok, toJson(report));
        } finally {
          await h.close();
        }
      });

    test('moves money between accounts and keeps both sides', async (h) => {
      const cash = await h.account('reserves:cash:bank-a', {
        flags: accountFlag.creditsMustNotExceedDebits,
      });
      const fiat = await h.account('customers:alice:fiat', {
        flags: accountFlag.debitsMustNotExceedCredits,
      });
      const supply = await h.account('supply:chain-1', {
        flags: accountFlag.debitsMustNotExceedCredits,
      });
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: cash, credit: fiat, amount: usd('5000000') }],
        }),
      );
      const mint = await h.one({
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: fiat, credit: supply, amount: usd('1250000.5') }],
      });
      committed(mint);
      const a = (await h.store.accountById(fiat))!;
      assert.equal(a.creditsPosted, 5_000_000_000_000n);
      assert.equal(a.debitsPosted, 1_250_000_500_000n);
      assert.equal((await h.store.accountById(supply))!.creditsPosted, 1_250_000_500_000n);
      assert.equal((await h.store.head()).seq, 5n);
      const record = await h.store.recordById(mint.id);
      assert.equal(record?.seq, mint.seq);
      assert.deepEqual(record?.postings, [
        { debit: fiat, credit: supply, amount: 1_250_000_500_000n },
      ]);
    });

    test('a transaction of several postings applies all or nothing', async (h) => {
      const cash = await h.account('cash', { flags: accountFlag.creditsMustNotExceedDebits });
      const fiat = await h.account('fiat', { flags: accountFlag.debitsMustNotExceedCredits });
      const fees = await h.account('income:fees');
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: cash, credit: fiat, amount: usd('100') }],
        }),
      );
      const before = await h.balances();
      const outcome = await h.one({
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [
          { debit: fiat, credit: fees, amount: usd('60') },
          { debit: fiat, credit: fees, amount: usd('40.000001') },
        ],
      });
      failedWith(outcome, 'debits-exceed-credits', 'postings.1.amount');
      assert.equal(await h.balances(), before);
    });

    test('idempotency: same id and content returns the first result, other content is refused, a failure stays failed', async (h) => {
      const a = await h.account('a');
      const b = await h.account('b', { flags: accountFlag.debitsMustNotExceedCredits });
      const command: Command = {
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: a, credit: b, amount: usd('10') }],
      };
      const first = await h.one(command);
      const before = await h.balances();
      assert.deepEqual(await h.one({ ...command, postings: [{ ...command.postings[0]! }] }), first);
      const [x, y] = await h.ledger.submit([command, command]);
      assert.deepEqual(x, first);
      assert.deepEqual(y, first);
      failedWith(
        await h.one({ ...command, postings: [{ debit: a, credit: b, amount: usd('11') }] }),
        'id-conflict',
        'id',
      );
      assert.equal(await h.balances(), before);

      const overdraft: Command = {
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: b, credit: a, amount: usd('11') }],
      };
      const refused = await h.one(overdraft);
      failedWith(refused, 'debits-exceed-credits', 'postings.0.amount');
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: a, credit: b, amount: usd('5') }],
        }),
      );
      // b could now pay 11, but the failed id stays failed.
      assert.deepEqual(await h.one(overdraft), refused);
    });

    test('idempotency within one batch: a repeated new id, in increasing order or not', async (h) => {
      const a = await h.account('a');
      const b = await h.account('b', { flags: accountFlag.debitsMustNotExceedCredits });
      const [low, middle, high] = [uuidv7(), uuidv7(), uuidv7()];
      const pay = (id: Uuid, amount: string, debit = a, credit = b): Command => ({
        type: 'transfer',
        id,
        asset: 'USD',
        postings: [{ debit, credit, amount: usd(amount) }],
      });
      const before = await h.balances();
      // Increasing ids, then the first again (same content, then other content), then an
      // overdraft repeated: each repeat answers with the first outcome of its id.
      const outcomes = await h.ledger.submit([
        pay(low, '1'),
        pay(middle, '2'),
        pay(high, '999', b, a),
        pay(low, '1'),
        pay(low, '7'),
        pay(high, '999', b, a),
      ]);
      committed(outcomes[0]!);
      committed(outcomes[1]!);
      failedWith(outcomes[2]!, 'debits-exceed-credits', 'postings.0.amount');
      assert.deepEqual(outcomes[3], outcomes[0]);
      failedWith(outcomes[4]!, 'id-conflict', 'id');
      assert.deepEqual(outcomes[5], outcomes[2]);
      // Decreasing ids from the start.
      const [x, y] = [uuidv7(), uuidv7()];
      const down = await h.ledger.submit([pay(y, '3'), pay(x, '4'), pay(y, '3'), pay(x, '5')]);
      committed(down[0]!);
      committed(down[1]!);
      assert.deepEqual(down[2], down[0]);
      failedWith(down[3]!, 'id-conflict', 'id');
      assert.notEqual(await h.balances(), before);
      const moved = await h.ledger.store.accountById(b);
      assert.equal(moved?.creditsPosted, usd('10')); // 1 + 2 + 3 + 4, each once
      assert.equal(moved?.debitsPosted, 0n);
    });

    test('refusals name the field and the rule and change nothing', async (h) => {
      const usdA = await h.account('usd-a');
      const usdB = await h.account('usd-b', { flags: accountFlag.debitsMustNotExceedCredits });
      const eur = await h.account('eur-a', { asset: 'EUR' });
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: usdA, credit: usdB, amount: usd('1') }],
        }),
      );
      const before = await h.balances();
      const unknown = uuidv7();
      const malformed: Array<[unknown, string, RegExp]> = [
        [
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: usdA, credit: usdB, amount: '1e3' }],
          },
          'postings.0.amount',
          /plain decimal/,
        ],
        [
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: usdA, credit: usdB, amount: 5 }],
          },
          'postings.0.amount',
          /not a number/,
        ],
        [
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: usdA, credit: usdB, amount: '0' }],
          },
          'postings.0.amount',
          /must be positive/,
        ],
        [
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: usdA, credit: usdA, amount: '1' }],
          },
          'postings.0.credit',
          /differ from the debit/,
        ],
        [
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            entries: [
              { account: usdA, debit: '1' },
              { account: usdB, credit: '0.999999' },
            ],
          },
          'entries',
          /total debits must equal total credits/,
        ],
        [
          {
            type: 'transfer',
            id: 'not-a-uuid',
            asset: 'USD',
            postings: [{ debit: usdA, credit: usdB, amount: '1' }],
          },
          'id',
          /canonical UUID/,
        ],
        [
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'usd',
            postings: [{ debit: usdA, credit: usdB, amount: '1' }],
          },
          'asset',
          /capital letters/,
        ],
        [{ type: 'transfer', id: uuidv7(), asset: 'USD', postings: [] }, 'postings', /non-empty/],
        [
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: usdA, credit: usdB, amount: '1' }],
            extra: 1,
          },
          'extra',
          /not a field/,
        ],
      ];
      for (const [json, field, rule] of malformed) {
        assert.throws(
          () => decodeCommand(json),
          (error: unknown) =>
            error instanceof ClearpegError &&
            error.field === field &&
            rule.test(error.message) &&
            error.message.startsWith(`${field}: `),
          JSON.stringify(json),
        );
      }
      failedWith(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: unknown, credit: usdB, amount: usd('1') }],
        }),
        'account-not-found',
        'postings.0.debit',
      );
      failedWith(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: usdA, credit: unknown, amount: usd('1') }],
        }),
        'account-not-found',
        'postings.0.credit',
      );
      failedWith(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: usdA, credit: eur, amount: usd('1') }],
        }),
        'asset-mismatch',
        'postings.0.credit',
      );
      failedWith(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: usdB, credit: usdA, amount: usd('1.000001') }],
        }),
        'debits-exceed-credits',
        'postings.0.amount',
      );
      failedWith(
        await h.one({ type: 'createAccount', id: uuidv7(), code: 'usd-a', asset: 'USD', flags: 0 }),
        'account-code-exists',
        'code',
      );
      await assert.rejects(
        h.ledger.submit([
          {
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: usdA, credit: usdB, amount: -1n as Micro }],
          },
        ]),
        /postings\.0\.amount: must be an amount/,
      );
      assert.equal(await h.balances(), before);
    });

    test('pending transfers: post in full, post in part, void, and expire by timeout', async (h) => {
      const fiat = await h.account('fiat', { flags: accountFlag.debitsMustNotExceedCredits });
      const cash = await h.account('cash', { flags: accountFlag.creditsMustNotExceedDebits });
      const supply = await h.account('supply');
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: cash, credit: fiat, amount: usd('100') }],
        }),
      );
      const reserve = (amount: string, timeout = 60) =>
        h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: fiat, credit: supply, amount: usd(amount) }],
          pendingTimeoutSeconds: timeout,
        });

      const full = await reserve('30');
      committed(full);
      let f = (await h.store.accountById(fiat))!;
      assert.equal(f.debitsPending, 30_000_000n);
      // Pending debits count against the limit: 80 more would exceed 100.
      failedWith(await reserve('70.000001'), 'debits-exceed-credits', 'postings.0.amount');
      committed(await h.one({ type: 'postPending', id: uuidv7(), pendingId: full.id }));
      failedWith(
        await h.one({ type: 'voidPending', id: uuidv7(), pendingId: full.id }),
        'pending-already-posted',
        'pendingId',
      );

      const partial = await reserve('20');
      committed(partial);
      failedWith(
        await h.one({
          type: 'postPending',
          id: uuidv7(),
          pendingId: partial.id,
          amounts: [usd('20.000001')],
        }),
        'post-exceeds-pending',
        'amounts.0',
      );
      failedWith(
        await h.one({
          type: 'postPending',
          id: uuidv7(),
          pendingId: partial.id,
          amounts: [usd('1'), usd('1')],
        }),
        'amounts-length-mismatch',
        'amounts',
      );
      committed(
        await h.one({
          type: 'postPending',
          id: uuidv7(),
          pendingId: partial.id,
          amounts: [usd('12.5')],
        }),
      );

      const voided = await reserve('10');
      committed(voided);
      committed(await h.one({ type: 'voidPending', id: uuidv7(), pendingId: voided.id }));
      failedWith(
        await h.one({ type: 'postPending', id: uuidv7(), pendingId: voided.id }),
        'pending-already-voided',
        'pendingId',
      );
      failedWith(
        await h.one({ type: 'voidPending', id: uuidv7(), pendingId: uuidv7() }),
        'pending-not-found',
        'pendingId',
      );

      const expiring = await reserve('5', 30);
      const late = await reserve('6', 30);
      committed(expiring);
      committed(late);
      h.clock.advanceSeconds(29);
      assert.equal(await h.ledger.expireDue(), 0);
      h.clock.advanceSeconds(2);
      // A post that arrives after the timeout but before the sweep expires it and fails.
      failedWith(
        await h.one({ type: 'postPending', id: uuidv7(), pendingId: late.id }),
        'pending-expired',
        'pendingId',
      );
      assert.equal(await h.ledger.expireDue(), 1);
      assert.equal(await h.ledger.expireDue(), 0);
      failedWith(
        await h.one({ type: 'postPending', id: uuidv7(), pendingId: expiring.id }),
        'pending-expired',
        'pendingId',
      );

      f = (await h.store.accountById(fiat))!;
      assert.equal(f.debitsPending, 0n);
      assert.equal(f.debitsPosted, 42_500_000n);
      const s = (await h.store.accountById(supply))!;
      assert.equal(s.creditsPosted, 42_500_000n);
      assert.equal(s.creditsPending, 0n);
      const statuses = (await h.store.pendings(0n, 100)).map((p) => p.status);
      assert.deepEqual(statuses, ['posted', 'posted', 'voided', 'expired', 'expired']);
    });

    test('sums as of a cut: posted movements only, by business date where a record has one, else by timestamp', async (h) => {
      const cash = await h.account('reserves:cash:bank-a', {
        flags: accountFlag.creditsMustNotExceedDebits,
      });
      const bill = await h.account('reserves:tbill:x', {
        flags: accountFlag.creditsMustNotExceedDebits,
      });
      const fiat = await h.account('customers:alice:fiat', {
        flags: accountFlag.debitsMustNotExceedCredits,
      });
      const move = (debit: Uuid, credit: Uuid, amount: string, metadata?: Record<string, string>) =>
        h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit, credit, amount: usd(amount) }],
          ...(metadata === undefined ? {} : { metadata }),
        });
      const first = await move(cash, fiat, '100');
      committed(first);
      const t0 = first.timestampUs;
      h.clock.advanceSeconds(10);
      // Recorded at t0 + 10 s, dated a business day: the cut decides by the date.
      committed(await move(bill, cash, '30', { 'test.day': '2020-01-02' }));
      const pending = uuidv7();
      committed(
        await h.one({
          type: 'transfer',
          id: pending,
          asset: 'USD',
          pendingTimeoutSeconds: 3600,
          postings: [{ debit: cash, credit: fiat, amount: usd('7') }],
        }),
      );
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          pendingTimeoutSeconds: 3600,
          postings: [{ debit: cash, credit: fiat, amount: usd('5') }],
        }),
      );
      h.clock.advanceSeconds(10);
      committed(await h.one({ type: 'postPending', id: uuidv7(), pendingId: pending }));
      const assets = { prefix: 'reserves:', side: 'debit' } as const;
      const cut = (beforeUs: bigint, throughDay: string) =>
        h.store.sumsAsOf(assets, { beforeUs, throughDay, dateKeys: ['test.day'] });
      const posted = (sums: Map<string, Sums>) =>
        Object.fromEntries(
          [...sums].map(([code, s]) => [code, String(balanceOf(s, 'debit').posted)]),
        );
      // Before the first transfer: no account moved.
      assert.deepEqual(posted(await cut(t0, '2020-01-01')), {});
      // The first transfer only; the dated one is later than its day.
      assert.deepEqual(posted(await cut(t0 + 1n, '2020-01-01')), {
        'reserves:cash:bank-a': '100000000',
      });
      // The dated one counts from its day, whenever it was recorded; pendings do not count.
      assert.deepEqual(posted(await cut(t0 + 15_000_000n, '2020-01-02')), {
        'reserves:cash:bank-a': '70000000',
        'reserves:tbill:x': '30000000',
      });
      // The pending posted counts from its post: as now, less the 5 still pending.
      const now = posted(await cut(h.clock.nowUs + 1n, '2020-01-02'));
      assert.deepEqual(now, { 'reserves:cash:bank-a': '77000000', 'reserves:tbill:x': '30000000' });
      const current = await h.store.balancesByCode(assets);
      assert.equal(current.get('reserves:cash:bank-a')!.posted, 77_000_000n);
      assert.equal(current.get('reserves:cash:bank-a')!.atMost, 82_000_000n);
      // A selection of the other side refuses a mix, as balances do.
      await assert.rejects(
        h.store.sumsAsOf(
          { prefix: 'reserves:', side: 'credit' },
          { beforeUs: h.clock.nowUs + 1n, throughDay: '2020-01-02', dateKeys: [] },
        ),
        /on its side/,
      );
    });

    test('a closed account takes no new postings; voids still release', async (h) => {
      const a = await h.account('a');
      const b = await h.account('b');
      const pending = await h.one({
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: a, credit: b, amount: usd('1') }],
        pendingTimeoutSeconds: 60,
      });
      committed(pending);
      committed(
        await h.one({
          type: 'setAccountFlags',
          id: uuidv7(),
          accountId: b,
          flags: accountFlag.closed,
        }),
      );
      failedWith(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: a, credit: b, amount: usd('1') }],
        }),
        'account-closed',
        'postings.0.credit',
      );
      failedWith(
        await h.one({
          type: 'setAccountFlags',
          id: uuidv7(),
          accountId: b,
          flags: accountFlag.closed | accountFlag.debitsMustNotExceedCredits,
        }),
        'flags-immutable',
        'flags',
      );
      committed(await h.one({ type: 'voidPending', id: uuidv7(), pendingId: pending.id }));
      committed(await h.one({ type: 'setAccountFlags', id: uuidv7(), accountId: b, flags: 0 }));
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: a, credit: b, amount: usd('1') }],
        }),
      );
    });

    test('concurrent writers on one hot account lose no update and never break its flag', async (h) => {
      const hot = await h.account('hot', { flags: accountFlag.debitsMustNotExceedCredits });
      const source = await h.account('source');
      const sinks = await Promise.all(Array.from({ length: 8 }, (_, i) => h.account(`sink-${i}`)));
      committed(
        await h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: source, credit: hot, amount: usd('1000') }],
        }),
      );
      // Three writers (three ledgers, each with its own store and cache) share one database.
      const writers = [
        h.ledger,
        new Ledger(new SqlLedgerStore(h.t.db), { clockUs: h.clock.read }),
        new Ledger(new SqlLedgerStore(h.t.db), { clockUs: h.clock.read }),
      ];
      const jobs: Array<Promise<Outcome[]>> = [];
      for (let round = 0; round < 40; round++) {
        const writer = writers[round % writers.length]!;
        const batch: Command[] = sinks.map((sink) => ({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: hot, credit: sink, amount: usd('3.5') }],
        }));
        jobs.push(writer.submit(batch));
      }
      const outcomes = (await Promise.all(jobs)).flat();
      const paid = outcomes.filter((o) => o.status === 'committed').length;
      const refused = outcomes.filter((o) => o.status === 'failed');
      assert.equal(paid, Math.floor(1000 / 3.5));
      assert.ok(
        refused.every((o) => o.status === 'failed' && o.error.code === 'debits-exceed-credits'),
      );
      const account = (await h.store.accountById(hot))!;
      assert.equal(account.debitsPosted, BigInt(paid) * 3_500_000n);
      assert.ok(account.debitsPosted <= account.creditsPosted);
      let sinkSum = 0n;
      for (const sink of sinks) sinkSum += (await h.store.accountById(sink))!.creditsPosted;
      assert.equal(sinkSum, account.debitsPosted);
    });

    test("balances: one figure per selection, in the flag's direction, pending counted by direction", async (h) => {
      const cash = await h.account('reserves:cash:bank-a', {
        flags: accountFlag.creditsMustNotExceedDebits,
      });
      const fiatA = await h.account('customers:A:fiat', {
        flags: accountFlag.debitsMustNotExceedCredits,
      });
      const fiatB = await h.account('customers:B:fiat', {
        flags: accountFlag.debitsMustNotExceedCredits,
      });
      const supply = await h.account('supply:1', { flags: accountFlag.debitsMustNotExceedCredits });
      const move = (debit: Uuid, credit: Uuid, amount: string, pending = false) =>
        h.one({
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit, credit, amount: usd(amount) }],
          ...(pending ? { pendingTimeoutSeconds: 60 } : {}),
        });
      committed(await move(cash, fiatA, '100'));
      committed(await move(cash, fiatB, '50'));
      committed(await move(fiatA, supply, '30', true)); // a mint reserved, not posted
      const [a, customers, sup, assets, none] = await h.ledger.balances([
        { codes: ['customers:A:fiat'], side: 'credit' },
        { prefix: 'customers:', suffix: ':fiat', side: 'credit' },
        { prefix: 'supply:', side: 'credit' },
        { prefix: 'reserves:', side: 'debit' },
        { codes: ['customers:nobody:fiat'], side: 'credit' },
      ]);
      assert.deepEqual(
        [a!.posted, a!.pendingOut, a!.available, a!.atMost],
        [usd('100'), usd('30'), usd('70'), usd('100')],
      );
      assert.deepEqual([customers!.posted, customers!.available], [usd('150'), usd('120')]);
      assert.deepEqual([sup!.posted, sup!.pendingIn, sup!.atMost], [0n, usd('30'), usd('30')]);
      assert.equal(assets!.posted, usd('150'));
      assert.equal(none!.atMost, 0n);
      assert.equal((await h.ledger.balance('customers:B:fiat', 'credit')).available, usd('50'));
      // A selection that mixes sides is a bug in the caller, not a figure.
      await assert.rejects(
        h.ledger.balances([
          { codes: ['customers:A:fiat', 'reserves:cash:bank-a'], side: 'credit' },
        ]),
        /on its side/,
      );
    });

    test('an atomic step: its check, its ledger commands and its own rows commit together or not at all', async (h) => {
      const source = await h.account('source');
      const target = await h.account('target', { flags: accountFlag.debitsMustNotExceedCredits });
      await h.t.db.exec('CREATE TABLE step_rows (id text PRIMARY KEY)');
      const transfer = (amount: string): Command => ({
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: source, credit: target, amount: usd(amount) }],
      });
      const before = await h.balances();
      // A body that throws after applying keeps nothing: no record, no row, no failure.
      const doomed = transfer('5');
      await assert.rejects(
        h.ledger.atomically(async (tx, apply) => {
          const [outcome] = await apply([doomed]);
          assert.equal(outcome!.status, 'committed');
          await (tx as { query: (sql: string) => Promise<unknown> }).query(
            "INSERT INTO step_rows VALUES ('doomed')",
          );
          throw new Error('refused after the fact');
        }),
        /refused after the fact/,
      );
      assert.equal(await h.balances(), before);
      assert.equal(await h.store.recordById(doomed.id), undefined);
      // The same id later is a new command (nothing of the refused step was kept).
      const [again] = await h.ledger.submit([doomed]);
      assert.equal(again!.status, 'committed');
      // A body that commits: the rows and the records are there together.
      const kept = transfer('7');
      await h.ledger.atomically(async (tx, apply) => {
        await apply([kept]);
        await (tx as { query: (sql: string) => Promise<unknown> }).query(
          "INSERT INTO step_rows VALUES ('kept')",
        );
      });
      const { rows } = await h.t.db.query<{ id: string }>('SELECT id FROM step_rows');
      assert.deepEqual(
        rows.map((r) => r.id),
        ['kept'],
      );
      assert.equal((await h.ledger.balance('target', 'credit')).posted, usd('12'));
    });

    test('an atomic step whose command was seen before is answered as before, its body run again', async (h) => {
      const source = await h.account('source');
      const target = await h.account('target');
      const capped = await h.account('capped', { flags: accountFlag.debitsMustNotExceedCredits });
      await h.t.db.exec('CREATE TABLE step_again (id text)');
      const command = (debit: string, amount: string): Command => ({
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit, credit: target, amount: usd(amount) }],
      });
      const committed = command(source, '3');
      const failed = command(capped, '4'); // capped has no credits: refused by its flag
      const earlier = await h.ledger.submit([committed, failed]);
      assert.deepEqual(
        earlier.map((o) => o.status),
        ['committed', 'failed'],
      );
      for (const [i, seen] of [committed, failed].entries()) {
        let runs = 0;
        const outcome = await h.ledger.atomically(async (tx, apply) => {
          runs++;
          await (tx as { query: (sql: string) => Promise<unknown> }).query(
            `INSERT INTO step_again VALUES ('${seen.id}')`,
          );
          const [answer] = await apply([seen]);
          return answer;
        });
        assert.deepEqual(outcome, earlier[i], 'answered as before');
        assert.equal(runs, 2, 'optimistic first; then again, knowing the earlier outcome');
        const { rows } = await h.t.db.query('SELECT id FROM step_again WHERE id = $1', [seen.id]);
        assert.equal(rows.length, 1, "the first attempt's rows were rolled back");
      }
      assert.equal((await h.ledger.balance('target', 'credit')).posted, usd('3'));
    });

    test('atomic steps race: 50 concurrent checks against one cap, from three writers, never exceed it', async (h) => {
      const source = await h.account('source');
      const target = await h.account('target', { flags: accountFlag.debitsMustNotExceedCredits });
      const writers = [
        h.ledger,
        new Ledger(new SqlLedgerStore(h.t.db), { clockUs: h.clock.read }),
        new Ledger(new SqlLedgerStore(h.t.db), { clockUs: h.clock.read }),
      ];
      const other = await h.account('other');
      const cap = usd('1000');
      const amount = usd('30'); // 33 fit under the cap, 17 must be refused
      const others: Array<Promise<unknown>> = [];
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          writers[i % writers.length]!.atomically(async (tx, apply) => {
            const [held] = await writers[i % writers.length]!.balances(
              [{ codes: ['target'], side: 'credit' }],
              tx,
            );
            if (held!.atMost + amount > cap) throw new RangeError('over the cap');
            // Concurrent writes that are not atomic steps go on meanwhile.
            others.push(
              h.ledger.submit([
                {
                  type: 'transfer',
                  id: uuidv7(),
                  asset: 'USD',
                  postings: [{ debit: source, credit: other, amount: 1n as Micro }],
                },
              ]),
            );
            return apply([
              {
                type: 'transfer',
                id: uuidv7(),
                asset: 'USD',
                postings: [{ debit: source, credit: target, amount }],
                pendingTimeoutSeconds: 600,
              },
            ]);
          }),
        ),
      );
      await Promise.all(others);
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      assert.equal(ok, 33);
      assert.ok(
        results.every(
          (r) => r.status === 'fulfilled' || (r.reason as Error).message === 'over the cap',
        ),
      );
      const held = await h.ledger.balance('target', 'credit');
      assert.equal(held.atMost, 33n * amount);
      assert.ok(held.atMost <= cap);
    });

    test('pipelined batches: an id repeated from the batch before returns its first outcome', async (h) => {
      const a = await h.account('a');
      const b = await h.account('b', { flags: accountFlag.debitsMustNotExceedCredits });
      const first: Command[] = Array.from({ length: 300 }, (_, i) => ({
        type: 'transfer',
        id: uuidv7(),
        asset: 'USD',
        postings: [{ debit: a, credit: b, amount: usd(`${i + 1}`) }],
      }));
      const repeat = first[123]!;
      const conflicting: Command = {
        type: 'transfer',
        id: first[7]!.id,
        asset: 'USD',
        postings: [{ debit: a, credit: b, amount: usd('999') }],
      };
      const second: Command[] = [
        {
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: b, credit: a, amount: usd('1') }],
        },
        repeat,
        conflicting,
        {
          type: 'transfer',
          id: uuidv7(),
          asset: 'USD',
          postings: [{ debit: a, credit: b, amount: usd('0.5') }],
        },
      ];
      // Submitted together: the second batch is planned while the first is written.
      const [one, two] = await Promise.all([h.ledger.submit(first), h.ledger.submit(second)]);
      assert.ok(one.every((o) => o.status === 'committed'));
      assert.deepEqual(two[1], one[123]);
      failedWith(two[2]!, 'id-conflict', 'id');
      committed(two[0]!);
      committed(two[3]!);
      const paid = ((300n * 301n) / 2n) * 1_000_000n;
      assert.equal((await h.store.accountById(b))!.creditsPosted, paid + 500_000n);
      assert.equal((await h.store.accountById(b))!.debitsPosted, 1_000_000n);
    });

    test('a follower replays only what was appended since, and still catches a changed balance', async (h) => {
      const a = await h.account('a');
      const b = await h.account('b');
      const pay = async (n: number) => {
        for (let i = 0; i < n; i++)
          committed(
            await h.one({
              type: 'transfer',
              id: uuidv7(),
              asset: 'USD',
              postings: [{ debit: a, credit: b, amount: usd('1') }],
            }),
          );
      };
      await pay(3);
      const follower = new LedgerFollower();
      const first = await follower.verify(h.store);
      assert.equal(first.ok, true, toJson(first));
      assert.equal(first.records, 5n);
      await pay(2);
      const second = await follower.verify(h.store);
      assert.equal(second.ok, true, toJson(second));
      assert.equal(second.records, 7n);
      assert.deepEqual(second.head, (await verifyLedger(h.store)).head);
      // What it does not re-read: an old record changed behind the ledger's back passes the
      // follower (its hash links were checked before) and fails a full replay.
      const db = h.t.db;
      await db.exec('ALTER TABLE ledger_journal DISABLE TRIGGER USER');
      try {
        await db.exec(
          'UPDATE ledger_journal SET amounts = ARRAY[2000000]::numeric[] WHERE seq = 3',
        );
        assert.equal((await follower.verify(h.store)).ok, true);
        const full = await verifyLedger(h.store);
        assert.equal(full.broken?.seq, 3n);
        assert.equal(full.broken?.reason, 'hash-mismatch');
        await db.exec(
          'UPDATE ledger_journal SET amounts = ARRAY[1000000]::numeric[] WHERE seq = 3',
        );
      } finally {
        await db.exec('ALTER TABLE ledger_journal ENABLE TRIGGER USER');
      }
      // A stored balance changed without a record is compared on every pass.
      await db.exec(
        `UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = '${b}'`,
      );
      const changed = await follower.verify(h.store);
      assert.equal(changed.ok, false);
      assert.equal(changed.broken?.reason, 'balance-mismatch');
      await db.exec(
        `UPDATE ledger_accounts SET credits_posted = credits_posted - 1 WHERE id = '${b}'`,
      );
      // After a failure it starts over from genesis.
      const again = await follower.verify(h.store);
      assert.equal(again.ok, true, toJson(again));
      assert.equal(again.records, 7n);
    });

    test('a follower compares the pending transfers new records touch, and the number of all', async (h) => {
      const a = await h.account('a');
      const b = await h.account('b');
      const hold = async () => {
        const id = uuidv7();
        committed(
          await h.one({
            type: 'transfer',
            id,
            asset: 'USD',
            postings: [{ debit: a, credit: b, amount: usd('1') }],
            pendingTimeoutSeconds: 3600,
          }),
        );
        return id;
      };
      const db = h.t.db;
      const untouched = await hold();
      const follower = new LedgerFollower();
      assert.equal((await follower.verify(h.store)).ok, true);
      // A stored pending transfer no new record touches is compared at a full replay.
      await db.query("UPDATE ledger_pending SET status = 'voided' WHERE id = $1", [untouched]);
      await hold();
      assert.equal((await follower.verify(h.store)).ok, true, 'not compared again');
      const full = await verifyLedger(h.store);
      assert.equal(full.broken?.reason, 'balance-mismatch');
      assert.match(full.broken?.detail ?? '', new RegExp(untouched));
      await db.query("UPDATE ledger_pending SET status = 'pending' WHERE id = $1", [untouched]);
      // One the new records created is compared.
      const fresh = await hold();
      await db.query('UPDATE ledger_pending SET expires_at_us = expires_at_us + 1 WHERE id = $1', [
        fresh,
      ]);
      const changed = await follower.verify(h.store);
      assert.equal(changed.broken?.reason, 'balance-mismatch');
      assert.match(changed.broken?.detail ?? '', new RegExp(fresh));
      await db.query('UPDATE ledger_pending SET expires_at_us = expires_at_us - 1 WHERE id = $1', [
        fresh,
      ]);
      assert.equal((await follower.verify(h.store)).ok, true, 'from genesis again');
      // A row the journal does not know is found by their number.
      const bogus = uuidv7();
      await db.query(
        "INSERT INTO ledger_pending (id, seq, expires_at_us, status) SELECT $1, min(seq), 0, 'pending' FROM ledger_journal",
        [bogus],
      );
      await hold();
      const counted = await follower.verify(h.store);
      assert.equal(counted.broken?.reason, 'balance-mismatch');
      assert.match(counted.broken?.detail ?? '', /pending transfers, \d+ are stored/);
      await db.query('DELETE FROM ledger_pending WHERE id = $1', [bogus]);
    });

    test('verify names the sequence number of a flipped byte and of a deleted row', async (h) => {
      const a = await h.account('a');
      const b = await h.account('b');
      for (let i = 0; i < 6; i++)
        committed(
          await h.one({
            type: 'transfer',
            id: uuidv7(),
            asset: 'USD',
            postings: [{ debit: a, credit: b, amount: usd(`${i + 1}`) }],
          }),
        );
      assert.equal((await verifyLedger(h.store)).ok, true);
      const db = h.t.db;
      // An attacker who owns the database first turns the append-only trigger off.
      await assert.rejects(
        db.query('UPDATE ledger_journal SET metadata = metadata WHERE seq = 4'),
        /append-only/,
      );
      await db.exec('ALTER TABLE ledger_journal DISABLE TRIGGER USER');
      const tamper = (sql: string, seq: bigint, reason: string) =>
        assert.rejects(
          db.transaction(async (tx) => {
            await tx.exec(sql);
            // Verify inside the tampering transaction, then roll it back for the next case.
            const view = {
              backend: db.backend,
              query: tx.query.bind(tx),
              copyFrom: tx.copyFrom.bind(tx),
              exec: tx.exec.bind(tx),
              transaction: <T>(body: (e: typeof tx) => Promise<T>) => body(tx),
              close: async () => {},
            };
            const report = await verifyLedger(new SqlLedgerStore(view));
            assert.equal(report.ok, false, sql);
            assert.equal(report.broken?.seq, seq, `${sql}: ${toJson(report.broken)}`);
            assert.equal(report.broken?.reason, reason, sql);
            throw new Error('roll back');
          }),
          /roll back/,
        );
      // One byte of the amount (5 USD = 5000000 micro-units: 0x4c4b40 -> 0x4c4b41).
      await tamper(
        'UPDATE ledger_journal SET amounts = ARRAY[5000001]::numeric[] WHERE seq = 7',
        7n,
        'hash-mismatch',
      );
      // One byte of the credited account's id.
      await tamper(
        `UPDATE ledger_journal SET credit_ids = ARRAY[overlay(credit_ids[1]::text placing (CASE WHEN substr(credit_ids[1]::text, 36, 1) = '0' THEN '1' ELSE '0' END) from 36 for 1)::uuid] WHERE seq = 5`,
        5n,
        'hash-mismatch',
      );
      // One byte of the stored hash itself.
      await tamper(
        `UPDATE ledger_journal SET hash = set_byte(hash, 0, (get_byte(hash, 0) + 1) % 256) WHERE seq = 3`,
        3n,
        'hash-mismatch',
      );
      // A deleted row in the middle, and the last row.
      await tamper('DELETE FROM ledger_journal WHERE seq = 4', 4n, 'missing');
      await tamper('DELETE FROM ledger_journal WHERE seq = 8', 8n, 'missing');
      // A balance changed without a record.
      await tamper(
        `UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = '${b}'`,
        2n,
        'balance-mismatch',
      );
      await db.exec('ALTER TABLE ledger_journal ENABLE TRIGGER USER');
    });
  });
}
