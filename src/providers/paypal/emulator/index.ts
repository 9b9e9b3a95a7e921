import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { paypalError } from './errors.ts';
import { api, issueToken, record, route, wantsRepresentation } from './http.ts';
import { decide, captureOrder, createOrder, getOrder, type BuyerDecision } from './orders.ts';
import { approvalPage, messagePage } from './page.ts';
import {
  completePending,
  completeRefund,
  denyPending,
  getCapture,
  getRefund,
  refundCapture,
  reverseCapture,
} from './payments.ts';
import { captureJson, orderJson, refundJson } from './resources.ts';
import {
  AFTER_FAULTS,
  CAPTURE_FAULTS,
  OPERATIONS,
  REQUEST_FAULTS,
  armFault,
  createPayPalEmulatorState,
  resetState,
  type InjectOptions,
  type PayPalEmulatorOptions,
  type PayPalEmulatorState,
  type PayPalFault,
  type PayPalOperation,
} from './state.ts';
import { settle, transmit, verifyWebhookSignature } from './webhooks.ts';

export {
  EMULATOR_CLIENT_ID,
  EMULATOR_CLIENT_SECRET,
  EMULATOR_WEBHOOK_ID,
  createPayPalEmulatorState,
  type InjectOptions,
  type PayPalEmulatorOptions,
  type PayPalEmulatorState,
  type PayPalFault,
  type PayPalOperation,
} from './state.ts';

/**
 * A local PayPal that speaks PayPal's REST protocol (`specs/paypal.md`): OAuth2, Orders v2,
 * Payments v2 refunds, webhook verification and signed webhook deliveries, plus the buyer's
 * approval page. Tests start it on 127.0.0.1 with `startPayPalEmulator`; demo mode mounts
 * `paypalEmulatorApp(state)` under `/_emulators/paypal`. It never calls a PayPal host.
 *
 * Its controls (every order's state, approving, reversing any capture, arming failures) are
 * programmatic (`paypalEmulatorControls`). Over HTTP they are served only by the emulator a
 * test starts on its own port (`/_control`, see `paypalControlApp`), never by the app: there
 * anyone who can reach the app could read every organization's payments and reverse them.
 */

/** Programmatic controls, for tests and for the app in demo mode. */
export interface PayPalEmulatorControls {
  readonly state: PayPalEmulatorState;
  /** Arms a one-shot (or `times`-shot) failure; see `PayPalFault`. */
  inject(fault: PayPalFault, opts?: InjectOptions): void;
  /** The buyer approves; returns the `return_url` they are sent to (with token and PayerID). */
  approve(orderId: string): string | null;
  /** The buyer "approves" with a funding source that will be declined: the capture comes back DECLINED. */
  decline(orderId: string): string | null;
  /** The buyer cancels; returns `cancel_url?token=`. */
  cancel(orderId: string): string | null;
  completePending(captureId: string): void;
  denyPending(captureId: string): void;
  /** A chargeback: PAYMENT.CAPTURE.REVERSED. */
  reverse(captureId: string): void;
  completeRefund(refundId: string): void;
  /** Sends an event again (a new transmission), as PayPal's resend does. */
  redeliver(eventId: string): void;
  /** Invalidates every access token (the client must fetch a new one). */
  revokeTokens(): void;
  reset(): void;
  /** Waits until every webhook delivery started so far has been answered. */
  settle(): Promise<void>;
}

export function paypalEmulatorControls(state: PayPalEmulatorState): PayPalEmulatorControls {
  const buyer = (orderId: string, decision: BuyerDecision) => {
    const result = decide(state, orderId, decision);
    if ('refused' in result) throw new Error(result.refused);
    return result.redirect;
  };
  return {
    state,
    inject: (fault, opts) => armFault(state, fault, opts),
    approve: (orderId) => buyer(orderId, 'approve'),
    decline: (orderId) => buyer(orderId, 'decline'),
    cancel: (orderId) => buyer(orderId, 'cancel'),
    completePending: (captureId) => completePending(state, captureId),
    denyPending: (captureId) => denyPending(state, captureId),
    reverse: (captureId) => reverseCapture(state, captureId),
    completeRefund: (refundId) => completeRefund(state, refundId),
    redeliver: (eventId) => void transmit(state, eventId),
    revokeTokens: () => state.tokens.clear(),
    reset: () => resetState(state),
    settle: () => settle(state),
  };
}

