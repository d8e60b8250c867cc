/**
 * Approvals: Ed25519 signatures (RFC 8032, through @noble/curves) by each approver's own key
 * over an intent's bytes (`intentBytes`), and the quorum check that counts them. The mint and
 * redemption workflows check a quorum before they go on; the chain writer checks it again,
 * from the intent it is about to execute, right before it signs a transaction.
 *
 * Security:
 * - An approval binds one intent: the signature is over `intentBytes(intent)`, domain
 *   separated; replayed on an intent that differs by one character, it fails.
 * - Signatures are verified under the approver's REGISTERED key, never under the key an
 *   approval carries: the carried key is only compared with the registered one.
 * - Verification is RFC 8032 strict (`zip215: false`): non-canonical encodings, S ≥ L and
 *   small-order public keys are refused, so no one key/message pair has two valid forms.
 * - In a quorum the initiator never counts, even with a valid signature, nor does any
 *   approver whose registered key is the initiator's; each approver and each key counts once;
 *   an approver must be active and hold the role `approver`.
 * - What this does not do: protect the approver register itself. Whoever can rewrite the
 *   registered keys (the database) can register keys of their own; the register must be
 *   authenticated apart from the database (a policy change under quorum, pinned by the chain
 *   writer), which is the caller's part.
 * - A private key is a `Uint8Array` the caller owns and should zero after use; nothing here
 *   keeps a copy.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { assert, ClearpegError } from '../errors.ts';
import { type Intent, intentBytes, intentHash, parseIntent } from './intent.ts';
import { quorumLimits } from './quorum.ts';

/** An approval as stored and sent: every byte string is lowercase hex without `0x`. */
export interface Approval {
  /** Who approves: the id of an approver in the register. */
  readonly approverId: string;
  /** The Ed25519 public key that signed, 32 bytes. */
  readonly publicKey: string;
  /** `intentHash(intent)`: SHA-256 of the intent's bytes, 32 bytes. */
  readonly intentHash: string;
  /** The Ed25519 signature over `intentBytes(intent)`, 64 bytes. */
  readonly signature: string;
}

/** A fresh approver key pair. */
export interface ApproverKey {
  /** The 32-byte Ed25519 secret (RFC 8032's "private key", the seed). */
  readonly privateKey: Uint8Array;
  /** The 32-byte public key as lowercase hex. */
  readonly publicKey: string;
}

/** An approver as the register knows it. */
export interface RegisteredApprover {
  /** The approver's Ed25519 public key, lowercase hex. */
  readonly publicKey: string;
  /** Roles held; the role `approver` is needed to count. */
  readonly roles: readonly string[];
  /** An inactive approver's approvals never count. */
  readonly active: boolean;
}

/** The codes an approval function throws (`ClearpegError.code`); stable, never reworded. */
export type ApprovalErrorCode =
  /** The approval is malformed, names another intent, or its signature does not verify. */
  | 'approval-invalid'
  /** The approval's public key is not the approver's registered key. */
  | 'approval-key-mismatch'
  /** A key given as an argument or taken from the register is malformed or unsafe. */
  | 'approver-key-invalid'
  /** `checkQuorum`'s arguments are out of bounds. */
  | 'quorum-invalid';

/** Why `checkQuorum` did not count an approval. */
export type QuorumRefusalReason =
  /** The initiator's own approval, or one under the initiator's registered key. */
  | 'initiator'
  /** The approver has already been counted. */
  | 'duplicate'
  /** Another counted approver has the same registered key. */
  | 'shared-key'
  /** No approver of that id is registered. */
  | 'unknown-approver'
  | 'inactive'
  /** The approver does not hold the role `approver`. */
  | 'not-approver'
  /** The approver's registered key is malformed or unsafe. */
  | 'approver-key-invalid'
  | 'approval-invalid'
  | 'approval-key-mismatch';

