import { randomUUID, sign, verify, createPublicKey } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { paypalError } from './errors.ts';
import { isoTime, paypalId, type PayPalEmulatorState, type Reply, type SentWebhook } from './state.ts';

/**
 * Webhooks, both directions of §6. Outbound: each event is signed the way PayPal documents
 * (`<transmission id>|<time>|<webhook id>|<crc32 of the body>`, SHA256withRSA, with the emulator's
 * own key pair) and POSTed to the app with PayPal's transmission headers; deliveries
 * run in the background, like PayPal's. Inbound: `verify-webhook-signature` answers SUCCESS
 * only for a transmission this emulator really sent, to the configured webhook id, with
 * headers and event unchanged; anything else is FAILURE (still HTTP 200, as PayPal does).
 */

const AUTH_ALGO = 'SHA256withRSA';
const DELIVERY_TIMEOUT_MS = 10_000;

export type ResourceType = 'checkout-order' | 'capture' | 'refund';

const signedString = (transmissionId: string, time: string, webhookId: string, body: string) =>
  `${transmissionId}|${time}|${webhookId}|${crc32(body)}`;

export function certUrl(state: PayPalEmulatorState): string {
  return `${state.baseUrl}/v1/notifications/certs/CERT-emulator-${state.options.webhookId}`;
}

/** Records an event and transmits it (twice while duplicate webhooks are injected). Returns the event id. */
export function emitEvent(
  state: PayPalEmulatorState,
  eventType: string,
  resourceType: ResourceType,
  resource: Record<string, unknown>,
  summary: string,
): string {
  const id = `WH-${paypalId(17)}-${paypalId(17)}`;
  const event = {
    id,
    event_version: '1.0',
    create_time: isoTime(state),
    resource_type: resourceType,
    resource_version: '2.0',
    event_type: eventType,
    summary,
    resource,
    links: [
      { href: `${state.baseUrl}/v1/notifications/webhooks-events/${id}`, rel: 'self', method: 'GET' },
      { href: `${state.baseUrl}/v1/notifications/webhooks-events/${id}/resend`, rel: 'resend', method: 'POST' },
    ],
  };
  state.events.set(id, { eventType, body: JSON.stringify(event) });
  const copies = state.duplicateWebhooks > 0 ? 2 : 1;
  if (state.duplicateWebhooks > 0) state.duplicateWebhooks--;
  for (let i = 0; i < copies; i++) transmit(state, id);
  return id;
}

/** Sends an event again as a new transmission (new transmission id and signature), as PayPal's resend does. */
export function transmit(state: PayPalEmulatorState, eventId: string): SentWebhook {
  const event = state.events.get(eventId);
  if (!event) throw new Error(`No webhook event ${eventId}`);
  const transmissionId = randomUUID();
  const time = isoTime(state);
  const webhookId = state.options.webhookId;
  const signature = sign(
    'sha256',
    Buffer.from(signedString(transmissionId, time, webhookId, event.body)),
    state.signing.privateKey,
  ).toString('base64');
  const sent: SentWebhook = {
    transmissionId,
    eventId,
    eventType: event.eventType,
    webhookId,
    url: state.options.appWebhookUrl ?? null,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'PayPal/emulator',
      'paypal-transmission-id': transmissionId,
      'paypal-transmission-time': time,
      'paypal-transmission-sig': signature,
      'paypal-cert-url': certUrl(state),
      'paypal-auth-algo': AUTH_ALGO,
    },
    body: event.body,
    sentAt: time,
    response: null,
  };
  state.webhooks.push(sent);
  if (sent.url) {
    const url = sent.url;
    const delivery = (async () => {
      // Let the API answer that caused the event go out first, as PayPal's async delivery would.
      await new Promise((r) => setImmediate(r));
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: sent.headers,
          body: sent.body,
          signal: AbortSignal.any([AbortSignal.timeout(DELIVERY_TIMEOUT_MS), state.closing.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        sent.response = { status: res.status };
      } catch (err) {
        sent.response = { error: err instanceof Error ? err.message : String(err) };
      }
    })();
    state.deliveries.add(delivery);
    void delivery.finally(() => state.deliveries.delete(delivery));
  }
  return sent;
}

/** Resolves when every delivery started so far has been answered (or failed). */
export async function settle(state: PayPalEmulatorState): Promise<void> {
  while (state.deliveries.size) await Promise.allSettled([...state.deliveries]);
}

const VERIFY_FIELDS = [
  'auth_algo',
  'cert_url',
  'transmission_id',
  'transmission_sig',
  'transmission_time',
  'webhook_id',
  'webhook_event',
] as const;

/** `POST /v1/notifications/verify-webhook-signature`. */
export function verifyWebhookSignature(state: PayPalEmulatorState, body: unknown): Reply {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return paypalError(400, 'MALFORMED_REQUEST_JSON');
  const b = body as Record<string, unknown>;
  for (const field of VERIFY_FIELDS) {
    const v = b[field];
    const ok = field === 'webhook_event' ? !!v && typeof v === 'object' : typeof v === 'string' && v.length > 0;
    if (!ok) return paypalError(400, 'MISSING_REQUIRED_PARAMETER', { field: `/${field}`, location: 'body' });
  }
  const s = (k: (typeof VERIFY_FIELDS)[number]) => b[k] as string;
  const sent = state.webhooks.find((w) => w.transmissionId === s('transmission_id'));
  const genuine =
    !!sent &&
    s('webhook_id') === state.options.webhookId &&
    s('webhook_id') === sent.webhookId &&
    s('auth_algo') === sent.headers['paypal-auth-algo'] &&
    s('cert_url') === sent.headers['paypal-cert-url'] &&
    s('transmission_time') === sent.headers['paypal-transmission-time'] &&
    s('transmission_sig') === sent.headers['paypal-transmission-sig'] &&
    JSON.stringify(b.webhook_event) === JSON.stringify(JSON.parse(sent.body)) &&
    verify(
      'sha256',
      Buffer.from(signedString(s('transmission_id'), s('transmission_time'), s('webhook_id'), sent.body)),
      createPublicKey(state.signing.publicKeyPem),
      Buffer.from(s('transmission_sig'), 'base64'),
    );
  return { status: 200, body: { verification_status: genuine ? 'SUCCESS' : 'FAILURE' } };
}
