/**
 * The reserves over HTTP: a deposit, a bank described, a statement recorded, bill lots bought,
 * listed, valued, accrued, reported (JSON and the printable page), sold at a gain and at a
 * loss with the ledger checked to the micro-dollar; a repo and a fund; an investment refused
 * for want of excess, then made; custodian keys; and refusals that name the field and change
 * nothing. Dates are counted from today in New York: the book is judged as of today after
 * every operation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { addDays, daysBetween, newYorkDate } from '../calendar.ts';
import { createCustomer } from '../issuance/customers.ts';
import { currentPolicy } from '../issuance/policy.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { formatAmount, type Micro, parseAmount } from '../money/money.ts';
import { signApproval } from '../policy/approvals.ts';
import { groupThousands } from '../policy/intent.ts';
import { type AccretingBill, carryingValue } from '../reserves/accretion.ts';
import { billCost, pricePer100 } from '../reserves/bills.ts';
import { loadRuleset } from '../reserves/eligibility.ts';
import { reportHtml } from '../treasury/report.ts';
import { accountId, customerFiat, supplyAccountSpec, usd } from '../workflow/accounts.ts';
import { shippedReserveDeps } from './routes/reserves.ts';
import { type Answer, type ApiFixture, apiFixture, testChainId } from './testing.ts';

function isProblem(res: Answer, status: number, code: string, field?: string): void {
  assert.equal(res.status, status, `${code}: ${res.text}`);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.equal(res.body.type, `/problems/${code}`);
  if (field !== undefined) assert.equal(res.body.field, field, res.text);
}

/** A bill lot of a position view, as the accretion functions take it. */
function lotOf(view: {
  face: string;
  cost: string;
  settlementDate: string;
  maturityDate: string;
}): AccretingBill {
  return {
    face: parseAmount(view.face),
    cost: parseAmount(view.cost),
    settlementDate: view.settlementDate,
    maturityDate: view.maturityDate,
  };
}

