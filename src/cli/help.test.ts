/**
 * `--help` everywhere, over the whole command table, and what a command loads: `clearpeg help`
 * and a local command load none of the heavy packages (the EVM, the databases, viem, zod).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitCode } from './io.ts';
import { commands, main } from './main.ts';

const bin = fileURLToPath(new URL('../../bin/clearpeg.js', import.meta.url));

/** Runs `main(argv)`, collecting what it prints. */
async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('clearpeg --help', () => {
  it('prints the usage of every command, however asked, and exits 0', async () => {
    for (const entry of commands) {
      const words = entry.name.split(' ');
      const command = await entry.load();
      assert.equal(command.name, entry.name, 'the table names the command it loads');
      for (const argv of [
        [...words, '--help'],
        [...words, '-h'],
        ['help', ...words],
        [...words, '--json', '--help'],
      ]) {
        const { code, out, err } = await run(...argv);
        assert.equal(code, exitCode.ok, `clearpeg ${argv.join(' ')}: ${err}`);
        assert.ok(out.includes(`usage: ${command.usage}`), `clearpeg ${argv.join(' ')}: ${out}`);
        assert.equal(err, '');
      }
    }
  });

  it('prints every command of a noun for `clearpeg <noun> --help` and `clearpeg help <noun>`', async () => {
    const nouns = new Set(commands.map((c) => c.name.split(' ')[0]!));
    for (const noun of nouns) {
      const mine = commands.filter((c) => c.name.split(' ')[0] === noun);
      for (const argv of [
        [noun, '--help'],
        ['help', noun],
      ]) {
        const { code, out } = await run(...argv);
        assert.equal(code, exitCode.ok);
        for (const entry of mine) assert.match(out, new RegExp(`^clearpeg ${entry.name}: `, 'm'));
      }
    }
  });

  it("lists the noun's commands on stderr with exit 2 for a noun alone, and refuses an unknown one", async () => {
    const alone = await run('mint');
    assert.equal(alone.code, exitCode.usage);
    assert.match(alone.err, /^usage: clearpeg mint approve ID --key/m);
    const unknown = await run('nonsense', '--help');
    assert.equal(unknown.code, exitCode.usage);
    assert.match(unknown.err, /unknown command "nonsense"/);
  });

  it('exits 0 from the shell too', () => {
    const shell = spawnSync(process.execPath, [bin, 'payouts', 'approve', '--help'], {
      encoding: 'utf8',
    });
    assert.equal(shell.status, 0, shell.stderr);
    assert.match(shell.stdout, /^usage: clearpeg payouts approve ID --key/m);
  });
});

describe('what a command loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-loads-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // A module hook that refuses the heavy packages: a command that imports one fails.
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/\\/node_modules\\/(viem|hardhat|@electric-sql\\/pglite|pg|zod|ox)\\//.test(result.url))
    throw new Error('heavy import: ' + result.url);
  return result;
}\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hook}`)});\n`,
  );
  const light = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', register, bin, ...args], { encoding: 'utf8' });

  it('loads none of the EVM, the databases, viem or zod for help and reserves price', () => {
    const help = light('help');
    assert.equal(help.status, 0, help.stderr);
    const price = light(
      ...['reserves', 'price', '--discount-rate', '4.48'],
      ...['--issue-date', '2025-01-02', '--maturity-date', '2025-01-30'],
    );
    assert.equal(price.status, 0, price.stderr);
    assert.match(price.stdout, /price 99\.651556 per 100/);
  });

  it('loads none of them for any command that only talks HTTP (but approving: the intent builders)', () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const nouns = [
      'customers',
      'deposits',
      'mint',
      'redeem',
      'payouts',
      'changes',
      'breakers',
      'reserves',
    ];
    const script = `const { commands } = await import(${JSON.stringify(main)});
const http = commands.filter((c) => ${JSON.stringify(nouns)}.includes(c.name.split(' ')[0]));
for (const entry of http) await entry.load();
console.log(http.length);`;
    const loaded = spawnSync(
      process.execPath,
      ['--import', register, '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.ok(Number(loaded.stdout) >= 30, `${loaded.stdout} commands loaded`);
  });

  it('sees a heavy import where there is one (the check can fail)', () => {
    const chain = light('chain', 'status', '--help');
    assert.notEqual(chain.status, 0);
    assert.match(chain.stderr, /heavy import: .*node_modules\/(viem|hardhat)/);
  });
});
