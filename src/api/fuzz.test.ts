/**
 * Fuzzing every POST endpoint: at least 2,000 requests each, generated from the endpoint's
 * JSON Schema in the OpenAPI document (valid bodies) and mutated (fields dropped, added or
 * replaced by junk of every type, amounts as numbers, negative or over six decimals, unicode
 * junk, huge strings, invalid JSON text, keys named twice at any depth, names and references
 * with line breaks, terminal escapes and bidirectional controls, wallet addresses that are not
 * a customer's (zero, the token, an issuer address, a wrong EIP-55 checksum, a chain without
 * a token), wrong content types, bodies over the limit, missing, malformed and reused
 * Idempotency-Keys, missing or unknown API keys).
 *
 * Asserted of every answer: never a 5xx; a refusal is a problem document whose code is one its
 * route documents (`routeProblems`: the route's own and its kind's); a refusal (and a
 * replay) changes nothing: row triggers count every insert, update and delete of every issuance
 * table, of the ledger's journal and of the audit log (`ApiFixture.watchChanges`: a refusal's own
 * audit entry and sanctions alert, and accounts created on first use, aside), and the count is
 * the same before and after (read around every request that reaches a workflow; refusals made
 * before any workflow are checked together at the next reading, which is always taken before a
 * request that may be accepted); and an accepted request passed the route's own schemas.
 *
 * Every GET route is sent a tenth as many requests (paths and queries from its parameters'
 * schemas, junk, unknown parameters, missing or unknown keys): never a 5xx, a refusal a problem
 * document whose code the route documents.
 *
 * One database and one app for all endpoints. `FUZZ_SEED` replays a run; `FUZZ_RUNS` sets the
 * requests per endpoint (default 2,000).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { zeroAddress } from 'viem';
import type { ErrorCode } from '../errors.ts';
import {
  createCustomer,
  redemptionAddressOf,
  registerWallet,
  setKyc,
} from '../issuance/customers.ts';
import { recordDeposit } from '../issuance/deposits.ts';
import { requestMint } from '../issuance/mint.ts';
import { uuidv7 } from '../ledger/uuid.ts';
import { parseAmount } from '../money/money.ts';
import { buyBill } from '../treasury/book.ts';
import { recordStatement } from '../treasury/positions.ts';
import { findDuplicateKey } from './json-keys.ts';
import { routeProblems } from './openapi.ts';
import { openApiPath, type Route } from './route.ts';
import { type ApiFixture, apiFixture, testChainId, testToken } from './testing.ts';

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.FUZZ_RUNS ?? 2000);
const holder = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
/** Addresses a customer may not register: zero, the token, a redemption address, a mistyped checksum. */
const reservedAddresses = [
  zeroAddress,
  testToken,
  testToken.toUpperCase().replace('0X', '0x'),
  redemptionAddressOf(testToken, 'CUST-0001'),
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293Bc',
];
/** Addresses a customer may register (Hardhat's accounts 3 to 5), checksummed and not. */
const freshAddresses = [
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65',
];
/** Text an operator reads, as it should be and with what no operator should read. */
const texts = [
  'Acme Treasury LLC',
  'Müller & Söhne GmbH',
  'Acme\nApproved by compliance',
  'Acme\r\n',
  'Acme \u001b[31mRED\u001b[0m',
  'Acme \u009b2J',
  'Acme \u202eCLL',
  'Acme \u2066x\u2069',
  'Acme\u200f',
  'Acme\u061c',
  'Acme\u2028Inc',
  'Ac\u200bme',
];
const sanctioned = '0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1';
/** The SHA-256 of a custodian statement recorded before the fuzz (positions may cite it). */
const fuzzStatement = 'f0'.repeat(32);

type Json = Record<string, unknown>;

/** What one generated request is. */
interface FuzzRequest {
  readonly path: string;
  /** The path parameters, as sent (percent-encoded where they need it). */
  readonly params: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly body: string | Uint8Array;
  /** 'fresh', none, malformed, or the key of the request before (reuse). */
  readonly idempotency: 'fresh' | 'none' | 'invalid' | 'reuse';
  readonly auth: 'ok' | 'none' | 'unknown';
}

// ---------------------------------------------------------------- JSON Schema → arbitrary

