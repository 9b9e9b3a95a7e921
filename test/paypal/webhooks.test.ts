import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { purgeExpiredJob } from '../../jobs/purge-expired.ts';
import * as keepDigests from '../../migrations/2026_11_27_0006_keep_webhook_digests.ts';
import { parseWebhookEvent, relatedIds } from '../../src/providers/paypal/events.ts';
import { startPayPalEmulator, type PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import { billingContext } from '../billing/helpers.ts';
import { createTestDatabase } from '../helpers/db.ts';
import {
  ACME_ORG,
  approvedOrder,
  capturedPayment,
  clientFor,
  startWebhookReceiver,
  topUp,
  type Delivery,
} from './helpers.ts';

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
    clientFor(emu).verifyWebhookSignature({
      headers: { ...d.headers, ...over.headers },
      body: over.body ?? d.body,
      webhookId: over.webhookId ?? 'WH-SKYPANEL-TEST',
    });

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
    expect(
      await verify(delivery!, { body: delivery!.body.replace(ACME_ORG, '00000000-0000-4000-8000-000000000000') }),
    ).toBe(false);
  });

  it('a delivery whose transmission headers were tampered with does not verify', async () => {
    const paypal = clientFor(emu);
    await capturedPayment(paypal, emu);
    const deliveries = await received();
    const [a, b] = deliveries;

    expect(await verify(a!, { headers: { 'paypal-transmission-time': '2020-01-01T00:00:00Z' } })).toBe(false);
    expect(await verify(a!, { headers: { 'paypal-transmission-sig': b!.headers['paypal-transmission-sig']! } })).toBe(
      false,
    );
    expect(await verify(a!, { headers: { 'paypal-transmission-id': b!.headers['paypal-transmission-id']! } })).toBe(
      false,
    );
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

    expect(
      await clientFor(emu).verifyWebhookSignature({
        headers: unsigned,
        body: delivery!.body,
        webhookId: 'WH-SKYPANEL-TEST',
      }),
    ).toBe(false);
    expect(await verify(delivery!, { body: 'not json' })).toBe(false);
  });

  it('a delivery signed by another emulator does not verify here', async () => {
    const other = await startPayPalEmulator({ webhookId: 'WH-SKYPANEL-TEST' });
    try {
      await capturedPayment(clientFor(other), other);
      const forged = other.webhooks.find((w) => w.eventType === 'PAYMENT.CAPTURE.COMPLETED')!;

      expect(
        await clientFor(other).verifyWebhookSignature({
          headers: forged.headers,
          body: forged.body,
          webhookId: 'WH-SKYPANEL-TEST',
        }),
      ).toBe(true);
      expect(
        await clientFor(emu).verifyWebhookSignature({
          headers: forged.headers,
          body: forged.body,
          webhookId: 'WH-SKYPANEL-TEST',
        }),
      ).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('a webhook can be verified from Headers as well as from a plain header record', async () => {
    await capturedPayment(clientFor(emu), emu);
    const [delivery] = await received('PAYMENT.CAPTURE.COMPLETED');

    expect(
      await clientFor(emu).verifyWebhookSignature({
        headers: new Headers(delivery!.headers),
        body: delivery!.body,
        webhookId: 'WH-SKYPANEL-TEST',
      }),
    ).toBe(true);
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
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
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

describe('POST /webhooks/paypal: what anyone can send', () => {
  // A small anonymous limit, so the per-address limit is reached in a few deliveries.
  const LIMIT = 12;
  let world: Awaited<ReturnType<typeof billingContext>>;
  beforeAll(async () => {
    world = await billingContext({ RATE_LIMIT_ANONYMOUS: String(LIMIT) });
  });
  afterAll(async () => world.close());

  let ipSeq = 0;
  /** A client address of its own for each test, so the per-address limit is the test's own. */
  const nextIp = () => `198.51.100.${++ipSeq}`;
  const post = (ip: string, d: { headers: Record<string, string>; body: string }) =>
    world.ctx.app.request('/webhooks/paypal', {
      method: 'POST',
      headers: { ...d.headers, 'x-forwarded-for': ip },
      body: d.body,
    });
  const verifications = () =>
    world.emu.requests.filter((r) => r.path === '/v1/notifications/verify-webhook-signature').length;
  const rowsOf = (eventId: string) =>
    world.ctx.db
      .selectFrom('webhook_deliveries')
      .select(['verified', 'outcome', 'payload', 'body_sha256', 'body_excerpt'])
      .where('event_id', '=', eventId)
      .orderBy('received_at')
      .execute();
  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

  /** A genuine transmission the emulator signed: an approval of an order the app never made (ignored once verified). */
  async function genuine() {
    const orderId = await approvedOrder(clientFor(world.emu), world.emu);
    await world.emu.settle();
    return world.emu.webhooks.find((w) => w.eventType === 'CHECKOUT.ORDER.APPROVED' && w.body.includes(orderId))!;
  }
  /** A PayPal-shaped event nobody signed, padded to about 100 KB. */
  const forgedEvent = () => {
    const id = `WH-FORGED-${randomUUID()}`;
    return {
      id,
      body: JSON.stringify({
        id,
        event_type: 'CHECKOUT.ORDER.APPROVED',
        resource: { id: 'ORDER-1' },
        padding: 'x'.repeat(100 * 1024),
      }),
    };
  };

  it('a delivery whose signature headers are missing or malformed is refused without asking PayPal', async () => {
    const real = (await genuine()).headers;
    const malformed: Array<[string, Record<string, string>]> = [
      ['no headers at all', { 'content-type': 'application/json' }],
      ['no signature', { ...real, 'paypal-transmission-sig': '' }],
      ['a transmission id that is not a uuid', { ...real, 'paypal-transmission-id': 'not-a-transmission' }],
      ['a time that is not ISO 8601', { ...real, 'paypal-transmission-time': 'yesterday' }],
      ['a signature that is not base64', { ...real, 'paypal-transmission-sig': 'not base64 at all!' }],
      ['a certificate URL that is not http(s)', { ...real, 'paypal-cert-url': 'file:///etc/passwd' }],
      ['an algorithm PayPal does not use', { ...real, 'paypal-auth-algo': 'none' }],
    ];
    const before = verifications();
    for (const [what, headers] of malformed) {
      const { id, body } = forgedEvent();
      const res = await post(nextIp(), { headers, body });
      expect(res.status, what).toBe(400);
      expect(await res.json(), what).toEqual({ outcome: 'rejected' });
      expect(await rowsOf(id), what).toEqual([
        {
          verified: false,
          outcome: 'rejected',
          payload: null,
          body_sha256: sha256(body),
          body_excerpt: body.slice(0, 4096),
        },
      ]);
    }
    expect(verifications()).toBe(before);
  });

  it('a forgery with well-formed headers is checked with PayPal once, refused, and kept as a digest and its first 4 KB only', async () => {
    const { headers } = await genuine();
    const { id, body } = forgedEvent();
    const before = verifications();

    const res = await post(nextIp(), { headers, body });
    expect(res.status).toBe(400);
    expect(verifications()).toBe(before + 1);
    const [row] = await rowsOf(id);
    expect(row).toEqual({
      verified: false,
      outcome: 'rejected',
      payload: null,
      body_sha256: sha256(body),
      body_excerpt: body.slice(0, 4096),
    });
    expect(body.length).toBeGreaterThan(100 * 1024);
  });

  it('a genuine delivery keeps its whole event and its digest', async () => {
    const sent = await genuine();
    const res = await post(nextIp(), sent);
    expect(res.status).toBe(200);
    const [row] = await rowsOf(JSON.parse(sent.body).id as string);
    expect(row).toEqual({
      verified: true,
      outcome: 'ignored',
      payload: JSON.parse(sent.body),
      body_sha256: sha256(sent.body),
      body_excerpt: null,
    });
  });

  it(`an address sending more than ${LIMIT} deliveries a window is refused with 429 before the body is read; other addresses are not`, async () => {
    const ip = nextIp();
    for (let i = 0; i < LIMIT; i++)
      expect(
        (await post(ip, { headers: { 'content-type': 'application/json' }, body: forgedEvent().body })).status,
      ).toBe(400);
    const over = forgedEvent();
    // Over the limit even a body too large to accept is refused for the rate, unread.
    const res = await post(ip, {
      headers: { 'content-type': 'application/json' },
      body: over.body + ' '.repeat(1024 * 1024),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ outcome: 'rejected' });
    expect(await rowsOf(over.id)).toEqual([]);

    const elsewhere = forgedEvent();
    expect(
      (await post(nextIp(), { headers: { 'content-type': 'application/json' }, body: elsewhere.body })).status,
    ).toBe(400);
    expect(await rowsOf(elsewhere.id)).toHaveLength(1);
  });

  it('the purge job deletes verified deliveries after 30 days and unverified ones after 7, and keeps the rest', async () => {
    const start = world.ctx.clock.now();
    const day = 86_400_000;
    const at = async (daysAgo: number, d: { headers: Record<string, string>; body: string }) => {
      world.ctx.clock.set(new Date(start.getTime() - daysAgo * day));
      try {
        await post(nextIp(), d);
      } finally {
        world.ctx.clock.set(start);
      }
    };
    const verifiedOld = await genuine();
    const verifiedRecent = await genuine();
    const [unverifiedOld, unverifiedRecent] = [forgedEvent(), forgedEvent()];
    await at(30 * 1.01, verifiedOld);
    await at(29, verifiedRecent);
    await at(7 * 1.01, { headers: { 'content-type': 'application/json' }, body: unverifiedOld.body });
    await at(6, { headers: { 'content-type': 'application/json' }, body: unverifiedRecent.body });
    const idOf = (d: { body: string }) => JSON.parse(d.body).id as string;

    const summary = await purgeExpiredJob(world.ctx.deps, `purge-webhooks-${randomUUID()}`);

    expect(summary.webhook_deliveries).toBe(2);
    expect(await rowsOf(idOf(verifiedOld))).toEqual([]);
    expect(await rowsOf(unverifiedOld.id)).toEqual([]);
    expect(await rowsOf(idOf(verifiedRecent))).toHaveLength(1);
    expect(await rowsOf(unverifiedRecent.id)).toHaveLength(1);
  });
});

describe('the migration that keeps webhook digests', () => {
  it('turns each kept unverified body into a digest and its first 4096 characters, keeps verified events, and goes back down', async () => {
    const database = await createTestDatabase();
    try {
      const db = database.db;
      await keepDigests.down(db as never);
      const old = (eventId: string, verified: boolean, payload: unknown) =>
        sql`insert into webhook_deliveries (provider, event_id, event_type, verified, outcome, payload) values ('paypal', ${eventId}, 'X', ${verified}, ${verified ? 'processed' : 'rejected'}, ${JSON.stringify(payload)}::jsonb)`.execute(
          db,
        );
      await old('WH-KEPT', true, { id: 'WH-KEPT' });
      await old('WH-BIG', false, { id: 'WH-BIG', padding: 'y'.repeat(10_000) });

      await keepDigests.up(db as never);
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select(['event_id', 'payload', 'body_sha256', 'body_excerpt'])
        .orderBy('event_id')
        .execute();
      expect(rows).toEqual([
        {
          event_id: 'WH-BIG',
          payload: null,
          body_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          body_excerpt: expect.stringMatching(/^\{"id": "WH-BIG", "padding": "y+$/),
        },
        {
          event_id: 'WH-KEPT',
          payload: { id: 'WH-KEPT' },
          body_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          body_excerpt: null,
        },
      ]);
      expect(rows[0]!.body_excerpt).toHaveLength(4096);
      // An unverified row can no longer keep a whole body.
      await expect(
        sql`insert into webhook_deliveries (provider, event_id, event_type, verified, outcome, payload, body_sha256) values ('paypal', 'WH-NEW', 'X', false, 'rejected', '{}'::jsonb, ${'0'.repeat(64)})`.execute(
          db,
        ),
      ).rejects.toThrow(/webhook_deliveries_kept_check/);

      await keepDigests.down(db as never);
      await keepDigests.up(db as never);
    } finally {
      await database.drop();
    }
  });
});
