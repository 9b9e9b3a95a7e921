import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePlatformAdmin } from '../../../../../domain/access/guard.ts';
import {
  adminDeleteServer,
  adminGetServer,
  adminListServers,
  adminRunAction,
  listDrift,
  resolveDrift,
  type AdminServerView,
} from '../../../../../domain/servers/admin.ts';
import { SERVER_STATUSES } from '../../../../../domain/servers/status.ts';
import type { AppDeps } from '../../../../context.ts';
import { caller, requireToken, secured } from '../../bearer-auth.ts';
import { errorResponses, json, pathParam, Timestamp } from '../../schemas.ts';
import { exact, Instance, presentAction, presentInstance, Action } from '../../vps/schemas.ts';

const requireStaff: MiddlewareHandler = async (c, next) => {
  requirePlatformAdmin(c.get('actor'));
  await next();
};
const staff = { ...secured, middleware: [requireToken, requireStaff] as [MiddlewareHandler, MiddlewareHandler] };
const REFUSED = { 403: 'Not a platform admin, or an API key.', 404: 'No such server.' };
const tags = ['admin'];

const AdminInstance = Instance.extend({
  organization_id: z.uuid(),
  organization_name: z.string(),
  provider_id: z.uuid(),
  provider_name: z.string(),
  provider_instance_id: z.string().nullable(),
  provider_status: z.string().nullable(),
  deleted_reason: z.string().nullable(),
  created_by: z.uuid().nullable(),
}).openapi('AdminInstance');

const present = (s: AdminServerView) =>
  AdminInstance.parse({
    ...presentInstance(s),
    organization_id: s.organizationId,
    organization_name: s.organizationName,
    provider_id: s.providerId,
    provider_name: s.providerName,
    provider_instance_id: s.providerInstanceId,
    provider_status: s.providerStatus,
    deleted_reason: s.deletedReason,
    created_by: s.createdBy,
  });

const Drift = z
  .object({
    id: z.uuid(),
    kind: z.enum(['unknown_at_provider', 'missing_at_provider']),
    provider_id: z.uuid(),
    provider_name: z.string(),
    provider_instance_id: z.string(),
    server_id: z.uuid().nullable(),
    organization_id: z.uuid().nullable(),
    label: z.string().nullable(),
    detected_at: Timestamp,
    resolved_at: Timestamp.nullable(),
  })
  .openapi('ServerDrift');

const Id = z.object({ id: pathParam('id', 'Server id.') });

