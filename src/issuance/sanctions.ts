/**
 * OFAC sanctions screening of EVM addresses: every registered wallet, mint recipient and
 * redemption sender is checked against the US Treasury's Specially Designated Nationals (SDN)
 * list, and a hit refuses the action.
 *
 * Two sources, screened together with `mergeSanctions`:
 * - the copy shipped in `data/sanctions/` (`loadShippedSanctions`): the SDN list's
 *   "Digital Currency Address - <ASSET>" features as extracted by the public project
 *   0xB10C/ofac-sanctioned-digital-currency-addresses, as of `shippedSanctionsAsOf`;
 * - OFAC's own SDN_ADVANCED.XML (`loadSanctionsFile`, `parseSdnAdvancedXml`), for fresh data:
 *   https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML
 *
 * The parts of SDN_ADVANCED.XML read here (the structure 0xB10C's generate-address-list.py
 * and src/lib.rs rely on):
 * - `Sanctions/DateOfIssue/{Year,Month,Day}`: the publication date (`asOf`);
 * - `Sanctions/ReferenceValueSets/FeatureTypeValues/FeatureType[@ID]`, whose text names the
 *   type: "Digital Currency Address - ETH" gives the asset `ETH`;
 * - `Sanctions/DistinctParties/DistinctParty/Profile[@ID]/Feature[@FeatureTypeID]/
 *   FeatureVersion/VersionDetail`: the address, as text.
 *
 * What is guaranteed, and what is not:
 * - EVM addresses are compared in lowercase, so EIP-55, lowercase and upper-case hex forms of
 *   one address match; other chains' addresses (Tron `T…`, Omni `1…`/`3…`, Bitcoin) are kept
 *   verbatim (base58 is case-sensitive) and can be looked up with `has`, but only EVM
 *   addresses can be screened with `screenEvmAddress`.
 * - The lists name addresses, not owners: an address one hop from a listed one passes. The
 *   shipped copy goes stale; a deployment refreshes it from OFAC's file.
 * - The XML is input: it is streamed (the real file is about 120 MB), never held whole, and
 *   every quantity read from it is bounded (`sanctionsLimits`). A DOCTYPE is refused, and
 *   saxes expands no entities beyond XML's five, so entity expansion attacks do not apply.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { type Address, isAddress } from 'viem';
import { assert, ClearpegError } from '../errors.ts';

/** The codes a sanctions function throws (`ClearpegError.code`); stable, never reworded. */
export type SanctionsErrorCode =
  /** The address is on a sanctions list; `field` names the input that carried it. */
  | 'sanctions-hit'
  /** The address to screen is not an EVM address; `field` names it. */
  | 'address-invalid'
  /** A sanctions list file is malformed, of an unknown kind, or out of bounds. */
  | 'sanctions-list-invalid'
  /** `loadSanctionsFile` found no file. */
  | 'sanctions-list-missing';

/** One listed address, with everything the list says about it. */
export interface SanctionsHit {
  /** The address as listed, normalised: EVM addresses in lowercase, others verbatim. */
  readonly address: string;
  /** The assets it is listed under (`ETH`, `USDT`, …): distinct, sorted. */
  readonly assets: readonly string[];
  /**
   * The OFAC profile ids of the parties it belongs to (SDN_ADVANCED.XML names them; the
   * shipped text files do not): distinct, sorted.
   */
  readonly profileIds: readonly string[];
  /** The list, or lists joined by ` + `, that name it. */
  readonly source: string;
  /** The publication date of the newest of those lists, `YYYY-MM-DD`, when known. */
  readonly asOf: string | undefined;
}

/** A set of listed addresses to screen against. */
export interface SanctionsList {
  /** Where the list comes from, in words. */
  readonly source: string;
  /** Its publication date, `YYYY-MM-DD`, when known. */
  readonly asOf: string | undefined;
  /** The listed address `address` is, in any case form for EVM addresses, or `undefined`. */
  has(address: string): SanctionsHit | undefined;
  /** Distinct listed addresses (after normalisation; one address under several assets counts once). */
  readonly size: number;
  /** Every listed address, in the order first read. */
  entries(): Iterable<SanctionsHit>;
}

