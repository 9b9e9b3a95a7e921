import { z } from 'zod';
import { PayPalError, type HeaderSource } from '../../providers/paypal/client.ts';
import type { Deps } from '../deps.ts';
import { confirmPendingRefunds, takeBackReturn } from './paypal-returns.ts';
import { syncRefund } from './refund-settlement.ts';
import { CaptureMismatchError, settleCapture } from './settlement.ts';
import { captureOf } from './top-ups.ts';
import { recordDelivery } from './webhook-deliveries.ts';

/**
 * `POST /webhooks/paypal`: every delivery is verified through PayPal's verify-webhook-signature
 * API (fails closed without PAYPAL_WEBHOOK_ID; no URL from a header is ever fetched), recorded,
 * and acted on once per event id. PayPal is asked only about a delivery whose transmission
 * headers are well-formed; what is kept of an unverified one is a digest and an excerpt
 * (webhook-deliveries.ts). Nothing in the body is trusted beyond ids: the capture is read
 * again from PayPal and goes through the same credit path as the return page.
 */
const eventSchema = z.looseObject({
  id: z.string().min(1).max(200),
  event_type: z.string().min(1).max(200),
  resource: z.looseObject({
    id: z.string().min(1).max(200),
    supplementary_data: z
      .looseObject({ related_ids: z.looseObject({ order_id: z.string().optional() }).optional() })
      .optional(),
    links: z.array(z.looseObject({ href: z.string(), rel: z.string() })).optional(),
    invoice_id: z.string().optional(),
  }),
});

type WebhookDeps = Pick<Deps, 'db' | 'clock' | 'log' | 'paypal' | 'config' | 'queue'>;

export type WebhookAnswer = {
  status: 200 | 400 | 503;
  outcome: 'processed' | 'ignored' | 'rejected' | 'failed' | 'duplicate';
};

export async function handlePayPalWebhook(
  deps: WebhookDeps & { webhookId: string | undefined },
  input: { headers: HeaderSource; body: string },
): Promise<WebhookAnswer> {
  let json: unknown;
  try {
    json = JSON.parse(input.body);
  } catch {
    return { status: 400, outcome: 'rejected' };
  }
  const parsed = eventSchema.safeParse(json);
  const eventId = parsed.success ? parsed.data.id : 'unparseable';
  const eventType = parsed.success ? parsed.data.event_type : 'unknown';
  const record = (outcome: WebhookAnswer['outcome'], verified: boolean, error?: string) =>
    recordDelivery(deps.db, {
      provider: 'paypal',
      eventId,
      eventType,
      verified,
      outcome,
      error,
      body: input.body,
      event: json,
      receivedAt: deps.clock.now(),
    });

  if (!deps.webhookId || !deps.paypal || !parsed.success) {
    await record('rejected', false, !deps.webhookId ? 'PAYPAL_WEBHOOK_ID is not configured' : 'not a PayPal event');
    return { status: 400, outcome: 'rejected' };
  }
  // Only a delivery that looks signed is worth a call to PayPal.
  if (!signatureHeadersWellFormed(input.headers)) {
    await record('rejected', false, 'signature headers missing or malformed');
    return { status: 400, outcome: 'rejected' };
  }
  let verified: boolean;
  try {
    verified = await deps.paypal.verifyWebhookSignature({
      headers: input.headers,
      body: input.body,
      webhookId: deps.webhookId,
    });
  } catch {
    return { status: 503, outcome: 'failed' };
  }
  if (!verified) {
    await record('rejected', false, 'signature verification failed');
    return { status: 400, outcome: 'rejected' };
  }
  const seen = await deps.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('provider', '=', 'paypal')
    .where('event_id', '=', eventId)
    .where('outcome', 'in', ['processed', 'ignored'])
    .executeTakeFirst();
  if (seen) {
    await record('duplicate', true);
    return { status: 200, outcome: 'duplicate' };
  }
  try {
    const acted = await dispatch(deps, parsed.data);
    await record(acted ? 'processed' : 'ignored', true);
    return { status: 200, outcome: acted ? 'processed' : 'ignored' };
  } catch (err) {
    await record('failed', true, err instanceof Error ? err.message : String(err));
    // 5xx for what may pass (PayPal down, our database busy): PayPal redelivers, and acting again
    // is safe. A mismatch, or PayPal refusing for good, is logged and not retried.
    const retry = err instanceof CaptureMismatchError ? false : err instanceof PayPalError ? err.retryable : true;
    deps.log.warn(
      { event_type: eventType, err: err instanceof Error ? err.message : String(err) },
      'paypal webhook failed',
    );
    return { status: retry ? 503 : 200, outcome: 'failed' };
  }
}

