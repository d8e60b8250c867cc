/**
 * The one error base of Clearpeg.
 *
 * Every expected failure (bad input, a refused operation) is a `ClearpegError` with a stable
 * `code` (kebab-case, never reworded: scripts and HTTP `type`s depend on it), and where input
 * is at fault, the `field` it names and the `rule` it broke. Bugs are plain `Error`s or
 * assertion failures and crash.
 */
export class ClearpegError extends Error {
  override name = 'ClearpegError';
  /** Stable machine-readable code, e.g. `amount-invalid`. */
  readonly code: string;
  /** The input field at fault, as a dotted path (`postings.0.amount`), when there is one. */
  readonly field: string | undefined;
  /** The rule that was broken, in words (`at most 6 decimal places`). */
  readonly rule: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { field?: string; rule?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.rule = options.rule;
  }

  /** A plain object for JSON output and logs. */
  toJSON(): { code: string; message: string; field?: string; rule?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.rule === undefined ? {} : { rule: this.rule }),
    };
  }
}

/**
 * Throws if `condition` is false: for invariants whose failure is a bug, never for input.
 * @example assert(total === sum, 'split shares sum to the total')
 */
export function assert(condition: unknown, invariant: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${invariant}`);
}
