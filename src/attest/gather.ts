/**
 * What an attestation states, gathered from the issuer's records: the ledger's head and
 * balances (through the balances module), each chain's supply at a final block (the indexer's
 * figures checked by direct reads of the chain), and the reserve book (each position's value,
 * eligibility and evidence). The figures that follow from others (totals, coverage) are
 * computed by `src/proofs/attestation.ts`'s own rules, so the issuer states exactly what a
 * verifier recomputes.
 */
import type { Hex } from 'viem';
import { newYorkDate } from '../calendar.ts';
import { clearpegTokenAbi } from '../chain/artifacts.ts';
import { indexedBlock, issuerHeld } from '../chain/indexer.ts';
import type { IssuerChain, TokenRecord } from '../chain/runtime.ts';
import { ClearpegError } from '../errors.ts';
import { hex } from '../ledger/journal.ts';
import {
  type Attestation,
  amountText,
  attestationFormat,
  type ChainFigures,
  coverageRatio,
  type PositionFigures,
} from '../proofs/attestation.ts';
import type { Ruleset } from '../reserves/eligibility.ts';
import { SqlLedgerStore } from '../storage/ledger-store.ts';
import { executorDatabase } from '../storage/snapshot.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import { accountCodeOf, eligibleReserveCodes, readBook } from '../treasury/valuation.ts';
import { everyCustomerFiat, everySuspense } from '../workflow/accounts.ts';
import type { IssuanceContext } from '../workflow/context.ts';

/** A chain the issuer attests: its connection and its token of record. */
export interface AttestedChain {
  readonly chain: IssuerChain;
  readonly token: TokenRecord;
}

/**
 * A chain's figures at its newest final, indexed block: the total supply read from the chain
 * at that block, the issuer's holdings from the indexer's Transfer events checked against
 * `balanceOf` read at that block for each issuer address (a disagreement refuses the
 * attestation: `attestation-chain-disagrees`). Undefined before the first final block is indexed.
 * @example const figures = await chainFigures(db, { chain, token })
 */
export async function chainFigures(
  db: SqlExecutor,
  { chain, token }: AttestedChain,
): Promise<ChainFigures | undefined> {
  const chainId = chain.config.chainId;
  const indexed = await indexedBlock(db, chainId);
  if (indexed === undefined) return undefined;
  const head = await chain.client.getBlockNumber({ cacheTime: 0 });
  const finalHead = head - BigInt(chain.config.finalityDepth) + 1n;
  const blockNumber = indexed < finalHead ? indexed : finalHead;
  if (blockNumber < 0n) return undefined;
  const block = await chain.client.getBlock({ blockNumber });
  const address = token.address as Hex;
  const totalSupply = await chain.client.readContract({
    address,
    abi: clearpegTokenAbi,
    functionName: 'totalSupply',
    blockNumber,
  });
  const { rows } = await db.query<{ address: string }>(
    'SELECT address FROM chain_issuer_addresses WHERE chain_id = $1 ORDER BY address',
    [chainId],
  );
  const addresses = [...new Set(rows.map((row) => row.address.toLowerCase()))].sort();
  const indexedHeld = await issuerHeld(db, chainId, blockNumber);
  let readHeld = 0n;
  for (const holder of addresses)
    readHeld += await chain.client.readContract({
      address,
      abi: clearpegTokenAbi,
      functionName: 'balanceOf',
      args: [holder as Hex],
      blockNumber,
    });
  if (readHeld !== indexedHeld)
    throw new ClearpegError(
      'attestation-chain-disagrees',
      `chain ${chainId} at block ${blockNumber}: the indexer has the issuer holding ${amountText(indexedHeld)}, the chain ${amountText(readHeld)}`,
      { field: `chains.${chainId}.issuerHeld`, rule: "the indexer's figure equals the chain's" },
    );
  return {
    chainId: String(chainId),
    token: address.toLowerCase(),
    issuerAddresses: addresses,
    block: { number: String(blockNumber), hash: block.hash!.toLowerCase() },
    totalSupply: amountText(totalSupply),
    issuerHeld: amountText(readHeld),
    circulating: amountText(totalSupply - readHeld),
  } as ChainFigures;
}

/** Each customer's dollars (`customers:<id>:fiat`, posted), by customer id, sorted by id. */
export async function customerFiatBalances(
  ctx: IssuanceContext,
  tx: SqlExecutor,
): Promise<{ customerId: string; value: bigint }[]> {
  const balances = await ctx.ledger.balancesByCode(everyCustomerFiat, tx);
  const out: { customerId: string; value: bigint }[] = [];
  for (const [code, balance] of balances)
    out.push({
      customerId: code.slice('customers:'.length, -':fiat'.length),
      value: balance.posted,
    });
  return out.sort((a, b) =>
    a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0,
  );
}