/** The emulator as a Hono app, to mount at `state.options.basePath` (or serve at the root). */
export function paypalEmulatorApp(state: PayPalEmulatorState): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    if (!state.options.publicBaseUrl) state.baseUrl = new URL(c.req.url).origin + state.options.basePath;
    await next();
  });

  app.post('/v1/oauth2/token', (c) => api(state, c, route('token', false), (raw) => issueToken(state, c, raw)));
  app.post('/v2/checkout/orders', (c) =>
    api(state, c, route('create_order', true, true), (_raw, body) => createOrder(state, body, wantsRepresentation(c))),
  );
  app.get('/v2/checkout/orders/:id', (c) =>
    api(state, c, route('get_order', false), () => getOrder(state, c.req.param('id'))),
  );
  app.post('/v2/checkout/orders/:id/capture', (c) =>
    api(state, c, route('capture', true, true), () => captureOrder(state, c.req.param('id'))),
  );
  app.get('/v2/payments/captures/:id', (c) =>
    api(state, c, route('get_capture', false), () => getCapture(state, c.req.param('id'))),
  );
  app.post('/v2/payments/captures/:id/refund', (c) =>
    api(state, c, route('refund', true, true), (_raw, body) =>
      refundCapture(state, c.req.param('id'), body, wantsRepresentation(c)),
    ),
  );
  app.get('/v2/payments/refunds/:id', (c) =>
    api(state, c, route('get_refund', false), () => getRefund(state, c.req.param('id'))),
  );
  app.post('/v1/notifications/verify-webhook-signature', (c) =>
    api(state, c, route('verify_webhook', true), (_raw, body) => verifyWebhookSignature(state, body)),
  );
  // What PAYPAL-CERT-URL points at. The app must never fetch it (it asks the verify API instead).
  app.get('/v1/notifications/certs/:name', (c) =>
    c.text(state.signing.publicKeyPem, 200, { 'content-type': 'application/x-pem-file' }),
  );

  // The buyer's side: the approval page and its three buttons (GET ?outcome= works too, for scripts).
  app.get('/checkoutnow', (c) => {
    const token = c.req.query('token') ?? '';
    const outcome = c.req.query('outcome');
    if (outcome) return buyerDecision(state, c, token, outcome, 302);
    const order = state.orders.get(token);
    record(state, c, 'page', null, order ? 200 : 404);
    if (!order)
      return page(
        c,
        404,
        messagePage('Order not found', 'This order does not exist (or the emulator was restarted).', nonce(c)),
      );
    if (order.status !== 'CREATED' && order.status !== 'PAYER_ACTION_REQUIRED') {
      return page(
        c,
        200,
        messagePage('Nothing to approve', `This order is already ${order.status.toLowerCase()}.`, nonce(c)),
      );
    }
    return page(c, 200, approvalPage(order, state.options.basePath, nonce(c)));
  });
  app.post('/checkoutnow', async (c) => {
    const form = await c.req.parseBody();
    return buyerDecision(state, c, String(form.token ?? c.req.query('token') ?? ''), String(form.outcome ?? ''), 303);
  });

  return app;
}

/**
 * JSON control surface mirroring `PayPalEmulatorControls`, for scripts driving an emulator
 * started on its own port (`startPayPalEmulator` serves it at `/_control`). Never mount it in
 * the app: it answers anyone.
 */
export function paypalControlApp(state: PayPalEmulatorState): Hono {
  const controls = paypalEmulatorControls(state);
  const control = new Hono();
  const attempt = (c: Context, fn: () => unknown) => {
    try {
      const result = fn();
      return c.json({ ok: true, ...(typeof result === 'string' || result === null ? { redirect: result } : {}) });
    } catch (err) {
      return c.json({ ok: false, error: err instanceof Error ? err.message : String(err) }, 409);
    }
  };
  control.get('/state', (c) => c.json(snapshot(state)));
  control.post('/inject', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { fault?: unknown; on?: unknown; times?: unknown } | null;
    if (!body || !isFault(body.fault))
      return c.json(
        {
          ok: false,
          error: 'fault must be a fault name, {"slow": ms} or {"error": {"status": 4xx|5xx, "issue"?: "…"}}',
        },
        400,
      );
    if (body.on !== undefined && body.on !== 'any' && !(OPERATIONS as readonly unknown[]).includes(body.on)) {
      return c.json({ ok: false, error: `on must be any or one of ${OPERATIONS.join(', ')}` }, 400);
    }
    if (body.times !== undefined && !(typeof body.times === 'number' && Number.isInteger(body.times)))
      return c.json({ ok: false, error: 'times must be an integer' }, 400);
    const fault = body.fault;
    const opts = { on: body.on as PayPalOperation | 'any' | undefined, times: body.times as number | undefined };
    try {
      controls.inject(fault, opts);
    } catch (err) {
      return c.json({ ok: false, error: err instanceof Error ? err.message : String(err) }, 400);
    }
    return c.json({ ok: true });
  });
  control.post('/reset', (c) => attempt(c, () => controls.reset()));
  control.post('/orders/:id/approve', (c) => attempt(c, () => controls.approve(c.req.param('id'))));
  control.post('/orders/:id/decline', (c) => attempt(c, () => controls.decline(c.req.param('id'))));
  control.post('/orders/:id/cancel', (c) => attempt(c, () => controls.cancel(c.req.param('id'))));
  control.post('/captures/:id/complete', (c) => attempt(c, () => controls.completePending(c.req.param('id'))));
  control.post('/captures/:id/deny', (c) => attempt(c, () => controls.denyPending(c.req.param('id'))));
  control.post('/captures/:id/reverse', (c) => attempt(c, () => controls.reverse(c.req.param('id'))));
  control.post('/refunds/:id/complete', (c) => attempt(c, () => controls.completeRefund(c.req.param('id'))));
  control.post('/webhooks/:eventId/redeliver', (c) => attempt(c, () => controls.redeliver(c.req.param('eventId'))));
  return control;
}