/**
 * PayPal's transmission headers, each present and in the form PayPal sends it: a uuid, an
 * ISO 8601 time, a base64 signature, an http(s) certificate URL (never fetched here) and an
 * RSA algorithm name. Anything else cannot verify, so PayPal is not asked.
 */
const TRANSMISSION_HEADERS: Record<string, RegExp> = {
  'paypal-transmission-id': /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'paypal-transmission-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)$/,
  'paypal-transmission-sig': /^[A-Za-z0-9+/]{16,2048}={0,2}$/,
  'paypal-cert-url': /^https?:\/\/[^\s/?#]{1,255}\/[\x21-\x7e]{1,500}$/,
  'paypal-auth-algo': /^SHA(256|384|512)withRSA$/,
};

export function signatureHeadersWellFormed(headers: HeaderSource): boolean {
  return Object.entries(TRANSMISSION_HEADERS).every(([name, form]) => {
    const value = headerValue(headers, name);
    return value !== undefined && form.test(value);
  });
}

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(found) ? undefined : found;
}

async function dispatch(deps: WebhookDeps, event: z.infer<typeof eventSchema>): Promise<boolean> {
  const paypal = deps.paypal!;
  const r = event.resource;
  switch (event.event_type) {
    case 'CHECKOUT.ORDER.APPROVED': {
      const payment = await deps.db
        .selectFrom('payments')
        .select(['id', 'status'])
        .where('provider_order_id', '=', r.id)
        .executeTakeFirst();
      if (!payment || payment.status !== 'created') return false;
      const capture = await captureOf(paypal, r.id, payment.id);
      if (capture) await settleCapture(deps, { paymentId: payment.id, capture });
      return true;
    }
    case 'PAYMENT.CAPTURE.COMPLETED':
    case 'PAYMENT.CAPTURE.PENDING':
    case 'PAYMENT.CAPTURE.DENIED':
    case 'PAYMENT.CAPTURE.DECLINED': {
      const orderId = r.supplementary_data?.related_ids?.order_id;
      let q = deps.db.selectFrom('payments').select('id');
      q = orderId
        ? q.where((eb) => eb.or([eb('capture_id', '=', r.id), eb('provider_order_id', '=', orderId)]))
        : q.where('capture_id', '=', r.id);
      const payment = await q.executeTakeFirst();
      if (!payment) return false;
      const capture = await paypal.getCapture(r.id);
      // All of it went back at PayPal: our own pending refunds are settled first (paypal-returns.ts).
      if (capture.status === 'REFUNDED') await confirmPendingRefunds(deps, payment.id);
      await settleCapture(deps, { paymentId: payment.id, capture });
      return true;
    }
    case 'PAYMENT.CAPTURE.REVERSED':
      // The resource of a reversal is a refund object, read again from PayPal; its `up` link is the capture.
      return takeBackReturn(deps, { refund: await paypal.getRefund(r.id), kind: 'reversal' });
    case 'PAYMENT.CAPTURE.REFUNDED':
      return refundNotice(deps, r);
    default:
      return false;
  }
}

/**
 * A refund notice. Refunds an admin made here are settled by the refund flow (their row is
 * completed, never a second debit); one made in PayPal's dashboard is taken back from the wallet
 * once per refund id (paypal-returns.ts), as PayPal reports it when read again.
 */
async function refundNotice(deps: WebhookDeps, refund: z.infer<typeof eventSchema>['resource']): Promise<boolean> {
  // Ours: known by PayPal's refund id, or — if the notice beats our own bookkeeping — by the
  // invoice id we sent with it.
  const ourId = /^refund-([0-9a-f-]{36})$/.exec(refund.invoice_id ?? '')?.[1];
  const ours = await deps.db
    .selectFrom('refunds')
    .select('id')
    .where((eb) =>
      ourId
        ? eb.or([eb('provider_refund_id', '=', refund.id), eb('id', '=', ourId)])
        : eb('provider_refund_id', '=', refund.id),
    )
    .executeTakeFirst();
  if (ours) {
    await syncRefund(deps, ours.id);
    return true;
  }
  return takeBackReturn(deps, { refund: await deps.paypal!.getRefund(refund.id), kind: 'refund' });
}