/** What `checkQuorum` found. */
export interface QuorumCheck {
  /** At least `required` approvals counted. */
  readonly ok: boolean;
  /** The approvers counted, in the order of the approvals. */
  readonly counted: readonly string[];
  /** Every approval not counted, with the reason. */
  readonly refused: readonly {
    readonly approverId: string;
    readonly reason: QuorumRefusalReason;
  }[];
}

/** The arguments of `checkQuorum`. */
export interface QuorumCheckInput {
  /** The intent approved, as the checker decodes it from the operation itself. */
  readonly intent: Intent;
  /** Who initiated the operation: never counted. */
  readonly initiatorId: string;
  /** The approvals gathered, as received (each is checked). */
  readonly approvals: readonly Approval[];
  /** The approver register. */
  readonly approvers: ReadonlyMap<string, RegisteredApprover>;
  /** Approvals needed, from `requiredApprovals`: at least 1. */
  readonly required: number;
}

/** The role an approver must hold for an approval to count. */
export const approverRole = 'approver';

/** The bounds of approvals, each with its reason. */
export const approvalLimits = {
  /** Approvals one quorum check takes: 4 × the most a tier may ask; bounds the signature checks (about 1 ms each). */
  approvalsPerCheckMax: 4 * quorumLimits.approvalsPerTierMax,
  /** Characters of an approver id: a UUID or a user name. */
  approverIdCharsMax: 128,
} as const;
assert(
  approvalLimits.approvalsPerCheckMax >= quorumLimits.approvalsPerTierMax,
  'a quorum check takes at least as many approvals as a tier may require',
);

/** An Ed25519 secret, a public key, a signature and a SHA-256 hash, in bytes (RFC 8032 §5.1). */
const privateKeyBytes = 32;
const publicKeyBytes = 32;
const signatureBytes = 64;
const hashBytes = 32;

const approverIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
const hexPatterns = new Map<number, RegExp>(
  [publicKeyBytes, signatureBytes, hashBytes].map((n) => [n, new RegExp(`^[0-9a-f]{${2 * n}}$`)]),
);

function fail(code: ApprovalErrorCode, field: string, rule: string, got?: string): never {
  const message = `${field}: must be ${rule}${got === undefined ? '' : ` (got ${got})`}`;
  throw new ClearpegError(code, message, { field, rule });
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  return value === null ? 'null' : typeof value;
}

function hex(value: unknown, bytes: number, code: ApprovalErrorCode, field: string): string {
  const rule = `${bytes} bytes as lowercase hex, without 0x`;
  if (typeof value !== 'string' || !hexPatterns.get(bytes)!.test(value))
    fail(code, field, rule, describe(value));
  return value;
}

function checkApproverId(value: unknown, code: ApprovalErrorCode, field: string): string {
  if (
    typeof value !== 'string' ||
    value.length > approvalLimits.approverIdCharsMax ||
    !approverIdPattern.test(value)
  )
    fail(
      code,
      field,
      `1 to ${approvalLimits.approverIdCharsMax} letters, digits and . _ : @ -, starting with a letter or digit`,
      describe(value),
    );
  return value;
}

/** A public key that decodes to a point of large order (RFC 8032 §5.1.3, strict). */
function checkPublicKey(value: unknown, field: string): string {
  const key = hex(value, publicKeyBytes, 'approver-key-invalid', field);
  let point: ReturnType<typeof ed25519.Point.fromBytes>;
  try {
    point = ed25519.Point.fromBytes(hexToBytes(key), false);
  } catch {
    return fail('approver-key-invalid', field, 'a canonical encoding of a curve point');
  }
  if (point.isSmallOrder())
    fail(
      'approver-key-invalid',
      field,
      'a key of large order (a small-order key verifies forgeries)',
    );
  return key;
}

/**
 * Signs bytes with an Ed25519 secret (RFC 8032 §5.1.6, deterministic): the primitive under
 * `signApproval`, exposed for test vectors.
 * @example signMessage(new Uint8Array(), rfc8032Test1Secret) // RFC 8032 §7.1 TEST 1's signature
 */
