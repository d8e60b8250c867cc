/**
 * The attestation cycle (docs/transparency.md): check the issuer's own records, gather what it
 * owes and holds, append the attestation to the log under a newly signed checkpoint, publish
 * tiles, checkpoint and evidence, and ask the witnesses to cosign. `serve` runs it every minute
 * and soon after the journal moves (a batch of mints or burns settled), one cycle at a time.
 *
 * A cycle refuses to attest records that do not hold together: the journal must replay (every
 * hash and balance), the business tables must agree with the journal, and the journal must
 * still hold, unchanged, the head the previous attestation stated. A refusal raises an alert
 * (`attestation-refused`) naming what failed, and nothing is signed: a holder sees the log stop,
 * which is itself the signal.
 */
import { ClearpegError } from '../errors.ts';
import { hex } from '../ledger/journal.ts';
import { LedgerFollower } from '../ledger/verify.ts';
import { limits } from '../limits.ts';
import { raiseAlert } from '../policy/alerts.ts';
import {
  type Attestation,
  attestationBytes,
  type ChainFigures,
  parseAttestation,
} from '../proofs/attestation.ts';
import { consistencyProof } from '../proofs/merkle.ts';
import type { Ruleset } from '../reserves/eligibility.ts';
import { ledgerCheck, restatedCheck } from '../verify/checks.ts';
import { requestCosignature } from '../witness/client.ts';
import type { IssuanceContext } from '../workflow/context.ts';
import {
  type AttestedChain,
  buildAttestation,
  chainFigures,
  customerFiatBalances,
} from './gather.ts';
import { nodeSha256, type StoredCheckpoint, type TransparencyLog } from './log.ts';
import type { LogPublisher, WitnessEndpoint } from './publish.ts';
import { type Round, roundFor } from './rounds.ts';

/** What the cycle needs. */
export interface AttestorOptions {
  readonly ctx: IssuanceContext;
  readonly log: TransparencyLog;
  readonly publisher: LogPublisher;
  readonly chains: readonly AttestedChain[];
  readonly ruleset: Ruleset;
  /** The issuer's 32-byte master secret for the rounds' salts. */
  readonly master: Uint8Array;
  readonly witnesses: readonly WitnessEndpoint[];
  /** How many witnesses' cosignatures a checkpoint should carry (an alert when fewer answer). */
  readonly quorum: number;
  /** Replay the journal and compare the business tables before each attestation (default true). */
  readonly selfCheck?: boolean;
  /** Where a witness's failure is told (it also raises `witness-quorum-short` when too few cosign). */
  readonly report?: (line: string) => void;
  /** The clock that spaces full self-checks, in milliseconds (default `Date.now`; tests move it). */
  readonly clockMs?: () => number;
}

/** What one cycle did. */
export interface AttestResult {
  readonly checkpoint: StoredCheckpoint;
  readonly attestation: Attestation;
  /** The witnesses that cosigned, by verifier key. */
  readonly cosignedBy: readonly string[];
  /** The note as published: the log's signature and the cosignatures. */
  readonly published: string;
}

/** Appends cosignature lines to a signed note's signature block. */
export function withCosignatures(note: string, lines: readonly string[]): string {
  return note + lines.map((line) => (line.endsWith('\n') ? line : `${line}\n`)).join('');
}

/**
 * Runs attestation cycles on one log.
 * @example const attestor = new Attestor(options); await attestor.runOnce()
 */
export class Attestor {
  /** The size each witness last cosigned, by URL (learned from its answers; 0 at first). */
  private readonly witnessSizes = new Map<string, bigint>();
  private running: Promise<AttestResult> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private lastSeq = -1n;
  private lastRunMs = 0;
  /** The journal as replayed by the last self-check. */
  private follower = new LedgerFollower();
  /** When the last full self-check ended, and how long it took (`limits.attestFullCheckGapFactor`). */
  private fullCheck = { endedMs: Number.NEGATIVE_INFINITY, tookMs: 0 };

  constructor(private readonly options: AttestorOptions) {}

