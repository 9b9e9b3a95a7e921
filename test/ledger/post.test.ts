import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import { InsufficientFundsError, post } from '../../src/domain/ledger/post.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson } from '../helpers/people.ts';

let ctx: TestContext;
let wallet: string;
let org: string;
beforeAll(async () => {
  ctx = await createTestContext();
  const ann = await createPerson(ctx, 'Ann Ledger');
  org = ann.organization.id;
  wallet = (await ctx.db.selectFrom('wallets').select('id').where('organization_id', '=', org).executeTakeFirstOrThrow()).id;
});
afterAll(async () => ctx.close());

const balance = async () => (await ctx.db.selectFrom('wallets').select('balance').where('id', '=', wallet).executeTakeFirstOrThrow()).balance;
const credit = (key: string, amount: bigint) =>
  inTransaction(ctx.db, (trx) =>
    post(trx, { idempotencyKey: key, kind: 'top_up', organizationId: org, currency: 'USD', description: 'Top-up', lines: [{ walletId: wallet, amount }, { account: 'paypal_clearing', amount: -amount }] }),
  );
const spend = (key: string, amount: bigint, allowNegative = false) =>
  inTransaction(ctx.db, (trx) =>
    post(trx, { idempotencyKey: key, kind: 'vps_charge', organizationId: org, currency: 'USD', description: 'Server', allowNegative, lines: [{ walletId: wallet, amount: -amount }, { account: 'vps_revenue', amount }] }),
  );

describe('the ledger', () => {
  it('credits a wallet once per idempotency key, with a running balance', async () => {
    const first = await credit('capture-1', 25_000_000n);
    const again = await credit('capture-1', 25_000_000n);
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, transactionId: first.transactionId });
    expect(await balance()).toBe(25_000_000n);
    const entry = await ctx.db.selectFrom('ledger_entries').select(['balance_after']).where('wallet_id', '=', wallet).executeTakeFirstOrThrow();
    expect(entry.balance_after).toBe(25_000_000n);
  });

  it('refuses customer spending beyond the balance and writes nothing', async () => {
    await expect(spend('spend-too-much', 30_000_000n)).rejects.toBeInstanceOf(InsufficientFundsError);
    expect(await balance()).toBe(25_000_000n);
    expect(await ctx.db.selectFrom('ledger_transactions').select('id').where('idempotency_key', '=', 'spend-too-much').executeTakeFirst()).toBeUndefined();
  });

  it('lets twenty concurrent debits spend only what is there', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => spend(`race-${i}`, 5_000_000n)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(await balance()).toBe(0n);
  });

  it('lets usage that already happened take the wallet below zero', async () => {
    await spend('usage-hour-1', 14_300n, true);
    expect(await balance()).toBe(-14_300n);
  });

  it('refuses to change or delete a ledger row', async () => {
    await expect(sql`update ledger_entries set amount = 1`.execute(ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_transactions`.execute(ctx.db)).rejects.toThrow(/append-only/);
  });

  it('refuses, at commit, a transaction whose entries do not sum to zero', async () => {
    await expect(
      inTransaction(ctx.db, async (trx) => {
        const t = await trx.insertInto('ledger_transactions').values({ idempotency_key: 'lopsided', kind: 'adjustment', organization_id: org, currency: 'USD', description: 'x' }).returning('id').executeTakeFirstOrThrow();
        await trx.insertInto('ledger_entries').values({ transaction_id: t.id, platform_account: 'adjustments', amount: 5n }).execute();
      }),
    ).rejects.toThrow(/does not balance/);
  });

  it('notices a wallet whose balance was changed outside the ledger', async () => {
    const bob = await createPerson(ctx, 'Bob Tamper');
    await ctx.db.updateTable('wallets').set({ balance: 1n }).where('organization_id', '=', bob.organization.id).execute();
    expect((await checkLedgerInvariants(ctx.db)).join('\n')).toMatch(/but entries sum to 0/);
    await ctx.db.updateTable('wallets').set({ balance: 0n }).where('organization_id', '=', bob.organization.id).execute();
  });
});
