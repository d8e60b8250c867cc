/**
 * Starting a worker thread on one of Clearpeg's modules, from the TypeScript sources or the
 * compiled `dist/`: whichever the caller itself runs from.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` (without extension) beside `callerUrl` (the caller's
 * `import.meta.url`) with `workerData`. From the TypeScript sources the worker registers tsx
 * first: a worker does not inherit a loader registered through tsx's API, as `bin/clearpeg.js`
 * registers it.
 * @example const worker = startWorker(import.meta.url, 'worker', job)
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const fromSources = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}${fromSources ? '.ts' : '.js'}`, callerUrl).href;
  if (!fromSources) return new Worker(new URL(url), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