export function signMessage(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== privateKeyBytes)
    fail('approver-key-invalid', 'privateKey', `${privateKeyBytes} bytes (a Uint8Array)`);
  return ed25519.sign(message, privateKey);
}

/**
 * Verifies an Ed25519 signature, RFC 8032 §5.1.7 strict: non-canonical encodings, S ≥ L and
 * small-order public keys fail. The primitive under `verifyApproval`, exposed for test vectors.
 * @example verifyMessage(signature, new Uint8Array(), rfc8032Test1PublicKey) === true
 */
export function verifyMessage(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (signature.length !== signatureBytes || publicKey.length !== publicKeyBytes) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * A fresh approver key from the system's random source.
 * @example const { privateKey, publicKey } = generateApproverKey(); // 32 bytes, 64 hex digits
 */
export function generateApproverKey(): ApproverKey {
  const privateKey = ed25519.utils.randomSecretKey();
  return { privateKey, publicKey: bytesToHex(ed25519.getPublicKey(privateKey)) };
}

/**
 * The public key of an approver's secret, lowercase hex.
 * @example approverPublicKey(new Uint8Array(32).fill(1)) === '8a88e3dd…'
 */
export function approverPublicKey(privateKey: Uint8Array): string {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== privateKeyBytes)
    fail('approver-key-invalid', 'privateKey', `${privateKeyBytes} bytes (a Uint8Array)`);
  return bytesToHex(ed25519.getPublicKey(privateKey));
}

/**
 * Signs an intent with an approver's own key.
 * @example signApproval(intent, privateKey, 'alice') // { approverId: 'alice', publicKey, intentHash, signature }
 */
export function signApproval(intent: Intent, privateKey: Uint8Array, approverId: string): Approval {
  checkApproverId(approverId, 'approval-invalid', 'approverId');
  const bytes = intentBytes(intent);
  const signature = signMessage(bytes, privateKey);
  return {
    approverId,
    publicKey: approverPublicKey(privateKey),
    intentHash: intentHash(intent),
    signature: bytesToHex(signature),
  };
}

/**
 * Checks an approval's shape and returns a copy holding only its four fields, read once.
 * @example parseApproval(JSON.parse(body)).approverId
 */
export function parseApproval(value: unknown): Approval {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('approval-invalid', 'approval', 'an object', describe(value));
  const raw = value as Record<string, unknown>;
  return {
    approverId: checkApproverId(raw.approverId, 'approval-invalid', 'approval.approverId'),
    publicKey: hex(raw.publicKey, publicKeyBytes, 'approval-invalid', 'approval.publicKey'),
    intentHash: hex(raw.intentHash, hashBytes, 'approval-invalid', 'approval.intentHash'),
    signature: hex(raw.signature, signatureBytes, 'approval-invalid', 'approval.signature'),
  };
}

/** Verifies a parsed approval against an intent's bytes and hash and a checked registered key. */
function verifyParsed(
  approval: Approval,
  bytes: Uint8Array,
  hash: string,
  registered: string,
): void {
  if (approval.publicKey !== registered)
    fail(
      'approval-key-mismatch',
      'approval.publicKey',
      `the approver's registered key (approver ${approval.approverId})`,
    );
  if (approval.intentHash !== hash)
    fail(
      'approval-invalid',
      'approval.intentHash',
      "the hash of this intent's bytes (the approval is for another intent)",
    );
  if (!verifyMessage(hexToBytes(approval.signature), bytes, hexToBytes(registered)))
    fail(
      'approval-invalid',
      'approval.signature',
      `a signature over this intent's bytes by approver ${approval.approverId}'s registered key`,
    );
}

/**
 * Verifies an approval of an intent under the approver's registered key; throws
 * `approval-invalid` (malformed, another intent, a bad signature) or `approval-key-mismatch`.
 * @example verifyApproval(approval, intent, register.get(approval.approverId).publicKey)
 */
