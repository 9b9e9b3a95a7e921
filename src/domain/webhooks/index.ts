/** Outbound webhooks (issue 18 items 3–4): the API the portal pages and the JSON API call. */
export { WEBHOOK_EVENTS, isSubscribable } from './events.ts';
export { emitWebhookEvent, type WebhookEmission } from './emit.ts';
export {
  listEndpoints,
  getEndpoint,
  createEndpoint,
  updateEndpoint,
  deleteEndpoint,
  rotateSecret,
  MAX_ENDPOINTS,
  type WebhookEndpointView,
} from './endpoints.ts';
export {
  listDeliveries,
  getDelivery,
  redeliver,
  sendPing,
  type WebhookDeliveryView,
  type WebhookAttemptView,
  type WebhookDeliveryDetail,
} from './log.ts';
export { attemptDelivery, deliverDue, retryDelay } from './deliver.ts';