/**
 * What a sanctions list may hold, each bound with its reason. The SDN list names some
 * hundreds of digital currency addresses (the shipped copy: 188), under about 20 assets.
 */
export const sanctionsLimits = {
  /** Digital currency addresses read from one list: 1,000,000, over 1,000 × today's. */
  entriesMax: 1_000_000,
  /** An address, in characters: the longest listed ones (Monero, 95–106) fit; 0x + 40 hex is 42. */
  addressCharsMax: 128,
  /** A feature type's name, in characters: they are short phrases ("Digital Currency Address - USDT"). */
  featureTypeNameCharsMax: 256,
  /** Feature types in the reference values: they are in the hundreds. */
  featureTypesMax: 10_000,
  /** An asset code (`XBT`, `USDT`), in characters. */
  assetCharsMax: 16,
  /** Element nesting: the real file nests about 10 deep (…/FeatureVersion/DatePeriod/Start/From/Year). */
  elementDepthMax: 64,
  /** SDN_ADVANCED.XML, in bytes: 1 GiB, about 8 × the real file's 120 MB. */
  xmlBytesMax: 1024 * 1024 * 1024,
  /** One shipped text file, in bytes: the largest (ETH) is about 7 KB. */
  shippedFileBytesMax: 1024 * 1024,
} as const;

/**
 * The shipped copy's date: data/sanctions/README.md says it is 0xB10C's list "as of
 * 2024-09-27". Change it only with the files.
 */
export const shippedSanctionsAsOf = '2024-09-27';
/** The shipped copy's source, in words. */
export const shippedSanctionsSource =
  'OFAC SDN list (0xB10C/ofac-sanctioned-digital-currency-addresses)';
/** The default source of a parsed SDN_ADVANCED.XML. */
const sdnAdvancedSource = 'OFAC SDN_ADVANCED.XML';
/**
 * SDN_ADVANCED.XML's namespaces: today's, and the one of the file at OFAC's older download
 * URL (https://www.treasury.gov/ofac/downloads/sanctions/1.0/sdn_advanced.xml).
 */
export const sdnAdvancedNamespaces: readonly string[] = [
  'https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML',
  'http://www.un.org/sanctions/1.0',
];
/** A feature type whose name starts so is a digital currency address; the rest is the asset. */
const digitalCurrencyPrefix = 'Digital Currency Address - ';
/** The shipped copy, relative to this module (src/issuance/ → data/sanctions/). */
const shippedDirectory = new URL('../../data/sanctions/', import.meta.url);
const shippedFilePattern = /^sanctioned_addresses_([A-Z0-9]{1,16})\.txt$/;
const evmAddressPattern = /^0x[0-9a-fA-F]{40}$/;
const assetPattern = /^[A-Za-z0-9]+$/;
/** A `DateOfIssue` part (`Year`, `Month`, `Day`), in characters, white space included. */
const dateOfIssuePartCharsMax = 16;

/**
 * A listed address as the lists compare it: trimmed, and for an EVM address, lowercase.
 * @example normaliseListedAddress('0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1') // '0x01e2…5bb1'
 */
export function normaliseListedAddress(address: string): string {
  const trimmed = address.trim();
  return evmAddressPattern.test(trimmed) ? trimmed.toLowerCase() : trimmed;
}

/** One listed address while a list is built. */
interface Entry {
  readonly address: string;
  readonly assets: Set<string>;
  readonly profileIds: Set<string>;
  readonly sources: Set<string>;
  asOf: string | undefined;
}

