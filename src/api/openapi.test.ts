/**
 * The OpenAPI document: OpenAPI 3.1's shape, every route of the table in it with its request
 * and response schemas, every `$ref` resolving, and amounts as strings with a pattern.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApiPath, type Route } from './route.ts';
import { amountOutPattern, amountPattern } from './schemas.ts';
import { type ApiFixture, apiFixture } from './testing.ts';

type Json = Record<string, unknown>;

/** Every value under `root` with the path to it. */
function* walk(value: unknown, path: string[] = []): Generator<[string[], unknown]> {
  yield [path, value];
  if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) yield* walk(item, [...path, key]);
}

describe('the OpenAPI document', () => {
  let a: ApiFixture;
  let doc: Json;
  let routes: readonly Route[];
  before(async () => {
    a = await apiFixture();
    const res = await a.call('GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    doc = res.body;
    routes = a.routes;
  });
  after(() => a?.close());

  it('is OpenAPI 3.1 with info, paths, components and the bearer scheme', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal((doc.info as Json).title, 'Clearpeg issuer API');
    assert.equal(doc.jsonSchemaDialect, 'https://json-schema.org/draft/2020-12/schema');
    const components = doc.components as { schemas: Json; securitySchemes: Json };
    assert.deepEqual(Object.keys(components.securitySchemes), ['apiKey']);
    for (const [id, schema] of Object.entries(components.schemas)) {
      assert.equal((schema as Json).$schema, undefined, id);
      assert.equal((schema as Json).$id, undefined, id);
    }
  });

  it('documents every route of the table with its schemas and problems', () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const operationIds = new Set<string>();
    for (const route of [...routes, { path: '/openapi.json', method: 'get' } as Route]) {
      const operation = paths[openApiPath(route.path)]?.[route.method];
      assert.ok(operation !== undefined, `${route.method} ${route.path}`);
      if (route.operationId === undefined) continue;
      assert.ok(!operationIds.has(route.operationId), `${route.operationId} is unique`);
      operationIds.add(route.operationId);
      const responses = operation.responses as Record<string, Json>;
      for (const status of Object.keys(route.responses))
        assert.ok(
          (responses[status]?.content as Json | undefined)?.['application/json'],
          `${route.operationId} ${status}`,
        );
      const parameters = (operation.parameters ?? []) as { name: string; in: string }[];
      for (const [, name] of route.path.matchAll(/:(\w+)/g))
        assert.ok(
          parameters.some((p) => p.in === 'path' && p.name === name),
          `${route.operationId} path parameter ${name}`,
        );
      if (route.method === 'post') {
        assert.ok(
          parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key'),
          route.operationId,
        );
        assert.ok(operation.requestBody, `${route.operationId} documents its body`);
        assert.ok(
          responses['409'] && responses['422'],
          `${route.operationId} idempotency problems`,
        );
      }
      if (route.auth !== 'public') {
        assert.match(String(responses['401']?.description), /\/problems\/unauthenticated/);
        assert.match(String(responses['429']?.description), /\/problems\/rate-limited/);
        assert.ok((responses['429']?.headers as Json | undefined)?.['Retry-After']);
      }
    }
    assert.ok(operationIds.size >= 30, `${operationIds.size} operations`);
  });

  it('resolves every $ref', () => {
    const schemas = (doc.components as { schemas: Json }).schemas;
    for (const [path, value] of walk(doc)) {
      if (path.at(-1) !== '$ref') continue;
      const id = String(value).replace('#/components/schemas/', '');
      assert.ok(schemas[id] !== undefined, `${path.join('.')} → ${value}`);
    }
  });

  it('gives amounts as decimal strings with a pattern, never numbers', () => {
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    assert.deepEqual(schemas.AmountInput, {
      ...schemas.AmountInput,
      type: 'string',
      pattern: amountPattern.source,
    });
    assert.equal(schemas.Amount!.type, 'string');
    assert.equal(schemas.Amount!.pattern, amountOutPattern.source);
    const moneyFields =
      /^(amount|fee|net|fiatBalance|feeMin|feeMax|perTransactionCap|capacity|refillPerHour|upTo|debitsPosted|creditsPosted|debitsPending|creditsPending)$/;
    let checked = 0;
    for (const [path, value] of walk(doc)) {
      const field = path.at(-1) ?? '';
      if (path.at(-2) !== 'properties' || !moneyFields.test(field)) continue;
      const schema = value as Json;
      const options = [schema, ...((schema.anyOf ?? schema.oneOf ?? []) as Json[])];
      const ref = options.find((o) => typeof o.$ref === 'string')?.$ref as string | undefined;
      const resolved = ref === undefined ? schema : schemas[ref.split('/').pop()!]!;
      assert.equal(
        resolved.type ?? (resolved.anyOf ? 'string' : undefined),
        'string',
        path.join('.'),
      );
      assert.notEqual(schema.type, 'number', path.join('.'));
      checked++;
    }
    assert.ok(checked >= 20, `${checked} amount fields`);
  });
});
