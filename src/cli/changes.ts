/**
 * `clearpeg changes propose|approve|status|list` and `clearpeg breakers trip|list`:
 * governance through a running server's API (`CLEARPEG_URL`, `CLEARPEG_API_KEY`). A change
 * takes effect with a quorum of approvers' signatures; `changes approve` shows the body, hashes
 * it here and signs that hash, never the server's. Tripping a breaker needs no quorum.
 */
import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import type { breaker, breakerTrip, change, changeDetail } from '../api/schemas.ts';
import { ClearpegError } from '../errors.ts';
import type { ChangeAction } from '../issuance/governance.ts';
import { toJson } from '../json.ts';
import { approvalLines, approveCommand, awaitingApproval, type Signable } from './approve.ts';
import { listCommand, remoteCommand, showCommand, writeOptions } from './remote.ts';
import { changeActions, changeStatuses, jsonBodyBytesMax } from './vocabulary.ts';

type Change = z.infer<typeof change>;
type ChangeDetail = z.infer<typeof changeDetail>;
type Breaker = z.infer<typeof breaker>;

function changeLine(c: Change): string {
  return `${c.id} ${c.status.padEnd(16)} ${c.action.padEnd(16)} by ${c.proposedBy}, expires ${c.expiresAt}`;
}

/** The body as an approver reads it: every field, indented. */
function bodyLines(c: Change): string[] {
  return JSON.stringify(c.body, null, 2)
    .split('\n')
    .map((line) => `    ${line}`);
}

function changeLines(c: Change | ChangeDetail): string[] {
  return [
    `change ${c.id}: ${c.status}${c.failure === null ? '' : ` (${c.failure})`}`,
    `  ${c.intentText}`,
    `  proposed by ${c.proposedBy} at ${c.createdAt}, expires ${c.expiresAt}`,
    ...approvalLines(c),
    `  body:`,
    ...bodyLines(c),
  ];
}

const signableChange: Signable<ChangeDetail> = {
  what: 'change',
  path: '/v1/changes',
  // The body's hash is computed here, from the body shown above it.
  rebuild: async (c) =>
    // The server's own function, loaded only to approve (its module brings the workflows).
    (await import('../issuance/governance.ts')).changeIntent({
      id: c.id,
      action: c.action as ChangeAction,
      body: c.body as Record<string, unknown>,
    }),
  details: (c) => [`change ${c.id}: ${c.action} with the body`, ...bodyLines(c)],
  outcome: changeLines,
};

/** A change's body from a JSON file, refused before sending when it could not be one. */
function readBodyFile(path: string): unknown {
  let text: string;
  try {
    if (statSync(path).size > jsonBodyBytesMax)
      throw new ClearpegError('change-body-invalid', `${path}: over ${jsonBodyBytesMax} bytes`, {
        field: 'path',
        rule: `at most ${jsonBodyBytesMax} bytes`,
      });
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ClearpegError) throw error;
    throw new ClearpegError('change-body-invalid', `${path}: ${(error as Error).message}`, {
      field: 'path',
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ClearpegError(
      'change-body-invalid',
      `${path}: not JSON: ${(error as Error).message}`,
      {
        field: 'path',
        rule: 'a JSON object',
      },
    );
  }
}

export const changesPropose = remoteCommand({
  name: 'changes propose',
  usage: `clearpeg changes propose --action ${changeActions.join('|')} --body-file BODY.json [--json] [--idempotency-key K]`,
  options: writeOptions('action', 'body-file'),
  async run({ option, choice, send }) {
    const action = choice('action', changeActions);
    const body = readBodyFile(option('body-file', 'the JSON body'));
    return send('/v1/changes', { action, body }, awaitingApproval('changes approve', changeLines));
  },
});

export const changesApprove = approveCommand('changes approve', signableChange);

export const changesStatus = showCommand({
  name: 'changes status',
  path: '/v1/changes',
  what: 'change id (a UUID)',
  lines: changeLines,
});

export const changesList = listCommand({
  name: 'changes list',
  path: '/v1/changes',
  key: 'changes',
  line: changeLine,
  filters: { status: { query: 'status', usage: changeStatuses.join('|') } },
});

export const breakersTrip = remoteCommand({
  name: 'breakers trip',
  usage: 'clearpeg breakers trip NAME --reason TEXT [--json] [--idempotency-key K]',
  options: writeOptions('reason'),
  async run({ arg, option, send }) {
    const name = arg('NAME: give the breaker, e.g. mint or mint:31337');
    const reason = option('reason', 'why, in a few words');
    return send('/v1/breakers', { name, reason }, (b: z.infer<typeof breakerTrip>) => [
      b.tripped
        ? `breaker ${b.name} tripped; clearing it is a change: clearpeg changes propose --action breaker.clear`
        : `breaker ${b.name} was tripped already (the first trip stays)`,
    ]);
  },
});

export const breakersList = listCommand({
  name: 'breakers list',
  path: '/v1/breakers',
  key: 'breakers',
  line: (b: Breaker) => `${b.name} tripped at ${b.trippedAt}: ${toJson(b.reason)}`,
  paging: 'none',
});
