/**
 * The attestation benchmarks (issue 15, docs/benchmarks.md "Attestations").
 *
 * - `attest.cycle.*`: one attestation cycle over an issuer with 1,000,000 customers holding
 *   dollars (quick: 20,000), on durable PGlite: the self-check (the journal replayed, the
 *   business tables compared), the customers' balances read, their sum tree built and its
 *   leaves stored, the attestation appended under a signed checkpoint, tiles published, one
 *   witness asked. Beside it, in the same run: the journal replay alone (the self-check's
 *   largest part) and a second cycle with nothing changed (the round reused).
 * - `attest.freshness.*`: `clearpeg serve --demo` as a user runs it; a mint is requested and
 *   approved through the CLI; from the moment its status reads `final` until a checkpoint
 *   cosigned by both demo witnesses is published at `/log/checkpoint` over an attestation whose
 *   supply includes it. Baseline: from approval to `final` (the chain's part).
 *
 * `BENCH_QUICK=1` runs a smaller workload in under a minute. `BENCH_FILTER=cycle|freshness`
 * runs one part.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Attestor } from '../src/attest/cycle.ts';
import { liabilitiesSecret, logIdentity } from '../src/attest/keys.ts';
import { TransparencyLog } from '../src/attest/log.ts';
import { LogPublisher } from '../src/attest/publish.ts';
import { clearpegBin, startDemoServer } from '../src/cli/testing.ts';
import { issuanceFixture } from '../src/issuance/testing.ts';
import type { Command, Uuid } from '../src/ledger/types.ts';
import { uuidv7 } from '../src/ledger/uuid.ts';
import { toAmount } from '../src/money/money.ts';
import { microsOf, parseAttestation } from '../src/proofs/attestation.ts';
import { parseCheckpoint } from '../src/proofs/checkpoint.ts';
import { checkWitnesses } from '../src/proofs/cosignature.ts';
import {
  algorithmCosignatureV1,
  ed25519Verifier,
  generateSignerKey,
  openNote,
} from '../src/proofs/note.ts';
import { decodeEntryBundle, entriesPath } from '../src/proofs/tiles.ts';
import { loadRuleset } from '../src/reserves/eligibility.ts';
import { ledgerCheck } from '../src/verify/checks.ts';
import { startWitnessServer } from '../src/witness/server.ts';
import { DirectoryStateStore } from '../src/witness/state.ts';
import { Witness } from '../src/witness/witness.ts';
import { customerFiat, reservesCash, usd } from '../src/workflow/accounts.ts';
import { print, printMachine } from './lib/report.ts';

const quick = process.env.BENCH_QUICK === '1';
const filter = process.env.BENCH_FILTER;
const customerCountDefault = Number(process.env.BENCH_CUSTOMERS ?? (quick ? 20_000 : 1_000_000));
/** `BENCH_BACKEND=postgres` runs the cycle on the PostgreSQL server of DATABASE_URL (default the test server). */
const backend = process.env.BENCH_BACKEND === 'postgres' ? 'postgres' : 'pglite';
const freshnessMints = quick ? 2 : 5;
/** The ledger's largest batch. */
const batchMax = 8190;

const seconds = (startMs: number) => (performance.now() - startMs) / 1000;

