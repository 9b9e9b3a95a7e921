import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import {
  createEndpoint,
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateSecret,
  sendPing,
  updateEndpoint,
} from '../../../../domain/webhooks/index.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import {
  CreateWebhookRequest,
  DeliveryPageQuery,
  DeliveryParams,
  presentDelivery,
  presentDeliveryDetail,
  presentEndpoint,
  UpdateWebhookRequest,
  WebhookDelivery,
  WebhookDeliveryDetailSchema,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookParams,
} from './schemas.ts';

const REFUSED = {
  403: 'The caller lacks `settings_manage` in the acting organization.',
  404: 'No such webhook endpoint (or delivery) in the acting organization.',
};
const REFUSED_TARGET =
  '`validation_failed`: `fields` names the bad field — `url` (not https, a private or unresolvable address, credentials in it…), `events` (none, or one we do not send) or `description`.';
const tags = ['webhooks'];

/** The acting organization's outbound webhook endpoints and their delivery logs (the portal's /webhooks asks the same domain). */
export function webhookRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks',
      tags,
      operationId: 'listWebhooks',
      summary: 'The organization’s webhook endpoints, oldest first (needs `settings_manage`)',
      ...secured,
      responses: {
        200: {
          description: 'Every endpoint (at most 20).',
          ...json(listOf(WebhookEndpoint).openapi('WebhookEndpointList')),
        },
        ...errorResponses([401, 403, 404, 429], REFUSED),
      },
    }),
    async (c) => {
      const rows = await listEndpoints(deps.db, caller(c));
      return c.json({ data: rows.map(presentEndpoint), has_more: false, next_cursor: null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks',
      tags,
      operationId: 'createWebhook',
      summary: 'Add a webhook endpoint (needs `settings_manage`); the answer carries its signing secret, once',
      ...secured,
      request: { body: { required: true, ...json(CreateWebhookRequest) } },
      responses: {
        201: { description: 'The endpoint with `secret` (never shown again).', ...json(WebhookEndpointWithSecret) },
        ...errorResponses([400, 401, 403, 404, 409, 413, 415, 422, 429], {
          ...REFUSED,
          409: '`conflict`: the organization has the most endpoints allowed (20).',
          422: REFUSED_TARGET,
        }),
      },
    }),
    async (c) => {
      const { endpoint, secret } = await createEndpoint(deps, caller(c), c.req.valid('json'));
      return c.json({ ...presentEndpoint(endpoint), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{id}',
      tags,
      operationId: 'getWebhook',
      summary: 'One webhook endpoint (needs `settings_manage`)',
      ...secured,
      request: { params: WebhookParams },
      responses: {
        200: { description: 'The endpoint.', ...json(WebhookEndpoint) },
        ...errorResponses([401, 403, 404, 429], REFUSED),
      },
    }),
    async (c) => c.json(presentEndpoint(await getEndpoint(deps.db, caller(c), c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/webhooks/{id}',
      tags,
      operationId: 'updateWebhook',
      summary: 'Change a webhook endpoint: URL, events, description, or `enabled` (needs `settings_manage`)',
      description: 'Disabling ends its waiting deliveries as failed; they can be redelivered by hand.',
      ...secured,
      request: { params: WebhookParams, body: { required: true, ...json(UpdateWebhookRequest) } },
      responses: {
        200: { description: 'The endpoint as changed.', ...json(WebhookEndpoint) },
        ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], { ...REFUSED, 422: REFUSED_TARGET }),
      },
    }),
    async (c) => {
      const endpoint = await updateEndpoint(deps, caller(c), c.req.valid('param').id, c.req.valid('json'));
      return c.json(presentEndpoint(endpoint), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/webhooks/{id}',
      tags,
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook endpoint and its delivery log (needs `settings_manage`)',
      ...secured,
      request: { params: WebhookParams },
      responses: { 204: { description: 'Deleted.' }, ...errorResponses([401, 403, 404, 429], REFUSED) },
    }),
    async (c) => {
      await deleteEndpoint(deps, caller(c), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{id}/secret',
      tags,
      operationId: 'rotateWebhookSecret',
      summary: 'Rotate the signing secret (needs `settings_manage`); the new one is in this answer only',
      description: 'The old secret stops signing at once.',
      ...secured,
      request: { params: WebhookParams },
      responses: {
        200: { description: 'The endpoint with its new `secret`.', ...json(WebhookEndpointWithSecret) },
        ...errorResponses([401, 403, 404, 429], REFUSED),
      },
    }),
    async (c) => {
      const { endpoint, secret } = await rotateSecret(deps, caller(c), c.req.valid('param').id);
      return c.json({ ...presentEndpoint(endpoint), secret }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{id}/pings',
      tags,
      operationId: 'pingWebhook',
      summary:
        'Send a `ping` event to the endpoint now (needs `settings_manage`): one attempt, its outcome in the answer',
      ...secured,
      request: { params: WebhookParams },
      responses: {
        201: { description: 'The ping’s delivery (succeeded or failed).', ...json(WebhookDelivery) },
        ...errorResponses([401, 403, 404, 429], REFUSED),
      },
    }),
    async (c) => c.json(presentDelivery(await sendPing(deps, caller(c), c.req.valid('param').id)), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      tags,
      operationId: 'listWebhookDeliveries',
      summary: 'The endpoint’s delivery log, newest first (needs `settings_manage`)',
      ...secured,
      request: { params: WebhookParams, query: DeliveryPageQuery },
      responses: {
        200: {
          description: 'One page of deliveries.',
          ...json(listOf(WebhookDelivery).openapi('WebhookDeliveryList')),
        },
        ...errorResponses([401, 403, 404, 422, 429], REFUSED),
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await listDeliveries(deps.db, caller(c), c.req.valid('param').id, { limit, before: cursor });
      return c.json(
        { data: page.items.map(presentDelivery), has_more: page.next !== null, next_cursor: page.next },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{id}/deliveries/{deliveryId}',
      tags,
      operationId: 'getWebhookDelivery',
      summary: 'One delivery with every attempt and the body sent (needs `settings_manage`)',
      ...secured,
      request: { params: DeliveryParams },
      responses: {
        200: { description: 'The delivery.', ...json(WebhookDeliveryDetailSchema) },
        ...errorResponses([401, 403, 404, 429], REFUSED),
      },
    }),
    async (c) => {
      const { id, deliveryId } = c.req.valid('param');
      return c.json(presentDeliveryDetail(await getDelivery(deps.db, caller(c), id, deliveryId)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks/{id}/deliveries/{deliveryId}/redeliveries',
      tags,
      operationId: 'redeliverWebhook',
      summary: 'Send a delivery again now, by hand (needs `settings_manage`); its outcome is in the answer',
      description: 'Also a failed delivery, also to a disabled endpoint. A success ends its retries.',
      ...secured,
      request: { params: DeliveryParams },
      responses: {
        201: { description: 'The delivery after the attempt.', ...json(WebhookDelivery) },
        ...errorResponses([401, 403, 404, 409, 429], {
          ...REFUSED,
          409: '`conflict`: an attempt of this delivery is being sent right now.',
        }),
      },
    }),
    async (c) => {
      const { id, deliveryId } = c.req.valid('param');
      return c.json(presentDelivery(await redeliver(deps, caller(c), id, deliveryId)), 201);
    },
  );

  return app;
}