/** `$1,234.56` as the report's page prints an amount. */
function dollars(amount: string): string {
  const [whole, fraction] = amount.split('.') as [string, string];
  return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction.slice(0, 2)}`;
}

describe('the reserves over HTTP', () => {
  let a: ApiFixture;
  const today = newYorkDate();
  const day = (n: number) => addDays(today, n);
  const as = (operator: string) => ({ key: a.keys[operator]! });
  const post = (operator: string, path: string, json: unknown) =>
    a.call('POST', path, { ...as(operator), json });
  const get = (path: string, operator = 'op-aud') => a.call('GET', path, as(operator));
  /** Posted balance, debits − credits (an asset's side). */
  const debitBalance = async (code: string) => -(await a.f.balance(code));
  /** Asserts `action` is refused as `code` and changes nothing. */
  const refusedUnchanged = async (
    action: () => Promise<Answer>,
    status: number,
    code: string,
    field?: string,
  ) => {
    const before = await a.snapshot();
    const res = await action();
    isProblem(res, status, code, field);
    assert.equal(await a.snapshot(), before, `${code} changed nothing`);
    return res;
  };

  const custody = { custodian: 'BNY Mellon', jurisdiction: 'US' };
  const billA = 'tbill:912797LB1:T-A';
  const billB = 'tbill:912797LB1:T-B';
  const buy = (reference: string, face: string, extra: Record<string, unknown> = {}) => ({
    reference,
    cusip: '912797LB1',
    face,
    issueDate: today,
    maturityDate: day(91),
    tradeDate: today,
    settlementDate: today,
    bank: 'bank-a',
    discountRatePct: '4.480',
    ...custody,
    ...extra,
  });

  before(async () => {
    a = await apiFixture();
    await createCustomer(a.f.ctx, a.f.operator('compliance'), { id: 'CUST-0001', name: 'Acme' });
  });
  after(() => a?.close());

  it('prices a bill for anyone: 31 CFR 356 App. B, digit for digit', async () => {
    const res = await a.call(
      'GET',
      '/v1/reserves/price?discountRate=4.480&issueDate=2023-01-24&maturityDate=2023-02-21',
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{"days":28,"pricePer100":"99.651556","investmentRatePct":"4.558"}');
    isProblem(
      await a.call(
        'GET',
        '/v1/reserves/price?discountRate=4.480&issueDate=2023-02-21&maturityDate=2023-01-24',
      ),
      400,
      'bill-invalid',
      'maturityDate',
    );
    isProblem(
      await a.call(
        'GET',
        '/v1/reserves/price?discountRate=99.9&issueDate=2023-01-01&maturityDate=2024-01-01',
      ),
      400,
      'bill-invalid',
      'discountRate',
    );
    isProblem(
      await a.call(
        'GET',
        '/v1/reserves/price?discountRate=4.48e0&issueDate=2023-01-24&maturityDate=2023-02-21',
      ),
      400,
      'request-invalid',
      'discountRate',
    );
  });

  it('describes the bank, records a statement, buys two lots out of a deposit', async () => {
    const deposit = await post('op-tess', '/v1/deposits', {
      reference: 'WIRE-1',
      bank: 'bank-a',
      amount: '1000000.00',
      customerId: 'CUST-0001',
      bookingDate: today,
    });
    assert.equal(deposit.status, 201, deposit.text);
    const bank = await post('op-tess', '/v1/reserves/banks', {
      bank: 'bank-a',
      custodian: 'Bank A, N.A.',
      jurisdiction: 'US',
      centralBank: false,
      insuredInstitution: true,
    });
    assert.equal(bank.status, 200, bank.text);
    assert.deepEqual(
      [bank.body.id, bank.body.kind, bank.body.bookValue, bank.body.insuredInstitution],
      ['cash:bank-a', 'cash', '1000000.000000', true],
    );
    const file = new TextEncoder().encode('BNY Mellon statement, lot T-A');
    const statement = await post('op-tess', '/v1/reserves/statements', {
      custodian: 'BNY Mellon',
      bytes: Buffer.from(file).toString('base64'),
    });
    assert.equal(statement.status, 201, statement.text);
    assert.deepEqual(statement.body, {
      custodian: 'BNY Mellon',
      statementSha256: bytesToHex(sha256(file)),
      signature: null,
      signatureVerified: false,
    });

    const lotA = await post(
      'op-tess',
      '/v1/reserves/bills',
      buy('T-A', '500000', { statement: statement.body.statementSha256 }),
    );
    assert.equal(lotA.status, 201, lotA.text);
    // 100 − 4.480 × 91 / 360 = 98.8675556 → 98.867556; × 500,000 / 100.
    assert.deepEqual(
      [lotA.body.id, lotA.body.status, lotA.body.cost, lotA.body.bookValue],
      [billA, 'open', '494337.780000', '494337.780000'],
    );
    assert.equal(lotA.body.evidence.statementSha256, statement.body.statementSha256);
    assert.equal(lotA.body.accruedThrough, today);
    const lotB = await post('op-tess', '/v1/reserves/bills', buy('T-B', '200000'));
    assert.equal(lotB.status, 201, lotB.text);
    assert.equal(lotB.body.cost, '197735.112000');
    assert.equal(lotB.body.evidence, null);
    // The same reference again buys nothing more.
    const again = await post('op-tess', '/v1/reserves/bills', buy('T-B', '200000'));
    assert.equal(again.status, 201);
    assert.equal(
      await debitBalance('reserves:cash:bank-a'),
      parseAmount('1000000') - parseAmount('494337.78') - parseAmount('197735.112'),
    );
    assert.equal(await debitBalance('reserves:tbill:912797LB1'), parseAmount('692072.892'));

    // Judged as of today after each: the mint gate counts the bills (91 days ≤ 93).
    const { rows } = await a.f.t.db.query<{ account_code: string; eligible: boolean }>(
      'SELECT account_code, eligible FROM reserve_eligibility ORDER BY account_code',
    );
    assert.deepEqual(rows, [
      { account_code: 'reserves:cash:bank-a', eligible: true },
      { account_code: 'reserves:tbill:912797LB1', eligible: true },
    ]);
  });

  it('lists positions a page at a time, by kind, and one by id', async () => {
    const all = await get('/v1/reserves/positions');
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(
      all.body.positions.map((p: { id: string; bookValue: string }) => [p.id, p.bookValue]),
      [
        ['cash:bank-a', '307927.108000'],
        [billA, '494337.780000'],
        [billB, '197735.112000'],
      ],
    );
    assert.equal(all.body.next, null);
    const first = await get('/v1/reserves/positions?kind=tbill&limit=1');
    assert.deepEqual(
      [first.body.positions.map((p: { id: string }) => p.id), first.body.next],
      [[billA], billA],
    );
    const rest = await get(`/v1/reserves/positions?kind=tbill&limit=1&after=${billA}`);
    assert.deepEqual(
      rest.body.positions.map((p: { id: string }) => p.id),
      [billB],
    );
    const one = await get(`/v1/reserves/positions/${billA}`);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(
      [one.body.face, one.body.maturityDate, one.body.custodian],
      ['500000.000000', day(91), 'BNY Mellon'],
    );
    isProblem(await get('/v1/reserves/positions/tbill:912797LB1:NOPE'), 404, 'position-not-found');
    isProblem(await get('/v1/reserves/positions/bogus'), 400, 'request-invalid', 'id');
    isProblem(await get('/v1/reserves/positions?status=sold'), 400, 'request-invalid', 'status');
  });

  it('values the book at book, amortized and market value', async () => {
    const book = await get(`/v1/reserves/value?asOf=${today}`);
    assert.equal(book.status, 200, book.text);
    assert.deepEqual(book.body.totals, {
      value: '1000000.000000',
      byKind: { cash: '307927.108000', tbill: '692072.892000' },
      liabilities: '0.000000',
    });
    const lots = (await get('/v1/reserves/positions?kind=tbill')).body.positions.map(lotOf);
    const amortized = await get(`/v1/reserves/value?asOf=${day(30)}&basis=amortized`);
    assert.equal(amortized.status, 200, amortized.text);
    const bills = amortized.body.holdings.filter((h: { kind: string }) => h.kind === 'tbill');
    assert.deepEqual(
      bills.map((h: { value: string; daysToMaturity: number }) => [h.value, h.daysToMaturity]),
      lots.map((lot: AccretingBill) => [formatAmount(carryingValue(lot, day(30))), 61]),
    );
    // Past maturity but not yet matured: at face.
    for (const [asOf, worth, days] of [[day(100), (lot: AccretingBill) => lot.face, -9]] as const) {
      const res = await get(`/v1/reserves/value?asOf=${asOf}&basis=amortized`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.holdings
          .filter((h: { kind: string }) => h.kind === 'tbill')
          .map((h: { value: string; daysToMaturity: number }) => [h.value, h.daysToMaturity]),
        lots.map((lot: AccretingBill) => [formatAmount(worth(lot)), days]),
      );
    }
    // A past day is read from the journal; this issuer's began today, so days before are refused.
    assert.equal(book.body.computedFrom, 'ledger');
    isProblem(
      await get(`/v1/reserves/value?asOf=${day(-3)}&basis=amortized`),
      422,
      'as-of-before-issuer',
      'asOf',
    );
    isProblem(
      await get(`/v1/reserves/report?month=${day(-40).slice(0, 7)}`),
      422,
      'as-of-before-issuer',
      'month',
    );
    const market = await get(`/v1/reserves/value?asOf=${today}&basis=market`);
    assert.equal(market.status, 200, market.text);
    assert.equal(market.body.basis, 'market');
    isProblem(await get('/v1/reserves/value?basis=fair'), 400, 'request-invalid', 'basis');
  });

  it('accrues through a later day: the interest is the lots’ accretion, to the micro-dollar', async () => {
    const lots: AccretingBill[] = (
      await get('/v1/reserves/positions?kind=tbill')
    ).body.positions.map(lotOf);
    await refusedUnchanged(
      () => post('op-aud', '/v1/reserves/accrue', { through: day(30) }),
      403,
      'forbidden',
    );
    const run = await post('op-tess', '/v1/reserves/accrue', { through: day(30) });
    assert.equal(run.status, 200, run.text);
    const accreted = lots.reduce((sum, lot) => sum + carryingValue(lot, day(30)) - lot.cost, 0n);
    assert.deepEqual(run.body, {
      through: day(30),
      lots: 2,
      days: 60,
      transfers: run.body.transfers,
      amount: formatAmount(accreted),
      matured: 0,
    });
    assert.ok(run.body.transfers > 0 && run.body.transfers <= 60);
    assert.equal(await a.f.balance('income:interest'), accreted);
    const again = await post('op-tess', '/v1/reserves/accrue', { through: day(30) });
    assert.deepEqual([again.body.days, again.body.amount], [0, '0.000000']);
    const book = await get(`/v1/reserves/value?asOf=${day(30)}`);
    assert.equal(book.body.totals.value, formatAmount(parseAmount('1000000') + accreted));
  });

  it('reports the composition as JSON and as the same figures on a printable page', async () => {
    const interest = await a.f.balance('income:interest');
    const res = await get(`/v1/reserves/report?asOf=${day(30)}`);
    assert.equal(res.status, 200, res.text);
    const report = res.body;
    assert.deepEqual([report.asOf, report.basis, report.ruleset], [day(30), 'amortized', 'genius']);
    const total = formatAmount(parseAmount('1000000') + interest);
    assert.deepEqual(report.totals, {
      totalReserves: total,
      eligibleReserves: total,
      liabilities: '0.000000',
      coverageRatioPct: null,
      excess: total,
      shortfall: '0.000000',
    });
    const bills = report.categories.find(
      (c: { category: string }) => c.category === 'treasury-bill',
    );
    assert.deepEqual(bills, {
      category: 'treasury-bill',
      eligible: true,
      amount: formatAmount(parseAmount('692072.892') + interest),
      sharePct: bills.sharePct,
      averageTenorDays: '61.00',
      custody: [
        {
          custodian: 'BNY Mellon',
          jurisdiction: 'US',
          amount: formatAmount(parseAmount('692072.892') + interest),
        },
      ],
      holdings: 2,
    });
    const cash = report.categories.find((c: { category: string }) => c.category === 'bank-deposit');
    assert.equal(cash.amount, '307927.108000');
    assert.deepEqual(cash.custody, [
      { custodian: 'Bank A, N.A.', jurisdiction: 'US', amount: '307927.108000' },
    ]);

    const page = await get(`/v1/reserves/report.html?asOf=${day(30)}`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.text, reportHtml(report));
    assert.match(page.text, /^<!doctype html>/);
    assert.ok(page.text.includes(`<td>Total reserves</td><td>${dollars(total)}</td>`));
    assert.ok(page.text.includes(`<td>treasury-bill</td><td>${dollars(bills.amount)}</td>`));

    const month = day(30).slice(0, 7);
    const monthly = await get(`/v1/reserves/report?month=${month}&basis=book`);
    assert.equal(monthly.status, 200, monthly.text);
    assert.equal(monthly.body.month, month);
    assert.equal(monthly.body.asOf.slice(0, 7), month);
    isProblem(await get('/v1/reserves/report?month=2026-13'), 400, 'request-invalid', 'month');
    isProblem(
      await get(`/v1/reserves/report?month=${month}&asOf=${today}`),
      400,
      'request-invalid',
      'month',
    );
    isProblem(await a.call('GET', '/v1/reserves/report.html'), 401, 'unauthenticated');
  });

  it('sells one lot at a gain and one at a loss: income:trading and the ledger balance', async () => {
    const interestBefore = await a.f.balance('income:interest');
    const lots = new Map<string, AccretingBill>(
      (await get('/v1/reserves/positions?kind=tbill')).body.positions.map(
        (p: { id: string } & Parameters<typeof lotOf>[0]) => [p.id, lotOf(p)],
      ),
    );
    const settle = day(40);
    const daysLeft = daysBetween(settle, day(91));
    const expected = (id: string, rate: string) => {
      const lot = lots.get(id)!;
      const proceeds = billCost(lot.face, pricePer100(rate, daysLeft));
      const carrying = carryingValue(lot, settle);
      return { proceeds, carrying, gain: proceeds - carrying };
    };
    await refusedUnchanged(
      () =>
        post('op-tess', `/v1/reserves/bills/${billA}/sell`, {
          settlementDate: day(20),
          discountRatePct: '3.000',
        }),
      400,
      'reserves-invalid',
      'settlementDate',
    );
    const gainA = expected(billA, '3.000');
    assert.ok(gainA.gain > 0n);
    const soldA = await post('op-tess', `/v1/reserves/bills/${billA}/sell`, {
      settlementDate: settle,
      discountRatePct: '3.000',
    });
    assert.equal(soldA.status, 200, soldA.text);
    assert.equal(soldA.body.status, 'sold');
    assert.equal(soldA.body.bookValue, null);
    assert.deepEqual(
      [soldA.body.closeDetail.proceeds, soldA.body.closeDetail.gain],
      [formatAmount(gainA.proceeds), formatAmount(gainA.gain)],
    );
    assert.equal(await a.f.balance('income:trading'), gainA.gain);

    const lossB = expected(billB, '9.000');
    assert.ok(lossB.gain < 0n);
    const soldB = await post('op-tess', `/v1/reserves/bills/${billB}/sell`, {
      settlementDate: settle,
      discountRatePct: '9.000',
    });
    assert.equal(soldB.status, 200, soldB.text);
    assert.equal(soldB.body.closeDetail.gain, formatAmount(lossB.gain));
    const trading = gainA.gain + lossB.gain;
    assert.equal(await a.f.balance('income:trading'), trading);

    // Accrued to settlement first, then carried out at that value: the lots' account is empty,
    // and cash is the deposit, the interest and the trading result.
    const accretion = [...lots.values()].reduce(
      (sum, lot) => sum + carryingValue(lot, settle) - lot.cost,
      0n,
    );
    assert.equal(await a.f.balance('income:interest'), accretion);
    assert.ok(accretion > interestBefore);
    assert.equal(await debitBalance('reserves:tbill:912797LB1'), 0n);
    const cash = await debitBalance('reserves:cash:bank-a');
    assert.equal(
      cash,
      parseAmount('1000000') - parseAmount('692072.892') + gainA.proceeds + lossB.proceeds,
    );
    assert.equal(cash, parseAmount('1000000') + accretion + trading);

    const twice = await post('op-tess', `/v1/reserves/bills/${billA}/sell`, {
      settlementDate: settle,
      discountRatePct: '3.000',
    });
    assert.equal(twice.status, 200, twice.text);
    assert.equal(await a.f.balance('income:trading'), trading);
    await refusedUnchanged(
      () =>
        post('op-tess', '/v1/reserves/bills/tbill:912797LB1:NOPE/sell', {
          settlementDate: settle,
          discountRatePct: '3.000',
        }),
      404,
      'position-not-found',
    );
    const open = await get('/v1/reserves/positions');
    assert.deepEqual(
      open.body.positions.map((p: { id: string }) => p.id),
      ['cash:bank-a'],
    );
  });

  it('opens and closes a repo, subscribes to a fund; a redemption over the shares is refused', async () => {
    const interest = await a.f.balance('income:interest');
    const opening = {
      reference: 'R-1',
      counterparty: 'ficc',
      principal: '100000',
      ratePct: '5.31',
      startDate: today,
      maturityDate: day(1),
      bank: 'bank-a',
      collateral: [{ cusip: '912797LB1', face: '102000', maturityDate: day(91) }],
      ...custody,
    };
    const repo = await post('op-tess', '/v1/reserves/repos', opening);
    assert.equal(repo.status, 201, repo.text);
    assert.deepEqual(
      [repo.body.id, repo.body.principal, repo.body.bookValue, repo.body.collateral[0].face],
      ['repo:ficc:R-1', '100000.000000', '100000.000000', '102000.000000'],
    );
    const closed = await post('op-tess', '/v1/reserves/repos/repo:ficc:R-1/close', {});
    assert.equal(closed.status, 200, closed.text);
    // 100,000 × 5.31 % × 1 / 360 = 14.75.
    assert.deepEqual(
      [closed.body.status, closed.body.closeDetail.interest],
      ['matured', '14.750000'],
    );
    assert.equal(await a.f.balance('income:interest'), interest + parseAmount('14.75'));

    const order = (reference: string, side: string, amount: string) =>
      post('op-tess', '/v1/reserves/funds/orders', {
        reference,
        fund: 'gov-fund',
        side,
        amount,
        bank: 'bank-a',
        government: true,
        custodian: 'Fund TA',
        jurisdiction: 'US',
      });
    const subscribed = await order('M-1', 'subscribe', '50000');
    assert.equal(subscribed.status, 200, subscribed.text);
    assert.deepEqual(
      [subscribed.body.id, subscribed.body.bookValue],
      ['mmf:gov-fund', '50000.000000'],
    );
    await refusedUnchanged(() => order('M-2', 'redeem', '70000'), 409, 'reserves-refused');
    const redeemed = await order('M-3', 'redeem', '50000');
    assert.equal(redeemed.status, 200, redeemed.text);
    assert.equal(redeemed.body.bookValue, '0.000000');
  });

  it("invests only out of the issuer's own income, never out of customers' dollars (409)", async () => {
    // Tokens outstanding: a settled mint of 950,000 of the 1,000,000 deposited, posted as the
    // mint path posts it; 50,000 stays the customer's, not yet minted.
    const [fiat, supply] = await Promise.all([
      accountId(a.f.ctx.ledger, customerFiat('CUST-0001')),
      accountId(a.f.ctx.ledger, supplyAccountSpec(testChainId)),
    ]);
    const [outcome] = await a.f.ctx.ledger.submit([
      {
        type: 'transfer',
        id: uuidv7(),
        asset: usd,
        postings: [{ debit: fiat, credit: supply, amount: parseAmount('950000') as Micro }],
      },
    ]);
    assert.equal(outcome?.status, 'committed');
    const investment = {
      reference: 'I-1',
      name: 'btc',
      asset: 'bitcoin',
      amount: '100000',
      bank: 'bank-a',
      custodian: 'Coinbase Custody',
      jurisdiction: 'US',
    };
    const invest = (amount: bigint) => () =>
      post('op-tess', '/v1/reserves/investments', {
        ...investment,
        amount: formatAmount(amount),
      });
    // Owed: 950,000 of tokens and 50,000 of dollars.
    const refused = await refusedUnchanged(
      invest(parseAmount('100000')),
      409,
      'reserves-no-excess',
      'amount',
    );
    assert.match(refused.body.detail, /under liabilities × \(1 \+ 200 bp\) = 1020000\.000000/);

    // A deposit adds as much to what is owed as to the reserves: still no excess.
    const more = await post('op-tess', '/v1/deposits', {
      reference: 'WIRE-2',
      bank: 'bank-a',
      amount: '200000',
      customerId: 'CUST-0001',
      bookingDate: today,
    });
    assert.equal(more.status, 201, more.text);
    const again = await refusedUnchanged(
      invest(parseAmount('100000')),
      409,
      'reserves-no-excess',
      'amount',
    );
    assert.match(again.body.detail, /= 1224000\.000000/);

    // The excess over what is owed is the issuer's income: interest and trading, so far.
    const income =
      (await a.f.balance('income:interest')) +
      (await a.f.balance('income:trading')) +
      (await a.f.balance('income:fees'));
    assert.ok(income > 0n, `income ${income}`);
    // One treasurer cannot lower the buffer: it is not a request's to set.
    await refusedUnchanged(
      () =>
        post('op-tess', '/v1/reserves/investments', {
          ...investment,
          amount: formatAmount(income),
          bufferBps: 0,
        }),
      400,
      'request-invalid',
      'bufferBps',
    );
    // A policy adopted with a buffer of 0 (as a quorum would adopt it: governance.test.ts).
    await currentPolicy(a.f.t.db);
    await a.f.t.db.query(
      `UPDATE policies SET document = jsonb_set(document, '{reserves}', '{"investBufferBps": 0}') WHERE status = 'adopted'`,
    );
    await refusedUnchanged(invest(income + 1n), 409, 'reserves-no-excess', 'amount');
    // Proposed, it waits: nothing moves until another person approves and it is executed.
    const proposed = await invest(income)();
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.status, 'pending-approval');
    assert.equal(proposed.body.approvalsRequired, 1);
    const id: string = proposed.body.id;
    assert.equal(
      proposed.body.intentText,
      `invest ${groupThousands(formatAmount(income))} USD from bank bank-a in bitcoin btc, held by "Coinbase Custody" in US, statement none, reference I-1, request ${id}`,
    );
    // The same reference again is the same request; with other terms it is refused.
    const again2 = await invest(income)();
    assert.equal(again2.status, 201, again2.text);
    assert.equal(again2.body.id, id);
    await refusedUnchanged(invest(income - 1n), 409, 'investment-reference-taken', 'reference');
    const execute = (operator: string) =>
      post(operator, `/v1/reserves/investments/${id}/execute`, {});
    await refusedUnchanged(() => execute('op-tess'), 409, 'investment-not-approved');
    // The maker never approves their own request, even holding the approver role.
    const sign = (operator: string) =>
      signApproval(proposed.body.intent, a.approverKeys[operator]!.privateKey, operator);
    await refusedUnchanged(
      () =>
        post('op-ann', `/v1/reserves/investments/${id}/approvals`, { approval: sign('op-bob') }),
      403,
      'approval-not-yours',
    );
    const approved = await post('op-ann', `/v1/reserves/investments/${id}/approvals`, {
      approval: sign('op-ann'),
    });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.status, 'approved');
    assert.deepEqual(
      approved.body.approvals.map((x: { approverId: string }) => x.approverId),
      ['op-ann'],
    );
    // Executing needs a treasurer's key; an approver's is refused.
    await refusedUnchanged(() => execute('op-ann'), 403, 'forbidden');
    const made = await execute('op-tess');
    assert.equal(made.status, 200, made.text);
    assert.equal(made.body.status, 'executed');
    assert.equal(made.body.positionId, 'investment:btc');
    await refusedUnchanged(() => execute('op-tess'), 409, 'investment-not-approved');
    const position = await get('/v1/reserves/positions/investment:btc');
    assert.equal(position.status, 200, position.text);
    assert.deepEqual(
      [position.body.id, position.body.kind, position.body.asset, position.body.bookValue],
      ['investment:btc', 'investment', 'bitcoin', formatAmount(income)],
    );
    const judged = await get(`/v1/reserves/eligibility?asOf=${today}`);
    assert.equal(judged.status, 200, judged.text);
    assert.deepEqual(judged.body.ineligible, [
      {
        assetClass: 'bitcoin',
        amount: formatAmount(income),
        holdings: ['investment:btc'],
        reason: judged.body.ineligible[0].reason,
      },
    ]);
    assert.equal(judged.body.totals.liabilities, '950000.000000');
    const { rows } = await a.f.t.db.query<{ eligible: boolean }>(
      `SELECT eligible FROM reserve_eligibility WHERE account_code = 'investments:btc'`,
    );
    assert.deepEqual(rows, [{ eligible: false }]);
  });

  it('judges by MiCA on request, with the fee schedule of the policy in force', async () => {
    const mica = await get(`/v1/reserves/eligibility?asOf=${today}&ruleset=mica&significant=true`);
    assert.equal(mica.status, 200, mica.text);
    assert.equal(mica.body.ruleset, 'mica');
    const fee = mica.body.rules.find((r: { type: string }) => r.type === 'no-fee-redemption');
    assert.equal(fee.outcome, 'fail');
    assert.deepEqual(fee.figures, { feeBps: '10', feeMin: '0.000000', feeMax: '1000.000000' });
    const judge = await post('op-tess', '/v1/reserves/judge', { asOf: today });
    assert.equal(judge.status, 200, judge.text);
    assert.equal(judge.body.ruleset, 'genius');
    await refusedUnchanged(() => post('op-aud', '/v1/reserves/judge', {}), 403, 'forbidden');
  });

  it('judges by the configured ruleset and context (MiCA, significant) as it reports', async () => {
    const m = await apiFixture('pglite', {
      reserves: {
        ...shippedReserveDeps(),
        ruleset: loadRuleset('mica'),
        context: { significant: true },
      },
    });
    try {
      const call = (method: 'GET' | 'POST', path: string, json?: unknown) =>
        m.call(method, path, { key: m.keys['op-tess']!, ...(json === undefined ? {} : { json }) });
      const judged = await call('POST', '/v1/reserves/judge', { asOf: today });
      assert.equal(judged.status, 200, judged.text);
      const reported = await call('GET', `/v1/reserves/eligibility?asOf=${today}`);
      assert.equal(reported.status, 200, reported.text);
      assert.equal(judged.body.ruleset, 'mica');
      assert.deepEqual(judged.body, reported.body);
      const rule = (type: string) =>
        judged.body.rules.find((r: { type: string }) => r.type === type);
      // The policy's fee (10 bp) is read: MiCA's no-fee rule fails on it.
      assert.deepEqual(
        [rule('no-fee-redemption').outcome, rule('no-fee-redemption').figures.feeBps],
        ['fail', '10'],
      );
    } finally {
      await m.close();
    }
  });

  it('verifies statements of a custodian whose key is configured (admin only)', async () => {
    const key = ed25519.keygen();
    const publicKey = bytesToHex(key.publicKey);
    await refusedUnchanged(
      () =>
        post('op-tess', '/v1/reserves/custodian-keys', { custodian: 'Acme Custody', publicKey }),
      403,
      'forbidden',
    );
    const set = await post('op-adam', '/v1/reserves/custodian-keys', {
      custodian: 'Acme Custody',
      publicKey,
    });
    assert.equal(set.status, 200, set.text);
    const file = new TextEncoder().encode('Acme Custody statement 2026-11');
    await refusedUnchanged(
      () =>
        post('op-tess', '/v1/reserves/statements', {
          custodian: 'Acme Custody',
          sha256: bytesToHex(sha256(file)),
        }),
      422,
      'statement-unsigned',
      'signature',
    );
    const signed = await post('op-tess', '/v1/reserves/statements', {
      custodian: 'Acme Custody',
      bytes: Buffer.from(file).toString('base64'),
      signature: bytesToHex(ed25519.sign(file, key.secretKey)),
    });
    assert.equal(signed.status, 201, signed.text);
    assert.equal(signed.body.signatureVerified, true);
    await refusedUnchanged(
      () => post('op-tess', '/v1/reserves/statements', { custodian: 'Acme Custody' }),
      400,
      'statement-invalid',
      'sha256',
    );
  });

  it('names the field and the rule of a malformed body, and changes nothing', async () => {
    const number = await refusedUnchanged(
      () => post('op-tess', '/v1/reserves/bills', buy('T-X', '1', { face: 1000 })),
      400,
      'request-invalid',
      'face',
    );
    assert.match(number.body.rule, /expected string, received number/);
    const { settlementDate: _, ...missing } = buy('T-X', '1');
    await refusedUnchanged(
      () => post('op-tess', '/v1/reserves/bills', missing),
      400,
      'request-invalid',
      'settlementDate',
    );
    const digit = await refusedUnchanged(
      () => post('op-tess', '/v1/reserves/bills', buy('T-X', '1', { cusip: '912797LB2' })),
      400,
      'reserves-invalid',
      'cusip',
    );
    assert.match(digit.body.rule, /check digit/);
    // Lots the accrual could not carry: refused before anything is booked.
    const { discountRatePct: __, ...byCost } = buy('T-X', '1000');
    await refusedUnchanged(
      () =>
        post('op-tess', '/v1/reserves/bills', { ...byCost, cost: '990', maturityDate: day(400) }),
      400,
      'reserves-invalid',
      'maturityDate',
    );
    await refusedUnchanged(
      () => post('op-tess', '/v1/reserves/bills', { ...byCost, cost: '400' }),
      400,
      'reserves-invalid',
      'cost',
    );
    await refusedUnchanged(
      () =>
        post('op-tess', '/v1/reserves/bills', {
          ...buy('T-X', '1000'),
          discountRatePct: '60',
          maturityDate: day(360),
        }),
      400,
      'reserves-invalid',
      'cost',
    );
    await refusedUnchanged(
      () => post('op-tess', '/v1/reserves/bills', buy('T-X', '100000000')),
      409,
      'reserves-cash-short',
      'bank',
    );
    await refusedUnchanged(
      () => post('op-aud', '/v1/reserves/bills', buy('T-X', '1')),
      403,
      'forbidden',
    );
    await refusedUnchanged(
      () => post('op-tess', '/v1/reserves/repos', { reference: 'R-2' }),
      400,
      'request-invalid',
    );
  });

  it('documents every reserve route, the page as text/html', async () => {
    const doc = (await a.call('GET', '/openapi.json')).body;
    const page = doc.paths['/v1/reserves/report.html'].get;
    assert.deepEqual(Object.keys(page.responses['200'].content), ['text/html']);
    for (const path of [
      '/v1/reserves/banks',
      '/v1/reserves/statements',
      '/v1/reserves/custodian-keys',
      '/v1/reserves/bills',
      '/v1/reserves/bills/{id}/sell',
      '/v1/reserves/repos',
      '/v1/reserves/repos/{id}/close',
      '/v1/reserves/funds/orders',
      '/v1/reserves/investments',
      '/v1/reserves/accrue',
      '/v1/reserves/judge',
    ])
      assert.ok(doc.paths[path]?.post, path);
    for (const path of [
      '/v1/reserves/positions',
      '/v1/reserves/positions/{id}',
      '/v1/reserves/value',
      '/v1/reserves/eligibility',
      '/v1/reserves/report',
      '/v1/reserves/price',
    ])
      assert.ok(doc.paths[path]?.get, path);
  });
});
