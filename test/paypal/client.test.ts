import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPayPalClient, PayPalError } from '../../src/providers/paypal/client.ts';
import { startPayPalEmulator, type PayPalEmulator } from '../../src/providers/paypal/emulator/index.ts';
import { ACME_ORG, approvedOrder, clientFor, paypalErrorOf, topUp } from './helpers.ts';

describe('PayPal client against the PayPal emulator', () => {
  let emu: PayPalEmulator;
  beforeEach(async () => {
    emu = await startPayPalEmulator();
  });
  afterEach(async () => {
    await emu.close();
  });
  const tokenRequests = () => emu.requests.filter((r) => r.op === 'token').length;

  describe('OAuth token', () => {
    it('many calls, concurrent or not, share one token request', async () => {
      const paypal = clientFor(emu);
      const { id } = await paypal.createOrder(topUp());
      await Promise.all(Array.from({ length: 10 }, () => paypal.getOrder(id)));
      await paypal.getOrder(id);

      expect(tokenRequests()).toBe(1);
      expect(emu.requests.filter((r) => r.op === 'get_order')).toHaveLength(11);
    });

    it('concurrent first calls wait for the same token request', async () => {
      const paypal = clientFor(emu);
      await Promise.all(Array.from({ length: 8 }, () => paypal.createOrder(topUp())));

      expect(tokenRequests()).toBe(1);
      expect(emu.orders.size).toBe(8);
    });

    it('the token is renewed shortly before PayPal says it expires, not after', async () => {
      await emu.close();
      emu = await startPayPalEmulator({ tokenTtlSeconds: 100 });
      let now = 1_000_000;
      const paypal = clientFor(emu, { now: () => now });
      const { id } = await paypal.createOrder(topUp());

      now += 85_000;
      await paypal.getOrder(id);
      expect(tokenRequests()).toBe(1);

      now += 6_000; // 91 s of 100: inside the renewal margin
      await paypal.getOrder(id);
      expect(tokenRequests()).toBe(2);
    });

    it('a token PayPal revoked early is replaced once and the call still succeeds', async () => {
      const paypal = clientFor(emu);
      const { id } = await paypal.createOrder(topUp());
      emu.revokeTokens();
      const order = await paypal.getOrder(id);

      expect(order.id).toBe(id);
      expect(tokenRequests()).toBe(2);
    });

    it('wrong client credentials are refused for good with invalid_client', async () => {
      const err = await paypalErrorOf(clientFor(emu, { clientSecret: 'not-the-secret' }).createOrder(topUp()));

      expect(err).toMatchObject({ status: 401, name: 'invalid_client', retryable: false });
      expect(err.message).toContain('Client Authentication failed');
      expect(emu.orders.size).toBe(0);
    });

    it('a failed token request is not cached: the next call asks again', async () => {
      emu.inject('server_error', { on: 'token' });
      const paypal = clientFor(emu);
      const err = await paypalErrorOf(paypal.createOrder(topUp()));
      await paypal.createOrder(topUp());

      expect(err).toMatchObject({ status: 500, retryable: true });
      expect(tokenRequests()).toBe(2);
    });
  });

  describe('orders', () => {
    it('creates a CAPTURE order with the organization as custom id and PayPal’s experience context', async () => {
      const input = topUp({ amount: '42.50' });
      const created = await clientFor(emu).createOrder(input);

      expect(created.status).toBe('PAYER_ACTION_REQUIRED');
      expect(created.approveUrl).toBe(`${emu.url}/checkoutnow?token=${created.id}`);
      const order = emu.orders.get(created.id)!;
      expect(order.purchaseUnit).toMatchObject({
        amount: { currency_code: 'USD', value: '42.50' },
        custom_id: ACME_ORG,
        invoice_id: input.invoiceId,
      });
      expect(order.experience).toEqual({
        brand_name: 'SkyPanel',
        return_url: input.returnUrl,
        cancel_url: input.cancelUrl,
        payment_method_preference: 'IMMEDIATE_PAYMENT_REQUIRED',
        shipping_preference: 'NO_SHIPPING',
        user_action: 'PAY_NOW',
      });
      expect(emu.requests.find((r) => r.op === 'create_order')?.requestId).toBe(input.requestId);
    });

    it('creating twice with one request id returns the same order and creates one', async () => {
      const paypal = clientFor(emu);
      const input = topUp();
      const first = await paypal.createOrder(input);
      const second = await paypal.createOrder(input);

      expect(second.id).toBe(first.id);
      expect(emu.orders.size).toBe(1);
    });

    it('a reused invoice id is refused with DUPLICATE_INVOICE_ID', async () => {
      const paypal = clientFor(emu);
      await paypal.createOrder(topUp({ invoiceId: 'INV-1' }));
      const err = await paypalErrorOf(paypal.createOrder(topUp({ invoiceId: 'INV-1' })));

      expect(err).toMatchObject({
        status: 422,
        name: 'UNPROCESSABLE_ENTITY',
        issue: 'DUPLICATE_INVOICE_ID',
        retryable: false,
      });
    });

    it('an amount that is not a decimal string is refused before anything is sent', async () => {
      const paypal = clientFor(emu);
      for (const amount of ['1e3', '-5.00', '25,00', '', ' 25.00']) {
        await expect(paypal.createOrder(topUp({ amount }))).rejects.toThrow(TypeError);
      }
      expect(emu.requests).toHaveLength(0);
    });

    it('more decimals than the currency has are refused by PayPal with DECIMAL_PRECISION', async () => {
      const err = await paypalErrorOf(clientFor(emu).createOrder(topUp({ amount: '10.001' })));

      expect(err).toMatchObject({ status: 422, issue: 'DECIMAL_PRECISION', retryable: false });
    });

    it('an unknown order is RESOURCE_NOT_FOUND and not worth retrying', async () => {
      const err = await paypalErrorOf(clientFor(emu).getOrder('0VF52814937998046'));

      expect(err).toMatchObject({
        status: 404,
        name: 'RESOURCE_NOT_FOUND',
        issue: 'INVALID_RESOURCE_ID',
        retryable: false,
      });
      expect(err.debugId).toMatch(/^[0-9a-f]{13}$/);
    });
  });

  describe('captures', () => {
    it('create, buyer approval and capture give a COMPLETED capture of the exact amount', async () => {
      const paypal = clientFor(emu);
      const created = await paypal.createOrder(topUp({ amount: '25.00' }));
      const returnUrl = new URL(emu.approve(created.id)!);
      const result = await paypal.captureOrder(returnUrl.searchParams.get('token')!, `capture-${created.id}`);

      expect(returnUrl.searchParams.get('PayerID')).toMatch(/^[0-9A-Z]{13}$/);
      expect(result.outcome).toBe('captured');
      if (result.outcome !== 'captured') return;
      expect(result.order.status).toBe('COMPLETED');
      expect(result.capture).toMatchObject({
        status: 'COMPLETED',
        amount: { currency_code: 'USD', value: '25.00' },
        custom_id: ACME_ORG,
      });
      expect(typeof result.capture.amount.value).toBe('string');
      const read = await paypal.getCapture(result.capture.id);
      expect(read).toMatchObject({
        id: result.capture.id,
        status: 'COMPLETED',
        supplementary_data: { related_ids: { order_id: created.id } },
      });
    });

    it('amounts in zero-decimal currencies stay exact strings too', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu, { amount: '1000', currency: 'JPY' });
      const result = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(result.outcome === 'captured' && result.capture.amount).toEqual({ currency_code: 'JPY', value: '1000' });
    });

    it('capturing before the buyer approved is a typed ORDER_NOT_APPROVED refusal', async () => {
      const paypal = clientFor(emu);
      const { id } = await paypal.createOrder(topUp());
      const err = await paypalErrorOf(paypal.captureOrder(id, `capture-${id}`));

      expect(err).toMatchObject({
        status: 422,
        name: 'UNPROCESSABLE_ENTITY',
        issue: 'ORDER_NOT_APPROVED',
        retryable: false,
      });
      expect(err.hasIssue('ORDER_NOT_APPROVED')).toBe(true);
      expect(emu.captures.size).toBe(0);
    });

    it('a second capture with a new request id is reported as already captured, not thrown', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      const first = await paypal.captureOrder(orderId, 'capture-a');
      const second = await paypal.captureOrder(orderId, 'capture-b');

      expect(first.outcome).toBe('captured');
      expect(second.outcome).toBe('already_captured');
      expect(emu.captures.size).toBe(1);
      // The caller resolves it by reading the order.
      const order = await paypal.getOrder(orderId);
      expect(order.purchase_units?.[0]?.payments?.captures?.[0]?.status).toBe('COMPLETED');
    });

    it('capturing again with the same request id replays the same capture', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      const first = await paypal.captureOrder(orderId, `capture-${orderId}`);
      const again = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(first.outcome === 'captured' && again.outcome === 'captured').toBe(true);
      if (first.outcome !== 'captured' || again.outcome !== 'captured') return;
      expect(again.capture.id).toBe(first.capture.id);
      expect(emu.captures.size).toBe(1);
      expect(emu.webhooks.filter((w) => w.eventType === 'PAYMENT.CAPTURE.COMPLETED')).toHaveLength(1);
    });

    it('twenty concurrent captures of one order capture it once', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject({ slow: 50 }, { on: 'capture', times: 20 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => paypal.captureOrder(orderId, `capture-${orderId}-${i}`)),
      );

      expect(results.filter((r) => r.outcome === 'captured')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'already_captured')).toHaveLength(19);
      expect(emu.captures.size).toBe(1);
    });

    it('when PayPal captured but says already captured, reading the order finds the completed capture', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject('already_captured');
      const result = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(result.outcome).toBe('already_captured');
      const order = await paypal.getOrder(orderId);
      expect(order.purchase_units?.[0]?.payments?.captures?.[0]).toMatchObject({
        status: 'COMPLETED',
        amount: { value: '25.00' },
      });
    });

    it('a capture whose answer was lost is recovered by retrying with the same request id', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject('connection_lost', { on: 'capture' });
      const err = await paypalErrorOf(paypal.captureOrder(orderId, `capture-${orderId}`));
      const retry = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(err).toMatchObject({ status: 0, name: 'NETWORK_ERROR', retryable: true });
      expect(retry.outcome).toBe('captured');
      expect(emu.captures.size).toBe(1);
    });

    it('a capture PayPal holds for review comes back PENDING and completes later', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject('pending');
      const result = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(result.outcome).toBe('captured');
      if (result.outcome !== 'captured') return;
      expect(result.capture).toMatchObject({ status: 'PENDING', status_details: { reason: 'PENDING_REVIEW' } });
      emu.completePending(result.capture.id);
      expect((await paypal.getCapture(result.capture.id)).status).toBe('COMPLETED');
    });

    it('a buyer who declines on the approval page gets a DECLINED capture, not money', async () => {
      const paypal = clientFor(emu);
      const { id } = await paypal.createOrder(topUp());
      emu.decline(id);
      const result = await paypal.captureOrder(id, `capture-${id}`);

      expect(result.outcome === 'captured' && result.capture.status).toBe('DECLINED');
    });

    it('an injected decline gives a DECLINED capture', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject('declined');
      const result = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(result.outcome === 'captured' && result.capture.status).toBe('DECLINED');
    });

    it('a funding source refused outright is a final INSTRUMENT_DECLINED error', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject('instrument_declined');
      const err = await paypalErrorOf(paypal.captureOrder(orderId, `capture-${orderId}`));

      expect(err).toMatchObject({ status: 422, issue: 'INSTRUMENT_DECLINED', retryable: false });
      expect(emu.captures.size).toBe(0);
    });

    it('a server error is retryable and the retry with the same request id captures once', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject('server_error', { on: 'capture' });
      const err = await paypalErrorOf(paypal.captureOrder(orderId, `capture-${orderId}`));

      expect(err).toMatchObject({ status: 500, name: 'INTERNAL_SERVER_ERROR', retryable: true });
      expect(emu.captures.size).toBe(0);
      const retry = await paypal.captureOrder(orderId, `capture-${orderId}`);
      expect(retry.outcome).toBe('captured');
      expect(emu.captures.size).toBe(1);
      expect(emu.requests.filter((r) => r.op === 'capture').map((r) => [r.requestId, r.status])).toEqual([
        [`capture-${orderId}`, 500],
        [`capture-${orderId}`, 201],
      ]);
    });

    it('a slow PayPal within the budget still answers', async () => {
      const paypal = clientFor(emu);
      const orderId = await approvedOrder(paypal, emu);
      emu.inject({ slow: 300 }, { on: 'capture' });
      const started = Date.now();
      const result = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(result.outcome).toBe('captured');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('a capture that outlasts our timeout is a retryable TIMEOUT, and the retry replays what PayPal did', async () => {
      const paypal = clientFor(emu, { timeoutMs: 200 });
      const orderId = await approvedOrder(paypal, emu);
      emu.inject({ slow: 1_000 }, { on: 'capture' });
      const err = await paypalErrorOf(paypal.captureOrder(orderId, `capture-${orderId}`));
      const retry = await paypal.captureOrder(orderId, `capture-${orderId}`);

      expect(err).toMatchObject({ status: 0, name: 'TIMEOUT', retryable: true });
      expect(retry.outcome).toBe('captured');
      expect(emu.captures.size).toBe(1);
    });
  });

  describe('transient and final failures', () => {
    it('a request that never gets an answer times out and is retryable', async () => {
      const paypal = clientFor(emu, { timeoutMs: 300 });
      const { id } = await paypal.createOrder(topUp());
      emu.inject('timeout', { on: 'get_order' });
      const err = await paypalErrorOf(paypal.getOrder(id));

      expect(err).toMatchObject({ name: 'TIMEOUT', retryable: true });
      expect(err.message).toContain('timed out after 300 ms');
    });

    it('a rate limit is retryable after the seconds PayPal asks for', async () => {
      emu.inject('rate_limited', { on: 'create_order' });
      const err = await paypalErrorOf(clientFor(emu).createOrder(topUp()));

      expect(err).toMatchObject({ status: 429, retryable: true, retryAfterSeconds: 1 });
    });

    it('a previous request still in progress is retryable', async () => {
      emu.inject(
        { error: { status: 409, name: 'RESOURCE_CONFLICT', issue: 'PREVIOUS_REQUEST_IN_PROGRESS' } },
        { on: 'create_order' },
      );
      const err = await paypalErrorOf(clientFor(emu).createOrder(topUp()));

      expect(err).toMatchObject({ status: 409, issue: 'PREVIOUS_REQUEST_IN_PROGRESS', retryable: true });
    });

    it('an unreachable PayPal is a retryable network error', async () => {
      const gone = await startPayPalEmulator();
      await gone.close();
      const err = await paypalErrorOf(clientFor(gone).createOrder(topUp()));

      expect(err).toMatchObject({ status: 0, name: 'NETWORK_ERROR', retryable: true });
    });

    it('the client secret and tokens never appear in an error message, whatever went wrong', async () => {
      const messages: string[] = [];
      const paypal = clientFor(emu, { timeoutMs: 300 });
      const { id } = await paypal.createOrder(topUp());
      for (const fault of ['server_error', 'rate_limited', 'timeout', 'connection_lost'] as const) {
        emu.inject(fault, { on: 'get_order' });
        messages.push((await paypalErrorOf(paypal.getOrder(id))).message);
      }
      messages.push((await paypalErrorOf(paypal.captureOrder(id, 'x'))).message);
      messages.push((await paypalErrorOf(clientFor(emu, { clientSecret: 'sup3r-s3cret-value' }).getOrder(id))).message);

      // A misbehaving proxy that echoes the credentials it was sent back in its errors.
      const echo = await startEchoingProxy();
      try {
        const leaky = createPayPalClient({
          baseUrl: echo.url,
          clientId: 'client-id',
          clientSecret: 'sup3r-s3cret-value',
          timeoutMs: 1_000,
        });
        messages.push((await paypalErrorOf(leaky.getOrder('X'))).message);
        echo.failTokens = true;
        messages.push(
          (
            await paypalErrorOf(
              createPayPalClient({
                baseUrl: echo.url,
                clientId: 'client-id',
                clientSecret: 'sup3r-s3cret-value',
              }).getOrder('X'),
            )
          ).message,
        );
      } finally {
        await echo.close();
      }

      expect(messages).toHaveLength(8);
      const secrets = [
        emu.clientSecret,
        'sup3r-s3cret-value',
        Buffer.from(`client-id:sup3r-s3cret-value`).toString('base64'),
        ...emu.state.tokens.keys(),
        echo.token,
      ];
      for (const m of messages) for (const s of secrets) expect(m).not.toContain(s);
      expect(messages.slice(6).every((m) => m.includes('[redacted]'))).toBe(true);
    });
  });
});

