/**
 * Proof of liabilities for customers' dollars (ARCHITECTURE §6, docs/transparency.md): each
 * attestation round puts every customer's fiat balance in a Merkle sum tree whose root and
 * total the attestation states. A customer learns its leaf (index, salt, balance) once,
 * through the authenticated API, and then checks it against the public tiles alone, so the
 * issuer cannot tell whose proof is being checked.
 *
 * Salts: the round's secret is `HMAC-SHA256(master, "clearpeg-round-secret/1\n" ‖ round)`
 * from the issuer's 32-byte master secret (a file beside the log key); each customer's salt
 * is `deriveSalt(roundSecret, round, customerId)` (docs/formats.md). Nothing secret is stored
 * in the database: a leaf row holds the index, the customer and the balance.
 *
 * A round is built only when the balances changed: an attestation whose customers' dollars
 * are those of the previous round names that round again (its digest of the sorted
 * `(customer, balance)` pairs says so), so a quiet minute writes no leaves.
 */
import { createHash, createHmac } from 'node:crypto';
import { ClearpegError } from '../errors.ts';
import { hex } from '../ledger/journal.ts';
import { buildLiabilitiesTree, deriveSalts, PackedAccountsWriter } from '../liabilities/build.ts';
import { amountText } from '../proofs/attestation.ts';
import { deriveSalt, type SumTree } from '../proofs/sumtree.ts';
import type { SqlExecutor } from '../storage/sql.ts';

/** The format of the leaf file a customer is given. */
export const leafFormat = 'clearpeg-liabilities-leaf/1';

/** What a customer is given to check its own balance against a round's public tiles. */
export interface LeafFile {
  readonly format: typeof leafFormat;
  readonly origin: string;
  readonly round: string;
  readonly index: string;
  readonly size: string;
  readonly customerId: string;
  readonly salt: string;
  readonly value: string;
}

/** A round as stored, and (when this process built it) its tree. */
export interface Round {
  readonly round: bigint;
  readonly size: bigint;
  readonly root: Uint8Array;
  readonly total: bigint;
  /** The tree, for publishing its tiles; undefined when the round was reused. */
  readonly tree?: SumTree;
}

/**
 * The secret of `round`, from the issuer's master secret.
 * @example roundSecret(master, 12n).length === 32
 */
export function roundSecret(master: Uint8Array, round: bigint): Uint8Array {
  if (master.length !== 32) throw new Error('assertion failed: the master secret is 32 bytes');
  return new Uint8Array(
    createHmac('sha256', master).update(`clearpeg-round-secret/1\n${round}`).digest(),
  );
}

/** The digest of the sorted balances: equal digests, equal rounds. */
function balancesDigest(balances: readonly { customerId: string; value: bigint }[]): Uint8Array {
  const h = createHash('sha256');
  for (const { customerId, value } of balances) h.update(`${customerId}\n${value}\n`);
  return new Uint8Array(h.digest());
}

/**
 * The round for these balances (sorted by customer id): the newest stored round when its
 * digest is theirs, or a new round numbered `round`, built and stored in `tx` (its leaves by
 * COPY; the leaves of rounds before the previous one are deleted).
 * @example const fiat = await roundFor(tx, 12n, balances, master, nowUs)
 */
export async function roundFor(
  tx: SqlExecutor,
  round: bigint,
  balances: readonly { customerId: string; value: bigint }[],
  master: Uint8Array,
  nowUs: bigint,
): Promise<Round> {
  const digest = balancesDigest(balances);
  const { rows } = await tx.query<{
    round: string;
    size: string;
    root: Uint8Array;
    total: string;
    digest: Uint8Array;
  }>(
    'SELECT round::text, size::text, root, total::text, digest FROM liability_rounds r ORDER BY r.round DESC LIMIT 1',
  );
  const last = rows[0];
  if (last !== undefined && Buffer.compare(last.digest, digest) === 0)
    return {
      round: BigInt(last.round),
      size: BigInt(last.size),
      root: new Uint8Array(last.root),
      total: BigInt(last.total),
    };
  const secret = roundSecret(master, round);
  const name = round.toString();
  // The fast builder (typed arrays, worker threads past 65,536 customers): the same tree as
  // buildSumTree's, leaf for leaf (src/liabilities/build.test.ts).
  const writer = new PackedAccountsWriter(balances.length);
  for (const { customerId, value } of balances) writer.add(customerId, undefined, value);
  const accounts = writer.finish();
  await deriveSalts(accounts, secret, name);
  const tree = await buildLiabilitiesTree(accounts);
  await tx.query(
    `INSERT INTO liability_rounds (round, size, root, total, digest, created_at_us)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [round, tree.size, tree.root.hash, tree.root.value, digest, nowUs],
  );
  if (balances.length > 0) {
    const lines = balances.map(
      ({ customerId, value }, i) => `${name}\t${i}\t${copyText(customerId)}\t${value}\n`,
    );
    await tx.copyFrom('liability_leaves', ['round', 'idx', 'customer_id', 'value'], lines.join(''));
  }
  await tx.query('DELETE FROM liability_leaves WHERE round < $1', [
    last === undefined ? round : BigInt(last.round),
  ]);
  return { round, size: tree.size, root: tree.root.hash, total: tree.root.value, tree };
}

/** A value as COPY's text format writes it (customer ids have no tab, newline or backslash; refused if one did). */
function copyText(value: string): string {
  if (/[\t\n\r\\]/.test(value))
    throw new Error(
      `assertion failed: customer id ${JSON.stringify(value)} has a COPY control character`,
    );
  return value;
}

/**
 * The leaf file of `customerId` in the newest round that holds it: what the customer needs to
 * check its balance from the public tiles (`liabilities-leaf-unknown` before any round has it).
 * With `publishedSize`, only rounds the published log already states (a round is committed a
 * moment before its checkpoint is published: a leaf of it would not verify yet).
 * @example const leaf = await leafOf(db, 'c-1', master, origin)
 */
export async function leafOf(
  db: SqlExecutor,
  customerId: string,
  master: Uint8Array,
  origin: string,
  publishedSize?: bigint,
): Promise<LeafFile> {
  const { rows } = await db.query<{ round: string; idx: string; value: string; size: string }>(
    `SELECT l.round::text, l.idx::text, l.value::text, r.size::text
     FROM liability_leaves l JOIN liability_rounds r ON r.round = l.round
     WHERE l.customer_id = $1 AND ($2::bigint IS NULL OR l.round < $2)
     ORDER BY l.round DESC LIMIT 1`,
    [customerId, publishedSize ?? null],
  );
  const row = rows[0];
  if (row === undefined)
    throw new ClearpegError(
      'liabilities-leaf-unknown',
      `customer ${customerId} is in no attestation round yet: wait for the next attestation`,
      { field: 'customerId', rule: 'a customer counted in an attestation round' },
    );
  const round = BigInt(row.round);
  return {
    format: leafFormat,
    origin,
    round: row.round,
    index: row.idx,
    size: row.size,
    customerId,
    salt: hex(deriveSalt(roundSecret(master, round), row.round, customerId)),
    value: amountText(BigInt(row.value)),
  };
}
