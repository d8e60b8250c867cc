/**
 * The holder's verifier against a real published log: an issuer (PGlite) runs attestation
 * cycles (src/attest/cycle.ts) with a witness, the published directory is served on 127.0.0.1
 * by a tiny static server, and `runVerify` (and `clearpeg verify`) read it over HTTP. Every
 * tampering is one changed byte in one published file, restored afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Attestor } from '../attest/cycle.ts';
import { type LogIdentity, liabilitiesSecret, logIdentity } from '../attest/keys.ts';
import { TransparencyLog } from '../attest/log.ts';
import { LogPublisher } from '../attest/publish.ts';
import { leafFormat, leafOf } from '../attest/rounds.ts';
import { main } from '../cli/main.ts';
import { createCustomer } from '../issuance/customers.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { parseAmount } from '../money/money.ts';
import { formatCheckpoint } from '../proofs/checkpoint.ts';
import { cosign, cosignerVerifierKey } from '../proofs/cosignature.ts';
import {
  algorithmCosignatureV1,
  ed25519Signer,
  generateSignerKey,
  signerVerifierKey,
  signNote,
} from '../proofs/note.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import { buyBill } from '../treasury/book.ts';
import { recordStatement, setCustodianKey } from '../treasury/positions.ts';
import { depositAndLongBill } from '../treasury/testing.ts';
import { startWitnessServer, type WitnessServer } from '../witness/server.ts';
import { DirectoryStateStore } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';
import type { CheckName, VerifyReport } from './checks.ts';
import { leafFileFormat } from './leaf.ts';
import { type RunOptions, runVerify } from './node.ts';

const custodian = 'Bank of New York Mellon';

interface World {
  f: IssuanceFixture;
  dir: string;
  identity: LogIdentity;
  attestor: Attestor;
  witnessKey: string;
  witnessVkey: string;
  url: string;
  statementSha: string;
  close(): Promise<void>;
}

/** A static server of `<root>/log/` on 127.0.0.1. */
async function serveDirectory(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    if (!path.startsWith('/log/') || path.includes('..')) {
      response.writeHead(404).end();
      return;
    }
    readFile(join(root, path)).then(
      (bytes) => response.writeHead(200).end(bytes),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** An issuer with a customer's deposit, a bill evidenced by a signed custodian statement, and its log. */
async function world(): Promise<World> {
  const f = await issuanceFixture();
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-verifier-'));
  const identity = logIdentity(dir, {});
  const log = new TransparencyLog(f.t.db, identity, f.ctx.clockUs);
  const publisher = new LogPublisher(join(dir, 'public'), identity.vkey);
  const witnessKey = generateSignerKey('witness.test/w1', algorithmCosignatureV1);
  const witness = new Witness({
    key: witnessKey,
    logs: [identity.vkey],
    store: new DirectoryStateStore(join(dir, 'witness')),
  });
  const witnessServer: WitnessServer = await startWitnessServer(witness);
  await publisher.publishWitnesses([{ vkey: witness.verifierKey, url: witnessServer.url }], 1);
  const attestor = new Attestor({
    ctx: f.ctx,
    log,
    publisher,
    chains: [],
    ruleset: loadRuleset('genius'),
    master: liabilitiesSecret(dir),
    witnesses: [{ vkey: witness.verifierKey, url: witnessServer.url }],
    quorum: 1,
  });
  const treasurer = f.operator('treasurer');
  const seed = randomBytes(32);
  await setCustodianKey(
    f.ctx,
    f.operator('admin'),
    custodian,
    bytesToHex(ed25519.getPublicKey(seed)),
  );
  const statement = new TextEncoder().encode(
    'BNY Mellon custody statement 2026-11-20: 912797HR1 face 6,000,000.00 held for Clearpeg\n',
  );
  const evidence = await recordStatement(f.ctx, treasurer, {
    custodian,
    bytes: statement,
    signature: bytesToHex(ed25519.sign(statement, seed)),
  });
  await createCustomer(f.ctx, f.operator('compliance'), { id: 'CUST-0001', name: 'Acme' });
  await depositAndLongBill(f, treasurer, { custodian, statement: evidence.statementSha256 });
  // A second lot, evidenced by a statement its sub-custodian signed with a key of its own.
  const subSeed = randomBytes(32);
  await setCustodianKey(
    f.ctx,
    f.operator('admin'),
    'bny-sub-custody',
    bytesToHex(ed25519.getPublicKey(subSeed)),
  );
  const subStatement = new TextEncoder().encode(
    'sub-custody statement: 912797HR1 face 1,000,000\n',
  );
  const subEvidence = await recordStatement(f.ctx, treasurer, {
    custodian: 'bny-sub-custody',
    bytes: subStatement,
    signature: bytesToHex(ed25519.sign(subStatement, subSeed)),
  });
  await buyBill(f.ctx, treasurer, {
    reference: 'T-90',
    cusip: '912797HR1',
    face: parseAmount('1000000'),
    issueDate: '2026-11-20',
    maturityDate: '2027-02-18',
    tradeDate: '2026-11-20',
    settlementDate: '2026-11-20',
    bank: 'bank-a',
    cost: parseAmount('990000'),
    custodian,
    jurisdiction: 'US',
    statement: subEvidence.statementSha256,
  });
  const { url, server } = await serveDirectory(join(dir, 'public'));
  return {
    f,
    dir,
    identity,
    attestor,
    witnessKey,
    witnessVkey: witness.verifierKey,
    url,
    statementSha: evidence.statementSha256,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await witnessServer.close();
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const status = (report: VerifyReport) =>
  Object.fromEntries(report.checks.map((c) => [c.name, c.status])) as Record<CheckName, string>;
const check = (report: VerifyReport, name: CheckName) =>
  report.checks.find((c) => c.name === name)!;

describe('clearpeg verify on a real published log', () => {
  let w: World;
  let state: string;
  const published = (path: string) => join(w.dir, 'public', 'log', path);
  const firstNote: string[] = [];
  const run = (options: Partial<RunOptions> = {}) =>
    runVerify({
      url: w.url,
      trust: { witnesses: [], trustOnFirstUse: true },
      stateDir: state,
      ...options,
    });
  const pinned = () => ({
    key: w.identity.vkey,
    witnesses: [w.witnessVkey],
    quorum: 1,
    trustOnFirstUse: false,
  });

  /** Runs `body` with a published file's bytes replaced by `content`, then restores them. */
  async function replaced(path: string, content: Uint8Array | string, body: () => Promise<void>) {
    const original = readFileSync(published(path));
    assert.notDeepEqual(Buffer.from(content), original);
    writeFileSync(published(path), content);
    try {
      await body();
    } finally {
      writeFileSync(published(path), original);
    }
  }

  /** Runs `body` with one byte of a published file changed by `change`, then restores it. */
  function tampered(path: string, change: (bytes: Buffer) => void, body: () => Promise<void>) {
    const bytes = Buffer.from(readFileSync(published(path)));
    change(bytes);
    return replaced(path, bytes, body);
  }

  before(async () => {
    w = await world();
    state = mkdtempSync(join(tmpdir(), 'clearpeg-verify-state-'));
    await w.attestor.runOnce();
    firstNote.push(readFileSync(published('checkpoint'), 'utf8'));
  });
  after(async () => {
    await w.close();
    rmSync(state, { recursive: true, force: true });
  });

  it('publishes the custodian statement it attests (the bytes recorded with it)', () => {
    const bytes = readFileSync(published(`statements/${w.statementSha}`));
    assert.equal(bytesToHex(sha256(bytes)), w.statementSha);
  });

  it('passes on first use, pinning the log key and the witness policy', async () => {
    const { report, stored, notes } = await run();
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 1));
    assert.deepEqual(status(report), {
      'checkpoint-signature': 'pass',
      witnesses: 'pass',
      consistency: 'pass',
      tiles: 'pass',
      inclusion: 'pass',
      attestation: 'pass',
      bills: 'pass',
      custodians: 'pass',
      chain: 'skip',
      leaf: 'skip',
    });
    assert.equal(stored, true);
    assert.match(notes.join('\n'), /log key .* pinned on first use/);
    assert.match(check(report, 'witnesses').detail, /1 of 1 pinned witnesses cosigned/);
    // Each statement is stated with the key of the custodian that signed it.
    assert.match(check(report, 'custodians').detail, /^2 statement\(s\) match .* 2 signed/);
    assert.match(check(report, 'bills').detail, /rate observed 20\d\d-\d\d-\d\d/);
    assert.match(check(report, 'bills').lines!.join(), /912797HR1.*repriced \d+\.\d{6}/);
    assert.match(check(report, 'attestation').detail, /coverage \d+\.\d{6}/);
  });

  it('passes again after another attestation, proving it extends the checkpoint seen', async () => {
    await createCustomer(w.f.ctx, w.f.operator('compliance'), { id: 'CUST-0002', name: 'Beta' });
    await recordDeposit(w.f.ctx, w.f.operator('treasurer'), {
      reference: 'WIRE-2',
      bank: 'bank-a',
      amount: parseAmount('250'),
      customerId: 'CUST-0002',
      bookingDate: '2026-11-21',
    });
    await w.attestor.runOnce();
    const { report, stored } = await run();
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 1));
    assert.match(check(report, 'consistency').detail, /extends the checkpoint seen before: 1 → 2/);
    assert.match(check(report, 'attestation').detail, /in 2 accounts, round 1/);
    assert.equal(stored, true);
  });

  it('fails on one changed byte in the checkpoint, naming it', async () => {
    const note = readFileSync(published('checkpoint'), 'utf8');
    const root = note.split('\n')[2]!;
    await tampered(
      'checkpoint',
      (b) => b.write(root[0] === 'A' ? 'B' : 'A', note.indexOf(root)),
      async () => {
        const { report, stored } = await run();
        assert.equal(report.ok, false);
        assert.equal(stored, false);
        assert.equal(check(report, 'checkpoint-signature').status, 'fail');
        assert.match(
          check(report, 'checkpoint-signature').detail,
          /log\/checkpoint: invalid signature/,
        );
        assert.equal(check(report, 'inclusion').status, 'skip');
      },
    );
  });

  it('fails on one changed byte in a hash tile, naming the tile', async () => {
    await tampered(
      'tile/0/000.p/2',
      (b) => {
        b[5] = b[5]! ^ 1;
      },
      async () => {
        const { report } = await run();
        assert.equal(report.ok, false);
        assert.equal(check(report, 'tiles').status, 'fail');
        assert.match(check(report, 'tiles').detail, /tile\/0\/000\.p\/2/);
      },
    );
  });

  it('fails on one changed byte in the entry bundle (the attestation), naming the bundle', async () => {
    await tampered(
      'tile/entries/000.p/2',
      (b) => {
        // A digit of the last attestation's asOf: still a well-formed attestation.
        const at = b.lastIndexOf('"asOf":"') + '"asOf":"2026-12-06T20:15:2'.length;
        b[at] = 0x30 + ((b[at]! - 0x30 + 1) % 10);
      },
      async () => {
        const { report } = await run();
        assert.equal(report.ok, false);
        assert.match(
          check(report, 'tiles').detail,
          /tile\/entries\/000\.p\/2: entry 1 does not hash/,
        );
        assert.equal(check(report, 'inclusion').status, 'fail');
      },
    );
  });

  it('fails on one changed byte in a sum tile, naming the round and the tiles', async () => {
    await tampered(
      'liabilities/1/tile/0/000.p/2',
      (b) => {
        b[b.length - 1] = b[b.length - 1]! ^ 1;
      },
      async () => {
        const { report } = await run();
        assert.equal(report.ok, false);
        assert.equal(check(report, 'attestation').status, 'fail');
        assert.match(
          check(report, 'attestation').detail,
          /the sum tiles of round 1 \(liabilities\/1\/tile\/0\/000\.p\/2\) give root/,
        );
      },
    );
  });

  it('fails on one changed byte in a custodian statement, naming it', async () => {
    await tampered(
      `statements/${w.statementSha}`,
      (b) => {
        b[0] = b[0]! ^ 1;
      },
      async () => {
        const { report } = await run();
        assert.equal(report.ok, false);
        assert.equal(check(report, 'custodians').status, 'fail');
        assert.match(
          check(report, 'custodians').detail,
          new RegExp(`log/statements/${w.statementSha}: its SHA-256 is`),
        );
      },
    );
  });

  it('shows a split view, both checkpoints, when the tree shrinks', async () => {
    const current = readFileSync(published('checkpoint'), 'utf8');
    await replaced('checkpoint', firstNote[0]!, async () => {
      const { report, stored } = await run();
      assert.equal(report.ok, false);
      assert.equal(stored, false);
      const consistency = check(report, 'consistency');
      assert.match(consistency.detail, /split view: the tree shrank from 2 to 1/);
      assert.deepEqual(consistency.splitView, { seen: current, fetched: firstNote[0] });
      assert.ok(consistency.lines!.join('\n').includes(current.trimEnd()));
      assert.ok(consistency.lines!.join('\n').includes(firstNote[0]!.trimEnd()));
    });
  });

  it('shows a split view for the same size with another root, even cosigned by the witness', async () => {
    const current = readFileSync(published('checkpoint'), 'utf8');
    const text = formatCheckpoint({
      origin: w.identity.origin,
      size: 2n,
      root: new Uint8Array(32).fill(7),
    });
    const forged =
      signNote(text, [ed25519Signer(w.identity.signerKey)]) +
      cosign(text, w.witnessKey, BigInt(Math.floor(Date.now() / 1000)));
    await replaced('checkpoint', forged, async () => {
      const { report } = await run();
      assert.equal(check(report, 'checkpoint-signature').status, 'pass');
      assert.equal(check(report, 'witnesses').status, 'pass', 'a colluding witness');
      const consistency = check(report, 'consistency');
      assert.equal(consistency.status, 'fail');
      assert.match(consistency.detail, /split view: two roots for size 2/);
      assert.deepEqual(consistency.splitView, { seen: current, fetched: forged });
      assert.equal(check(report, 'tiles').status, 'fail', 'the tiles are of the other tree');
    });
  });

  it('fails a checkpoint short of the witness policy', async () => {
    const other = cosignerVerifierKey(generateSignerKey('witness.test/w2', algorithmCosignatureV1));
    const { report } = await run({
      trust: { ...pinned(), witnesses: [w.witnessVkey, other], quorum: 2 },
    });
    assert.equal(report.ok, false);
    assert.equal(check(report, 'witnesses').status, 'fail');
    assert.match(check(report, 'witnesses').detail, /1 of 2 pinned witnesses cosigned .* needs 2/);
    const note = readFileSync(published('checkpoint'), 'utf8');
    const uncosigned = note.split('\n').filter((line) => !line.startsWith('— witness.test/'));
    await replaced('checkpoint', uncosigned.join('\n'), async () => {
      const { report } = await run();
      assert.equal(check(report, 'checkpoint-signature').status, 'pass');
      assert.match(check(report, 'witnesses').detail, /0 of 1 pinned witnesses cosigned/);
      assert.equal(report.ok, false);
    });
  });

  it('fails a log that names no witness on first use, unless --quorum 0 accepts it', async () => {
    await replaced('witnesses', 'quorum 0\n', async () => {
      const fresh = mkdtempSync(join(tmpdir(), 'clearpeg-verify-state-'));
      try {
        const { report } = await run({ stateDir: fresh });
        assert.equal(check(report, 'witnesses').status, 'fail');
        assert.match(check(report, 'witnesses').detail, /the log names no witness/);
        const accepted = await run({
          stateDir: fresh,
          trust: { witnesses: [], quorum: 0, trustOnFirstUse: true },
        });
        assert.equal(check(accepted.report, 'witnesses').status, 'skip');
        assert.equal(accepted.report.ok, true);
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    });
  });

  it('fails under a wrong pinned key, and refuses a log key changed after first use', async () => {
    const wrong = signerVerifierKey(generateSignerKey(w.identity.origin));
    const { report } = await run({ trust: { ...pinned(), key: wrong } });
    assert.equal(check(report, 'checkpoint-signature').status, 'fail');
    assert.match(check(report, 'checkpoint-signature').detail, /no signature by a known key/);
    await replaced('vkey', `${wrong}\n`, async () => {
      const { report } = await run();
      assert.equal(report.ok, false);
      assert.match(
        check(report, 'checkpoint-signature').detail,
        /now publishes key .* pinned on first use .* refused/,
      );
    });
  });

  it("verifies a customer's leaf from the sum tiles, and fails one with a changed value", async () => {
    assert.equal(leafFileFormat, leafFormat);
    const master = liabilitiesSecret(w.dir);
    const leaf = await leafOf(w.f.t.db, 'CUST-0001', master, w.identity.origin);
    const text = JSON.stringify(leaf);
    const { report } = await run({ trust: pinned(), leaf: text });
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 1));
    assert.match(
      check(report, 'leaf').detail,
      /CUST-0001's 10000000\.000000 is counted in round 1 \(leaf 0 of 2.*the latest attestation’s round/,
    );
    const changed = JSON.stringify({ ...leaf, value: '10000001.000000' });
    const bad = await run({ trust: pinned(), leaf: changed });
    assert.equal(bad.report.ok, false);
    assert.equal(check(bad.report, 'leaf').status, 'fail');
    assert.match(check(bad.report, 'leaf').detail, /CUST-0001 with 10000001\.000000: root\.hash/);
  });

  it('verifies a leaf of an older round against the attestation that built it', async () => {
    // Round 0 was built by attestation 0; its tiles stay published.
    const master = liabilitiesSecret(w.dir);
    const current = await leafOf(w.f.t.db, 'CUST-0001', master, w.identity.origin);
    const { hmac } = await import('@noble/hashes/hmac.js');
    const { deriveSalt } = await import('../proofs/sumtree.ts');
    const secret = hmac(sha256, master, new TextEncoder().encode('clearpeg-round-secret/1\n0'));
    const old = {
      ...current,
      round: '0',
      index: '0',
      size: '1',
      salt: bytesToHex(deriveSalt(secret, '0', 'CUST-0001')),
    };
    const { report } = await run({ trust: pinned(), leaf: JSON.stringify(old) });
    assert.equal(check(report, 'leaf').status, 'pass', check(report, 'leaf').detail);
    assert.match(check(report, 'leaf').detail, /round 0 .*the latest attestation states round 1/);
  });

  it('runs as `clearpeg verify`: exit 0 and JSON, 1 on a failure, 2 on a usage error', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const fresh = mkdtempSync(join(tmpdir(), 'clearpeg-verify-cli-'));
    try {
      const args = ['verify', w.url, '--trust-on-first-use', '--state', fresh];
      assert.equal(await main([...args, '--json'], io), 0, err.join('\n'));
      const json = JSON.parse(out.pop()!);
      assert.equal(json.ok, true);
      assert.equal(json.stored, true);
      assert.equal(json.checks.length, 10);
      assert.equal(await main(args, io), 0);
      assert.match(out.join('\n'), /^PASS consistency +the same tree as seen before \(size 2\)$/m);
      assert.match(out.join('\n'), /^SKIP chain +no --rpc given$/m);
      assert.ok(existsSync(join(fresh, 'pins')));
      out.length = 0;
      const wrong = signerVerifierKey(generateSignerKey(w.identity.origin));
      const failed = [...args, '--key', wrong];
      assert.equal(await main(failed, io), 1);
      assert.match(out.join('\n'), /^FAIL checkpoint-signature/m);
      assert.match(out.join('\n'), /NOT verified: checkpoint-signature failed/);
      assert.equal(await main(['verify', w.url, '--state', fresh], io), 2);
      assert.match(err.join('\n'), /--key VKEY, or --trust-on-first-use/);
      assert.equal(await main(['verify', 'ftp://x', '--trust-on-first-use'], io), 2);
      for (const name of readdirSync(join(fresh, 'logs')))
        writeFileSync(join(fresh, 'logs', name), '{"logKey":"another"}');
      assert.equal(await main(args, io), 1);
      assert.match(err.join('\n'), /logs\/[0-9a-f]{64}\.json: not a state file of this verifier/);
      assert.equal(
        await main(
          ['verify', w.url, '--witness', w.witnessVkey, '--quorum', '2', '--key', w.identity.vkey],
          io,
        ),
        2,
      );
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
