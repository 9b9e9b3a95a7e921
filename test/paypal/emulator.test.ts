import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPayPalClient } from '../../src/providers/paypal/client.ts';
import {
  createPayPalEmulatorState,
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  paypalEmulatorApp,
  paypalEmulatorControls,
  startPayPalEmulator,
  type PayPalEmulator,
  type PayPalEmulatorState,
} from '../../src/providers/paypal/emulator/index.ts';
import { securityHeaders } from '../../src/web/middleware/security-headers.ts';
import { MAX_REQUEST_LOG } from '../../src/providers/paypal/emulator/http.ts';
import { clientFor, topUp } from './helpers.ts';

const BASE = '/_emulators/paypal';

/** The emulator mounted under a base path inside a Hono app with SkyPanel's CSP, over real HTTP. */
async function mountedInApp(): Promise<{ url: string; state: PayPalEmulatorState; close(): Promise<void> }> {
  const state = createPayPalEmulatorState({ basePath: BASE });
  const app = new Hono();
  app.use(securityHeaders({ hsts: false }));
  app.route(BASE, paypalEmulatorApp(state));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  body: new URLSearchParams(fields),
  redirect: 'manual' as const,
});

describe('PayPal emulator approval page, mounted under a base path in the app', () => {
  let mounted: Awaited<ReturnType<typeof mountedInApp>>;
  beforeEach(async () => {
    mounted = await mountedInApp();
  });
  afterEach(async () => {
    await mounted.close();
  });
  const paypal = () =>
    createPayPalClient({
      baseUrl: `${mounted.url}${BASE}`,
      clientId: EMULATOR_CLIENT_ID,
      clientSecret: EMULATOR_CLIENT_SECRET,
      timeoutMs: 2_000,
    });

  it('sends the buyer to a page under the base path that says no real money moves', async () => {
    const order = await paypal().createOrder(topUp({ amount: '25.00' }));
    const res = await fetch(order.approveUrl);
    const html = await res.text();
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(res.headers.get('content-security-policy') ?? '')?.[1];

    expect(order.approveUrl).toBe(`${mounted.url}${BASE}/checkoutnow?token=${order.id}`);
    expect(res.status).toBe(200);
    expect(html).toContain('PayPal emulator — no real money moves');
    expect(html).toContain('25.00 USD');
    expect(html).toContain('SkyPanel');
    for (const outcome of ['approve', 'cancel', 'decline']) expect(html).toContain(`name="outcome" value="${outcome}"`);
    expect(html).toContain(`action="${BASE}/checkoutnow"`);
    expect(html).not.toContain('<script');
    expect(nonce && html.includes(`<style nonce="${nonce}">`)).toBe(true);
  });

  it('Approve redirects to the return URL with the order token and a payer id, and approves the order', async () => {
    const order = await paypal().createOrder(
      topUp({ returnUrl: 'http://localhost:3000/billing/payment/success?wallet=main' }),
    );
    const res = await fetch(`${mounted.url}${BASE}/checkoutnow`, form({ token: order.id, outcome: 'approve' }));
    const location = new URL(res.headers.get('location')!);

    expect(res.status).toBe(303);
    expect(location.origin + location.pathname).toBe('http://localhost:3000/billing/payment/success');
    expect(location.searchParams.get('wallet')).toBe('main');
    expect(location.searchParams.get('token')).toBe(order.id);
    expect(location.searchParams.get('PayerID')).toBe(mounted.state.payer.payerId);
    expect((await paypal().getOrder(order.id)).status).toBe('APPROVED');
  });

  it('Cancel redirects to the cancel URL with the token and leaves the order unapproved', async () => {
    const order = await paypal().createOrder(topUp());
    const res = await fetch(`${mounted.url}${BASE}/checkoutnow`, form({ token: order.id, outcome: 'cancel' }));

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`http://localhost:3000/billing/payment/cancel?token=${order.id}`);
    expect((await paypal().getOrder(order.id)).status).toBe('PAYER_ACTION_REQUIRED');
  });

  it('Decline returns the buyer to the shop and the capture then comes back DECLINED', async () => {
    const order = await paypal().createOrder(topUp());
    const res = await fetch(`${mounted.url}${BASE}/checkoutnow`, form({ token: order.id, outcome: 'decline' }));
    const result = await paypal().captureOrder(order.id, `capture-${order.id}`);

    expect(res.status).toBe(303);
    expect(result.outcome === 'captured' && result.capture.status).toBe('DECLINED');
  });

  it('the scripted GET form of the page (outcome in the query) approves too', async () => {
    const order = await paypal().createOrder(topUp());
    const res = await fetch(`${order.approveUrl}&outcome=approve`, { redirect: 'manual' });

    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('token')).toBe(order.id);
  });

  it('an order already captured cannot be approved again', async () => {
    const order = await paypal().createOrder(topUp());
    paypalEmulatorControls(mounted.state).approve(order.id);
    await paypal().captureOrder(order.id, `capture-${order.id}`);
    const page = await fetch(order.approveUrl);
    const post = await fetch(`${mounted.url}${BASE}/checkoutnow`, form({ token: order.id, outcome: 'approve' }));

    expect(await page.text()).toContain('already completed');
    expect(post.status).toBe(409);
  });

  it('an unknown order shows a not-found page', async () => {
    const res = await fetch(`${mounted.url}${BASE}/checkoutnow?token=NOSUCHORDER000000`);

    expect(res.status).toBe(404);
    expect(await res.text()).toContain('PayPal emulator — no real money moves');
  });

  it('serves no control endpoints where it is mounted: reading every order, reversing a capture or arming a failure is not found', async () => {
    const order = await paypal().createOrder(topUp());
    paypalEmulatorControls(mounted.state).approve(order.id);
    const result = await paypal().captureOrder(order.id, `capture-${order.id}`);
    if (result.outcome !== 'captured') throw new Error('expected a capture');
    const post = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'pending' }),
    };

    expect((await fetch(`${mounted.url}${BASE}/_control/state`)).status).toBe(404);
    expect(
      (await fetch(`${mounted.url}${BASE}/_control/captures/${result.capture.id}/reverse`, { method: 'POST' })).status,
    ).toBe(404);
    expect((await fetch(`${mounted.url}${BASE}/_control/inject`, post)).status).toBe(404);
    expect(mounted.state.captures.get(result.capture.id)?.status).toBe('COMPLETED');
    expect(mounted.state.faults).toHaveLength(0);
  });
});

