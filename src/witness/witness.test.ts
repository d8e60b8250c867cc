/**
 * The witness's protocol logic (c2sp.org/tlog-witness add-checkpoint) without HTTP, on a real
 * state directory and real Merkle trees: what it cosigns, each refusal with its status, that a
 * refusal leaves the state as it was, that the state survives a restart, and that concurrent
 * requests for diverging checkpoints get at most one cosignature.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { toBase64 } from '../proofs/base64.ts';
import { formatCheckpoint } from '../proofs/checkpoint.ts';
import { cosignerVerifierKey, verifyCosignature } from '../proofs/cosignature.ts';
import { emptyRoot } from '../proofs/hash.ts';
import {
  algorithmCosignatureV1,
  ed25519Signer,
  generateSignerKey,
  parseNote,
  signNote,
} from '../proofs/note.ts';
import { DirectoryStateStore, stateFileName } from './state.ts';
import { testLog } from './test-log.ts';
import {
  formatAddCheckpointRequest,
  maxProofLines,
  maxRequestBytes,
  parseAddCheckpointRequest,
  sizeContentType,
  Witness,
} from './witness.ts';

const origin = 'example.com/clearpeg-log';
const witnessSkey = generateSignerKey('witness.example.com/w1', algorithmCosignatureV1);
const witnessVkey = cosignerVerifierKey(witnessSkey);
const now = 1_765_000_000n;
const log = testLog(origin);
/** A fork of `log` after its first 5 leaves, signed by the same key. */
const fork = testLog(origin, { prefix: 'fork', skey: log.skey, shared: 5 });

