/**
 * A check's result: its name, pass, fail or skip, and what it found. Pure.
 */

/** The checks, in the order they run and are reported (docs/verify.md). */
export const checkNames = [
  'checkpoint-signature',
  'witnesses',
  'consistency',
  'tiles',
  'inclusion',
  'attestation',
  'bills',
  'custodians',
  'chain',
  'leaf',
] as const;

export type CheckName = (typeof checkNames)[number];

/** One check's result: `detail` one short line, `lines` more for a person to read. */
export interface CheckResult {
  readonly name: CheckName;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly detail: string;
  readonly lines?: readonly string[];
  /** On a split view: the checkpoint seen before and the one fetched now, full note texts. */
  readonly splitView?: { readonly seen: string; readonly fetched: string };
}

/**
 * A result (the extra lines left out when there are none).
 * @example result('tiles', 'fail', 'tile/0/000.p/3: …')
 */
export function result(
  name: CheckName,
  status: CheckResult['status'],
  detail: string,
  lines?: readonly string[],
): CheckResult {
  return lines === undefined || lines.length === 0
    ? { name, status, detail }
    : { name, status, detail, lines };
}

/** The message of an error (a `NoteError`'s, a `SumTreeError`'s, …). */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