/** Answers tokens, then echoes every Authorization header (or, for tokens, the form body) in a 400. */
async function startEchoingProxy() {
  const token = 'A21AAechoedtoken0123456789';
  const state = { failTokens: false };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/oauth2/token' && !state.failTokens) {
        res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
        return;
      }
      const secret = req.headers.authorization?.startsWith('Basic ')
        ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString()
        : '';
      res.statusCode = 400;
      res.end(
        JSON.stringify({
          name: 'INVALID_REQUEST',
          message: `echo ${req.headers.authorization} ${secret} ${body}`,
          error: 'invalid_request',
          error_description: `echo ${req.headers.authorization} ${secret}`,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe('PayPalError', () => {
  it('exposes PayPal’s error name, first issue and debug id', () => {
    const err = new PayPalError('x', {
      status: 422,
      name: 'UNPROCESSABLE_ENTITY',
      retryable: false,
      details: [{ issue: 'ORDER_NOT_APPROVED' }, { issue: 'OTHER' }],
      debugId: 'abc',
    });

    expect(err).toMatchObject({
      name: 'UNPROCESSABLE_ENTITY',
      issue: 'ORDER_NOT_APPROVED',
      debugId: 'abc',
      status: 422,
    });
    expect(err.hasIssue('OTHER')).toBe(true);
    expect(err).toBeInstanceOf(Error);
  });
});
