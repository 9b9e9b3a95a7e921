import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPayPalEmulator, type PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import { capturedPayment, clientFor, paypalErrorOf, startPayPalGate, topUp } from './helpers.ts';

describe('Refunding a PayPal capture through the emulator', () => {
  let emu: PayPalEmulator;
  beforeEach(async () => {
    emu = await startPayPalEmulator();
  });
  afterEach(async () => {
    await emu.close();
  });

  it('partial refunds add up to the captured amount and then the capture is fully refunded', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu, { amount: '25.00' });

    const first = await paypal.refundCapture(captureId, {
      amount: '10.00',
      currency: 'USD',
      requestId: 'refund-1',
      note: 'Partial refund',
    });
    expect(first).toMatchObject({
      status: 'COMPLETED',
      amount: { currency_code: 'USD', value: '10.00' },
      note_to_payer: 'Partial refund',
    });
    expect((await paypal.getCapture(captureId)).status).toBe('PARTIALLY_REFUNDED');

    const rest = await paypal.refundCapture(captureId, { amount: '15.00', currency: 'USD', requestId: 'refund-2' });
    expect(rest.seller_payable_breakdown?.total_refunded_amount).toEqual({ currency_code: 'USD', value: '25.00' });
    expect((await paypal.getCapture(captureId)).status).toBe('REFUNDED');
    expect((await paypal.getRefund(rest.id)).links?.find((l) => l.rel === 'up')?.href).toBe(
      `${emu.url}/v2/payments/captures/${captureId}`,
    );
  });

  it('a refund above what is left of the capture is refused with REFUND_AMOUNT_EXCEEDED and refunds nothing', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu, { amount: '25.00' });
    await paypal.refundCapture(captureId, { amount: '20.00', currency: 'USD', requestId: 'refund-1' });
    const err = await paypalErrorOf(
      paypal.refundCapture(captureId, { amount: '5.01', currency: 'USD', requestId: 'refund-2' }),
    );

    expect(err).toMatchObject({ status: 422, issue: 'REFUND_AMOUNT_EXCEEDED', retryable: false });
    expect(emu.refunds.size).toBe(1);
    expect(emu.captures.get(captureId)?.refundedMinor).toBe(2000n);
  });

  it('a full refund without an amount refunds everything, and a second one is refused', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu, { amount: '25.00' });
    const full = await paypal.refundCapture(captureId, { currency: 'USD', requestId: 'refund-full-1' });
    const err = await paypalErrorOf(paypal.refundCapture(captureId, { currency: 'USD', requestId: 'refund-full-2' }));

    expect(full.amount).toEqual({ currency_code: 'USD', value: '25.00' });
    expect(err).toMatchObject({ status: 422, issue: 'CAPTURE_FULLY_REFUNDED', retryable: false });
    expect(emu.refunds.size).toBe(1);
  });

  it('repeating a refund with the same request id replays it and never refunds twice', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu);
    const first = await paypal.refundCapture(captureId, { amount: '5.00', currency: 'USD', requestId: 'refund-once' });
    const again = await paypal.refundCapture(captureId, { amount: '5.00', currency: 'USD', requestId: 'refund-once' });

    expect(again.id).toBe(first.id);
    expect(emu.refunds.size).toBe(1);
    expect(emu.webhooks.filter((w) => w.eventType === 'PAYMENT.CAPTURE.REFUNDED')).toHaveLength(1);
  });

  it('a refund repeated while the first is still running is told to retry later, and one refund is made', async () => {
    const gate = await startPayPalGate(emu);
    try {
      const paypal = clientFor(emu, { baseUrl: gate.url });
      const captureId = await capturedPayment(paypal, emu);
      // The first refund reaches PayPal and is held there, mid-request, until the repeat has its answer.
      const held = gate.hold(/^POST \/v2\/payments\/captures\/[^/]+\/refund$/, 'inside');
      const first = paypal.refundCapture(captureId, { amount: '5.00', currency: 'USD', requestId: 'refund-race' });
      await held.arrived;
      await vi.waitUntil(() => emu.state.inFlight.size === 1);
      const second = await paypalErrorOf(
        paypal.refundCapture(captureId, { amount: '5.00', currency: 'USD', requestId: 'refund-race' }),
      );
      expect(second).toMatchObject({ status: 409, issue: 'PREVIOUS_REQUEST_IN_PROGRESS', retryable: true });
      expect(emu.refunds.size).toBe(0);
      held.release();

      expect((await first).status).toBe('COMPLETED');
      expect(emu.refunds.size).toBe(1);
      // Asked again now, PayPal replays the one refund.
      expect(
        (await paypal.refundCapture(captureId, { amount: '5.00', currency: 'USD', requestId: 'refund-race' })).id,
      ).toBe((await first).id);
    } finally {
      await gate.close();
    }
  });

  it('concurrent refunds with different request ids never refund more than was captured', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu, { amount: '25.00' });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        paypal.refundCapture(captureId, { amount: '10.00', currency: 'USD', requestId: `refund-${i}` }),
      ),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(emu.captures.get(captureId)?.refundedMinor).toBe(2000n);
  });

  it('a refund in another currency than the capture is refused', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu);
    const err = await paypalErrorOf(
      paypal.refundCapture(captureId, { amount: '5.00', currency: 'EUR', requestId: 'refund-eur' }),
    );

    expect(err).toMatchObject({ status: 422, issue: 'CURRENCY_MISMATCH' });
  });

  it('a refund with more decimals than the currency has is refused', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu);
    const err = await paypalErrorOf(
      paypal.refundCapture(captureId, { amount: '1.001', currency: 'USD', requestId: 'refund-precise' }),
    );

    expect(err).toMatchObject({ status: 422, issue: 'DECIMAL_PRECISION' });
  });

  it('a capture still pending cannot be refunded', async () => {
    const paypal = clientFor(emu);
    const { id } = await paypal.createOrder(topUp());
    emu.approve(id);
    emu.inject('pending');
    const result = await paypal.captureOrder(id, `capture-${id}`);
    if (result.outcome !== 'captured') throw new Error('expected a capture');
    const err = await paypalErrorOf(
      paypal.refundCapture(result.capture.id, { currency: 'USD', requestId: 'refund-pending' }),
    );

    expect(err).toMatchObject({ status: 422, issue: 'PENDING_CAPTURE' });
  });

  it('a refund PayPal reports PENDING completes later and only then marks the capture refunded', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu, { amount: '25.00' });
    emu.inject('refund_pending');
    const refund = await paypal.refundCapture(captureId, { currency: 'USD', requestId: 'refund-echeck' });

    expect(refund).toMatchObject({ status: 'PENDING', status_details: { reason: 'ECHECK' } });
    expect((await paypal.getCapture(captureId)).status).toBe('COMPLETED');
    // Still counted: nothing more can be refunded meanwhile.
    expect(
      (
        await paypalErrorOf(
          paypal.refundCapture(captureId, { amount: '0.01', currency: 'USD', requestId: 'refund-more' }),
        )
      ).issue,
    ).toBe('CAPTURE_FULLY_REFUNDED');

    emu.completeRefund(refund.id);
    expect((await paypal.getRefund(refund.id)).status).toBe('COMPLETED');
    expect((await paypal.getCapture(captureId)).status).toBe('REFUNDED');
  });

  it('refunding an unknown capture is RESOURCE_NOT_FOUND', async () => {
    const err = await paypalErrorOf(
      clientFor(emu).refundCapture('2GG279541U471931P', { currency: 'USD', requestId: 'refund-x' }),
    );

    expect(err).toMatchObject({ status: 404, issue: 'INVALID_RESOURCE_ID', retryable: false });
  });

  it('a chargeback leaves nothing to refund', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu);
    emu.reverse(captureId);
    const err = await paypalErrorOf(
      paypal.refundCapture(captureId, { currency: 'USD', requestId: 'refund-after-chargeback' }),
    );

    expect((await paypal.getCapture(captureId)).status).toBe('REFUNDED');
    expect(err).toMatchObject({ status: 422, issue: 'REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK' });
  });
});
