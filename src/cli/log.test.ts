/**
 * `clearpeg log check-inclusion|check-consistency` against a suite nobody on the project wrote:
 * the 196 RFC 6962 / RFC 9162 proof probes of transparency-dev/merkle (`testdata/`, commit
 * 417fb0c314750d94e53942e9f92e79b6d35915db), kept outside the repository in
 * `../shared/data/merkle-probes/` (or `$CLEARPEG_SHARED/data/merkle-probes/`) and read in
 * place, never copied. Every probe goes through the command; its accept or reject must be what
 * the probe's `wantErr` says, but for one documented divergence. Then the file reader's own rules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from './io.ts';
import { exitCode, UsageError } from './io.ts';
import { logCheckConsistency, logCheckInclusion, quoteIntegers } from './log.ts';
import { runCommand } from './testing.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repoRoot, 'bin', 'clearpeg.js');

/** Where the probes are: beside the repository, or under $CLEARPEG_SHARED. */
const probesDir = [
  resolve(repoRoot, '..', 'shared', 'data', 'merkle-probes'),
  ...(process.env.CLEARPEG_SHARED
    ? [resolve(process.env.CLEARPEG_SHARED, 'data', 'merkle-probes')]
    : []),
].find((dir) => existsSync(dir));

/**
 * The probe where we knowingly answer otherwise than upstream: sizes 1 → 1, equal 12-byte roots,
 * an empty proof. transparency-dev/merkle returns early on equal sizes without looking at the
 * hashes' length and accepts it; we require 32-byte hashes everywhere, so we reject it.
 */
const divergences: Readonly<Record<string, RegExp>> = {
  'consistency/additional/sizes-are-equal-one-and-proof-is-empty.json':
    /^root1 is 12 bytes, not 32$/,
};

const run = (command: Command, ...args: string[]) => runCommand(command, args);

const commandFor = (probe: string) =>
  probe.startsWith('inclusion/') ? logCheckInclusion : logCheckConsistency;

describe(
  "transparency-dev/merkle's proof probes",
  probesDir === undefined
    ? {
        skip: `no probes: neither ../shared/data/merkle-probes beside the repository nor $CLEARPEG_SHARED/data/merkle-probes exists`,
      }
    : {},
  () => {
    const dir = probesDir!;
    const probes = (readdirSync(dir, { recursive: true }) as string[])
      .map((path) => path.split('\\').join('/'))
      .filter((path) => /^(inclusion|consistency)\/.*\.json$/.test(path))
      .sort();

    it('are all there: 98 inclusion and 98 consistency probes', () => {
      assert.equal(probes.filter((p) => p.startsWith('inclusion/')).length, 98);
      assert.equal(probes.filter((p) => p.startsWith('consistency/')).length, 98);
    });

    it('are each accepted or rejected as wantErr says (but for the documented divergence)', async () => {
      const wrong: string[] = [];
      let accepted = 0;
      for (const probe of probes) {
        const path = join(dir, probe);
        const { wantErr } = JSON.parse(readFileSync(path, 'utf8')) as { wantErr: boolean };
        const { code, out, err } = await run(commandFor(probe), path, '--json');
        const verdict = JSON.parse(out || 'null') as {
          valid: boolean;
          reason: string | null;
        } | null;
        const divergence = divergences[probe];
        if (divergence !== undefined) {
          assert.equal(wantErr, false, `${probe}: upstream accepts it`);
          assert.equal(code, exitCode.failed, `${probe}: ${out}${err}`);
          assert.match(verdict?.reason ?? '', divergence, probe);
          continue;
        }
        const want = wantErr ? exitCode.failed : exitCode.ok;
        if (code !== want || verdict?.valid !== !wantErr)
          wrong.push(`${probe}: wantErr ${wantErr}, exit ${code}: ${out}${err}`);
        if (code === exitCode.ok) accepted++;
      }
      assert.deepEqual(wrong, []);
      // 12 valid probes upstream, less the divergence.
      assert.equal(accepted, 11);
    });

    it('exit 0, 1 and 2 from the shell too', () => {
      const shell = (...args: string[]) =>
        spawnSync(process.execPath, [bin, 'log', ...args], {
          encoding: 'utf8',
          env: { ...process.env, CLEARPEG_FROM_SOURCES: '1' },
        });
      const valid = shell('check-consistency', join(dir, 'consistency/2/happy-path.json'));
      assert.equal(valid.status, 0, valid.stderr);
      assert.match(
        valid.stdout,
        /^valid: the tree of size 6 with root [0-9a-f]{64} is a prefix of the tree of size 8/,
      );
      const huge = shell('check-inclusion', join(dir, 'inclusion/0/leafIdx-sub-@1.json'), '--json');
      assert.equal(huge.status, 1, huge.stderr);
      assert.equal(
        huge.stdout.trim(),
        '{"valid":false,"reason":"index 18446744073709551615 is not below size 1"}',
      );
      const missing = shell('check-inclusion', join(dir, 'no-such-probe.json'));
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /no-such-probe\.json: cannot read it/);
    });
  },
);

