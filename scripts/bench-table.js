#!/usr/bin/env node
// Turns `npm run bench -- ledger` output (stdin) into the Markdown tables of docs/benchmarks.md.
//   npm run bench -- ledger | tee bench.txt; node scripts/bench-table.js < bench.txt
import { readFileSync } from 'node:fs';

const figures = new Map();
for (const line of readFileSync(0, 'utf8').split('\n')) {
  const match = /^bench (\S+) (\S+) (\S+)$/.exec(line);
  if (match) figures.set(match[1], Number(match[2]));
}
for (const backend of ['postgres', 'pglite']) {
  if (![...figures.keys()].some((name) => name.startsWith(`ledger.${backend}.`))) continue;
  console.log(
    `| ${backend} | batch | transfers run | transfers/s | batch p50 ms | p99 ms | p100 ms |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const distribution of ['uniform', 'zipfian', 'hot']) {
    for (const batch of [1, 128, 1024, 8190]) {
      const name = `ledger.${backend}.${distribution}.b${batch}`;
      if (!figures.has(name)) continue;
      const at = (suffix) => figures.get(`${name}${suffix}`);
      console.log(
        `| ${distribution} | ${batch} | ${at('.transfers')} | **${at('')}** | ${at('.p50')} | ${at('.p99')} | ${at('.p100')} |`,
      );
    }
  }
  console.log();
}
const naive = figures.get('ledger.postgres.naive.hot');
if (naive !== undefined)
  console.log(`Baseline: naive, hot workload, 8 connections: **${naive} transfers/s**.`);
const ratio = figures.get('ledger.postgres.hot.b8190.vs_naive');
if (ratio !== undefined)
  console.log(
    `Hot, batch 8190, PostgreSQL: **${figures.get('ledger.postgres.hot.b8190')} transfers/s = ${ratio}× the naive baseline**.`,
  );