/** Every organization's servers for staff (a platform admin's access token): list, read, power, delete with a reason, drift. */
export function adminServerRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get',
    path: '/admin/servers',
    tags,
    operationId: 'adminListServers',
    summary: 'Every organization’s servers, newest first, 50 a page, with filters',
    ...staff,
    request: {
      query: z.object({
        page: z.coerce.number().int().min(1).max(100_000).default(1),
        organization_id: z.string().optional(),
        status: z.enum(SERVER_STATUSES).optional(),
        region: z.string().max(64).optional(),
        plan_id: z.string().optional(),
        provider_id: z.string().optional(),
        q: z
          .string()
          .max(100)
          .optional()
          .openapi({ description: 'Label, organization name, IPv4 or provider instance id.' }),
      }),
    },
    responses: {
      200: {
        description: 'One page.',
        ...json(
          z.object({
            data: z.array(AdminInstance),
            total: z.number().int(),
            page: z.number().int(),
            pages: z.number().int(),
          }),
        ),
      },
      ...errorResponses([401, 403, 422, 429], REFUSED),
    },
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const r = await adminListServers(
      deps,
      caller(c),
      {
        organizationId: q.organization_id,
        status: q.status,
        region: q.region,
        planId: q.plan_id,
        providerId: q.provider_id,
        q: q.q,
      },
      q.page,
    );
    return c.json({ data: r.items.map(present), total: r.total, page: r.page, pages: r.pages }, 200);
  });

  const drift = createRoute({
    method: 'get',
    path: '/admin/servers/drift',
    tags,
    operationId: 'adminListServerDrift',
    summary: 'What reconciliation found: unknown instances at providers, servers their provider no longer has',
    ...staff,
    request: {
      query: z.object({
        open: z.enum(['true', 'false']).optional().openapi({ description: '`true`: only open findings.' }),
      }),
    },
    responses: {
      200: { description: 'Findings, open first.', ...json(z.object({ data: z.array(Drift) })) },
      ...errorResponses([401, 403, 429], REFUSED),
    },
  });
  app.openapi(drift, async (c) => {
    const rows = await listDrift(deps, caller(c), { open: c.req.valid('query').open === 'true' });
    return c.json(
      {
        data: rows.map((d) =>
          Drift.parse({
            id: d.id,
            kind: d.kind,
            provider_id: d.providerId,
            provider_name: d.providerName,
            provider_instance_id: d.providerInstanceId,
            server_id: d.serverId,
            organization_id: d.organizationId,
            label: d.label,
            detected_at: d.detectedAt.toISOString(),
            resolved_at: d.resolvedAt?.toISOString() ?? null,
          }),
        ),
      },
      200,
    );
  });

  const resolve = createRoute({
    method: 'post',
    path: '/admin/servers/drift/{id}/resolution',
    tags,
    operationId: 'adminResolveServerDrift',
    summary: 'Mark a finding handled (reported again if still true)',
    ...staff,
    request: { params: z.object({ id: pathParam('id', 'Finding id.') }) },
    responses: {
      204: { description: 'Handled.' },
      ...errorResponses([401, 403, 404, 429], { ...REFUSED, 404: 'No such finding.' }),
    },
  });
  app.openapi(resolve, async (c) => {
    await resolveDrift(deps, caller(c), c.req.valid('param').id);
    return c.body(null, 204);
  });

  const get = createRoute({
    method: 'get',
    path: '/admin/servers/{id}',
    tags,
    operationId: 'adminGetServer',
    summary: 'One server of any organization',
    ...staff,
    request: { params: Id },
    responses: {
      200: { description: 'The server.', ...json(AdminInstance) },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(get, async (c) => c.json(present(await adminGetServer(deps, caller(c), c.req.valid('param').id)), 200));

  const act = createRoute({
    method: 'post',
    path: '/admin/servers/{id}/actions',
    tags,
    operationId: 'adminServerAction',
    summary: 'Boot, shut down or reboot any organization’s server',
    ...staff,
    request: {
      params: Id,
      body: { required: true, ...json(z.object({ type: z.enum(['boot', 'shutdown', 'reboot']) })) },
    },
    responses: {
      202: { description: 'The action.', ...json(Action) },
      ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
        ...REFUSED,
        409: 'Busy, or refused in its state.',
      }),
    },
  });
  app.openapi(act, async (c) => {
    const done = await adminRunAction(deps, caller(c), c.req.valid('param').id, { type: c.req.valid('json').type });
    return c.json(presentAction(done.action), 202);
  });

  const remove = createRoute({
    method: 'post',
    path: '/admin/servers/{id}/deletion',
    tags,
    operationId: 'adminDeleteServer',
    summary: 'Delete any organization’s server, with a reason the organization sees; unused minutes are refunded',
    ...staff,
    request: {
      params: Id,
      body: { required: true, ...json(z.object({ reason: z.string().openapi({ example: 'Abuse report #123' }) })) },
    },
    responses: {
      202: {
        description: 'Deleted.',
        ...json(
          z.object({
            id: z.uuid(),
            status: z.literal('deleted'),
            refunded: z.string(),
            currency: z.string().length(3),
          }),
        ),
      },
      ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], { ...REFUSED, 422: 'No reason given.' }),
    },
  });
  app.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    const server = await adminGetServer(deps, caller(c), id);
    const { refunded } = await adminDeleteServer(deps, caller(c), id, { reason: c.req.valid('json').reason });
    return c.json({ id, status: 'deleted' as const, refunded: exact(refunded), currency: server.currency }, 202);
  });

  return app;
}
