import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { PayPalCaptureStatus, PayPalOrderStatus, PayPalRefundStatus } from '../types.ts';

/**
 * The PayPal emulator's memory: orders, captures, refunds, webhooks sent, tokens, idempotency
 * replies and armed faults. Lives in one process (tests, demo mode); nothing here is shared
 * between containers, which is fine for an emulator and only for an emulator.
 */

export const EMULATOR_CLIENT_ID = 'emulator-client-id';
export const EMULATOR_CLIENT_SECRET = 'emulator-client-secret';
export const EMULATOR_WEBHOOK_ID = '4JH86294D6297924G';

export interface PayPalEmulatorOptions {
  /** Where to POST signed webhook deliveries (the app's `/webhooks/paypal`); none → recorded only. */
  appWebhookUrl?: string;
  /** The webhook id the verify endpoint accepts. Default `EMULATOR_WEBHOOK_ID`. */
  webhookId?: string;
  /** Path the sub-app is mounted under, e.g. `/_emulators/paypal`; used in links and the approval page. */
  basePath?: string;
  /** Absolute URL of the emulator as browsers and the client see it (origin + basePath). Default: taken from each request. */
  publicBaseUrl?: string;
  /** Accepted OAuth credentials. Default `EMULATOR_CLIENT_ID` / `EMULATOR_CLIENT_SECRET`. */
  clientId?: string;
  clientSecret?: string;
  /** Access token lifetime; short values test the client's refresh. Default 32 400 (9 h). */
  tokenTtlSeconds?: number;
  /** Injectable clock (ms). */
  now?: () => number;
}

/** The operations faults can target; `any` is every operation except `token`. */
export const OPERATIONS = [
  'token',
  'create_order',
  'get_order',
  'capture',
  'get_capture',
  'refund',
  'get_refund',
  'verify_webhook',
] as const;
export type PayPalOperation = (typeof OPERATIONS)[number];

/** Faults that only make sense on a capture of an approved order. */
export const CAPTURE_FAULTS = [
  'already_captured',
  'pending',
  'declined',
  'instrument_declined',
  'payer_action_required',
] as const;
/** Faults any operation can suffer (they happen before the operation, so nothing is applied) … */
export const REQUEST_FAULTS = ['server_error', 'rate_limited', 'timeout', 'invalid_token', 'invalid_client'] as const;
/** … except this one, which applies the operation and then drops the connection. */
export const AFTER_FAULTS = ['connection_lost'] as const;

export type PayPalFaultName =
  | (typeof CAPTURE_FAULTS)[number]
  | (typeof REQUEST_FAULTS)[number]
  | (typeof AFTER_FAULTS)[number]
  | 'refund_pending'
  | 'duplicate_webhooks';

export type PayPalFault =
  | PayPalFaultName
  /** Wait this many ms before handling (the operation then proceeds normally). */
  | { slow: number }
  /** Any PayPal error envelope, e.g. `{ status: 422, issue: 'DUPLICATE_INVOICE_ID' }`. */
  | { error: { status: number; name?: string; issue?: string; description?: string } };

export interface InjectOptions {
  /** Which operation consumes the fault. Default: `capture` for capture faults, `token` for `invalid_client`, `refund` for `refund_pending`, else `any`. */
  on?: PayPalOperation | 'any';
  /** How many matching calls it affects. Default 1 (`duplicate_webhooks`: every event until reset). */
  times?: number;
}

export interface ArmedFault {
  fault: PayPalFault;
  on: PayPalOperation | 'any';
  remaining: number;
}

export type OrderFlow = 'experience_context' | 'application_context' | 'none';

export interface EmulatedOrder {
  id: string;
  status: PayPalOrderStatus;
  flow: OrderFlow;
  currency: string;
  amountMinor: bigint;
  /** The purchase unit as created, with the amount normalised; echoed back on reads. */
  purchaseUnit: Record<string, unknown>;
  returnUrl: string | null;
  cancelUrl: string | null;
  brandName: string | null;
  /** `experience_context` (or legacy `application_context`) as sent, for tests to inspect. */
  experience: Record<string, unknown> | null;
  payerApproved: boolean;
  /** The buyer pressed Decline: the capture will come back DECLINED. */
  declined: boolean;
  captureIds: string[];
  createTime: string;
  updateTime: string;
}

export interface EmulatedCapture {
  id: string;
  orderId: string;
  status: PayPalCaptureStatus;
  statusReason: string | null;
  currency: string;
  amountMinor: bigint;
  feeMinor: bigint;
  /** Refunded or reversed so far, pending refunds included (so a refund can never exceed the capture). */
  refundedMinor: bigint;
  refundIds: string[];
  customId: string | null;
  invoiceId: string | null;
  createTime: string;
  updateTime: string;
}