describe('the proof file reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (text: string) => {
    const path = join(dir, `proof-${n++}.json`);
    writeFileSync(path, text);
    return path;
  };
  // The reference tree of transparency-dev/merkle (testonly/constants.go): leaf 0 ("") alone.
  const leaf0 = 'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=';

  it('keeps every digit of a 2^64 − 1 integer, and touches no text inside a string', () => {
    assert.equal(
      quoteIntegers('{"leafIdx": 18446744073709551615, "treeSize":1}'),
      '{"leafIdx": "18446744073709551615", "treeSize":"1"}',
    );
    const tricky = '{"desc": "\\"leafIdx\\": 5, \\"size1\\": 7", "size2" : 9, "other": 3}';
    assert.equal(
      quoteIntegers(tricky),
      '{"desc": "\\"leafIdx\\": 5, \\"size1\\": 7", "size2" : "9", "other": 3}',
    );
  });

  it('checks a proof written by hand, with a null proof and decimal strings', async () => {
    const valid = await run(
      logCheckInclusion,
      file(
        `{"leafIdx": 0, "treeSize": "1", "root": "${leaf0}", "leafHash": "${leaf0}", "proof": null}`,
      ),
    );
    assert.equal(valid.code, exitCode.ok, valid.err);
    assert.match(
      valid.out,
      /^valid: leaf hash 6e340b9c[0-9a-f]{56} is at index 0 of the tree of size 1/,
    );
    const invalid = await run(
      logCheckInclusion,
      file(
        `{"leafIdx": 1, "treeSize": 1, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": []}`,
      ),
    );
    assert.equal(invalid.code, exitCode.failed);
    assert.equal(invalid.out, 'invalid: index 1 is not below size 1');
  });

  it('refuses a file that is not a proof with exit 2, naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[1, 2]', /not a JSON object/],
      [
        `{"treeSize": 1, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": []}`,
        /leafIdx: give a whole number/,
      ],
      [
        `{"leafIdx": -1, "treeSize": 1, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": []}`,
        /leafIdx: .*"-1"/,
      ],
      [
        `{"leafIdx": 01, "treeSize": 1, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": []}`,
        /leafIdx: .*"01"/,
      ],
      [
        `{"leafIdx": 1.5, "treeSize": 2, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": []}`,
        /leafIdx: .*1\.5/,
      ],
      [
        `{"leafIdx": 0, "treeSize": 18446744073709551616, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": []}`,
        /treeSize: give a whole number from 0 to 2\^64 − 1/,
      ],
      [
        `{"leafIdx": 0, "treeSize": 1, "root": "${leaf0.slice(0, -1)}", "leafHash": "${leaf0}", "proof": []}`,
        /root: give a hash in standard base64/,
      ],
      [
        `{"leafIdx": 0, "treeSize": 1, "root": "${leaf0}", "leafHash": "${leaf0.replace('+', '-')}", "proof": []}`,
        /leafHash: give a hash in standard base64/,
      ],
      [
        `{"leafIdx": 0, "treeSize": 1, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": "${leaf0}"}`,
        /proof: give a list of base64 hashes/,
      ],
      [
        `{"leafIdx": 0, "treeSize": 1, "root": "${leaf0}", "leafHash": "${leaf0}", "proof": ["AB=="]}`,
        /proof\[0\]: not canonical base64/,
      ],
    ];
    for (const [text, pattern] of cases) {
      const { code, out, err } = await run(logCheckInclusion, file(text));
      assert.equal(code, exitCode.usage, `${text}: ${out}`);
      assert.equal(out, '');
      assert.match(err, pattern, text);
    }
    const missing = await run(logCheckConsistency, join(dir, 'missing.json'));
    assert.equal(missing.code, exitCode.usage);
    assert.match(missing.err, /missing\.json: cannot read it/);
  });

  it('refuses a wrong command line', async () => {
    await assert.rejects(run(logCheckInclusion), UsageError);
    await assert.rejects(
      run(logCheckInclusion, 'a.json', 'b.json'),
      /unexpected argument "b.json"/,
    );
    await assert.rejects(run(logCheckConsistency, '--nope', 'a.json'), UsageError);
  });
});