/** The newer of two `YYYY-MM-DD` dates, either possibly unknown. */
function newer(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/** A list held as a map from normalised address to its hit. */
class MapSanctionsList implements SanctionsList {
  readonly source: string;
  readonly asOf: string | undefined;
  readonly #hits: ReadonlyMap<string, SanctionsHit>;

  constructor(source: string, asOf: string | undefined, hits: ReadonlyMap<string, SanctionsHit>) {
    this.source = source;
    this.asOf = asOf;
    this.#hits = hits;
  }

  get size(): number {
    return this.#hits.size;
  }

  has(address: string): SanctionsHit | undefined {
    if (typeof address !== 'string') return undefined;
    return this.#hits.get(normaliseListedAddress(address));
  }

  entries(): Iterable<SanctionsHit> {
    return this.#hits.values();
  }
}

/** Collects listed addresses, merging repeats, up to `entriesMax`. */
class ListBuilder {
  readonly #entries = new Map<string, Entry>();

  add(
    address: string,
    assets: Iterable<string>,
    profileIds: Iterable<string>,
    source: string,
    asOf: string | undefined,
  ): void {
    const key = normaliseListedAddress(address);
    assert(key !== '', 'a listed address is not empty');
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= sanctionsLimits.entriesMax)
        throw listInvalid(
          `more than ${sanctionsLimits.entriesMax} listed addresses`,
          'entries',
          `at most ${sanctionsLimits.entriesMax} addresses`,
        );
      entry = {
        address: key,
        assets: new Set(),
        profileIds: new Set(),
        sources: new Set(),
        asOf: undefined,
      };
      this.#entries.set(key, entry);
    }
    for (const asset of assets) entry.assets.add(asset);
    for (const id of profileIds) entry.profileIds.add(id);
    entry.sources.add(source);
    entry.asOf = newer(entry.asOf, asOf);
  }

  build(source: string, asOf: string | undefined): SanctionsList {
    const hits = new Map<string, SanctionsHit>();
    for (const [key, entry] of this.#entries) {
      assert(entry.assets.size > 0, 'a listed address has an asset');
      hits.set(
        key,
        Object.freeze({
          address: entry.address,
          assets: Object.freeze([...entry.assets].sort()),
          profileIds: Object.freeze([...entry.profileIds].sort()),
          source: [...entry.sources].join(' + '),
          asOf: entry.asOf,
        }),
      );
    }
    return new MapSanctionsList(source, asOf, hits);
  }
}

