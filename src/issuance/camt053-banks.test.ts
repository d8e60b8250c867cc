import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseCamt053 } from './camt053.ts';
import { type LinePlace, type LineReferences, lineReference } from './camt053-reference.ts';
import { importStatement } from './deposits.ts';
import { type IssuanceFixture, issuanceFixture } from './testing.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** A statement in a bank's shape, the keys of its lines, and which lines are deposits. */
interface BankCase {
  readonly name: string;
  readonly xml: string;
  readonly bank: string;
  readonly version: number;
  readonly references: readonly string[];
  /** The booked credits' indexes in `references`, and their amounts in micro-units. */
  readonly deposits: readonly (readonly [number, bigint])[];
}

const usd = (units: number) => BigInt(units) * 1_000_000n;

const banks: readonly BankCase[] = [
  {
    name: 'a German bank, .02, only Refs/Prtry (and LglSeqNb)',
    xml: fixture('camt053-v02-de-prtry.xml'),
    bank: 'bank-de',
    version: 2,
    references: [
      'Prtry:BUCHUNGSREFERENZ/20260309-042-000001',
      'Prtry:BUCHUNGSREFERENZ/20260309-042-000002',
      'Prtry:BUCHUNGSREFERENZ/20260309-042-000003',
    ],
    deposits: [
      [0, usd(25_000)],
      [1, usd(9_800)],
    ],
  },
  {
    name: 'a Dutch bank, .08, Ntry/AcctSvcrRef per entry, one batch',
    xml: fixture('camt053-v08-nl-entryref.xml'),
    bank: 'bank-nl',
    version: 8,
    references: [
      '0312640091840001/0',
      '0312640091840002/0',
      '0312640091840002/1',
      '0312640091840003/0',
    ],
    deposits: [
      [0, usd(120_000)],
      [1, usd(18_000)],
      [2, usd(12_000)],
    ],
  },
  {
    name: 'a US bank, .04, ClrSysRef, InstrId and EndToEndId only',
    xml: fixture('camt053-v04-us-instrid.xml'),
    bank: 'bank-us',
    version: 4,
    references: [
      'ClrSysRef:20260311MMQFMP2A000456',
      'InstrId:091000019876543',
      'EndToEndId:PAYROLL 0311%2F7', // its "/" escaped
      'InstrId:PAYOUT-0311-1',
    ],
    deposits: [
      [0, usd(750_000)],
      [1, usd(15_000)],
      [2, usd(2_500)],
    ],
  },
  {
    name: 'a Swiss bank (SIX), .04, TxDtls/Refs/AcctSvcrRef in a batch',
    xml: fixture('camt053-v04-ch-six.xml'),
    bank: 'bank-ch',
    version: 4,
    references: [
      '20260312001234560001',
      '20260312001234560002',
      '20260312001234560003',
      'ZV20260312/375204/2/0',
    ],
    deposits: [
      [0, usd(40_000)],
      [1, usd(15_000)],
      [2, usd(6_000)],
    ],
  },
  {
    name: 'a .13 statement, UETR (over TxId and EndToEndId), and MsgId only',
    xml: fixture('camt053-v13-uetr.xml'),
    bank: 'bank-gb',
    version: 13,
    references: ['UETR:eb6305c9-1f7f-49de-aed0-16487c27b42d', 'MsgId:PACS008-20260313-0009'],
    deposits: [
      [0, usd(88_000)],
      [1, usd(1_200)],
    ],
  },
  {
    name: 'a .10 statement, TxId only',
    xml: fixture('camt053-v10-txid.xml'),
    bank: 'bank-fi',
    version: 10,
    references: ['TxId:20260315OKOYFIHH0000481', 'TxId:20260315OKOYFIHH0000482'],
    deposits: [
      [0, usd(4_000)],
      [1, usd(4_000)],
    ],
  },
  {
    name: 'a .06 statement with no reference: the statement and the place',
    xml: fixture('camt053-v06-bare.xml'),
    bank: 'bank-small',
    version: 6,
    references: [
      'Stmt:0000000017//778899001122/17/3/0/0',
      'Stmt:0000000017//778899001122/17/3/1/0',
      'Stmt:0000000017//778899001122/17/3/2/0',
      'Stmt:0000000017//778899001122/17/3/2/1',
    ],
    deposits: [
      [0, usd(500)],
      [1, usd(500)],
      [2, usd(100)],
      [3, usd(200)],
    ],
  },
];

