import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Actor } from '../../../domain/access/actor.ts';
import { createApiKey, createApiKeyInput, listApiKeys, revokeApiKey, type ApiKeyRow } from '../../../domain/api-keys/keys.ts';
import { UnauthenticatedError } from '../../../lib/errors.ts';
import type { AppDeps } from '../../context.ts';
import { BEARER, refuseApiKeys, requireToken } from './bearer-auth.ts';
import { errorResponses, listOf, Timestamp } from './schemas.ts';

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
// Keys are managed with an access token only: a key can neither see nor change credentials.
const managed = { middleware: [requireToken, refuseApiKeys] as [MiddlewareHandler, MiddlewareHandler], security: [{ [BEARER]: [] as string[] }] };
const KEY_REFUSED = { 403: 'The request was made with an API key: keys are managed with an access token (or in the browser).' };

export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ example: 'spk_Ab3dE9xQ', description: 'The first characters of the key, to recognise it.' }),
    organization_id: z.uuid().openapi({ description: 'The only organization the key acts in.' }),
    organization_name: z.string(),
    permissions: z.array(z.string()).openapi({ description: 'At most these; on each request, only those its owner still holds there.' }),
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable().openapi({ description: 'Updated at most once a minute.' }),
  })
  .openapi('ApiKey');
const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({ example: 'spk_…', description: 'The secret. Returned only here, once; send it as `Authorization: Bearer <key>`.' }),
}).openapi('CreatedApiKey');
const CreateApiKeyRequest = createApiKeyInput
  .extend({
    organization_id: z.string().openapi({ format: 'uuid', description: 'One of your organizations.' }),
    permissions: createApiKeyInput.shape.permissions.meta({ description: 'A subset of your permissions in that organization.', example: ['vps_view'] }),
    expires_at: createApiKeyInput.shape.expires_at.meta({ description: 'Optional. A date-time, or a date (the key works through that day, UTC).' }),
  })
  .openapi('CreateApiKeyRequest');
const KeyParams = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, format: 'uuid', description: 'API key id.' }) });

const iso = (d: Date | null) => (d ? d.toISOString() : null);
function presentApiKey(k: ApiKeyRow): z.infer<typeof ApiKey> {
  return ApiKey.parse({
    id: k.id, name: k.name, prefix: k.prefix, organization_id: k.organization_id, organization_name: k.organization_name, permissions: k.permissions,
    created_at: k.created_at.toISOString(), expires_at: iso(k.expires_at), last_used_at: iso(k.last_used_at),
  });
}

function caller(c: Context): Actor {
  const a = c.var.actor;
  if (!a) throw new UnauthenticatedError();
  return a;
}

/** The caller's own API keys: list, create (the secret is in the answer once), revoke. */
export function apiKeyRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    method: 'get', path: '/api-keys', tags: ['api-keys'], operationId: 'listApiKeys', summary: 'Your live API keys in every organization (all of them, on one page)', ...managed,
    responses: { 200: { description: 'Newest first; revoked keys are not listed.', ...json(listOf(ApiKey).openapi('ApiKeyList')) }, ...errorResponses([401, 403, 429], KEY_REFUSED) },
  });
  app.openapi(listRoute, async (c) => {
    const keys = await listApiKeys(deps.db, caller(c));
    return c.json({ data: keys.map(presentApiKey), has_more: false, next_cursor: null }, 200);
  });

  const createKeyRoute = createRoute({
    method: 'post', path: '/api-keys', tags: ['api-keys'], operationId: 'createApiKey', summary: 'Create an API key for one of your organizations', ...managed,
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
    method: 'delete', path: '/api-keys/{id}', tags: ['api-keys'], operationId: 'revokeApiKey', summary: 'Revoke one of your API keys', ...managed,
    request: { params: KeyParams },
    responses: { 204: { description: 'Revoked: the key fails from the next request on.' }, ...errorResponses([401, 403, 404, 429], { ...KEY_REFUSED, 404: 'No such key of yours: `not_found`.' }) },
  });
  app.openapi(revokeRoute, async (c) => {
    await revokeApiKey(deps, caller(c), c.req.valid('param').id);
    return c.body(null, 204);
  });

  return app;
}