  /** Runs one cycle, or waits for the one running and returns its result. */
  runOnce(): Promise<AttestResult> {
    this.running ??= this.cycle().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Attests every `intervalMs`, and `pollMs` after the journal's head moves (at most one cycle
   * per `pollMs`); failures go to `failed`. `stop` ends it.
   */
  start(intervalMs: number, pollMs: number, failed: (error: Error) => void): void {
    const run = () =>
      this.runOnce().catch((error: unknown) => {
        failed(error as Error);
      });
    this.timers.push(
      setInterval(() => {
        if (Date.now() - this.lastRunMs >= intervalMs - pollMs) void run();
      }, intervalMs),
      setInterval(() => {
        if (this.running !== undefined) return;
        void this.options.ctx.ledger.store
          .head()
          .then((head) => {
            if (head.seq !== this.lastSeq && this.lastSeq >= 0n) void run();
          })
          .catch((error: unknown) => failed(error as Error));
      }, pollMs),
    );
  }

  /** Stops the schedule and waits for a running cycle. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.running?.catch(() => {});
  }

  /** Refuses (alert, error) when the records do not hold together. */
  private async refuseUnless(ok: boolean, what: string, detail: unknown): Promise<void> {
    if (ok) return;
    const { ctx } = this.options;
    await raiseAlert(ctx.db, 'attestation-refused', what, detail, ctx.clockUs());
    throw new ClearpegError('attestation-refused', `attestation refused: ${what}`, {
      field: 'records',
      rule: 'the journal replays, the business tables agree with it, and it holds the last attested head',
    });
  }

  /**
   * Whether this cycle's self-check is a full one: the first of this attestor, then as often as
   * a twentieth of the time allows (every cycle while it is cheap) and at least hourly.
   */
  private fullCheckDue(nowMs: number): boolean {
    const { endedMs, tookMs } = this.fullCheck;
    const gapMs = Math.min(
      limits.attestFullCheckIntervalMs,
      tookMs * limits.attestFullCheckGapFactor,
    );
    return nowMs - endedMs >= gapMs;
  }

  /**
   * A full self-check replays the whole journal and compares every business table with it;
   * one in between replays the records appended since the last replay (`LedgerFollower`: their
   * hash links from the head it verified, and every stored balance).
   */
  private async selfCheck(last: StoredCheckpoint | undefined): Promise<void> {
    const clockMs = this.options.clockMs ?? Date.now;
    const startedMs = clockMs();
    const full = this.fullCheckDue(startedMs);
    try {
      await this.checkRecords(full);
    } catch (error) {
      // A refused cycle is followed by a full check, whenever the last one was.
      this.fullCheck = { endedMs: Number.NEGATIVE_INFINITY, tookMs: 0 };
      throw error;
    }
    if (full) {
      const endedMs = clockMs();
      this.fullCheck = { endedMs, tookMs: endedMs - startedMs };
    }
    await this.checkLastHead(last);
  }

  /** The journal replayed (whole when `full`) and, when `full`, the business tables compared. */
  private async checkRecords(full: boolean): Promise<void> {
    const { ctx } = this.options;
    if (full) this.follower = new LedgerFollower();
    const ledger = await ledgerCheck(ctx.db, ctx.ledger.store, {}, this.follower);
    await this.refuseUnless(
      ledger.ok,
      `the journal does not replay: record ${ledger.broken?.seq} ${ledger.broken?.reason} (${ledger.broken?.detail})`,
      ledger,
    );
    if (!full) return;
    const differences = await restatedCheck(ctx.db);
    const first = differences[0];
    await this.refuseUnless(
      first === undefined,
      first === undefined
        ? ''
        : `${differences.length} business record(s) differ from the journal, first ${first.table} ${first.id} ${first.column}: stored ${first.stored}, journal ${first.journal}`,
      differences,
    );
  }

  /** The journal still holds, unchanged, the head the last attestation stated. */
  private async checkLastHead(last: StoredCheckpoint | undefined): Promise<void> {
    const { ctx, log } = this.options;
    if (last === undefined) return;
    const { rows } = await ctx.db.query<{ data: Uint8Array }>(
      'SELECT data FROM log_entries WHERE idx = $1',
      [last.size - 1n],
    );
    const previous = parseAttestation(JSON.parse(new TextDecoder().decode(rows[0]!.data)));
    const seq = BigInt(previous.ledger.seq);
    const [record] = seq === 0n ? [] : await ctx.ledger.store.records(seq - 1n, 1);
    await this.refuseUnless(
      seq === 0n ||
        (record !== undefined && record.seq === seq && hex(record.hash) === previous.ledger.head),
      `the journal no longer holds record ${seq} as attestation ${last.size - 1n} of ${log.origin} stated it (head ${previous.ledger.head})`,
      { seq: String(seq), head: previous.ledger.head },
    );
  }

