/**
 * The `chain` check (`--rpc`) on a real chain: the issuer attests its token on an in-process
 * chain (indexed by its chain worker), the verifier re-reads the supply at the attested block
 * through a JSON-RPC endpoint on 127.0.0.1 (the chain's own provider, over HTTP), and fails
 * against another chain with the same chain id (another history: other block hashes, no token).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Attestor } from '../attest/cycle.ts';
import { liabilitiesSecret, logIdentity } from '../attest/keys.ts';
import { TransparencyLog } from '../attest/log.ts';
import { LogPublisher } from '../attest/publish.ts';
import { createInProcessChain, type Eip1193Provider } from '../chain/evm.ts';
import {
  type IssuanceFixture,
  type IssuerChainFixture,
  issuanceFixture,
  issuerChainFixture,
} from '../issuance/testing.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import type { VerifyReport } from './checks.ts';
import { runVerify } from './node.ts';

/** An HTTP server on 127.0.0.1 answering `POST /` JSON-RPC requests with `provider`. */
async function rpcServer(provider: Eip1193Provider): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const answer = (one: { id: number; method: string; params?: unknown[] }) =>
        provider.request({ method: one.method, params: one.params ?? [] } as never).then(
          (result) => ({ jsonrpc: '2.0', id: one.id, result }),
          (error: Error & { code?: number }) => ({
            jsonrpc: '2.0',
            id: one.id,
            error: { code: error.code ?? -32603, message: error.message },
          }),
        );
      const pending = Array.isArray(body) ? Promise.all(body.map(answer)) : answer(body);
      void pending.then((out) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function serveDirectory(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    readFile(join(root, path)).then(
      (bytes) => response.writeHead(200).end(bytes),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('clearpeg verify --rpc', () => {
  let f: IssuanceFixture;
  let c: IssuerChainFixture;
  let dir: string;
  let log: { url: string; server: Server };
  let vkey: string;
  before(async () => {
    f = await issuanceFixture();
    c = await issuerChainFixture(f);
    await c.worker.tick();
    await c.chain.local!.provider.request({ method: 'evm_mine', params: [] } as never);
    await c.worker.tick();
    dir = mkdtempSync(join(tmpdir(), 'clearpeg-verify-chain-'));
    const identity = logIdentity(dir, {});
    vkey = identity.vkey;
    const publisher = new LogPublisher(join(dir, 'public'), identity.vkey);
    const attestor = new Attestor({
      ctx: f.ctx,
      log: new TransparencyLog(f.t.db, identity, f.ctx.clockUs),
      publisher,
      chains: [{ chain: c.chain, token: c.token }],
      ruleset: loadRuleset('genius'),
      master: liabilitiesSecret(dir),
      witnesses: [],
      quorum: 0,
    });
    const { attestation } = await attestor.runOnce();
    assert.equal(attestation.chains.length, 1, 'the token is attested');
    log = await serveDirectory(join(dir, 'public'));
  });
  after(async () => {
    await close(log.server);
    await c.close();
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = async (rpc: string): Promise<VerifyReport> => {
    const state = mkdtempSync(join(tmpdir(), 'clearpeg-verify-chain-state-'));
    try {
      const { report } = await runVerify({
        url: log.url,
        trust: { key: vkey, witnesses: [], quorum: 0, trustOnFirstUse: false },
        stateDir: state,
        rpc,
      });
      return report;
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  };

  it('re-reads the supply and the block at the attested block number, and passes', async () => {
    const rpc = await rpcServer(c.chain.local!.provider);
    try {
      const report = await verify(rpc.url);
      const chain = report.checks.find((check) => check.name === 'chain')!;
      assert.equal(chain.status, 'pass', chain.detail);
      assert.match(
        chain.detail,
        /^chain 31337: supply and the issuer's balances as stated at block \d+$/,
      );
      assert.equal(report.checks.find((check) => check.name === 'witnesses')!.status, 'skip');
      assert.equal(report.ok, true);
    } finally {
      await close(rpc.server);
    }
  });

  it('fails against another chain with the same id, naming the block', async () => {
    const other = await createInProcessChain({ chainId: 31337 });
    for (let i = 0; i < 20; i++)
      await other.provider.request({ method: 'evm_mine', params: [] } as never);
    const rpc = await rpcServer(other.provider);
    try {
      const report = await verify(rpc.url);
      const chain = report.checks.find((check) => check.name === 'chain')!;
      assert.equal(chain.status, 'fail');
      assert.match(
        chain.detail,
        /^chain 31337 block \d+: the block's hash is 0x[0-9a-f]{64}, the attestation states 0x/,
      );
      assert.equal(report.ok, false);
    } finally {
      await close(rpc.server);
      await other.close();
    }
  });
});
