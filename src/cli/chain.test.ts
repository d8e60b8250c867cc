/**
 * `clearpeg chain key|deploy|status` as an operator runs them: against `hardhat node` over HTTP
 * (a real JSON-RPC endpoint, started and stopped by PID) with an imported key, and on the
 * embedded default's in-process chain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPublicClient, http } from 'viem';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import { type HardhatNode, startHardhatNode } from '../chain/evm.ts';

const bin = fileURLToPath(new URL('../../bin/clearpeg.js', import.meta.url));
const passphrase = 'a passphrase for the tests only';

/** Runs the CLI in a child process (asynchronously: the test's own node must keep answering). */
function clearpeg(env: NodeJS.ProcessEnv, ...args: string[]) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: '', CLEARPEG_KEY_PASSPHRASE: '', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** `clearpeg chain deploy --chain <chain> --minter-allowance <allowance> …`. */
const deploy = (env: NodeJS.ProcessEnv, chain: string, allowance: string, ...more: string[]) =>
  clearpeg(env, 'chain', 'deploy', '--chain', chain, '--minter-allowance', allowance, ...more);

/** `clearpeg chain key show --chain node`. */
const keyShow = (env: NodeJS.ProcessEnv) =>
  clearpeg(env, 'chain', 'key', 'show', '--chain', 'node');

describe('clearpeg chain, against hardhat node over HTTP', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-cli-chain-'));
  let node: HardhatNode;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    node = await startHardhatNode({ chainId: 31337 });
    env = {
      CLEARPEG_DATA_DIR: dataDir,
      CLEARPEG_KEY_PASSPHRASE: passphrase,
      CLEARPEG_CHAINS: JSON.stringify([
        { name: 'node', chainId: 31337, rpcUrl: node.url, finalityDepth: 1 },
      ]),
      TEST_ISSUER_KEY: node.accounts[1]!.privateKey,
    };
  });
  after(async () => {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a chain without a key file is refused, saying how to make one', async () => {
    const run = await deploy(env, 'node', '1');
    assert.equal(run.code, 1, run.err);
    assert.match(run.err, /no issuer key for chain node .*clearpeg chain key create --chain node/);
  });

  it('imports a key from the environment, encrypted; no passphrase, no key', async () => {
    const run = await clearpeg(
      env,
      'chain',
      'key',
      'import',
      '--chain',
      'node',
      '--private-key-env',
      'TEST_ISSUER_KEY',
      '--json',
    );
    assert.equal(run.code, 0, run.err);
    assert.equal(JSON.parse(run.out).address, node.accounts[1]!.address);
    const again = await clearpeg(env, 'chain', 'key', 'create', '--chain', 'node');
    assert.equal(again.code, 1);
    assert.match(again.err, /exists/);
    const show = await keyShow(env);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, new RegExp(node.accounts[1]!.address));
    const locked = await keyShow({ ...env, CLEARPEG_KEY_PASSPHRASE: '' });
    assert.equal(locked.code, 1);
    assert.match(locked.err, /CLEARPEG_KEY_PASSPHRASE is not set/);
    const wrong = await keyShow({ ...env, CLEARPEG_KEY_PASSPHRASE: 'not the passphrase at all' });
    assert.equal(wrong.code, 1);
  });

  it('refuses a deployment without a minter allowance, or with a bad one', async () => {
    const none = await clearpeg(env, 'chain', 'deploy', '--chain', 'node');
    assert.equal(none.code, 2);
    assert.match(none.err, /--minter-allowance: .*there is no unlimited/);
    const bad = await deploy(env, 'node', '1.0000001');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--minter-allowance/);
    const unknown = await deploy(env, 'mainnet', '1');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no chain "mainnet" is configured \(configured: node\)/);
  });

  it('deploys and sets up the token; a second run confirms the same token', async () => {
    const run = await deploy(env, 'node', '250000', '--json');
    assert.equal(run.code, 0, run.err);
    const deployed = JSON.parse(run.out);
    assert.equal(deployed.chainId, '31337');
    const client = createPublicClient({ transport: http(node.url, { retryCount: 0 }) });
    const read = (functionName: 'decimals' | 'minterAllowance' | 'hasRole', args: unknown[] = []) =>
      client.readContract({
        address: deployed.token,
        abi: clearpegTokenAbi,
        functionName,
        args: args as never,
      });
    assert.equal(await read('decimals'), 6);
    assert.equal(await read('minterAllowance', [node.accounts[1]!.address]), 250_000_000_000n);
    const minter = await client.readContract({
      address: deployed.token,
      abi: clearpegTokenAbi,
      functionName: 'MINTER_ROLE',
    });
    assert.equal(await read('hasRole', [minter, node.accounts[1]!.address]), true);

    const again = await deploy(env, 'node', '250000', '--json');
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(JSON.parse(again.out), deployed);
    const status = await clearpeg(env, 'chain', 'status', '--json');
    assert.equal(status.code, 0, status.err);
    assert.equal(JSON.parse(status.out)[0].token, deployed.token);
  });
});

describe('clearpeg chain deploy, on the in-process chain of the embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-cli-dev-chain-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('deploys with a generated key; the chain and the token are there the next time', async () => {
    const env = { CLEARPEG_DATA_DIR: dataDir };
    const run = await deploy(env, 'local-b', '10', '--json');
    assert.equal(run.code, 0, run.err);
    const deployed = JSON.parse(run.out);
    assert.equal(deployed.chainId, '31338');
    const again = await deploy(env, 'local-b', '10', '--json');
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(JSON.parse(again.out), deployed);
    const key = await clearpeg(env, 'chain', 'key', 'show', '--chain', 'local-b', '--json');
    assert.equal(key.code, 0, key.err);
    assert.match(JSON.parse(key.out).file, /keys\/chain-local-b\.json$/);
  });
});
