import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePlatformAdmin } from '../../../../../domain/access/guard.ts';
import { addProvider, getProvider, listProviders, updateProvider } from '../../../../../domain/catalogue/providers.ts';
import { validateProvider } from '../../../../../domain/catalogue/health.ts';
import { refreshCatalogueNow } from '../../../../../domain/catalogue/refresh.ts';
import { AppError } from '../../../../../lib/errors.ts';
import { CloudError } from '../../../../../providers/cloud.ts';
import type { AppDeps } from '../../../../context.ts';
import { caller, requireToken, secured } from '../../bearer-auth.ts';
import { listOf } from '../../pagination.ts';
import { errorResponses, json } from '../../schemas.ts';
import { whole } from '../../catalogue/schemas.ts';
import {
  CreateProviderRequest,
  presentProvider,
  Provider,
  ProviderParams,
  RefreshSummary,
  UpdateProviderRequest,
} from './schemas.ts';

/** Platform staff only, before the body is read: a platform admin's access token (API keys never are). */
const requireStaff: MiddlewareHandler = async (c, next) => {
  requirePlatformAdmin(c.get('actor'));
  await next();
};
const staff = { ...secured, middleware: [requireToken, requireStaff] as [MiddlewareHandler, MiddlewareHandler] };
const REFUSED = { 403: 'Not a platform admin, or an API key.', 404: 'No such provider.' };

/** Server providers for staff over the API: list, add, read, edit, validate, refresh the cached catalogue. */
export function adminProviderRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const tags = ['admin'];

  const list = createRoute({
    method: 'get',
    path: '/admin/providers',
    tags,
    operationId: 'adminListProviders',
    summary: 'Server providers (platform admin access token only)',
    ...staff,
    responses: {
      200: { description: 'Every provider, in display order.', ...json(listOf(Provider)) },
      ...errorResponses([401, 403, 429], REFUSED),
    },
  });
  app.openapi(list, async (c) => c.json(whole((await listProviders(deps.db, caller(c))).map(presentProvider)), 200));

  const add = createRoute({
    method: 'post',
    path: '/admin/providers',
    tags,
    operationId: 'adminAddProvider',
    summary: 'Add a server provider with its API token',
    ...staff,
    request: { body: { required: true, ...json(CreateProviderRequest) } },
    responses: {
      201: { description: 'Added (health unknown until validated).', ...json(Provider) },
      ...errorResponses([400, 401, 403, 413, 415, 422, 429], REFUSED),
    },
  });
  app.openapi(add, async (c) => {
    const b = c.req.valid('json');
    const p = await addProvider(deps, caller(c), { ...b, base_url: b.base_url ?? '', active: b.active ?? true });
    return c.json(presentProvider(p), 201);
  });

  const one = createRoute({
    method: 'get',
    path: '/admin/providers/{id}',
    tags,
    operationId: 'adminGetProvider',
    summary: 'One server provider',
    ...staff,
    request: { params: ProviderParams },
    responses: {
      200: { description: 'The provider.', ...json(Provider) },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(one, async (c) =>
    c.json(presentProvider(await getProvider(deps.db, caller(c), c.req.valid('param').id)), 200),
  );

  const patch = createRoute({
    method: 'patch',
    path: '/admin/providers/{id}',
    tags,
    operationId: 'adminUpdateProvider',
    summary: 'Change a provider: the fields sent; a token replaces the stored one',
    ...staff,
    request: { params: ProviderParams, body: { required: true, ...json(UpdateProviderRequest) } },
    responses: {
      200: { description: 'Saved.', ...json(Provider) },
      ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429], REFUSED),
    },
  });
  app.openapi(patch, async (c) => {
    const actor = caller(c);
    const current = await getProvider(deps.db, actor, c.req.valid('param').id);
    const b = c.req.valid('json');
    const values = {
      name: b.name ?? current.name,
      token: b.token ?? '',
      base_url: b.base_url === undefined ? (current.baseUrl ?? '') : (b.base_url ?? ''),
      active: b.active ?? current.active,
      display_order: b.display_order ?? current.displayOrder,
    };
    return c.json(presentProvider(await updateProvider(deps, actor, { providerId: current.id, values })), 200);
  });

  const validate = createRoute({
    method: 'post',
    path: '/admin/providers/{id}/validate',
    tags,
    operationId: 'adminValidateProvider',
    summary: 'Check the provider’s credentials now',
    description: 'Always 200 with the provider: `health` says ok or error, `health_message` why.',
    ...staff,
    request: { params: ProviderParams },
    responses: {
      200: { description: 'Checked.', ...json(Provider) },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(validate, async (c) =>
    c.json(presentProvider(await validateProvider(deps, caller(c), c.req.valid('param').id)), 200),
  );

  const refresh = createRoute({
    method: 'post',
    path: '/admin/providers/{id}/refresh',
    tags,
    operationId: 'adminRefreshCatalogue',
    summary: 'Read the provider’s catalogue into the cache now',
    ...staff,
    request: { params: ProviderParams },
    responses: {
      200: { description: 'Refreshed.', ...json(RefreshSummary) },
      ...errorResponses([401, 403, 404, 429, 503], {
        ...REFUSED,
        503: 'The provider could not be read (`provider_unavailable`, with its message); the cache is unchanged.',
      }),
    },
  });
  app.openapi(refresh, async (c) => {
    try {
      return c.json(RefreshSummary.parse(await refreshCatalogueNow(deps, caller(c), c.req.valid('param').id)), 200);
    } catch (err) {
      if (err instanceof CloudError) throw new AppError('provider_unavailable', 503, err.message);
      throw err;
    }
  });
  return app;
}
