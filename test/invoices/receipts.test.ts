import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { issueReceipt } from '../../src/domain/invoices/receipts.ts';
import { post } from '../../src/domain/ledger/post.ts';
import { ConflictError } from '../../src/lib/errors.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { backendPid, waitUntilBlocked } from '../helpers/db.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { setSeller, topUp } from './fixtures.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ BRAND_NAME: 'Cloudy Reseller' });
});
afterAll(async () => ctx.close());

/** Acme Ltd, an organization of its own for each test (its details are the receipt's buyer). */
async function acme() {
  const org = (await createPerson(ctx, 'Ann Receipts', { email: uniqueEmail('Ann Receipts') })).organization.id;
  await ctx.db
    .updateTable('organizations')
    .set({ name: 'Acme Ltd', address: '1 Road\nTown', tax_id: 'GB123456789' })
    .where('id', '=', org)
    .execute();
  return org;
}
/**
 * A payment credited with no receipt: what a credit made before receipts were issued with it
 * would have left (settlement always issues one now). The payment completed and its credit in
 * the ledger, as settlement writes them.
 */
async function creditedWithoutReceipt(organizationId: string, amount: bigint): Promise<string> {
  const captureId = `CAP-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
  return inTransaction(ctx.db, async (trx) => {
    const wallet = await trx
      .selectFrom('wallets')
      .select(['id', 'currency'])
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow();
    const payment = await trx
      .insertInto('payments')
      .values({
        organization_id: organizationId,
        amount,
        currency: wallet.currency,
        status: 'completed',
        provider_order_id: `ORDER-${captureId}`,
        capture_id: captureId,
        completed_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await post(trx, {
      idempotencyKey: `paypal:capture:${captureId}`,
      kind: 'top_up',
      organizationId,
      currency: wallet.currency,
      description: 'Wallet top-up via PayPal',
      lines: [
        { walletId: wallet.id, amount },
        { account: 'paypal_clearing', amount: -amount },
      ],
      createdBy: null,
      details: { payment_id: payment.id, capture_id: captureId },
    });
    return payment.id;
  });
}
const invoice = (id: string) =>
  ctx.db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const receiptCount = async () =>
  Number(
    (
      await ctx.db
        .selectFrom('invoices')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('receipts', () => {
  it('a completed top-up gets a receipt for its amount, with the seller from platform settings and the organization as buyer', async () => {
    const org = await acme();
    await setSeller(ctx, {
      name: 'SkyPanel Hosting GmbH',
      address: 'Hauptstraße 1, Berlin',
      tax_id: 'DE999999999',
      email: 'billing@skypanel.test',
    });
    const { invoice: issued, paymentId } = await topUp(ctx.deps, org, 25_000_000n, { captureId: 'CAP-ACME-1' });
    const row = await invoice(issued.id);
    expect(row).toMatchObject({
      number: issued.number,
      kind: 'receipt',
      organization_id: org,
      payment_id: paymentId,
      total: 25_000_000n,
      currency: 'USD',
      period_start: null,
    });
    expect(row.seller).toEqual({
      name: 'SkyPanel Hosting GmbH',
      address: 'Hauptstraße 1, Berlin',
      tax_id: 'DE999999999',
      email: 'billing@skypanel.test',
    });
    expect(row.buyer).toEqual({ name: 'Acme Ltd', address: '1 Road\nTown', tax_id: 'GB123456789', email: null });
    const { completed_at } = await ctx.db
      .selectFrom('payments')
      .select('completed_at')
      .where('id', '=', paymentId)
      .executeTakeFirstOrThrow();
    expect(row.lines).toEqual([
      {
        type: 'item',
        description: 'Wallet top-up (PayPal capture CAP-ACME-1)',
        amount: '25000000',
        date: completed_at!.toISOString(),
      },
    ]);
  });

  it('issuing the receipt of a payment again returns the first one and uses no number', async () => {
    const org = await acme();
    const { invoice: first, paymentId } = await topUp(ctx.deps, org, 10_000_000n);
    const before = await receiptCount();
    const again = await inTransaction(ctx.db, (trx) => issueReceipt(trx, paymentId));
    expect(again).toEqual(first);
    expect(await receiptCount()).toBe(before);
    const next = await topUp(ctx.deps, org, 10_000_000n);
    expect(Number(next.invoice.number.slice(-6))).toBe(Number(first.number.slice(-6)) + 1);
  });

  it('two callers issuing one payment’s receipt at the same moment get the same single receipt', async () => {
    // A credited payment whose receipt nobody has issued yet.
    const paymentId = await creditedWithoutReceipt(await acme(), 3_000_000n);
    // The second caller starts while the first has issued but not committed, and waits for it:
    // the first commits only once the second is seen blocked on its lock.
    let second: Promise<{ id: string; number: string }> | undefined;
    const first = await inTransaction(ctx.db, async (trx) => {
      const issued = await issueReceipt(trx, paymentId);
      let pid!: (n: number) => void;
      const secondPid = new Promise<number>((r) => (pid = r));
      second = inTransaction(ctx.db, async (other) => {
        pid(await backendPid(other));
        return issueReceipt(other, paymentId);
      });
      await waitUntilBlocked(ctx.db, await secondPid);
      return issued;
    });
    expect(await second).toEqual(first);
    expect(await ctx.db.selectFrom('invoices').select('id').where('payment_id', '=', paymentId).execute()).toHaveLength(
      1,
    );
  });

  it('a payment that is not completed gets no receipt', async () => {
    const payment = await ctx.db
      .insertInto('payments')
      .values({
        organization_id: await acme(),
        provider_order_id: 'ORDER-PENDING',
        capture_id: 'CAP-PENDING',
        amount: 5_000_000n,
        currency: 'USD',
        status: 'pending',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await expect(inTransaction(ctx.db, (trx) => issueReceipt(trx, payment.id))).rejects.toBeInstanceOf(ConflictError);
    expect(
      await ctx.db.selectFrom('invoices').select('id').where('payment_id', '=', payment.id).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('without seller settings the seller is the brand name, and the snapshot outlives later changes', async () => {
    const org = await acme();
    await ctx.db.deleteFrom('platform_settings').where('key', '=', 'seller').execute();
    const { invoice: issued } = await topUp(ctx.deps, org, 1_000_000n);
    await ctx.db.updateTable('organizations').set({ name: 'Acme Renamed' }).where('id', '=', org).execute();
    await setSeller(ctx, { name: 'Someone Else' });
    const row = await invoice(issued.id);
    expect(row.seller).toEqual({ name: 'Cloudy Reseller', address: null, tax_id: null, email: null });
    expect(row.buyer).toMatchObject({ name: 'Acme Ltd' });
  });

  it('an issued invoice cannot be changed or deleted', async () => {
    const { invoice: issued } = await topUp(ctx.deps, await acme(), 2_000_000n);
    await expect(sql`update invoices set total = 1 where id = ${issued.id}`.execute(ctx.db)).rejects.toThrow(
      /issued invoices never change/,
    );
    await expect(sql`delete from invoices where id = ${issued.id}`.execute(ctx.db)).rejects.toThrow(
      /issued invoices never change/,
    );
    expect((await invoice(issued.id)).total).toBe(2_000_000n);
  });
});
