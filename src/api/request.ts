/**
 * The steps every request goes through before a handler sees it, each refusing with its own
 * problem: who is calling (`Authorization: Bearer <api key>`), the body read within its limit
 * and of the declared media type, decoded and checked against the route's schema.
 */
import type { z } from 'zod';
import { actorForApiKey } from '../issuance/operators.ts';
import type { SqlExecutor } from '../storage/sql.ts';
import type { Actor } from '../workflow/actors.ts';
import { findDuplicateKey } from './json-keys.ts';
import { ApiError, type ProblemFieldError } from './problem.ts';

/** A JSON body, in bytes: 64 KiB, some hundred times the largest request (an approval). */
export const jsonBodyBytesMax = 64 * 1024;
/** Input faults listed in one `request-invalid` problem. */
const faultsMax = 20;
/** Characters of a field path or rule in a problem: enough to name, too few to echo a body. */
const nameCharsMax = 200;

const bearerPattern = /^Bearer +([\x21-\x7e]{1,200})$/i;

/** The caller of a request: who, and the id of their API key (`ck_…`, the rate limit's key). */
export interface Caller {
  readonly actor: Actor;
  readonly keyId: string;
}

/** API keys an authenticator remembers at most; past this it starts over. */
const authCacheMax = 10_000;

/**
 * An authenticator over `db`: the caller of an `Authorization: Bearer <api key>` header, or
 * `unauthenticated`. With `cacheMs` > 0 a known key is remembered that long (a revoked key
 * then works until it is forgotten); 0, the default, looks every key up.
 * @example const caller = await createAuthenticator(db)(c.req.header('authorization'))
 */
export function createAuthenticator(
  db: SqlExecutor,
  cacheMs = 0,
  nowMs: () => number = () => performance.now(),
): (header: string | undefined) => Promise<Caller> {
  const cache = new Map<string, { caller: Caller; untilMs: number }>();
  const refuse = (why: string) =>
    new ApiError('unauthenticated', why, {
      field: 'Authorization',
      rule: 'Bearer and a valid API key',
      headers: { 'www-authenticate': 'Bearer realm="clearpeg"' },
    });
  return async (header) => {
    const match = bearerPattern.exec(header ?? '');
    if (match === null) throw refuse('this route needs an API key: Authorization: Bearer ck_…');
    const apiKey = match[1]!;
    const cached = cache.get(apiKey);
    if (cached !== undefined && cached.untilMs > nowMs()) return cached.caller;
    const actor = await actorForApiKey(db, apiKey);
    if (actor === undefined)
      throw refuse('the API key is unknown, revoked or of an inactive operator');
    const caller = { actor, keyId: apiKey.split('.')[0]! };
    if (cacheMs > 0) {
      if (cache.size >= authCacheMax) cache.clear();
      cache.set(apiKey, { caller, untilMs: nowMs() + cacheMs });
    }
    return caller;
  };
}

/**
 * Refuses an actor that is not an operator (a customer's key) on an operator's route.
 * @example requireOperator(actor)
 */
export function requireOperator(actor: Actor): void {
  if (actor.kind !== 'operator')
    throw new ApiError('forbidden', 'this route is for operators', { rule: 'an operator key' });
}

/**
 * The body's bytes, at most `bytesMax` (else `body-too-large`), read as they stream in.
 * @example const bytes = await readBody(c.req.raw, jsonBodyBytesMax)
 */
export async function readBody(request: Request, bytesMax: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiError('body-too-large', `the body is over ${bytesMax} bytes`, {
      field: 'body',
      rule: `at most ${bytesMax} bytes`,
    });
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > bytesMax) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > bytesMax) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Refuses a body whose Content-Type is not one of `mediaTypes`, or of a charset other than
 * UTF-8, with `content-type-unsupported`.
 * @example checkMediaType(c.req.header('content-type'), ['application/json'])
 */
