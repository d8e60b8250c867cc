/**
 * A thread of `buildLiabilitiesTree` (build.ts): hashes its share of the leaves and their
 * subtrees into the shared tree buffer (or derives its share of the salts), then answers once and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SumTreeError, sumRecordBytes } from '../proofs/sumtree.ts';
import { hashShare, saltRange, type WorkerAnswer, type WorkerJob } from './build.ts';
import { LevelHasher } from './levels.ts';

const job = workerData as WorkerJob;
let answer: WorkerAnswer;
try {
  if (job.kind === 'salts') {
    saltRange(job.accounts, job.roundSecret, job.roundId, job.share);
  } else {
    const levels = job.counts.map(
      (count, level) => new Uint8Array(job.buffer, job.offsets[level]!, count * sumRecordBytes),
    );
    hashShare(new LevelHasher(), job.accounts, levels, job.counts, job.share);
  }
  answer = { ok: true };
} catch (error) {
  answer = {
    ok: false,
    message: error instanceof Error ? error.message : String(error),
    sumTree: error instanceof SumTreeError,
  };
}
parentPort!.postMessage(answer);
