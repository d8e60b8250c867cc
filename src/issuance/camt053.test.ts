import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClearpegError } from '../errors.ts';
import {
  type Camt053Entry,
  type Camt053Statement,
  camt053Limits,
  type ParseCamt053Options,
  parseCamt053,
  parseXmlAmount,
} from './camt053.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const v08 = fixture('camt053-v08-sample.xml');
const v02 = fixture('camt053-v02-sample.xml');

const namespace = (version: string) => `urn:iso:std:iso:20022:tech:xsd:camt.053.001.${version}`;

/** A minimal statement around `entries`: one USD account, no balances unless given. */
function statement(
  entries: string,
  { version = '08', currency = 'USD', balances = '' } = {},
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="${namespace(version)}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-03T06:00:00Z</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <Acct><Id><Othr><Id>1234567890</Id></Othr></Id><Ccy>${currency}</Ccy></Acct>
      ${balances}
      ${entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>`;
}

/** One entry; `details` goes inside NtryDtls when given. */
function entry({
  amount = '10.00',
  currency = 'USD',
  direction = 'CRDT',
  status = '<Sts><Cd>BOOK</Cd></Sts>',
  booking = '<BookgDt><Dt>2026-03-02</Dt></BookgDt>',
  reference = '<AcctSvcrRef>BANKREF1</AcctSvcrRef>',
  details = '',
} = {}): string {
  return `<Ntry>
    <Amt Ccy="${currency}">${amount}</Amt><CdtDbtInd>${direction}</CdtDbtInd>${status}${booking}
    ${reference}
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    ${details === '' ? '' : `<NtryDtls>${details}</NtryDtls>`}
  </Ntry>`;
}

/** Asserts `parseCamt053` refuses with `code`, naming `field` in the error and its message. */
function refused(
  xml: string | Uint8Array,
  code: string,
  field: string,
  options?: ParseCamt053Options,
): void {
  assert.throws(
    () => parseCamt053(xml, options),
    (error: unknown) => {
      assert.ok(error instanceof ClearpegError, `a ClearpegError, not ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.equal(error.field, field, error.message);
      assert.ok(error.message.includes(field), `the message names ${field}: ${error.message}`);
      return true;
    },
  );
}

/** The fields every line is checked on; `amount` a plain bigint for readable expectations. */
type Line = Pick<
  Camt053Entry,
  'reference' | 'direction' | 'status' | 'bookingDate' | 'valueDate' | 'reversal' | 'remittance'
> & { amount: bigint };
const lineOf = (e: Camt053Entry): Line => ({
  reference: e.reference,
  direction: e.direction,
  amount: e.amount,
  status: e.status,
  bookingDate: e.bookingDate,
  valueDate: e.valueDate,
  reversal: e.reversal,
  remittance: e.remittance,
});

/** Opening + booked credits − booked debits, in micro-units. */
function bookedClosing(statement: Camt053Statement): bigint {
  assert.ok(statement.openingBalance !== undefined);
  let balance: bigint = statement.openingBalance;
  for (const line of statement.entries) {
    if (line.status !== 'BOOK') continue;
    balance += line.direction === 'credit' ? line.amount : -line.amount;
  }
  return balance;
}

