import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { attachFirewall, detachFirewall } from '../../../../domain/firewalls/attachments.ts';
import { listFirewalls } from '../../../../domain/firewalls/firewalls.ts';
import type { AppDeps } from '../../../context.ts';
import { caller, secured } from '../bearer-auth.ts';
import { Firewall, presentFirewall } from '../firewalls/schemas.ts';
import { errorResponses, json, pathParam } from '../schemas.ts';
import { FOREIGN, Id } from './routes.ts';

/**
 * The firewalls guarding one instance (the firewalls resource itself is /firewalls): list them
 * (vps_view), attach one of the organization's (vps_manage), detach one (vps_manage). Another
 * organization's instance or firewall is 404, whichever of the two is named.
 */
export function vpsFirewallRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const tags = ['vps'];

  const list = createRoute({
    method: 'get',
    path: '/vps/{id}/firewalls',
    tags,
    operationId: 'listInstanceFirewalls',
    summary: 'The firewalls guarding this instance (needs `vps_view`)',
    ...secured,
    request: { params: Id },
    responses: {
      200: { description: 'Firewalls.', ...json(z.object({ data: z.array(Firewall) })) },
      ...errorResponses([401, 403, 404, 429], FOREIGN),
    },
  });
  app.openapi(list, async (c) => {
    const rows = await listFirewalls(deps.db, caller(c), { serverId: c.req.valid('param').id });
    return c.json({ data: rows.map(presentFirewall) }, 200);
  });

  const attach = createRoute({
    method: 'post',
    path: '/vps/{id}/firewalls',
    tags,
    operationId: 'attachInstanceFirewall',
    summary: 'Put this instance behind one of the organization’s firewalls (needs `vps_manage`)',
    ...secured,
    request: {
      params: Id,
      body: { required: true, ...json(z.object({ firewall_id: z.string().openapi({ format: 'uuid' }) })) },
    },
    responses: {
      200: { description: 'The firewall, now guarding the instance.', ...json(Firewall) },
      ...errorResponses([400, 401, 403, 404, 422, 429, 503], {
        404: 'No such instance or firewall in the acting organization.',
        422: 'The instance cannot be guarded by it (already behind another firewall, not running anywhere yet).',
      }),
    },
  });
  app.openapi(attach, async (c) => {
    const fw = await attachFirewall(deps, caller(c), {
      firewallId: c.req.valid('json').firewall_id,
      serverId: c.req.valid('param').id,
    });
    return c.json(presentFirewall(fw), 200);
  });

  const detach = createRoute({
    method: 'delete',
    path: '/vps/{id}/firewalls/{firewall_id}',
    tags,
    operationId: 'detachInstanceFirewall',
    summary: 'Take this instance out from behind a firewall (needs `vps_manage`)',
    ...secured,
    request: { params: Id.extend({ firewall_id: pathParam('firewall_id', 'Firewall id.') }) },
    responses: {
      204: { description: 'Detached.' },
      ...errorResponses([401, 403, 404, 429, 503], { 404: 'No such instance, firewall or attachment.' }),
    },
  });
  app.openapi(detach, async (c) => {
    const p = c.req.valid('param');
    await detachFirewall(deps, caller(c), { firewallId: p.firewall_id, serverId: p.id });
    return c.body(null, 204);
  });

  return app;
}
