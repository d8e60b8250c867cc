/**
 * Reserve positions as stored (`reserve_positions`, migration 0007) and read back as the
 * pure types of ../reserves/instruments.ts; the custodian statements they came from.
 *
 * A statement is recorded by its SHA-256 (the file itself stays with the operator). When the
 * custodian's Ed25519 public key is configured, a statement must come with the custodian's
 * signature over the file's bytes, and is refused unless it verifies: a position cannot then
 * claim a statement the custodian did not sign.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ClearpegError } from '../errors.ts';
import { type Micro, parseAmount } from '../money/money.ts';
import type {
  Evidence,
  InvestmentAsset,
  Position,
  RepoPosition,
  TbillPosition,
} from '../reserves/instruments.ts';
import { type SqlExecutor, selectTuples } from '../storage/sql.ts';
import { type Actor, requireRole } from '../workflow/actors.ts';
import { audited, type IssuanceContext } from '../workflow/context.ts';

/** A position's lifecycle: open, then matured (bills, repo), sold (bills) or closed. */
export type PositionStatus = 'open' | 'matured' | 'sold' | 'closed';

/** A stored position: the instrument, where its cash comes from and goes back to, its state. */
export interface StoredPosition {
  readonly position: Position;
  readonly status: PositionStatus;
  /** The ledger account that carries its value. */
  readonly accountCode: string;
  /** The cash account's bank a bill or repo was paid from and returns to. */
  readonly bank: string | null;
  /** Bills: the last day whose accretion is posted. */
  readonly accruedThrough: string | null;
  readonly closeDetail: Readonly<Record<string, string>> | null;
}

/**
 * A position as read (`selectTuples`): one array per row, in the order of `positionColumns`. Money as
 * decimal text, dates as ISO text, bytes as hex.
 */
type PositionTuple = [
  id: string,
  kind: Position['kind'],
  accountCode: string,
  custodian: string,
  jurisdiction: string,
  status: PositionStatus,
  bank: string | null,
  centralBank: boolean | null,
  insuredInstitution: boolean | null,
  cusip: string | null,
  face: string | null,
  cost: string | null,
  issueDate: string | null,
  maturityDate: string | null,
  tradeDate: string | null,
  settlementDate: string | null,
  accruedThrough: string | null,
  counterparty: string | null,
  principal: string | null,
  ratePct: string | null,
  startDate: string | null,
  collateral: { cusip: string; face: string; maturityDate: string }[] | null,
  fund: string | null,
  government: boolean | null,
  asset: InvestmentAsset | null,
  name: string | null,
  evidenceSha256: string | null,
  evidenceSignature: string | null,
  evidenceVerified: boolean,
  closeDetail: Record<string, string> | null,
];

/** What `PositionTuple` is read from (over `p`, and `a`, a bill's accrual row). */
const positionColumns = [
  'p.id',
  'p.kind',
  'p.account_code',
  'p.custodian',
  'p.jurisdiction',
  'p.status',
  'p.bank',
  'p.central_bank',
  'p.insured_institution',
  'p.cusip',
  'p.face::text',
  'p.cost::text',
  'p.issue_date',
  'p.maturity_date',
  'p.trade_date',
  'p.settlement_date',
  'a.accrued_through',
  'p.counterparty',
  'p.principal::text',
  'p.rate_pct::text',
  'p.start_date',
  'p.collateral',
  'p.fund',
  'p.government',
  'p.asset',
  'p.name',
  "encode(p.evidence_sha256, 'hex')",
  "encode(p.evidence_signature, 'hex')",
  'p.evidence_verified',
  'p.close_detail',
] as const satisfies { length: PositionTuple['length'] };

const micro = (text: string | null): Micro => BigInt(text ?? '0') as Micro;