/** The reserve book's positions as the attestation states them, with the ruleset's verdicts. */
async function positionFigures(ctx: IssuanceContext, tx: SqlExecutor): Promise<PositionFigures[]> {
  const reader = { db: tx, ledger: ctx.ledger };
  const { portfolio } = await readBook(reader, newYorkDate(Number(ctx.clockUs() / 1000n)));
  const eligible = new Set(await eligibleReserveCodes(tx));
  const { rows: keys } = await tx.query<{ custodian: string; public_key: Uint8Array }>(
    'SELECT custodian, public_key FROM custodian_keys',
  );
  const keyOf = new Map(keys.map((row) => [row.custodian, hex(new Uint8Array(row.public_key))]));
  // A statement is evidenced by the custodian that signed it, which may differ from the
  // position's (a sub-custodian): its key is the one its signature verifies under.
  const { rows: statements } = await tx.query<{
    sha: string;
    custodian: string;
    signature: Uint8Array | null;
  }>("SELECT encode(sha256, 'hex') AS sha, custodian, signature FROM custodian_statements");
  const statementOf = new Map(statements.map((row) => [row.sha, row]));
  return portfolio.holdings
    .map(({ position, value }): PositionFigures => {
      const statement = position.evidence?.statementSha256;
      const recorded = statement === undefined ? undefined : statementOf.get(statement);
      const signer = recorded?.custodian ?? position.custodian;
      return {
        id: position.id,
        kind: position.kind,
        value: amountText(value),
        eligible: eligible.has(accountCodeOf(position)),
        evidence:
          statement === undefined
            ? null
            : {
                statementSha256: statement,
                custodian: signer,
                custodianKey: keyOf.get(signer) ?? null,
                signature:
                  recorded === undefined || recorded.signature === null
                    ? null
                    : hex(new Uint8Array(recorded.signature)),
              },
        bill:
          position.kind === 'tbill'
            ? {
                cusip: position.cusip,
                face: amountText(position.face),
                maturity: position.maturityDate,
              }
            : null,
      } as PositionFigures;
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The customer-fiat figures of a round, as the attestation states them. */
export interface FiatRound {
  readonly round: bigint;
  readonly size: bigint;
  readonly root: Uint8Array;
  readonly total: bigint;
}

/** What goes into an attestation besides the records read in `tx`. */
export interface AttestationInputs {
  readonly origin: string;
  readonly asOfUs: bigint;
  readonly previous: string | null;
  readonly chains: readonly ChainFigures[];
  readonly fiat: FiatRound;
  readonly ruleset: Ruleset;
}

/** RFC 3339 UTC with six fraction digits, from microseconds since the epoch. */
export function rfc3339Micros(us: bigint): string {
  const iso = new Date(Number(us / 1000n)).toISOString();
  return `${iso.slice(0, 19)}.${String(us % 1_000_000n).padStart(6, '0')}Z`;
}

/**
 * The attestation of the records as `tx` reads them: the journal's head, what is owed (tokens
 * from `inputs.chains`, customers' dollars from the round's sum tree, payables in suspense),
 * the reserves and the coverage.
 * @example const attestation = await buildAttestation(ctx, tx, inputs)
 */
export async function buildAttestation(
  ctx: IssuanceContext,
  db: SqlDatabase,
  tx: SqlExecutor,
  inputs: AttestationInputs,
): Promise<Attestation> {
  const head = await new SqlLedgerStore(executorDatabase(db, tx)).head();
  const suspense = await ctx.ledger.balancesByCode(everySuspense, tx);
  let payables = 0n;
  for (const balance of suspense.values()) payables += balance.posted;
  const positions = await positionFigures(ctx, tx);
  let tokens = 0n;
  for (const chain of inputs.chains) tokens += BigInt(chain.circulating.replace('.', ''));
  const owed = tokens + inputs.fiat.total + payables;
  let total = 0n;
  let eligible = 0n;
  for (const position of positions) {
    const value = BigInt(position.value.replace('.', ''));
    total += value;
    if (position.eligible) eligible += value;
  }
  return {
    format: attestationFormat,
    origin: inputs.origin,
    asOf: rfc3339Micros(inputs.asOfUs),
    previous: inputs.previous,
    ledger: { seq: head.seq.toString(), head: hex(head.hash) },
    chains: inputs.chains,
    liabilities: {
      tokens: amountText(tokens),
      customerFiat: {
        total: amountText(inputs.fiat.total),
        root: hex(inputs.fiat.root),
        accounts: inputs.fiat.size.toString(),
        round: inputs.fiat.round.toString(),
      },
      payables: amountText(payables),
      total: amountText(owed),
    },
    reserves: {
      ruleset: inputs.ruleset.name,
      positions,
      total: amountText(total),
      eligible: amountText(eligible),
    },
    coverage: { ratio: coverageRatio(eligible, owed), excess: amountText(eligible - owed) },
  };
}
