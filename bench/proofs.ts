/**
 * The proof-of-liabilities benchmark: the Merkle sum tree (ARCHITECTURE §6) over 10,000,000
 * accounts (`BENCH_QUICK=1`: 500,000), built by `buildLiabilitiesTree` with every level kept,
 * so every account's proof can be read from it; then a sample of 1,000 proofs derived and
 * verified. The baseline, in the same run: OpenSSL's SHA-256 on 64-byte messages
 * (`openssl speed -evp sha256 -bytes 64 -seconds 3`), the speed of the machine's native hash.
 *
 * The workload: ids `acct-<n>` (6 to 12 bytes), balances drawn from an exponential distribution
 * (mean $1,000, seeded), salts derived per account from one round secret (`deriveSalts`, timed
 * apart). A tree of n leaves hashes 2n + (n − 1) messages: each leaf's `customerId ‖ salt` (one
 * block) and `0x00 ‖ hash ‖ value` (49 bytes, one block), each node's 97 bytes (two blocks).
 * OpenSSL's 64-byte message is two blocks too (with its padding).
 *
 * Peak memory is the process's `maxRSS`, read right after the tree is built: the process has
 * done nothing else but make the accounts, so it is the build's peak, accounts included.
 *
 * Prints one line per figure: `bench <name> <number> <unit>`.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import {
  buildLiabilitiesTree,
  deriveSalts,
  type PackedAccounts,
  PackedAccountsWriter,
} from '../src/liabilities/build.ts';
import { type SumTree, sumProof, verifySumProof } from '../src/proofs/sumtree.ts';
import { random } from './lib/random.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const accountCount = quick ? 500_000 : 10_000_000;
const sampleCount = 1_000;
/** Mean balance: $1,000 in micro-units. */
const meanBalanceMicro = 1_000_000_000;

/**
 * `count` accounts packed, with exponentially distributed balances and salts derived from a
 * fixed round secret; returns them and the seconds the salts took.
 * @example const { accounts } = await makeAccounts(1000)
 */
export async function makeAccounts(
  count: number,
): Promise<{ accounts: PackedAccounts; saltSeconds: number }> {
  const next = random(42);
  const writer = new PackedAccountsWriter(count);
  for (let i = 0; i < count; i++) {
    const balance = Math.floor(-Math.log(1 - next()) * meanBalanceMicro);
    writer.add(`acct-${i}`, undefined, BigInt(balance));
  }
  const accounts = writer.finish();
  const started = performance.now();
  await deriveSalts(accounts, new Uint8Array(32).fill(7), 'bench');
  return { accounts, saltSeconds: (performance.now() - started) / 1000 };
}

/** What `benchSumTree` measured. */
export interface SumTreeFigures {
  readonly tree: SumTree;
  readonly accounts: PackedAccounts;
  readonly seconds: number;
  readonly hashes: number;
}

/**
 * The build step, for this benchmark and others: packs `count` accounts, builds their tree and
 * times the build alone.
 * @example const { tree, seconds } = await benchSumTree(1_000_000)
 */
export async function benchSumTree(
  count: number,
): Promise<SumTreeFigures & { saltSeconds: number }> {
  const { accounts, saltSeconds } = await makeAccounts(count);
  const started = performance.now();
  const tree = await buildLiabilitiesTree(accounts);
  const seconds = (performance.now() - started) / 1000;
  return { tree, accounts, seconds, hashes: 2 * count + (count - 1), saltSeconds };
}

/** Derives and verifies `sampleCount` proofs spread over the tree; microseconds per proof. */
function sampleProofs(
  tree: SumTree,
  accounts: PackedAccounts,
): { deriveUs: number; verifyUs: number } {
  const decoder = new TextDecoder();
  const values = new DataView(accounts.values.buffer, accounts.values.byteOffset);
  const next = random(7);
  const indices = Array.from({ length: sampleCount }, () => Math.floor(next() * accounts.count));
  let started = performance.now();
  const proofs = indices.map((i) => sumProof(tree, BigInt(i)));
  const deriveUs = ((performance.now() - started) * 1000) / sampleCount;
  started = performance.now();
  for (const [k, i] of indices.entries()) {
    const customerId = decoder.decode(
      accounts.ids.slice(accounts.idOffsets[i]!, accounts.idOffsets[i + 1]!),
    );
    const value = (values.getBigUint64(16 * i) << 64n) | values.getBigUint64(16 * i + 8);
    const salt = accounts.salts.slice(32 * i, 32 * i + 32);
    const result = verifySumProof({
      customerId,
      salt,
      value,
      index: BigInt(i),
      size: tree.size,
      proof: proofs[k]!,
      root: tree.root,
    });
    if (!result.ok) throw new Error(`assertion failed: proof ${i} verifies (${result.reason})`);
  }
  const verifyUs = ((performance.now() - started) * 1000) / sampleCount;
  return { deriveUs, verifyUs };
}

/**
 * OpenSSL's SHA-256 on 64-byte messages, in hashes a second, from `openssl speed`'s own count
 * ("Doing sha256 for 3s on 64 size blocks: N sha256's in S s"); undefined without openssl.
 */
function opensslSha256PerSecond(): number | undefined {
  const run = spawnSync('openssl', ['speed', '-evp', 'sha256', '-bytes', '64', '-seconds', '3'], {
    encoding: 'utf8',
  });
  if (run.error !== undefined || run.status !== 0) return undefined;
  const match = /(\d+) sha256's in ([\d.]+)s/.exec(`${run.stdout}\n${run.stderr}`);
  if (match !== null) return Number(match[1]) / Number(match[2]);
  const table = /^sha256\s+([\d.]+)k/m.exec(run.stdout);
  return table === null ? undefined : (Number(table[1]) * 1000) / 64;
}

async function main(): Promise<void> {
  printMachine();
  console.log(
    `# workload: ${accountCount} accounts (ids acct-<n>, exponential balances, mean $1,000), ${Math.min(8, availableParallelism())} threads; a sample of ${sampleCount} proofs`,
  );
  const built = await benchSumTree(accountCount);
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  print('proofs.salts.seconds', built.saltSeconds, 's');
  print('proofs.sumtree.seconds', built.seconds, 's');
  print('proofs.sumtree.peak_rss', peakMiB, 'MiB');
  const hashesPerSecond = built.hashes / built.seconds;
  print('proofs.sumtree.hashes_per_second', hashesPerSecond, 'hashes/s');
  const { deriveUs, verifyUs } = sampleProofs(built.tree, built.accounts);
  print('proofs.proof.derive', deriveUs, 'µs');
  print('proofs.proof.verify', verifyUs, 'µs');
  const openssl = opensslSha256PerSecond();
  if (openssl === undefined) {
    console.log('# openssl: not found (or its output not understood): no baseline, no ratio');
  } else {
    print('proofs.openssl.sha256_64B', openssl, 'hashes/s');
    print('proofs.sumtree.vs_openssl', hashesPerSecond / openssl, '×');
    // The same in compression blocks: the tree's 4n blocks against OpenSSL's two a hash.
    const blocksRatio = (4 * accountCount) / built.seconds / (2 * openssl);
    print('proofs.sumtree.vs_openssl_blocks', blocksRatio, '×');
  }

  // One attestation cycle with 1,000,000 customers (quick: 20,000): bench/attest.ts.
  const { cycleBench } = await import('./attest.ts');
  await cycleBench(quick ? 20_000 : 1_000_000);
}

// Run when started as the benchmark; not when imported for `benchSumTree`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await main();
