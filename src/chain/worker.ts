/**
 * The chain worker of `clearpeg serve`, one per chain, at its own pace: each tick follows the
 * issuer's open requests (`poll`), reads the token's new events (`catchUp`), lets issuance
 * settle (`settle`), and checks supply parity at the newest final, indexed block. A failing tick (a node that does not answer) is
 * reported once and tried again next tick; nothing it does is lost or done twice, since each
 * part is idempotent on its own.
 *
 * Every part judges finality on one head, read once at the start of the tick: a second read
 * may be answered by a node that lags behind the first (a balancer in front of several), and a
 * request judged on an older head than parity is would be a false mismatch. A reorg that
 * undoes a block the issuer could have counted final (the indexer's `finalReorged`) trips the
 * chain's mint breaker with an alert (`chain-reorg-final`) before anything is settled or sent:
 * what was counted final may not be, and an operator decides.
 */

import { wallClockUs } from '../calendar.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Uuid } from '../ledger/types.ts';
import { tripBreaker } from '../policy/alerts.ts';
import { mintBreaker } from '../policy/breakers.ts';
import type { SqlDatabase } from '../storage/sql.ts';
import { supplyAccountSpec } from '../workflow/accounts.ts';
import type { RequestState } from './connector.ts';
import { ChainIndexer } from './indexer.ts';
import { checkParity, type ParityResult } from './parity.ts';
import type { IssuerChain, TokenRecord } from './runtime.ts';

export interface ChainWorkerOptions {
  readonly db: SqlDatabase;
  readonly ledger: Ledger;
  readonly chain: IssuerChain;
  readonly token: TokenRecord;
  /** Pause between ticks. */
  readonly intervalMs?: number;
  /** Where problems and recoveries are reported. */
  readonly log: (line: string) => void;
  /**
   * Called after the issuer's requests are followed and the new final events are read, with
   * the head read at the tick's start: the issuance workflows settle what became final as of
   * that head (post mints, credit redemptions) and send what is approved. Parity is then
   * checked no higher than that head's final block, which `settle` has covered.
   */
  readonly settle?: (head: bigint) => Promise<void>;
}

/** What one tick did. */
export interface TickResult {
  readonly requestsChanged: readonly RequestState[];
  readonly eventsStored: number;
  readonly parity: ParityResult | undefined;
  /** Blocks undone by a reorg deeper than the finality depth, if the tick found one. */
  readonly finalReorged?: { readonly from: bigint; readonly to: bigint };
}

/** Pause between ticks by default: about a block time of a fast chain. */
const tickIntervalMs = 1_000;

export class ChainWorker {
  private readonly options: ChainWorkerOptions;
  private readonly indexer: ChainIndexer;
  private supplyAccount: Uuid | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private resumed = false;
  /** The last failure reported, so that a node that stays down is reported once. */
  private failing: string | undefined;
  /** Whether the last parity check held, so that a mismatch is reported when it begins. */
  private parityOk: boolean | undefined;

  constructor(options: ChainWorkerOptions) {
    this.options = options;
    const { chain, token, db } = options;
    this.indexer = new ChainIndexer({
      db,
      client: chain.client,
      chainId: chain.config.chainId,
      token: token.address,
      finalityDepth: chain.config.finalityDepth,
      startBlock: token.deployBlock,
    });
  }

  /** One pass: requests, events, parity. */
  async tick(): Promise<TickResult> {
    const { chain, token, db, ledger } = this.options;
    const chainId = chain.config.chainId;
    this.supplyAccount ??= await ledger.accountIdOf(supplyAccountSpec(chainId));
    // Read first: every request final at or below this head's final block is settled below.
    const head = await chain.client.getBlockNumber({ cacheTime: 0 });
    const requestsChanged = await chain.connector.poll(head);
    let eventsStored = 0;
    let finalReorged: TickResult['finalReorged'];
    for (const step of await this.indexer.catchUp()) {
      eventsStored += step.stored;
      if (step.finalReorged && step.rolledBack !== undefined) finalReorged = step.rolledBack;
    }
    if (finalReorged !== undefined) await this.stopMinting(finalReorged);
    await this.options.settle?.(head);
    const parity = await checkParity({
      db,
      client: chain.client,
      chainId,
      token: token.address,
      finalityDepth: chain.config.finalityDepth,
      supplyAccount: this.supplyAccount,
      head,
    });
    return {
      requestsChanged,
      eventsStored,
      parity,
      ...(finalReorged === undefined ? {} : { finalReorged }),
    };
  }

  /** Trips the chain's mint breaker for a reorg past finality, with an alert (once per trip). */
  private async stopMinting(undone: { from: bigint; to: bigint }): Promise<void> {
    const { chain, db } = this.options;
    const chainId = chain.config.chainId;
    const detail = {
      chainId,
      undoneFrom: String(undone.from),
      undoneTo: String(undone.to),
      finalityDepth: chain.config.finalityDepth,
    };
    const subject = `chain ${chainId}: blocks ${undone.from}–${undone.to} reorganized`;
    await db.transaction((tx) =>
      tripBreaker(
        tx,
        mintBreaker(chainId),
        { kind: 'chain-reorg-final', ...detail },
        { kind: 'chain-reorg-final', subject, detail },
        wallClockUs(),
      ),
    );
  }

  /**
   * Ticks until `stop`; the first tick first sends again what a previous process (or a previous
   * holder of the chain's lease) signed but may not have sent. A node that does not answer is
   * told and tried again, like any tick's failure.
   */
  async start(): Promise<void> {
    this.schedule(0);
  }

  /** Sends the stored, unmined transactions again (once per start, before the first tick). */
  private async resume(): Promise<void> {
    const resent = await this.options.chain.connector.resume();
    this.resumed = true;
    if (resent > 0)
      this.options.log(
        `chain ${this.options.chain.config.name}: sent ${resent} stored transactions again`,
      );
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.guardedTick().finally(() => {
        this.running = undefined;
        this.schedule(this.options.intervalMs ?? tickIntervalMs);
      });
    }, delayMs);
  }

  private async guardedTick(): Promise<void> {
    const name = this.options.chain.config.name;
    try {
      if (!this.resumed) await this.resume();
      const result = await this.tick();
      if (this.failing !== undefined) this.options.log(`chain ${name}: working again`);
      this.failing = undefined;
      if (result.finalReorged !== undefined)
        this.options.log(
          `chain ${name}: REORG deeper than the finality depth (${this.options.chain.config.finalityDepth}) undid blocks ${result.finalReorged.from}–${result.finalReorged.to}; minting stopped until an operator clears mint:${this.options.chain.config.chainId}`,
        );
      const ok = result.parity?.ok;
      if (ok !== undefined && ok !== this.parityOk && (ok === false || this.parityOk === false))
        this.options.log(
          ok
            ? `chain ${name}: parity holds again at block ${result.parity!.blockNumber}`
            : `chain ${name}: PARITY MISMATCH at block ${result.parity!.blockNumber}: circulating ${result.parity!.circulating}, ledger ${result.parity!.ledgerSupply}; minting stopped`,
        );
      if (ok !== undefined) this.parityOk = ok;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      if (message !== this.failing) this.options.log(`chain ${name}: ${message} (retrying)`);
      this.failing = message;
    }
  }

  /** Stops ticking and waits for a tick under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
