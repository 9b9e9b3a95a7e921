import { describe, expect, it } from 'vitest';
import { balanceOf, creditsOf, deliver, orderOf, sent, useBillingWorld } from './helpers.ts';

const w = useBillingWorld();

async function topUp(amount: string) {
  const res = await w.olivia('POST', '/wallet/top-ups', { amount });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, orderId: await orderOf(w.ctx, res.body.id) };
}
const payment = (id: string) =>
  w.ctx.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const deliveries = (eventId: string) =>
  w.ctx.db
    .selectFrom('webhook_deliveries')
    .select(['outcome', 'verified'])
    .where('event_id', '=', eventId)
    .orderBy('received_at')
    .execute();
/** The newest transmission of `type` about `orderId` (events carry the order, or the capture of it). */
const transmissionOf = (type: string, orderId: string) =>
  sent(w.emu, type)
    .filter((x) => x.body.includes(orderId))
    .at(-1)!;

describe('PayPal webhooks', () => {
  it('a webhook replayed five times around a capture credits once', async () => {
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { id, orderId } = await topUp('30.00');
    w.emu.approve(orderId);
    const approved = transmissionOf('CHECKOUT.ORDER.APPROVED', orderId);

    // The approval arrives five times at once while the buyer's return page captures too.
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => deliver(w.ctx, approved)),
      w.olivia('POST', `/wallet/top-ups/${id}/capture`),
    ]);
    expect(answers.slice(0, 5).map((r) => (r as Response).status)).toEqual([200, 200, 200, 200, 200]);

    // Then the capture's own event, replayed byte for byte and redelivered by PayPal, five times each.
    const completed = transmissionOf('PAYMENT.CAPTURE.COMPLETED', orderId);
    for (let i = 0; i < 5; i++) expect((await deliver(w.ctx, completed)).status).toBe(200);
    for (let i = 0; i < 5; i++) w.emu.redeliver(completed.eventId);
    for (const d of sent(w.emu, 'PAYMENT.CAPTURE.COMPLETED').filter((x) => x.eventId === completed.eventId))
      expect((await deliver(w.ctx, d)).status).toBe(200);

    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before + 30_000_000n);
    const { capture_id } = await payment(id);
    expect(
      (await creditsOf(w.ctx, w.cast.acme)).filter((c) => c.idempotency_key === `paypal:capture:${capture_id}`),
    ).toHaveLength(1);
    expect(await w.ctx.db.selectFrom('invoices').select('id').where('payment_id', '=', id).execute()).toHaveLength(1);
    // Every delivery is recorded; each event was acted on once, the rest were duplicates.
    const outcomes = (await deliveries(completed.eventId)).map((d) => d.outcome);
    expect(outcomes).toHaveLength(11);
    expect(outcomes.filter((o) => o === 'processed' || o === 'ignored')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(10);
  });

  it('the approval webhook alone credits a buyer who never comes back', async () => {
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { id, orderId } = await topUp('17.00');
    w.emu.approve(orderId);
    expect((await deliver(w.ctx, transmissionOf('CHECKOUT.ORDER.APPROVED', orderId))).status).toBe(200);
    expect(await payment(id)).toMatchObject({ status: 'completed' });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before + 17_000_000n);
  });

  it('a webhook with a bad signature is refused, recorded, and credits nothing', async () => {
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { id, orderId } = await topUp('40.00');
    w.emu.approve(orderId);
    const genuine = transmissionOf('CHECKOUT.ORDER.APPROVED', orderId);
    const forged = [
      {
        ...genuine,
        headers: { ...genuine.headers, 'paypal-transmission-sig': Buffer.from('forged').toString('base64') },
      },
      { ...genuine, body: genuine.body.replace('"40.00"', '"4000.00"') },
      { ...genuine, headers: { ...genuine.headers, 'paypal-transmission-id': crypto.randomUUID() } },
      { headers: { 'content-type': 'application/json' }, body: genuine.body },
    ];
    for (const f of forged) {
      const res = await deliver(w.ctx, f);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ outcome: 'rejected' });
    }
    expect(await payment(id)).toMatchObject({ status: 'created', capture_id: null });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before);
    expect([...w.emu.captures.values()].some((c) => c.orderId === orderId)).toBe(false);
    const eventId = JSON.parse(genuine.body).id as string;
    expect(await deliveries(eventId)).toEqual(Array(4).fill({ outcome: 'rejected', verified: false }));
  });

  it('a capture PayPal holds (PENDING) credits nothing until the completion webhook', async () => {
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { id, orderId } = await topUp('22.00');
    w.emu.approve(orderId);
    w.emu.inject('pending');
    expect((await w.olivia('POST', `/wallet/top-ups/${id}/capture`)).body.status).toBe('pending');
    // The PENDING notice itself changes nothing.
    expect((await deliver(w.ctx, transmissionOf('PAYMENT.CAPTURE.PENDING', orderId))).status).toBe(200);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before);
    expect(await payment(id)).toMatchObject({ status: 'pending' });

    w.emu.completePending((await payment(id)).capture_id!);
    expect((await deliver(w.ctx, transmissionOf('PAYMENT.CAPTURE.COMPLETED', orderId))).status).toBe(200);
    expect(await payment(id)).toMatchObject({ status: 'completed', completed_at: expect.any(Date) });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before + 22_000_000n);
  });

  it('a notice PayPal cannot be asked about right now is answered 503, so PayPal redelivers; the redelivery credits', async () => {
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { id, orderId } = await topUp('21.00');
    w.emu.approve(orderId);
    w.emu.inject('pending');
    await w.olivia('POST', `/wallet/top-ups/${id}/capture`);
    w.emu.completePending((await payment(id)).capture_id!);
    const completed = transmissionOf('PAYMENT.CAPTURE.COMPLETED', orderId);
    w.emu.inject('server_error', { on: 'get_capture' });
    expect((await deliver(w.ctx, completed)).status).toBe(503);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before);
    expect((await deliver(w.ctx, completed)).status).toBe(200);
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before + 21_000_000n);
    expect((await deliveries(completed.eventId)).map((d) => d.outcome)).toEqual(['failed', 'processed']);
  });

  it('a pending capture that PayPal denies ends denied, with nothing credited', async () => {
    const before = await balanceOf(w.ctx, w.cast.acme);
    const { id, orderId } = await topUp('23.00');
    w.emu.approve(orderId);
    w.emu.inject('pending');
    await w.olivia('POST', `/wallet/top-ups/${id}/capture`);
    w.emu.denyPending((await payment(id)).capture_id!);
    expect((await deliver(w.ctx, transmissionOf('PAYMENT.CAPTURE.DENIED', orderId))).status).toBe(200);
    expect(await payment(id)).toMatchObject({ status: 'denied' });
    expect(await balanceOf(w.ctx, w.cast.acme)).toBe(before);
  });

  it('is refused when no webhook id is configured (fails closed), and a body over 1 MiB is refused unread', async () => {
    const { id, orderId } = await topUp('24.00');
    w.emu.approve(orderId);
    const { paypalWebhookId } = w.ctx.deps;
    w.ctx.deps.paypalWebhookId = undefined;
    try {
      expect((await deliver(w.ctx, transmissionOf('CHECKOUT.ORDER.APPROVED', orderId))).status).toBe(400);
    } finally {
      w.ctx.deps.paypalWebhookId = paypalWebhookId;
    }
    expect((await payment(id)).status).toBe('created');
    const huge = await deliver(w.ctx, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'WH-HUGE', padding: 'x'.repeat(1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
  });
});
