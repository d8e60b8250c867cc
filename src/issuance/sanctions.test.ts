import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  loadSanctionsFile,
  loadShippedSanctions,
  mergeSanctions,
  parseSdnAdvancedXml,
  type SanctionsHit,
  type SanctionsList,
  sanctionsLimits,
  screenEvmAddress,
  shippedSanctionsAsOf,
} from './sanctions.ts';

const fixturePath = new URL('./fixtures/sdn_advanced_sample.xml', import.meta.url).pathname;
const fixture = readFileSync(fixturePath);
const fixtureText = fixture.toString('utf8');

/** The first line of data/sanctions/sanctioned_addresses_ETH.txt, EIP-55 checksummed there. */
const listedChecksummed = '0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1';
const listedLowercase = '0x01e2919679362dfbc9ee1644ba9c6da6d6245bb1';
const listedUpperHex = '0x01E2919679362DFBC9EE1644BA9C6DA6D6245BB1';
/** Not on any list: an address with no known owner. */
const unlisted = '0x1111111111111111111111111111111111111111';

/** Yields `bytes` in chunks of `size` bytes, splitting multi-byte characters. */
async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

function refused(code: string, field?: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, String(error));
    if (field !== undefined) assert.equal((error as { field?: unknown }).field, field);
    return true;
  };
}

/** How many listed addresses each asset has. */
function countByAsset(list: SanctionsList): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const hit of list.entries())
    for (const asset of hit.assets) counts[asset] = (counts[asset] ?? 0) + 1;
  return counts;
}

describe('the shipped list', () => {
  const list = loadShippedSanctions();

  it("has the README's counts, and its date", () => {
    assert.deepEqual(countByAsset(list), {
      ARB: 1,
      BSC: 1,
      ETH: 152,
      TRX: 6,
      USDC: 2,
      USDT: 26,
    });
    // 188 lines, but 5 addresses are in several files (0x4f47…270c in ARB, BSC and USDT;
    // 0x983a…05a2 and 0xb6f5…1f40 in ETH, USDC and USDT; 0x19aa…4dff and 0x2f38…6535 in ETH
    // and USDT), once with another case: 8 repeats, so 180 distinct addresses.
    assert.equal(list.size, 180);
    assert.equal(list.asOf, '2024-09-27');
    assert.equal(list.asOf, shippedSanctionsAsOf);
    const shared = list.has('0x983a81ca6FB1e441266D2FbcB7D8E530AC2E05A2');
    assert.deepEqual(shared?.assets, ['ETH', 'USDC', 'USDT']);
  });

  it('finds a listed address in checksummed, lowercase and upper-case hex form', () => {
    for (const form of [listedChecksummed, listedLowercase, listedUpperHex]) {
      assert.deepEqual(list.has(form), {
        address: listedLowercase,
        assets: ['ETH'],
        profileIds: [],
        source: list.source,
        asOf: '2024-09-27',
      } satisfies SanctionsHit);
      assert.throws(
        () => screenEvmAddress(list, form, 'recipient'),
        (error: Error & { code?: string; field?: string }) => {
          assert.equal(error.code, 'sanctions-hit');
          assert.equal(error.field, 'recipient');
          assert.equal(
            error.message,
            `recipient ${listedLowercase} is on the OFAC sanctions list (assets: ETH; ` +
              `${list.source}, as of 2024-09-27)`,
          );
          return true;
        },
      );
    }
  });

  it('passes an unlisted address, in lowercase', () => {
    assert.equal(list.has(unlisted), undefined);
    assert.equal(
      screenEvmAddress(list, unlisted.toUpperCase().replace('0X', '0x'), 'to'),
      unlisted,
    );
  });

  it('refuses a malformed address, naming the field', () => {
    for (const bad of [
      '',
      '0x123',
      `${listedLowercase}00`,
      `0X${listedLowercase.slice(2)}`,
      'hello',
    ]) {
      assert.throws(
        () => screenEvmAddress(list, bad, 'wallet.address'),
        refused('address-invalid', 'wallet.address'),
      );
    }
    assert.throws(
      () => screenEvmAddress(list, ` ${listedLowercase}`, 'wallet.address'),
      refused('address-invalid', 'wallet.address'),
    );
  });

  it('keeps Tron and Omni addresses, verbatim, but screens only EVM ones', () => {
    const tron = 'TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre';
    assert.deepEqual(list.has(tron)?.assets, ['TRX']);
    assert.equal(list.has(tron.toLowerCase()), undefined);
    const nonEvm = [...list.entries()].filter((hit) => !hit.address.startsWith('0x'));
    assert.ok(nonEvm.some((hit) => /^[13]/.test(hit.address)));
    assert.throws(
      () => screenEvmAddress(list, tron, 'sender'),
      refused('address-invalid', 'sender'),
    );
  });
});

