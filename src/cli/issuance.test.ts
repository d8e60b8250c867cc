/**
 * The API commands of the CLI against a real server: the app on a fresh database, served on
 * 127.0.0.1 (port 0) in this process, driven through each command's `run(args, io)` over HTTP
 * with the operators' API keys from the environment, as an operator runs them. One case uses a
 * fake server that shows one intent and asks a signature for another.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serveTestApp, type TestServer } from '../api/testing.ts';
import { addDays, newYorkDate } from '../calendar.ts';
import type { Config } from '../config.ts';
import { actorForApiKey, createOperator } from '../issuance/operators.ts';
import { type IssuanceFixture, issuanceFixture } from '../issuance/testing.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { parseAmount } from '../money/money.ts';
import { openDatabase } from '../storage/open.ts';
import { receiveIncome } from '../treasury/testing.ts';
import { accountId, incomeInterest, reservesCash, usd } from '../workflow/accounts.ts';
import type { Command } from './io.ts';
import { commands, main } from './main.ts';
import { runCommand } from './testing.ts';

const chainId = '31337';
const token = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const wallet = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const fixture = (name: string) =>
  fileURLToPath(new URL(`../issuance/fixtures/${name}`, import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'clearpeg-cli-api-'));
const config: Config = { dataDir: dir, databaseUrl: undefined, host: '127.0.0.1', port: 1 };
const savedEnv = { url: process.env.CLEARPEG_URL, key: process.env.CLEARPEG_API_KEY };
after(() => {
  for (const [name, value] of [
    ['CLEARPEG_URL', savedEnv.url],
    ['CLEARPEG_API_KEY', savedEnv.key],
  ] as const)
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON read by tests
  json(): any;
}

/** The command `name` as `clearpeg` finds it. */
async function command(name: string): Promise<Command> {
  const found = commands.find((c) => c.name === name);
  assert.ok(found, `clearpeg ${name} is registered`);
  return found.load();
}

/** Runs the command `name` with `args` against `url` as the holder of `apiKey` (none: undefined). */
async function runAt(
  url: string,
  apiKey: string | undefined,
  name: string,
  ...args: string[]
): Promise<Run> {
  process.env.CLEARPEG_URL = url;
  if (apiKey === undefined) delete process.env.CLEARPEG_API_KEY;
  else process.env.CLEARPEG_API_KEY = apiKey;
  const run = await runCommand(await command(name), args, config);
  return { ...run, json: () => JSON.parse(run.out) };
}

/** Runs a command on this machine only (no server, no key). */
const local = (name: string, ...args: string[]) => runAt('', undefined, name, ...args);

