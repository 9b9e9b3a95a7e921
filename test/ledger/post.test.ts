import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, type Tx } from '../../src/db/index.ts';
import { checkLedgerInvariants } from '../../src/domain/ledger/invariants.ts';
import type { RealtimeEvent } from '../../src/db/notify.ts';
import { InsufficientFundsError, LedgerKeyConflictError, post, WALLET_TOPIC } from '../../src/domain/ledger/post.ts';
import { settledTopUp } from '../billing/payments.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/** A wallet of its own for each test (Ann's organization's), and the ways money moves in it. */
async function annsWallet() {
  const org = (await createPerson(ctx, 'Ann Ledger', { email: uniqueEmail('Ann Ledger') })).organization.id;
  const wallet = (
    await ctx.db.selectFrom('wallets').select('id').where('organization_id', '=', org).executeTakeFirstOrThrow()
  ).id;
  const key = (k: string) => `${wallet}:${k}`;
  return {
    org,
    wallet,
    key,
    balance: async () =>
      (await ctx.db.selectFrom('wallets').select('balance').where('id', '=', wallet).executeTakeFirstOrThrow()).balance,
    credit: (k: string, amount: bigint) =>
      inTransaction(ctx.db, (trx) =>
        post(trx, {
          idempotencyKey: key(k),
          kind: 'adjustment',
          organizationId: org,
          currency: 'USD',
          description: 'Credit',
          lines: [
            { walletId: wallet, amount },
            { account: 'adjustments', amount: -amount },
          ],
        }),
      ),
    spend: (k: string, amount: bigint, allowNegative = false) =>
      inTransaction(ctx.db, (trx) =>
        post(trx, {
          idempotencyKey: key(k),
          kind: 'vps_charge',
          organizationId: org,
          currency: 'USD',
          description: 'Server',
          allowNegative,
          lines: [
            { walletId: wallet, amount: -amount },
            { account: 'vps_revenue', amount },
          ],
        }),
      ),
  };
}

class Rollback extends Error {}
/** What the invariant check says about the database after `change`, which is then undone. */
async function problemsAfter(change: (trx: Tx) => Promise<unknown>): Promise<string> {
  let seen = '';
  await expect(
    inTransaction(ctx.db, async (trx) => {
      await change(trx);
      seen = (await checkLedgerInvariants(trx)).join('\n');
      throw new Rollback();
    }),
  ).rejects.toBeInstanceOf(Rollback);
  return seen;
}