describe('parseSdnAdvancedXml', () => {
  const expected: SanctionsHit[] = [
    {
      address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96',
      assets: ['ETH'],
      profileIds: ['90001'],
      source: 'OFAC SDN_ADVANCED.XML',
      asOf: '2025-03-14',
    },
    {
      address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
      assets: ['XBT'],
      profileIds: ['90001'],
      source: 'OFAC SDN_ADVANCED.XML',
      asOf: '2025-03-14',
    },
  ];

  it('reads the digital currency addresses of the sample, with their assets and date', async () => {
    const list = await parseSdnAdvancedXml(once(fixtureText));
    assert.deepEqual([...list.entries()], expected);
    assert.equal(list.size, 2);
    assert.equal(list.asOf, '2025-03-14');
    assert.equal(list.source, 'OFAC SDN_ADVANCED.XML');
    assert.throws(
      () => screenEvmAddress(list, '0x098B716B8Aaf21512996dC57EB0615e2383E2f96', 'sender'),
      refused('sanctions-hit', 'sender'),
    );
  });

  it('gives the same from 7-byte chunks (multi-byte characters split)', async () => {
    const list = await parseSdnAdvancedXml(chunks(fixture, 7));
    assert.deepEqual([...list.entries()], expected);
    assert.equal(list.asOf, '2025-03-14');
  });

  it('reads a file from disk, streamed; refuses another kind of file, and a missing one', async () => {
    const list = await loadSanctionsFile(fixturePath);
    assert.deepEqual(
      [...list.entries()].map((hit) => hit.address),
      expected.map((hit) => hit.address),
    );
    assert.equal(list.source, 'OFAC SDN_ADVANCED.XML (sdn_advanced_sample.xml)');
    await assert.rejects(
      loadSanctionsFile('SDN_ADVANCED.ZIP'),
      refused('sanctions-list-invalid', 'path'),
    );
    await assert.rejects(
      loadSanctionsFile(join(tmpdir(), 'clearpeg-no-such-sdn.xml')),
      refused('sanctions-list-missing', 'path'),
    );
  });

  it('resolves addresses whose feature types come after the parties', async () => {
    const types = fixtureText.match(/<FeatureTypeValues>[\s\S]*<\/FeatureTypeValues>/)?.[0];
    assert.ok(types);
    const moved = fixtureText
      .replace(types, '')
      .replace(
        '</DistinctParties>',
        `</DistinctParties><ReferenceValueSets>${types}</ReferenceValueSets>`,
      );
    const list = await parseSdnAdvancedXml(once(moved));
    assert.deepEqual([...list.entries()], expected);
  });

  it('refuses a file without digital currency feature types', async () => {
    const without = fixtureText.replaceAll(
      /<FeatureType ID="\d+" [^>]*>Digital Currency[^<]*<\/FeatureType>/g,
      '',
    );
    assert.doesNotMatch(without, /Digital Currency/);
    await assert.rejects(
      parseSdnAdvancedXml(once(without)),
      refused('sanctions-list-invalid', 'ReferenceValueSets.FeatureTypeValues'),
    );
  });

  it('refuses malformed XML', async () => {
    const cases = [
      fixtureText.replace('</Profile>', ''), // an unclosed element
      fixtureText.slice(0, fixtureText.length / 2), // a truncated download
      fixtureText.replace('&amp;', '&nbsp;'), // an entity XML does not define
      '',
      'not xml at all',
    ];
    for (const text of cases)
      await assert.rejects(parseSdnAdvancedXml(once(text)), refused('sanctions-list-invalid'));
    await assert.rejects(
      parseSdnAdvancedXml(chunks(new Uint8Array([0x3c, 0xff, 0xfe, 0x3e]), 7)),
      refused('sanctions-list-invalid'),
      'invalid UTF-8',
    );
  });

  it('refuses another format, a DOCTYPE, an address too long, a bad date', async () => {
    const cases: [string, string][] = [
      [fixtureText.replaceAll('ADVANCED_XML"', 'OTHER"'), 'Sanctions'],
      ['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Sanctions/>', 'xml'],
      [
        fixtureText.replace('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'b'.repeat(129)),
        'Feature 50003',
      ],
      [
        fixtureText
          .replace('<Day>14</Day>', '<Day>31</Day>')
          .replace('<Month>3</Month>', '<Month>2</Month>'),
        'Sanctions.DateOfIssue',
      ],
      [
        fixtureText.replace('www.example.org', '<b>www</b>'),
        'Sanctions.DistinctParties.DistinctParty.Profile.Feature.FeatureVersion.VersionDetail.b',
      ],
    ];
    for (const [text, field] of cases)
      await assert.rejects(
        parseSdnAdvancedXml(once(text)),
        refused('sanctions-list-invalid', field),
      );
    // An address of exactly the limit is kept.
    const longest = 'b'.repeat(sanctionsLimits.addressCharsMax);
    const list = await parseSdnAdvancedXml(
      once(fixtureText.replace('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', longest)),
    );
    assert.deepEqual(list.has(longest)?.assets, ['XBT']);
  });
});

describe('mergeSanctions', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clearpeg-sanctions-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('screens against the shipped copy and a fresh file together', async () => {
    const path = join(dir, 'SDN_ADVANCED.XML');
    await writeFile(path, fixture);
    const shipped = loadShippedSanctions();
    const fresh = await loadSanctionsFile(path);
    const list = mergeSanctions(shipped, fresh);
    assert.equal(list.size, 181); // the fixture's XBT address is new; its ETH one is shipped
    assert.equal(list.asOf, '2025-03-14');
    assert.equal(list.source, `${shipped.source} + ${fresh.source}`);
    assert.deepEqual(list.has('0x098B716B8Aaf21512996dC57EB0615e2383E2f96'), {
      address: '0x098b716b8aaf21512996dc57eb0615e2383e2f96',
      assets: ['ETH'],
      profileIds: ['90001'],
      source: `${shipped.source} + ${fresh.source}`,
      asOf: '2025-03-14',
    });
    assert.equal(list.has(listedUpperHex)?.asOf, '2024-09-27');
    assert.equal(screenEvmAddress(list, unlisted, 'to'), unlisted);
  });
});