/** A run that must succeed. */
function ok(run: Run): Run {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.err}`);
  return run;
}

describe('the API commands, over HTTP against a running server', () => {
  let f: IssuanceFixture;
  let server: TestServer;
  let url: string;
  /** API keys by operator id. */
  const keys: Record<string, string> = {};
  /** Approver key files by operator id. */
  const keyFiles: Record<string, string> = {};
  const as = (operator: string, name: string, ...args: string[]) =>
    runAt(url, keys[operator], name, ...args);

  before(async () => {
    f = await issuanceFixture();
    for (const approver of ['op-ann', 'op-bob']) {
      keyFiles[approver] = join(dir, `${approver}.json`);
      const made = ok(
        await local('approver keygen', '--id', approver, '--out', keyFiles[approver]!, '--json'),
      ).json();
      keys[approver] = (
        await createOperator(f.t.db, {
          id: approver,
          name: approver,
          roles: ['approver'],
          approvalKey: made.publicKey,
        })
      ).apiKey;
    }
    for (const [id, role] of [
      ['op-tess', 'treasurer'],
      ['op-cora', 'compliance'],
      ['op-adam', 'admin'],
    ] as const)
      keys[id] = (await createOperator(f.t.db, { id, name: id, roles: [role] })).apiKey;
    await f.t.db.query(
      `INSERT INTO chain_tokens (chain_id, address, deploy_block, deploy_request_id, recorded_at_us) VALUES ($1, $2, 0, NULL, 0)`,
      [Number(chainId), token],
    );
    server = await serveTestApp(f.ctx);
    url = server.url;
  });
  after(async () => {
    await server.close();
    await f.close();
  });

  it('approver keygen writes a key file only its owner reads, and never overwrites one', async () => {
    assert.equal(statSync(keyFiles['op-ann']!).mode & 0o777, 0o600);
    await assert.rejects(local('approver keygen', '--id', 'op-ann', '--out', keyFiles['op-ann']!), {
      code: 'approver-key-file-unwritable',
    });
    await assert.rejects(local('approver keygen', '--id', 'Ann', '--out', join(dir, 'x.json')), {
      name: 'UsageError',
    });
  });

  it('customers: create, KYC, a wallet; show and list, in words and as JSON', async () => {
    const created = ok(
      await as('op-cora', 'customers create', '--id', 'CUST-0001', '--name', 'Acme Treasury LLC'),
    );
    assert.match(created.out, /^customer CUST-0001 "Acme Treasury LLC"\n {2}kyc {6}pending/);
    ok(await as('op-cora', 'customers kyc', 'CUST-0001', '--state', 'approved'));
    const registered = ok(
      await as('op-cora', 'customers wallet', 'CUST-0001', '--chain', chainId, '--address', wallet),
    );
    assert.equal(registered.out, `wallet ${wallet} on chain 31337 registered for CUST-0001`);
    const shown = ok(await as('op-tess', 'customers show', 'CUST-0001', '--json')).json();
    assert.deepEqual(shown, {
      id: 'CUST-0001',
      name: 'Acme Treasury LLC',
      kyc: 'approved',
      fiatBalance: '0.000000',
      wallets: [{ chainId: 31337, address: wallet }],
    });
    const listed = ok(await as('op-tess', 'customers list', '--json')).json();
    assert.deepEqual(
      listed.customers.map((c: { id: string }) => c.id),
      ['CUST-0001'],
    );
    assert.match(ok(await as('op-tess', 'customers list')).out, /^CUST-0001 +kyc approved/);
    await assert.rejects(as('op-cora', 'customers kyc', 'CUST-0001', '--state', 'done'), {
      name: 'UsageError',
    });
  });

  it('a problem answer is printed as its type, detail, field and rule, with exit 1', async () => {
    const missing = await as('op-tess', 'customers show', 'CUST-9999');
    assert.equal(missing.code, 1);
    assert.equal(missing.out, '');
    assert.equal(
      missing.err,
      'error /problems/customer-not-found: no customer CUST-9999 (field customerId, rule a known customer)',
    );
    const bad = await as('op-tess', 'customers show', 'cust-1');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^error \/problems\/request-invalid: id: .* \(field id, rule 3 to 32/);
    const forbidden = await as('op-ann', 'deposits add', ...deposit('WIRE-X', '1'));
    assert.match(forbidden.err, /^error \/problems\/forbidden: op-ann may not record deposits/);
    const unknownKey = await runAt(url, 'ck_0000.nope', 'customers list');
    assert.match(unknownKey.err, /^error \/problems\/unauthenticated: /);
    assert.doesNotMatch(unknownKey.err, /ck_0000/, 'the key is never printed');
  });

  it('deposits: a line entered by hand, camt.053 statements imported, listed', async () => {
    const added = ok(await as('op-tess', 'deposits add', ...deposit('WIRE-1', '5000000')));
    assert.match(
      added.out,
      /^deposit WIRE-1 \(bank-a, 2026-11-20\) 5000000\.000000 to CUST-0001: created, ledger transfer [0-9a-f-]{36}$/,
    );
    const again = ok(
      await as('op-tess', 'deposits add', ...deposit('WIRE-1', '5000000'), '--json'),
    );
    assert.equal(again.json().status, 'duplicate', 'a fresh Idempotency-Key: the server decides');
    const v08 = ok(
      await as('op-tess', 'deposits import', fixture('camt053-v08-sample.xml'), '--bank', 'bank-b'),
    );
    assert.match(
      v08.out,
      /^1 statements: 5 deposits created \(4 to suspense\), 0 recorded before, 4 lines skipped\ndeposit FW26030200417 \(bank-b, /,
    );
    // biome-ignore lint/suspicious/noExplicitAny: JSON read by tests
    const v02: any[] = [];
    for (let n = 0; n < 2; n++) {
      const path = fixture('camt053-v02-sample.xml');
      v02.push(
        ok(await as('op-tess', 'deposits import', path, '--bank', 'bank-c', '--json')).json(),
      );
    }
    assert.equal(v02[0].statements, 1);
    assert.ok(v02[0].created > 0);
    assert.deepEqual([v02[1].created, v02[1].duplicates], [0, v02[0].created], 'imported once');
    const mine = ok(
      await as('op-tess', 'deposits list', '--customer', 'CUST-0001', '--json'),
    ).json();
    assert.deepEqual(
      mine.deposits.map((d: { reference: string; source: string }) => [d.reference, d.source]),
      [
        ['FW26030200417', 'camt053'],
        ['WIRE-1', 'manual'],
      ],
    );
    const page = ok(await as('op-tess', 'deposits list', '--limit', '2'));
    assert.match(page.out, /\nmore: --after \S+$/);
    await assert.rejects(as('op-tess', 'deposits add', ...deposit('WIRE-2', '1.0000001')), {
      code: 'amount-invalid',
    });
  });

  let mintId: string;
  it('mint: request, two approvers sign with their key files, approved', async () => {
    const requested = ok(
      await as(
        'op-tess',
        'mint request',
        ...customerOnChain,
        '--to',
        wallet,
        '--amount',
        '2000000',
        '--json',
      ),
    ).json();
    mintId = requested.id;
    assert.equal(requested.status, 'pending-approval');
    assert.equal(requested.approvalsRequired, 2);
    const first = ok(await as('op-ann', 'mint approve', mintId, '--key', keyFiles['op-ann']!));
    assert.ok(
      first.out.startsWith(
        `signing as op-ann: mint 2,000,000.000000 USD to ${wallet} on chain 31337 for customer CUST-0001, request ${mintId} (token ${token})\nmint ${mintId}: pending-approval`,
      ),
      first.out,
    );
    assert.match(first.out, /approved by op-ann at .*\n {2}1 of 2 approvals/);
    const second = ok(
      await as('op-bob', 'mint approve', mintId, '--key', keyFiles['op-bob']!, '--json'),
    );
    assert.match(second.err, /^signing as op-bob: mint 2,000,000\.000000 USD/);
    assert.equal(second.json().status, 'approved');
    const status = ok(await as('op-tess', 'mint status', mintId, '--json')).json();
    assert.equal(status.status, 'approved');
    assert.deepEqual(
      status.approvals.map((a: { approverId: string }) => a.approverId),
      ['op-ann', 'op-bob'],
    );
    assert.match(
      ok(await as('op-tess', 'mint status', mintId)).out,
      /^mint \S+: approved\n {2}mint 2,000,000\.000000 USD/,
    );
    const listed = ok(await as('op-tess', 'mint list', '--status', 'approved', '--json')).json();
    assert.deepEqual(
      listed.mints.map((m: { id: string }) => m.id),
      [mintId],
    );
    // Signed again (its first answer lost, say): the same signature, counted once.
    const twice = ok(
      await as('op-ann', 'mint approve', mintId, '--key', keyFiles['op-ann']!, '--json'),
    ).json();
    assert.equal(twice.status, 'approved');
    assert.deepEqual(
      twice.approvals.map((a: { approverId: string }) => a.approverId),
      ['op-ann', 'op-bob'],
    );
    const notYours = await as('op-bob', 'mint approve', mintId, '--key', keyFiles['op-ann']!);
    assert.match(notYours.err, /^error \/problems\/approval-not-yours: /);
  });

  it('redeem: the redemption address and the fee; status and list', async () => {
    const quoted = ok(
      await as('op-tess', 'redeem address', ...customerOnChain, '--amount', '5000000', '--json'),
    ).json();
    assert.match(quoted.redemptionAddress, /^0x[0-9a-f]{40}$/);
    assert.deepEqual([quoted.fee, quoted.net], ['1000.000000', '4999000.000000']);
    const words = ok(await as('op-tess', 'redeem address', ...customerOnChain));
    assert.match(
      words.out,
      new RegExp(`^send tokens to ${quoted.redemptionAddress} on chain 31337 .*\n {2}fee 10 bps`),
    );
    assert.equal(
      ok(await as('op-tess', 'redeem list', '--customer', 'CUST-0001')).out,
      'no redemptions',
    );
    const none = await as('op-tess', 'redeem status', uuidv7());
    assert.equal(none.code, 1);
    assert.match(none.err, /^error \/problems\/redemption-not-found: /);
  });

  it('payouts: made by a treasurer, approved by a checker, sent; another cancelled', async () => {
    const fiat = async () =>
      parseAmount(
        ok(await as('op-tess', 'customers show', 'CUST-0001', '--json')).json().fiatBalance,
      );
    const before = await fiat();
    const made = ok(
      await as(
        'op-tess',
        'payouts create',
        ...payout('1000000', 'Acme Treasury LLC, IBAN DE89370400440532013000'),
      ),
    );
    const id = /^payout (\S+): pending-approval/.exec(made.out)![1]!;
    const approved = ok(await as('op-ann', 'payouts approve', id, '--key', keyFiles['op-ann']!));
    assert.match(
      approved.out,
      /^signing as op-ann: payout amount 1,000,000\.000000, asset USD, bank bank-a, beneficiary "Acme Treasury LLC, IBAN DE89370400440532013000", customerId CUST-0001, redemptionId none, request \S+\npayout \S+: approved/,
    );
    const sent = ok(
      await as('op-tess', 'payouts sent', id, '--bank-reference', 'FED-20261122-0042', '--json'),
    ).json();
    assert.deepEqual([sent.status, sent.bankReference], ['sent', 'FED-20261122-0042']);
    assert.match(
      ok(await as('op-tess', 'payouts status', id)).out,
      /\n {2}sent: bank reference FED-20261122-0042/,
    );
    const other = ok(
      await as('op-tess', 'payouts create', ...payout('1', 'Acme'), '--json'),
    ).json();
    const cancelled = ok(
      await as('op-tess', 'payouts cancel', other.id, '--reason', 'wrong beneficiary'),
    );
    assert.match(
      cancelled.out,
      /^payout \S+: cancelled\n[\s\S]*\n {2}cancelled: wrong beneficiary$/,
    );
    const listed = ok(await as('op-tess', 'payouts list', '--status', 'sent', '--json')).json();
    assert.deepEqual(
      listed.payouts.map((p: { id: string }) => p.id),
      [id],
    );
    assert.equal(await fiat(), before - parseAmount('1000000'), 'sent: posted; cancelled: voided');
    const tooMuch = await as('op-tess', 'payouts create', ...payout('100000000', 'Acme'));
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.err, /^error \/problems\/payout-exceeds-balance: .* \(field amount, rule/);
  });

  it('investments: proposed by a treasurer, signed by an approver, executed; another cancelled', async () => {
    // The issuer's own income, in cash: an excess over everything owed to invest.
    await receiveIncome(f, parseAmount('3000000'));
    const propose = (reference: string, amount: string, ...more: string[]) =>
      as(
        'op-tess',
        'investments propose',
        ...['--reference', reference, '--name', 'btc', '--asset', 'bitcoin'],
        ...['--amount', amount, '--bank', 'bank-a', '--custodian', 'Coinbase Custody'],
        ...['--jurisdiction', 'US', ...more],
      );
    const made = ok(await propose('I-1', '1000'));
    const id = /^investment (\S+): pending-approval/.exec(made.out)![1]!;
    assert.match(made.out, /\napprovers: clearpeg investments approve \S+ --key FILE$/);
    const early = await as('op-tess', 'investments execute', id);
    assert.equal(early.code, 1);
    assert.match(early.err, /^error \/problems\/investment-not-approved: /);
    const approved = ok(
      await as('op-ann', 'investments approve', id, '--key', keyFiles['op-ann']!),
    );
    assert.match(
      approved.out,
      /^signing as op-ann: invest 1,000\.000000 USD from bank bank-a in bitcoin btc, held by "Coinbase Custody" in US, statement none, reference I-1, request \S+\ninvestment \S+: approved/,
    );
    const executed = ok(await as('op-tess', 'investments execute', id, '--json')).json();
    assert.deepEqual([executed.status, executed.positionId], ['executed', 'investment:btc']);
    assert.match(
      ok(await as('op-tess', 'investments status', id)).out,
      /\n {2}executed at \S+: position investment:btc$/,
    );
    assert.equal(await f.balance('investments:btc'), -parseAmount('1000'));
    const other = ok(await propose('I-2', '1', '--json')).json();
    ok(await as('op-ann', 'investments cancel', other.id, '--reason', 'not now'));
    const listed = ok(
      await as('op-tess', 'investments list', '--status', 'executed', '--json'),
    ).json();
    assert.deepEqual(
      listed.investments.map((i: { id: string }) => i.id),
      [id],
    );
    const tooMuch = await propose('I-3', '100000000');
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.err, /^error \/problems\/reserves-no-excess: .* \(field amount, rule/);
  });

  it("expenses: an operating cost and a partner's share, proposed, signed, paid out of excess", async () => {
    await f.t.db.query(
      `UPDATE policies SET document = jsonb_set(document, '{revenueShare}', '[{"partner": "acme-wallet", "shareBps": 2500}]') WHERE status = 'adopted'`,
    );
    const yesterday = addDays(newYorkDate(), -1);
    // Yesterday's interest, posted today and dated by its business day: 25 % of it is due.
    const [cash, interest] = [
      await accountId(f.ctx.ledger, reservesCash('bank-a')),
      await accountId(f.ctx.ledger, incomeInterest),
    ];
    const [accrued] = await f.ctx.ledger.submit([
      {
        type: 'transfer',
        id: uuidv7(),
        asset: usd,
        postings: [{ debit: cash, credit: interest, amount: parseAmount('100000') }],
        metadata: { 'reserves.day': yesterday },
      },
    ]);
    assert.equal(accrued?.status, 'committed');
    const propose = (purpose: string, reference: string, name: string, ...more: string[]) =>
      as(
        'op-tess',
        'expenses propose',
        ...['--purpose', purpose, '--reference', reference, '--name', name],
        ...['--amount', '2500', '--bank', 'bank-a', '--payee', 'Payee LLC', '--jurisdiction', 'US'],
        ...more,
      );
    const paid: string[] = [];
    for (const [purpose, reference, name, ...more] of [
      ['operating', 'INV-7', 'audit'],
      [
        'distribution',
        'DIST-1',
        'acme-wallet',
        '--period-from',
        yesterday,
        '--period-to',
        yesterday,
      ],
    ] as const) {
      const made = ok(await propose(purpose, reference, name, ...more));
      const id = new RegExp(`^expense \\(${purpose}\\) (\\S+): pending-approval`).exec(
        made.out,
      )![1]!;
      assert.match(made.out, /\napprovers: clearpeg expenses approve \S+ --key FILE$/);
      const approved = ok(await as('op-ann', 'expenses approve', id, '--key', keyFiles['op-ann']!));
      assert.match(
        approved.out,
        new RegExp(
          `^signing as op-ann: expense amount 2,500\\.000000, bank bank-a, currency USD, jurisdiction US, name ${name}, payee "Payee LLC", period \\S+, purpose ${purpose}, reference ${reference}, request ${id}`,
        ),
      );
      const executed = ok(await as('op-tess', 'expenses execute', id, '--json')).json();
      assert.deepEqual([executed.status, executed.positionId], ['executed', null]);
      assert.equal(await f.balance(`expenses:${purpose}:${name}`), -parseAmount('2500'));
      paid.push(id);
    }
    // The partner's share for that day is paid: a second request for it is refused when paid.
    const again = ok(
      await propose(
        'distribution',
        'DIST-2',
        'acme-wallet',
        '--period-from',
        yesterday,
        '--period-to',
        yesterday,
        '--json',
      ),
    ).json();
    ok(await as('op-ann', 'expenses approve', again.id, '--key', keyFiles['op-ann']!));
    const twice = await as('op-tess', 'expenses execute', again.id);
    assert.equal(twice.code, 1);
    assert.match(
      twice.err,
      /^error \/problems\/distribution-period-booked: .* \(field period, rule/,
    );
    assert.equal(await f.balance('expenses:distribution:acme-wallet'), -parseAmount('2500'));
    const greedy = await propose(
      'distribution',
      'DIST-4',
      'acme-wallet',
      ...['--period-from', yesterday, '--period-to', yesterday, '--amount', '25000.000001'],
    );
    assert.equal(greedy.code, 1);
    assert.match(
      greedy.err,
      /^error \/problems\/reserves-invalid: amount must be at most what acme-wallet is due for \S+: 22500\.000000 \(2500 bp of reserve income, less 2500\.000000 paid\)/,
    );
    const stranger = await propose(
      'distribution',
      'DIST-3',
      'nobody',
      '--period-from',
      yesterday,
      '--period-to',
      yesterday,
    );
    assert.equal(stranger.code, 1);
    assert.match(stranger.err, /^error \/problems\/reserves-invalid: .*\(field partner, rule/);
    const listed = ok(
      await as('op-tess', 'expenses list', '--status', 'executed', '--json'),
    ).json();
    assert.deepEqual(
      listed.investments.map((i: { id: string }) => i.id),
      [...paid].reverse(),
    );
    const operating = ok(
      await as('op-tess', 'expenses list', '--purpose', 'operating', '--json'),
    ).json();
    assert.deepEqual(
      operating.investments.map((i: { purpose: string }) => i.purpose),
      ['operating'],
    );
    const investments = ok(await as('op-tess', 'investments list', '--json')).json();
    assert.ok(
      investments.investments.every((i: { purpose: string }) => i.purpose === 'investment'),
    );
  });

  it('breakers and changes: trip at once, clear under quorum; an operator added by change', async () => {
    const tripped = ok(
      await as('op-cora', 'breakers trip', 'mint:31338', '--reason', 'bank under review'),
    );
    assert.match(tripped.out, /^breaker mint:31338 tripped/);
    const listed = ok(await as('op-tess', 'breakers list', '--json')).json();
    assert.deepEqual(
      listed.breakers.map((b: { name: string }) => b.name),
      ['mint:31338'],
    );
    const clear = await proposeAs('breaker.clear', { name: 'mint:31338' });
    const signed = ok(await as('op-ann', 'changes approve', clear, '--key', keyFiles['op-ann']!));
    assert.match(
      signed.out,
      new RegExp(
        `^change ${clear}: breaker.clear with the body\n {4}\\{\n {6}"name": "mint:31338"\n {4}\\}\nsigning as op-ann: change action breaker.clear, bodySha256 [0-9a-f]{64}, request ${clear}`,
      ),
    );
    ok(await as('op-bob', 'changes approve', clear, '--key', keyFiles['op-bob']!));
    assert.equal(
      ok(await as('op-tess', 'changes status', clear, '--json')).json().status,
      'adopted',
    );
    assert.equal(ok(await as('op-tess', 'breakers list')).out, 'no breakers');

    const newKey = ok(await local('operator keygen', '--json')).json();
    assert.match(newKey.apiKey, /^ck_[0-9a-f]{16}\./);
    const add = await proposeAs('operator.add', {
      id: 'op-newt',
      name: 'Newt',
      roles: ['auditor'],
      apiKeySha256: newKey.apiKeySha256,
    });
    for (const approver of ['op-ann', 'op-bob'])
      ok(await as(approver, 'changes approve', add, '--key', keyFiles[approver]!));
    const changes = ok(await as('op-tess', 'changes list', '--json')).json();
    assert.deepEqual(
      changes.changes.map((c: { status: string }) => c.status),
      ['adopted', 'adopted'],
    );
    ok(await runAt(url, newKey.apiKey, 'customers list'));
  });

  /** Proposes a change as the admin from a body file; returns its id. */
  async function proposeAs(action: string, body: unknown): Promise<string> {
    const file = join(dir, `${action}.json`);
    writeFileSync(file, JSON.stringify(body));
    const proposed = ok(
      await as('op-adam', 'changes propose', '--action', action, '--body-file', file, '--json'),
    ).json();
    assert.equal(proposed.status, 'pending-approval');
    return proposed.id;
  }

  it('retries a POST on purpose with --idempotency-key: the first answer again, once', async () => {
    const retry = ['--idempotency-key', `cli-test-${uuidv7()}`];
    const first = ok(await as('op-tess', 'deposits add', ...deposit('WIRE-9', '7'), ...retry));
    const second = ok(await as('op-tess', 'deposits add', ...deposit('WIRE-9', '7'), ...retry));
    assert.equal(second.out, first.out);
    assert.match(first.out, /: created,/, 'replayed, not recorded again as a duplicate');
    const other = await as('op-tess', 'deposits add', ...deposit('WIRE-10', '7'), ...retry);
    assert.equal(other.code, 1);
    assert.match(other.err, /^error \/problems\/idempotency-key-reused: /);
  });

  it('refuses to run without an API key, and names a server that does not answer', async () => {
    await assert.rejects(runAt(url, undefined, 'customers list'), { code: 'api-key-missing' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(
      runAt(
        `http://127.0.0.1:${port}`,
        keys['op-tess'],
        'deposits add',
        ...deposit('WIRE-11', '1'),
        '--idempotency-key',
        'k-1',
      ),
      (error: Error & { code: string }) =>
        error.code === 'server-unreachable' &&
        /ECONNREFUSED.*clearpeg serve.*retry with --idempotency-key k-1$/.test(error.message),
    );
  });

  it('refuses to sign when the server shows one intent and asks a signature for another', async () => {
    const real = ok(await as('op-tess', 'mint status', mintId, '--json')).json();
    const fake = await fakeServer({
      ...real,
      status: 'pending-approval',
      intent: { ...real.intent, to: '0x000000000000000000000000000000000000dead' },
    });
    try {
      await assert.rejects(
        runAt(fake.url, keys['op-ann'], 'mint approve', mintId, '--key', keyFiles['op-ann']!),
        (error: Error & { code: string; field: string }) =>
          error.code === 'intent-mismatch' &&
          error.field === 'intent.to' &&
          error.message.includes(
            `to: server "0x000000000000000000000000000000000000dead", rebuilt "${wallet}"`,
          ),
      );
      // As the operator sees it, through the whole CLI.
      process.env.CLEARPEG_API_KEY = keys['op-ann'];
      process.env.CLEARPEG_URL = fake.url;
      const err: string[] = [];
      const code = await main(['mint', 'approve', mintId, '--key', keyFiles['op-ann']!], {
        out: () => {},
        err: (line) => err.push(line),
      });
      assert.equal(code, 1);
      assert.match(err.join('\n'), /^clearpeg mint approve: the server's intent for mint request /);
      assert.deepEqual(fake.posts, [], 'nothing was signed or sent');
    } finally {
      await fake.close();
    }
    const shows = await fakeServer({ ...real, intentText: 'mint 1.000000 USD to a friend' });
    try {
      await assert.rejects(
        runAt(shows.url, keys['op-ann'], 'mint approve', mintId, '--key', keyFiles['op-ann']!),
        { code: 'intent-mismatch', field: 'intentText' },
      );
      assert.deepEqual(shows.posts, []);
    } finally {
      await shows.close();
    }
  });
});

