import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { CaptureMismatchError, settleCapture } from '../../src/domain/payments/settlement.ts';
import type { CreateOrderInput } from '../../src/providers/paypal/client.ts';
import { balanceOf, deliver, orderOf, sent, useBillingWorld } from './helpers.ts';

/**
 * The one credit path (settleCapture) believes a capture only when it matches the payment we
 * stored (amount, currency, organization, and the capture it already has), and a capture that
 * arrives again — late, or twice — leaves a settled payment as it is.
 */
const w = useBillingWorld();

const payment = (id: string) =>
  w.ctx.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const postingsOf = async (paymentId: string) =>
  (
    await w.ctx.db
      .selectFrom('ledger_transactions')
      .select('idempotency_key')
      .where(sql<boolean>`details->>'payment_id' = ${paymentId}`)
      .execute()
  ).map((r) => r.idempotency_key);
const receiptsOf = (paymentId: string) =>
  w.ctx.db.selectFrom('invoices').select('id').where('payment_id', '=', paymentId).execute();

async function startTopUp(amount: string) {
  const res = await w.olivia('POST', '/wallet/top-ups', { amount });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** An order PayPal holds that is not the one we created for the payment, approved by the buyer. */
async function otherOrder(over: Partial<CreateOrderInput>) {
  const order = await w.ctx.deps.paypal!.createOrder({
    amount: '25.00',
    currency: 'USD',
    customId: w.cast.acme,
    invoiceId: crypto.randomUUID(),
    description: 'Wallet top-up',
    returnUrl: 'http://localhost:3000/billing/payment/success',
    cancelUrl: 'http://localhost:3000/billing/payment/cancel',
    brandName: 'SkyPanel',
    requestId: `other-${crypto.randomUUID()}`,
    ...over,
  });
  w.emu.approve(order.id);
  return order.id;
}

describe('a capture that does not match its payment', () => {
  it.each([
    ['another amount', { amount: '99.00' }],
    ['another currency', { currency: 'EUR' }],
    ['another organization', {}],
  ] as const)('with %s is refused (409), credits nothing, and leaves the payment waiting', async (_what, over) => {
    const id = await startTopUp('25.00');
    const before = await balanceOf(w.ctx, w.cast.acme);
    // PayPal reports, for our payment's order, a capture of something else than was ordered.
    const orderId = await otherOrder(_what === 'another organization' ? { customId: w.cast.globex } : over);
    await w.ctx.db.updateTable('payments').set({ provider_order_id: orderId }).where('id', '=', id).execute();

    const res = await w.olivia('POST', `/wallet/top-ups/${id}/capture`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('payment_mismatch');
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before);
    expect(await balanceOf(w.ctx, w.cast.globex)).toBe(0n);
    expect(await payment(id)).toMatchObject({ status: 'created', capture_id: null, completed_at: null });
    expect(await postingsOf(id)).toEqual([]);
    expect(await receiptsOf(id)).toEqual([]);
  });

  it('a second capture, other than the one a settled payment has, is refused and changes nothing', async () => {
    const id = await startTopUp('25.00');
    w.emu.approve(await orderOf(w.ctx, id));
    expect((await w.olivia('POST', `/wallet/top-ups/${id}/capture`)).body.status).toBe('completed');
    const settled = await payment(id);
    const balance = await balanceOf(w.ctx, w.cast.acme);

    const another = await w.ctx.deps.paypal!.captureOrder(await otherOrder({}), `capture-other-${id}`);
    if (another.outcome !== 'captured') throw new Error('expected a capture');
    await expect(settleCapture(w.ctx.deps, { paymentId: id, capture: another.capture })).rejects.toBeInstanceOf(
      CaptureMismatchError,
    );
    expect(await payment(id)).toEqual(settled);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(balance);
    expect(await postingsOf(id)).toEqual([`paypal:capture:${settled.capture_id}`]);
  });
});

describe('a capture that arrives again', () => {
  it('late (its notice an hour after the return page credited it) leaves the settled payment exactly as it was', async () => {
    const id = await startTopUp('25.00');
    const orderId = await orderOf(w.ctx, id);
    w.emu.approve(orderId);
    expect((await w.olivia('POST', `/wallet/top-ups/${id}/capture`)).body.status).toBe('completed');
    const settled = await payment(id);
    const balance = await balanceOf(w.ctx, w.cast.acme);
    const started = w.ctx.clock.now();
    w.ctx.clock.advance(3_600_000);
    try {
      // PayPal's own notice of that capture, delivered now for the first time: it is acted on (read
      // from PayPal, settled again) and must find nothing to do.
      await w.emu.settle();
      const notice = sent(w.emu, 'PAYMENT.CAPTURE.COMPLETED').find((x) => x.body.includes(settled.capture_id!))!;
      const res = await deliver(w.ctx, notice);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ outcome: 'processed' });
    } finally {
      w.ctx.clock.set(started);
    }
    expect(await payment(id)).toEqual(settled);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(balance);
    expect(await postingsOf(id)).toEqual([`paypal:capture:${settled.capture_id}`]);
    expect(await receiptsOf(id)).toHaveLength(1);
  });

  it('twice at once, from the return page and the approval webhook, credits once and settles once', async () => {
    const id = await startTopUp('25.00');
    const orderId = await orderOf(w.ctx, id);
    w.emu.approve(orderId);
    const before = await balanceOf(w.ctx, w.cast.acme);
    await w.emu.settle();
    const approved = sent(w.emu, 'CHECKOUT.ORDER.APPROVED').find((x) => x.body.includes(orderId))!;
    const [page, hook] = await Promise.all([
      w.olivia('POST', `/wallet/top-ups/${id}/capture`),
      deliver(w.ctx, approved),
    ]);
    expect([page.status, hook.status]).toEqual([200, 200]);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before + 25_000_000n);
    const settled = await payment(id);
    expect(settled).toMatchObject({ status: 'completed', completed_at: expect.any(Date) });
    expect(await postingsOf(id)).toEqual([`paypal:capture:${settled.capture_id}`]);
    expect(await receiptsOf(id)).toHaveLength(1);
  });
});
