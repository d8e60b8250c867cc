/**
 * `clearpeg liabilities prove|verify` through the real command functions: a balances CSV in,
 * root, tiles and leaf files out, each leaf verifying against the published root (and from the
 * tiles alone); a tampered leaf or proof step fails; a bad CSV line is refused with its number
 * and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sumProofFromTiles } from '../proofs/sumtiles.ts';
import { decodeSumProof, deriveSalt, verifySumProof } from '../proofs/sumtree.ts';
import { type Command, exitCode, UsageError } from './io.ts';
import { liabilitiesProve, liabilitiesVerify } from './liabilities.ts';
import { runCommand } from './testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'clearpeg-liabilities-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (command: Command, ...args: string[]) => runCommand(command, args);

/** 300 accounts: two tiles of leaves, so the tile reader has a full tile to check too. */
const balances = Array.from({ length: 300 }, (_, i) => ({
  account: i === 7 ? 'zoë@example.com' : `acct-${i}`,
  balance: i % 3 === 0 ? `${i}.${String(i).padStart(6, '0')}` : `${i * 10}`,
}));
const csv = `account,balance\r\n${balances.map((b) => `${b.account},${b.balance}`).join('\r\n')}\r\n`;
const micro = (text: string) => {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
};
const total = balances.reduce((sum, b) => sum + micro(b.balance), 0n);

