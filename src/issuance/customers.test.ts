/**
 * What a careful issuer refuses from the customer workflows (issue 14): wallet addresses that
 * are not a customer's own (the zero address, a mistyped EIP-55 checksum, the token contract,
 * an issuer address, a chain without a token) and names an operator would read wrongly (line
 * breaks, terminal escapes, bidirectional controls). Each refusal names its code and field,
 * is audited as a refusal, and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerIssuerAddress } from '../chain/addresses.ts';
import { textFault } from '../policy/intent.ts';
import {
  checkWalletAddress,
  createCustomer,
  redemptionAddressOf,
  registerWallet,
  setKyc,
} from './customers.ts';
import { createOperator } from './operators.ts';
import {
  type IssuanceFixture,
  issuanceFixture,
  recordTestToken,
  testTokenAddress,
} from './testing.ts';

/** Hardhat's second account, in its EIP-55 form. */
const checksummed = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const chainId = 31337;

describe('customer input a careful issuer refuses', () => {
  let f: IssuanceFixture;
  before(async () => {
    f = await issuanceFixture();
    await recordTestToken(f.t.db, chainId);
    const compliance = f.operator('compliance');
    await createCustomer(f.ctx, compliance, { id: 'CUST-0001', name: 'Acme Treasury LLC' });
    await createCustomer(f.ctx, compliance, { id: 'CUST-0002', name: 'Other GmbH' });
    await setKyc(f.ctx, compliance, 'CUST-0001', 'approved');
  });
  after(() => f.close());

  /** Counts of what a refusal must not change: wallets, customers, issuer addresses, ok audits. */
  const state = async () =>
    (
      await f.t.db.query(
        `SELECT (SELECT count(*) FROM customer_wallets)::int AS wallets,
           (SELECT count(*) || ':' || max(updated_at_us) FROM customers) AS customers,
           (SELECT count(*) FROM chain_issuer_addresses)::int AS issuer,
           (SELECT count(*) FROM audit_log WHERE outcome = 'ok')::int AS ok`,
      )
    ).rows[0];

  /** The newest audit entry: the refusal's own, with its code. */
  const lastAudit = async () =>
    (
      await f.t.db.query<{ outcome: string; code: string }>(
        `SELECT outcome, detail->>'code' AS code FROM audit_log ORDER BY seq DESC LIMIT 1`,
      )
    ).rows[0];

  const refusesWallet = async (
    input: { chainId: number; address: string },
    expected: { code: string; field: string; rule?: RegExp },
  ) => {
    const before = await state();
    await assert.rejects(
      registerWallet(f.ctx, f.operator('compliance'), { customerId: 'CUST-0001', ...input }),
      (error: { code: string; field: string; rule: string }) => {
        assert.equal(error.code, expected.code);
        assert.equal(error.field, expected.field);
        if (expected.rule !== undefined) assert.match(error.rule, expected.rule);
        return true;
      },
    );
    assert.deepEqual(await state(), before, `${expected.code}: nothing changed`);
    assert.deepEqual(await lastAudit(), { outcome: 'refused', code: expected.code });
  };

  it('refuses the zero address', () =>
    refusesWallet(
      { chainId, address: '0x0000000000000000000000000000000000000000' },
      { code: 'wallet-address-invalid', field: 'address', rule: /zero address/ },
    ));

  it('refuses a mixed-case address whose EIP-55 checksum is wrong, instead of lowercasing it', () =>
    refusesWallet(
      // One letter's case flipped: C8 → c8.
      { chainId, address: '0x70997970C51812dc3A010C7d01b50e0d17dc79c8' },
      { code: 'wallet-address-invalid', field: 'address', rule: /EIP-55/ },
    ));

  it('refuses the token contract itself, in any case form', async () => {
    await refusesWallet(
      { chainId, address: testTokenAddress },
      { code: 'wallet-address-reserved', field: 'address', rule: /token contract/ },
    );
    await refusesWallet(
      { chainId, address: `0x${testTokenAddress.slice(2).toUpperCase()}` },
      { code: 'wallet-address-reserved', field: 'address' },
    );
  });

  it("refuses the issuer's treasury address and a customer's redemption address", async () => {
    const treasury = '0x90f79bf6eb2c4f870365e785982e1f101e93b906';
    await registerIssuerAddress(f.t.db, chainId, { purpose: 'treasury', address: treasury });
    await refusesWallet(
      { chainId, address: treasury },
      { code: 'wallet-address-reserved', field: 'address' },
    );
    // CUST-0002's redemption address, registered when it asked for a quote.
    const redemption = redemptionAddressOf(testTokenAddress, 'CUST-0002');
    await registerIssuerAddress(f.t.db, chainId, {
      purpose: 'redemption',
      address: redemption,
      customerId: 'CUST-0002',
    });
    await refusesWallet(
      { chainId, address: redemption },
      { code: 'wallet-address-reserved', field: 'address' },
    );
  });

  it('refuses a chain that has no token', () =>
    refusesWallet(
      { chainId: 4242, address: checksummed },
      { code: 'chain-unknown', field: 'chainId', rule: /deployed token/ },
    ));

  it('takes a right checksum, all lowercase and all uppercase (no checksum), as one address', async () => {
    assert.equal(checkWalletAddress(checksummed, 'a'), checksummed);
    assert.equal(checkWalletAddress(checksummed.toLowerCase(), 'a'), checksummed.toLowerCase());
    const upper = `0x${checksummed.slice(2).toUpperCase()}`;
    assert.equal(checkWalletAddress(upper, 'a'), upper);
    const wallet = await registerWallet(f.ctx, f.operator('compliance'), {
      customerId: 'CUST-0001',
      chainId,
      address: upper,
    });
    assert.equal(wallet.address, checksummed.toLowerCase());
    assert.equal(wallet.redemptionAddress, redemptionAddressOf(testTokenAddress, 'CUST-0001'));
  });

  const refusesName = async (name: string, rule: RegExp) => {
    const before = await state();
    await assert.rejects(
      createCustomer(f.ctx, f.operator('compliance'), { id: 'CUST-0009', name }),
      (error: { code: string; field: string; rule: string }) => {
        assert.equal(error.code, 'customer-name-invalid');
        assert.equal(error.field, 'name');
        assert.match(error.rule, rule);
        return true;
      },
    );
    assert.deepEqual(await state(), before, `${JSON.stringify(name)}: nothing changed`);
    assert.deepEqual(await lastAudit(), { outcome: 'refused', code: 'customer-name-invalid' });
  };

  it('refuses a customer name with a line break', async () => {
    await refusesName('Acme\nApproved by compliance', /line breaks/);
    await refusesName('Acme\r', /line breaks/);
    await refusesName('Acme\u2028Inc', /line breaks/);
  });

  it('refuses a customer name with a terminal escape or another control character', async () => {
    await refusesName('Acme \u001b[31mRED', /control characters/);
    await refusesName('Acme \u009b31m', /control characters/);
    await refusesName('Acme\u0007', /control characters/);
  });

  it('refuses a customer name with a bidirectional control', async () => {
    for (const control of ['\u202e', '\u202a', '\u2066', '\u2069', '\u200e', '\u200f', '\u061c'])
      await refusesName(`Acme ${control}CLL`, /bidirectional controls/);
  });

  it('refuses a zero-width character and text not in NFC', async () => {
    await refusesName('Ac\u200bme', /format characters/);
    await refusesName('Cafe\u0301', /NFC/);
  });

  it("refuses an operator's name with a bidirectional control or a line break", async () => {
    for (const [name, rule] of [
      ['Ann\u202e', /bidirectional/],
      ['Ann\nadmin', /line breaks/],
    ] as const)
      await assert.rejects(
        createOperator(f.t.db, { id: 'op-eve', name, roles: ['auditor'] }),
        (error: { code: string; field: string; rule: string }) => {
          assert.equal(error.code, 'operator-invalid');
          assert.equal(error.field, 'name');
          assert.match(error.rule, rule);
          return true;
        },
      );
    const { rows } = await f.t.db.query(`SELECT 1 FROM operators WHERE id = 'op-eve'`);
    assert.equal(rows.length, 0, 'no operator, no key');
  });

  it('names the character found, and takes ordinary names in any script', () => {
    assert.deepEqual(textFault('x\u202ey'), {
      rule: 'no bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)',
      found: 'U+202E',
    });
    for (const name of ['Acme Treasury LLC', 'Müller & Söhne GmbH', 'شركة', '株式会社', 'O’Brien'])
      assert.equal(textFault(name), undefined, name);
  });
});