describe('parseCamt053: the camt.053.001.08 sample', () => {
  const [stmt, ...others] = parseCamt053(v08);
  assert.ok(stmt !== undefined);

  it('reads one statement and its header', () => {
    assert.equal(others.length, 0);
    assert.equal(stmt.version, 8);
    assert.equal(stmt.id, '483920175562-20260302');
    assert.equal(stmt.electronicSequence, 61n);
    assert.equal(stmt.createdAt, '2026-03-03T06:15:00-05:00');
    assert.deepEqual(stmt.account, { iban: undefined, otherId: '483920175562', currency: 'USD' });
    assert.equal(stmt.openingBalance, 12_500_000_000_000n);
    assert.equal(stmt.closingBalance, 16_718_685_800_000n);
  });

  it('reads every line: reference, direction, amount, status, dates, remittance', () => {
    const booked = (
      reference: string,
      direction: 'credit' | 'debit',
      amount: bigint,
      remittance: string | undefined,
      valueDate = '2026-03-02',
    ): Line => ({
      reference,
      direction,
      amount,
      status: 'BOOK',
      bookingDate: '2026-03-02',
      valueDate,
      reversal: false,
      remittance,
    });
    assert.deepEqual(stmt.entries.map(lineOf), [
      booked('FW26030200417', 'credit', 5_000_000_000_000n, 'CLEARPEG CUST-0001'),
      booked('FW26030200533', 'credit', 250_000_000_000n, 'RF23CLEARPEGCUST0002'),
      booked('ACH2603020091/0', 'credit', 100_000_000_000n, 'CLEARPEG CUST-0003'),
      booked('ACH2603020091/1', 'credit', 75_500_250_000n, 'CLEARPEG CUST-0004'),
      booked('FW26030200688', 'debit', 1_200_000_000_000n, 'CLEARPEG REDEMPTION RDM-000187'),
      {
        // No AcctSvcrRef: its EndToEndId, tagged (the reader before issue 14 wrote it bare).
        reference: 'EndToEndId:OSPREY-20260302-9',
        direction: 'credit',
        amount: 40_000_000_000n,
        status: 'PDNG',
        bookingDate: undefined,
        valueDate: '2026-03-03',
        reversal: false,
        remittance: 'CLEARPEG CUST-0005',
      },
      {
        ...booked('RV26030200012', 'debit', 10_000_000_000n, 'CLEARPEG CUST-0005', '2026-02-27'),
        reversal: true,
      },
      booked('FW26030200901', 'credit', 3_210_550_000n, 'INVOICE 4471 THANK YOU'),
      booked('FEE2603020001/0', 'debit', 25_000_000n, undefined),
    ]);
    for (const line of stmt.entries) assert.equal(line.currency, 'USD');
  });

  it('reads parties, end-to-end ids and bank transaction codes', () => {
    const [wire, scor] = stmt.entries;
    assert.equal(wire?.debtorName, 'Northwind Treasury Ltd');
    assert.equal(wire?.debtorIban, 'GB29NWBK60161331926819');
    assert.equal(wire?.endToEndId, 'NWTR-20260302-01');
    assert.equal(wire?.bankTransactionCode, 'PMNT/RCDT/XBCT');
    assert.equal(scor?.endToEndId, undefined, 'NOTPROVIDED is no end-to-end id');
    assert.equal(scor?.debtorIban, undefined, 'an account without IBAN has none');
    assert.equal(stmt.entries[7]?.debtorName, 'Tern & Gull Supplies');
    assert.equal(stmt.entries[8]?.bankTransactionCode, 'ACMT/MDOP/CHRG');
    assert.equal(stmt.entries[8]?.path, 'Stmt[0].Ntry[7]');
  });

  it('balances: opening + booked credits − booked debits = closing', () => {
    assert.equal(bookedClosing(stmt), stmt.closingBalance);
  });

  it('gives one line per TxDtls of a batch entry, each with its own amount', () => {
    const batch = stmt.entries.filter((line) => line.path.startsWith('Stmt[0].Ntry[2].'));
    assert.deepEqual(
      batch.map((line) => [line.path, line.reference, line.amount, line.debtorName]),
      [
        [
          'Stmt[0].Ntry[2].NtryDtls[0].TxDtls[0]',
          'ACH2603020091/0',
          100_000_000_000n,
          'Bluefin Payments Inc',
        ],
        [
          'Stmt[0].Ntry[2].NtryDtls[0].TxDtls[1]',
          'ACH2603020091/1',
          75_500_250_000n,
          'Kestrel Labs LLC',
        ],
      ],
    );
  });

  it('reads UTF-8 bytes as it reads the string, with or without a BOM', () => {
    const bytes = new TextEncoder().encode(v08);
    assert.deepEqual(parseCamt053(bytes), parseCamt053(v08));
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
    assert.deepEqual(parseCamt053(bom), parseCamt053(`\uFEFF${v08}`));
  });
});

