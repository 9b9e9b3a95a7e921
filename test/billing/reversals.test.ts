import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { inTransaction } from '../../src/db/index.ts';
import { RefundsUnconfirmedError, takeBack } from '../../src/domain/payments/paypal-returns.ts';
import { refundPayment } from '../../src/domain/payments/refunds.ts';
import { syncRefund } from '../../src/domain/payments/refund-settlement.ts';
import { createPerson } from '../helpers/people.ts';
import { balanceOf, deliver, orderOf, sent, useBillingWorld } from './helpers.ts';

/**
 * Money PayPal gives back without our refund flow, delivered to the app's webhook as PayPal
 * would: a chargeback (PAYMENT.CAPTURE.REVERSED) and a refund made in PayPal's own dashboard
 * (PAYMENT.CAPTURE.REFUNDED that is not ours). Each is taken from the wallet once, and never
 * more than the wallet still holds of that payment; a refund of ours still pending when one
 * arrives is settled with PayPal first, so its money is neither taken twice nor kept.
 */
const w = useBillingWorld();
let staff: Actor;

beforeAll(async () => {
  const ada = await createPerson(w.ctx, 'Ada Admin', { isAdmin: true, verified: true });
  staff = {
    userId: ada.id,
    isPlatformAdmin: true,
    organizationId: null,
    roleName: null,
    permissions: new Set(),
    impersonatorUserId: null,
    apiKeyId: null,
    origin: { ip: '192.0.2.9', userAgent: null },
  };
});

/** Olivia tops up through PayPal (approved, captured, credited). */
async function paidTopUp(amount: string) {
  const res = await w.olivia('POST', '/wallet/top-ups', { amount });
  expect(res.status).toBe(201);
  const orderId = await orderOf(w.ctx, res.body.id);
  w.emu.approve(orderId);
  expect((await w.olivia('POST', `/wallet/top-ups/${res.body.id}/capture`)).body.status).toBe('completed');
  const { capture_id } = await payment(res.body.id);
  return { id: res.body.id as string, orderId, captureId: capture_id! };
}

const payment = (id: string) =>
  w.ctx.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const refundRow = (id: string) =>
  w.ctx.db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const balance = () => balanceOf(w.ctx, w.cast.acme);
/** What one payment did to the wallet, all postings together (top-up, refunds, reversals). */
async function netOf(paymentId: string): Promise<bigint> {
  const { rows } = await sql<{ net: string }>`
    select coalesce(sum(e.amount), 0) as net from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
     where e.wallet_id is not null and t.details->>'payment_id' = ${paymentId}`.execute(w.ctx.db);
  return BigInt(rows[0]!.net);
}
const takeBacks = (paymentId: string) =>
  w.ctx.db
    .selectFrom('ledger_transactions')
    .select(['idempotency_key'])
    .where('kind', '=', 'top_up_reversal')
    .where(sql<boolean>`details->>'payment_id' = ${paymentId}`)
    .execute();

/** The newest transmission of `type` that mentions `id` (a capture or refund id). */
async function notice(type: string, id: string) {
  await w.emu.settle();
  const found = sent(w.emu, type)
    .filter((x) => x.body.includes(id))
    .at(-1);
  expect(found, `${type} about ${id}`).toBeDefined();
  return found!;
}
/** A refund made in PayPal's dashboard: straight to PayPal, not through SkyPanel. */
const dashboardRefund = (captureId: string, amount: string) =>
  w.ctx.deps.paypal!.refundCapture(captureId, {
    amount,
    currency: 'USD',
    requestId: `dashboard-${crypto.randomUUID()}`,
  });
const ourRefund = (paymentId: string, amount: string, destination: 'paypal' | 'wallet' = 'paypal') =>
  refundPayment(w.ctx.deps, staff, { paymentId, amount, destination, reason: 'Customer asked' });