/** A row as read, as a stored position. */
function positionOf(row: PositionTuple): StoredPosition {
  const [
    id,
    kind,
    accountCode,
    custodian,
    jurisdiction,
    status,
    bank,
    centralBank,
    insuredInstitution,
    cusip,
    face,
    cost,
    issueDate,
    maturityDate,
    tradeDate,
    settlementDate,
    accruedThrough,
    counterparty,
    principal,
    ratePct,
    startDate,
    collateral,
    fund,
    government,
    asset,
    name,
    sha,
    signature,
    verified,
    closeDetail,
  ] = row;
  let position: Position;
  switch (kind) {
    case 'cash':
      position = {
        id,
        custodian,
        jurisdiction,
        kind,
        bank: bank!,
        amount: 0n as Micro,
        centralBank: centralBank!,
        insuredInstitution: insuredInstitution!,
        insured: 0n as Micro,
      };
      break;
    case 'tbill':
      position = {
        id,
        custodian,
        jurisdiction,
        kind,
        cusip: cusip!,
        face: micro(face),
        cost: micro(cost),
        issueDate: issueDate!,
        maturityDate: maturityDate!,
        tradeDate: tradeDate!,
        settlementDate: settlementDate!,
      } satisfies TbillPosition;
      break;
    case 'repo':
      position = {
        id,
        custodian,
        jurisdiction,
        kind,
        counterparty: counterparty!,
        principal: micro(principal),
        startDate: startDate!,
        maturityDate: maturityDate!,
        ratePct: ratePct!,
        collateral: (collateral ?? []).map((c) => ({
          cusip: c.cusip,
          // Stored as book.ts writes it: a decimal string of dollars.
          face: parseAmount(c.face, 'collateral.face'),
          maturityDate: c.maturityDate,
        })),
      } satisfies RepoPosition;
      break;
    case 'mmf':
      position = {
        id,
        custodian,
        jurisdiction,
        kind,
        fund: fund!,
        government: government!,
        amount: 0n as Micro,
      };
      break;
    case 'investment':
      position = {
        id,
        custodian,
        jurisdiction,
        kind,
        asset: asset!,
        name: name!,
        amount: 0n as Micro,
      };
      break;
  }
  if (sha !== null) {
    const evidence: Evidence =
      signature === null
        ? { statementSha256: sha, signatureVerified: verified }
        : { statementSha256: sha, signature, signatureVerified: verified };
    (position as { evidence?: Evidence }).evidence = evidence;
  }
  return { position, status, accountCode, bank, accruedThrough, closeDetail };
}

/**
 * Positions matching `where` (over `p`, the position, and `a`, a bill's accrual row), in id
 * order.
 * @example await selectPositions(db, "p.status = 'open'")
 */
export async function selectPositions(
  db: SqlExecutor,
  where = 'true',
  params: readonly (string | number | null)[] = [],
): Promise<StoredPosition[]> {
  const rows = await selectTuples<PositionTuple>(
    db,
    positionColumns,
    `reserve_positions p LEFT JOIN reserve_accruals a ON a.position_id = p.id WHERE ${where}`,
    'p.id',
    params,
  );
  return rows.map(positionOf);
}

/** The position with `id`, if there is one. */
export async function findPosition(
  db: SqlExecutor,
  id: string,
): Promise<StoredPosition | undefined> {
  const [found] = await selectPositions(db, 'p.id = $1', [id]);
  return found;
}

/** The position, or `position-not-found` naming `field` (the input that gave the id). */
export async function getPosition(
  db: SqlExecutor,
  id: string,
  field = 'positionId',
): Promise<StoredPosition> {
  const found = await findPosition(db, id);
  if (found === undefined)
    throw new ClearpegError('position-not-found', `no reserve position ${id}`, {
      field,
      rule: 'a known position',
    });
  return found;
}

/** A custodian statement, as given: its bytes (hashed here) or only its hash. */
export interface StatementInput {
  readonly custodian: string;
  /** The file, or `sha256` of it. */
  readonly bytes?: Uint8Array;
  /** 64 hex digits. */
  readonly sha256?: string;
  /** The custodian's Ed25519 signature over the file, 128 hex digits. */
  readonly signature?: string;
}

function hexField(value: unknown, bytes: number, field: string): Uint8Array {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(value))
    throw new ClearpegError(
      'statement-invalid',
      `${field} must be ${bytes * 2} lowercase hex digits`,
      {
        field,
        rule: `${bytes * 2} lowercase hex digits`,
      },
    );
  return hexToBytes(value);
}

/**
 * Records a custodian statement; verifies its signature when the custodian's key is
 * configured (a statement of such a custodian must be signed and must verify: a signature
 * needs the file's bytes). Recording the same statement again changes nothing.
 * @example const evidence = await recordStatement(ctx, treasurer, { custodian: 'bny', bytes })
 */
