/**
 * A mint request killed mid-flight (SIGKILL, many requests at once on the durable embedded
 * store) leaves, after restart, every stored request with its reservation: the request, its
 * reservation and its audit entry are one transaction. A request left without one (as an
 * older version's crash left it) is repaired before serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { uuidv7 } from '../ledger/uuid.ts';
import { verifyLedger } from '../ledger/verify.ts';
import { parseAmount } from '../money/money.ts';
import { migrate } from '../storage/migrate.ts';
import { openPglite } from '../storage/pglite/pglite.ts';
import { inheritedV8Flags } from '../testing.ts';
import { customerFiat } from '../workflow/accounts.ts';
import type { Actor } from '../workflow/actors.ts';
import { issuanceContext } from './context.ts';
import { createCustomer, registerWallet, setKyc } from './customers.ts';
import { recordDeposit } from './deposits.ts';
import { repairMintReservations } from './mint.ts';

const chainId = 31337;
const to = '0x90f79bf6eb2c4f870365e785982e1f101e93b906';
const token = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const child = new URL('./mint-request-crash-child.ts', import.meta.url).pathname;

/** Runs the child until it has committed `count` requests, then kills it. */
function runAndKill(args: object, count: number): Promise<{ signal: string | null; ok: number }> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(
      process.execPath,
      [...inheritedV8Flags(), '--import', 'tsx', child, JSON.stringify(args)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let ok = 0;
    let err = '';
    process_.stdout.on('data', (chunk: Buffer) => {
      ok += chunk
        .toString()
        .split('\n')
        .filter((line) => line.startsWith('ok ')).length;
      if (ok >= count && process_.exitCode === null) process_.kill('SIGKILL');
    });
    process_.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    process_.on('error', reject);
    process_.on('exit', (code, signal) =>
      signal === 'SIGKILL'
        ? resolve({ signal, ok })
        : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
}

describe('a mint request killed mid-flight', () => {
  it('leaves, after restart, every request reserved; a request without one is repaired', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'clearpeg-mint-request-crash-'));
    try {
      const compliance: Actor = { kind: 'operator', id: 'op-c', roles: ['compliance'] };
      const treasurer: Actor = { kind: 'operator', id: 'op-tess', roles: ['treasurer'] };
      let db = await openPglite({ dataDir });
      await migrate(db);
      let ctx = issuanceContext(db);
      await db.query(
        `INSERT INTO chain_tokens (chain_id, address, deploy_block, recorded_at_us) VALUES ($1, $2, 0, 0)`,
        [chainId, token],
      );
      await createCustomer(ctx, compliance, { id: 'CUST-0001', name: 'Acme Treasury LLC' });
      await setKyc(ctx, compliance, 'CUST-0001', 'approved');
      await registerWallet(ctx, compliance, { customerId: 'CUST-0001', chainId, address: to });
      await recordDeposit(ctx, treasurer, {
        reference: 'WIRE-1',
        bank: 'bank-a',
        amount: parseAmount('10000000'),
        customerId: 'CUST-0001',
        bookingDate: '2026-11-20',
      });
      await db.close();

      const killed = await runAndKill({ dataDir, to, chainId }, 30);
      assert.equal(killed.signal, 'SIGKILL');

      db = await openPglite({ dataDir });
      ctx = issuanceContext(db);
      const { rows } = await db.query<{ id: string; ledger_pending: string; amount: string }>(
        'SELECT id, ledger_pending, amount::text FROM mint_requests',
      );
      assert.ok(rows.length >= killed.ok, `${rows.length} stored, ${killed.ok} reported`);
      for (const row of rows)
        assert.ok(
          (await ctx.ledger.store.recordById(row.ledger_pending)) !== undefined,
          `request ${row.id} has its reservation`,
        );
      // Nothing to repair; and every reserved dollar is a stored request's.
      assert.deepEqual(await repairMintReservations(ctx), { reserved: [], failed: [] });
      const fiat = await ctx.ledger.balance(customerFiat('CUST-0001').code, 'credit');
      assert.equal(fiat.pendingOut, BigInt(rows.length) * 1_000_000n);
      assert.ok((await verifyLedger(ctx.ledger.store)).ok);

      // A request as an older version's crash left it: stored, its reservation never made.
      const gap = uuidv7();
      await db.query(
        `INSERT INTO mint_requests (id, customer_id, chain_id, to_address, amount, status, initiator, approvals_required,
           ledger_pending, created_at_us, expires_at_us, updated_at_us)
         SELECT $1, customer_id, chain_id, to_address, amount, 'pending-approval', initiator, approvals_required,
           $2, created_at_us, expires_at_us, updated_at_us FROM mint_requests WHERE id = $3`,
        [gap, uuidv7(), rows[0]!.id],
      );
      const repaired = await repairMintReservations(ctx);
      assert.deepEqual(repaired, { reserved: [gap], failed: [] });
      const after = await ctx.ledger.balance(customerFiat('CUST-0001').code, 'credit');
      assert.equal(after.pendingOut, fiat.pendingOut + 1_000_000n);
      await db.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
