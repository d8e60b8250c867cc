/**
 * Trust on first use and pinning: what is taken from the log the first time, what is refused
 * later, and the witnesses file's form. The log is a map of published files (a `Fetcher` over
 * memory, as a static directory is one over disk).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosignerVerifierKey } from '../proofs/cosignature.ts';
import { algorithmCosignatureV1, generateSignerKey, signerVerifierKey } from '../proofs/note.ts';
import { type Pin, parseWitnessesFile, resolvePolicy } from './policy.ts';
import type { Fetcher } from './tree.ts';

const logKey = signerVerifierKey(generateSignerKey('clearpeg.test/log'));
const otherKey = signerVerifierKey(generateSignerKey('clearpeg.test/log'));
const w1 = cosignerVerifierKey(generateSignerKey('w1.test', algorithmCosignatureV1));
const w2 = cosignerVerifierKey(generateSignerKey('w2.test', algorithmCosignatureV1));

function files(entries: Record<string, string>): Fetcher {
  return async (path) =>
    entries[path] === undefined ? null : new TextEncoder().encode(entries[path]);
}

const published = files({
  vkey: `${logKey}\n`,
  witnesses: `witness ${w1} http://127.0.0.1:7380\nwitness ${w2} http://127.0.0.1:7381\nquorum 2\n`,
});
const tofu = { witnesses: [], trustOnFirstUse: true };
const now = '2026-12-06T00:00:00.000Z';

describe('the witnesses file', () => {
  it('reads witnesses and the quorum, and refuses anything else naming the line', () => {
    const parsed = parseWitnessesFile(`witness ${w1} http://a\nquorum 1\n`);
    assert.deepEqual(parsed, { witnesses: [{ vkey: w1, url: 'http://a' }], quorum: 1 });
    assert.equal(parseWitnessesFile('quorum 0\n').quorum, 0);
    assert.throws(() => parseWitnessesFile(`witness ${w1} http://a\n`), /must end with "quorum/);
    assert.throws(() => parseWitnessesFile('quorum 2\n'), /k at most 0/);
    assert.throws(() => parseWitnessesFile('hello\nquorum 0\n'), /line 1: must be/);
    assert.throws(
      () => parseWitnessesFile(`witness ${logKey} http://a\nquorum 1\n`),
      /cosignature/,
    );
  });
});

describe('resolvePolicy', () => {
  it('pins the published key and witness policy on first use', async () => {
    const resolved = await resolvePolicy(published, 'http://x', tofu, undefined, now);
    assert.ok(resolved.ok);
    assert.deepEqual(resolved.policy, {
      logKey,
      witnesses: [w1, w2],
      quorum: 2,
      witnessesFromLog: true,
    });
    assert.deepEqual(resolved.pin, {
      url: 'http://x',
      pinnedAt: now,
      logKey,
      witnesses: { keys: [w1, w2], quorum: 2 },
    });
    assert.equal(resolved.notes.length, 2);
  });

  it('keeps the pins: a changed key is refused, a changed witness policy ignored', async () => {
    const pin: Pin = {
      url: 'http://x',
      pinnedAt: now,
      logKey,
      witnesses: { keys: [w1], quorum: 1 },
    };
    const changed = files({ vkey: otherKey, witnesses: `witness ${w2} http://b\nquorum 1\n` });
    const refused = await resolvePolicy(changed, 'http://x', tofu, pin, 'later');
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.reason : '', /now publishes key .* pinned on first use/);
    const moved = files({ vkey: logKey, witnesses: `witness ${w2} http://b\nquorum 1\n` });
    const kept = await resolvePolicy(moved, 'http://x', tofu, pin, 'later');
    assert.ok(kept.ok);
    assert.deepEqual(kept.policy.witnesses, [w1]);
    assert.deepEqual(kept.pin, pin, 'nothing new pinned');
    assert.deepEqual(kept.notes, []);
  });

  it('takes --key and --witness over anything published, and pins nothing without trust on first use', async () => {
    const given = { key: otherKey, witnesses: [w2], quorum: 1, trustOnFirstUse: false };
    const resolved = await resolvePolicy(published, 'http://x', given, undefined, now);
    assert.ok(resolved.ok);
    assert.deepEqual(resolved.policy, { logKey: otherKey, witnesses: [w2], quorum: 1 });
    assert.equal(resolved.pin, undefined);
    const partly = await resolvePolicy(
      published,
      'http://x',
      { key: otherKey, witnesses: [], trustOnFirstUse: true },
      undefined,
      now,
    );
    assert.ok(partly.ok);
    assert.deepEqual(partly.pin?.witnesses, { keys: [w1, w2], quorum: 2 });
    assert.equal(partly.pin?.logKey, undefined, '--key is not pinned');
  });

  it('says what is missing: a key, a vkey file, a witnesses file', async () => {
    const none = { witnesses: [], trustOnFirstUse: false };
    const a = await resolvePolicy(published, 'u', none, undefined, now);
    assert.match(!a.ok ? a.reason : '', /--key, or --trust-on-first-use/);
    const b = await resolvePolicy(files({}), 'u', tofu, undefined, now);
    assert.match(!b.ok ? b.reason : '', /log\/vkey is not published/);
    const c = await resolvePolicy(files({ vkey: logKey }), 'u', tofu, undefined, now);
    assert.match(!c.ok ? c.reason : '', /log\/witnesses is not published/);
    const d = await resolvePolicy(files({ vkey: w1 }), 'u', tofu, undefined, now);
    assert.match(!d.ok ? d.reason : '', /not an Ed25519/);
  });
});