export async function recordStatement(
  ctx: IssuanceContext,
  actor: Actor,
  input: StatementInput,
): Promise<Evidence> {
  return audited(ctx, actor, 'reserves.statement', input.custodian, async (commit) => {
    requireRole(actor, ['treasurer'], { action: 'record custodian statements' });
    if (
      typeof input.custodian !== 'string' ||
      input.custodian.length < 1 ||
      input.custodian.length > 200
    )
      throw new ClearpegError('statement-invalid', 'custodian must be 1 to 200 characters', {
        field: 'custodian',
        rule: '1 to 200 characters',
      });
    const hash =
      input.bytes !== undefined ? sha256(input.bytes) : hexField(input.sha256, 32, 'sha256');
    if (
      input.bytes !== undefined &&
      input.sha256 !== undefined &&
      bytesToHex(hash) !== input.sha256
    )
      throw new ClearpegError(
        'statement-invalid',
        'sha256 is not the SHA-256 of the statement given',
        {
          field: 'sha256',
          rule: 'the SHA-256 of bytes',
        },
      );
    const signature =
      input.signature === undefined ? undefined : hexField(input.signature, 64, 'signature');
    const { rows } = await ctx.db.query<{ public_key: Uint8Array }>(
      'SELECT public_key FROM custodian_keys WHERE custodian = $1',
      [input.custodian],
    );
    const key = rows[0]?.public_key;
    let verified = false;
    if (key !== undefined) {
      if (signature === undefined || input.bytes === undefined)
        throw new ClearpegError(
          'statement-unsigned',
          `${input.custodian} has a configured key: its statement must come as a file with its signature`,
          { field: 'signature', rule: "the custodian's Ed25519 signature over the file" },
        );
      if (!ed25519.verify(signature, input.bytes, key))
        throw new ClearpegError(
          'statement-signature-invalid',
          `the signature is not ${input.custodian}'s over this statement`,
          { field: 'signature', rule: "the custodian's Ed25519 signature over the file" },
        );
      verified = true;
    }
    return commit(async (tx) => {
      await tx.query(
        `INSERT INTO custodian_statements (sha256, custodian, signature, verified, received_at_us, bytes)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING`,
        [hash, input.custodian, signature ?? null, verified, ctx.clockUs(), input.bytes ?? null],
      );
      const evidence: Evidence = {
        statementSha256: bytesToHex(hash),
        ...(input.signature === undefined ? {} : { signature: input.signature }),
        signatureVerified: verified,
      };
      return {
        result: evidence,
        detail: { custodian: input.custodian, sha256: evidence.statementSha256, verified },
      };
    });
  });
}

/** The recorded statement with this hash, as evidence; `statement-unknown` if none. */
export async function statementEvidence(db: SqlExecutor, sha256Hex: string): Promise<Evidence> {
  const hash = hexField(sha256Hex, 32, 'statement');
  const { rows } = await db.query<{ signature: Uint8Array | null; verified: boolean }>(
    'SELECT signature, verified FROM custodian_statements WHERE sha256 = $1',
    [hash],
  );
  const row = rows[0];
  if (row === undefined)
    throw new ClearpegError(
      'statement-unknown',
      `no custodian statement ${sha256Hex} was recorded`,
      {
        field: 'statement',
        rule: 'the SHA-256 of a recorded statement',
      },
    );
  return {
    statementSha256: sha256Hex,
    ...(row.signature === null ? {} : { signature: bytesToHex(row.signature) }),
    signatureVerified: row.verified,
  };
}

/**
 * Configures (or replaces) a custodian's Ed25519 public key; admin only.
 * @example await setCustodianKey(ctx, admin, 'bny', '3b6a27bc…')
 */
export async function setCustodianKey(
  ctx: IssuanceContext,
  actor: Actor,
  custodian: string,
  publicKeyHex: string,
): Promise<void> {
  await audited(ctx, actor, 'reserves.custodian-key', custodian, async (commit) => {
    requireRole(actor, ['admin'], { action: 'configure custodian keys' });
    const key = hexField(publicKeyHex, 32, 'publicKey');
    await commit(async (tx) => {
      await tx.query(
        `INSERT INTO custodian_keys (custodian, public_key, added_at_us) VALUES ($1, $2, $3)
         ON CONFLICT (custodian) DO UPDATE SET public_key = excluded.public_key, added_at_us = excluded.added_at_us`,
        [custodian, key, ctx.clockUs()],
      );
      return { result: undefined, detail: { custodian, publicKey: publicKeyHex } };
    });
  });
}
