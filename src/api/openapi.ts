/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas (zod 4's
 * `z.toJSONSchema`, JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Named schemas
 * (`namedSchemas`) become `components.schemas`; a route's unnamed body or response becomes one
 * named after its operation; a route that answers a page (`text`) documents it as a string of
 * its media type. Nothing here is written by hand but the words.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.ts';
import { statusOf } from './problem.ts';
import { openApiPath, type Route } from './route.ts';
import { namedSchemas } from './schemas.ts';

/** Problems every route of a kind may answer, beyond its own. */
const keyProblems: readonly ErrorCode[] = ['unauthenticated', 'rate-limited', 'request-invalid'];
const postProblems: readonly ErrorCode[] = [
  'idempotency-key-required',
  'idempotency-key-invalid',
  'idempotency-key-reused',
  'idempotency-in-progress',
  'content-type-unsupported',
  'body-too-large',
];

/** Every problem code `route` may answer. */
export function routeProblems(route: Route): ErrorCode[] {
  // Every route checks its query (one that takes none refuses any parameter): request-invalid;
  // any route: a client over its key's rate, or (without a valid key) over its address's.
  const codes = new Set<ErrorCode>([...route.problems, 'request-invalid', 'rate-limited']);
  if (route.auth !== 'public') for (const code of keyProblems) codes.add(code);
  if (route.auth === 'operator') codes.add('forbidden');
  if (route.method === 'post') {
    for (const code of postProblems) codes.add(code);
    if (route.body !== undefined) codes.add('json-invalid').add('json-duplicate-key');
  }
  return [...codes].sort();
}

type JsonSchema = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function pascal(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One JSON Schema of `schema`, inline, without `$schema`. */
function inlineSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { unrepresentable: 'any' });
  return json;
}

/** The parameters of an object schema (path or query), one each. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const object = inlineSchema(schema) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}

/** General facts for `info`. */
export interface OpenApiInfo {
  readonly version: string;
}

/**
 * The document for `routes`.
 * @example openApiDocument(routes, { version: '0.1.0' }).openapi === '3.1.0'
 */
export function openApiDocument(routes: readonly Route[], info: OpenApiInfo) {
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  const name = (schema: z.ZodType, fallback: string): string => {
    let id = idOf.get(schema);
    if (id === undefined) {
      id = fallback;
      idOf.set(schema, id);
      registry.add(schema, { id });
    }
    return id;
  };
  for (const [id, schema] of namedSchemas) name(schema, id);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation = pascal(route.operationId);
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(route.responses)) {
      if (schema === undefined) continue;
      responses[status] = {
        description: status === '201' ? 'created' : 'ok',
        content: {
          'application/json': { schema: ref(name(schema, `${operation}Response${status}`)) },
        },
      };
    }
    if (route.text !== undefined)
      responses['200'] = {
        description: route.text.description,
        content: { [route.text.mediaType]: { schema: { type: 'string' } } },
      };
    const byStatus = new Map<number, string[]>();
    for (const code of routeProblems(route)) {
      const status = statusOf(code);
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b))
      responses[String(status)] = {
        description: `a problem: ${codes.map((code) => `/problems/${code}`).join(', ')}`,
        content: { 'application/problem+json': { schema: ref('Problem') } },
        ...(status === 429
          ? { headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } } }
          : {}),
      };
    const idempotencyKey = {
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      description:
        'a unique string per intended change; the same key and body replay the first answer',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
    };
    const requestBody =
      route.body !== undefined
        ? {
            required: true,
            content: {
              'application/json': { schema: ref(name(route.body, `${operation}Request`)) },
            },
          }
        : route.rawBody !== undefined
          ? {
              required: true,
              content: Object.fromEntries(
                route.rawBody.mediaTypes.map((type) => [
                  type,
                  { schema: { type: 'string', maxLength: route.rawBody!.bytesMax } },
                ]),
              ),
            }
          : undefined;
    paths[openApiPath(route.path)] ??= {};
    paths[openApiPath(route.path)]![route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: route.auth === 'public' ? [] : [{ apiKey: [] }],
      parameters: [
        ...parameters(route.params, 'path'),
        ...parameters(route.query, 'query'),
        ...(route.method === 'post' ? [idempotencyKey] : []),
      ],
      ...(requestBody === undefined ? {} : { requestBody }),
      responses,
    };
  }
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  });
  const componentSchemas = Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _s, $id: _i, ...json } = schema as JsonSchema;
      return [id, json];
    }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Clearpeg issuer API',
      version: info.version,
      description:
        'Amounts are decimal strings with up to six decimals in requests and exactly six in responses. Every POST needs an Idempotency-Key. Errors are RFC 9457 problem documents. See docs/api.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: componentSchemas,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'an API key ck_<id>.<secret>, issued to an operator or a customer',
        },
      },
    },
  };
}
