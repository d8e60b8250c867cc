/**
 * Monte Carlo paths over worker threads: the paths are cut into one contiguous range per
 * thread, each thread runs its range (`monteCarloPaths`) and answers with the summaries, and
 * the ranges are put back in path order. Path p draws from its own stream whichever thread
 * runs it, so the result is the same on one thread or many (a test holds it).
 */
import { availableParallelism } from 'node:os';
import { startWorker } from '../workers.ts';
import type { PathSummary } from './engine.ts';
import type { Scenario } from './scenario.ts';
import { monteCarloPaths, type Prepared } from './simulate.ts';

/**
 * A thread's young generation, in MiB: the simulator allocates a bigint for nearly every
 * figure it touches, and a larger nursery scavenges less often. Measured on the benchmark's
 * 1,000 paths (2 cores): 8.1 s against 9.4 s at 16 MiB, and 6.6 s against 7.1 s on a second pair.
 */
const threadYoungGenerationMb = 48;

/**
 * What a thread is given: the shared inputs as data (the scenario already checked: bigints
 * cross threads as they are, so a thread loads no parser), and its range of paths.
 */
export interface PoolJob {
  readonly scenario: Scenario;
  readonly dates: readonly string[];
  readonly ratesBp: Int32Array;
  readonly target: readonly bigint[];
  readonly from: number;
  readonly to: number;
}

/** A thread's messages: progress, then its summaries or its error. */
export type PoolMessage =
  | { readonly kind: 'progress'; readonly done: number }
  | { readonly kind: 'done'; readonly paths: PathSummary[] }
  | { readonly kind: 'failed'; readonly message: string };

/** Options of a pool run. */
export interface PoolOptions {
  /** Threads to use; 0 runs on the calling thread. Default: the cores, at most 8. */
  readonly threads?: number;
  /** Called with the number of paths done so far (all threads together). */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Runs the scenario's `monteCarlo.paths` paths, on `threads` threads.
 * @example const paths = await runPaths(prepared, { threads: 2 })
 */
export async function runPaths(
  prepared: Prepared,
  options: PoolOptions = {},
): Promise<PathSummary[]> {
  const total = prepared.scenario.monteCarlo.paths;
  const threads = Math.min(options.threads ?? Math.min(8, availableParallelism()), total);
  if (threads <= 0)
    return monteCarloPaths(prepared, 0, total, (done) => options.onProgress?.(done, total));
  const counts = new Array<number>(threads).fill(0);
  const ranges = Array.from({ length: threads }, (_, i) => ({
    from: Math.floor((total * i) / threads),
    to: Math.floor((total * (i + 1)) / threads),
  }));
  const parts = await Promise.all(
    ranges.map(
      (range, i) =>
        new Promise<PathSummary[]>((resolve, reject) => {
          const job: PoolJob = {
            scenario: prepared.scenario,
            dates: prepared.dates,
            ratesBp: prepared.ratesBp,
            target: prepared.target,
            ...range,
          };
          const worker = startWorker(import.meta.url, 'worker', job, {
            resourceLimits: { maxYoungGenerationSizeMb: threadYoungGenerationMb },
          });
          worker.on('message', (message: PoolMessage) => {
            if (message.kind === 'progress') {
              counts[i] = message.done;
              options.onProgress?.(
                counts.reduce((a, b) => a + b, 0),
                total,
              );
            } else if (message.kind === 'done') resolve(message.paths);
            else reject(new Error(message.message));
          });
          worker.once('error', reject);
          worker.once('exit', (code) =>
            reject(
              new Error(`assertion failed: a simulation thread exited (${code}) without an answer`),
            ),
          );
        }),
    ),
  );
  return parts.flat();
}
