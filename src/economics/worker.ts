/**
 * A thread of the Monte Carlo pool (pool.ts): runs its range of paths and answers once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PoolJob, PoolMessage } from './pool.ts';
import { parseScenario } from './scenario.ts';
import { monteCarloPaths } from './simulate.ts';

const job = workerData as PoolJob;
let answer: PoolMessage;
try {
  const prepared = {
    scenario: parseScenario(job.scenario),
    dates: job.dates,
    ratesBp: job.ratesBp,
    target: job.target,
  };
  let last = 0;
  const paths = monteCarloPaths(prepared, job.from, job.to, (done) => {
    if (done - last >= 10 || done === job.to - job.from) {
      last = done;
      parentPort!.postMessage({ kind: 'progress', done } satisfies PoolMessage);
    }
  });
  answer = { kind: 'done', paths };
} catch (error) {
  answer = {
    kind: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}
parentPort!.postMessage(answer);