const root = mkdtempSync(join(tmpdir(), 'clearpeg-witness-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;

/** A witness on a fresh state directory (or on `dir`, to restart one). */
function newWitness(dir = join(root, `state-${dirCount++}`)) {
  const store = new DirectoryStateStore(dir);
  const witness = new Witness({ key: witnessSkey, logs: [log.vkey], store, now: () => now });
  return { witness, store, dir };
}

/** The checkpoint text of a note. */
const textOf = (note: string) => parseNote(note).text;

describe('Witness.addCheckpoint', () => {
  let witness: Witness;
  let store: DirectoryStateStore;
  beforeEach(() => {
    ({ witness, store } = newWitness());
  });

  /** Brings the witness to `size` of the honest log. */
  async function at(size: number) {
    const answer = await witness.addCheckpoint(await log.request(0, size));
    assert.equal(answer.status, 200, answer.body);
  }

  it('cosigns a first checkpoint (old 0); the cosignature verifies and the state is written', async () => {
    const answer = await witness.addCheckpoint(await log.request(0, 5));
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.body, /^— witness\.example\.com\/w1 \S+\n$/);
    const timestamp = verifyCosignature(textOf(await log.note(5)), answer.body, witnessVkey);
    assert.equal(timestamp, now);
    const state = await store.read(origin);
    assert.equal(state?.size, 5n);
    assert.equal(toBase64(state.root), toBase64(await log.root(5)));
    assert.equal(state.note, await log.note(5));
  });

  it('cosigns a consistent extension, and then the next one, and the same checkpoint again', async () => {
    await at(5);
    const extension = await witness.addCheckpoint(await log.request(5, 9));
    assert.equal(extension.status, 200, extension.body);
    verifyCosignature(textOf(await log.note(9)), extension.body, witnessVkey);
    const next = await witness.addCheckpoint(await log.request(9, 33));
    assert.equal(next.status, 200, next.body);
    verifyCosignature(textOf(await log.note(33)), next.body, witnessVkey);
    const again = await witness.addCheckpoint(await log.request(33, 33));
    assert.equal(again.status, 200, again.body);
    assert.equal((await store.read(origin))?.size, 33n);
  });

  it('answers 409 with its size (text/x.tlog.size) to a wrong old size, and changes nothing', async () => {
    await at(5);
    for (const [from, to] of [
      [0, 9],
      [4, 9],
      [6, 9],
    ] as const) {
      const answer = await witness.addCheckpoint(await log.request(from, to));
      assert.equal(answer.status, 409, `old ${from}: ${answer.body}`);
      assert.equal(answer.contentType, sizeContentType);
      assert.equal(answer.body, '5\n');
    }
    assert.equal((await store.read(origin))?.size, 5n);
    // A fresh witness answers 0 to a log that assumed it had cosigned already.
    const fresh = newWitness().witness;
    const answer = await fresh.addCheckpoint(await log.request(5, 9));
    assert.equal(answer.status, 409);
    assert.equal(answer.body, '0\n');
  });

  it('refuses a fork at the same size (409, not the size type) and keeps the evidence', async () => {
    const { witness, store, dir } = newWitness();
    assert.equal((await witness.addCheckpoint(await log.request(0, 9))).status, 200);
    const answer = await witness.addCheckpoint(await fork.request(9, 9));
    assert.equal(answer.status, 409, answer.body);
    assert.notEqual(answer.contentType, sizeContentType);
    assert.match(answer.body, /fork/);
    assert.doesNotMatch(answer.body, /—/);
    assert.equal(toBase64((await store.read(origin))!.root), toBase64(await log.root(9)));
    const evidence = readdirSync(join(dir, 'evidence'));
    assert.equal(evidence.length, 1);
  });

  it('refuses a fork at a larger size whose proof does not lead from its root (422), state unchanged', async () => {
    await at(9);
    // The fork's own proof from 9 to 12: its root at 9 is not the one the witness holds.
    const forked = await witness.addCheckpoint(await fork.request(9, 12));
    assert.equal(forked.status, 422, forked.body);
    assert.match(forked.body, /consistency proof from size 9 to 12 does not verify/);
    // The honest proof with the fork's checkpoint does not verify either.
    const mixed = formatAddCheckpointRequest({
      oldSize: 9n,
      proof: await log.proof(9, 12),
      checkpointNote: await fork.note(12),
    });
    assert.equal((await witness.addCheckpoint(mixed)).status, 422);
    // Nor does a proof of the wrong length or with a hash changed.
    const proof = await log.proof(9, 12);
    const flipped = proof.map((hash, i) =>
      i === 0 ? hash.map((b, j) => (j === 0 ? b ^ 1 : b)) : hash,
    );
    for (const bad of [proof.slice(1), [...proof, proof[0]!], flipped, []]) {
      const body = formatAddCheckpointRequest({
        oldSize: 9n,
        proof: bad,
        checkpointNote: await log.note(12),
      });
      assert.equal((await witness.addCheckpoint(body)).status, 422);
    }
    const state = (await store.read(origin))!;
    assert.equal(state.size, 9n);
    assert.equal(toBase64(state.root), toBase64(await log.root(9)));
    // The honest extension still goes through.
    assert.equal((await witness.addCheckpoint(await log.request(9, 12))).status, 200);
  });

  it('refuses a shrinking checkpoint: old above size (400), or old below its size (409)', async () => {
    await at(9);
    const above = await witness.addCheckpoint(
      formatAddCheckpointRequest({ oldSize: 9n, proof: [], checkpointNote: await log.note(5) }),
    );
    assert.equal(above.status, 400, above.body);
    assert.match(above.body, /old size 9 is above the checkpoint's size 5/);
    const stale = await witness.addCheckpoint(await log.request(5, 5));
    assert.equal(stale.status, 409);
    assert.equal(stale.body, '9\n');
    assert.equal((await store.read(origin))?.size, 9n);
  });

  it('answers 404 to an unknown origin', async () => {
    const other = testLog('example.com/other-log');
    const answer = await witness.addCheckpoint(await other.request(0, 3));
    assert.equal(answer.status, 404);
    assert.match(answer.body, /unknown log origin "example.com\/other-log"/);
    assert.equal(await store.read('example.com/other-log'), undefined);
  });

  it("answers 403 when the log's signature does not verify under the configured key", async () => {
    // Signed by another key of the same name: no signature by a known key.
    const impostor = testLog(origin);
    const unknownKey = await witness.addCheckpoint(await impostor.request(0, 3));
    assert.equal(unknownKey.status, 403, unknownKey.body);
    assert.match(unknownKey.body, /no signature by a known key/);
    // The right key's signature line over another text.
    const note = await log.note(3);
    const otherText = formatCheckpoint({ origin, size: 3n, root: await log.root(4) });
    const signature = note.slice(note.indexOf('\n\n') + 2);
    const tampered = await witness.addCheckpoint(`old 0\n\n${otherText}\n${signature}`);
    assert.equal(tampered.status, 403, tampered.body);
    assert.match(tampered.body, /invalid signature/);
    assert.equal(await store.read(origin), undefined);
  });

  it('answers 400 to malformed requests', async () => {
    const note = await log.note(5);
    const proof = `${toBase64(await log.root(1))}\n`;
    const bodies = {
      'no empty line': `old 0\n${note.replace('\n\n', '\n')}`,
      'no old line': `\n${note}`,
      'leading zero': `old 05\n\n${note}`,
      'negative old': `old -1\n\n${note}`,
      'old beyond 2^64': `old 18446744073709551616\n\n${note}`,
      'two spaces': `old  0\n\n${note}`,
      'bad base64': `old 1\nnot base64!\n\n${note}`,
      'short hash': `old 1\nAAAA\n\n${note}`,
      'too many proof lines': `old 1\n${proof.repeat(maxProofLines + 1)}\n${note}`,
      'no checkpoint': 'old 0\n\n',
      'not a checkpoint': 'old 0\n\nhello\n\n— x AAAAAAA=\n',
      'unsigned checkpoint': `old 0\n\n${textOf(note)}`,
      'too large': `old 0\n\n${note}${' '.repeat(maxRequestBytes)}`,
    };
    for (const [what, body] of Object.entries(bodies)) {
      const answer = await witness.addCheckpoint(body);
      assert.equal(answer.status, 400, `${what}: ${answer.status} ${answer.body}`);
    }
    const invalidUtf8 = new Uint8Array([...new TextEncoder().encode('old 0\n\n'), 0xff]);
    assert.equal((await witness.addCheckpoint(invalidUtf8)).status, 400);
    assert.equal(await store.read(origin), undefined);
  });

  it('answers 422 to a proof from old size 0, and to a size-0 checkpoint without the empty root', async () => {
    const withProof = formatAddCheckpointRequest({
      oldSize: 0n,
      proof: [await log.root(1)],
      checkpointNote: await log.note(5),
    });
    assert.equal((await witness.addCheckpoint(withProof)).status, 422);
    const badEmpty = signNote(formatCheckpoint({ origin, size: 0n, root: await log.root(1) }), [
      ed25519Signer(log.skey),
    ]);
    assert.equal((await witness.addCheckpoint(`old 0\n\n${badEmpty}`)).status, 422);
    assert.equal(await store.read(origin), undefined);
    const empty = signNote(formatCheckpoint({ origin, size: 0n, root: emptyRoot }), [
      ed25519Signer(log.skey),
    ]);
    assert.equal((await witness.addCheckpoint(`old 0\n\n${empty}`)).status, 200);
    assert.equal((await witness.addCheckpoint(await log.request(0, 4))).status, 200);
  });

  it('answers 500 and cosigns nothing when the state file is corrupt', async () => {
    const { witness, dir } = newWitness();
    writeFileSync(join(dir, stateFileName(origin)), '{"format":"clearpeg-witness-state/1"');
    const answer = await witness.addCheckpoint(await log.request(0, 5));
    assert.equal(answer.status, 500);
    assert.match(answer.body, /not JSON; refusing to guess/);
  });

  it('remembers after a restart (a new witness on the same directory)', async () => {
    const first = newWitness();
    assert.equal((await first.witness.addCheckpoint(await log.request(0, 7))).status, 200);
    const restarted = newWitness(first.dir).witness;
    const stale = await restarted.addCheckpoint(await log.request(0, 7));
    assert.equal(stale.status, 409);
    assert.equal(stale.body, '7\n');
    assert.equal((await restarted.addCheckpoint(await fork.request(7, 7))).status, 409);
    assert.equal((await restarted.addCheckpoint(await log.request(7, 10))).status, 200);
  });

  it('cosigns at most one of concurrent requests for diverging checkpoints', async () => {
    await at(5);
    // Each of these extends size 5 with a valid proof, and no two are consistent.
    const forks = Array.from({ length: 8 }, (_, i) =>
      testLog(origin, { prefix: `fork${i}`, skey: log.skey, shared: 5 }),
    );
    const bodies = await Promise.all(forks.map((f, i) => f.request(5, 9 + (i % 3))));
    const answers = await Promise.all(bodies.map((body) => witness.addCheckpoint(body)));
    const cosigned = answers.filter((a) => a.status === 200);
    assert.equal(cosigned.length, 1, answers.map((a) => `${a.status} ${a.body}`).join(''));
    for (const answer of answers) if (answer.status !== 200) assert.equal(answer.status, 409);
    // The state is the one cosigned checkpoint.
    const winner = answers.findIndex((a) => a.status === 200);
    const state = (await store.read(origin))!;
    assert.equal(state.note, await forks[winner]!.note(9 + (winner % 3)));
    verifyCosignature(textOf(state.note), cosigned[0]!.body, witnessVkey);
  });

  it('serializes per origin only: requests for two logs both succeed', async () => {
    const other = testLog('example.com/second-log');
    const store = new DirectoryStateStore(join(root, `state-${dirCount++}`));
    const two = new Witness({ key: witnessSkey, logs: [log.vkey, other.vkey], store });
    const answers = await Promise.all([
      two.addCheckpoint(await log.request(0, 3)),
      two.addCheckpoint(await other.request(0, 4)),
    ]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    );
    assert.deepEqual(two.origins, [origin, 'example.com/second-log']);
  });
});

describe('Witness configuration', () => {
  const store = new DirectoryStateStore(join(root, 'config'));
  it('refuses no logs, a log key of type 0x04, and a witness key of type 0x01', () => {
    assert.throws(() => new Witness({ key: witnessSkey, logs: [], store }), /at least one log/);
    assert.throws(
      () => new Witness({ key: witnessSkey, logs: [witnessVkey], store }),
      /Ed25519 \(type 0x01\)/,
    );
    assert.throws(
      () => new Witness({ key: log.skey, logs: [log.vkey], store }),
      /not cosignature\/v1/,
    );
  });
});

describe('the request body', () => {
  it('round-trips through format and parse', async () => {
    const request = {
      oldSize: 5n,
      proof: await log.proof(5, 9),
      checkpointNote: await log.note(9),
    };
    const parsed = parseAddCheckpointRequest(formatAddCheckpointRequest(request));
    assert.equal(parsed.oldSize, 5n);
    assert.deepEqual(parsed.proof.map(toBase64), request.proof.map(toBase64));
    assert.equal(parsed.checkpointNote, request.checkpointNote);
  });

  it("parses the spec's example request", () => {
    const body =
      'old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
    const parsed = parseAddCheckpointRequest(body);
    assert.equal(parsed.oldSize, 20852014n);
    assert.equal(parsed.proof.length, 4);
    assert.match(parsed.checkpointNote, /^example\.com\/behind-the-sofa\n20852163\n/);
  });
});
