import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { createServer } from '../../../../domain/servers/create.ts';
import { deleteServer } from '../../../../domain/servers/delete.ts';
import { runAction } from '../../../../domain/servers/actions.ts';
import { getServer, listServers } from '../../../../domain/servers/query.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { idempotentRoute, idempotencyKeyHeader } from '../idempotency.ts';
import { listAnswer, listOf } from '../pagination.ts';
import { errorResponses, json, pathParam } from '../schemas.ts';
import {
  Renamed,
  CreateBody,
  Deleted,
  exact,
  Instance,
  InstanceCreated,
  InstanceQuery,
  PatchBody,
  presentInstance,
} from './schemas.ts';

export const Id = z.object({ id: pathParam('id', 'Instance id.') });
export const FOREIGN = {
  404: 'No such instance in the acting organization (another organization’s id is not found), or `X-Organization-Id` names an organization the caller is not in.',
};

/**
 * The acting organization's servers, as "instances" (vps_view to read, vps_create to create,
 * vps_manage to rename, vps_delete to delete: an API token's vps_delete is enough, no password).
 * Actions, backups, addresses and firewalls: actions.ts. The pages (/vps) serve the same domain.
 */
export function vpsRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const list = createRoute({
    method: 'get',
    path: '/vps',
    tags: ['vps'],
    operationId: 'listInstances',
    summary: 'The organization’s instances, newest first (needs `vps_view`)',
    ...secured,
    request: { query: InstanceQuery },
    responses: {
      200: { description: 'One page of instances.', ...json(listOf(Instance).openapi('InstanceList')) },
      ...errorResponses([401, 403, 404, 422, 429], FOREIGN),
    },
  });
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const page = await listServers(
      deps,
      caller(c),
      { q: q.q, status: q.status, region: q.region },
      { limit: q.limit, cursor: q.cursor ?? null },
    );
    return c.json(listAnswer(page.items, page.nextCursor, presentInstance), 200);
  });

  const create = createRoute({
    method: 'post',
    path: '/vps',
    tags: ['vps'],
    operationId: 'createInstance',
    summary: 'Create an instance; its first hour is charged now (needs `vps_create`)',
    description:
      'With `Idempotency-Key`, a retry with the same key answers with the instance the first request created (201 again, `Idempotent-Replayed: true`, without the root password, which is never kept); the same key with another body is 422 `idempotency_key_reused`, and while the first request still runs 409.',
    // Idempotency-Key: the shared middleware (a reused key with another body is 422, one in
    // flight 409), keeping neither the typed nor the generated root password.
    ...idempotentRoute(deps, { secretFields: ['root_password'] }),
    request: {
      headers: idempotencyKeyHeader(
        'Any unique string (a UUID): a retry with the same key answers with the instance already created instead of creating another.',
      ),
      body: { required: true, ...json(CreateBody) },
    },
    responses: {
      201: {
        description: 'The instance, `provisioning`; `root_password` when one was generated.',
        ...json(InstanceCreated),
      },
      ...errorResponses([400, 401, 403, 404, 422, 429, 503], {
        ...FOREIGN,
        422: 'Validation failed (`fields` names each: label, region, plan_id, image, root_password, ssh_key_ids, app_id, app_data.<name>), the wallet does not cover the first hour, or sales are closed.',
        503: 'The server platform could not be reached; nothing was charged.',
      }),
    },
  });
  app.openapi(create, async (c) => {
    const b = c.req.valid('json');
    const key = c.req.header('idempotency-key');
    const created = await createServer(
      deps,
      caller(c),
      {
        label: b.label,
        region: b.region,
        planId: b.plan_id,
        image: b.image,
        rootPassword: b.root_password,
        sshKeyIds: b.ssh_key_ids,
        backups: b.backups,
        privateIp: b.private_ip,
        appId: b.app_id,
        appData: b.app_data,
      },
      { idempotencyKey: key },
    );
    const body = {
      ...presentInstance(created.server),
      ...(created.generatedPassword ? { root_password: created.generatedPassword } : {}),
    };
    return c.json(InstanceCreated.parse(body), 201);
  });

  const get = createRoute({
    method: 'get',
    path: '/vps/{id}',
    tags: ['vps'],
    operationId: 'getInstance',
    summary: 'One instance (needs `vps_view`); a deleted one reads as `deleted`',
    ...secured,
    request: { params: Id },
    responses: {
      200: { description: 'The instance.', ...json(Instance) },
      ...errorResponses([401, 403, 404, 429], FOREIGN),
    },
  });
  app.openapi(get, async (c) =>
    c.json(presentInstance(await getServer(deps, caller(c), c.req.valid('param').id)), 200),
  );

  const patch = createRoute({
    method: 'patch',
    path: '/vps/{id}',
    tags: ['vps'],
    operationId: 'updateInstance',
    summary: 'Rename an instance (needs `vps_manage`)',
    ...secured,
    request: { params: Id, body: { required: true, ...json(PatchBody) } },
    responses: {
      200: { description: 'Renamed (read the instance with GET, which needs `vps_view`).', ...json(Renamed) },
      ...errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
        ...FOREIGN,
        409: 'The instance is busy (`server_busy`) or in a state that refuses it.',
      }),
    },
  });
  app.openapi(patch, async (c) => {
    const { id } = c.req.valid('param');
    const label = c.req.valid('json').label.trim();
    await runAction(deps, caller(c), id, { type: 'rename', label });
    return c.json(Renamed.parse({ id, label }), 200);
  });

  const remove = createRoute({
    method: 'delete',
    path: '/vps/{id}',
    tags: ['vps'],
    operationId: 'deleteInstance',
    summary: 'Delete an instance and refund the unused whole minutes of this hour (needs `vps_delete`)',
    ...secured,
    request: { params: Id },
    responses: {
      202: {
        description: 'Deleted at the provider; the instance now reads as `deleted` (GET /vps/{id}), its charges kept.',
        ...json(Deleted),
      },
      ...errorResponses([401, 403, 404, 409, 429, 503], {
        ...FOREIGN,
        409: 'The instance cannot be deleted in its state.',
      }),
    },
  });
  app.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    // vps_delete alone is enough: the answer reads nothing that needs vps_view.
    const { refunded } = await deleteServer(deps, caller(c), id, {});
    return c.json(
      Deleted.parse({ id, status: 'deleted', refunded: exact(refunded), currency: deps.config.BILLING_CURRENCY }),
      202,
    );
  });

  return app;
}
