/**
 * A progress bar for long commands (`liabilities prove`, `simulate`): on stderr, and only when
 * stderr is a terminal, so piped output and logs stay clean.
 */

/** A progress bar on stderr, when stderr is a terminal; silent otherwise. */
export class Progress {
  private lastMs = 0;
  constructor(private readonly enabled: boolean) {}

  update(label: string, done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastMs < 100 && done < total) return;
    this.lastMs = now;
    const width = 30;
    const filled = total === 0 ? width : Math.round((width * done) / total);
    process.stderr.write(
      `\r${label.padEnd(14)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`,
    );
  }

  /** Names a step that has no count (reading, hashing). */
  phase(label: string): void {
    if (this.enabled) process.stderr.write(`\r\x1b[K${label}…`);
  }

  end(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}
