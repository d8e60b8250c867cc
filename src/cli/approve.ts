/**
 * The approver's step, `<noun> approve ID --key FILE`, which trusts nothing the server says
 * about what is signed: the intent is rebuilt here from the request's own fields (mint,
 * payout, change: the same functions the server uses), a server intent or summary that
 * differs is refused with `intent-mismatch`, and what is signed is shown in words first.
 *
 * A malicious server can still show false fields; the approver then signs exactly what they
 * read, and the server cannot turn that signature into an approval of anything else.
 */
import { ClearpegError } from '../errors.ts';
import { canonicalJson } from '../json.ts';
import { signApproval } from '../policy/approvals.ts';
import { readApproverKeyFile } from '../policy/approver-key-file.ts';
import { describeIntent, type Intent } from '../policy/intent.ts';
import type { Command } from './io.ts';
import { type Human, itemPath, remoteCommand, writeOptions } from './remote.ts';

/**
 * The lines of a request just made, then how its approvers sign it.
 * @example send('/v1/mints', body, awaitingApproval('mint approve', mintLines))
 */
export function awaitingApproval<T extends { id: string }>(
  approveName: string,
  lines: Human<T>,
): Human<T> {
  return (request) => [
    ...lines(request),
    `approvers: clearpeg ${approveName} ${request.id} --key FILE`,
  ];
}

/** What the approvers of one kind of request sign, and where its approvals go. */
export interface Signable<T extends { id: string; intent: unknown }> {
  /** What it is, for messages: `mint request`, `payout`, `change`. */
  readonly what: string;
  /** Its resource: `/v1/mints`; the request is `<path>/<id>`, approvals `<path>/<id>/approvals`. */
  readonly path: string;
  /** The intent rebuilt from the request's own fields, never taken from the server's copy. */
  rebuild(request: T): Promise<Intent>;
  /** Lines to show besides the intent (a change's body). */
  details?(request: T): readonly string[];
  /** The outcome, after the approval was taken. */
  outcome(request: T): readonly string[];
}

/**
 * The server's `intent` of a request against the one rebuilt from its fields; refuses with
 * `intent-mismatch` (naming the fields that differ) when the server shows one thing and asks
 * a signature for another.
 * @example checkServerIntent('mint request', mint, mintIntent(request)) // throws intent-mismatch
 */
export function checkServerIntent(
  what: string,
  request: { id: string; intent: unknown; intentText?: unknown },
  rebuilt: Intent,
): void {
  const server = (request.intent ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(server), ...Object.keys(rebuilt)])].sort();
  const differ = keys.flatMap((key) => {
    const shown = canonicalJson(server[key] ?? null);
    const signed = canonicalJson(rebuilt[key] ?? null);
    return shown === signed ? [] : [{ key, text: `${key}: server ${shown}, rebuilt ${signed}` }];
  });
  const textDiffers =
    request.intentText !== undefined && request.intentText !== describeIntent(rebuilt);
  if (differ.length === 0 && !textDiffers) return;
  const fields = [...differ.map((d) => d.text), ...(textDiffers ? ['intentText'] : [])];
  throw new ClearpegError(
    'intent-mismatch',
    `the server's intent for ${what} ${request.id} is not the one rebuilt from its own fields (${fields.join('; ')}): nothing was signed`,
    {
      field: differ[0] === undefined ? 'intentText' : `intent.${differ[0].key}`,
      rule: "the intent rebuilt from the request's own fields",
    },
  );
}

/**
 * Who approved an approvable request (when the answer lists them), and how many it needs.
 * @example approvalLines(mint) // ['  approved by op-ann at 2026-…Z', '  1 of 2 approvals']
 */
export function approvalLines(request: {
  approvals?: readonly { approverId: string; approvedAt: string }[];
  approvalsRequired: number;
}): string[] {
  const { approvals, approvalsRequired } = request;
  if (approvals === undefined) return [`  needs ${approvalsRequired} approvals`];
  return [
    ...approvals.map((a) => `  approved by ${a.approverId} at ${a.approvedAt}`),
    `  ${approvals.length} of ${approvalsRequired} approvals`,
  ];
}

/**
 * The approver's command `<noun> approve ID --key FILE`: reads the key file, fetches the
 * request, rebuilds its intent from the request's own fields and refuses a server intent that
 * differs, shows the intent in words, signs it (Ed25519, as the key file's approver) and sends
 * the approval.
 * @example export const mintApprove = approveCommand('mint approve', signableMint)
 */
export function approveCommand<T extends { id: string; intent: unknown }>(
  name: string,
  signable: Signable<T>,
): Command {
  return remoteCommand({
    name,
    usage: `clearpeg ${name} ID --key APPROVER-KEY.json [--json] [--idempotency-key K]`,
    options: writeOptions('key'),
    async run({ values, arg, option, client, context, send }) {
      const id = arg(`ID: give the ${signable.what} id (a UUID)`);
      const { approverId, key } = readApproverKeyFile(option('key', 'your approver key file'));
      try {
        const path = itemPath(signable.path, id);
        const { body: request } = await client.get<T>(path);
        if (request.id !== id)
          throw new ClearpegError(
            'intent-mismatch',
            `asked for ${signable.what} ${id}, the server answered with ${String(request.id)}: nothing was signed`,
            { field: 'id', rule: 'the request asked for' },
          );
        const intent = await signable.rebuild(request);
        checkServerIntent(signable.what, request, intent);
        // With --json, stdout holds only the server's answer.
        const note = values.json ? context.err : context.out;
        for (const line of signable.details?.(request) ?? []) note(line);
        note(`signing as ${approverId}: ${describeIntent(intent)}`);
        const approval = signApproval(intent, key.privateKey, approverId);
        return await send(`${path}/approvals`, { approval }, signable.outcome);
      } finally {
        key.privateKey.fill(0);
      }
    },
  });
}
