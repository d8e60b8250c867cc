/**
 * The demo of `npm start`: seeded once through the real workflows on an in-process chain,
 * found again on a second run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newYorkDate } from '../calendar.ts';
import { defaultChains } from '../chain/config.ts';
import { checkParity } from '../chain/parity.ts';
import type { IssuerChain, TokenRecord } from '../chain/runtime.ts';
import type { ChainWorker } from '../chain/worker.ts';
import { actorForApiKey } from '../issuance/operators.ts';
import { listPayouts } from '../issuance/payouts.ts';
import {
  type IssuanceFixture,
  type IssuerChainFixture,
  issuanceFixture,
  issuerChainFixture,
} from '../issuance/testing.ts';
import { parseAmount } from '../money/money.ts';
import { readApproverKeyFile } from '../policy/approver-key-file.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import { incomeStatement } from '../treasury/income.ts';
import { supplyAccountSpec } from '../workflow/accounts.ts';
import { keysFile, keyVariable, runDemo } from './demo.ts';
import { demoLines } from './serve.ts';

describe('the demo issuer', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-demo-'));
  const config = defaultChains[0]!;
  let f: IssuanceFixture;
  let c: IssuerChainFixture;
  let chain: IssuerChain;
  let token: TokenRecord;
  let worker: ChainWorker;
  before(async () => {
    f = await issuanceFixture();
    c = await issuerChainFixture(f, { intervalMs: 20 });
    ({ chain, token, worker } = c);
    await worker.start();
  });
  after(async () => {
    await c.close();
    await f.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeds operators, keys, customers, mints, a redemption and its payout; parity holds', async () => {
    const lines: string[] = [];
    const demo = await runDemo({
      ctx: f.ctx,
      dataDir,
      chains: [{ chain, token }],
      out: (line) => lines.push(line),
    });
    assert.equal(demo.seeded, true);
    assert.equal(demo.operators.length, 7);
    for (const operator of demo.operators) {
      const actor = await actorForApiKey(f.t.db, operator.apiKey);
      assert.equal(actor?.id, operator.id, 'each printed API key works');
      if (operator.keyFile !== null)
        assert.equal(readApproverKeyFile(operator.keyFile).approverId, operator.id);
    }
    assert.equal(demo.operators.filter((o) => o.keyFile !== null).length, 3);
    // 5M + 2.5M + 0.75M minted, 1M redeemed and burned.
    assert.equal(await f.balance(`supply:${config.chainId}`), parseAmount('7250000'));
    assert.equal(await f.balance('income:fees'), parseAmount('1000'));
    const [payout] = await listPayouts(f.t.db, { limit: 10 });
    assert.equal(payout?.status, 'sent');
    assert.equal(payout?.amount, parseAmount('999000'));
    await worker.stop();
    const supplyAccount = (await f.ctx.ledger.ensureAccount(supplyAccountSpec(config.chainId))).id;
    await worker.tick();
    const parity = await checkParity({
      db: f.t.db,
      client: chain.client,
      chainId: config.chainId,
      token: token.address,
      finalityDepth: config.finalityDepth,
      supplyAccount,
    });
    assert.equal(parity?.ok, true);
    assert.ok(lines.some((line) => line.includes('burned')));

    const again = await runDemo({ ctx: f.ctx, dataDir, chains: [{ chain, token }], out: () => {} });
    assert.equal(again.seeded, false, 'a second run seeds nothing');
    assert.deepEqual(again.operators, demo.operators);
  });

  it('prints and writes every API key by role, and the approver key files', async () => {
    const demo = await runDemo({ ctx: f.ctx, dataDir, chains: [{ chain, token }], out: () => {} });
    const printed = demoLines(demo, 'http://127.0.0.1:1').join('\n');
    const keys = keysFile(demo.directory);
    assert.equal(statSync(keys).mode & 0o777, 0o600);
    // The file is a shell script: sourced, it defines each operator's variable.
    const sourced = spawnSync('sh', ['-c', `. "${keys}" && env`], { encoding: 'utf8' }).stdout;
    for (const operator of demo.operators) {
      const line = printed.split('\n').find((l) => l.includes(` ${operator.id} `)) ?? '';
      assert.match(line, new RegExp(`^ {4}${operator.roles.join(',')} `));
      assert.ok(line.includes(operator.apiKey), `${operator.id}'s API key is printed`);
      if (operator.keyFile !== null) assert.ok(line.includes(operator.keyFile));
      assert.ok(sourced.includes(`${keyVariable(operator.id)}=${operator.apiKey}\n`));
    }
    assert.ok(sourced.includes('OP_TREASURER_KEY=ck_'));
  });

  it("its income statement equals the ledger's income accounts; net income is the change of equity", async () => {
    const today = newYorkDate(Number(f.ctx.clockUs() / 1000n));
    const statement = await incomeStatement(
      f.ctx,
      { from: today, to: today, every: 'day' },
      { today, ruleset: loadRuleset('genius') },
    );
    const income = async (code: string) => f.balance(code);
    assert.ok(statement.fees > 0n, 'the redemption fee');
    assert.equal(statement.fees, await income('income:fees'));
    assert.equal(statement.interest.total, await income('income:interest'));
    assert.equal(statement.trading, await income('income:trading'));
    assert.equal(
      statement.netIncome,
      statement.fees + statement.interest.total + statement.trading,
    );
    assert.equal(statement.equity.opening, 0n);
    assert.equal(statement.netIncome, statement.equity.closing - statement.equity.opening);
    assert.ok(statement.reconciliation.reconciled);
  });
});