function listInvalid(message: string, field: string, rule: string, cause?: unknown): ClearpegError {
  return new ClearpegError('sanctions-list-invalid', message, {
    field,
    rule,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Refuses a listed address longer than `addressCharsMax`; `where` says where it was read. */
function checkListedAddress(address: string, where: string): void {
  if (address.length > sanctionsLimits.addressCharsMax)
    throw listInvalid(
      `${where}: a listed address of ${address.length} characters`,
      where,
      `an address of at most ${sanctionsLimits.addressCharsMax} characters`,
    );
}

/**
 * The copy of the SDN list's digital currency addresses shipped in `data/sanctions/`
 * (`sanctioned_addresses_<ASSET>.txt`, one address a line), as of `shippedSanctionsAsOf`.
 * Reads a few kilobytes synchronously: load it once at start, not per screening.
 * @example screenEvmAddress(loadShippedSanctions(), recipient, 'recipient')
 */
export function loadShippedSanctions(): SanctionsList {
  const names = readdirSync(shippedDirectory)
    .filter((name) => shippedFilePattern.test(name))
    .sort();
  assert(names.length > 0, 'data/sanctions/ holds the shipped sanctioned_addresses_*.txt files');
  const builder = new ListBuilder();
  for (const name of names) {
    const asset = shippedFilePattern.exec(name)?.[1];
    assert(asset !== undefined, 'a shipped file name names its asset');
    const url = new URL(name, shippedDirectory);
    const bytes = statSync(url).size;
    if (bytes > sanctionsLimits.shippedFileBytesMax)
      throw listInvalid(
        `data/sanctions/${name} is ${bytes} bytes`,
        name,
        `at most ${sanctionsLimits.shippedFileBytesMax} bytes`,
      );
    readFileSync(url, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const address = line.trim();
        if (address === '') return;
        checkListedAddress(address, `${name}:${index + 1}`);
        builder.add(address, [asset], [], shippedSanctionsSource, shippedSanctionsAsOf);
      });
  }
  return builder.build(shippedSanctionsSource, shippedSanctionsAsOf);
}

/** Text being collected from inside an element, bounded. */
interface Capture {
  readonly kind: 'feature-type' | 'address' | 'date-part';
  /** The element's name (`Year`…) or the feature type's ID. */
  readonly key: string;
  text: string;
  /** Set once the text passed `charsMax`: the rest is dropped. */
  tooLong: boolean;
  readonly charsMax: number;
}

/**
 * A feature's address, kept until the end of the file: its type's asset is looked up then, so
 * that the reference values may come after the parties (OFAC puts them first; nothing here
 * relies on it). Features of a type already known not to be a currency are not kept.
 */
interface FeatureAddress {
  readonly featureTypeId: string;
  readonly featureId: string;
  readonly profileId: string | undefined;
  readonly address: string;
  /** Longer than `addressCharsMax`: refused if the type is a digital currency one. */
  readonly tooLong: boolean;
}

/** The state of one SDN_ADVANCED.XML parse; fed by saxes's events. */
class SdnCollector {
  readonly source: string;
  readonly #line: () => number;
  /** The open elements' local names, outermost first. */
  readonly #path: string[] = [];
  /** FeatureType ID → its asset (digital currency types) or `null` (every other type). */
  readonly #featureTypeAssets = new Map<string, string | null>();
  readonly #features: FeatureAddress[] = [];
  readonly #dateParts = new Map<string, string>();
  #asOf: string | undefined;
  #profileId: string | undefined;
  #feature: { readonly typeId: string; readonly id: string } | undefined;
  #capture: Capture | undefined;

  constructor(source: string, line: () => number) {
    this.source = source;
    this.#line = line;
  }

  refuse(message: string, rule: string): ClearpegError {
    const field = this.#path.join('.') || 'xml';
    return listInvalid(`${this.source}, line ${this.#line()}: ${message}`, field, rule);
  }

  open(tag: SaxesTagNS): void {
    const parent = this.#path.at(-1);
    this.#path.push(tag.local);
    if (this.#path.length > sanctionsLimits.elementDepthMax)
      throw this.refuse(
        `elements nested over ${sanctionsLimits.elementDepthMax} deep`,
        `at most ${sanctionsLimits.elementDepthMax} nested elements`,
      );
    if (this.#capture !== undefined)
      throw this.refuse(`a ${tag.local} element inside ${parent}`, `${parent} holds text only`);
    const attribute = (name: string) => tag.attributes[name]?.value;
    if (this.#path.length === 1) {
      if (tag.local !== 'Sanctions' || !sdnAdvancedNamespaces.includes(tag.uri))
        throw this.refuse(
          `the root element is {${tag.uri}}${tag.local}`,
          `a Sanctions element in namespace ${sdnAdvancedNamespaces.join(' or ')}`,
        );
    } else if (tag.local === 'FeatureType' && parent === 'FeatureTypeValues') {
      const id = attribute('ID');
      if (id === undefined) throw this.refuse('a FeatureType without an ID', 'an ID attribute');
      this.#capture = newCapture('feature-type', id, sanctionsLimits.featureTypeNameCharsMax);
    } else if (tag.local === 'Profile' && parent === 'DistinctParty') {
      this.#profileId = attribute('ID');
    } else if (tag.local === 'Feature' && parent === 'Profile') {
      const typeId = attribute('FeatureTypeID');
      if (typeId === undefined)
        throw this.refuse('a Feature without a FeatureTypeID', 'a FeatureTypeID attribute');
      this.#feature = { typeId, id: attribute('ID') ?? '(no ID)' };
    } else if (tag.local === 'VersionDetail' && parent === 'FeatureVersion' && this.#feature) {
      // Room for surrounding white space; the trimmed address is checked on its own.
      const charsMax = 4 * sanctionsLimits.addressCharsMax;
      this.#capture = newCapture('address', this.#feature.typeId, charsMax);
    } else if (parent === 'DateOfIssue' && this.#path.length === 3) {
      this.#capture = newCapture('date-part', tag.local, dateOfIssuePartCharsMax);
    }
  }

  text(text: string): void {
    const capture = this.#capture;
    if (capture === undefined || capture.tooLong) return;
    if (capture.text.length + text.length > capture.charsMax) capture.tooLong = true;
    else capture.text += text;
  }

  close(tag: SaxesTagNS): void {
    const capture = this.#capture;
    this.#capture = undefined;
    if (capture?.kind === 'feature-type') this.#addFeatureType(capture);
    else if (capture?.kind === 'address') this.#addFeature(capture);
    else if (capture?.kind === 'date-part')
      this.#dateParts.set(detached(capture.key), detached(capture.text.trim()));
    else if (tag.local === 'DateOfIssue' && this.#path.length === 2) this.#asOf = this.#date();
    else if (tag.local === 'Profile') this.#profileId = undefined;
    else if (tag.local === 'Feature') this.#feature = undefined;
    this.#path.pop();
  }

  #addFeatureType(capture: Capture): void {
    if (capture.tooLong)
      throw this.refuse(
        `FeatureType ${capture.key}'s name is too long`,
        `a name of at most ${sanctionsLimits.featureTypeNameCharsMax} characters`,
      );
    if (
      !this.#featureTypeAssets.has(capture.key) &&
      this.#featureTypeAssets.size >= sanctionsLimits.featureTypesMax
    )
      throw this.refuse(
        `more than ${sanctionsLimits.featureTypesMax} feature types`,
        `at most ${sanctionsLimits.featureTypesMax} feature types`,
      );
    const name = capture.text.trim();
    if (!name.startsWith(digitalCurrencyPrefix)) {
      this.#featureTypeAssets.set(detached(capture.key), null);
      return;
    }
    const asset = name.slice(digitalCurrencyPrefix.length).trim();
    if (!assetPattern.test(asset) || asset.length > sanctionsLimits.assetCharsMax)
      throw this.refuse(
        `FeatureType ${capture.key} names the asset ${JSON.stringify(asset.slice(0, 32))}`,
        `an asset code of 1 to ${sanctionsLimits.assetCharsMax} letters and digits`,
      );
    this.#featureTypeAssets.set(detached(capture.key), detached(asset));
  }

  #addFeature(capture: Capture): void {
    assert(this.#feature !== undefined, 'an address is read inside a Feature');
    const address = capture.text.trim();
    // Another kind of feature (its type already read), or a detail given by reference only.
    if (this.#featureTypeAssets.get(capture.key) === null || address === '') return;
    if (this.#features.length >= sanctionsLimits.entriesMax)
      throw this.refuse(
        `more than ${sanctionsLimits.entriesMax} digital currency addresses`,
        `at most ${sanctionsLimits.entriesMax} addresses`,
      );
    this.#features.push({
      featureTypeId: detached(capture.key),
      featureId: detached(this.#feature.id),
      profileId: this.#profileId === undefined ? undefined : detached(this.#profileId),
      address: detached(address),
      tooLong: capture.tooLong || address.length > sanctionsLimits.addressCharsMax,
    });
  }

  /** `DateOfIssue`'s Year, Month and Day as `YYYY-MM-DD`. */
  #date(): string {
    const part = (name: string) => {
      const text = this.#dateParts.get(name) ?? '';
      return /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
    };
    const [year, month, day] = [part('Year'), part('Month'), part('Day')];
    const date = new Date(Date.UTC(year, month - 1, day));
    if (!(year >= 1990) || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
      throw this.refuse(
        `DateOfIssue is not a date: ${['Year', 'Month', 'Day'].map((n) => this.#dateParts.get(n)).join('-')}`,
        'the Year, Month and Day of a real date from 1990 on',
      );
    return date.toISOString().slice(0, 10);
  }

  /** After the document: looks up each address's asset and builds the list. */
  finish(): SanctionsList {
    const currencyTypes = [...this.#featureTypeAssets.values()].filter((asset) => asset !== null);
    if (currencyTypes.length === 0)
      throw listInvalid(
        `${this.source}: no "${digitalCurrencyPrefix}…" feature type: not an SDN_ADVANCED.XML file, or its format changed`,
        'ReferenceValueSets.FeatureTypeValues',
        `at least one FeatureType named "${digitalCurrencyPrefix}<ASSET>"`,
      );
    const builder = new ListBuilder();
    for (const feature of this.#features) {
      const asset = this.#featureTypeAssets.get(feature.featureTypeId);
      if (typeof asset !== 'string') continue; // not a digital currency type, or never defined
      if (feature.tooLong)
        throw listInvalid(
          `${this.source}: Feature ${feature.featureId} (${asset}) lists an address over ${sanctionsLimits.addressCharsMax} characters`,
          `Feature ${feature.featureId}`,
          `an address of at most ${sanctionsLimits.addressCharsMax} characters`,
        );
      const profileIds = feature.profileId === undefined ? [] : [feature.profileId];
      builder.add(feature.address, [asset], profileIds, this.source, this.#asOf);
    }
    return builder.build(this.source, this.#asOf);
  }
}

/**
 * A copy of `text` that shares no memory with the string it was cut from. saxes hands out
 * slices of the chunk it is parsing; V8 keeps such a slice as a pointer into that chunk, so
 * one kept address would keep its whole chunk (64 KiB or more) alive, and a few hundred
 * addresses most of a 120 MB file. Only what is kept is copied.
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function newCapture(kind: Capture['kind'], key: string, charsMax: number): Capture {
  return { kind, key, text: '', tooLong: false, charsMax };
}

/** Options of `parseSdnAdvancedXml`. */
export interface ParseSdnAdvancedXmlOptions {
  /** The list's source, in words; `'OFAC SDN_ADVANCED.XML'` unless told. */
  readonly source?: string;
}

/**
 * Reads OFAC's SDN_ADVANCED.XML as a stream and keeps every "Digital Currency Address"
 * feature: its address, its asset and its party's profile id. The date is the file's
 * `DateOfIssue`. Refuses (`sanctions-list-invalid`) malformed XML, a file with no digital
 * currency feature type, an address over `addressCharsMax` characters, and anything past
 * `sanctionsLimits`.
 * @example const fresh = await parseSdnAdvancedXml(createReadStream('SDN_ADVANCED.XML'))
 */
export async function parseSdnAdvancedXml(
  input: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>,
  options: ParseSdnAdvancedXmlOptions = {},
): Promise<SanctionsList> {
  const source = options.source ?? sdnAdvancedSource;
  // No fileName: saxes's messages then start with line:column, and ours name the source.
  const parser = new SaxesParser<{ xmlns: true }>({ xmlns: true });
  const collector = new SdnCollector(source, () => parser.line);
  parser.on('opentag', (tag) => collector.open(tag));
  parser.on('closetag', (tag) => collector.close(tag));
  parser.on('text', (text) => collector.text(text));
  parser.on('cdata', (text) => collector.text(text));
  parser.on('doctype', () => {
    throw collector.refuse('a DOCTYPE declaration', 'no DOCTYPE (OFAC uses none)');
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  const feed = (write: () => void) => {
    try {
      write();
    } catch (error) {
      if (error instanceof ClearpegError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw listInvalid(
        `${source} is not well-formed UTF-8 XML (${reason})`,
        'xml',
        'well-formed UTF-8 XML',
        error,
      );
    }
  };
  for await (const chunk of input as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk);
      feed(() => parser.write(chunk));
    } else if (chunk instanceof Uint8Array) {
      bytes += chunk.byteLength;
      feed(() => parser.write(decoder.decode(chunk, { stream: true })));
    } else {
      throw listInvalid(
        `${source}: a chunk of type ${typeof chunk}`,
        'input',
        'chunks of bytes or text',
      );
    }
    if (bytes > sanctionsLimits.xmlBytesMax)
      throw listInvalid(
        `${source} is over ${sanctionsLimits.xmlBytesMax} bytes`,
        'xml',
        `at most ${sanctionsLimits.xmlBytesMax} bytes`,
      );
  }
  feed(() => parser.write(decoder.decode()).close());
  return collector.finish();
}

/**
 * Reads a sanctions list file: OFAC's SDN_ADVANCED.XML (`.xml`), streamed from disk. Throws
 * `sanctions-list-missing` for no file, and `sanctions-list-invalid` for another kind of file
 * (OFAC's SDN_ADVANCED.ZIP: unzip it first) or a malformed one.
 * @example const list = mergeSanctions(loadShippedSanctions(), await loadSanctionsFile('SDN_ADVANCED.XML'))
 */
export async function loadSanctionsFile(path: string): Promise<SanctionsList> {
  if (!/\.xml$/i.test(path)) {
    const hint = /\.zip$/i.test(path) ? " (unzip OFAC's SDN_ADVANCED.ZIP first)" : '';
    throw listInvalid(
      `${path} is not an SDN_ADVANCED.XML file${hint}`,
      'path',
      "OFAC's SDN_ADVANCED.XML, named *.xml",
    );
  }
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ClearpegError('sanctions-list-missing', `no sanctions list at ${path}`, {
        field: 'path',
        rule: 'an existing file',
        cause: error,
      });
    throw error;
  }
  const stream = handle.createReadStream({ highWaterMark: 1024 * 1024 });
  try {
    const { size } = await handle.stat();
    if (size > sanctionsLimits.xmlBytesMax)
      throw listInvalid(
        `${path} is ${size} bytes`,
        'path',
        `at most ${sanctionsLimits.xmlBytesMax} bytes`,
      );
    return await parseSdnAdvancedXml(stream, {
      source: `${sdnAdvancedSource} (${basename(path)})`,
    });
  } finally {
    stream.destroy();
  }
}

/**
 * One list made of several (the shipped copy and a fresh file, say): an address is listed if
 * any list names it, with every asset, profile id and source that names it, and the newest
 * date among them. The merged list's date is the newest of the lists'.
 * @example const list = mergeSanctions(loadShippedSanctions(), await loadSanctionsFile(path))
 */
export function mergeSanctions(...lists: readonly SanctionsList[]): SanctionsList {
  assert(lists.length > 0, 'mergeSanctions is given at least one list');
  const builder = new ListBuilder();
  for (const list of lists)
    for (const hit of list.entries())
      builder.add(hit.address, hit.assets, hit.profileIds, hit.source, hit.asOf);
  const asOf = lists.map((list) => list.asOf).reduce(newer, undefined);
  return builder.build([...new Set(lists.map((list) => list.source))].join(' + '), asOf);
}

/**
 * Screens an EVM address: returns it in lowercase, or throws `address-invalid` (not an EVM
 * address) or `sanctions-hit` (listed), either naming `field`. Any case form is accepted
 * (a wrong EIP-55 checksum is not refused here: the address is what is screened).
 * @example screenEvmAddress(list, '0x01E2919679362DFBC9EE1644BA9C6DA6D6245BB1', 'recipient') // throws sanctions-hit
 */
export function screenEvmAddress(list: SanctionsList, address: string, field: string): Address {
  if (typeof address !== 'string' || !isAddress(address, { strict: false }))
    throw new ClearpegError(
      'address-invalid',
      `${field} is not an EVM address: ${JSON.stringify(String(address).slice(0, 64))}`,
      { field, rule: '0x and 40 hex digits' },
    );
  const normalised = address.toLowerCase() as Address;
  const hit = list.has(normalised);
  if (hit !== undefined)
    throw new ClearpegError(
      'sanctions-hit',
      `${field} ${normalised} is on the OFAC sanctions list (assets: ${hit.assets.join(', ')}; ` +
        `${hit.source}, as of ${hit.asOf ?? 'an unknown date'})`,
      { field, rule: 'not on the OFAC SDN list' },
    );
  return normalised;
}
