import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hexToBytes } from '@noble/hashes/utils.js';
import { ClearpegError } from '../errors.ts';
import { createCustomer } from '../issuance/customers.ts';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { limits } from '../limits.ts';
import { parseAmount } from '../money/money.ts';
import { discrepancies, parseAttestation } from '../proofs/attestation.ts';
import { parseCheckpoint } from '../proofs/checkpoint.ts';
import { checkWitnesses } from '../proofs/cosignature.ts';
import { ed25519Verifier, openNote } from '../proofs/note.ts';
import { sumProofFromTiles } from '../proofs/sumtiles.ts';
import { verifySumProof } from '../proofs/sumtree.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import { depositAndLongBill } from '../treasury/testing.ts';
import { startWitnessServer, type WitnessServer } from '../witness/server.ts';
import { DirectoryStateStore } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';
import { Attestor } from './cycle.ts';
import { liabilitiesSecret, logIdentity } from './keys.ts';
import { LogCorruptError, nodeSha256, TransparencyLog } from './log.ts';
import { LogPublisher } from './publish.ts';
import { leafOf } from './rounds.ts';

const ruleset = loadRuleset('genius');

interface Issuer {
  f: IssuanceFixture;
  dir: string;
  attestor: Attestor;
  log: TransparencyLog;
  vkey: string;
  witness: Witness;
  server: WitnessServer;
  published: (path: string) => Uint8Array;
  /**
   * The attestor's clock for its full self-checks: it reads `ms`, then moves it `step` on. Still
   * (the default), every self-check is a full one.
   */
  clock: { ms: number; step: number };
  close(): Promise<void>;
}