describe('a chargeback (PAYMENT.CAPTURE.REVERSED)', () => {
  it('takes the top-up back from the wallet once, delivered twice at once and then redelivered', async () => {
    const p = await paidTopUp('25.00');
    const before = await balance();
    w.emu.reverse(p.captureId);
    const reversed = await notice('PAYMENT.CAPTURE.REVERSED', p.captureId);

    const answers = await Promise.all([deliver(w.ctx, reversed), deliver(w.ctx, reversed)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    w.emu.redeliver(reversed.eventId);
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REVERSED', p.captureId))).status).toBe(200);

    expect(await balance()).toBe(before - 25_000_000n);
    expect(await netOf(p.id)).toBe(0n);
    expect(await takeBacks(p.id)).toEqual([{ idempotency_key: `paypal:reversed:${p.captureId}` }]);
    expect(await payment(p.id)).toMatchObject({ status: 'reversed', refunded_amount: 25_000_000n });
  });

  it('arriving while our refund to PayPal is pending takes only what the wallet still holds; the refund completing takes nothing more', async () => {
    const p = await paidTopUp('25.00');
    const before = await balance();
    w.emu.inject('refund_pending');
    const { refund } = await ourRefund(p.id, '10.00');
    expect(refund).toMatchObject({ status: 'pending', provider_refund_id: expect.any(String) });
    expect(await balance()).toBe(before - 10_000_000n);

    // PayPal counts the pending refund: the chargeback takes the other 15.00.
    w.emu.reverse(p.captureId);
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REVERSED', p.captureId))).status).toBe(200);
    expect(await balance()).toBe(before - 25_000_000n);

    w.emu.completeRefund(refund.provider_refund_id!);
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', refund.provider_refund_id!))).status).toBe(
      200,
    );
    expect(await refundRow(refund.id)).toMatchObject({ status: 'completed' });
    expect(await balance()).toBe(before - 25_000_000n);
    expect(await netOf(p.id)).toBe(0n);
    expect(await payment(p.id)).toMatchObject({ status: 'reversed', refunded_amount: 25_000_000n });
  });

  it('arriving while a refund PayPal never received is pending settles that refund first (PayPal refuses it), then takes the whole top-up', async () => {
    const p = await paidTopUp('25.00');
    const before = await balance();
    // PayPal fails while we ask: the refund stays pending, PayPal knows nothing of it.
    w.emu.inject('server_error', { on: 'refund' });
    const { refund } = await ourRefund(p.id, '10.00');
    expect(refund).toMatchObject({ status: 'pending', provider_refund_id: null });

    w.emu.reverse(p.captureId);
    const reversed = await notice('PAYMENT.CAPTURE.REVERSED', p.captureId);
    // While PayPal cannot say what became of our refund, the chargeback waits (503: PayPal redelivers).
    w.emu.inject('server_error', { on: 'refund' });
    expect((await deliver(w.ctx, reversed)).status).toBe(503);
    expect(await balance()).toBe(before - 10_000_000n);
    expect(await takeBacks(p.id)).toEqual([]);

    expect((await deliver(w.ctx, reversed)).status).toBe(200);
    expect(await refundRow(refund.id)).toMatchObject({
      status: 'failed',
      failure_reason: expect.stringContaining('CHARGEBACK'),
    });
    // At no point did the wallet give up more than the 25.00 it was credited.
    expect(await balance()).toBe(before - 25_000_000n);
    expect(await netOf(p.id)).toBe(0n);
    expect(await payment(p.id)).toMatchObject({ status: 'reversed', refunded_amount: 25_000_000n });
    // Asking again later changes nothing.
    expect((await syncRefund(w.ctx.deps, refund.id)).status).toBe('failed');
    expect(await balance()).toBe(before - 25_000_000n);
  });
  it('reported larger than the wallet holds beside a refund of ours still unsettled, waits: it takes neither too much nor too little', async () => {
    // The moment between settling our pending refunds with PayPal and taking the chargeback,
    // when staff ask for a refund PayPal will never get: the chargeback must not take only the rest.
    const p = await paidTopUp('25.00');
    const before = await balance();
    w.emu.inject('server_error', { on: 'refund' });
    await ourRefund(p.id, '10.00');
    w.emu.reverse(p.captureId);
    await expect(
      inTransaction(w.ctx.db, async (trx) => {
        const locked = await trx
          .selectFrom('payments')
          .selectAll()
          .where('id', '=', p.id)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const wallet = await trx
          .selectFrom('wallets')
          .select('id')
          .where('organization_id', '=', w.cast.acme)
          .executeTakeFirstOrThrow();
        return takeBack(
          trx,
          locked,
          wallet.id,
          { key: `paypal:reversed:${p.captureId}`, amount: 25_000_000n, reversal: true, details: {} },
          w.ctx.clock.now(),
        );
      }),
    ).rejects.toBeInstanceOf(RefundsUnconfirmedError);
    expect(await balance()).toBe(before - 10_000_000n);
    expect(await takeBacks(p.id)).toEqual([]);
    // Delivered, the notice settles the refund with PayPal first and then takes the whole top-up.
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REVERSED', p.captureId))).status).toBe(200);
    expect(await balance()).toBe(before - 25_000_000n);
  });
});

describe("a refund made in PayPal's dashboard (PAYMENT.CAPTURE.REFUNDED, not ours)", () => {
  it('is taken from the wallet once however often it is delivered, and a second one takes only its own amount', async () => {
    const p = await paidTopUp('25.00');
    const before = await balance();
    const first = await dashboardRefund(p.captureId, '10.00');
    const refunded = await notice('PAYMENT.CAPTURE.REFUNDED', first.id);
    expect((await Promise.all([deliver(w.ctx, refunded), deliver(w.ctx, refunded)])).map((a) => a.status)).toEqual([
      200, 200,
    ]);
    w.emu.redeliver(refunded.eventId);
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', first.id))).status).toBe(200);
    expect(await balance()).toBe(before - 10_000_000n);
    expect(await payment(p.id)).toMatchObject({ status: 'completed', refunded_amount: 10_000_000n });

    const rest = await dashboardRefund(p.captureId, '15.00');
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', rest.id))).status).toBe(200);
    expect(await balance()).toBe(before - 25_000_000n);
    expect(await payment(p.id)).toMatchObject({ status: 'refunded', refunded_amount: 25_000_000n });
    expect((await takeBacks(p.id)).map((t) => t.idempotency_key).sort()).toEqual(
      [`paypal:refund:${first.id}`, `paypal:refund:${rest.id}`].sort(),
    );
  });

  it('and a capture that then reads REFUNDED take the money once between them, in either order', async () => {
    // The notice first, then a late capture notice that reads the capture (REFUNDED).
    const a = await paidTopUp('20.00');
    const beforeA = await balance();
    const full = await dashboardRefund(a.captureId, '20.00');
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', full.id))).status).toBe(200);
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.COMPLETED', a.captureId))).status).toBe(200);
    expect(await balance()).toBe(beforeA - 20_000_000n);
    expect(await payment(a.id)).toMatchObject({ status: 'refunded', refunded_amount: 20_000_000n });

    // The capture read first, then the refund's notice.
    const b = await paidTopUp('20.00');
    const beforeB = await balance();
    const part = await dashboardRefund(b.captureId, '5.00');
    const rest = await dashboardRefund(b.captureId, '15.00');
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.COMPLETED', b.captureId))).status).toBe(200);
    expect(await balance()).toBe(beforeB - 20_000_000n);
    for (const r of [part, rest])
      expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', r.id))).status).toBe(200);
    expect(await balance()).toBe(beforeB - 20_000_000n);
    expect(await netOf(b.id)).toBe(0n);
    expect(await payment(b.id)).toMatchObject({ status: 'refunded', refunded_amount: 20_000_000n });
  });

  it('while our refund to PayPal is pending takes only its own amount, which PayPal keeps within what is left', async () => {
    const p = await paidTopUp('25.00');
    const before = await balance();
    w.emu.inject('refund_pending');
    const { refund } = await ourRefund(p.id, '10.00');
    // PayPal will not refund in its dashboard what our pending refund already claims.
    await expect(dashboardRefund(p.captureId, '25.00')).rejects.toMatchObject({ issue: 'REFUND_AMOUNT_EXCEEDED' });
    const outside = await dashboardRefund(p.captureId, '15.00');
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', outside.id))).status).toBe(200);
    expect(await balance()).toBe(before - 25_000_000n);
    w.emu.completeRefund(refund.provider_refund_id!);
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', refund.provider_refund_id!))).status).toBe(
      200,
    );
    expect(await balance()).toBe(before - 25_000_000n);
    expect(await payment(p.id)).toMatchObject({ status: 'refunded', refunded_amount: 25_000_000n });
  });

  it('while a refund of ours PayPal never received is pending, never takes more than the wallet holds of the payment', async () => {
    const p = await paidTopUp('25.00');
    const before = await balance();
    w.emu.inject('server_error', { on: 'refund' });
    const { refund } = await ourRefund(p.id, '10.00');
    expect(refund).toMatchObject({ status: 'pending', provider_refund_id: null });
    // PayPal knows nothing of it, so its dashboard refunds everything.
    const outside = await dashboardRefund(p.captureId, '25.00');
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', outside.id))).status).toBe(200);
    expect(await refundRow(refund.id)).toMatchObject({
      status: 'failed',
      failure_reason: expect.stringContaining('CAPTURE_FULLY_REFUNDED'),
    });
    expect(await balance()).toBe(before - 25_000_000n);
    expect(await netOf(p.id)).toBe(0n);
    expect(await payment(p.id)).toMatchObject({ status: 'refunded', refunded_amount: 25_000_000n });
  });

  it('read from the capture alone (REFUNDED) while a refund PayPal never received is pending: that refund is settled first, the rest taken at once', async () => {
    const p = await paidTopUp('25.00');
    const before = await balance();
    w.emu.inject('server_error', { on: 'refund' });
    const { refund } = await ourRefund(p.id, '10.00');
    await dashboardRefund(p.captureId, '25.00');
    // Only the capture's own notice arrives: the capture reads REFUNDED.
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.COMPLETED', p.captureId))).status).toBe(200);
    expect(await refundRow(refund.id)).toMatchObject({ status: 'failed' });
    expect(await balance()).toBe(before - 25_000_000n);
    expect(await payment(p.id)).toMatchObject({ status: 'refunded', refunded_amount: 25_000_000n });
  });

  it('takes back all PayPal returned even after a refund as wallet credit: refunded_amount stays what PayPal gave back', async () => {
    // A credit note took nothing out of the wallet; PayPal returning the whole capture takes the whole top-up back.
    const p = await paidTopUp('25.00');
    const before = await balance();
    await ourRefund(p.id, '10.00', 'wallet');
    expect(await balance()).toBe(before + 10_000_000n);
    const outside = await dashboardRefund(p.captureId, '25.00');
    expect((await deliver(w.ctx, await notice('PAYMENT.CAPTURE.REFUNDED', outside.id))).status).toBe(200);
    expect(await balance()).toBe(before + 10_000_000n - 25_000_000n);
    expect(await payment(p.id)).toMatchObject({ status: 'refunded', refunded_amount: 25_000_000n });
  });
});
