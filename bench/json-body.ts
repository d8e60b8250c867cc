/**
 * The JSON body benchmark: what the duplicate-key scan (`src/api/json-keys.ts`) adds to
 * reading a body, beside `JSON.parse` of the same text in the same run (the baseline), on
 * bodies at the API's size limit (64 KiB) shaped to be hard for a scan:
 *   keys      one object of ~6,000 distinct keys (one set, many insertions)
 *   nested    objects 30 deep, each with a few keys and an array of small objects
 *   escapes   one string of 32,000 escaped backslashes (the string scan's worst case)
 *   approval  the API's largest real request (an approval, ~300 bytes)
 *
 * Each shape runs N times (2,000; `BENCH_QUICK=1`: 300) after 100 unmeasured runs. Prints
 * `bench json_body.<shape>.parse <µs> µs/body` and `bench json_body.<shape>.scan <µs> µs/body`.
 */
import { findDuplicateKey } from '../src/api/json-keys.ts';
import { jsonBodyBytesMax } from '../src/api/request.ts';
import { print, printMachine } from './lib/report.ts';

const runs = process.env.BENCH_QUICK === '1' ? 300 : 2_000;
const warmup = 100;

function nested(depth: number): unknown {
  if (depth === 0) return { leaf: 'x' };
  return {
    id: `n${depth}`,
    items: Array.from({ length: 8 }, (_, i) => ({ i, name: `item ${i}`, ok: true })),
    child: nested(depth - 1),
  };
}

const shapes: Record<string, string> = {
  keys: `{${Array.from({ length: 6000 }, (_, i) => `"k${i}":0`).join(',')}}`,
  nested: JSON.stringify(nested(30)),
  escapes: `{"a":"${'\\\\'.repeat(32_000)}"}`,
  approval: JSON.stringify({
    approval: {
      approverId: 'op-ann',
      publicKey: 'ab'.repeat(32),
      intentHash: 'cd'.repeat(32),
      signature: 'ef'.repeat(64),
    },
  }),
};

/** Microseconds per call of `f` over `runs` calls, after a warm-up. */
function timeUs(f: () => unknown): number {
  for (let i = 0; i < warmup; i++) f();
  const start = performance.now();
  for (let i = 0; i < runs; i++) f();
  return ((performance.now() - start) * 1000) / runs;
}

printMachine();
console.log(`# ${runs} bodies per shape after ${warmup} unmeasured`);
for (const [name, text] of Object.entries(shapes)) {
  if (text.length > jsonBodyBytesMax) throw new Error(`${name}: over the body limit`);
  console.log(`# ${name}: ${text.length} bytes`);
  print(
    `json_body.${name}.parse`,
    timeUs(() => JSON.parse(text)),
    'µs/body',
  );
  print(
    `json_body.${name}.scan`,
    timeUs(() => findDuplicateKey(text)),
    'µs/body',
  );
}
