import { z } from 'zod';
import {
  captureSchema,
  orderSchema,
  refundSchema,
  type PayPalCapture,
  type PayPalErrorDetail,
  type PayPalOrder,
  type PayPalOrderStatus,
  type PayPalRefund,
} from './types.ts';
import { parseJsonObject, parseRetryAfter, describeNetworkError } from '../../lib/http.ts';

/**
 * PayPal REST over plain `fetch` (no SDK: the SDK hard-codes PayPal's hosts, so it could not
 * talk to the emulator). One client per credential set; it caches the OAuth token and shares
 * one token request between concurrent callers. It never retries on its own, except once on a
 * 401 with a fresh token: callers (jobs, the capture route) retry `retryable` errors with the
 * SAME `requestId`, which PayPal turns into a replay instead of a second effect.
 */
export interface PayPalClientOptions {
  /** `https://api-m.paypal.com`, `https://api-m.sandbox.paypal.com`, or the emulator's URL. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Whole-request budget per HTTP call. Default 15 s. */
  timeoutMs?: number;
  /** Injectable clock (ms) for token expiry. */
  now?: () => number;
}

export interface CreateOrderInput {
  /** Decimal string in the currency's precision, e.g. "25.00". Never a number. */
  amount: string;
  currency: string;
  /** The organization id; comes back on the capture and in webhooks. */
  customId: string;
  /** Must be unique per merchant account (PayPal refuses a reused one: DUPLICATE_INVOICE_ID). */
  invoiceId?: string;
  description?: string;
  returnUrl: string;
  cancelUrl: string;
  brandName: string;
  /** PayPal-Request-Id: a retry with the same id replays the first order instead of a second one. */
  requestId: string;
}

export interface CreatedOrder {
  id: string;
  status: PayPalOrderStatus;
  /** Where to send the buyer (the `payer-action` or `approve` link). */
  approveUrl: string;
}

/**
 * A capture either happened now (`captured`; look at `capture.status`, only COMPLETED is money)
 * or had already happened (`already_captured`: read the order with `getOrder` to find out how).
 */
export type CaptureOrderResult =
  | { outcome: 'captured'; order: PayPalOrder; capture: PayPalCapture }
  | { outcome: 'already_captured'; debugId?: string };

