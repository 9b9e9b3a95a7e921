import { webhookEventSchema, type PayPalWebhookEvent } from './types.ts';

/**
 * Reading a webhook delivery AFTER its signature was verified. An event is only a hint: the
 * handler should re-read the capture from PayPal (`getCapture`) and act on what PayPal says
 * now, idempotently on the event id and the capture id (events come late, twice, out of order).
 */

/** The event envelope, or null when the body is not one. */
export function parseWebhookEvent(body: string): PayPalWebhookEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  const parsed = webhookEventSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export interface RelatedIds {
  orderId?: string;
  captureId?: string;
  refundId?: string;
}

/**
 * The ids an event is about. Capture events carry the capture (and its order in
 * `supplementary_data`); refund and reversal events carry a refund whose `up` link names the
 * capture; order events carry the order (and its capture once captured).
 */
export function relatedIds(event: PayPalWebhookEvent): RelatedIds {
  const r = event.resource as Record<string, unknown>;
  const id = typeof r.id === 'string' ? r.id : undefined;
  if (event.resource_type === 'capture') {
    const related = (r.supplementary_data as { related_ids?: { order_id?: unknown } } | undefined)?.related_ids;
    return { captureId: id, orderId: typeof related?.order_id === 'string' ? related.order_id : undefined };
  }
  if (event.resource_type === 'refund') {
    const links = Array.isArray(r.links) ? (r.links as Array<{ rel?: unknown; href?: unknown }>) : [];
    const up = links.find((l) => l.rel === 'up' && typeof l.href === 'string');
    const captureId =
      typeof up?.href === 'string' ? /\/v2\/payments\/captures\/([^/?#]+)/.exec(up.href)?.[1] : undefined;
    return { refundId: id, captureId: captureId ? decodeURIComponent(captureId) : undefined };
  }
  if (event.resource_type === 'checkout-order') {
    const units = Array.isArray(r.purchase_units)
      ? (r.purchase_units as Array<{ payments?: { captures?: Array<{ id?: unknown }> } }>)
      : [];
    const capture = units[0]?.payments?.captures?.[0]?.id;
    return { orderId: id, captureId: typeof capture === 'string' ? capture : undefined };
  }
  return {};
}