/** The options of a command about CUST-0001 on the test chain. */
const customerOnChain = ['--customer', 'CUST-0001', '--chain', chainId];

/** The arguments of `payouts create` of `amount` to CUST-0001's `beneficiary` from bank-a. */
function payout(amount: string, beneficiary: string): string[] {
  return [
    ...['--customer', 'CUST-0001', '--amount', amount, '--bank', 'bank-a'],
    '--beneficiary',
    beneficiary,
  ];
}

/** The arguments of `deposits add` of `amount` to CUST-0001 at bank-a. */
function deposit(reference: string, amount: string): string[] {
  return [
    ...['--reference', reference, '--bank', 'bank-a', '--amount', amount],
    ...['--date', '2026-11-20', '--customer', 'CUST-0001'],
  ];
}

/** A server that answers every GET with `body` and records every POST. */
async function fakeServer(body: unknown) {
  const posts: string[] = [];
  const server = createServer((request, response) => {
    if (request.method === 'POST') posts.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('clearpeg setup operator (the set-up ceremony, on the database)', () => {
  const setupDir = mkdtempSync(join(tmpdir(), 'clearpeg-cli-setup-'));
  const setupConfig: Config = { ...config, dataDir: setupDir };
  after(() => rmSync(setupDir, { recursive: true, force: true }));
  const setup = async (...args: string[]) =>
    runCommand(await command('setup operator'), args, setupConfig);

  it('registers the first operators, prints each API key once, then refuses', async () => {
    const first = await setup('--id', 'op-root', '--name', 'Root', '--roles', 'admin,treasurer');
    assert.equal(first.code, 0);
    const apiKey = /API key, shown once .*: (ck_\S+)$/.exec(first.out)![1]!;
    await assert.rejects(setup('--id', 'op-two', '--name', 'Two', '--roles', 'auditor'), {
      code: 'setup-done',
    });
    const more = await setup(
      ...['--id', 'op-two', '--name', 'Two', '--roles', 'auditor', '--bootstrap', '--json'],
    );
    assert.deepEqual(JSON.parse(more.out).roles, ['auditor']);
    await assert.rejects(setup('--id', 'op-3', '--name', 'Three', '--roles', 'king'), {
      name: 'UsageError',
    });
    await assert.rejects(
      setup('--id', 'op-3', '--name', 'Three', '--roles', 'approver', '--bootstrap'),
      { code: 'operator-invalid', field: 'approvalKey' },
    );
    const db = await openDatabase(setupConfig);
    try {
      assert.deepEqual(await actorForApiKey(db, apiKey), {
        kind: 'operator',
        id: 'op-root',
        roles: ['admin', 'treasurer'],
      });
    } finally {
      await db.close();
    }
  });
});
