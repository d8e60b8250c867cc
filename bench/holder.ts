/**
 * What a holder's verification costs on a big log: `npm run bench -- holder`
 * (`BENCH_QUICK=1`: a smaller log).
 *
 * Setup, not timed: a log of 1,000,000 entries (BENCH_QUICK: 100,000), published as tiles in
 * memory; its last two entries are real attestations (canonical, chained, figures that add up),
 * the last with a customer-fiat round of 100,000 accounts (BENCH_QUICK: 10,000) published as sum
 * tiles, a T-bill and a signed custodian statement; the checkpoint signed by the log and
 * cosigned by two witnesses; a checkpoint seen before at about half the size; a holder's leaf.
 *
 * Timed (median of 5): `verifyLog` with every check but the chain: against the checkpoint seen
 * before (a consistency proof) and the holder's leaf; and, as the baseline in the same run, a
 * first use (nothing seen, no leaf). Also counted: the files and bytes read, against the bytes
 * of every hash tile published (what a verifier that downloads the tree would read).
 *
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  type Attestation,
  amountText,
  attestationBytes,
  attestationFormat,
  coverageRatio,
} from '../src/proofs/attestation.ts';
import { formatCheckpoint } from '../src/proofs/checkpoint.ts';
import { cosign, cosignerVerifierKey } from '../src/proofs/cosignature.ts';
import { leafHash } from '../src/proofs/hash.ts';
import { memoryNodes, rootOf } from '../src/proofs/merkle.ts';
import {
  algorithmCosignatureV1,
  ed25519Signer,
  generateSignerKey,
  signerVerifierKey,
  signNote,
} from '../src/proofs/note.ts';
import { sumTilesFor } from '../src/proofs/sumtiles.ts';
import { buildSumTree } from '../src/proofs/sumtree.ts';
import { encodeEntryBundle, entriesPath, tilesFor } from '../src/proofs/tiles.ts';
import { verifyLog } from '../src/verifier/checks.ts';
import { leafFileFormat } from '../src/verifier/leaf.ts';
import { dtb3Rates } from '../src/verifier/node.ts';
import type { Fetcher } from '../src/verifier/tree.ts';
import { print } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const size = quick ? 100_000n : 1_000_000n;
const accounts = quick ? 10_000 : 100_000;
const nodeSha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

const origin = 'bench.clearpeg.invalid/log';
const logSkey = generateSignerKey(origin);
const witnessSkeys = ['w1', 'w2'].map((n) =>
  generateSignerKey(`${n}.bench`, algorithmCosignatureV1),
);

function signed(treeSize: bigint, root: Uint8Array): string {
  const text = formatCheckpoint({ origin, size: treeSize, root });
  const time = BigInt(Math.floor(Date.now() / 1000));
  return (
    signNote(text, [ed25519Signer(logSkey)]) +
    witnessSkeys.map((w) => cosign(text, w, time)).join('')
  );
}

/** The last attestation: a round of `accounts`, cash, a bill with a signed statement. */
function lastAttestation(
  previous: string,
  round: ReturnType<typeof buildSumTree>,
  statement: {
    sha: string;
    key: string;
    signature: string;
  },
): Attestation {
  const cash = 4_000_000_000_000n;
  const billValue = 6_000_000_000_000n;
  const owed = round.root.value;
  const eligible = cash + billValue;
  return {
    format: attestationFormat,
    origin,
    asOf: '2025-01-02T17:00:00.000000Z',
    previous,
    ledger: { seq: '42', head: 'ab'.repeat(32) },
    chains: [],
    liabilities: {
      tokens: '0.000000',
      customerFiat: {
        total: amountText(owed),
        root: bytesToHex(round.root.hash),
        accounts: String(accounts),
        round: String(size - 1n),
      },
      payables: '0.000000',
      total: amountText(owed),
    },
    reserves: {
      ruleset: 'genius',
      positions: [
        {
          id: 'cash:bank-a',
          kind: 'cash',
          value: amountText(cash),
          eligible: true,
          evidence: null,
          bill: null,
        },
        {
          id: 'tbill:912797HR1:T-1',
          kind: 'tbill',
          value: amountText(billValue),
          eligible: true,
          evidence: {
            statementSha256: statement.sha,
            custodian: 'bny',
            custodianKey: statement.key,
            signature: statement.signature,
          },
          bill: { cusip: '912797HR1', face: '6100000.000000', maturity: '2025-06-30' },
        },
      ],
      total: amountText(eligible),
      eligible: amountText(eligible),
    },
    coverage: { ratio: coverageRatio(eligible, owed), excess: amountText(eligible - owed) },
  };
}

