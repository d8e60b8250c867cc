/**
 * `clearpeg reserves`: the price of a bill computed here (the exact JSON line scripts read),
 * and the commands that act through a running server: the app on a fresh database, served on
 * 127.0.0.1 (port 0) in this process, driven through each command with a treasurer's API key.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serveTestApp, type TestServer } from '../api/testing.ts';
import { addDays, newYorkDate } from '../calendar.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { createOperator } from '../issuance/operators.ts';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { formatAmount, parseAmount } from '../money/money.ts';
import { reportHtml } from '../treasury/report.ts';
import { main } from './main.ts';
import { remoteEnv } from './testing.ts';

const bin = fileURLToPath(new URL('../../bin/clearpeg.js', import.meta.url));
const priceArgs = [
  'reserves',
  'price',
  '--discount-rate',
  '4.480',
  '--issue-date',
  '2023-01-24',
  '--maturity-date',
  '2023-02-21',
];
const priceLine = '{"days": 28, "pricePer100": "99.651556", "investmentRatePct": "4.558"}';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `clearpeg <argv>` in this process, as `main` finds the command. */
async function clearpeg(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function ok(run: Run): Run {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.err}`);
  return run;
}

describe('clearpeg reserves price (on this machine)', () => {
  it('prints exactly the JSON line, and a line a person reads', async () => {
    assert.equal(ok(await clearpeg(...priceArgs, '--json')).out, priceLine);
    assert.equal(
      ok(await clearpeg(...priceArgs)).out,
      '28 days at a discount rate of 4.480 %: price 99.651556 per 100, investment rate 4.558 %',
    );
  });

  it('prints the same line from the installed command, with nothing else on stdout', () => {
    const run = spawnSync(process.execPath, [bin, ...priceArgs, '--json'], {
      env: { ...process.env, CLEARPEG_DATA_DIR: tmpdir(), DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `${priceLine}\n`);
  });

  it('refuses a wrong command line with exit 2, naming the option', async () => {
    const rate = await clearpeg(
      'reserves',
      'price',
      ...priceArgs.slice(2, 3),
      '4.48e0',
      ...priceArgs.slice(4),
    );
    assert.equal(rate.code, 2);
    assert.match(rate.err, /--discount-rate: must be a plain decimal/);
    const order = await clearpeg(
      'reserves',
      'price',
      '--discount-rate',
      '4.480',
      '--issue-date',
      '2023-02-21',
      '--maturity-date',
      '2023-01-24',
    );
    assert.equal(order.code, 2);
    assert.match(order.err, /--maturity-date: give a day 1 to 366 days after --issue-date/);
    const missing = await clearpeg('reserves', 'price', '--discount-rate', '4.480');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--issue-date: give the issue date/);
  });
});

describe('clearpeg reserves, through a running server', () => {
  let f: IssuanceFixture;
  let server: TestServer;
  let url: string;
  let treasurer: string;
  const today = newYorkDate();
  const day = (n: number) => addDays(today, n);
  const remote = remoteEnv();

  /** Runs `clearpeg reserves <args>` against the server as the treasurer. */
  const reserves = (...args: string[]) => {
    remote.use(url, treasurer);
    return clearpeg('reserves', ...args);
  };

  before(async () => {
    f = await issuanceFixture();
    treasurer = (
      await createOperator(f.t.db, { id: 'op-tess', name: 'op-tess', roles: ['treasurer'] })
    ).apiKey;
    await recordDeposit(f.ctx, f.operator('treasurer'), {
      reference: 'WIRE-1',
      bank: 'bank-a',
      amount: parseAmount('1000000'),
      bookingDate: today,
    });
    server = await serveTestApp(f.ctx);
    url = server.url;
  });
  after(async () => {
    remote.restore();
    await server.close();
    await f.close();
  });

  it('buys a lot, lists it, accrues, values, reports (also as the page), and sells it', async () => {
    const buy = [
      'buy',
      '--reference',
      'T-1',
      '--cusip',
      '912797LB1',
      '--face',
      '500000',
      '--issue-date',
      today,
      '--maturity-date',
      day(91),
      '--bank',
      'bank-a',
      '--custodian',
      'BNY Mellon',
      '--jurisdiction',
      'US',
    ];
    const both = await reserves(...buy, '--discount-rate', '4.480', '--cost', '1');
    assert.equal(both.code, 2);
    assert.match(both.err, /--discount-rate or --cost: give one, not both/);
    const bought = ok(await reserves(...buy, '--discount-rate', '4.480'));
    assert.match(
      bought.out,
      /^position tbill:912797LB1:T-1: open\n {2}912797LB1: face 500000\.000000, cost 494337\.780000;/,
    );

    const listed = JSON.parse(ok(await reserves('positions', '--kind', 'tbill', '--json')).out);
    assert.deepEqual(
      listed.positions.map((p: { id: string; bookValue: string }) => [p.id, p.bookValue]),
      [['tbill:912797LB1:T-1', '494337.780000']],
    );
    assert.match(
      ok(await reserves('positions')).out,
      /^tbill:912797LB1:T-1 +open +494337\.780000 {2}BNY Mellon \(US\)$/,
    );

    const run = JSON.parse(ok(await reserves('accrue', '--through', day(10), '--json')).out);
    assert.deepEqual([run.through, run.lots, run.days], [day(10), 1, 10]);
    assert.equal(await f.balance('income:interest'), parseAmount(run.amount));

    const total = formatAmount(parseAmount('1000000') + parseAmount(run.amount));
    const value = ok(await reserves('value', '--as-of', day(10)));
    assert.ok(
      value.out.startsWith(
        `the book as of ${day(10)} (bills at book value): ${total}; tokens outstanding 0.000000\n`,
      ),
      value.out,
    );
    const report = JSON.parse(ok(await reserves('report', '--as-of', day(10), '--json')).out);
    assert.equal(report.totals.totalReserves, report.totals.eligibleReserves);
    const page = ok(await reserves('report', '--as-of', day(10), '--html')).out;
    assert.equal(page, reportHtml(report));
    assert.match(page, /^<!doctype html>/);
    const words = ok(await reserves('report', '--as-of', day(10))).out;
    assert.match(words, /^reserve report .* \(as of .*, bills at amortized value, genius rules\)/);
    assert.match(words, /\n {2}treasury-bill +\d+\.\d{6} +\d+\.\d{2} % {2}81\.00 days\n/);

    const sold = ok(
      await reserves(
        'sell',
        'tbill:912797LB1:T-1',
        '--settlement-date',
        day(20),
        '--discount-rate',
        '3.000',
      ),
    );
    assert.match(sold.out, /^position tbill:912797LB1:T-1: sold\n/);
    assert.match(sold.out, /closed: .*gain \d+\.\d{6}/);
    assert.ok((await f.balance('income:trading')) > 0n);

    const refused = await reserves(
      'sell',
      'tbill:912797LB1:NOPE',
      '--settlement-date',
      day(20),
      '--discount-rate',
      '3.000',
    );
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^error \/problems\/position-not-found: no reserve position/);
  });
});
