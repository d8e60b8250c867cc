/**
 * `clearpeg income` and `GET /v1/income` through a running server (the app on a fresh database,
 * served on 127.0.0.1 in this process): an operating expense paid under quorum lands in its
 * account and in the statement, equity falls by it, net income equals the change of equity;
 * bad input names its field and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serveTestApp, type TestServer } from '../api/testing.ts';
import { newYorkDate } from '../calendar.ts';
import { ClearpegError } from '../errors.ts';
import { createOperator } from '../issuance/operators.ts';
import { createApprovers, type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import { signApproval } from '../policy/approvals.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import {
  approveInvestment,
  executeInvestment,
  proposeInvestment,
  requestIntent,
} from '../treasury/investments.ts';
import { acmeDeposit, geniusExcess, receiveIncome } from '../treasury/testing.ts';
import { restatedDifferences } from '../verify/restated.ts';
import { sqlRestatedPort } from '../verify/restated-sql.ts';
import type { Actor } from '../workflow/actors.ts';
import { income } from './income.ts';
import { remoteEnv, runCommand } from './testing.ts';

const usd = (text: string) => parseAmount(text) as Micro;
const _genius = loadRuleset('genius');

describe('clearpeg income and GET /v1/income, through a running server', () => {
  let f: IssuanceFixture;
  let server: TestServer;
  let auditor: string;
  const today = newYorkDate();
  const tess: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
  const ann: Actor = { kind: 'operator', id: 'op-ann', roles: ['approver'] };
  const excess = geniusExcess(today);
  const remote = remoteEnv();
  /** Runs `clearpeg income <args>` against the server as the auditor. */
  const run = (...args: string[]) => {
    remote.use(server.url, auditor);
    return runCommand(income, args);
  };

  before(async () => {
    f = await issuanceFixture();
    auditor = (await createOperator(f.t.db, { id: 'op-abe', name: 'Abe', roles: ['auditor'] }))
      .apiKey;
    const keys = await createApprovers(f, ['op-ann']);
    await acmeDeposit(f, tess, usd('1000000'), today);
    await receiveIncome(f, usd('50000'));
    // An operating cost paid out of excess, under quorum.
    const request = await proposeInvestment(
      f.ctx,
      tess,
      {
        purpose: 'operating',
        reference: 'AUDIT-2026',
        name: 'audit',
        amount: usd('12000.5'),
        bank: 'bank-a',
        payee: 'Audit LLP',
        jurisdiction: 'US',
      },
      excess,
    );
    await approveInvestment(
      f.ctx,
      ann,
      request.id,
      signApproval(requestIntent(request), keys['op-ann']!.privateKey, 'op-ann'),
    );
    const { position } = await executeInvestment(f.ctx, tess, request.id, excess);
    assert.equal(position, null); // an expense opens no reserve position
    server = await serveTestApp(f.ctx);
  });
  after(async () => {
    remote.restore();
    await server?.close();
    await f?.close();
  });

  it('the expense lands in its account and the statement; net income is the change of equity', async () => {
    assert.equal(await f.balance('expenses:operating:audit'), -usd('12000.5'));
    // The request and its transfer agree, as `verify-all` restates them.
    assert.deepEqual(await restatedDifferences((body) => body(sqlRestatedPort(f.ctx.db))), []);
    const done = await run('--from', today, '--to', today, '--every', 'day', '--json');
    assert.equal(done.code, 0, done.err);
    const s = JSON.parse(done.out);
    assert.equal(s.income.interest.total, '50000.000000');
    assert.equal(s.expenses.operating.audit, '12000.500000');
    assert.equal(s.netIncome, '37999.500000');
    // Equity: the income received, less the expense paid (the deposit is owed to its customer).
    assert.equal(s.equity.opening, '0.000000');
    assert.equal(s.equity.closing, '37999.500000');
    assert.equal(s.reconciliation.equityChange, s.netIncome);
    assert.equal(s.reconciliation.reconciled, true);
    assert.deepEqual(
      s.series.map((p: { asOf: string }) => p.asOf),
      [today],
    );
    assert.equal(s.series[0].equity, '37999.500000');
    const text = await run('--from', today, '--to', today);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /net income +37999\.500000/);
    assert.match(text.out, /reconciled: every line/);
  });

  it('bad input names its field and changes nothing', async () => {
    const head = await f.ctx.ledger.store.head();
    const order = await run('--from', today, '--to', '2020-01-01');
    assert.equal(order.code, 1);
    assert.match(order.err, /income-invalid.*from/);
    await assert.rejects(run('--to', today), /--from: give the first day of the period/);
    const every = await fetch(`${server.url}/v1/income?from=${today}&to=${today}&every=year`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    assert.equal(every.status, 400);
    assert.match(await every.text(), /every/);
    const early = await fetch(`${server.url}/v1/income?from=2020-01-01&to=2020-01-31`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    assert.equal(early.status, 422);
    assert.match(await early.text(), /as-of-before-issuer.*"field":"to"/s);
    // An expense's own fields: no asset, a known partner for a distribution.
    await assert.rejects(
      proposeInvestment(
        f.ctx,
        tess,
        {
          purpose: 'distribution',
          reference: 'DIST-1',
          name: 'nobody',
          amount: usd('1'),
          bank: 'bank-a',
          payee: 'Nobody Inc',
          jurisdiction: 'US',
          period: { from: '2026-01-01', to: '2026-01-31' },
        },
        excess,
      ),
      (error: unknown) =>
        error instanceof ClearpegError &&
        error.field === 'partner' &&
        error.code === 'reserves-invalid',
    );
    await assert.rejects(
      proposeInvestment(
        f.ctx,
        tess,
        {
          purpose: 'operating',
          reference: 'OP-1',
          name: 'audit',
          amount: usd('0'),
          bank: 'bank-a',
          payee: 'Audit LLP',
          jurisdiction: 'US',
        },
        excess,
      ),
      (error: unknown) => error instanceof ClearpegError && error.field === 'amount',
    );
    assert.deepEqual(await f.ctx.ledger.store.head(), head);
  });
});
