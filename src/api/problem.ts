/**
 * Errors over HTTP: RFC 9457 problem details, one place that maps error codes to statuses.
 * `type` is stable per error code (`/problems/<code>`), so clients branch on it, never on text.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ClearpegError } from '../errors.ts';

/** HTTP status per error code; anything else that is a ClearpegError is a 400. */
const statusOf: Record<string, ContentfulStatusCode> = {
  'not-found': 404,
  'route-not-found': 404,
  'ledger-busy': 503,
};

/** A problem document (RFC 9457 §3). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly field?: string;
  readonly rule?: string;
}

/**
 * The problem document for an error; unexpected errors become an opaque 500.
 * @example problemOf(new ClearpegError('not-found', 'no such account')).status === 404
 */
export function problemOf(error: unknown): Problem {
  if (error instanceof ClearpegError) {
    const status = statusOf[error.code] ?? 400;
    return {
      type: `/problems/${error.code}`,
      title: error.code.replace(/-/g, ' '),
      status,
      detail: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.rule === undefined ? {} : { rule: error.rule }),
    };
  }
  return { type: '/problems/internal', title: 'internal error', status: 500 };
}

/**
 * Sends `error` as `application/problem+json`.
 * @example app.onError((error, c) => sendProblem(c, error))
 */
export function sendProblem(c: Context, error: unknown): Response {
  const problem = problemOf(error);
  if (problem.status >= 500) console.error(error);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, {
    'content-type': 'application/problem+json',
  });
}
