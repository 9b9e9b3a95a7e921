import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { attachFirewall, detachFirewall } from '../../../../domain/firewalls/attachments.ts';
import { createFirewall, deleteFirewall, updateFirewall } from '../../../../domain/firewalls/changes.ts';
import { getFirewall, listFirewalls } from '../../../../domain/firewalls/firewalls.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { listOf, listPage, PageQuery } from '../pagination.ts';
import { errorResponses, json } from '../schemas.ts';
import {
  AttachServerRequest,
  CreateFirewallRequest,
  Firewall,
  FirewallParams,
  FirewallServerParams,
  presentFirewall,
  UpdateFirewallRequest,
} from './schemas.ts';

const REFUSED = {
  403: 'The caller lacks the permission in the acting organization (`vps_view` to read, `vps_manage` to change).',
  404: 'No such firewall (or server) in the acting organization: another organization’s ids are not found.',
  409: 'The server is busy at the provider; try again shortly.',
  503: 'The server platform did not answer; nothing was changed. Try again shortly.',
};
const WRITE_ERRORS = [400, 401, 403, 404, 409, 413, 415, 422, 429, 503] as const;
const route = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => ({
  method,
  path,
  tags: ['firewalls'],
  ...secured,
});

/** The acting organization's cloud firewalls (the portal's /firewalls asks the same domain). */
export function firewallRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();

  const listRoute = createRoute({
    ...route('get', '/firewalls'),
    operationId: 'listFirewalls',
    summary: 'The organization’s firewalls, by label (needs `vps_view`)',
    request: { query: PageQuery },
    responses: {
      200: { description: 'One page of firewalls.', ...json(listOf(Firewall).openapi('FirewallList')) },
      ...errorResponses([401, 403, 404, 422, 429], REFUSED),
    },
  });
  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listFirewalls(deps.db, caller(c), { page: { limit, cursor } });
    return c.json(
      listPage(rows, limit, presentFirewall, (f) => f.id),
      200,
    );
  });

  const createFirewallRoute = createRoute({
    ...route('post', '/firewalls'),
    operationId: 'createFirewall',
    summary: 'Create a firewall, optionally attached to servers (needs `vps_manage`)',
    request: { body: { required: true, ...json(CreateFirewallRequest) } },
    responses: {
      201: { description: 'The firewall, in force at the provider.', ...json(Firewall) },
      ...errorResponses([...WRITE_ERRORS], {
        ...REFUSED,
        422: '`validation_failed`: fields such as `label`, `rules.inbound.0.ports`, `rules.outbound.1.addresses`, `server_id`.',
      }),
    },
  });
  app.openapi(createFirewallRoute, async (c) =>
    c.json(presentFirewall(await createFirewall(deps, caller(c), c.req.valid('json'))), 201),
  );

  const getRoute = createRoute({
    ...route('get', '/firewalls/{id}'),
    operationId: 'getFirewall',
    summary: 'One firewall with its rules and servers (needs `vps_view`)',
    request: { params: FirewallParams },
    responses: {
      200: { description: 'The firewall.', ...json(Firewall) },
      ...errorResponses([401, 403, 404, 429], REFUSED),
    },
  });
  app.openapi(getRoute, async (c) =>
    c.json(presentFirewall(await getFirewall(deps.db, caller(c), c.req.valid('param').id)), 200),
  );

  const updateRoute = createRoute({
    ...route('patch', '/firewalls/{id}'),
    operationId: 'updateFirewall',
    summary: 'Rename a firewall and/or replace its rules (needs `vps_manage`)',
    request: { params: FirewallParams, body: { required: true, ...json(UpdateFirewallRequest) } },
    responses: {
      200: { description: 'The firewall as saved.', ...json(Firewall) },
      ...errorResponses([...WRITE_ERRORS], REFUSED),
    },
  });
  app.openapi(updateRoute, async (c) => {
    const fw = await updateFirewall(deps, caller(c), {
      firewallId: c.req.valid('param').id,
      values: c.req.valid('json'),
    });
    return c.json(presentFirewall(fw), 200);
  });

  const deleteRoute = createRoute({
    ...route('delete', '/firewalls/{id}'),
    operationId: 'deleteFirewall',
    summary: 'Delete a firewall; its servers are no longer filtered (needs `vps_manage`)',
    request: { params: FirewallParams },
    responses: { 204: { description: 'Deleted.' }, ...errorResponses([401, 403, 404, 409, 429, 503], REFUSED) },
  });
  app.openapi(deleteRoute, async (c) => {
    await deleteFirewall(deps, caller(c), c.req.valid('param').id);
    return c.body(null, 204);
  });

  const attachRoute = createRoute({
    ...route('post', '/firewalls/{id}/servers'),
    operationId: 'attachFirewall',
    summary: 'Attach the firewall to one of the organization’s servers (needs `vps_manage`)',
    request: { params: FirewallParams, body: { required: true, ...json(AttachServerRequest) } },
    responses: {
      200: {
        description: 'The firewall, with the server among those it guards. Attaching again changes nothing.',
        ...json(Firewall),
      },
      ...errorResponses([...WRITE_ERRORS], {
        ...REFUSED,
        422: '`validation_failed` on `server_id`: the server already has a firewall, runs at another provider, or has no instance yet.',
      }),
    },
  });
  app.openapi(attachRoute, async (c) => {
    const fw = await attachFirewall(deps, caller(c), {
      firewallId: c.req.valid('param').id,
      serverId: c.req.valid('json').server_id,
    });
    return c.json(presentFirewall(fw), 200);
  });

  const detachRoute = createRoute({
    ...route('delete', '/firewalls/{id}/servers/{server_id}'),
    operationId: 'detachFirewall',
    summary: 'Detach the firewall from one of its servers (needs `vps_manage`)',
    request: { params: FirewallServerParams },
    responses: { 204: { description: 'Detached.' }, ...errorResponses([401, 403, 404, 409, 429, 503], REFUSED) },
  });
  app.openapi(detachRoute, async (c) => {
    const { id, server_id } = c.req.valid('param');
    await detachFirewall(deps, caller(c), { firewallId: id, serverId: server_id });
    return c.body(null, 204);
  });

  return app;
}
