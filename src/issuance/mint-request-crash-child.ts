/**
 * Child process of mint-request.crash.test.ts: mint requests, many at once, on a durable
 * embedded store, until it is killed (SIGKILL). It prints `ok <id>` after each request
 * commits. Usage: node --import tsx mint-request-crash-child.ts '<json arguments>'.
 */
import { writeSync } from 'node:fs';
import type { Hex } from 'viem';
import type { Micro } from '../money/money.ts';
import { openPglite } from '../storage/pglite/pglite.ts';
import type { Actor } from '../workflow/actors.ts';
import { issuanceContext } from './context.ts';
import { requestMint } from './mint.ts';

const args = JSON.parse(process.argv[2]!) as { dataDir: string; to: Hex; chainId: number };
const ctx = issuanceContext(await openPglite({ dataDir: args.dataDir }));
const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
const one = async (): Promise<void> => {
  for (;;) {
    const request = await requestMint(ctx, treasurer, {
      customerId: 'CUST-0001',
      chainId: args.chainId,
      to: args.to,
      amount: 1_000_000n as Micro,
    });
    writeSync(1, `ok ${request.id}\n`);
  }
};
await Promise.all(Array.from({ length: 8 }, one));