describe('clearpeg liabilities prove, then verify', () => {
  const csvPath = join(dir, 'balances.csv');
  writeFileSync(csvPath, csv);
  const secretPath = join(dir, 'secret.hex');
  const secret = 'ab'.repeat(32);
  writeFileSync(secretPath, `${secret}\n`);
  const out = join(dir, 'proofs');
  let root = '';

  it('writes root.json, the tiles and one leaf file per account', async () => {
    const proved = await run(
      liabilitiesProve,
      csvPath,
      '--out',
      out,
      '--secret-file',
      secretPath,
      '--round',
      '2026-12',
      '--json',
    );
    assert.equal(proved.code, exitCode.ok, proved.err);
    const view = JSON.parse(proved.out);
    const rootFile = JSON.parse(readFileSync(join(out, 'root.json'), 'utf8'));
    assert.equal(rootFile.format, 'clearpeg-liabilities-root/1');
    assert.equal(rootFile.size, '300');
    assert.equal(rootFile.round, '2026-12');
    assert.equal(micro(rootFile.total), total);
    assert.equal(rootFile.root, view.root);
    root = rootFile.root;
    assert.deepEqual(readdirSync(join(out, 'leaves')).length, 300);
    assert.ok(existsSync(join(out, 'tile/0/000')) && existsSync(join(out, 'tile/0/001.p/44')));
    assert.ok(!existsSync(join(out, 'secret')), 'no secret written when one was given');
    const leaf = decodeSumProof(readFileSync(join(out, 'leaves/7.json'), 'utf8'));
    assert.equal(leaf.customerId, 'zoë@example.com');
    assert.equal(leaf.value, micro(balances[7]!.balance));
    assert.deepEqual(
      leaf.salt,
      deriveSalt(Buffer.from(secret, 'hex'), '2026-12', 'zoë@example.com'),
    );
  });

  it('verifies every leaf against the root and total, and from the tiles alone', async () => {
    for (const i of [0, 7, 255, 256, 299]) {
      const leafPath = join(out, 'leaves', `${i}.json`);
      const checked = await run(
        liabilitiesVerify,
        leafPath,
        '--root',
        root,
        '--total',
        (Number(total) / 1e6).toFixed(6),
      );
      assert.equal(checked.code, exitCode.ok, checked.out);
      assert.match(checked.out, /^valid: account ".*" with [0-9.]+ is counted in the total/);
      const leaf = decodeSumProof(readFileSync(leafPath, 'utf8'));
      const fromTiles = await sumProofFromTiles(
        (p) => Promise.resolve(new Uint8Array(readFileSync(join(out, p)))),
        300n,
        BigInt(i),
      );
      assert.equal(Buffer.from(fromTiles.root.hash).toString('hex'), root);
      assert.deepEqual(verifySumProof({ ...leaf, proof: fromTiles.proof, root: fromTiles.root }), {
        ok: true,
      });
    }
  });

  it('fails, naming why, on a tampered value, proof step, root or total', async () => {
    const original = JSON.parse(readFileSync(join(out, 'leaves/5.json'), 'utf8'));
    const tampered = (change: (leaf: typeof original) => void) => {
      const leaf = structuredClone(original);
      change(leaf);
      const path = join(dir, `tampered-${Math.random()}.json`);
      writeFileSync(path, JSON.stringify(leaf));
      return path;
    };
    const cases: [string, string[], RegExp][] = [
      [
        tampered((l) => {
          l.value = String(BigInt(l.value) + 1n);
        }),
        [],
        /root\.(hash|value)/,
      ],
      [
        tampered((l) => {
          l.proof[1].value = String(BigInt(l.proof[1].value) - 1n);
        }),
        [],
        /root\.(hash|value)/,
      ],
      [
        tampered((l) => {
          l.proof[0].hash = `${l.proof[0].hash.slice(0, -1)}${l.proof[0].hash.endsWith('0') ? '1' : '0'}`;
        }),
        [],
        /root\.hash: differs/,
      ],
      [
        tampered((l) => {
          l.proof[2].side = l.proof[2].side === 'left' ? 'right' : 'left';
        }),
        [],
        /proof\[2\]\.side/,
      ],
      [
        tampered((l) => {
          l.proof.pop();
        }),
        [],
        /proof: has \d+ steps/,
      ],
      [
        tampered((l) => {
          l.root.value = String(BigInt(l.root.value) + 1n);
        }),
        [],
        /root\.value: the proof sums to/,
      ],
      [tampered(() => {}), ['--total', '1.000000'], /total: the leaf file's root carries/],
      [
        tampered((l) => {
          l.salt = 'zz';
        }),
        [],
        /leaf file: salt: must be 64 lowercase hex digits/,
      ],
    ];
    for (const [path, extra, reason] of cases) {
      const checked = await run(liabilitiesVerify, path, '--root', root, ...extra);
      assert.equal(checked.code, exitCode.failed, `${reason}: ${checked.out}`);
      assert.match(checked.out, new RegExp(`^invalid: .*${reason.source}`));
    }
    const otherRoot = await run(
      liabilitiesVerify,
      join(out, 'leaves/5.json'),
      '--root',
      'ab'.repeat(32),
      '--json',
    );
    assert.equal(otherRoot.code, exitCode.failed);
    assert.deepEqual(JSON.parse(otherRoot.out), {
      valid: false,
      reason: 'root.hash: differs from the hash recomputed from the proof',
    });
  });

  it('refuses a wrong command line with a usage error, and an unreadable file with exit 2', async () => {
    await assert.rejects(run(liabilitiesVerify, join(out, 'leaves/5.json')), UsageError);
    await assert.rejects(
      run(liabilitiesVerify, join(out, 'leaves/5.json'), '--root', 'abc'),
      /--root: give 64 hex digits/,
    );
    await assert.rejects(
      run(liabilitiesVerify, join(out, 'leaves/5.json'), '--root', root, '--total=-1'),
      /--total: must not be negative/,
    );
    const missing = await run(liabilitiesVerify, join(dir, 'nope.json'), '--root', root);
    assert.equal(missing.code, exitCode.usage);
    await assert.rejects(run(liabilitiesProve, csvPath), /--out: give the directory to write/);
    await assert.rejects(
      run(liabilitiesProve, csvPath, '--out', out),
      /exists and is not an empty directory/,
    );
  });

  it('generates a secret into DIR when none is given, and writes the same tree for it', async () => {
    const fresh = join(dir, 'fresh');
    const proved = await run(liabilitiesProve, csvPath, '--out', fresh, '--round', '2026-12');
    assert.equal(proved.code, exitCode.ok, proved.err);
    const generated = readFileSync(join(fresh, 'secret'), 'utf8').trim();
    assert.match(generated, /^[0-9a-f]{64}$/);
    const again = join(dir, 'again');
    writeFileSync(join(dir, 'generated.hex'), generated);
    await run(
      liabilitiesProve,
      csvPath,
      '--out',
      again,
      '--round',
      '2026-12',
      '--secret-file',
      join(dir, 'generated.hex'),
    );
    assert.equal(
      readFileSync(join(again, 'root.json'), 'utf8'),
      readFileSync(join(fresh, 'root.json'), 'utf8'),
    );
  });
});

describe('clearpeg liabilities prove on bad input', () => {
  const cases: [string, RegExp][] = [
    ['account,amount\na,1\n', /bad\.csv:1: the header must be "account,balance"/],
    ['account,balance\n', /bad\.csv: no accounts after the header/],
    ['account,balance\na,1\nb,-2\n', /bad\.csv:3: balance: must not be negative \(got "-2"\)/],
    ['account,balance\na,1\nb,1.1234567\n', /bad\.csv:3: balance: must be a plain decimal/],
    ['account,balance\na,1\nb,1e3\n', /bad\.csv:3: balance: must be a plain decimal/],
    ['account,balance\na,1\nb, 2\n', /bad\.csv:3: balance: must be a plain decimal/],
    ['account,balance\na,1\nb,2\na,3\n', /bad\.csv:4: account: "a" is a duplicate of line 2/],
    ['account,balance\na,1\nb,2,3\n', /bad\.csv:3: must be two fields/],
    ['account,balance\na,1\n\n', /bad\.csv:3: must be two fields/],
    ['account,balance\na,1\n,2\n', /bad\.csv:3: account: must be a non-empty string/],
    ['account,balance\na,1\n"b",2\n', /bad\.csv:3: account: must not hold a quote/],
    ['account,balance\na,1\ne\u0301,2\n', /bad\.csv:3: account: must be in Unicode NFC/],
    [
      `account,balance\na,1\n${'x'.repeat(257)},2\n`,
      /bad\.csv:3: account: must be at most 256 bytes/,
    ],
    [
      `account,balance\na,${(2n ** 128n - 1n) / 1_000_000n}\nb,${(2n ** 128n - 1n) / 1_000_000n}\n`,
      /bad\.csv: the balances do not fit: .*overflows u128/,
    ],
  ];

  it('refuses each bad line, naming the line and field, and writes nothing', async () => {
    for (const [text, message] of cases) {
      const bad = mkdtempSync(join(dir, 'bad-'));
      writeFileSync(join(bad, 'bad.csv'), text);
      const result = await run(liabilitiesProve, join(bad, 'bad.csv'), '--out', join(bad, 'out'));
      assert.equal(result.code, exitCode.failed, `${message}: ${result.err}`);
      assert.match(result.err, message);
      assert.deepEqual(readdirSync(bad), ['bad.csv'], 'nothing written beside the CSV');
    }
  });

  it('refuses a file that is not UTF-8, and one that cannot be read', async () => {
    writeFileSync(join(dir, 'latin1.csv'), Buffer.from('account,balance\nzo\xeb,1\n', 'latin1'));
    const latin = await run(liabilitiesProve, join(dir, 'latin1.csv'), '--out', join(dir, 'l'));
    assert.equal(latin.code, exitCode.failed);
    assert.match(latin.err, /latin1\.csv: is not UTF-8/);
    const missing = await run(liabilitiesProve, join(dir, 'missing.csv'), '--out', join(dir, 'm'));
    assert.equal(missing.code, exitCode.usage);
    assert.match(missing.err, /missing\.csv: cannot read it/);
  });
});