export interface RefundInput {
  /** Decimal string; omit to refund everything not yet refunded. */
  amount?: string;
  currency: string;
  requestId: string;
  invoiceId?: string;
  /** Shown to the buyer (≤255 characters). */
  note?: string;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookInput {
  /** The delivery's request headers (PAYPAL-TRANSMISSION-ID, -TIME, -SIG, -CERT-URL, -AUTH-ALGO). */
  headers: HeaderSource;
  /** The raw request body, exactly as received: it is forwarded byte for byte. */
  body: string;
  /** The id of the webhook registered in the PayPal app (PAYPAL_WEBHOOK_ID). */
  webhookId: string;
}

export interface PayPalClient {
  createOrder(input: CreateOrderInput): Promise<CreatedOrder>;
  getOrder(orderId: string): Promise<PayPalOrder>;
  captureOrder(orderId: string, requestId: string): Promise<CaptureOrderResult>;
  getCapture(captureId: string): Promise<PayPalCapture>;
  refundCapture(captureId: string, input: RefundInput): Promise<PayPalRefund>;
  getRefund(refundId: string): Promise<PayPalRefund>;
  /**
   * Asks PayPal whether a delivery is genuine. False for a forgery, for missing headers, for a
   * body that is not a JSON object and for an empty `webhookId` (fails closed). Throws a
   * retryable `PayPalError` when PayPal cannot answer, so the caller can answer 5xx and let
   * PayPal redeliver. Never fetches the cert URL from the headers.
   */
  verifyWebhookSignature(input: VerifyWebhookInput): Promise<boolean>;
}

/**
 * Any failure talking to PayPal. `name` is PayPal's error name (`UNPROCESSABLE_ENTITY`,
 * `invalid_client`…) or `NETWORK_ERROR` / `TIMEOUT` / `INVALID_RESPONSE` (status 0 or the
 * HTTP status); `issue` is the first `details[].issue`. `retryable`: a retry with the same
 * request id may succeed (network, timeout, 5xx, 429, a request still in progress); 4xx
 * otherwise are final. Messages never contain the client secret or a token.
 */
export class PayPalError extends Error {
  override readonly name: string;
  readonly status: number;
  readonly issue: string | undefined;
  readonly debugId: string | undefined;
  readonly retryable: boolean;
  readonly details: readonly PayPalErrorDetail[];
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    init: {
      status: number;
      name: string;
      retryable: boolean;
      details?: PayPalErrorDetail[];
      debugId?: string;
      retryAfterSeconds?: number;
    },
  ) {
    super(message);
    this.name = init.name;
    this.status = init.status;
    this.details = init.details ?? [];
    this.issue = this.details[0]?.issue;
    this.debugId = init.debugId;
    this.retryable = init.retryable;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** True when any of PayPal's `details[].issue` is `issue`. */
  hasIssue(issue: string): boolean {
    return this.details.some((d) => d.issue === issue);
  }
}

/** Issues that mean "the same request is still being processed": retry later, same id. */
const IN_PROGRESS = new Set(['PREVIOUS_REQUEST_IN_PROGRESS', 'ORDER_COMPLETION_IN_PROGRESS']);
const tokenSchema = z.looseObject({ access_token: z.string().min(1), expires_in: z.number().positive() });
const createdSchema = z.looseObject({
  id: z.string().min(1),
  status: orderSchema.shape.status,
  links: orderSchema.shape.links,
});
const verifySchema = z.looseObject({ verification_status: z.string() });
const TRANSMISSION_HEADERS = [
  'paypal-transmission-id',
  'paypal-transmission-time',
  'paypal-transmission-sig',
  'paypal-cert-url',
  'paypal-auth-algo',
] as const;

interface CallOptions {
  body?: string;
  requestId?: string;
  /** Operation name for error messages ("capture order"). */
  what: string;
}

export function createPayPalClient(opts: PayPalClientOptions): PayPalClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const now = opts.now ?? Date.now;
  const basic = Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64');
  let cached: { token: string; refreshAt: number } | null = null;
  let inflight: Promise<string> | null = null;
  const issuedTokens = new Set<string>();

  // Secrets must never reach a log line or a stored error, even if a proxy echoes them back.
  const scrub = (s: string) => {
    for (const secret of [opts.clientSecret, basic, ...issuedTokens])
      if (secret) s = s.split(secret).join('[redacted]');
    return s;
  };
  const fail = (message: string, init: ConstructorParameters<typeof PayPalError>[1]) =>
    new PayPalError(scrub(message), init);

  async function send(path: string, init: RequestInit, what: string): Promise<{ res: Response; raw: string }> {
    try {
      const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      return { res, raw: await res.text() };
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const name = timedOut ? 'TIMEOUT' : 'NETWORK_ERROR';
      throw fail(`PayPal ${what} failed: ${timedOut ? `timed out after ${timeoutMs} ms` : describeNetworkError(err)}`, {
        status: 0,
        name,
        retryable: true,
      });
    }
  }

  async function fetchToken(): Promise<{ token: string; refreshAt: number }> {
    const startedAt = now();
    const { res, raw } = await send(
      '/v1/oauth2/token',
      {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'grant_type=client_credentials',
      },
      'token request',
    );
    const json = parseJsonObject(raw);
    if (!res.ok) {
      // OAuth errors have their own shape: {error, error_description}.
      const name = str(json?.error) ?? str(json?.name) ?? 'error';
      const description = str(json?.error_description) ?? str(json?.message);
      throw fail(`PayPal token request failed: ${res.status} ${name}${description ? ` (${description})` : ''}`, {
        status: res.status,
        name,
        retryable: isRetryableStatus(res.status),
        debugId: res.headers.get('paypal-debug-id') ?? undefined,
      });
    }
    const parsed = tokenSchema.safeParse(json);
    if (!parsed.success)
      throw fail(`PayPal token request answered ${res.status} without a usable token`, {
        status: res.status,
        name: 'INVALID_RESPONSE',
        retryable: true,
      });
    const lifetimeMs = parsed.data.expires_in * 1000;
    // Renew a little before PayPal's expiry (10%, at most 5 min) so a call never races it.
    return { token: parsed.data.access_token, refreshAt: startedAt + lifetimeMs - Math.min(300_000, lifetimeMs / 10) };
  }