describe('PayPal emulator JSON controls, on its own port', () => {
  let emu: PayPalEmulator;
  beforeEach(async () => {
    emu = await startPayPalEmulator();
  });
  afterEach(async () => {
    await emu.close();
  });

  it('injects failures and approves orders for a script', async () => {
    const order = await clientFor(emu).createOrder(topUp());
    const approve = await fetch(`${emu.url}/_control/orders/${order.id}/approve`, { method: 'POST' });
    const inject = await fetch(`${emu.url}/_control/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'pending' }),
    });
    const result = await clientFor(emu).captureOrder(order.id, `capture-${order.id}`);
    const state = (await (await fetch(`${emu.url}/_control/state`)).json()) as { captures: Array<{ status: string }> };

    expect(await approve.json()).toMatchObject({ ok: true, redirect: expect.stringContaining(`token=${order.id}`) });
    expect(inject.status).toBe(200);
    expect(result.outcome === 'captured' && result.capture.status).toBe('PENDING');
    expect(state.captures.map((c) => c.status)).toEqual(['PENDING']);
  });

  it('refuses a fault it does not know', async () => {
    const res = await fetch(`${emu.url}/_control/inject`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'explode' }),
    });

    expect(res.status).toBe(400);
    expect(emu.state.faults).toHaveLength(0);
  });
});

describe('PayPal emulator protocol', () => {
  let emu: PayPalEmulator;
  let token: string;
  beforeEach(async () => {
    emu = await startPayPalEmulator();
    const res = await fetch(`${emu.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterEach(async () => {
    await emu.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${emu.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const order = (amount: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    intent: 'CAPTURE',
    purchase_units: [{ amount: { currency_code: 'USD', value: '10.00', ...amount }, ...extra }],
  });

  it('issues tokens in PayPal’s shape with an expiry', async () => {
    const res = await fetch(`${emu.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });

    expect(await res.json()).toMatchObject({
      token_type: 'Bearer',
      expires_in: 32_400,
      access_token: expect.stringMatching(/^A21AA/),
      app_id: expect.any(String),
    });
  });

  it('refuses a grant type other than client credentials', async () => {
    const res = await fetch(`${emu.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=password',
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('refuses REST calls without a valid bearer token with AUTHENTICATION_FAILURE', async () => {
    const res = await fetch(`${emu.url}/v2/checkout/orders`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: '{}',
    });

    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ name: 'AUTHENTICATION_FAILURE', debug_id: expect.any(String) });
    expect(res.headers.get('paypal-debug-id')).toBeTruthy();
  });

  it('answers an order create with PayPal’s minimal body by default and the full order when asked', async () => {
    const minimal = (await (await post('/v2/checkout/orders', order({}))).json()) as Record<string, unknown>;
    const full = (await (
      await post('/v2/checkout/orders', order({}), { prefer: 'return=representation' })
    ).json()) as Record<string, unknown>;

    expect(Object.keys(minimal).sort()).toEqual(['id', 'links', 'status']);
    expect(minimal.id).toMatch(/^[0-9A-Z]{17}$/);
    expect(full).toMatchObject({
      intent: 'CAPTURE',
      purchase_units: [{ reference_id: 'default', amount: { value: '10.00' } }],
    });
  });

  it('a legacy order without an experience context starts CREATED with approve and capture links', async () => {
    const res = await post('/v2/checkout/orders', order({}));
    const body = (await res.json()) as { id: string; status: string; links: Array<{ rel: string; href: string }> };

    expect(res.status).toBe(201);
    expect(body.status).toBe('CREATED');
    expect(body.links.map((l) => l.rel)).toEqual(['self', 'approve', 'update', 'capture']);
    const capture = await post(`/v2/checkout/orders/${body.id}/capture`, {});
    expect(await capture.json()).toMatchObject({
      name: 'UNPROCESSABLE_ENTITY',
      details: [{ issue: 'ORDER_NOT_APPROVED' }],
    });
  });

  it('replays an order create with the same PayPal-Request-Id as 200 with the same order', async () => {
    const first = await post('/v2/checkout/orders', order({}), { 'paypal-request-id': 'same-create' });
    const second = await post('/v2/checkout/orders', order({}), { 'paypal-request-id': 'same-create' });

    expect([first.status, second.status]).toEqual([201, 200]);
    expect(((await second.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    expect(emu.orders.size).toBe(1);
  });

  const refusals: Array<[string, unknown, number, string]> = [
    ['a zero amount', order({ value: '0.00' }), 422, 'CANNOT_BE_ZERO_OR_NEGATIVE'],
    ['a negative amount', order({ value: '-5.00' }), 422, 'CANNOT_BE_ZERO_OR_NEGATIVE'],
    ['three decimals in dollars', order({ value: '10.001' }), 422, 'DECIMAL_PRECISION'],
    ['decimals in yen', order({ currency_code: 'JPY', value: '100.5' }), 422, 'DECIMAL_PRECISION'],
    ['a number instead of a string', order({ value: 10 }), 400, 'INVALID_PARAMETER_SYNTAX'],
    ['exponent notation', order({ value: '1e2' }), 400, 'INVALID_PARAMETER_SYNTAX'],
    ['an unknown currency', order({ currency_code: 'XYZ' }), 422, 'INVALID_CURRENCY_CODE'],
    [
      'a missing intent',
      { purchase_units: [{ amount: { currency_code: 'USD', value: '1.00' } }] },
      400,
      'MISSING_REQUIRED_PARAMETER',
    ],
    [
      'items without an item total',
      order({}, { items: [{ name: 'Top-up', quantity: '1', unit_amount: { currency_code: 'USD', value: '10.00' } }] }),
      422,
      'ITEM_TOTAL_REQUIRED',
    ],
    [
      'items that do not add up',
      order(
        { breakdown: { item_total: { currency_code: 'USD', value: '10.00' } } },
        { items: [{ name: 'Top-up', quantity: '2', unit_amount: { currency_code: 'USD', value: '10.00' } }] },
      ),
      422,
      'ITEM_TOTAL_MISMATCH',
    ],
    [
      'a breakdown that does not add up',
      order({ breakdown: { item_total: { currency_code: 'USD', value: '9.00' } } }),
      422,
      'AMOUNT_MISMATCH',
    ],
    ['a custom id over 127 characters', order({}, { custom_id: 'x'.repeat(128) }), 400, 'INVALID_STRING_LENGTH'],
    ['malformed JSON', '{"intent":', 400, 'MALFORMED_REQUEST_JSON'],
  ];
  for (const [what, body, status, issue] of refusals) {
    it(`refuses an order with ${what} (${issue})`, async () => {
      const res = await post('/v2/checkout/orders', body);

      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ details: [{ issue }], debug_id: expect.any(String) });
      expect(emu.orders.size).toBe(0);
    });
  }

  it('accepts the wire body SkyPanel V2 sent, with items and an item total', async () => {
    const res = await post(
      '/v2/checkout/orders',
      order(
        { value: '25.00', breakdown: { item_total: { currency_code: 'USD', value: '25.00' } } },
        {
          items: [
            {
              name: 'Top-up',
              quantity: '1',
              category: 'DIGITAL_GOODS',
              unit_amount: { currency_code: 'USD', value: '25.00' },
            },
          ],
        },
      ),
    );

    expect(res.status).toBe(201);
  });

  it('refuses a capture without a JSON content type, as PayPal does', async () => {
    const { id } = await clientFor(emu).createOrder(topUp());
    emu.approve(id);
    const res = await fetch(`${emu.url}/v2/checkout/orders/${id}/capture`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });

    expect(res.status).toBe(415);
    expect(emu.captures.size).toBe(0);
  });

  it('never points anywhere but at itself: no PayPal host in any link, page or webhook', async () => {
    const paypal = clientFor(emu);
    const { id } = await paypal.createOrder(topUp());
    const page = await (await fetch(`${emu.url}/checkoutnow?token=${id}`)).text();
    emu.approve(id);
    const result = await paypal.captureOrder(id, `capture-${id}`);
    if (result.outcome === 'captured')
      await paypal.refundCapture(result.capture.id, { currency: 'USD', requestId: 'r' });
    const state = await (await fetch(`${emu.url}/_control/state`)).text();

    for (const text of [page, state, ...emu.webhooks.map((w) => JSON.stringify(w))])
      expect(text).not.toMatch(/paypal\.com/i);
    const hrefs = [...state.matchAll(/"href":"([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(5);
    for (const href of hrefs) expect(href.startsWith(emu.url)).toBe(true);
  });
});

describe('the request log', () => {
  it('keeps only the newest requests, so a demo running for weeks does not grow without end', async () => {
    const state = createPayPalEmulatorState();
    const app = paypalEmulatorApp(state);
    for (let i = 0; i < MAX_REQUEST_LOG + 5; i++) await app.request(`/checkoutnow?token=missing-${i}`);
    expect(state.requests).toHaveLength(MAX_REQUEST_LOG);
    expect(state.requests[0]!.path).toBe('/checkoutnow');
    // The oldest five went; the newest is last.
    const first = await app.request('/checkoutnow?token=newest');
    expect(first.status).toBe(404);
    expect(state.requests).toHaveLength(MAX_REQUEST_LOG);
    expect(state.requests.at(-1)).toMatchObject({ op: 'page', status: 404 });
  });
});
