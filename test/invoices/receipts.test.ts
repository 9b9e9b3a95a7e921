import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { issueReceipt } from '../../src/domain/invoices/receipts.ts';
import { ConflictError } from '../../src/lib/errors.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson } from '../helpers/people.ts';
import { setSeller, topUp } from './fixtures.ts';

let ctx: TestContext;
let acme: string;
beforeAll(async () => {
  ctx = await createTestContext({ BRAND_NAME: 'Cloudy Reseller' });
  acme = (await createPerson(ctx, 'Ann Receipts')).organization.id;
  await ctx.db.updateTable('organizations').set({ name: 'Acme Ltd', address: '1 Road\nTown', tax_id: 'GB123456789' }).where('id', '=', acme).execute();
});
afterAll(async () => ctx.close());

const invoice = (id: string) => ctx.db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const receiptCount = async () => Number((await ctx.db.selectFrom('invoices').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('receipts', () => {
  it('a completed top-up gets a receipt for its amount, with the seller from platform settings and the organization as buyer', async () => {
    await setSeller(ctx, { name: 'SkyPanel Hosting GmbH', address: 'Hauptstraße 1, Berlin', tax_id: 'DE999999999', email: 'billing@skypanel.test' });
    const { invoice: issued, paymentId } = await topUp(ctx, acme, 25_000_000n, { captureId: 'CAP-ACME-1' });
    const row = await invoice(issued.id);
    expect(row).toMatchObject({ number: issued.number, kind: 'receipt', organization_id: acme, payment_id: paymentId, total: 25_000_000n, currency: 'USD', period_start: null });
    expect(row.seller).toEqual({ name: 'SkyPanel Hosting GmbH', address: 'Hauptstraße 1, Berlin', tax_id: 'DE999999999', email: 'billing@skypanel.test' });
    expect(row.buyer).toEqual({ name: 'Acme Ltd', address: '1 Road\nTown', tax_id: 'GB123456789', email: null });
    expect(row.lines).toEqual([{ type: 'item', description: 'Wallet top-up (PayPal capture CAP-ACME-1)', amount: '25000000', date: expect.any(String) }]);
  });

  it('issuing the receipt of a payment again returns the first one and uses no number', async () => {
    const { invoice: first, paymentId } = await topUp(ctx, acme, 10_000_000n);
    const before = await receiptCount();
    const again = await inTransaction(ctx.db, (trx) => issueReceipt(trx, paymentId));
    expect(again).toEqual(first);
    expect(await receiptCount()).toBe(before);
    const next = await topUp(ctx, acme, 10_000_000n);
    expect(Number(next.invoice.number.slice(-6))).toBe(Number(first.number.slice(-6)) + 1);
  });

  it('two callers issuing one payment’s receipt at the same moment get the same single receipt', async () => {
    // A completed payment whose receipt nobody has issued yet (no wallet credit is needed for this).
    const payment = await ctx.db
      .insertInto('payments')
      .values({ organization_id: acme, provider_order_id: 'ORDER-RACE', capture_id: 'CAP-RACE', amount: 3_000_000n, currency: 'USD', status: 'completed', completed_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    // The second caller starts while the first has issued but not yet committed.
    let second: Promise<{ id: string; number: string }> | undefined;
    const first = await inTransaction(ctx.db, async (trx) => {
      const issued = await issueReceipt(trx, payment.id);
      second = inTransaction(ctx.db, (other) => issueReceipt(other, payment.id));
      await new Promise((r) => setTimeout(r, 200));
      return issued;
    });
    expect(await second).toEqual(first);
    expect(await ctx.db.selectFrom('invoices').select('id').where('payment_id', '=', payment.id).execute()).toHaveLength(1);
  });

  it('a payment that is not completed gets no receipt', async () => {
    const payment = await ctx.db
      .insertInto('payments')
      .values({ organization_id: acme, provider_order_id: 'ORDER-PENDING', capture_id: 'CAP-PENDING', amount: 5_000_000n, currency: 'USD', status: 'pending' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await expect(inTransaction(ctx.db, (trx) => issueReceipt(trx, payment.id))).rejects.toBeInstanceOf(ConflictError);
    expect(await ctx.db.selectFrom('invoices').select('id').where('payment_id', '=', payment.id).executeTakeFirst()).toBeUndefined();
  });

  it('without seller settings the seller is the brand name, and the snapshot outlives later changes', async () => {
    await ctx.db.deleteFrom('platform_settings').where('key', '=', 'seller').execute();
    const { invoice: issued } = await topUp(ctx, acme, 1_000_000n, { brandName: ctx.config.BRAND_NAME });
    await ctx.db.updateTable('organizations').set({ name: 'Acme Renamed' }).where('id', '=', acme).execute();
    await setSeller(ctx, { name: 'Someone Else' });
    const row = await invoice(issued.id);
    expect(row.seller).toEqual({ name: 'Cloudy Reseller', address: null, tax_id: null, email: null });
    expect(row.buyer).toMatchObject({ name: 'Acme Ltd' });
  });

  it('an issued invoice cannot be changed or deleted', async () => {
    const { invoice: issued } = await topUp(ctx, acme, 2_000_000n);
    await expect(sql`update invoices set total = 1 where id = ${issued.id}`.execute(ctx.db)).rejects.toThrow(/issued invoices never change/);
    await expect(sql`delete from invoices where id = ${issued.id}`.execute(ctx.db)).rejects.toThrow(/issued invoices never change/);
    expect((await invoice(issued.id)).total).toBe(2_000_000n);
  });
});
