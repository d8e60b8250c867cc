/**
 * An approver's key file (docs/formats.md, "Approver key file v1"): the Ed25519 key an
 * approver signs intents with, kept on the approver's own machine (never on the server), read
 * by `clearpeg … approve`. The file is written with mode 0600 and refused when others can read
 * it; the key is not encrypted (the operator's guide says where it must live).
 *
 *   {"format":"clearpeg-approver-key/1","approverId":"op-ann","publicKey":"<64 hex>","privateKey":"<64 hex>"}
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ClearpegError } from '../errors.ts';
import { type ApproverKey, approverPublicKey } from './approvals.ts';

export const approverKeyFileFormat = 'clearpeg-approver-key/1';

/** A key file's content. */
export interface ApproverKeyFile {
  readonly approverId: string;
  readonly key: ApproverKey;
}

function invalid(path: string, message: string, field: string): never {
  throw new ClearpegError('approver-key-file-invalid', `${path}: ${message}`, {
    field,
    rule: approverKeyFileFormat,
  });
}

/**
 * Writes an approver's key file (mode 0600); refuses to overwrite one.
 * @example writeApproverKeyFile('keys/approver-op-ann.json', 'op-ann', generateApproverKey())
 */
export function writeApproverKeyFile(path: string, approverId: string, key: ApproverKey): void {
  const body = {
    format: approverKeyFileFormat,
    approverId,
    publicKey: key.publicKey,
    privateKey: bytesToHex(key.privateKey),
  };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

/**
 * Reads an approver's key file: its format, that nobody but its owner can read it, and that
 * the private key's public half is the one written beside it.
 * @example const { approverId, key } = readApproverKeyFile('keys/approver-op-ann.json')
 */
export function readApproverKeyFile(path: string): ApproverKeyFile {
  let text: string;
  try {
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0)
      invalid(path, 'others can read it: chmod 600 it', 'mode');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ClearpegError) throw error;
    throw new ClearpegError(
      'approver-key-file-unreadable',
      `${path}: ${(error as Error).message}`,
      {
        field: 'path',
      },
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    invalid(path, 'not JSON', 'file');
  }
  if (json === null || typeof json !== 'object' || json.format !== approverKeyFileFormat)
    invalid(path, `format must be ${approverKeyFileFormat}`, 'format');
  const { approverId, publicKey, privateKey } = json;
  if (typeof approverId !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(approverId))
    invalid(path, 'approverId must be an operator id', 'approverId');
  if (typeof privateKey !== 'string' || !/^[0-9a-f]{64}$/.test(privateKey))
    invalid(path, 'privateKey must be 64 lowercase hex digits', 'privateKey');
  const secret = hexToBytes(privateKey);
  if (publicKey !== approverPublicKey(secret))
    invalid(path, "publicKey is not the private key's public key", 'publicKey');
  return { approverId, key: { publicKey, privateKey: secret } };
}