  private async cycle(): Promise<AttestResult> {
    const { ctx, log, publisher, options } = { ...this.options, options: this.options };
    this.lastRunMs = Date.now();
    const last = await log.latest();
    const head = await ctx.ledger.store.head();
    if (options.selfCheck !== false) await this.selfCheck(last);
    const chains: ChainFigures[] = [];
    for (const chain of options.chains) {
      const figures = await chainFigures(ctx.db, chain);
      if (figures !== undefined) chains.push(figures);
    }
    let round: Round | undefined;
    let attestation: Attestation | undefined;
    const asOfUs = ctx.clockUs();
    const { checkpoint } = await log.append(async ({ index, previous, tx }) => {
      const balances = await customerFiatBalances(ctx, tx);
      round = await roundFor(tx, index, balances, options.master, asOfUs);
      attestation = await buildAttestation(ctx, ctx.db, tx, {
        origin: log.origin,
        asOfUs,
        previous: previous === null ? null : hex(nodeSha256(previous)),
        chains,
        fiat: round,
        ruleset: options.ruleset,
      });
      return attestationBytes(attestation);
    });
    this.lastSeq = head.seq;
    // Committed: from here on, publishing and cosigning may fail and be done again.
    if (round?.tree !== undefined) await publisher.publishRound(round.round, round.tree);
    await publisher.publishStatements(ctx.db);
    const tree = await log.synced();
    // The checkpoint is published once, after the witnesses' round, with the cosignatures it
    // got (none if none answered): published before it, a reader (or a kill) in between would
    // find the newest checkpoint without cosignatures, which a holder's check refuses.
    const cosignedBy: string[] = [];
    const lines: string[] = [];
    for (const witness of options.witnesses) {
      const answer = await this.cosign(witness, checkpoint, tree.reader).catch((error: Error) => ({
        ok: false as const,
        message: error.message,
      }));
      if (answer.ok) {
        lines.push(...answer.lines);
        cosignedBy.push(witness.vkey);
      } else options.report?.(`witness ${witness.url}: ${answer.message}`);
    }
    const published = withCosignatures(checkpoint.note, lines);
    if (lines.length > 0) await log.saveCosigned(checkpoint.size, published);
    await publisher.publish(tree, published);
    if (cosignedBy.length < options.quorum)
      await raiseAlert(
        ctx.db,
        'witness-quorum-short',
        `checkpoint ${checkpoint.size} of ${log.origin}`,
        { cosignedBy, quorum: options.quorum },
        ctx.clockUs(),
      );
    return { checkpoint, attestation: attestation!, cosignedBy, published };
  }

  /** Asks one witness to cosign, from the size it last cosigned (learned again on a 409). */
  private async cosign(
    witness: WitnessEndpoint,
    checkpoint: StoredCheckpoint,
    reader: Parameters<typeof consistencyProof>[2],
  ): Promise<{ ok: true; lines: string[] } | { ok: false; message: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const oldSize = this.witnessSizes.get(witness.url) ?? 0n;
      const proof =
        oldSize === 0n || oldSize >= checkpoint.size
          ? []
          : await consistencyProof(oldSize, checkpoint.size, reader, nodeSha256);
      const answer = await requestCosignature(witness.url, {
        oldSize,
        proof,
        checkpointNote: checkpoint.note,
      });
      if (answer.ok) {
        this.witnessSizes.set(witness.url, checkpoint.size);
        return { ok: true, lines: answer.lines };
      }
      if (answer.status === 409 && answer.latestSize !== undefined && attempt === 0) {
        this.witnessSizes.set(witness.url, answer.latestSize);
        continue;
      }
      return { ok: false, message: `${answer.status}: ${answer.message}` };
    }
    return { ok: false, message: 'the witness kept changing its size' };
  }
}
