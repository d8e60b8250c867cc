/**
 * The verifier's limits, each with its reason. Pure (bundled for the browser with the checks).
 */
export const verifierLimits = {
  /**
   * Bytes of one fetched file: an entry bundle holds at most 256 entries of at most 65,535 bytes
   * each with a 2-byte length (16,777,728 bytes); a checkpoint, a tile or a statement is far
   * smaller. Anything longer is not a file of the log.
   */
  fetchBytesMax: 256 * (2 + 0xffff),
  /** How long one fetch may take: a static file from a CDN or the issuer's own server. */
  fetchTimeoutMs: 30_000,
  /**
   * How far a T-bill's stated value may stand above its price from public rates, in basis points
   * of its face: the attestation states a carrying value (cost accreted at the purchase yield),
   * which drifts from market as rates move; a rise of two points over the six months a 26-week
   * bill has left is 1% of face. Beyond that the stated value is no carrying value of a bill
   * bought at a market price, and reserves are overstated. Below the market price is never
   * refused (a conservative value).
   */
  billOverstatementBpsMax: 100n,
  /** Bytes of a holder's leaf file: a few short fields (a customer id is at most 256 bytes). */
  leafFileBytesMax: 4_096,
} as const;