/** The German statement, fresh references, and three long proprietary ones in its first line. */
const longProprietary = fixture('camt053-v02-de-prtry.xml')
  .replaceAll('20260309-042-', '20260309-043-')
  .replace(
    /<Ref>20260309-043-000001<\/Ref>\s*<\/Prtry>/,
    `$&${`<Prtry><Tp>${'T'.repeat(35)}</Tp><Ref>${'R'.repeat(35)}</Ref></Prtry>`.repeat(3)}`,
  );
/** The Dutch and Swiss statements, fresh references, an AcctSvcrRef like another source's key. */
const reservedEntryRef = fixture('camt053-v08-nl-entryref.xml')
  .replaceAll('03126400918400', '03126400918500')
  .replace('>0312640091850001<', '>TxId:0312640091850001<');
const reservedTransactionRef = fixture('camt053-v04-ch-six.xml')
  .replaceAll('202603120012345600', '202603120012345700')
  .replace('>20260312001234570001<', '>Stmt#20260312001234570001<');

const keys = (xml: string) => parseCamt053(xml).flatMap((s) => s.entries.map((e) => e.reference));

describe('camt.053 as banks send it: the key of each line', () => {
  for (const bank of banks)
    it(`${bank.name}`, () => {
      const statements = parseCamt053(bank.xml);
      assert.deepEqual(
        statements.map((s) => s.version),
        [bank.version],
      );
      assert.deepEqual(keys(bank.xml), bank.references);
    });

  it('a statement in any version .02 to .13 is read alike (the namespace names the version)', () => {
    const xml = fixture('camt053-v02-de-prtry.xml');
    for (let version = 2; version <= 13; version++) {
      const v = String(version).padStart(2, '0');
      const again = xml.replace('xsd:camt.053.001.02"', `xsd:camt.053.001.${v}"`);
      assert.equal(parseCamt053(again)[0]?.version, version);
      assert.deepEqual(keys(again), banks[0]?.references);
    }
  });

  it('reads LglSeqNb beside ElctrncSeqNb', () => {
    const [stmt] = parseCamt053(fixture('camt053-v02-de-prtry.xml'));
    assert.equal(stmt?.electronicSequence, 42n);
    assert.equal(stmt?.legalSequence, 42n);
  });

  it('two lines with no reference in one statement get distinct keys', () => {
    const [first, second] = keys(fixture('camt053-v06-bare.xml'));
    assert.ok(first !== undefined && second !== undefined);
    assert.notEqual(first, second);
  });

  it('hashes a key over 140 characters, tagged with its source', () => {
    const [key] = keys(longProprietary);
    assert.match(key ?? '', /^Prtry#[0-9a-f]{64}$/);
  });

  it('tags an AcctSvcrRef that reads like another source, so the two cannot meet', () => {
    assert.equal(keys(reservedEntryRef)[0], 'AcctSvcrRef:TxId:0312640091850001/0');
    assert.equal(keys(reservedTransactionRef)[0], 'AcctSvcrRef:Stmt#20260312001234570001');
  });
});

describe('lineReference: the order of the sources', () => {
  const place: LinePlace = {
    statementId: 'S/1',
    iban: 'DE02120300000000202051',
    electronicSequence: 7n,
    entryIndex: 4,
    lineIndex: 1,
  };
  const all: LineReferences = {
    transactionServicer: 'SVC-TX',
    entryServicer: 'SVC-NTRY',
    proprietary: [{ type: 'LSN', reference: '000417' }],
    uetr: 'eb6305c9-1f7f-49de-aed0-16487c27b42d',
    transactionId: 'TX-1',
    clearingSystem: 'IMAD-1',
    instructionId: 'INSTR-1',
    endToEndId: 'E2E-1',
    messageId: 'MSG-1',
  };
  // Each source in turn, once every stronger one is gone.
  const order: readonly [keyof LineReferences, string][] = [
    ['transactionServicer', 'SVC-TX'],
    ['entryServicer', 'SVC-NTRY/1'],
    ['proprietary', 'Prtry:LSN/000417'],
    ['uetr', 'UETR:eb6305c9-1f7f-49de-aed0-16487c27b42d'],
    ['transactionId', 'TxId:TX-1'],
    ['clearingSystem', 'ClrSysRef:IMAD-1'],
    ['instructionId', 'InstrId:INSTR-1'],
    ['endToEndId', 'EndToEndId:E2E-1'],
    ['messageId', 'MsgId:MSG-1'],
  ];

  it('takes the strongest reference present, then the next, down to the statement', () => {
    let refs: LineReferences = all;
    for (const [field, key] of order) {
      assert.equal(lineReference(refs, place), key, `with ${field} the strongest`);
      refs = { ...refs, [field]: field === 'proprietary' ? [] : undefined };
    }
    assert.equal(lineReference(refs, place), 'Stmt:S%2F1/DE02120300000000202051//7//4/1');
  });

  it('escapes "%" and "/" in parts, so parts cannot run together', () => {
    const proprietary = (type: string, reference: string) =>
      lineReference({ proprietary: [{ type, reference }] }, place);
    assert.equal(proprietary('A/B', 'C'), 'Prtry:A%2FB/C');
    assert.notEqual(proprietary('A/B', 'C'), proprietary('A', 'B/C'));
    assert.equal(proprietary('5%', '%2F'), 'Prtry:5%25/%252F');
  });

  it('the vectors of docs/formats.md', () => {
    const long = { type: 'T'.repeat(35), reference: 'R'.repeat(35) };
    assert.equal(
      lineReference({ proprietary: [{ type: 'LSN', reference: '2026/417' }] }, place),
      'Prtry:LSN/2026%2F417',
    );
    assert.equal(
      lineReference({ proprietary: [long, long] }, place),
      'Prtry#580209d5b1db6d46a003833ef4e1632d5451c24bb5150345699503d8e4c7c1b4',
    );
  });

  it('keeps the form of AcctSvcrRef keys stored before (unprefixed)', () => {
    const refs = { proprietary: [] };
    assert.equal(
      lineReference({ ...refs, transactionServicer: 'FW26030200417' }, place),
      'FW26030200417',
    );
    assert.equal(
      lineReference({ ...refs, entryServicer: 'ACH2603020091' }, place),
      'ACH2603020091/1',
    );
  });
});

describe('camt.053 as banks send it: imported twice, recorded once', () => {
  let f: IssuanceFixture;
  before(async () => {
    f = await issuanceFixture();
  });
  after(() => f.close());

  async function importTwice(bank: string, xml: string, references: readonly string[]) {
    const treasurer = f.operator('treasurer');
    const first = await importStatement(f.ctx, treasurer, bank, xml);
    assert.deepEqual(
      first.deposits.map((d) => [d.reference, d.status]),
      references.map((reference) => [reference, 'created']),
    );
    const cash = await f.balance(`reserves:cash:${bank}`);
    const again = await importStatement(f.ctx, treasurer, bank, xml);
    assert.deepEqual(
      again.deposits.map((d) => [d.reference, d.status]),
      references.map((reference) => [reference, 'duplicate']),
    );
    assert.equal(await f.balance(`reserves:cash:${bank}`), cash, 're-import adds nothing');
    return cash;
  }

  for (const bank of banks)
    it(`${bank.name}`, async () => {
      const cash = await importTwice(
        bank.bank,
        bank.xml,
        bank.deposits.map(([index]) => bank.references[index]!),
      );
      const total = bank.deposits.reduce((sum, [, amount]) => sum + amount, 0n);
      assert.equal(cash, -total, 'each booked credit once');
    });

  it('a hashed key, and tagged AcctSvcrRefs, are idempotent too', async () => {
    const [hashed] = keys(longProprietary);
    assert.match(hashed ?? '', /^Prtry#/);
    await importTwice('bank-de', longProprietary, [
      hashed!,
      'Prtry:BUCHUNGSREFERENZ/20260309-043-000002',
    ]);
    await importTwice('bank-nl', reservedEntryRef, [
      'AcctSvcrRef:TxId:0312640091850001/0',
      '0312640091850002/0',
      '0312640091850002/1',
    ]);
    await importTwice('bank-ch', reservedTransactionRef, [
      'AcctSvcrRef:Stmt#20260312001234570001',
      '20260312001234570002',
      '20260312001234570003',
    ]);
  });
});
