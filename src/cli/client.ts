/**
 * The CLI's HTTP client of a running `clearpeg serve` (the embedded database allows one
 * process, so commands that act on the issuer go through the API, never to the database).
 *
 * - Where: `CLEARPEG_URL`, by default `http://127.0.0.1:<CLEARPEG_PORT or 7373>`.
 * - Who: `CLEARPEG_API_KEY`, from the environment only: on the command line the key would
 *   land in shell history and in every user's process list. It is never printed.
 * - Every POST carries an `Idempotency-Key`: a fresh UUID, or the one the caller gives to
 *   retry a request whose answer was lost (the server then answers the first response again).
 * - A problem document (RFC 9457) becomes an `ApiProblemError` with the problem's own code.
 */
import { randomUUID } from 'node:crypto';
import type { Problem } from '../api/problem.ts';
import type { Config } from '../config.ts';
import { ClearpegError, type ErrorCode } from '../errors.ts';
import { exitCode } from './io.ts';

/** The bounds of the client, each with its reason. */
export const clientLimits = {
  /** A request's whole time: a statement import of 10 MiB takes seconds; a hung server is reported, not waited on. */
  requestMsMax: 60_000,
  /** Characters of a problem's text echoed to the terminal: enough to read, too few to flood it. */
  problemTextCharsMax: 2_000,
} as const;

/** A server's answer: its status, its body as received and as JSON. */
export interface ApiAnswer<T = unknown> {
  readonly status: number;
  /** The body as the server sent it (what `--json` prints). */
  readonly text: string;
  readonly body: T;
}

/** What to send with a POST besides the body. */
export interface PostOptions {
  /** The `Idempotency-Key` (default: a fresh UUID). */
  readonly idempotencyKey?: string | undefined;
  /** The body's media type; a JSON body is serialised, any other is sent as given. */
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
}

/** A client of one server, acting with one API key. */
export interface ApiClient {
  /** The server's base URL (never holds the key). */
  readonly baseUrl: string;
  get<T = unknown>(
    path: string,
    query?: Readonly<Record<string, string | undefined>>,
  ): Promise<ApiAnswer<T>>;
  post<T = unknown>(path: string, body: unknown, options?: PostOptions): Promise<ApiAnswer<T>>;
}

/** The codes the client throws of its own; a problem from the server keeps the server's code. */
export type ClientErrorCode =
  /** `CLEARPEG_API_KEY` is not set. */
  | 'api-key-missing'
  /** `CLEARPEG_URL` is not an http(s) URL. */
  | 'api-url-invalid'
  /** No answer: refused, reset or timed out (a POST may or may not have been done). */
  | 'server-unreachable'
  /** The answer is not JSON, or an error without a problem document. */
  | 'server-answer-invalid';

/** A problem document answered by the server; `code` is its type's last segment. */
export class ApiProblemError extends ClearpegError {
  override name = 'ApiProblemError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    // The server's code, carried as it came: a newer server may answer a code this client's
    // lists do not have yet (which is why a code is never reworded or reused).
    super(problemCode(problem.type) as ErrorCode, problem.detail ?? problem.title, {
      ...(problem.field === undefined ? {} : { field: problem.field }),
      ...(problem.rule === undefined ? {} : { rule: problem.rule }),
    });
  }
}

/**
 * The error code of a problem type: `/problems/mint-not-found` → `mint-not-found`.
 * @example problemCode('/problems/mint-not-found') === 'mint-not-found'
 */
export function problemCode(type: string): string {
  const match = /\/problems\/([a-z0-9]+(?:-[a-z0-9]+)*)$/.exec(type);
  return match === null ? 'api-problem' : match[1]!;
}