async function setup() {
  const files = new Map<string, Uint8Array>();
  const salts = Array.from({ length: accounts }, () => new Uint8Array(randomBytes(32)));
  const round = buildSumTree(
    salts.map((salt, i) => ({
      customerId: `C-${i}`,
      salt,
      value: BigInt(1 + (i % 1000)) * 1_000_000n,
    })),
    nodeSha256,
  );
  const roundName = String(size - 1n);
  for (const tile of sumTilesFor(round))
    files.set(`liabilities/${roundName}/${tile.path}`, tile.bytes);
  const statementBytes = new TextEncoder().encode(
    'bny custody statement: 912797HR1 face 6,100,000\n',
  );
  const seed = randomBytes(32);
  const statement = {
    sha: sha256Hex(statementBytes),
    key: bytesToHex(ed25519.getPublicKey(seed)),
    signature: bytesToHex(ed25519.sign(statementBytes, seed)),
  };
  files.set(`statements/${statement.sha}`, statementBytes);
  // Filler entries, then two attestations: the one before the last, and the last.
  const entries: Uint8Array[] = [];
  for (let i = 0n; i < size - 1n; i++) entries.push(new TextEncoder().encode(`entry ${i}`));
  const last = attestationBytes(lastAttestation(sha256Hex(entries.at(-1)!), round, statement));
  entries.push(last);
  const leafHashes = entries.map((entry) => leafHash(entry, nodeSha256));
  let tileBytes = 0;
  for (const tile of await tilesFor(0n, size, leafHashes, nodeSha256)) {
    files.set(tile.path, tile.bytes);
    tileBytes += tile.bytes.length;
  }
  const lastBundle = (size - 1n) / 256n;
  const width = Number(size - lastBundle * 256n);
  files.set(
    entriesPath(lastBundle, width),
    encodeEntryBundle(entries.slice(Number(lastBundle * 256n))),
  );
  const nodes = memoryNodes(leafHashes, nodeSha256);
  files.set(
    'checkpoint',
    new TextEncoder().encode(signed(size, await rootOf(size, nodes, nodeSha256))),
  );
  const seenSize = size / 2n + 3n;
  const seen = signed(seenSize, await rootOf(seenSize, nodes, nodeSha256));
  const index = BigInt(accounts - 7);
  const leaf = JSON.stringify({
    format: leafFileFormat,
    origin,
    round: roundName,
    index: String(index),
    size: String(accounts),
    customerId: `C-${index}`,
    salt: bytesToHex(salts[Number(index)]!),
    value: amountText(BigInt(1 + (Number(index) % 1000)) * 1_000_000n),
  });
  return { files, tileBytes, seen, leaf };
}

async function main(): Promise<void> {
  console.log(`# machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}`);
  console.log(
    `# workload: a log of ${size} entries, a round of ${accounts} accounts, every check but chain`,
  );
  const { files, tileBytes, seen, leaf } = await setup();
  const policy = {
    logKey: signerVerifierKey(logSkey),
    witnesses: witnessSkeys.map((w) => cosignerVerifierKey(w)),
    quorum: 2,
  };
  const rates = dtb3Rates();
  let reads = 0;
  let bytes = 0;
  const fetch: Fetcher = async (path) => {
    const file = files.get(path) ?? null;
    reads++;
    bytes += file?.length ?? 0;
    return file;
  };
  const timed = async (input: Parameters<typeof verifyLog>[0]) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      reads = 0;
      bytes = 0;
      const start = performance.now();
      const report = await verifyLog(input);
      times.push(performance.now() - start);
      if (!report.ok)
        throw new Error(JSON.stringify(report.checks.filter((c) => c.status === 'fail')));
    }
    return { ms: times.sort((a, b) => a - b)[2]!, reads, bytes };
  };
  const first = await timed({ fetch, policy, rates });
  print('holder.verify.first-use', first.ms, 'ms');
  const full = await timed({ fetch, policy, rates, seen, leaf });
  print('holder.verify.consistency-and-leaf', full.ms, 'ms');
  print('holder.verify.files-read', full.reads, 'files');
  print('holder.verify.bytes-read', full.bytes / 1024, 'KiB');
  print('holder.verify.hash-tiles-published', tileBytes / 1024, 'KiB');
}

await main();
