import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { createApiKey, listApiKeys, revokeApiKey } from '../../../../domain/api-keys/keys.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, refuseApiKeys, requireToken, secured } from '../bearer-auth.ts';
import { listAnswer, listOf } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import { ApiKey, CreateApiKeyRequest, CreatedApiKey, KeyParams, presentApiKey } from './schemas.ts';

// Keys are managed with an access token only: a key can neither see nor change credentials.
const managed = { ...secured, middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler] };
const KEY_REFUSED = {
  403: 'The request was made with an API key: keys are managed with an access token (or in the browser).',
};

/** The caller's own API keys: list, create (the secret is in the answer once), revoke. */
export function apiKeyRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get',
    path: '/api-keys',
    tags: ['api-keys'],
    operationId: 'listApiKeys',
    summary: 'Your live API keys in every organization (all of them, on one page)',
    ...managed,
    responses: {
      200: { description: 'Newest first; revoked keys are not listed.', ...json(listOf(ApiKey).openapi('ApiKeyList')) },
      ...errorResponses([401, 403, 429], KEY_REFUSED),
    },
  });
  app.openapi(listRoute, async (c) => {
    const keys = await listApiKeys(deps.db, caller(c));
    return c.json(listAnswer(keys, null, presentApiKey), 200);
  });

  const createKeyRoute = createRoute({
    method: 'post',
    path: '/api-keys',
    tags: ['api-keys'],
    operationId: 'createApiKey',
    summary: 'Create an API key for one of your organizations',
    ...managed,
    request: { body: { required: true, ...json(CreateApiKeyRequest) } },
    responses: {
      201: { description: 'The key, with its secret (shown only this once).', ...json(CreatedApiKey) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429], {
        ...KEY_REFUSED,
        422: '`validation_failed`: e.g. `organization_id` is not one of yours, or `permissions` names an unknown permission or one you lack there.',
      }),
    },
  });
  app.openapi(createKeyRoute, async (c) => {
    const { key, apiKey } = await createApiKey(deps, caller(c), c.req.valid('json'));
    return c.json({ ...presentApiKey(apiKey), key }, 201);
  });

  const revokeRoute = createRoute({
    method: 'delete',
    path: '/api-keys/{id}',
    tags: ['api-keys'],
    operationId: 'revokeApiKey',
    summary: 'Revoke one of your API keys',
    ...managed,
    request: { params: KeyParams },
    responses: {
      204: { description: 'Revoked: the key fails from the next request on.' },
      ...errorResponses([401, 403, 404, 429], { ...KEY_REFUSED, 404: 'No such key of yours: `not_found`.' }),
    },
  });
  app.openapi(revokeRoute, async (c) => {
    await revokeApiKey(deps, caller(c), c.req.valid('param').id);
    return c.body(null, 204);
  });

  return app;
}