/** Per field name, values that reach deeper into the workflows than random ones. */
function hints(known: { customers: string[] }): Record<string, fc.Arbitrary<unknown>> {
  return {
    customerId: fc.constantFrom('CUST-0001', 'CUST-0001', ...known.customers),
    to: fc.constantFrom(holder, holder, sanctioned, holder.toUpperCase().replace('0X', '0x')),
    address: fc.constantFrom(holder, sanctioned, ...reservedAddresses, ...freshAddresses),
    name: fc.constantFrom(...texts),
    reference: fc.constantFrom('WIRE-FUZZ', ...texts),
    remittance: fc.constantFrom('CUST-0001', ...texts),
    beneficiary: fc.constantFrom(...texts),
    reason: fc.constantFrom(...texts),
    chainId: fc.constantFrom(testChainId, testChainId, testChainId, 1, 2 ** 53 - 1),
    amount: fc.constantFrom('1', '0.5', '10.25', '0', '250000'),
    bank: fc.constantFrom('bank-a', 'bank-b'),
    kyc: fc.constantFrom('approved', 'approved', 'pending', 'suspended'),
    // Reserves: terms that fit together often enough to reach the ledger.
    cusip: fc.constantFrom('912797LB1', '912797LB1', '912797LB2'),
    face: fc.constantFrom('1000', '100000', '0.5', '0'),
    cost: fc.constantFrom('990', '1000', '0'),
    principal: fc.constantFrom('1000', '50000'),
    issueDate: fc.constantFrom('2026-11-19'),
    maturityDate: fc.constantFrom('2027-02-18', '2027-02-18', '2026-12-17', '2026-11-19'),
    tradeDate: fc.constantFrom('2026-11-17', '2026-11-19'),
    settlementDate: fc.constantFrom('2026-11-19', '2026-11-19', '2026-12-01', '2027-03-01'),
    startDate: fc.constantFrom('2026-11-20'),
    through: fc.constantFrom('2026-11-30', '2026-12-20'),
    asOf: fc.constantFrom('2026-11-30'),
    discountRatePct: fc.constantFrom('4.480', '4.480', '5.1', '-0.05', '99'),
    statement: fc.constantFrom(fuzzStatement),
    ratePct: fc.constantFrom('5.31', '0'),
    custodian: fc.constantFrom('BNY Mellon'),
    jurisdiction: fc.constantFrom('US', 'IE'),
    counterparty: fc.constantFrom('ficc'),
    fund: fc.constantFrom('gov-fund'),
  };
}

function arbitraryOf(
  schema: Json,
  doc: Json,
  fieldHints: Record<string, fc.Arbitrary<unknown>>,
  name = '',
): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === 'string') {
    const id = schema.$ref.split('/').pop()!;
    const components = (doc.components as { schemas: Record<string, Json> }).schemas;
    return arbitraryOf(components[id]!, doc, fieldHints, name);
  }
  const base = plainArbitrary(schema, doc, fieldHints);
  const hint = fieldHints[name];
  return hint === undefined
    ? base
    : fc.oneof({ weight: 4, arbitrary: hint }, { weight: 1, arbitrary: base });
}

