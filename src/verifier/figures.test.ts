/**
 * The `bills` and `custodians` checks on attestations made here: bills repriced from the shipped
 * DTB3 history (a stated value above it by more than the tolerance fails; a matured bill is worth
 * its face; an old observation is named, not failed), statements checked against real Ed25519
 * keys. The log files are a map (a `Fetcher` over memory).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Micro } from '../money/money.ts';
import type { Attestation, PositionFigures } from '../proofs/attestation.ts';
import { amountText } from '../proofs/attestation.ts';
import { billCost, pricePer100 } from '../reserves/bills.ts';
import { loadDtb3, rateOn } from '../reserves/rates.ts';
import { billsCheck, custodiansCheck } from './figures.ts';
import { dtb3Rates } from './node.ts';
import type { Fetcher } from './tree.ts';

const face = 1_000_000_000_000n; // $1,000,000

/** An attestation as of `asOf` holding `positions` (only the members these checks read matter). */
function attestation(asOf: string, positions: PositionFigures[]): Attestation {
  return {
    asOf,
    reserves: { ruleset: 'genius', positions, total: '0.000000', eligible: '0.000000' },
  } as unknown as Attestation;
}

function bill(value: bigint, maturity: string): PositionFigures {
  return {
    id: `tbill:912797HR1:${maturity}`,
    kind: 'tbill',
    value: amountText(value),
    eligible: true,
    evidence: null,
    bill: { cusip: '912797HR1', face: amountText(face), maturity },
  };
}

describe('bills', () => {
  const rates = dtb3Rates();
  // 2025-01-02 (New York) has its own DTB3 observation; 91 days to 2025-04-03.
  const asOf = '2025-01-02T17:00:00.000000Z';
  const market = billCost(face as Micro, pricePer100(rateOn(loadDtb3(), '2025-01-02', 91), 91));

  it('passes a bill stated at or below its price from public rates, naming the observation', () => {
    const check = billsCheck(attestation(asOf, [bill(market, '2025-04-03')]), rates);
    assert.equal(check.status, 'pass', check.detail);
    assert.match(check.detail, /rate observed 2025-01-02$/);
    assert.match(check.lines![0]!, /91 days to maturity; stated − repriced \+0\.000000$/);
    const below = billsCheck(attestation(asOf, [bill(market - face / 50n, '2025-04-03')]), rates);
    assert.equal(below.status, 'pass');
  });

  it('fails a bill stated above it by more than 100 bp of face, and not at 100 bp', () => {
    const at = billsCheck(attestation(asOf, [bill(market + face / 100n, '2025-04-03')]), rates);
    assert.equal(at.status, 'pass');
    const over = billsCheck(
      attestation(asOf, [bill(market + face / 100n + 1n, '2025-04-03')]),
      rates,
    );
    assert.equal(over.status, 'fail');
    assert.match(over.detail, /1 of 1 bills stated above their price from public rates: tbill:/);
    assert.match(over.lines![0]!, /above 100 bp of face/);
  });

  it('values a matured bill at face, and names an observation long before the date', () => {
    const matured = billsCheck(attestation(asOf, [bill(face, '2024-12-31')]), rates);
    assert.equal(matured.status, 'pass');
    assert.match(matured.lines![0]!, /matured: at face/);
    const late = billsCheck(
      attestation('2026-12-06T17:00:00.000000Z', [bill(face, '2027-01-05')]),
      rates,
    );
    assert.match(
      late.detail,
      /rate observed 2026-03-26 \(255 days before: the last observation in data\/rates\/DTB3\.csv on or before it/,
    );
  });
});

describe('custodians', () => {
  const seed = ed25519.utils.randomSecretKey();
  const key = bytesToHex(ed25519.getPublicKey(seed));
  const statement = new TextEncoder().encode('custody statement\n');
  const sha = bytesToHex(sha256(statement));
  const log: Fetcher = async (path) => (path === `statements/${sha}` ? statement : null);
  const position = (
    evidence: Partial<NonNullable<PositionFigures['evidence']>>,
  ): PositionFigures => ({
    id: 'tbill:912797HR1:T-1',
    kind: 'tbill',
    value: '1.000000',
    eligible: true,
    bill: null,
    evidence: {
      statementSha256: sha,
      custodian: 'bny',
      custodianKey: key,
      signature: bytesToHex(ed25519.sign(statement, seed)),
      ...evidence,
    },
  });
  const run = (evidence: Partial<NonNullable<PositionFigures['evidence']>>) =>
    custodiansCheck(attestation('2025-01-02T17:00:00.000000Z', [position(evidence)]), log);

  it('passes a statement signed by the stated key, and reports an unsigned one', async () => {
    assert.equal((await run({})).status, 'pass');
    const unsigned = await run({ custodianKey: null, signature: null });
    assert.equal(unsigned.status, 'pass');
    assert.match(unsigned.detail, /1 unsigned \(the issuer's word only\)/);
  });

  it("fails another key's signature, a missing signature and a missing statement", async () => {
    const other = bytesToHex(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    assert.match((await run({ custodianKey: other })).detail, /the signature is not bny's/);
    assert.match(
      (await run({ signature: null })).detail,
      /has a key .* but the statement has no signature/,
    );
    const missing = await run({ statementSha256: 'ab'.repeat(32) });
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /log\/statements\/(ab){32} is not published/);
  });
});