export function verifyApproval(
  approval: Approval,
  intent: Intent,
  registeredPublicKey: string,
): void {
  const parsed = parseApproval(approval);
  const registered = checkPublicKey(registeredPublicKey, 'registeredPublicKey');
  verifyParsed(parsed, intentBytes(intent), intentHash(intent), registered);
}

/**
 * Counts the approvals of an intent: the initiator never counts, each approver and each key
 * once, only active holders of the role `approver`, only signatures that verify over the
 * intent under the registered key. Every approval not counted is listed with its reason.
 * @example checkQuorum({ intent, initiatorId: 'ivan', approvals, approvers, required: 2 }).ok
 */
export function checkQuorum(input: QuorumCheckInput): QuorumCheck {
  const { approvals, approvers, initiatorId, required } = input;
  if (
    !Number.isSafeInteger(required) ||
    required < 1 ||
    required > quorumLimits.approvalsPerTierMax
  )
    fail(
      'quorum-invalid',
      'required',
      `an integer from 1 to ${quorumLimits.approvalsPerTierMax}`,
      String(required),
    );
  if (!Array.isArray(approvals) || approvals.length > approvalLimits.approvalsPerCheckMax)
    fail('quorum-invalid', 'approvals', `a list of at most ${approvalLimits.approvalsPerCheckMax}`);
  if (typeof initiatorId !== 'string' || initiatorId.length === 0)
    fail('quorum-invalid', 'initiatorId', 'a non-empty string', describe(initiatorId));
  const intent = parseIntent(input.intent);
  const bytes = intentBytes(intent);
  const hash = intentHash(intent);
  const initiatorKey = approvers.get(initiatorId)?.publicKey;

  const counted: string[] = [];
  const countedKeys = new Set<string>();
  const refused: { approverId: string; reason: QuorumRefusalReason }[] = [];

  /** Why one approval does not count, or the approver and key it counts for. */
  const judge = (raw: unknown): QuorumRefusalReason | { approverId: string; publicKey: string } => {
    let approval: Approval;
    try {
      approval = parseApproval(raw);
    } catch {
      return 'approval-invalid';
    }
    const id = approval.approverId;
    if (id === initiatorId) return 'initiator';
    const approver = approvers.get(id);
    if (approver === undefined) return 'unknown-approver';
    if (approver.active !== true) return 'inactive';
    if (!Array.isArray(approver.roles) || !approver.roles.includes(approverRole))
      return 'not-approver';
    let key: string;
    try {
      key = checkPublicKey(approver.publicKey, `approvers.${id}.publicKey`);
    } catch {
      return 'approver-key-invalid';
    }
    if (key === initiatorKey) return 'initiator';
    if (counted.includes(id)) return 'duplicate';
    if (countedKeys.has(key)) return 'shared-key';
    try {
      verifyParsed(approval, bytes, hash, key);
    } catch (error) {
      if (error instanceof ClearpegError && error.code === 'approval-key-mismatch')
        return 'approval-key-mismatch';
      return 'approval-invalid';
    }
    return { approverId: id, publicKey: key };
  };

  for (const raw of approvals) {
    const verdict = judge(raw);
    if (typeof verdict === 'string') refused.push({ approverId: idOf(raw), reason: verdict });
    else {
      counted.push(verdict.approverId);
      countedKeys.add(verdict.publicKey);
    }
  }

  assert(new Set(counted).size === counted.length, 'each approver counted once');
  assert(!counted.includes(initiatorId), 'the initiator is never counted');
  assert(counted.length + refused.length === approvals.length, 'every approval counted or refused');
  return { ok: counted.length >= required, counted, refused };
}

/** The approver id an approval claims, for the refusal list; `?` when it has none. */
function idOf(raw: unknown): string {
  const id =
    typeof raw === 'object' && raw !== null
      ? (raw as { approverId?: unknown }).approverId
      : undefined;
  return typeof id === 'string' && id.length <= approvalLimits.approverIdCharsMax ? id : '?';
}