export function checkMediaType(header: string | undefined, mediaTypes: readonly string[]): void {
  const [type = '', ...parameters] = (header ?? '').toLowerCase().split(';');
  const mediaType = type.trim();
  const charset = parameters.map((p) => p.trim()).find((p) => p.startsWith('charset='));
  if (charset !== undefined && charset.replace(/"/g, '') !== 'charset=utf-8')
    throw new ApiError('content-type-unsupported', 'the body must be UTF-8 (charset=utf-8)', {
      field: 'Content-Type',
      rule: 'charset utf-8',
    });
  if (!mediaTypes.includes(mediaType))
    throw new ApiError(
      'content-type-unsupported',
      `the body must be ${mediaTypes.join(' or ')} (got ${JSON.stringify(mediaType.slice(0, 100))})`,
      { field: 'Content-Type', rule: mediaTypes.join(' | ') },
    );
}

/** Strict UTF-8: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as JSON (UTF-8), or `json-invalid`; an object that names a key twice, at any depth,
 * is `json-duplicate-key` (naming the key's path); a string (or key) holding NUL or an
 * unpaired surrogate (`"\ud800"`: not Unicode text, and not storable as such), or nesting
 * deeper than 32 levels, is `request-invalid`.
 * @example parseJsonBody(new TextEncoder().encode('{"a":"1"}'))
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      'json-invalid',
      `the body is not JSON in UTF-8: ${(error as Error).message.slice(0, nameCharsMax)}`,
      { field: 'body', rule: 'JSON (RFC 8259) in UTF-8' },
    );
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    const field = fieldOf('body', duplicate.path);
    throw new ApiError('json-duplicate-key', `${field} is named twice in one object`, {
      field,
      rule: 'each key once per object (a parser would keep either value)',
    });
  }
  checkText(value);
  return value;
}

/** Levels of nesting a JSON body may have: a request is a few levels deep (an approval: 2). */
const jsonDepthMax = 32;
/** NUL, or a surrogate without its other half. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is refused
const badText = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses NUL and unpaired surrogates anywhere in a JSON value (keys too), and nesting deeper
 * than `jsonDepthMax`, naming where. Iterative: the depth of a hostile body is no stack's concern.
 */
function checkText(root: unknown): void {
  const refuse = (at: readonly string[], rule: string): never => {
    const field = fieldOf('body', at);
    throw new ApiError('request-invalid', `${field}: ${rule}`, {
      field,
      rule,
      errors: [{ field, rule }],
    });
  };
  const textRule = 'Unicode text without NUL characters or unpaired surrogates';
  const stack: { value: unknown; path: readonly string[] }[] = [{ value: root, path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      if (badText.test(value)) refuse(path, textRule);
    } else if (typeof value === 'object' && value !== null) {
      if (path.length >= jsonDepthMax) refuse(path, `at most ${jsonDepthMax} levels of nesting`);
      for (const [key, item] of Object.entries(value)) {
        if (badText.test(key)) refuse(path, textRule);
        stack.push({ value: item, path: [...path, key] });
      }
    }
  }
}

function fieldOf(where: string, path: readonly PropertyKey[]): string {
  const field = path.map(String).join('.');
  return (field === '' ? where : field).slice(0, nameCharsMax);
}

/** One zod issue as a field and the rule it broke. */
function faultOf(issue: z.core.$ZodIssue, where: string): ProblemFieldError {
  if (issue.code === 'unrecognized_keys')
    return {
      field: fieldOf(where, [...issue.path, issue.keys[0] ?? '']),
      rule: 'not a field of this request (unknown fields are refused)',
    };
  return { field: fieldOf(where, issue.path), rule: issue.message.slice(0, nameCharsMax) };
}

/**
 * `value` checked by `schema`, or `request-invalid` naming every field at fault and its rule.
 * `where` names the whole value (`body`, `query`, `path`).
 * @example const body = validate(createCustomerBody, json, 'body')
 */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.slice(0, faultsMax).map((issue) => faultOf(issue, where));
  const first = errors[0]!;
  const more = result.error.issues.length - 1;
  throw new ApiError(
    'request-invalid',
    `${first.field}: ${first.rule}${more > 0 ? ` (and ${more} more)` : ''}`,
    { field: first.field, rule: first.rule, errors },
  );
}
