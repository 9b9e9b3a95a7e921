import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWebhookEvent, relatedIds } from '../../src/providers/paypal/events.ts';
import { startPayPalEmulator, type PayPalEmulator } from '../../src/providers/paypal/emulator.ts';
import { ACME_ORG, approvedOrder, capturedPayment, clientFor, startWebhookReceiver, topUp, type Delivery } from './helpers.ts';

describe('PayPal webhooks from the emulator', () => {
  let emu: PayPalEmulator;
  let app: Awaited<ReturnType<typeof startWebhookReceiver>>;
  beforeEach(async () => {
    app = await startWebhookReceiver();
    emu = await startPayPalEmulator({ appWebhookUrl: app.url, webhookId: 'WH-SKYPANEL-TEST' });
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  const received = async (type?: string): Promise<Delivery[]> => {
    await emu.settle();
    return app.deliveries.filter((d) => !type || parseWebhookEvent(d.body)?.event_type === type);
  };
  const verify = (d: Delivery, over: { headers?: Record<string, string>; body?: string; webhookId?: string } = {}) =>
    clientFor(emu).verifyWebhookSignature({ headers: { ...d.headers, ...over.headers }, body: over.body ?? d.body, webhookId: over.webhookId ?? 'WH-SKYPANEL-TEST' });

  it('a capture is delivered to the app as a signed PAYMENT.CAPTURE.COMPLETED event in PayPal’s envelope', async () => {
    const paypal = clientFor(emu);
    const orderId = await approvedOrder(paypal, emu);
    await paypal.captureOrder(orderId, `capture-${orderId}`);
    const [delivery] = await received('PAYMENT.CAPTURE.COMPLETED');

    expect(delivery?.headers).toMatchObject({
      'content-type': 'application/json',
      'paypal-auth-algo': 'SHA256withRSA',
      'paypal-transmission-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'paypal-transmission-time': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      'paypal-transmission-sig': expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      'paypal-cert-url': expect.stringMatching(new RegExp(`^${emu.url}/`)),
    });
    const event = parseWebhookEvent(delivery!.body)!;
    expect(event).toMatchObject({
      id: expect.stringMatching(/^WH-/),
      event_version: '1.0',
      resource_type: 'capture',
      resource_version: '2.0',
      resource: { status: 'COMPLETED', amount: { currency_code: 'USD', value: '25.00' }, custom_id: ACME_ORG },
    });
    const [capture] = emu.captures.values();
    expect(relatedIds(event)).toEqual({ captureId: capture!.id, orderId });
    expect(await verify(delivery!)).toBe(true);
  });

  it('the buyer’s approval is delivered as CHECKOUT.ORDER.APPROVED', async () => {
    const { id } = await clientFor(emu).createOrder(topUp());
    emu.approve(id);
    const [delivery] = await received('CHECKOUT.ORDER.APPROVED');
    const event = parseWebhookEvent(delivery!.body)!;

    expect(event.resource_type).toBe('checkout-order');
    expect(event.resource).toMatchObject({ id, status: 'APPROVED' });
    expect(relatedIds(event)).toEqual({ orderId: id, captureId: undefined });
  });

  it('a delivery whose body was tampered with does not verify', async () => {
    const paypal = clientFor(emu);
    await capturedPayment(paypal, emu, { amount: '25.00' });
    const [delivery] = await received('PAYMENT.CAPTURE.COMPLETED');

    expect(await verify(delivery!, { body: delivery!.body.replace('"25.00"', '"2500.00"') })).toBe(false);
    expect(await verify(delivery!, { body: delivery!.body.replace(ACME_ORG, '00000000-0000-4000-8000-000000000000') })).toBe(false);
  });

  it('a delivery whose transmission headers were tampered with does not verify', async () => {
    const paypal = clientFor(emu);
    await capturedPayment(paypal, emu);
    const deliveries = await received();
    const [a, b] = deliveries;

    expect(await verify(a!, { headers: { 'paypal-transmission-time': '2020-01-01T00:00:00Z' } })).toBe(false);
    expect(await verify(a!, { headers: { 'paypal-transmission-sig': b!.headers['paypal-transmission-sig']! } })).toBe(false);
    expect(await verify(a!, { headers: { 'paypal-transmission-id': b!.headers['paypal-transmission-id']! } })).toBe(false);
    expect(await verify(a!, { headers: { 'paypal-cert-url': 'https://attacker.example/cert.pem' } })).toBe(false);
    expect(await verify(a!, { headers: { 'paypal-auth-algo': 'SHA1withRSA' } })).toBe(false);
    expect(await verify(a!)).toBe(true);
  });

  it('a genuine delivery checked against another webhook id does not verify', async () => {
    await capturedPayment(clientFor(emu), emu);
    const [delivery] = await received('PAYMENT.CAPTURE.COMPLETED');

    expect(await verify(delivery!, { webhookId: 'WH-SOMEONE-ELSE' })).toBe(false);
  });

  it('without a configured webhook id nothing verifies, and PayPal is not even asked', async () => {
    await capturedPayment(clientFor(emu), emu);
    const [delivery] = await received('PAYMENT.CAPTURE.COMPLETED');
    const before = emu.requests.length;

    expect(await verify(delivery!, { webhookId: '' })).toBe(false);
    expect(emu.requests.length).toBe(before);
  });

  it('a delivery missing a transmission header or with a body that is not JSON does not verify', async () => {
    await capturedPayment(clientFor(emu), emu);
    const [delivery] = await received('PAYMENT.CAPTURE.COMPLETED');
    const { 'paypal-transmission-sig': _sig, ...unsigned } = delivery!.headers;

    expect(await clientFor(emu).verifyWebhookSignature({ headers: unsigned, body: delivery!.body, webhookId: 'WH-SKYPANEL-TEST' })).toBe(false);
    expect(await verify(delivery!, { body: 'not json' })).toBe(false);
  });

  it('a delivery signed by another emulator does not verify here', async () => {
    const other = await startPayPalEmulator({ webhookId: 'WH-SKYPANEL-TEST' });
    try {
      await capturedPayment(clientFor(other), other);
      const forged = other.webhooks.find((w) => w.eventType === 'PAYMENT.CAPTURE.COMPLETED')!;

      expect(await clientFor(other).verifyWebhookSignature({ headers: forged.headers, body: forged.body, webhookId: 'WH-SKYPANEL-TEST' })).toBe(true);
      expect(await clientFor(emu).verifyWebhookSignature({ headers: forged.headers, body: forged.body, webhookId: 'WH-SKYPANEL-TEST' })).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('a webhook can be verified from Headers as well as from a plain header record', async () => {
    await capturedPayment(clientFor(emu), emu);
    const [delivery] = await received('PAYMENT.CAPTURE.COMPLETED');

    expect(await clientFor(emu).verifyWebhookSignature({ headers: new Headers(delivery!.headers), body: delivery!.body, webhookId: 'WH-SKYPANEL-TEST' })).toBe(true);
  });

  it('a pending capture is announced as PENDING, then as COMPLETED once it clears', async () => {
    const paypal = clientFor(emu);
    const orderId = await approvedOrder(paypal, emu);
    emu.inject('pending');
    const result = await paypal.captureOrder(orderId, `capture-${orderId}`);
    if (result.outcome !== 'captured') throw new Error('expected a capture');

    expect(await received('PAYMENT.CAPTURE.COMPLETED')).toHaveLength(0);
    const [pending] = await received('PAYMENT.CAPTURE.PENDING');
    expect(parseWebhookEvent(pending!.body)?.resource).toMatchObject({ id: result.capture.id, status: 'PENDING' });

    emu.completePending(result.capture.id);
    const [completed] = await received('PAYMENT.CAPTURE.COMPLETED');
    expect(parseWebhookEvent(completed!.body)?.resource).toMatchObject({ id: result.capture.id, status: 'COMPLETED' });
    expect(await verify(completed!)).toBe(true);
  });

  it('a pending capture that is denied is announced as PAYMENT.CAPTURE.DENIED', async () => {
    const paypal = clientFor(emu);
    const orderId = await approvedOrder(paypal, emu);
    emu.inject('pending');
    const result = await paypal.captureOrder(orderId, `capture-${orderId}`);
    if (result.outcome !== 'captured') throw new Error('expected a capture');
    emu.denyPending(result.capture.id);
    const [denied] = await received('PAYMENT.CAPTURE.DENIED');

    expect(parseWebhookEvent(denied!.body)?.resource).toMatchObject({ id: result.capture.id, status: 'DECLINED' });
    expect((await paypal.getCapture(result.capture.id)).status).toBe('DECLINED');
  });

  it('a declined capture is announced as PAYMENT.CAPTURE.DECLINED', async () => {
    const paypal = clientFor(emu);
    const { id } = await paypal.createOrder(topUp());
    emu.decline(id);
    await paypal.captureOrder(id, `capture-${id}`);

    expect(await received('PAYMENT.CAPTURE.DECLINED')).toHaveLength(1);
  });

  it('refunds and chargebacks are announced with a refund resource that points at the capture', async () => {
    const paypal = clientFor(emu);
    const captureId = await capturedPayment(paypal, emu, { amount: '25.00' });
    const refund = await paypal.refundCapture(captureId, { amount: '5.00', currency: 'USD', requestId: 'refund-1' });
    emu.reverse(captureId);
    const [refunded] = await received('PAYMENT.CAPTURE.REFUNDED');
    const [reversed] = await received('PAYMENT.CAPTURE.REVERSED');

    expect(relatedIds(parseWebhookEvent(refunded!.body)!)).toEqual({ refundId: refund.id, captureId });
    const reversal = parseWebhookEvent(reversed!.body)!;
    expect(reversal.resource).toMatchObject({ amount: { value: '20.00' }, status: 'COMPLETED' });
    expect(relatedIds(reversal).captureId).toBe(captureId);
  });

  it('with duplicate webhooks injected every event arrives twice, as two genuine transmissions', async () => {
    emu.inject('duplicate_webhooks');
    await capturedPayment(clientFor(emu), emu);
    const completed = await received('PAYMENT.CAPTURE.COMPLETED');
    const approved = await received('CHECKOUT.ORDER.APPROVED');

    expect(completed).toHaveLength(2);
    expect(approved).toHaveLength(2);
    expect(parseWebhookEvent(completed[0]!.body)?.id).toBe(parseWebhookEvent(completed[1]!.body)?.id);
    expect(completed[0]!.headers['paypal-transmission-id']).not.toBe(completed[1]!.headers['paypal-transmission-id']);
    expect(await verify(completed[0]!)).toBe(true);
    expect(await verify(completed[1]!)).toBe(true);
  });

  it('an event can be delivered again, as PayPal redelivers after a failure', async () => {
    await capturedPayment(clientFor(emu), emu);
    const [first] = await received('PAYMENT.CAPTURE.COMPLETED');
    emu.redeliver(parseWebhookEvent(first!.body)!.id);
    const both = await received('PAYMENT.CAPTURE.COMPLETED');

    expect(both).toHaveLength(2);
    expect(both[1]!.body).toBe(first!.body);
  });

  it('the emulator records how the app answered each delivery', async () => {
    const failing = await startWebhookReceiver(500);
    const emu2 = await startPayPalEmulator({ appWebhookUrl: failing.url });
    try {
      await capturedPayment(clientFor(emu2), emu2);
      await emu2.settle();
      expect(emu2.webhooks.map((w) => w.response)).toEqual([{ status: 500 }, { status: 500 }]);
    } finally {
      await emu2.close();
      await failing.close();
    }
  });

  it('the verify endpoint answers FAILURE (HTTP 200) for a transmission it never sent', async () => {
    const res = await fetch(`${emu.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await res.json()) as { access_token: string };
    const verifyRes = await fetch(`${emu.url}/v1/notifications/verify-webhook-signature`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        auth_algo: 'SHA256withRSA',
        cert_url: `${emu.url}/v1/notifications/certs/CERT`,
        transmission_id: '69cd13f0-d67a-11e5-baa3-778b53f4ae55',
        transmission_sig: 'bm90IGEgc2lnbmF0dXJl',
        transmission_time: '2026-01-01T00:00:00Z',
        webhook_id: 'WH-SKYPANEL-TEST',
        webhook_event: { id: 'WH-FAKE', event_type: 'PAYMENT.CAPTURE.COMPLETED' },
      }),
    });

    expect(verifyRes.status).toBe(200);
    expect(await verifyRes.json()).toEqual({ verification_status: 'FAILURE' });
  });
});