/** One cycle over `customerCount` customers with dollars. */
export async function cycleBench(customerCount: number = customerCountDefault): Promise<void> {
  const f = await issuanceFixture(backend);
  console.log(`# backend: ${backend}`);
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-bench-attest-'));
  const witnessKey = generateSignerKey('witness.bench/w1', algorithmCosignatureV1);
  try {
    const setupMs = performance.now();
    const ledger = f.ctx.ledger;
    const cash = await ledger.accountIdOf(reservesCash('bank-a'));
    /** Every thousandth customer's account, for the deposits of the steady cycle. */
    const sample: Uuid[] = [];
    for (let from = 0; from < customerCount; from += batchMax / 2) {
      const commands: Command[] = [];
      const ids: Uuid[] = [];
      for (let n = from; n < Math.min(customerCount, from + batchMax / 2); n++) {
        const spec = customerFiat(`CUST-${String(n).padStart(7, '0')}`);
        const id = uuidv7();
        ids.push(id);
        if (n % 1000 === 0) sample.push(id);
        commands.push({ type: 'createAccount', id, ...spec });
      }
      for (const [i, id] of ids.entries())
        commands.push({
          type: 'transfer',
          id: uuidv7(),
          asset: usd,
          postings: [
            {
              debit: cash,
              credit: id,
              amount: toAmount(1_000_000n + BigInt((from + i) % 997) * 1_000_000n),
            },
          ],
        });
      const outcomes = await ledger.submit(commands);
      const bad = outcomes.find((o) => o.status !== 'committed');
      if (bad !== undefined)
        throw new Error(
          `setup: ${JSON.stringify(bad, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
    }
    console.log(
      `# ${customerCount} customers with dollars set up in ${seconds(setupMs).toFixed(1)} s`,
    );

    const identity = logIdentity(dir, {});
    const witness = new Witness({
      key: witnessKey,
      logs: [identity.vkey],
      store: new DirectoryStateStore(join(dir, 'witness')),
    });
    const server = await startWitnessServer(witness);
    try {
      const attestor = new Attestor({
        ctx: f.ctx,
        log: new TransparencyLog(f.t.db, identity, f.ctx.clockUs),
        publisher: new LogPublisher(join(dir, 'public'), identity.vkey),
        chains: [],
        ruleset: loadRuleset('genius'),
        master: liabilitiesSecret(dir),
        witnesses: [{ vkey: witness.verifierKey, url: server.url }],
        quorum: 1,
      });
      const replayMs = performance.now();
      const replay = await ledgerCheck(f.ctx.db, ledger.store);
      if (!replay.ok) throw new Error('the journal does not replay');
      const replaySeconds = seconds(replayMs);
      const firstMs = performance.now();
      const first = await attestor.runOnce();
      const firstSeconds = seconds(firstMs);
      if (first.attestation.liabilities.customerFiat.accounts !== String(customerCount))
        throw new Error('the attestation does not count every customer');
      if (first.cosignedBy.length !== 1) throw new Error('the witness did not cosign');
      // A minute's business: a batch of deposits to some customers, then the cycle that attests it.
      const deposits: Command[] = sample.map((id) => ({
        type: 'transfer',
        id: uuidv7(),
        asset: usd,
        postings: [{ debit: cash, credit: id, amount: toAmount(250_000_000n) }],
      }));
      if ((await ledger.submit(deposits)).some((o) => o.status !== 'committed'))
        throw new Error('the deposits failed');
      const cycleMs = performance.now();
      const steady = await attestor.runOnce();
      const cycleSeconds = seconds(cycleMs);
      if (
        steady.attestation.liabilities.customerFiat.round ===
        first.attestation.liabilities.customerFiat.round
      )
        throw new Error('the deposits made no new round');
      const againMs = performance.now();
      await attestor.runOnce();
      const againSeconds = seconds(againMs);
      const rss = process.resourceUsage().maxRSS / 1024;
      console.log(
        `# customers: ${customerCount}; journal records: ${replay.records}; then ${sample.length} deposits`,
      );
      print('attest.cycle.seconds', cycleSeconds, 's');
      print('attest.cycle.first.seconds', firstSeconds, 's');
      print('attest.cycle.unchanged.seconds', againSeconds, 's');
      print('attest.cycle.replay_only.seconds', replaySeconds, 's');
      print('attest.cycle.peak_rss', rss, 'MiB');
    } finally {
      await server.close();
    }
  } finally {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs CLI commands in bash in the demo's directory (as the README does). */
function cli(dir: string, port: number, script: string): string {
  const shim = `clearpeg() { ${JSON.stringify(process.execPath)} ${JSON.stringify(clearpegBin)} "$@"; }\n. .clearpeg/demo/keys.env\n`;
  const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', shim + script], {
    cwd: dir,
    env: { ...process.env, CLEARPEG_URL: `http://127.0.0.1:${port}`, DATABASE_URL: '' },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`${script}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** From a mint's `final` to a cosigned checkpoint over an attestation that includes it. */
async function freshnessBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clearpeg-bench-fresh-'));
  const demo = await startDemoServer(dir);
  const { port } = demo;
  const base = `http://127.0.0.1:${port}`;
  try {
    const keys = Object.fromEntries(
      [
        ...readFileSync(join(dir, '.clearpeg/demo/keys.env'), 'utf8').matchAll(
          /^export (\w+)='([^']+)'/gm,
        ),
      ].map((m) => [m[1]!, m[2]!]),
    );
    const wallet = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
    cli(
      dir,
      port,
      `CLEARPEG_API_KEY=$OP_COMPLIANCE_KEY clearpeg customers create --id CUST-0100 --name "Bench Ltd"
CLEARPEG_API_KEY=$OP_COMPLIANCE_KEY clearpeg customers kyc CUST-0100 --state approved
CLEARPEG_API_KEY=$OP_COMPLIANCE_KEY clearpeg customers wallet CUST-0100 --chain 31337 --address ${wallet}
CLEARPEG_API_KEY=$OP_TREASURER_KEY clearpeg deposits add --reference FED-0100 --bank bank-a --amount 1000000 --date "$(date -u +%F)" --customer CUST-0100`,
    );
    const vkey = (await (await fetch(`${base}/log/vkey`)).text()).trim();
    const witnesses = [
      ...(await (await fetch(`${base}/log/witnesses`)).text()).matchAll(/^witness (\S+) /gm),
    ].map((m) => m[1]!);
    /** The newest published attestation, its checkpoint, and whether both witnesses cosigned it. */
    const latest = async () => {
      const note = await (await fetch(`${base}/log/checkpoint`)).text();
      const checkpoint = parseCheckpoint(openNote(note, [ed25519Verifier(vkey)]).text);
      const last = checkpoint.size - 1n;
      const partial = await fetch(
        `${base}/log/${entriesPath(last / 256n, Number((last % 256n) + 1n))}`,
      );
      const bundle = partial.ok ? partial : await fetch(`${base}/log/${entriesPath(last / 256n)}`);
      const entries = decodeEntryBundle(new Uint8Array(await bundle.arrayBuffer()));
      const attestation = parseAttestation(
        JSON.parse(new TextDecoder().decode(entries[Number(last % 256n)]!)),
      );
      const chain = attestation.chains.find((c) => c.chainId === '31337');
      if (chain === undefined) throw new Error('the attestation has no chain 31337');
      return {
        supply: microsOf(chain.totalSupply, 'totalSupply'),
        cosigned: checkWitnesses(note, witnesses, witnesses.length).satisfied,
      };
    };
    const lags: number[] = [];
    const chainTimes: number[] = [];
    for (let n = 0; n < freshnessMints; n++) {
      const before = (await latest()).supply;
      const request = cli(
        dir,
        port,
        `CLEARPEG_API_KEY=$OP_TREASURER_KEY clearpeg mint request --customer CUST-0100 --chain 31337 --to ${wallet} --amount 1000`,
      );
      const id = /^mint ([0-9a-f-]{36}): /m.exec(request)?.[1];
      if (id === undefined) throw new Error(`no mint id in:\n${request}`);
      cli(
        dir,
        port,
        `CLEARPEG_API_KEY=$OP_ANN_KEY clearpeg mint approve ${id} --key .clearpeg/demo/approver-op-ann.json`,
      );
      const approvedMs = performance.now();
      for (;;) {
        const response = await fetch(`${base}/v1/mints/${id}`, {
          headers: { authorization: `Bearer ${keys.OP_TREASURER_KEY}` },
        });
        if (((await response.json()) as { status: string }).status === 'final') break;
        if (performance.now() - approvedMs > 120_000)
          throw new Error(`mint ${id} not final in 2 minutes`);
        await sleep(20);
      }
      const finalMs = performance.now();
      chainTimes.push((finalMs - approvedMs) / 1000);
      for (;;) {
        const now = await latest();
        if (now.cosigned && now.supply >= before + 1000_000000n) break;
        if (performance.now() - finalMs > 120_000)
          throw new Error('no attestation within 2 minutes');
        await sleep(20);
      }
      lags.push((performance.now() - finalMs) / 1000);
    }
    console.log(
      `# ${freshnessMints} mints of $1,000 each on the demo (${base}); lag per mint: ${lags.map((l) => l.toFixed(2)).join(', ')} s`,
    );
    print('attest.freshness.median', median(lags), 's');
    print('attest.freshness.max', Math.max(...lags), 's');
    print('attest.freshness.baseline.approved_to_final.median', median(chainTimes), 's');
  } finally {
    await demo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run when started as the benchmark; not when bench/proofs.ts imports `cycleBench`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printMachine();
  if (filter === undefined || 'cycle'.includes(filter)) await cycleBench();
  if (filter === undefined || 'freshness'.includes(filter)) await freshnessBench();
}