describe('parseCamt053: the camt.053.001.02 sample', () => {
  const [stmt] = parseCamt053(v02);
  assert.ok(stmt !== undefined);

  it('reads the header: an IBAN account in USD', () => {
    assert.equal(stmt.version, 2);
    assert.equal(stmt.id, '0532013000-2026-03-05');
    assert.equal(stmt.electronicSequence, 45n);
    assert.deepEqual(stmt.account, {
      iban: 'DE89370400440532013000',
      otherId: undefined,
      currency: 'USD',
    });
  });

  it('reads plain-text Sts, AmtDtls/TxAmt amounts and Dbtr/Nm', () => {
    const booked = (
      reference: string,
      direction: 'credit' | 'debit',
      amount: bigint,
      remittance?: string,
    ): Line => ({
      reference,
      direction,
      amount,
      status: 'BOOK',
      bookingDate: '2026-03-05',
      valueDate: '2026-03-05',
      reversal: false,
      remittance,
    });
    assert.deepEqual(stmt.entries.map(lineOf), [
      booked('2026030500123', 'credit', 1_000_000_000_000n, 'CLEARPEG CUST-0010'),
      booked('2026030500124/0', 'credit', 20_000_000_000n, 'CLEARPEG CUST-0011'),
      booked('2026030500124/1', 'credit', 5_000_500_000n, 'CLEARPEG CUST-0012'),
      booked('2026030500125/0', 'debit', 15_000_000n),
      {
        reference: '2026030500126',
        direction: 'credit',
        amount: 7_500_000_000n,
        status: 'PDNG',
        bookingDate: undefined,
        valueDate: '2026-03-06',
        reversal: false,
        remittance: 'CLEARPEG CUST-0013',
      },
    ]);
    assert.equal(stmt.entries[0]?.debtorName, 'Muster Handels GmbH');
    assert.equal(stmt.entries[0]?.debtorIban, 'DE02120300000000202051');
    assert.equal(stmt.entries[2]?.endToEndId, undefined, 'NOTPROVIDED is no end-to-end id');
  });

  it('balances: opening + booked credits − booked debits = closing', () => {
    assert.equal(stmt.openingBalance, 2_000_000_000_000n);
    assert.equal(stmt.closingBalance, 3_024_985_500_000n);
    assert.equal(bookedClosing(stmt), stmt.closingBalance);
  });
});

describe('parseCamt053: other versions and shapes', () => {
  it('reads camt.053.001.04: plain Sts, TxDtls/Amt and Dbtr/Nm', () => {
    const xml = statement(
      entry({
        amount: '1500.5',
        status: '<Sts>BOOK</Sts>',
        booking: '<BookgDt><DtTm>2026-03-02T23:30:00-05:00</DtTm></BookgDt>',
        details: `<TxDtls>
          <Refs><AcctSvcrRef>TX-1</AcctSvcrRef><EndToEndId>E2E-1</EndToEndId></Refs>
          <Amt Ccy="USD">1500.5</Amt><CdtDbtInd>CRDT</CdtDbtInd>
          <RltdPties><Dbtr><Nm>Plain Name Ltd</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd> CLEARPEG CUST-0042 </Ustrd></RmtInf>
        </TxDtls>`,
      }),
      { version: '04' },
    );
    const [stmt] = parseCamt053(xml);
    assert.equal(stmt?.version, 4);
    const line = stmt?.entries[0];
    assert.equal(line?.reference, 'TX-1');
    assert.equal(line?.amount, 1_500_500_000n);
    assert.equal(line?.bookingDate, '2026-03-02', 'the date of a DtTm as the bank wrote it');
    assert.equal(line?.valueDate, undefined);
    assert.equal(line?.debtorName, 'Plain Name Ltd');
    assert.equal(line?.remittance, 'CLEARPEG CUST-0042');
  });

  it('accepts .02 to .13 and each status', () => {
    for (let version = 2; version <= 13; version++) {
      const v = String(version).padStart(2, '0');
      const xml = statement(
        entry({ status: '<Sts>INFO</Sts>' }) +
          entry({ status: '<Sts><Cd>PDNG</Cd></Sts>', reference: '<AcctSvcrRef>R2</AcctSvcrRef>' }),
        { version: v },
      );
      const [stmt] = parseCamt053(xml);
      assert.equal(stmt?.version, version);
      assert.deepEqual(
        stmt?.entries.map((line) => line.status),
        ['INFO', 'PDNG'],
      );
    }
  });

  it('takes elements under a prefix, and skips other namespaces and unread elements', () => {
    const xml = `<c:Document xmlns:c="${namespace('08')}" xmlns:x="urn:example:other">
      <c:BkToCstmrStmt><c:GrpHdr><c:MsgId>M</c:MsgId><c:CreDtTm>2026-03-03T06:00:00Z</c:CreDtTm></c:GrpHdr>
      <c:Stmt><c:Id>S</c:Id><x:Id>ignored</x:Id>
        <c:Acct><c:Id><c:IBAN>GB29NWBK60161331926819</c:IBAN></c:Id><c:Ccy>USD</c:Ccy></c:Acct>
        <c:Ntry><c:Amt Ccy="USD">1</c:Amt><c:CdtDbtInd>DBIT</c:CdtDbtInd><c:Sts><c:Cd>BOOK</c:Cd></c:Sts>
          <c:BookgDt><c:Dt>2026-03-02</c:Dt></c:BookgDt><c:AcctSvcrRef>R</c:AcctSvcrRef>
          <c:BkTxCd><c:Prtry><c:Cd>X</c:Cd></c:Prtry></c:BkTxCd><x:Amt Ccy="EUR">-5</x:Amt>
          <c:AddtlNtryInf><![CDATA[<not> an element]]></c:AddtlNtryInf></c:Ntry>
      </c:Stmt></c:BkToCstmrStmt></c:Document>`;
    const [stmt] = parseCamt053(xml);
    assert.equal(stmt?.id, 'S');
    assert.equal(stmt?.createdAt, '2026-03-03T06:00:00Z', 'GrpHdr/CreDtTm when Stmt has none');
    assert.equal(stmt?.entries[0]?.amount, 1_000_000n);
    assert.equal(stmt?.entries[0]?.direction, 'debit');
    assert.equal(stmt?.entries[0]?.bankTransactionCode, undefined, 'a proprietary code only');
  });
});

