/**
 * The attestation document: a sample whose figures agree parses, encodes to one canonical byte
 * string and shows no discrepancy; each figure changed by one micro-dollar is named; malformed
 * members are refused by path; the amount codec equals the server's (`money.ts`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { formatAmount, parseAmount } from '../money/money.ts';
import {
  type Attestation,
  amountText,
  attestationBytes,
  coverageRatio,
  discrepancies,
  microsOf,
  parseAttestation,
} from './attestation.ts';
import { sha256 } from './hash.ts';

const h = (c: string) => c.repeat(64);
// biome-ignore lint/suspicious/noExplicitAny: a parsed document, edited member by member
type Editable = any;

const sample: Attestation = {
  format: 'clearpeg-attestation/1',
  origin: 'clearpeg.example/log',
  asOf: '2026-12-06T06:40:00.000000Z',
  previous: null,
  ledger: { seq: '1042', head: h('a') },
  chains: [
    {
      chainId: '31337',
      token: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
      issuerAddresses: [
        '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
        '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
      ],
      block: { number: '77', hash: `0x${h('b')}` },
      totalSupply: '5000000.000000',
      issuerHeld: '1000.000000',
      circulating: '4999000.000000',
    },
  ],
  liabilities: {
    tokens: '4999000.000000',
    customerFiat: { total: '1000.000000', root: h('c'), accounts: '2', round: '1' },
    payables: '0.000000',
    total: '5000000.000000',
  },
  reserves: {
    ruleset: 'genius',
    positions: [
      {
        id: 'cash:bank-a',
        kind: 'cash',
        value: '150000.000000',
        eligible: true,
        evidence: null,
        bill: null,
      },
      {
        id: 'tbill:912797LB1:T-A',
        kind: 'tbill',
        value: '4900000.500000',
        eligible: true,
        evidence: {
          statementSha256: h('d'),
          custodian: 'BNY Mellon',
          custodianKey: h('e'),
          signature: h('f').repeat(2),
        },
        bill: { cusip: '912797LB1', face: '4950000.000000', maturity: '2027-03-04' },
      },
      {
        id: 'investment:btc',
        kind: 'investment',
        value: '7.000000',
        eligible: false,
        evidence: null,
        bill: null,
      },
    ],
    total: '5050007.500000',
    eligible: '5050000.500000',
  },
  coverage: { ratio: '1.010000', excess: '50000.500000' },
};

describe('the attestation document', () => {
  it('a sample that agrees: no discrepancy, one canonical encoding', () => {
    assert.deepEqual(discrepancies(parseAttestation(structuredClone(sample))), []);
    const bytes = attestationBytes(sample);
    const text = new TextDecoder().decode(bytes);
    assert.ok(
      text.startsWith('{"asOf":"2026-12-06T06:40:00.000000Z","chains":[{"block":{"hash":"0xbbbb'),
    );
    // Member order in the input does not matter.
    const reordered = JSON.parse(JSON.stringify(sample, Object.keys(sample).reverse()));
    assert.equal(
      bytesToHex(sha256(attestationBytes({ ...reordered, ...sample }))),
      bytesToHex(sha256(bytes)),
    );
  });

  it('names every figure that does not follow, by one micro-dollar', () => {
    const changed = (edit: (a: Editable) => void) => {
      const a = structuredClone(sample) as Editable;
      edit(a);
      return discrepancies(parseAttestation(a)).map((d) => d.path);
    };
    assert.deepEqual(
      changed((a) => {
        a.chains[0].circulating = '4999000.000001';
      }),
      ['chains[0].circulating', 'liabilities.tokens'],
    );
    // One micro-dollar moves the excess, not the ratio's sixth decimal.
    assert.deepEqual(
      changed((a) => {
        a.liabilities.total = '4999999.999999';
      }),
      ['liabilities.total', 'coverage.excess'],
    );
    assert.deepEqual(
      changed((a) => {
        a.liabilities.total = '4000000.000000';
      }),
      ['liabilities.total', 'coverage.ratio', 'coverage.excess'],
    );
    assert.deepEqual(
      changed((a) => {
        a.reserves.positions[2].value = '7.000001';
      }),
      ['reserves.total'],
    );
    assert.deepEqual(
      changed((a) => {
        a.reserves.positions[2].eligible = true;
      }),
      ['reserves.eligible'],
    );
    assert.deepEqual(
      changed((a) => {
        a.coverage.ratio = '1.010001';
      }),
      ['coverage.ratio'],
    );
    // A bill exactly on a tbill: missing on one, present on another kind.
    assert.deepEqual(
      changed((a) => {
        a.reserves.positions[1].bill = null;
      }),
      ['reserves.positions[1].bill'],
    );
    assert.deepEqual(
      changed((a) => {
        a.reserves.positions[0].bill = a.reserves.positions[1].bill;
      }),
      ['reserves.positions[0].bill'],
    );
    // No issuer address named: nothing can be held by the issuer.
    assert.deepEqual(
      changed((a) => {
        a.chains[0].issuerAddresses = [];
      }),
      ['chains[0].issuerHeld'],
    );
  });

  it('refuses a malformed member by its path', () => {
    const bad = (edit: (a: Editable) => void, message: RegExp) => {
      const a = structuredClone(sample) as Editable;
      edit(a);
      assert.throws(() => parseAttestation(a), message);
    };
    bad((a) => {
      a.reserves.total = 5050007.5;
    }, /attestation\.reserves\.total: must be a decimal string/);
    bad((a) => {
      a.chains[0].block.number = '077';
    }, /chains\[0\]\.block\.number/);
    bad((a) => {
      a.extra = 1;
    }, /attestation: must have exactly the members/);
    bad((a) => {
      a.reserves.positions[0].id = 'cash\u202ebank';
    }, /positions\[0\]\.id: must be 1 to 256 characters/);
    bad((a) => {
      a.format = 'clearpeg-attestation/2';
    }, /attestation\.format/);
    bad((a) => {
      a.coverage.excess = '-0.000000';
    }, /coverage\.excess/);
    bad((a) => {
      a.chains[0].issuerAddresses.reverse();
    }, /chains\[0\]\.issuerAddresses: must be sorted and unique/);
    bad((a) => {
      a.chains[0].issuerAddresses[0] = '0x70997970C51812dc3a010c7d01b50e0d17dc79c8';
    }, /chains\[0\]\.issuerAddresses\[0\]: must be a lowercase/);
    bad((a) => {
      a.reserves.positions[1].evidence.signed = true;
    }, /positions\[1\]\.evidence: must have exactly the members/);
    bad((a) => {
      a.reserves.positions[1].evidence.custodianKey = 'ee';
    }, /positions\[1\]\.evidence\.custodianKey: must be 64 lowercase hex/);
    bad((a) => {
      a.reserves.positions[1].evidence.signature = h('f');
    }, /positions\[1\]\.evidence\.signature: must be 128 lowercase hex/);
    bad((a) => {
      a.reserves.positions[1].bill.cusip = '912797LB2';
    }, /positions\[1\]\.bill\.cusip: must be a CUSIP with its check digit/);
    bad((a) => {
      a.reserves.positions[1].bill.maturity = '2027-13-04';
    }, /positions\[1\]\.bill\.maturity: must be a date/);
    bad((a) => {
      delete a.reserves.positions[0].bill;
    }, /positions\[0\]: must have exactly the members/);
  });

  it('writes and reads amounts as money.ts does; the ratio rounds down', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (micros) => {
        assert.equal(amountText(micros), formatAmount(micros));
        assert.equal(microsOf(amountText(micros), 'x'), parseAmount(formatAmount(micros)));
      }),
    );
    assert.equal(microsOf('-1.000000', 'x', true), -1_000_000n);
    assert.equal(coverageRatio(2n, 3n), '0.666666');
    assert.equal(coverageRatio(5n, 0n), null);
  });
});
