/**
 * `clearpeg approver keygen`, `clearpeg operator keygen` and `clearpeg setup operator`: the
 * keys an operator makes on their own machine, and the set-up ceremony.
 *
 * - `approver keygen` writes an approver's Ed25519 key file (mode 0600) and prints only its
 *   public key, to register.
 * - `operator keygen` prints a new API key and its SHA-256: an `operator.add` change carries
 *   only the hash, so neither the server nor the approvers ever hold the key.
 * - `setup operator` registers an operator directly in the database, before any quorum
 *   exists (the first admin and approvers); it refuses once operators exist, unless
 *   `--bootstrap` says the ceremony is still going on. After it, operators are added by change.
 */
import { ClearpegError } from '../errors.ts';
import { createOperator, generateApiKey, operatorCount } from '../issuance/operators.ts';
import { generateApproverKey } from '../policy/approvals.ts';
import { writeApproverKeyFile } from '../policy/approver-key-file.ts';
import { type OperatorRole, operatorIdPattern, operatorRoles } from '../workflow/actors.ts';
import {
  type Command,
  commandOptions,
  printView,
  readOptions,
  requiredOption,
  strings,
  UsageError,
  withDatabase,
} from './io.ts';

function operatorId(value: string | undefined): string {
  if (value === undefined || !operatorIdPattern.test(value))
    throw new UsageError('--id: give the operator id: lowercase letters, digits and dashes');
  return value;
}

export const approverKeygen: Command = {
  name: 'approver keygen',
  usage: 'clearpeg approver keygen --id OPERATOR_ID --out FILE [--json]',
  async run(args, context) {
    const { values } = commandOptions(args, { ...readOptions, ...strings('id', 'out') });
    const approverId = operatorId(values.id);
    const file = requiredOption(
      values.out,
      '--out',
      'the file to write the key to (it must not exist)',
    );
    const key = generateApproverKey();
    try {
      writeApproverKeyFile(file, approverId, key);
    } catch (error) {
      throw new ClearpegError(
        'approver-key-file-unwritable',
        `${file}: ${(error as Error).message} (an existing key file is never overwritten)`,
        { field: 'out', rule: 'a new file' },
      );
    } finally {
      key.privateKey.fill(0);
    }
    return printView(context, values.json, { approverId, publicKey: key.publicKey, file }, [
      `approver key of ${approverId} written to ${file} (mode 0600; keep it on this machine)`,
      `public key to register: ${key.publicKey}`,
    ]);
  },
};

export const operatorKeygen: Command = {
  name: 'operator keygen',
  usage: 'clearpeg operator keygen [--json]',
  async run(args, context) {
    const { values } = commandOptions(args, readOptions);
    const { apiKey, sha256Hex } = generateApiKey();
    return printView(context, values.json, { apiKey, apiKeySha256: sha256Hex }, [
      `API key (yours only; export it as CLEARPEG_API_KEY, never send it): ${apiKey}`,
      `apiKeySha256 for the operator.add change: ${sha256Hex}`,
    ]);
  },
};

/** `--roles r1,r2`, each a known role. */
function rolesOption(value: string | undefined): OperatorRole[] {
  const roles = (value ?? '').split(',').filter((role) => role !== '');
  if (
    roles.length === 0 ||
    roles.some((role) => !(operatorRoles as readonly string[]).includes(role))
  )
    throw new UsageError(
      `--roles: give one or more of ${operatorRoles.join(',')}, comma-separated`,
    );
  return roles as OperatorRole[];
}

export const setupOperator: Command = {
  name: 'setup operator',
  usage:
    'clearpeg setup operator --id ID --name NAME --roles r1,r2 [--approval-key HEX] [--bootstrap] [--json]',
  async run(args, context) {
    const { values } = commandOptions(args, {
      ...readOptions,
      ...strings('id', 'name', 'roles', 'approval-key'),
      bootstrap: { type: 'boolean' },
    });
    const id = operatorId(values.id);
    const operator = {
      id,
      name: requiredOption(values.name, '--name', "the operator's name"),
      roles: rolesOption(values.roles),
      ...(values['approval-key'] === undefined ? {} : { approvalKey: values['approval-key'] }),
    };
    const { apiKey } = await withDatabase(context, async (db) => {
      const registered = await operatorCount(db);
      if (registered > 0 && !values.bootstrap)
        throw new ClearpegError(
          'setup-done',
          `operators are registered already (${registered}): add one with an operator.add change (clearpeg operator keygen, clearpeg changes propose), or pass --bootstrap while the set-up ceremony is still going on`,
          { rule: 'no operators yet, or --bootstrap' },
        );
      return createOperator(db, operator);
    });
    return printView(context, values.json, { id, roles: operator.roles, apiKey }, [
      `operator ${id} (${operator.roles.join(', ')}) registered`,
      `API key, shown once (give it to ${id} only; they export it as CLEARPEG_API_KEY): ${apiKey}`,
    ]);
  },
};