describe('the ledger', () => {
  it('credits a wallet once per idempotency key, with a running balance', async () => {
    const ann = await annsWallet();
    const first = await ann.credit('capture-1', 25_000_000n);
    const again = await ann.credit('capture-1', 25_000_000n);
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, transactionId: first.transactionId });
    expect(await ann.balance()).toBe(25_000_000n);
    const entries = await ctx.db
      .selectFrom('ledger_entries')
      .select(['balance_after'])
      .where('wallet_id', '=', ann.wallet)
      .execute();
    expect(entries).toEqual([{ balance_after: 25_000_000n }]);
  });

  it('refuses a reused idempotency key with other lines, and answers the same lines with the first posting', async () => {
    const ann = await annsWallet();
    const first = await ann.credit('adjustment-7', 10_000_000n);
    // The same lines, in another order: the same posting, nothing new.
    const same = await inTransaction(ctx.db, (trx) =>
      post(trx, {
        idempotencyKey: ann.key('adjustment-7'),
        kind: 'adjustment',
        organizationId: ann.org,
        currency: 'USD',
        description: 'Credit',
        lines: [
          { account: 'adjustments', amount: -10_000_000n },
          { walletId: ann.wallet, amount: 10_000_000n },
        ],
      }),
    );
    expect(same).toMatchObject({ duplicate: true, transactionId: first.transactionId });
    // Another amount under the same key is refused, not answered with the old posting.
    const other = ann.credit('adjustment-7', 20_000_000n);
    await expect(other).rejects.toBeInstanceOf(LedgerKeyConflictError);
    await expect(other).rejects.toMatchObject({ status: 409, idempotencyKey: ann.key('adjustment-7') });
    // So is the same amount to another account.
    await expect(
      inTransaction(ctx.db, (trx) =>
        post(trx, {
          idempotencyKey: ann.key('adjustment-7'),
          kind: 'adjustment',
          organizationId: ann.org,
          currency: 'USD',
          description: 'Credit',
          lines: [
            { walletId: ann.wallet, amount: 10_000_000n },
            { account: 'promotional_credit', amount: -10_000_000n },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(LedgerKeyConflictError);
    expect(await ann.balance()).toBe(10_000_000n);
    expect(
      await ctx.db
        .selectFrom('ledger_transactions')
        .select('id')
        .where('idempotency_key', '=', ann.key('adjustment-7'))
        .execute(),
    ).toEqual([{ id: first.transactionId }]);
  });

  it("tells the organization's billing viewers that its balance moved, once the posting commits, and never for a replay", async () => {
    const w = await annsWallet();
    const events: RealtimeEvent[] = [];
    const stop = ctx.hub.subscribe({
      userId: 'someone',
      organizationIds: [w.org],
      permissions: { [w.org]: ['billing_view'] },
      isAdmin: false,
      send: (e) => events.push(e),
    });
    try {
      await w.credit('live', 2_000_000n);
      await w.credit('live', 2_000_000n); // the same key: a replay, nothing moved
      await expect(
        inTransaction(ctx.db, async (trx) => {
          await post(trx, {
            idempotencyKey: w.key('rolled-back'),
            kind: 'adjustment',
            organizationId: w.org,
            currency: 'USD',
            description: 'Undone',
            lines: [
              { walletId: w.wallet, amount: 1n },
              { account: 'adjustments', amount: -1n },
            ],
          });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      // NOTIFY travels through the hub's LISTEN connection: give it a moment.
      await new Promise((r) => setTimeout(r, 300));
      const mine = events.filter((e) => e.topic === WALLET_TOPIC);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.audience).toEqual({ organizationId: w.org, permission: 'billing_view' });
    } finally {
      stop();
    }
  });

  it('refuses customer spending beyond the balance and writes nothing', async () => {
    const ann = await annsWallet();
    await ann.credit('funding', 25_000_000n);
    await expect(ann.spend('spend-too-much', 30_000_000n)).rejects.toBeInstanceOf(InsufficientFundsError);
    expect(await ann.balance()).toBe(25_000_000n);
    expect(
      await ctx.db
        .selectFrom('ledger_transactions')
        .select('id')
        .where('idempotency_key', '=', ann.key('spend-too-much'))
        .executeTakeFirst(),
    ).toBeUndefined();
  });

  it('lets twenty concurrent debits spend only what is there', async () => {
    const ann = await annsWallet();
    await ann.credit('funding', 25_000_000n);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => ann.spend(`race-${i}`, 5_000_000n)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InsufficientFundsError);
    expect(await ann.balance()).toBe(0n);
  });

  it('lets usage that already happened take the wallet below zero', async () => {
    const ann = await annsWallet();
    await ann.spend('usage-hour-1', 14_300n, true);
    expect(await ann.balance()).toBe(-14_300n);
  });

  it('refuses to change or delete a ledger row', async () => {
    const ann = await annsWallet();
    const { transactionId } = await ann.credit('funding', 1_000_000n);
    await expect(
      sql`update ledger_entries set amount = 1 where transaction_id = ${transactionId}`.execute(ctx.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_transactions where id = ${transactionId}`.execute(ctx.db)).rejects.toThrow(
      /append-only/,
    );
    expect(await ann.balance()).toBe(1_000_000n);
  });

  it('refuses, at commit, a transaction whose entries do not sum to zero', async () => {
    const ann = await annsWallet();
    await expect(
      inTransaction(ctx.db, async (trx) => {
        const t = await trx
          .insertInto('ledger_transactions')
          .values({
            idempotency_key: ann.key('lopsided'),
            kind: 'adjustment',
            organization_id: ann.org,
            currency: 'USD',
            description: 'x',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('ledger_entries')
          .values({ transaction_id: t.id, platform_account: 'adjustments', amount: 5n })
          .execute();
      }),
    ).rejects.toThrow(/does not balance/);
  });
});

describe('the ledger invariant check', () => {
  it('notices a wallet whose balance was changed outside the ledger', async () => {
    const ann = await annsWallet();
    const seen = await problemsAfter((trx) =>
      trx.updateTable('wallets').set({ balance: 1n }).where('id', '=', ann.wallet).execute(),
    );
    expect(seen).toBe(`wallet ${ann.wallet}: balance 1 but entries sum to 0`);
  });

  it('notices a completed payment without its top-up posting, and one with two', async () => {
    const ann = await annsWallet();
    const bare = await problemsAfter((trx) =>
      trx
        .insertInto('payments')
        .values({
          organization_id: ann.org,
          amount: 5_000_000n,
          currency: 'USD',
          status: 'completed',
          capture_id: 'CAP-BARE',
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    expect(bare).toMatch(/^payment [0-9a-f-]{36} is completed with 0 top-up postings$/);

    const { paymentId } = await settledTopUp(ctx.deps, ann.org, 5_000_000n);
    const twice = await problemsAfter((trx) =>
      post(trx, {
        idempotencyKey: `${paymentId}:again`,
        kind: 'top_up',
        organizationId: ann.org,
        currency: 'USD',
        description: 'Again',
        details: { payment_id: paymentId },
        lines: [
          { walletId: ann.wallet, amount: 5_000_000n },
          { account: 'paypal_clearing', amount: -5_000_000n },
        ],
      }),
    );
    expect(twice).toBe(`payment ${paymentId} is completed with 2 top-up postings`);
    // A top-up that never completed has none.
    const early = await problemsAfter((trx) =>
      trx.updateTable('payments').set({ status: 'pending' }).where('id', '=', paymentId).execute(),
    );
    expect(early).toBe(`payment ${paymentId} is pending with 1 top-up postings`);
  });

  it('notices a top-up posting that credits no payment', async () => {
    const ann = await annsWallet();
    let id = '';
    const seen = await problemsAfter(async (trx) => {
      id = (
        await post(trx, {
          idempotencyKey: ann.key('stray-top-up'),
          kind: 'top_up',
          organizationId: ann.org,
          currency: 'USD',
          description: 'Stray',
          lines: [
            { walletId: ann.wallet, amount: 1_000_000n },
            { account: 'paypal_clearing', amount: -1_000_000n },
          ],
        })
      ).transactionId;
    });
    expect(seen).toBe(`top-up posting ${id} credits no payment`);
  });

  it('notices a payment whose refunded amount is not what its refunds and PayPal’s returns add up to', async () => {
    const ann = await annsWallet();
    const { paymentId } = await settledTopUp(ctx.deps, ann.org, 20_000_000n);
    const seen = await problemsAfter((trx) =>
      trx.updateTable('payments').set({ refunded_amount: 5_000_000n }).where('id', '=', paymentId).execute(),
    );
    expect(seen).toBe(
      `payment ${paymentId}: refunded_amount 5000000 but its completed refunds to PayPal sum to 0 and PayPal's own returns to 0`,
    );
    const refunded = await problemsAfter(async (trx) => {
      await trx
        .insertInto('refunds')
        .values({
          payment_id: paymentId,
          amount: 5_000_000n,
          destination: 'paypal',
          status: 'completed',
          request_id: crypto.randomUUID(),
          reason: 'x',
        })
        .execute();
    });
    expect(refunded).toBe(
      `payment ${paymentId}: refunded_amount 0 but its completed refunds to PayPal sum to 5000000 and PayPal's own returns to 0`,
    );
  });

  it('checks a database closed inside a test before dropping it (and drops it anyway)', async () => {
    const database = await createTestDatabase();
    const { transactionId } = await inTransaction(database.db, (trx) =>
      post(trx, {
        idempotencyKey: 'stray',
        kind: 'top_up',
        organizationId: null,
        currency: 'USD',
        description: 'Stray',
        lines: [
          { account: 'paypal_clearing', amount: 1n },
          { account: 'adjustments', amount: -1n },
        ],
      }),
    );
    await expect(database.drop()).rejects.toThrow(`top-up posting ${transactionId} credits no payment`);
    const name = new URL(database.url).pathname.slice(1);
    expect(
      (await sql<{ n: string }>`select count(*) as n from pg_database where datname = ${name}`.execute(ctx.db)).rows[0]!
        .n,
    ).toBe(0n);
  });
});