describe('parseCamt053: refusals name the code and the element path', () => {
  it('refuses an amount with 7 decimals', () => {
    refused(statement(entry({ amount: '10.0000001' })), 'statement-invalid', 'Stmt[0].Ntry[0].Amt');
  });

  it('refuses a negative, a signed or an exponent amount', () => {
    for (const amount of ['-10.00', '+10.00', '1e3', '1,5', '', '10.0.0', '0x10']) {
      refused(statement(entry({ amount })), 'statement-invalid', 'Stmt[0].Ntry[0].Amt');
    }
  });

  it('refuses an amount in EUR, and a EUR account', () => {
    refused(
      statement(entry({ currency: 'EUR' })),
      'statement-currency-unsupported',
      'Stmt[0].Ntry[0].Amt',
    );
    refused(
      statement(entry({ currency: 'EUR' }), { currency: 'EUR' }),
      'statement-currency-unsupported',
      'Stmt[0].Acct.Ccy',
    );
    const eurTransaction = entry({
      details: `<TxDtls><Refs><AcctSvcrRef>T</AcctSvcrRef></Refs><Amt Ccy="EUR">10.00</Amt></TxDtls>`,
    });
    refused(
      statement(eurTransaction),
      'statement-currency-unsupported',
      'Stmt[0].Ntry[0].NtryDtls[0].TxDtls[0].Amt',
    );
  });

  it('refuses an unknown namespace, naming it', () => {
    for (const uri of [
      namespace('14'),
      namespace('01'),
      'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08',
      '',
    ]) {
      const xml = statement(entry()).replace(namespace('08'), uri);
      assert.throws(
        () => parseCamt053(xml),
        (error: unknown) =>
          error instanceof ClearpegError &&
          error.code === 'statement-invalid' &&
          error.field === 'Document' &&
          error.message.includes(JSON.stringify(uri)),
      );
    }
  });

  it('refuses a DOCTYPE, so no entity is ever expanded (XXE, entity bombs)', () => {
    const body = statement(entry()).replace(/^<\?xml[^>]*>\s*/, '');
    const external = `<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
${body.replace('<Id>S1</Id>', '<Id>&xxe;</Id>')}`;
    refused(external, 'statement-invalid', 'DOCTYPE');
    // A billion laughs: lol9 would expand to 10^9 "lol"s.
    const laughs = ['<!ENTITY lol0 "lol">'];
    for (let i = 1; i <= 9; i++) laughs.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
    const bomb = `<!DOCTYPE Document [${laughs.join('')}]>${body.replace('<Id>S1</Id>', '<Id>&lol9;</Id>')}`;
    refused(bomb, 'statement-invalid', 'DOCTYPE');
    refused(
      `<!DOCTYPE Document SYSTEM "http://example.com/camt.dtd">${body}`,
      'statement-invalid',
      'DOCTYPE',
    );
    // Without a DOCTYPE, an entity is undefined: not well-formed.
    refused(body.replace('<Id>S1</Id>', '<Id>&xxe;</Id>'), 'statement-invalid', 'Document');
  });

  it('keys an entry with no reference by its place in the statement (it was refused)', () => {
    const unreferenced = entry({
      reference: '',
      details: '<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></TxDtls>',
    });
    const [stmt] = parseCamt053(
      statement(
        entry({ reference: '' }) +
          entry({ reference: '<AcctSvcrRef>OTHER</AcctSvcrRef>' }) +
          unreferenced,
      ),
    );
    assert.deepEqual(
      stmt?.entries.map((line) => line.reference),
      ['Stmt:S1//1234567890///0/0', 'OTHER/0', 'Stmt:S1//1234567890///2/0'],
    );
  });

  it('refuses a reference used twice in a document', () => {
    refused(statement(entry() + entry()), 'statement-invalid', 'Stmt[0].Ntry[1]');
  });

  it('takes a credit and its reversal sharing a payment reference, not two credits', () => {
    const details = '<TxDtls><Refs><InstrId>091000019876543</InstrId></Refs></TxDtls>';
    const credit = entry({ reference: '', details });
    const reversal = entry({ reference: '', direction: 'DBIT', details }).replace(
      '<Sts>',
      '<RvslInd>true</RvslInd><Sts>',
    );
    const [stmt] = parseCamt053(statement(credit + reversal));
    assert.deepEqual(
      stmt?.entries.map((line) => [line.reference, line.direction, line.reversal]),
      [
        ['InstrId:091000019876543', 'credit', false],
        ['InstrId:091000019876543', 'debit', true],
      ],
    );
    refused(
      statement(credit + credit),
      'statement-invalid',
      'Stmt[0].Ntry[1].NtryDtls[0].TxDtls[0]',
    );
  });

  it('refuses a batch whose transactions lack amounts or do not add up', () => {
    const tx = (amount: string) =>
      `<TxDtls><Refs><EndToEndId>E${amount}</EndToEndId></Refs>${amount === '' ? '' : `<Amt Ccy="USD">${amount}</Amt>`}</TxDtls>`;
    refused(
      statement(entry({ details: tx('') + tx('') })),
      'statement-invalid',
      'Stmt[0].Ntry[0].NtryDtls[0].TxDtls[0]',
    );
    refused(
      statement(entry({ amount: '10.00', details: tx('6.00') + tx('4.01') })),
      'statement-invalid',
      'Stmt[0].Ntry[0].Amt',
    );
    const [stmt] = parseCamt053(
      statement(entry({ amount: '10.00', details: tx('6.00') + tx('4') })),
    );
    assert.deepEqual(
      stmt?.entries.map((line) => [line.reference, line.amount]),
      [
        ['BANKREF1/0', 6_000_000n],
        ['BANKREF1/1', 4_000_000n],
      ],
    );
  });

  it('refuses a statement whose booked lines do not lead from OPBD to CLBD', () => {
    refused(v08.replace('16718685.80', '16718685.81'), 'statement-invalid', 'Stmt[0].Bal');
  });

  it('refuses an unknown or proprietary status, and a booked entry without booking date', () => {
    refused(
      statement(entry({ status: '<Sts><Cd>FUTR</Cd></Sts>' })),
      'statement-invalid',
      'Stmt[0].Ntry[0].Sts.Cd',
    );
    refused(
      statement(entry({ status: '<Sts><Prtry>BOOKED</Prtry></Sts>' })),
      'statement-invalid',
      'Stmt[0].Ntry[0].Sts.Prtry',
    );
    refused(
      statement(entry({ status: '<Sts>DONE</Sts>' })),
      'statement-invalid',
      'Stmt[0].Ntry[0].Sts',
    );
    refused(statement(entry({ booking: '' })), 'statement-invalid', 'Stmt[0].Ntry[0].BookgDt');
    refused(
      statement(entry({ booking: '<BookgDt><Dt>2026-02-30</Dt></BookgDt>' })),
      'statement-invalid',
      'Stmt[0].Ntry[0].BookgDt.Dt',
    );
  });

  it('refuses XML that is not well-formed, and encodings other than UTF-8', () => {
    refused(statement(entry()).replace('</Stmt>', ''), 'statement-invalid', 'Document');
    refused('', 'statement-invalid', 'Document');
    refused(
      statement(entry()).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'),
      'statement-invalid',
      'Document',
    );
    refused(new Uint8Array([0x3c, 0xff, 0xfe]), 'statement-invalid', 'Document');
    refused(
      `<Document xmlns="${namespace('08')}"><BkToCstmrStmt/></Document>`,
      'statement-invalid',
      'Stmt',
    );
  });

  it('refuses a repeated element beyond what a transaction may hold, and deep nesting', () => {
    const many = '<Ustrd>x</Ustrd>'.repeat(camt053Limits.elementsPerTransactionMax);
    refused(
      statement(entry({ details: `<TxDtls><RmtInf>${many}</RmtInf></TxDtls>` })),
      'statement-invalid',
      'Stmt[0].Ntry[0].NtryDtls[0].TxDtls[0]',
    );
    const deep = '<x>'.repeat(camt053Limits.depthMax) + '</x>'.repeat(camt053Limits.depthMax);
    refused(statement(deep), 'statement-invalid', 'Document');
  });
});