async function issuer(): Promise<Issuer> {
  const f = await issuanceFixture();
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-attest-'));
  const identity = logIdentity(dir, {});
  const log = new TransparencyLog(f.t.db, identity, f.ctx.clockUs);
  const publisher = new LogPublisher(join(dir, 'public'), identity.vkey);
  const { generateSignerKey, algorithmCosignatureV1 } = await import('../proofs/note.ts');
  const witness = new Witness({
    key: generateSignerKey('witness.test/w1', algorithmCosignatureV1),
    logs: [identity.vkey],
    store: new DirectoryStateStore(join(dir, 'witness')),
  });
  const server = await startWitnessServer(witness);
  const clock = { ms: 0, step: 0 };
  const attestor = new Attestor({
    ctx: f.ctx,
    log,
    publisher,
    chains: [],
    ruleset,
    master: liabilitiesSecret(dir),
    witnesses: [{ vkey: witness.verifierKey, url: server.url }],
    quorum: 1,
    clockMs: () => {
      clock.ms += clock.step;
      return clock.ms;
    },
  });
  return {
    f,
    clock,
    dir,
    attestor,
    log,
    vkey: identity.vkey,
    witness,
    server,
    published: (path) => new Uint8Array(readFileSync(join(dir, 'public', 'log', path))),
    close: async () => {
      await server.close();
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the attestation cycle', () => {
  let it_: Issuer;
  before(async () => {
    it_ = await issuer();
    const { f } = it_;
    await createCustomer(f.ctx, f.operator('compliance'), { id: 'CUST-0001', name: 'Acme' });
    await depositAndLongBill(f, f.operator('treasurer'));
  });
  after(() => it_.close());

  it('signs a checkpoint over the attestation, has it cosigned, and publishes it', async () => {
    const result = await it_.attestor.runOnce();
    assert.equal(result.checkpoint.size, 1n);
    assert.deepEqual(result.cosignedBy, [it_.witness.verifierKey]);
    const note = new TextDecoder().decode(it_.published('checkpoint'));
    assert.equal(note, result.published);
    const opened = openNote(note, [ed25519Verifier(it_.vkey)]);
    const checkpoint = parseCheckpoint(opened.text);
    assert.equal(checkpoint.size, 1n);
    assert.equal(checkWitnesses(note, [it_.witness.verifierKey], 1).satisfied, true);
    const a = result.attestation;
    assert.deepEqual(discrepancies(parseAttestation(a)), []);
    assert.equal(a.previous, null);
    assert.equal(a.liabilities.customerFiat.total, '10000000.000000');
    assert.equal(a.liabilities.customerFiat.accounts, '1');
    assert.equal(a.liabilities.total, '10000000.000000');
    // The bill and the cash left after buying it.
    assert.equal(a.reserves.total, '10000000.000000');
    const bill = a.reserves.positions.find((p) => p.kind === 'tbill');
    assert.deepEqual(bill?.bill, {
      cusip: '912797HR1',
      face: '6000000.000000',
      maturity: '2027-05-19',
    });
    assert.equal(it_.published('vkey').length > 0, true);
  });

  it('gives a customer its leaf, which verifies from the public sum tiles alone', async () => {
    const master = liabilitiesSecret(it_.dir);
    const leaf = await leafOf(it_.f.t.db, 'CUST-0001', master, it_.log.origin);
    const latest = await it_.log.latest();
    // Not a round the published log does not state yet.
    assert.deepEqual(
      await leafOf(it_.f.t.db, 'CUST-0001', master, it_.log.origin, latest!.size),
      leaf,
    );
    await assert.rejects(
      leafOf(it_.f.t.db, 'CUST-0001', master, it_.log.origin, BigInt(leaf.round)),
      (error: unknown) =>
        error instanceof ClearpegError && error.code === 'liabilities-leaf-unknown',
    );
    const { rows } = await it_.f.t.db.query<{ data: Uint8Array }>(
      'SELECT data FROM log_entries WHERE idx = $1',
      [latest!.size - 1n],
    );
    const a = parseAttestation(JSON.parse(new TextDecoder().decode(rows[0]!.data)));
    assert.equal(leaf.round, a.liabilities.customerFiat.round);
    const { proof, root } = await sumProofFromTiles(
      async (path) => it_.published(`liabilities/${leaf.round}/${path}`),
      BigInt(a.liabilities.customerFiat.accounts),
      BigInt(leaf.index),
    );
    assert.equal(Buffer.from(root.hash).toString('hex'), a.liabilities.customerFiat.root);
    assert.equal(root.value, parseAmount(a.liabilities.customerFiat.total));
    const check = (value: bigint) =>
      verifySumProof({
        customerId: leaf.customerId,
        salt: hexToBytes(leaf.salt),
        value,
        index: BigInt(leaf.index),
        size: BigInt(leaf.size),
        proof,
        root,
      });
    assert.deepEqual(check(parseAmount(leaf.value)), { ok: true });
    assert.equal(check(parseAmount(leaf.value) - 1n).ok, false);
  });

  it('chains the next attestation to the previous one and reuses an unchanged round', async () => {
    const first = await it_.log.latest();
    const result = await it_.attestor.runOnce();
    assert.equal(result.checkpoint.size, first!.size + 1n);
    const { rows } = await it_.f.t.db.query<{ data: Uint8Array }>(
      'SELECT data FROM log_entries WHERE idx = $1',
      [first!.size - 1n],
    );
    assert.equal(
      result.attestation.previous,
      Buffer.from(nodeSha256(new Uint8Array(rows[0]!.data))).toString('hex'),
    );
    assert.deepEqual(result.cosignedBy, [it_.witness.verifierKey], 'the witness saw it extend');
    const { rows: rounds } = await it_.f.t.db.query('SELECT round FROM liability_rounds');
    assert.equal(rounds.length, 1, 'the balances did not change: one round');
  });

  it('refuses to attest when a business record was edited behind its back, naming it', async () => {
    const before = await it_.log.latest();
    await it_.f.t.db.query("UPDATE deposits SET amount = amount + 1 WHERE reference = 'WIRE-1'");
    try {
      await assert.rejects(
        it_.attestor.runOnce(),
        (error: unknown) =>
          error instanceof ClearpegError &&
          error.code === 'attestation-refused' &&
          /deposits/.test(error.message),
      );
      assert.equal((await it_.log.latest())!.size, before!.size, 'nothing was signed');
      const { rows } = await it_.f.t.db.query<{ kind: string }>(
        "SELECT kind FROM alerts WHERE kind = 'attestation-refused'",
      );
      assert.equal(rows.length, 1);
    } finally {
      await it_.f.t.db.query("UPDATE deposits SET amount = amount - 1 WHERE reference = 'WIRE-1'");
    }
  });

  it('refuses to attest when a journal record was edited behind its back, naming it', async () => {
    const before = await it_.log.latest();
    const db = it_.f.t.db;
    const { rows } = await db.query<{ seq: string; amounts: string[] }>(
      'SELECT seq::text, amounts::text[] FROM ledger_journal WHERE kind = 3 ORDER BY seq LIMIT 1',
    );
    const { seq, amounts } = rows[0]!;
    await db.exec('ALTER TABLE ledger_journal DISABLE TRIGGER USER');
    try {
      await db.query('UPDATE ledger_journal SET amounts[1] = amounts[1] + 1 WHERE seq = $1', [seq]);
      await assert.rejects(
        it_.attestor.runOnce(),
        (error: unknown) =>
          error instanceof ClearpegError &&
          error.code === 'attestation-refused' &&
          error.message.includes(`record ${seq} hash-mismatch`),
      );
      assert.equal((await it_.log.latest())!.size, before!.size, 'nothing was signed');
    } finally {
      await db.query('UPDATE ledger_journal SET amounts[1] = $2 WHERE seq = $1', [
        seq,
        amounts[0]!,
      ]);
      await db.exec('ALTER TABLE ledger_journal ENABLE TRIGGER USER');
    }
    // Put back, the records hold together again and the log goes on.
    const result = await it_.attestor.runOnce();
    assert.equal(result.checkpoint.size, before!.size + 1n);
  });

  it('between full self-checks replays what is new, and compares the business tables at the next full one', async () => {
    const { attestor, clock } = it_;
    const db = it_.f.t.db;
    const refused = (error: unknown) =>
      error instanceof ClearpegError &&
      error.code === 'attestation-refused' &&
      /business record\(s\) differ/.test(error.message);
    // Each full check now takes 100 ms by this clock: the next is due 1,900 ms after it ends.
    clock.step = 100;
    try {
      clock.ms += limits.attestFullCheckIntervalMs;
      const full = await attestor.runOnce();
      await db.query("UPDATE deposits SET amount = amount + 1 WHERE reference = 'WIRE-1'");
      try {
        const between = await attestor.runOnce();
        assert.equal(between.checkpoint.size, full.checkpoint.size + 1n, 'not compared yet');
        clock.ms += 100 * limits.attestFullCheckGapFactor;
        await assert.rejects(attestor.runOnce(), refused);
        // Refused: the next cycle checks in full again, however soon it comes.
        await assert.rejects(attestor.runOnce(), refused);
        assert.equal((await it_.log.latest())!.size, between.checkpoint.size, 'nothing signed');
      } finally {
        await db.query("UPDATE deposits SET amount = amount - 1 WHERE reference = 'WIRE-1'");
      }
      const again = await attestor.runOnce();
      assert.equal(again.checkpoint.size, full.checkpoint.size + 2n);
    } finally {
      clock.step = 0;
    }
  });

  it('signs nothing over a log whose stored entries were edited', async () => {
    const before = await it_.log.latest();
    const db = it_.f.t.db;
    await db.exec('ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only');
    await db.query(
      "UPDATE log_entries SET data = convert_to(replace(convert_from(data, 'UTF8'), '10000000.000000', '10000001.000000'), 'UTF8') WHERE idx = 0",
    );
    await db.query('UPDATE log_entries SET leaf_hash = $1 WHERE idx = 0', [
      (await import('../proofs/hash.ts')).leafHash(
        new Uint8Array(
          (await db.query<{ data: Uint8Array }>('SELECT data FROM log_entries WHERE idx = 0'))
            .rows[0]!.data,
        ),
      ),
    ]);
    // A fresh process (no tree in memory) reads the edited entries.
    const fresh = new TransparencyLog(db, logIdentity(it_.dir, {}), it_.f.ctx.clockUs);
    await assert.rejects(
      fresh.append(async () => new Uint8Array([1])),
      LogCorruptError,
    );
    assert.equal((await fresh.latest())!.size, before!.size);
  });
});