function plainArbitrary(
  schema: Json,
  doc: Json,
  fieldHints: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.oneOf))
    return fc.oneof(...(schema.oneOf as Json[]).map((s) => arbitraryOf(s, doc, fieldHints)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.type))
    return fc.oneof(
      ...schema.type.map((type) => plainArbitrary({ ...schema, type }, doc, fieldHints)),
    );
  switch (schema.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({
        min: Math.max(Number(schema.minimum ?? -(2 ** 31)), Number.MIN_SAFE_INTEGER),
        max: Math.min(Number(schema.maximum ?? 2 ** 31), Number.MAX_SAFE_INTEGER),
      });
    case 'string': {
      const minLength = Number(schema.minLength ?? 0);
      const maxLength = Math.min(Number(schema.maxLength ?? 64), 64);
      if (typeof schema.pattern !== 'string')
        return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
      const pattern = new RegExp(schema.pattern, 'u');
      try {
        return fc
          .stringMatching(pattern)
          .filter((s) => s.length <= Number(schema.maxLength ?? 1e9));
      } catch {
        return fc.string({ minLength: 1, maxLength: 40 }).filter((s) => pattern.test(s));
      }
    }
    case 'array':
      return fc.array(arbitraryOf(schema.items as Json, doc, fieldHints), {
        minLength: Number(schema.minItems ?? 0),
        maxLength: Math.min(Number(schema.maxItems ?? 3), 3),
      });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Json>;
      const record = Object.fromEntries(
        Object.entries(properties).map(([key, s]) => [key, arbitraryOf(s, doc, fieldHints, key)]),
      );
      return fc.record(record, { requiredKeys: (schema.required ?? []) as string[] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// ---------------------------------------------------------------- mutations

/** Amounts as clients get them wrong, and other junk a field may hold. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '-1',
    '1.1234567',
    '1e6',
    '00.5',
    '1,000.00',
    ' 1',
    '1 ',
    'NaN',
    'Infinity',
    '-0',
    '0x10',
    '１２',
    `${'9'.repeat(60)}`,
    '340282366920938463463374607431768211456',
    '',
    '\u0000',
    '\ud800',
    '‮evil',
    '../../etc/passwd',
    '<script>',
    "'; DROP TABLE customers; --",
  ),
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e21, -1, 0, 1.5, Number.MAX_SAFE_INTEGER + 2),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.nat(5000).map((n) => 'x'.repeat(1000 + n)),
);

/** Every path to an object inside `value` (the root included). */
function objectPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return [path, ...Object.entries(value).flatMap(([key, v]) => objectPaths(v, [...path, key]))];
}

function mutate(value: unknown, choice: number, op: string, extra: unknown, key: string): unknown {
  const copy = structuredClone(value) as Json;
  const paths = objectPaths(copy);
  if (paths.length === 0) return extra;
  let target = copy;
  for (const step of paths[choice % paths.length]!) target = target[step] as Json;
  const keys = Object.keys(target);
  const victim = keys[choice % Math.max(keys.length, 1)];
  if (op === 'drop' && victim !== undefined) delete target[victim];
  else if (op === 'replace' && victim !== undefined) target[victim] = extra;
  else target[key === '' ? 'unknown' : key] = extra;
  return copy;
}

/**
 * `value` as JSON text with the first key of one of its objects (the `choice`th) named once
 * more, holding `extra`; a body with no object gets one of its own.
 */
function withDuplicateKey(value: unknown, choice: number, extra: unknown): string {
  const at = (path: string[]) => path.reduce((v, step) => (v as Json)[step], value) as Json;
  const paths = objectPaths(value).filter((path) => Object.keys(at(path)).length > 0);
  if (paths.length === 0) return '{"amount":"1","amount":"1000000"}';
  const target = at(paths[choice % paths.length]!);
  const text = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(text).join(',')}]`;
    if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'null';
    const entries = Object.entries(v).map(([k, item]) => `${JSON.stringify(k)}:${text(item)}`);
    if (v === target) entries.push(`${JSON.stringify(Object.keys(v)[0])}:${text(extra)}`);
    return `{${entries.join(',')}}`;
  };
  return text(value);
}

/** Texts that are not JSON, or not what a JSON body should be. */
const badText = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '{"a":1,}',
    '[',
    "{'a':1}",
    'null',
    '[]',
    '"x"',
    '0',
    '\ufeff{}',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
    '{"a":"\\ud800"}',
    'undefined',
    'NaN',
  ),
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
);

const badContentTypes = fc.constantFrom(
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/json-patch+json',
  'application/xml',
  '',
  'application/json; charset=utf-16',
);

/** Problems answered before any workflow runs (nothing is written before them). */
const preWorkflow = new Set([
  'unauthenticated',
  'request-invalid',
  'json-invalid',
  'json-duplicate-key',
  'content-type-unsupported',
  'body-too-large',
  'idempotency-key-required',
  'idempotency-key-invalid',
  'route-not-found',
  'rate-limited',
]);

// ---------------------------------------------------------------- the suite

describe('fuzzing every endpoint (never a 5xx; a refusal changes nothing; its code documented)', () => {
  let a: ApiFixture;
  let doc: Json;
  let routes: readonly Route[];
  const known = { customers: ['CUST-0001', 'CUST-0002', 'CUST-0404'], ids: [] as string[] };
  let statement: string;
  let changeCount: () => Promise<number>;
  /** Every problem code answered, over all routes: the refusals the generators aim at must occur. */
  const answered = new Set<string>();

  before(async () => {
    // The rate limit is tested on its own; here it would only refuse the fuzz's pace.
    // Known keys are remembered (not looked up each time): the fuzz's time goes to the checks.
    a = await apiFixture('pglite', {
      rateLimit: { perSecond: 1e9, burst: 1e9 },
      authCacheMs: 600_000,
    });
    const ctx = a.f.ctx;
    const compliance = a.f.operator('compliance');
    for (const id of ['CUST-0001', 'CUST-0002'])
      await createCustomer(ctx, compliance, { id, name: id });
    await setKyc(ctx, compliance, 'CUST-0001', 'approved');
    await registerWallet(ctx, compliance, {
      customerId: 'CUST-0001',
      chainId: testChainId,
      address: holder,
    });
    await recordDeposit(ctx, a.f.operator('treasurer'), {
      reference: 'FUZZ-SEED',
      bank: 'bank-a',
      amount: parseAmount('10000000'),
      customerId: 'CUST-0001',
      bookingDate: '2026-11-20',
    });
    const mint = await requestMint(ctx, a.f.operator('treasurer'), {
      customerId: 'CUST-0001',
      chainId: testChainId,
      to: holder,
      amount: parseAmount('5'),
    });
    known.ids.push(mint.id);
    await recordStatement(ctx, a.f.operator('treasurer'), {
      custodian: 'BNY Mellon',
      sha256: fuzzStatement,
    });
    const lot = await buyBill(ctx, a.f.operator('treasurer'), {
      reference: 'FUZZ-LOT',
      cusip: '912797LB1',
      face: parseAmount('100000'),
      issueDate: '2026-11-19',
      maturityDate: '2027-02-18',
      tradeDate: '2026-11-19',
      settlementDate: '2026-11-19',
      bank: 'bank-a',
      discountRatePct: '4.480',
      custodian: 'BNY Mellon',
      jurisdiction: 'US',
    });
    known.ids.push(lot.position.id, 'repo:ficc:FUZZ');
    doc = (await a.call('GET', '/openapi.json')).body;
    changeCount = await a.watchChanges();
    routes = a.routes;
    statement = readFileSync(
      new URL('../issuance/fixtures/camt053-v02-sample.xml', import.meta.url),
      'utf8',
    );
    console.log(
      `# fuzz seed ${seed} (FUZZ_SEED=${seed} replays this run), ${runs} requests per endpoint`,
    );
  });
  after(() => a?.close());

  /** The path with its parameters filled: known, random valid, or malformed. */
  function pathArbitrary(
    template: string,
  ): fc.Arbitrary<{ path: string; params: Record<string, string> }> {
    const value = (name: string) =>
      name === 'id' && template.startsWith('/v1/customers')
        ? fc.constantFrom(...known.customers, 'lower', 'X', `C${'A'.repeat(40)}`, '%00', '..')
        : fc.oneof(
            fc.constantFrom(...known.ids),
            fc.uuid(),
            fc.constantFrom(
              'nope',
              '00000000-0000-0000-0000-000000000000',
              '%2e%2e',
              'A'.repeat(300),
            ),
          );
    const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    return fc.tuple(...names.map(value)).map((values) => ({
      path: names.reduce((path, name, i) => path.replace(`{${name}}`, values[i]!), template),
      params: Object.fromEntries(names.map((name, i) => [name, values[i]!])),
    }));
  }

  function jsonRequests(template: string, schema: Json): fc.Arbitrary<FuzzRequest> {
    const valid = arbitraryOf(schema, doc, hints(known));
    const envelope = fc.record({
      at: pathArbitrary(template),
      idempotency: fc.constantFrom(
        'fresh',
        'fresh',
        'fresh',
        'fresh',
        'fresh',
        'none',
        'invalid',
        'reuse',
      ),
      auth: fc.constantFrom(...Array<'ok'>(17).fill('ok'), 'none', 'none', 'unknown'),
    });
    const json = (value: unknown) => ({
      body: JSON.stringify(value),
      contentType: 'application/json',
    });
    const body = fc.oneof(
      { weight: 2, arbitrary: valid.map(json) },
      {
        weight: 5,
        arbitrary: fc
          .tuple(
            valid,
            fc.nat(),
            fc.constantFrom('drop', 'add', 'replace', 'replace'),
            junk,
            fc.string({ maxLength: 12 }),
          )
          .map(([v, choice, op, extra, key]) => json(mutate(v, choice, op, extra, key))),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json) },
      {
        weight: 1,
        arbitrary: fc.tuple(valid, fc.nat()).map(([v, cut]) => {
          const text = JSON.stringify(v);
          return {
            body: text.slice(0, cut % Math.max(text.length, 1)),
            contentType: 'application/json',
          };
        }),
      },
      {
        weight: 1,
        arbitrary: badText.map((text) => ({ body: text, contentType: 'application/json' })),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(valid, fc.nat(), fc.oneof(junk, valid)).map(([v, choice, extra]) => ({
          body: withDuplicateKey(v, choice, extra),
          contentType: 'application/json',
        })),
      },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 64 })
          .map((bytes) => ({ body: bytes, contentType: 'application/json' })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(valid, badContentTypes)
          .map(([v, contentType]) => ({ body: JSON.stringify(v), contentType })),
      },
      {
        weight: 1,
        arbitrary: fc.nat(4096).map((n) => ({
          body: `{"name":"${'x'.repeat(65_536 + n)}"}`,
          contentType: 'application/json',
        })),
      },
    );
    return fc
      .tuple(envelope, body)
      .map(([{ at, ...e }, b]) => ({ ...at, ...e, ...b }) as FuzzRequest);
  }

  function xmlRequests(template: string): fc.Arbitrary<FuzzRequest> {
    const xml = (
      body: string | Uint8Array,
      contentType: string | undefined = 'application/xml',
    ) => ({
      body,
      contentType,
    });
    const fresh = fc
      .integer({ min: 10_000_000, max: 99_999_999 })
      .map((n) => statement.replaceAll('202603050', `9${n}`));
    const body = fc.oneof(
      { weight: 1, arbitrary: fresh.map((text) => xml(text)) },
      // Imported before: every line a duplicate (text/xml, the other media type).
      { weight: 1, arbitrary: fc.constant(xml(statement, 'text/xml; charset=utf-8')) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fresh, fc.nat())
          .map(([text, cut]) => xml(text.slice(0, cut % text.length))),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(
            fresh,
            fc.nat(),
            fc.constantFrom('<', '&', '<!DOCTYPE x>', ']]>', '</Ntry>', '<Ntry>', '&xx;', '\u0000'),
          )
          .map(([text, at, insert]) => {
            const i = at % text.length;
            return xml(`${text.slice(0, i)}${insert}${text.slice(i)}`);
          }),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(
            '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Document>&lol2;</Document>',
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>',
            '',
            '<a>',
            '{"statement":1}',
          )
          .map((text) => xml(text)),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((text) => xml(text)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => xml(bytes)) },
      {
        weight: 1,
        arbitrary: fc.tuple(fresh, badContentTypes).map(([text, type]) => xml(text, type)),
      },
    );
    const bank = fc.oneof(
      fc.constantFrom('bank-a', 'bank-a', 'bank-b', 'bank-b'),
      fc.constantFrom('', 'BANK', 'a'.repeat(40), 'bank a', '%00', 'bank-a&x=1'),
    );
    const envelope = fc.record({
      bank,
      idempotency: fc.constantFrom('fresh', 'fresh', 'fresh', 'none', 'invalid', 'reuse'),
      auth: fc.constantFrom(...Array<'ok'>(17).fill('ok'), 'none', 'none', 'unknown'),
    });
    return fc.tuple(envelope, body).map(
      ([e, b]) =>
        ({
          path: `${template}?bank=${encodeURIComponent(e.bank).replace('%26', '&')}`,
          params: {},
          idempotency: e.idempotency,
          auth: e.auth,
          ...b,
        }) as FuzzRequest,
    );
  }

  /** Whether a request the API accepted passed the route's own schemas (it must have). */
  function passesSchemas(route: Route, request: FuzzRequest): boolean {
    const params = Object.fromEntries(
      Object.entries(request.params).map(([name, raw]) => [name, decodeURIComponent(raw)]),
    );
    if (route.params !== undefined && !route.params.safeParse(params).success) return false;
    if (route.body === undefined) return true;
    try {
      // As the server reads it (request.ts `parseJsonBody`): UTF-8, a leading BOM dropped.
      const text = String(request.body).replace(/^\ufeff/, '');
      if (findDuplicateKey(text) !== undefined) return false; // refused, whatever else
      return route.body.safeParse(JSON.parse(text)).success;
    } catch {
      return false;
    }
  }

  it('covers every POST route of the table and of the document', () => {
    const documented = Object.entries(doc.paths as Record<string, Json>)
      .filter(([, operations]) => operations.post !== undefined)
      .map(([path]) => path)
      .sort();
    const served = routes
      .filter((r) => r.method === 'post')
      .map((r) => openApiPath(r.path))
      .sort();
    assert.deepEqual(documented, served);
    assert.ok(served.length >= 15, `${served.length} POST routes`);
  });

  const fuzzRoute = async (route: Route) => {
    const template = openApiPath(route.path);
    const operation = (doc.paths as Record<string, Record<string, Json>>)[template]!.post!;
    const schema = (
      operation.requestBody as { content: Record<string, { schema: Json }> } | undefined
    )?.content['application/json']?.schema;
    const generating = performance.now();
    const requests = fc.sample(
      route.rawBody === undefined ? jsonRequests(template, schema!) : xmlRequests(template),
      { numRuns: runs, seed: seed + template.length },
    );
    const generatedMs = performance.now() - generating;
    const sending = performance.now();
    // Another route's fuzz may have suspended the customer the hints aim at.
    await setKyc(a.f.ctx, a.f.operator('compliance'), 'CUST-0001', 'approved');
    let changes = await changeCount();
    /** Refusals since the count was last read: refused before any workflow ran (their code says). */
    let run: string[] = [];
    let lastKey = `fuzz-${uuidv7()}`;
    const counts = new Map<number, number>();
    /** The problems this route documents (its own and its kind's): every answer must be one. */
    const documented = routeProblems(route);
    const undocumented = new Map<string, string>();
    for (const [i, request] of requests.entries()) {
      // The count is read before a request that may be accepted (so that its changes are its
      // own) and after one that reached a workflow; a refusal before any workflow is checked
      // with the next reading.
      if (request.auth === 'ok' && passesSchemas(route, request) && run.length > 0) {
        const now = await changeCount();
        assert.equal(now, changes, `refusals changed something:\n${run.join('\n')}`);
        run = [];
      }
      const key =
        request.idempotency === 'fresh'
          ? `fuzz-${uuidv7()}-${i}`
          : request.idempotency === 'reuse'
            ? lastKey
            : request.idempotency === 'invalid'
              ? 'with space'
              : undefined;
      if (key !== undefined) lastKey = key;
      const headers: Record<string, string> = {};
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      if (key !== undefined) headers['idempotency-key'] = key;
      if (request.auth === 'ok') headers.authorization = `Bearer ${a.keys['op-all']}`;
      if (request.auth === 'unknown') headers.authorization = 'Bearer ck_0123456789abcdef.nope';
      const res = await a.app.request(request.path, {
        method: 'POST',
        headers,
        body: request.body as NonNullable<RequestInit['body']>,
      });
      const text = await res.text();
      const shown =
        typeof request.body === 'string'
          ? request.body
          : `bytes ${Buffer.from(request.body).toString('hex')}`;
      const describe = `#${i} (seed ${seed}) ${request.path} ${request.contentType} key ${request.idempotency} auth ${request.auth} ${shown.slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`;
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
      assert.ok(res.status < 500, `a 5xx: ${describe}`);
      const replayed = res.headers.get('idempotent-replayed') === 'true';
      let code = '';
      if (res.status >= 400) {
        assert.equal(res.headers.get('content-type'), 'application/problem+json', describe);
        code = (JSON.parse(text) as { type: string }).type.replace('/problems/', '');
        assert.match(code, /^[a-z0-9-]+$/, describe);
        answered.add(code);
        // A path parameter `.` or `..` is normalised away: the URL names another path, which
        // the app answers as no route; that answer is not this route's.
        const elsewhere = code === 'route-not-found' && /\/(\.|%2e){1,2}\//i.test(request.path);
        if (!documented.includes(code as ErrorCode) && !elsewhere && !undocumented.has(code))
          undocumented.set(code, describe);
      } else if (!replayed) {
        assert.ok(passesSchemas(route, request), `accepted against its schema: ${describe}`);
        if (route.path === '/v1/customers' && known.customers.length < 20)
          known.customers.push((JSON.parse(text) as { id: string }).id);
      }
      if (preWorkflow.has(code)) {
        run.push(describe);
        continue;
      }
      const now = await changeCount();
      if (res.status >= 400 || replayed)
        assert.equal(
          now,
          changes,
          `refused or replayed, yet changed something: ${describe}\n${run.join('\n')}`,
        );
      else assert.equal(run.length, 0, `accepted after unchecked refusals: ${describe}`);
      changes = now;
      run = [];
    }
    assert.equal(await changeCount(), changes, `refusals changed something:\n${run.join('\n')}`);
    assert.deepEqual(
      [...undocumented.keys()],
      [],
      `${route.path} answered problems it does not document:\n${[...undocumented.values()].join('\n')}`,
    );
    console.log(
      `# ${route.path} (generated in ${generatedMs.toFixed(0)} ms, sent and checked in ${(performance.now() - sending).toFixed(0)} ms): ${[
        ...counts,
      ]
        .sort(([x], [y]) => x - y)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
  };

  it('fuzzes each POST route', async () => {
    for (const route of routes.filter((r) => r.method === 'post')) await fuzzRoute(route);
  });

  it('reached the refusals a careful issuer makes (issue 14), each changing nothing', (t) => {
    if (runs < 500) return t.skip(`${runs} requests per route are too few to reach them all`);
    for (const code of [
      'json-duplicate-key',
      'wallet-address-invalid',
      'wallet-address-reserved',
      'chain-unknown',
      'customer-name-invalid',
      'deposit-invalid',
    ])
      assert.ok(answered.has(code), `no request was refused with ${code}`);
  });

  /** A GET's query: each parameter from its schema, junk, or left out; now and then one more. */
  function queryArbitrary(operation: Json): fc.Arbitrary<string> {
    const declared = ((operation.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
    const values = declared.map((parameter) =>
      fc.option(
        fc.oneof(
          { weight: 8, arbitrary: arbitraryOf(parameter.schema as Json, doc, hints(known)) },
          { weight: 1, arbitrary: junk },
        ),
        { nil: undefined },
      ),
    );
    return fc
      .tuple(
        fc.tuple(...values),
        fc.oneof(
          { weight: 6, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('color', 'limit[]') },
        ),
      )
      .map(([given, extra]) => {
        const query = new URLSearchParams();
        for (const [i, value] of given.entries())
          if (value !== undefined)
            query.append(
              String(declared[i]!.name),
              typeof value === 'string' ? value : JSON.stringify(value),
            );
        if (extra !== undefined) query.append(extra, '1');
        return query.size === 0 ? '' : `?${query}`;
      });
  }

  it('fuzzes each GET route: never a 5xx, and every problem one the route documents', async () => {
    const getRuns = Math.max(50, Math.floor(runs / 10));
    for (const route of routes.filter((r) => r.method === 'get')) {
      const template = openApiPath(route.path);
      const operation = (doc.paths as Record<string, Record<string, Json>>)[template]?.get;
      if (operation === undefined) continue; // /openapi.json documents the others, not itself
      const documented = routeProblems(route);
      const requests = fc.sample(
        fc.tuple(
          pathArbitrary(template),
          queryArbitrary(operation),
          fc.constantFrom('ok', 'ok', 'ok', 'none', 'unknown'),
        ),
        { numRuns: getRuns, seed: seed + template.length },
      );
      const undocumented = new Map<string, string>();
      const counts = new Map<number, number>();
      for (const [{ path }, query, auth] of requests) {
        const headers: Record<string, string> = {};
        if (auth === 'ok') headers.authorization = `Bearer ${a.keys['op-all']}`;
        if (auth === 'unknown') headers.authorization = 'Bearer ck_0123456789abcdef.nope';
        const res = await a.app.request(`${path}${query}`, { headers });
        const text = await res.text();
        const describe = `(seed ${seed}) GET ${path}${query} auth ${auth} → ${res.status} ${text.slice(0, 300)}`;
        assert.ok(res.status < 500, `a 5xx: ${describe}`);
        counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
        if (res.status < 400) continue;
        assert.equal(res.headers.get('content-type'), 'application/problem+json', describe);
        const code = (JSON.parse(text) as { type: string }).type.replace('/problems/', '');
        const elsewhere = code === 'route-not-found' && /\/(\.|%2e){1,2}(\/|$)/i.test(path);
        if (!documented.includes(code as ErrorCode) && !elsewhere && !undocumented.has(code))
          undocumented.set(code, describe);
      }
      assert.deepEqual(
        [...undocumented.keys()],
        [],
        `${route.path} answered problems it does not document:\n${[...undocumented.values()].join('\n')}`,
      );
      const byStatus = [...counts].sort(([x], [y]) => x - y);
      console.log(`# GET ${route.path}: ${byStatus.map(([s, n]) => `${s}×${n}`).join(' ')}`);
    }
  });
});
