/**
 * The README's CLI walkthrough, taken from README.md itself (so the two cannot drift), run as
 * written by bash against `clearpeg serve --demo` on a free port in a fresh temporary
 * directory (its data in ./.clearpeg there, as after `npm start`). `npx clearpeg` is this
 * checkout's bin/clearpeg.js.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clearpegBin as bin, type DemoServer, startDemoServer } from './testing.ts';

const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
/** The comment that marks the walkthrough's block in README.md. */
const marker = '<!-- The walkthrough: src/cli/readme.test.ts runs this block as written';

/**
 * The shell block after the marker in `markdown`.
 * @example walkthrough(readFileSync('README.md', 'utf8')) // '. .clearpeg/demo/keys.env …'
 */
export function walkthrough(markdown: string): string {
  const at = markdown.indexOf(marker);
  assert.ok(at >= 0, 'README.md marks its walkthrough');
  const block = markdown.slice(at).match(/^```sh\n([\s\S]*?)^```$/m);
  assert.ok(block?.[1], 'a ```sh block follows the marker');
  return block[1];
}

describe("the README's CLI walkthrough", () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-readme-'));
  let demo: DemoServer;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    // The verifier keeps what it pinned under the user's config directory: here, the test's.
    demo = await startDemoServer(dir, { XDG_CONFIG_HOME: join(dir, 'config') });
    env = demo.env;
  });
  after(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs as written on a fresh demo: a customer onboarded, funded, minted to, final', () => {
    const script = walkthrough(readFileSync(readme, 'utf8'));
    assert.match(script, /npx clearpeg mint approve/);
    const shim = `npx() { if [ "$1" = clearpeg ]; then shift; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"; else command npx "$@"; fi; }\n`;
    const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', shim + script], {
      cwd: dir,
      env,
      encoding: 'utf8',
      timeout: 300_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, `the walkthrough failed:\n${output}\nserver:\n${demo.log()}`);
    assert.match(run.stdout, /^customer CUST-0004 "Umbrella Payments Ltd"$/m);
    assert.match(run.stdout, /^ {2}kyc {6}approved$/m);
    assert.match(run.stdout, /^mint [0-9a-f-]{36}: pending-approval$/m);
    assert.match(run.stdout, /^signing as op-ann: mint 250,000\.000000 USD/m);
    assert.match(run.stdout, /^mint [0-9a-f-]{36}: final$/m);
    assert.match(run.stdout, /^ {2}tx 0x[0-9a-f]{64} in block \d+$/m);
    assert.match(
      run.stdout,
      /^ {2}wallet {3}0x15d34aaf54267db7d7c367839aaf71a00a2c6a65 on chain 31337$/m,
    );
    assert.match(
      run.stdout,
      / final +250000\.000000 to 0x15d34aaf54267db7d7c367839aaf71a00a2c6a65 /,
    );
    // The holder's verifier, twice: first use pins; the second checks the log grew consistently.
    assert.match(run.stdout, /^PASS consistency +first checkpoint seen for this log/m);
    assert.match(run.stdout, /^PASS consistency +extends the checkpoint seen before: \d+ → \d+$/m);
    // The newest round the published log states: after the mint (0) or, a moment before its
    // attestation is published, the one after the deposit (250,000).
    assert.match(
      run.stdout,
      /^PASS leaf +CUST-0004's (?:0|250000)\.000000 is counted in round \d+/m,
    );
    // The simulator starts from the book it verified, and its first day is that book.
    assert.match(
      run.stdout,
      /^clearpeg-demo: The running issuer's attested book of \d{4}-\d{2}-\d{2}, a year ahead$/m,
    );
    assert.match(
      run.stdout,
      /^ {2}ok {2}Owed to holders on the first day \(tokens, customer dollars, payables\)$/m,
    );
    assert.equal(run.stdout.match(/^verified$/gm)?.length, 2);
    assert.doesNotMatch(run.stdout, /^FAIL /m);
  });

  it('finds the walkthrough by its marker', () => {
    assert.throws(() => walkthrough('# no walkthrough here\n```sh\nls\n```\n'));
    assert.equal(walkthrough(`${marker} -->\n\`\`\`sh\necho hi\n\`\`\`\n`), 'echo hi\n');
  });
});