export interface EmulatedRefund {
  id: string;
  captureId: string;
  status: PayPalRefundStatus;
  statusReason: string | null;
  currency: string;
  amountMinor: bigint;
  note: string | null;
  invoiceId: string | null;
  customId: string | null;
  /** A chargeback (PAYMENT.CAPTURE.REVERSED), not a refund the merchant asked for. */
  reversal: boolean;
  createTime: string;
  updateTime: string;
}

/** One transmission of a webhook event; a duplicate or redelivery is another transmission. */
export interface SentWebhook {
  transmissionId: string;
  eventId: string;
  eventType: string;
  webhookId: string;
  url: string | null;
  headers: Record<string, string>;
  body: string;
  sentAt: string;
  /** The app's answer: HTTP status, a network error, or null while in flight / without a URL. */
  response: { status: number } | { error: string } | null;
}

export interface RequestRecord {
  op: PayPalOperation | 'page' | 'control' | 'other';
  method: string;
  path: string;
  requestId: string | null;
  status: number;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface PayPalEmulatorState {
  readonly options: Readonly<
    Required<Pick<PayPalEmulatorOptions, 'webhookId' | 'basePath' | 'clientId' | 'clientSecret' | 'tokenTtlSeconds'>>
  > &
    Pick<PayPalEmulatorOptions, 'appWebhookUrl' | 'publicBaseUrl'>;
  readonly now: () => number;
  orders: Map<string, EmulatedOrder>;
  captures: Map<string, EmulatedCapture>;
  refunds: Map<string, EmulatedRefund>;
  /** Every webhook transmission, in order. */
  webhooks: SentWebhook[];
  /** Event id → the exact event body, for redelivery. */
  events: Map<string, { eventType: string; body: string }>;
  /** The newest requests (at most MAX_REQUEST_LOG, http.ts), oldest first. */
  requests: RequestRecord[];
  /** Access token → expiry (ms). */
  tokens: Map<string, number>;
  faults: ArmedFault[];
  duplicateWebhooks: number;
  /** `METHOD path PayPal-Request-Id` → the first successful reply. */
  idempotent: Map<string, Reply>;
  inFlight: Map<string, Promise<void>>;
  /** Deliveries still running; `settle()` waits for them. */
  deliveries: Set<Promise<void>>;
  /** Absolute base for links; updated from requests unless `publicBaseUrl` is set. */
  baseUrl: string;
  readonly signing: { privateKey: KeyObject; publicKeyPem: string };
  readonly payer: { payerId: string; email: string; givenName: string; surname: string };
  /** Aborted on close: held "timeout" requests and slow waits end. */
  readonly closing: AbortController;
}

export function createPayPalEmulatorState(opts: PayPalEmulatorOptions = {}): PayPalEmulatorState {
  const basePath = (opts.basePath ?? '').replace(/\/+$/, '');
  if (basePath && !basePath.startsWith('/')) throw new Error('basePath must start with "/"');
  const closing = new AbortController();
  // Every held or slowed request listens for close; there can be many at once.
  setMaxListeners(0, closing.signal);
  return {
    options: {
      webhookId: opts.webhookId ?? EMULATOR_WEBHOOK_ID,
      basePath,
      clientId: opts.clientId ?? EMULATOR_CLIENT_ID,
      clientSecret: opts.clientSecret ?? EMULATOR_CLIENT_SECRET,
      tokenTtlSeconds: opts.tokenTtlSeconds ?? 32_400,
      appWebhookUrl: opts.appWebhookUrl,
      publicBaseUrl: opts.publicBaseUrl?.replace(/\/+$/, ''),
    },
    now: opts.now ?? Date.now,
    orders: new Map(),
    captures: new Map(),
    refunds: new Map(),
    webhooks: [],
    events: new Map(),
    requests: [],
    tokens: new Map(),
    faults: [],
    duplicateWebhooks: 0,
    idempotent: new Map(),
    inFlight: new Map(),
    deliveries: new Set(),
    baseUrl: opts.publicBaseUrl?.replace(/\/+$/, '') ?? `http://127.0.0.1${basePath}`,
    signing: signingKey(),
    payer: { payerId: paypalId(13), email: 'buyer@example.com', givenName: 'John', surname: 'Doe' },
    closing,
  };
}

let key: PayPalEmulatorState['signing'] | null = null;
/**
 * The webhook signing key, made once per process (RSA generation is slow). Sharing it between
 * emulators is harmless: verification also requires the emulator to have sent the delivery.
 */
function signingKey(): PayPalEmulatorState['signing'] {
  if (!key) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    key = { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  }
  return key;
}

/** Forgets every order, payment, webhook, token and fault (keys and options stay). */
export function resetState(state: PayPalEmulatorState): void {
  for (const m of [state.orders, state.captures, state.refunds, state.events, state.tokens, state.idempotent])
    m.clear();
  state.webhooks.length = 0;
  state.requests.length = 0;
  state.faults.length = 0;
  state.duplicateWebhooks = 0;
}

export function armFault(state: PayPalEmulatorState, fault: PayPalFault, opts: InjectOptions = {}): void {
  if (fault === 'duplicate_webhooks') {
    state.duplicateWebhooks = opts.times ?? Number.POSITIVE_INFINITY;
    return;
  }
  const isCapture = typeof fault === 'string' && (CAPTURE_FAULTS as readonly string[]).includes(fault);
  const on =
    opts.on ??
    (isCapture ? 'capture' : fault === 'invalid_client' ? 'token' : fault === 'refund_pending' ? 'refund' : 'any');
  if (isCapture && on !== 'capture') throw new Error(`${String(fault)} only applies to captures`);
  if (fault === 'refund_pending' && on !== 'refund') throw new Error('refund_pending only applies to refunds');
  if (fault === 'invalid_client' && on !== 'token')
    throw new Error('invalid_client only applies to the token endpoint');
  if (typeof fault === 'object' && 'slow' in fault && !(fault.slow >= 0)) throw new Error('slow needs a delay in ms');
  if (typeof fault === 'object' && 'error' in fault && !(fault.error.status >= 400 && fault.error.status <= 599))
    throw new Error('error needs a 4xx or 5xx status');
  const times = opts.times ?? 1;
  if (!(times >= 1)) throw new Error('times must be at least 1');
  state.faults.push({ fault, on, remaining: times });
}

/** Consumes the first armed fault for `op` that `accept` likes. */
export function takeFault(
  state: PayPalEmulatorState,
  op: PayPalOperation,
  accept: (f: PayPalFault) => boolean,
): PayPalFault | null {
  const i = state.faults.findIndex((a) => (a.on === op || (a.on === 'any' && op !== 'token')) && accept(a.fault));
  if (i < 0) return null;
  const armed = state.faults[i]!;
  if (--armed.remaining <= 0) state.faults.splice(i, 1);
  return armed.fault;
}

export const isNamed =
  (...names: string[]) =>
  (f: PayPalFault): boolean =>
    typeof f === 'string' && names.includes(f);

// ── ids and time ─────────────────────────────────────────────────────────────

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** PayPal-style ids: upper-case alphanumerics (orders, captures and refunds are 17 long). */
export function paypalId(length = 17): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

export const debugId = () => randomBytes(7).toString('hex').slice(0, 13);
export const isoTime = (state: PayPalEmulatorState) => new Date(state.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

// ── money, exactly: bigint minor units, never floats ─────────────────────────

const ZERO_DECIMAL = new Set(['HUF', 'JPY', 'TWD']);
export const CURRENCIES = new Set([
  'AUD',
  'BRL',
  'CAD',
  'CHF',
  'CNY',
  'CZK',
  'DKK',
  'EUR',
  'GBP',
  'HKD',
  'HUF',
  'ILS',
  'JPY',
  'MXN',
  'MYR',
  'NOK',
  'NZD',
  'PHP',
  'PLN',
  'SEK',
  'SGD',
  'THB',
  'TWD',
  'USD',
]);
const exponent = (currency: string) => (ZERO_DECIMAL.has(currency) ? 0 : 2);

export type ParsedAmount =
  { minor: bigint } | { issue: 'INVALID_PARAMETER_SYNTAX' | 'DECIMAL_PRECISION' | 'CANNOT_BE_ZERO_OR_NEGATIVE' };

/** PayPal's rules for `amount.value`: a decimal string within the currency's precision, above zero (or zero, for breakdown parts). */
export function parseAmount(value: unknown, currency: string, allowZero = false): ParsedAmount {
  if (typeof value !== 'string') return { issue: 'INVALID_PARAMETER_SYNTAX' };
  const m = /^(-)?(\d{1,10})(?:\.(\d+))?$/.exec(value);
  if (!m) return { issue: 'INVALID_PARAMETER_SYNTAX' };
  const exp = exponent(currency);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > exp) return { issue: 'DECIMAL_PRECISION' };
  const minor = BigInt(m[2]!) * 10n ** BigInt(exp) + BigInt(frac.padEnd(exp, '0') || '0');
  if (m[1] || (minor === 0n && !allowZero)) return { issue: 'CANNOT_BE_ZERO_OR_NEGATIVE' };
  return { minor };
}

export function formatAmount(minor: bigint, currency: string): string {
  const exp = exponent(currency);
  if (exp === 0) return minor.toString();
  const unit = 10n ** BigInt(exp);
  return `${minor / unit}.${(minor % unit).toString().padStart(exp, '0')}`;
}

export const money = (minor: bigint, currency: string) => ({
  currency_code: currency,
  value: formatAmount(minor, currency),
});

/** The emulator's fee: 3.49% + a fixed part (0.49, or 40 in zero-decimal currencies), rounded half up, never more than the amount. */
export function paypalFee(minor: bigint, currency: string): bigint {
  const fixed = exponent(currency) === 0 ? 40n : 49n;
  const fee = (minor * 349n + 5_000n) / 10_000n + fixed;
  return fee > minor ? minor : fee;
}
