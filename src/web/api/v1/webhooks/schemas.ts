import { z } from '@hono/zod-openapi';
import type {
  WebhookDeliveryDetail,
  WebhookDeliveryView,
  WebhookEndpointView,
} from '../../../../domain/webhooks/index.ts';
import { WEBHOOK_EVENTS } from '../../../../domain/webhooks/index.ts';
import { pathParam, Timestamp } from '../schemas.ts';

const EVENT_LIST = WEBHOOK_EVENTS.map((e) => `\`${e.type}\``).join(', ');

export const WebhookEndpoint = z
  .object({
    id: z.uuid(),
    url: z.string().openapi({ example: 'https://hooks.example.com/skypanel' }),
    description: z.string().nullable(),
    events: z.array(z.string()).openapi({ example: ['vps.created', 'wallet.*'] }),
    status: z.enum(['active', 'disabled']),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: 'Why it was disabled (by a member, or after a day of failed deliveries).' }),
    disabled_at: Timestamp.nullable(),
    secret_hint: z
      .string()
      .openapi({ example: 'whsec_…Xy9Q', description: 'The last characters of the signing secret.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('WebhookEndpoint');

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
  secret: z.string().openapi({
    example: 'whsec_3q2-7wFz…',
    description: 'The signing secret: shown in this answer only. Keep it with the receiver.',
  }),
}).openapi('WebhookEndpointWithSecret');

const events = z
  .array(z.string().max(100))
  .max(50)
  .openapi({
    description: `Exact event names or a \`prefix.*\` wildcard: ${EVENT_LIST}; \`vps.*\`, \`wallet.*\`, \`ticket.*\`, \`hosting.*\`, \`hosting.service.*\`.`,
    example: ['vps.created', 'wallet.*'],
  });
const url = z.string().max(2000).openapi({
  description:
    'Where events are POSTed: `https` (http to loopback only when the platform allows it for development). Checked when saved.',
  example: 'https://hooks.example.com/skypanel',
});
const description = z.string().max(200).nullable().optional();

export const CreateWebhookRequest = z.object({ url, events, description }).openapi('CreateWebhookRequest');
export const UpdateWebhookRequest = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description,
    enabled: z.boolean().optional().openapi({ description: 'false disables the endpoint; true enables it again.' }),
  })
  .openapi('UpdateWebhookRequest');

export const WebhookDelivery = z
  .object({
    id: z.uuid(),
    event_id: z
      .uuid()
      .openapi({ description: 'Also the body’s `id` and the `SkyPanel-Event-Id` header: dedupe by it.' }),
    type: z.string().openapi({ example: 'vps.created' }),
    status: z.enum(['pending', 'retrying', 'succeeded', 'failed']),
    attempts: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_duration_ms: z.number().int().nullable(),
    created_at: Timestamp,
    delivered_at: Timestamp.nullable(),
  })
  .openapi('WebhookDelivery');

export const WebhookAttempt = z
  .object({
    at: Timestamp,
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
    manual: z.boolean().openapi({ description: 'Sent by hand (a redelivery or the test ping).' }),
  })
  .openapi('WebhookAttempt');

export const WebhookDeliveryDetailSchema = WebhookDelivery.extend({
  attempt_log: z.array(WebhookAttempt).openapi({ description: 'Every attempt, oldest first.' }),
  payload: z.string().openapi({ description: 'The exact body every attempt sent.' }),
}).openapi('WebhookDeliveryDetail');

export const WebhookParams = z.object({ id: pathParam('id', 'Webhook endpoint id.') });
export const DeliveryParams = z.object({
  id: pathParam('id', 'Webhook endpoint id.'),
  deliveryId: pathParam('deliveryId', 'Delivery id.'),
});
export const DeliveryPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ description: '1–100, default 25.' }),
  cursor: z.uuid({ error: 'This is not a page of this list.' }).optional(),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentEndpoint(e: WebhookEndpointView): z.infer<typeof WebhookEndpoint> {
  return WebhookEndpoint.parse({
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    status: e.status,
    disabled_reason: e.disabledReason,
    disabled_at: iso(e.disabledAt),
    secret_hint: e.secretHint,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  });
}

export function presentDelivery(d: WebhookDeliveryView | WebhookDeliveryDetail) {
  return WebhookDelivery.parse({
    id: d.id,
    event_id: d.eventId,
    type: d.type,
    status: d.status,
    attempts: typeof d.attempts === 'number' ? d.attempts : d.attempts.length,
    next_attempt_at: iso(d.nextAttemptAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_duration_ms: d.lastDurationMs,
    created_at: d.createdAt.toISOString(),
    delivered_at: iso(d.deliveredAt),
  });
}

export function presentDeliveryDetail(d: WebhookDeliveryDetail) {
  return WebhookDeliveryDetailSchema.parse({
    ...presentDelivery(d),
    attempt_log: d.attempts.map((a) => ({
      at: a.at.toISOString(),
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
      manual: a.manual,
    })),
    payload: d.payload,
  });
}