function clip(text: string): string {
  const max = clientLimits.problemTextCharsMax;
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * A problem as the terminal shows it: `error <type>: <detail> (field <field>, rule <rule>)`,
 * then one line per broken limit of a refused mint and per further input fault.
 * @example formatProblem({ type: '/problems/mint-not-found', title: 'mint not found', status: 404, detail: 'no mint request 0190…', field: 'requestId', rule: 'a known mint request' })[0] === 'error /problems/mint-not-found: no mint request 0190… (field requestId, rule a known mint request)'
 */
export function formatProblem(problem: Problem): string[] {
  const where = [
    ...(problem.field === undefined ? [] : [`field ${problem.field}`]),
    ...(problem.rule === undefined ? [] : [`rule ${problem.rule}`]),
  ];
  const first = `error ${problem.type}: ${problem.detail ?? problem.title}${where.length === 0 ? '' : ` (${where.join(', ')})`}`;
  return [
    clip(first),
    ...(problem.violations ?? []).map((v) => clip(`  ${v.code}: ${v.message}`)),
    ...(problem.errors ?? []).slice(1).map((e) => clip(`  field ${e.field}: ${e.rule}`)),
  ];
}

/**
 * The exit code of a problem: the server's refusal is `failed` (1), its own fault `error` (3).
 * @example problemExitCode(404) === exitCode.failed
 */
export function problemExitCode(status: number): number {
  return status >= 500 ? exitCode.error : exitCode.failed;
}

/**
 * The base URL of the server: `CLEARPEG_URL`, else 127.0.0.1 on the configured port.
 * @example serverUrl({ port: 7373 }, {}) === 'http://127.0.0.1:7373'
 */
export function serverUrl(config: Pick<Config, 'port'>, env: NodeJS.ProcessEnv): string {
  const given = env.CLEARPEG_URL;
  if (given === undefined || given === '') return `http://127.0.0.1:${config.port}`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    url = new URL('invalid:');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    throw new ClearpegError(
      'api-url-invalid',
      'CLEARPEG_URL must be an http(s) URL without credentials, e.g. http://127.0.0.1:7373',
      { field: 'CLEARPEG_URL', rule: 'http(s)://host:port' },
    );
  return url.href.replace(/\/+$/, '');
}

function withQuery(path: string, query: Readonly<Record<string, string | undefined>> = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) params.set(name, value);
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** The answer as JSON; a status ≥ 400 as an `ApiProblemError`. */
async function readAnswer<T>(response: Response): Promise<ApiAnswer<T>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status >= 400) {
    const problem = body as Problem | undefined;
    if (typeof problem?.type === 'string' && typeof problem.title === 'string')
      throw new ApiProblemError(response.status, problem);
    throw new ClearpegError(
      'server-answer-invalid',
      `the server answered ${response.status} without a problem document: ${clip(text)}`,
      { rule: 'application/problem+json' },
    );
  }
  if (body === undefined)
    throw new ClearpegError(
      'server-answer-invalid',
      `the server answered ${response.status} with a body that is not JSON: ${clip(text)}`,
      { rule: 'application/json' },
    );
  return { status: response.status, text, body: body as T };
}

/**
 * A client of the server named by the environment, with its API key.
 * @example const client = apiClient(context.config); const { body } = await client.get('/v1/mints')
 */
export function apiClient(
  config: Pick<Config, 'port'>,
  env: NodeJS.ProcessEnv = process.env,
): ApiClient {
  const baseUrl = serverUrl(config, env);
  const apiKey = env.CLEARPEG_API_KEY;
  if (apiKey === undefined || apiKey === '')
    throw new ClearpegError(
      'api-key-missing',
      'CLEARPEG_API_KEY is not set: export your API key (ck_…) in the environment (never on the command line)',
      { field: 'CLEARPEG_API_KEY', rule: 'an API key' },
    );
  const send = async <T>(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string | Uint8Array,
  ): Promise<ApiAnswer<T>> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...headers, authorization: `Bearer ${apiKey}`, accept: 'application/json' },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(clientLimits.requestMsMax),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const retry =
        headers['idempotency-key'] === undefined
          ? ''
          : `; it may or may not have been done: retry with --idempotency-key ${headers['idempotency-key']}`;
      throw new ClearpegError(
        'server-unreachable',
        `${method} ${baseUrl}${path}: no answer (${cause?.code ?? cause?.message ?? (error as Error).message}); is "clearpeg serve" running there (CLEARPEG_URL, CLEARPEG_PORT)?${retry}`,
        { field: 'CLEARPEG_URL', rule: 'a running clearpeg serve' },
      );
    }
    return readAnswer<T>(response);
  };
  return {
    baseUrl,
    get: (path, query) => send('GET', withQuery(path, query), {}),
    post: (path, body, options = {}) => {
      const contentType = options.contentType ?? 'application/json';
      const bytes =
        contentType === 'application/json' ? JSON.stringify(body) : (body as string | Uint8Array);
      return send(
        'POST',
        withQuery(path, options.query),
        {
          'content-type': contentType,
          'idempotency-key': options.idempotencyKey ?? randomUUID(),
        },
        bytes,
      );
    },
  };
}