describe('parseCamt053: size limits', () => {
  it('refuses a document over 50 MiB, as bytes or as a string', () => {
    const bytesMax = camt053Limits.documentBytesMax;
    refused(new Uint8Array(bytesMax + 1), 'statement-too-large', 'Document');
    refused(' '.repeat(bytesMax + 1), 'statement-too-large', 'Document');
    refused('é'.repeat(6), 'statement-too-large', 'Document', { documentBytesMax: 11 });
    refused(v08, 'statement-too-large', 'Document', { documentBytesMax: 1024 });
  });

  it('refuses more than 100,000 lines, counting as it reads', () => {
    const details = '<TxDtls/>'.repeat(camt053Limits.linesMax + 1);
    refused(
      statement(entry({ details })),
      'statement-too-large',
      `Stmt[0].Ntry[0].NtryDtls[0].TxDtls[${camt053Limits.linesMax}]`,
    );
    refused(v08, 'statement-too-large', 'Stmt[0].Ntry[7]', { linesMax: 8 });
    assert.equal(parseCamt053(v08, { linesMax: 9 })[0]?.entries.length, 9);
  });
});

describe('parseXmlAmount', () => {
  it('parses XML decimals into micro-units exactly', () => {
    const cases: Array<[string, bigint]> = [
      ['5000000.00', 5_000_000_000_000n],
      ['0.5', 500_000n],
      ['12', 12_000_000n],
      ['012.50', 12_500_000n],
      ['.5', 500_000n],
      ['12.', 12_000_000n],
      [' 7.25\n', 7_250_000n],
      ['0.000001', 1n],
      ['0', 0n],
      ['999999999999999999.999999', 999_999_999_999_999_999_999_999n],
    ];
    for (const [text, micro] of cases) assert.equal(parseXmlAmount(text, 'Amt'), micro, text);
  });

  it('refuses what is not an unsigned decimal of at most 6 decimals and 18 digits', () => {
    for (const text of [
      '1.0000001',
      '-1',
      '+1',
      '1e3',
      '1E3',
      '1,5',
      '',
      '.',
      '1.2.3',
      'NaN',
      '１',
      '1000000000000000000',
    ]) {
      assert.throws(
        () => parseXmlAmount(text, 'Stmt[0].Ntry[3].Amt'),
        (error: unknown) =>
          error instanceof ClearpegError &&
          error.code === 'statement-invalid' &&
          error.field === 'Stmt[0].Ntry[3].Amt' &&
          error.message.startsWith('camt.053 Stmt[0].Ntry[3].Amt: '),
        text,
      );
    }
  });

  /** `micro` written with `decimals` decimals (it must be a multiple of 10^(6 − decimals)). */
  const xmlDecimal = (micro: bigint, decimals: number, zeros: number): string => {
    const whole = `${'0'.repeat(zeros)}${micro / 1_000_000n}`;
    const fraction = (micro % 1_000_000n).toString().padStart(6, '0').slice(0, decimals);
    return decimals === 0 ? whole : `${whole}.${fraction}`;
  };
  const representable = fc
    .record({
      micro: fc.bigInt({ min: 0n, max: 10n ** 24n - 1n }),
      decimals: fc.integer({ min: 0, max: 6 }),
      zeros: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ micro, decimals, zeros }) => {
      const step = 10n ** BigInt(6 - decimals);
      return { micro: micro - (micro % step), decimals, zeros };
    });

  it('property: any micro amount written with 0 to 6 decimals parses back exactly', () => {
    fc.assert(
      fc.property(representable, ({ micro, decimals, zeros }) => {
        assert.equal(parseXmlAmount(xmlDecimal(micro, decimals, zeros), 'Amt'), micro);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the same, through a whole statement', () => {
    fc.assert(
      fc.property(representable, ({ micro, decimals, zeros }) => {
        const amount = xmlDecimal(micro, decimals, zeros);
        const [stmt] = parseCamt053(statement(entry({ amount })));
        assert.equal(stmt?.entries[0]?.amount, micro);
      }),
      { numRuns: 200 },
    );
  });
});