function snapshot(state: PayPalEmulatorState) {
  return {
    orders: [...state.orders.values()].map((o) => orderJson(state, o, true)),
    captures: [...state.captures.values()].map((x) => captureJson(state, x, true)),
    refunds: [...state.refunds.values()].map((r) => refundJson(state, r, true)),
    webhooks: state.webhooks,
    faults: state.faults.map((f) => ({ ...f, remaining: Number.isFinite(f.remaining) ? f.remaining : 'unlimited' })),
    duplicateWebhooks: Number.isFinite(state.duplicateWebhooks) ? state.duplicateWebhooks : 'unlimited',
  };
}

function isFault(v: unknown): v is PayPalFault {
  if (typeof v === 'string') {
    return [...CAPTURE_FAULTS, ...REQUEST_FAULTS, ...AFTER_FAULTS, 'refund_pending', 'duplicate_webhooks'].includes(v);
  }
  if (!v || typeof v !== 'object') return false;
  const o = v as {
    slow?: unknown;
    error?: { status?: unknown; name?: unknown; issue?: unknown; description?: unknown };
  };
  if ('slow' in o) return typeof o.slow === 'number' && o.slow >= 0;
  if (!o.error || typeof o.error !== 'object' || typeof o.error.status !== 'number') return false;
  return ['name', 'issue', 'description'].every((k) => {
    const x = (o.error as Record<string, unknown>)[k];
    return x === undefined || typeof x === 'string';
  });
}

function buyerDecision(
  state: PayPalEmulatorState,
  c: Context,
  token: string,
  outcome: string,
  status: 302 | 303,
): Response {
  if (outcome !== 'approve' && outcome !== 'cancel' && outcome !== 'decline') {
    record(state, c, 'page', null, 400);
    return page(c, 400, messagePage('Unknown choice', 'Choose Approve, Cancel or Decline.', nonce(c)));
  }
  const result = decide(state, token, outcome);
  record(state, c, 'page', null, 'refused' in result ? 409 : result.redirect ? status : 200);
  if ('refused' in result) return page(c, 409, messagePage('Cannot continue', result.refused, nonce(c)));
  if (result.redirect) return c.redirect(result.redirect, status);
  const done = outcome === 'cancel' ? 'Payment cancelled' : 'Payment approved';
  return page(c, 200, messagePage(done, 'The merchant gave no return address. You can close this window.', nonce(c)));
}

function page(c: Context, status: 200 | 400 | 404 | 409, html: string): Response {
  return c.html(html, status, { 'cache-control': 'no-store' });
}

/** The app's CSP nonce when mounted inside SkyPanel (set by its security headers middleware). */
function nonce(c: Context): string | undefined {
  const v = (c.var as unknown as Record<string, unknown>).nonce;
  return typeof v === 'string' ? v : undefined;
}

// ── standalone server ────────────────────────────────────────────────────────

export interface PayPalEmulator extends PayPalEmulatorControls {
  /** Base URL for the client (`baseUrl`), e.g. `http://127.0.0.1:41234`. */
  url: string;
  clientId: string;
  clientSecret: string;
  webhookId: string;
  orders: PayPalEmulatorState['orders'];
  captures: PayPalEmulatorState['captures'];
  refunds: PayPalEmulatorState['refunds'];
  /** Every webhook transmission, in order (duplicates and redeliveries included). */
  webhooks: PayPalEmulatorState['webhooks'];
  /** Every request the emulator answered (op, method, path, PayPal-Request-Id, status). */
  requests: PayPalEmulatorState['requests'];
  close(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startPayPalEmulator(
  opts: PayPalEmulatorOptions & { port?: number } = {},
): Promise<PayPalEmulator> {
  const state = createPayPalEmulatorState(opts);
  const root = new Hono();
  // On its own port, for a test or a script: the JSON controls too (never in the app).
  root.route(`${state.options.basePath}/_control`, paypalControlApp(state));
  root.route(state.options.basePath || '/', paypalEmulatorApp(state));
  root.notFound(() => {
    const reply = paypalError(404, undefined, { name: 'RESOURCE_NOT_FOUND' });
    return new Response(JSON.stringify(reply.body), {
      status: 404,
      headers: { 'content-type': 'application/json', ...reply.headers },
    });
  });
  const server = serve({ fetch: root.fetch, port: opts.port ?? 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${state.options.basePath}`;
  if (!state.options.publicBaseUrl) state.baseUrl = url;

  return {
    ...paypalEmulatorControls(state),
    url,
    clientId: state.options.clientId,
    clientSecret: state.options.clientSecret,
    webhookId: state.options.webhookId,
    orders: state.orders,
    captures: state.captures,
    refunds: state.refunds,
    webhooks: state.webhooks,
    requests: state.requests,
    close: async () => {
      state.closing.abort();
      await settle(state);
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