  function token(): Promise<string> {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
    inflight ??= fetchToken()
      .then((t) => {
        issuedTokens.add(t.token);
        cached = t;
        return t.token;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  async function call(
    method: 'GET' | 'POST',
    path: string,
    o: CallOptions,
    retriedAuth = false,
  ): Promise<{ status: number; json: unknown }> {
    const bearer = await token();
    const headers: Record<string, string> = {
      authorization: `Bearer ${bearer}`,
      accept: 'application/json',
      prefer: 'return=representation',
    };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (o.requestId) headers['paypal-request-id'] = o.requestId;
    const { res, raw } = await send(path, { method, headers, body: o.body }, o.what);
    const json = parseJsonObject(raw);
    if (res.ok) {
      if (!json)
        throw fail(`PayPal ${o.what} answered ${res.status} with a body that is not JSON`, {
          status: res.status,
          name: 'INVALID_RESPONSE',
          retryable: true,
        });
      return { status: res.status, json };
    }
    if (res.status === 401 && !retriedAuth) {
      // PayPal revoked or expired the token early: drop it and try once with a fresh one.
      if (cached?.token === bearer) cached = null;
      return call(method, path, o, true);
    }
    const name = str(json?.name) ?? str(json?.error) ?? 'error';
    const details = Array.isArray(json?.details) ? (json.details as unknown[]).filter(isDetail) : [];
    const debugId = str(json?.debug_id) ?? res.headers.get('paypal-debug-id') ?? undefined;
    const message = str(json?.message) ?? str(json?.error_description) ?? (json ? '' : 'non-JSON error body');
    const issue = details[0];
    const text = [
      `PayPal ${o.what} failed: ${res.status} ${name}`,
      issue ? ` ${issue.issue}` : '',
      issue?.description ? ` (${issue.description})` : message ? ` (${message})` : '',
      debugId ? ` [debug id ${debugId}]` : '',
    ].join('');
    const inProgress = details.some((d) => IN_PROGRESS.has(d.issue));
    throw fail(text, {
      status: res.status,
      name,
      details,
      debugId,
      retryable: isRetryableStatus(res.status) || inProgress,
      retryAfterSeconds: res.status === 429 ? parseRetryAfter(res.headers.get('retry-after')) : undefined,
    });
  }

  function read<T>(schema: z.ZodType<T>, json: unknown, what: string, status: number): T {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw fail(`PayPal ${what} answered ${status} with an unexpected body (${where})`, {
      status,
      name: 'INVALID_RESPONSE',
      retryable: false,
    });
  }

  const seg = (id: string) => encodeURIComponent(id);

  return {
    async createOrder(input) {
      assertDecimal(input.amount, 'amount');
      const unit: Record<string, unknown> = {
        reference_id: 'default',
        amount: { currency_code: input.currency, value: input.amount },
        custom_id: input.customId,
      };
      if (input.invoiceId) unit.invoice_id = input.invoiceId;
      if (input.description) unit.description = input.description;
      const body = {
        intent: 'CAPTURE',
        purchase_units: [unit],
        payment_source: {
          paypal: {
            experience_context: {
              brand_name: input.brandName,
              return_url: input.returnUrl,
              cancel_url: input.cancelUrl,
              payment_method_preference: 'IMMEDIATE_PAYMENT_REQUIRED',
              shipping_preference: 'NO_SHIPPING',
              user_action: 'PAY_NOW',
            },
          },
        },
      };
      const what = 'create order';
      const { status, json } = await call('POST', '/v2/checkout/orders', {
        body: JSON.stringify(body),
        requestId: input.requestId,
        what,
      });
      const order = read(createdSchema, json, what, status);
      const approve = order.links?.find((l) => l.rel === 'payer-action' || l.rel === 'approve');
      if (!approve)
        throw fail(`PayPal ${what} answered ${status} without an approval link`, {
          status,
          name: 'INVALID_RESPONSE',
          retryable: false,
        });
      return { id: order.id, status: order.status, approveUrl: approve.href };
    },

    async getOrder(orderId) {
      const { status, json } = await call('GET', `/v2/checkout/orders/${seg(orderId)}`, { what: 'get order' });
      return read(orderSchema, json, 'get order', status);
    },

    async captureOrder(orderId, requestId) {
      const what = 'capture order';
      let answer: { status: number; json: unknown };
      try {
        answer = await call('POST', `/v2/checkout/orders/${seg(orderId)}/capture`, { body: '{}', requestId, what });
      } catch (err) {
        if (err instanceof PayPalError && err.status === 422 && err.hasIssue('ORDER_ALREADY_CAPTURED')) {
          return { outcome: 'already_captured', debugId: err.debugId };
        }
        throw err;
      }
      const order = read(orderSchema, answer.json, what, answer.status);
      const capture = order.purchase_units?.[0]?.payments?.captures?.[0];
      // The order may have been created elsewhere; a 2xx without a capture is not something to guess about.
      if (!capture)
        throw fail(`PayPal ${what} answered ${answer.status} without a capture`, {
          status: answer.status,
          name: 'INVALID_RESPONSE',
          retryable: true,
        });
      return { outcome: 'captured', order, capture };
    },

    async getCapture(captureId) {
      const { status, json } = await call('GET', `/v2/payments/captures/${seg(captureId)}`, { what: 'get capture' });
      return read(captureSchema, json, 'get capture', status);
    },

    async refundCapture(captureId, input) {
      if (input.amount !== undefined) assertDecimal(input.amount, 'amount');
      const body: Record<string, unknown> = {};
      if (input.amount !== undefined) body.amount = { currency_code: input.currency, value: input.amount };
      if (input.invoiceId) body.invoice_id = input.invoiceId;
      if (input.note) body.note_to_payer = input.note;
      const what = 'refund capture';
      const { status, json } = await call('POST', `/v2/payments/captures/${seg(captureId)}/refund`, {
        body: JSON.stringify(body),
        requestId: input.requestId,
        what,
      });
      return read(refundSchema, json, what, status);
    },

    async getRefund(refundId) {
      const { status, json } = await call('GET', `/v2/payments/refunds/${seg(refundId)}`, { what: 'get refund' });
      return read(refundSchema, json, 'get refund', status);
    },

    async verifyWebhookSignature({ headers, body, webhookId }) {
      if (!webhookId) return false;
      const values = TRANSMISSION_HEADERS.map((h) => header(headers, h));
      if (values.some((v) => !v)) return false;
      const event = parseJsonObject(body);
      if (!event) return false;
      const [transmissionId, transmissionTime, transmissionSig, certUrl, authAlgo] = values as string[];
      const fields = JSON.stringify({
        auth_algo: authAlgo,
        cert_url: certUrl,
        transmission_id: transmissionId,
        transmission_sig: transmissionSig,
        transmission_time: transmissionTime,
        webhook_id: webhookId,
      });
      // The event goes in byte for byte: re-serialising it can change what PayPal checks.
      const payload = `${fields.slice(0, -1)},"webhook_event":${body}}`;
      const what = 'verify webhook signature';
      const { status, json } = await call('POST', '/v1/notifications/verify-webhook-signature', {
        body: payload,
        what,
      });
      return read(verifySchema, json, what, status).verification_status === 'SUCCESS';
    },
  };
}

/** Decimal strings only: a float or "1e3" would be a programming error, not a PayPal one. */
function assertDecimal(value: string, field: string): void {
  if (typeof value !== 'string' || !/^\d{1,15}(\.\d{1,6})?$/.test(value))
    throw new TypeError(`${field} must be a decimal string like "25.00"`);
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function isDetail(v: unknown): v is PayPalErrorDetail {
  return !!v && typeof v === 'object' && typeof (v as { issue?: unknown }).issue === 'string';
}
