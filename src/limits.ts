/**
 * Every limit in one place, each with its reason (TigerBeetle style: put a limit on
 * everything). Changing one is a design decision: say why in the commit.
 */
export const limits = {
  /** Commands in one ledger write batch: TigerBeetle's batch size, so the benchmark compares like with like; keeps one database transaction under ~100 ms. */
  ledgerBatchMax: 8190,
  /** Commands waiting for the writer before `submit` refuses more (back-pressure instead of unbounded memory): 16 full batches. */
  ledgerQueueMax: 8190 * 16,
  /** Batches the writer hands to the store at once: the next is planned while the previous is written (2 cores: one plans, one writes). */
  ledgerPipelineDepth: 2,
  /** Postings in one transaction: the largest flow (a redemption with fee) needs 2; room for batched settlements without letting one transaction dominate a batch. */
  postingsMax: 64,
  /** Metadata entries on one transaction: references (request id, tx hash, block), not documents. */
  metadataEntriesMax: 16,
  /** Bytes of a metadata key. */
  metadataKeyBytesMax: 64,
  /** Bytes of a metadata value: fits a 0x-prefixed 32-byte hash, a bank reference or an ISO timestamp with room to spare. */
  metadataValueBytesMax: 256,
  /** Bytes of an account code such as `customers:<uuid>:fiat`. */
  accountCodeBytesMax: 128,
  /** A pending transaction's timeout: at most 30 days; a reservation older than that is a bug in the workflow that made it. */
  pendingTimeoutSecondsMax: 30 * 24 * 3600,
  /** Accounts the writer keeps cached between batches; past this it starts over (the cache only saves reads). */
  accountCacheMax: 1_000_000,
  /** Expired pending transactions voided per sweep batch. */
  expirySweepMax: 8190,
  /**
   * Requests per second from one client address without a valid API key (public routes:
   * /health, /openapi.json, a bill's price; and every request whose key is missing or wrong):
   * a monitor polls /health every few seconds and a dashboard a few times a second, while a
   * guesser of API keys (128 bits) gets nowhere at ten a second.
   */
  apiAnonymousPerSecond: 10,
  /** The burst of those: a page that loads the document and a few prices at once. */
  apiAnonymousBurst: 50,
  /**
   * Failed requests (any 4xx but 429) per second from one client address before every request
   * of that address is refused: an integration with a bug fails now and then and recovers; a
   * scanner, a fuzzer or a credential-stuffer fails all the time and is slowed to this pace.
   */
  apiFailuresPerSecond: 2,
  /** The burst of those: a batch of bad requests from a buggy script is answered, then slowed. */
  apiFailuresBurst: 60,
  /**
   * The attestation cycle's full self-check (the whole journal replayed, every business table
   * compared with it) starts no sooner after the last one ended than this many times as long
   * as that one took: it takes at most a twentieth of the time, whatever the journal's size.
   * Cycles in between replay the records appended since and compare every stored balance
   * (docs/transparency.md, "One cycle").
   */
  attestFullCheckGapFactor: 19,
  /** The longest gap between two full self-checks, however long one takes. */
  attestFullCheckIntervalMs: 3_600_000,
  /**
   * Points of an income statement's series (equity and excess at the end of each day, week or
   * month): a year and a month of days. Each point reads the positions held on its day (the
   * journal is read once for all of them); a longer period is asked by week or month.
   */
  incomeSeriesPointsMax: 400,
} as const;
