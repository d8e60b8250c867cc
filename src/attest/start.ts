/**
 * The transparency log as `clearpeg serve` runs it: the log's identity and secrets from the
 * data directory, the published directory `<dataDir>/public/log/`, the witnesses (from
 * `CLEARPEG_WITNESSES`; with `--demo` and none configured, two witnesses of the demo's own, each
 * with its key and state under `<dataDir>/demo/`, listening on 127.0.0.1), and the attestor.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LogDeps } from '../api/routes/transparency.ts';
import { algorithmCosignatureV1, generateSignerKey } from '../proofs/note.ts';
import type { Ruleset } from '../reserves/eligibility.ts';
import type { SqlDatabase, SqlExecutor } from '../storage/sql.ts';
import { startWitnessServer, type WitnessServer } from '../witness/server.ts';
import { DirectoryStateStore } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import { Attestor } from './cycle.ts';
import type { AttestedChain } from './gather.ts';
import { liabilitiesSecret, logIdentity, witnessesFromEnv } from './keys.ts';
import { TransparencyLog } from './log.ts';
import { LogPublisher, type WitnessEndpoint } from './publish.ts';

/** How often `serve` attests when nothing happens. */
export const attestIntervalMs = 60_000;
/** How soon after the journal moves (mints, burns, deposits settled) `serve` attests again. */
export const attestPollMs = 1_000;

/** The log of a serving process. */
export interface ServedLog {
  readonly attestor: Attestor;
  readonly deps: LogDeps;
  readonly vkey: string;
  readonly witnesses: readonly WitnessEndpoint[];
  readonly quorum: number;
  close(): Promise<void>;
}

/**
 * Where the log's static files are written and served from: `CLEARPEG_PUBLIC_DIR`, else
 * `<dataDir>/public`. With several processes on several hosts, a directory they share (the
 * mount of an object store a CDN serves), written by whichever holds the log's lease
 * (docs/deployment.md).
 * @example publishedDirectory('/data', {}) === '/data/public'
 */
export function publishedDirectory(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = env.CLEARPEG_PUBLIC_DIR;
  return given === undefined || given === '' ? join(dataDir, 'public') : resolve(given);
}

/** A demo witness's signer key, made on first use. */
function demoWitnessKey(dataDir: string, n: number): string {
  const file = join(dataDir, 'demo', `witness-${n}.key`);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const key = generateSignerKey(`witness-${n}.clearpeg.invalid`, algorithmCosignatureV1);
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  }
}

/**
 * Opens the log of the issuer in `dataDir` and its witnesses; `attestor.start` is the caller's.
 * @example const served = await startLog({ dataDir, db, ctx, chains, ruleset, demo: true })
 */
export async function startLog(options: {
  readonly dataDir: string;
  readonly db: SqlDatabase;
  readonly ctx: IssuanceContext;
  readonly chains: readonly AttestedChain[];
  readonly ruleset: Ruleset;
  readonly demo: boolean;
  readonly log?: (line: string) => void;
  /** The log's lease guard (src/cluster/leases.ts), where several processes share the database. */
  readonly fence?: { check(tx: SqlExecutor): Promise<void> };
}): Promise<ServedLog> {
  const identity = logIdentity(options.dataDir);
  const master = liabilitiesSecret(options.dataDir);
  const root = publishedDirectory(options.dataDir);
  const log = new TransparencyLog(
    options.db,
    { ...identity, ...(options.fence === undefined ? {} : { fence: options.fence }) },
    options.ctx.clockUs,
  );
  const publisher = new LogPublisher(root, identity.vkey);
  const servers: WitnessServer[] = [];
  let setup = witnessesFromEnv();
  if (setup === undefined && options.demo) {
    const witnesses: WitnessEndpoint[] = [];
    for (const n of [1, 2]) {
      mkdirSync(join(options.dataDir, 'demo'), { recursive: true });
      const witness = new Witness({
        key: demoWitnessKey(options.dataDir, n),
        logs: [identity.vkey],
        store: new DirectoryStateStore(join(options.dataDir, 'demo', `witness-${n}`)),
      });
      const server = await startWitnessServer(witness);
      servers.push(server);
      witnesses.push({ vkey: witness.verifierKey, url: server.url });
    }
    setup = { witnesses, quorum: 2 };
  }
  const { witnesses, quorum } = setup ?? { witnesses: [], quorum: 0 };
  await publisher.publishWitnesses(witnesses, quorum);
  const attestor = new Attestor({
    ctx: options.ctx,
    log,
    publisher,
    chains: options.chains,
    ruleset: options.ruleset,
    master,
    witnesses,
    quorum,
    ...(options.log === undefined ? {} : { report: options.log }),
  });
  return {
    attestor,
    deps: { root, origin: identity.origin, master, publishedSize: () => publisher.checkpointSize },
    vkey: identity.vkey,
    witnesses,
    quorum,
    close: async () => {
      await attestor.stop();
      for (const server of servers) await server.close();
    },
  };
}
