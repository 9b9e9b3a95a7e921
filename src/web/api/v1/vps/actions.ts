import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { AppError } from '../../../../lib/errors.ts';
import { CloudError } from '../../../../providers/cloud.ts';
import { runAction } from '../../../../domain/servers/actions.ts';
import { listAddresses, setReverseDns } from '../../../../domain/servers/addresses.ts';
import {
  cancelBackups,
  enableBackups,
  listBackups,
  restoreBackup,
  scheduleBackups,
  takeSnapshot,
} from '../../../../domain/servers/backups.ts';
import { serverActions } from '../../../../domain/servers/query.ts';
import type { ActionView } from '../../../../domain/servers/view.ts';
import { serverSettings } from '../../../../domain/catalogue/offer.ts';
import type { AppDeps } from '../../../context.ts';
import { shownRdns } from '../../../reverse-dns.ts';
import { caller, secured } from '../bearer-auth.ts';
import { errorResponses, json } from '../schemas.ts';
import { FOREIGN, Id } from './routes.ts';
import {
  Action,
  ActionBody,
  Address,
  Backups,
  presentAction,
  presentAddress,
  presentBackups,
  RestoreBody,
  ReverseDnsBody,
  ScheduleBody,
  SnapshotBody,
} from './schemas.ts';

const ACCEPTED = {
  202: { description: 'Accepted: the action, `pending` or `running` until the instance settles.', ...json(Action) },
};
const REFUSED = errorResponses([400, 401, 403, 404, 409, 422, 429, 503], {
  ...FOREIGN,
  409: 'The instance is busy with another action (`server_busy`), or its state refuses this one (a suspended instance cannot boot).',
  422: 'Validation failed, with `fields`.',
  503: 'The server platform could not be reached; try again.',
});

/** A provider read whose provider cannot be reached at all: 503 in white-label words, never a 500. */
async function reaching<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof CloudError) throw new AppError('provider_unavailable', 503, err.customerMessage);
    throw err;
  }
}

/**
 * What is done to an instance (vps_manage), each answering 202 with the action: the `actions`
 * endpoint (boot, shutdown, reboot, rebuild, resize, reset_password), backups, restores and
 * reverse DNS. Reads (actions, backups, addresses) need vps_view.
 */
export function vpsActionRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const post = (
    path: string,
    operationId: string,
    summary: string,
    body: z.ZodType | null,
    run: (
      c: { id: string; body: never },
      actorC: Parameters<typeof caller>[0],
    ) => Promise<ActionView | { action: ActionView; generatedPassword: string | null }>,
  ) => {
    const route = createRoute({
      method: 'post',
      path,
      tags: ['vps'],
      operationId,
      summary,
      ...secured,
      request: { params: Id, ...(body ? { body: { required: true, ...json(body) } } : {}) },
      responses: { ...ACCEPTED, ...REFUSED },
    });
    app.openapi(route, async (c) => {
      const out = await run(
        { id: c.req.valid('param').id, body: (body ? c.req.valid('json' as never) : undefined) as never },
        c,
      );
      return 'action' in out
        ? c.json(presentAction(out.action, out.generatedPassword), 202)
        : c.json(presentAction(out), 202);
    });
  };

  post(
    '/vps/{id}/actions',
    'createInstanceAction',
    'Boot, shut down, reboot, rebuild, resize or reset the root password (needs `vps_manage`)',
    ActionBody,
    ({ id, body }, c) => {
      const b = body as z.infer<typeof ActionBody>;
      const input =
        b.type === 'rebuild'
          ? {
              type: b.type,
              image: b.image,
              rootPassword: b.root_password,
              sshKeyIds: b.ssh_key_ids,
              appId: b.app_id,
              appData: b.app_data,
            }
          : b.type === 'resize'
            ? { type: b.type, planId: b.plan_id }
            : b.type === 'reset_password'
              ? { type: b.type, rootPassword: b.root_password }
              : { type: b.type };
      return runAction(deps, caller(c), id, input);
    },
  );
  post(
    '/vps/{id}/backups',
    'enableBackups',
    'Enable backups; the add-on is billed from the next hour (needs `vps_manage`)',
    null,
    ({ id }, c) => enableBackups(deps, caller(c), id),
  );
  post(
    '/vps/{id}/backups/schedule',
    'scheduleBackups',
    'Choose the weekly day and the daily window (needs `vps_manage`)',
    ScheduleBody,
    ({ id, body }, c) => {
      const b = body as z.infer<typeof ScheduleBody>;
      return scheduleBackups(deps, caller(c), id, { day: b.day ?? null, window: b.window ?? null });
    },
  );
  post(
    '/vps/{id}/backups/snapshots',
    'takeSnapshot',
    'Take a snapshot, replacing the previous one (needs `vps_manage`)',
    SnapshotBody,
    ({ id, body }, c) => takeSnapshot(deps, caller(c), id, { label: (body as z.infer<typeof SnapshotBody>).label }),
  );
  post(
    '/vps/{id}/restores',
    'restoreBackup',
    'Restore a backup over the instance’s disk (needs `vps_manage`)',
    RestoreBody,
    ({ id, body }, c) =>
      restoreBackup(deps, caller(c), id, { backupId: (body as z.infer<typeof RestoreBody>).backup_id }),
  );
  post(
    '/vps/{id}/reverse-dns',
    'setReverseDns',
    'Set (or with `name: null` reset) the reverse DNS of one of its addresses (needs `vps_manage`)',
    ReverseDnsBody,
    ({ id, body }, c) => {
      const b = body as z.infer<typeof ReverseDnsBody>;
      return setReverseDns(deps, caller(c), id, b.address, b.name);
    },
  );

  const resetRdns = createRoute({
    method: 'delete',
    path: '/vps/{id}/reverse-dns/{address}',
    tags: ['vps'],
    operationId: 'resetReverseDns',
    summary: 'Reset the reverse DNS of one of its addresses to the default (needs `vps_manage`)',
    ...secured,
    request: {
      params: Id.extend({
        address: z
          .string()
          .openapi({ param: { name: 'address', in: 'path' }, description: 'The IPv4 or IPv6 address (URL-encoded).' }),
      }),
    },
    responses: { ...ACCEPTED, ...REFUSED },
  });
  app.openapi(resetRdns, async (c) => {
    const { id, address } = c.req.valid('param');
    return c.json(presentAction(await setReverseDns(deps, caller(c), id, address, null)), 202);
  });

  const cancel = createRoute({
    method: 'delete',
    path: '/vps/{id}/backups',
    tags: ['vps'],
    operationId: 'cancelBackups',
    summary: 'Cancel backups: every backup is deleted, the add-on stops from the next hour (needs `vps_manage`)',
    ...secured,
    request: { params: Id },
    responses: { ...ACCEPTED, ...REFUSED },
  });
  app.openapi(cancel, async (c) =>
    c.json(presentAction(await cancelBackups(deps, caller(c), c.req.valid('param').id)), 202),
  );

  const actions = createRoute({
    method: 'get',
    path: '/vps/{id}/actions',
    tags: ['vps'],
    operationId: 'listInstanceActions',
    summary: 'The instance’s actions, newest first, at most 50 (needs `vps_view`)',
    ...secured,
    request: { params: Id },
    responses: {
      200: { description: 'Actions.', ...json(z.object({ data: z.array(Action) })) },
      ...errorResponses([401, 403, 404, 429], FOREIGN),
    },
  });
  app.openapi(actions, async (c) => {
    const list = await serverActions(deps, caller(c), c.req.valid('param').id);
    return c.json({ data: list.map((a) => presentAction(a)) }, 200);
  });

  const backups = createRoute({
    method: 'get',
    path: '/vps/{id}/backups',
    tags: ['vps'],
    operationId: 'listBackups',
    summary: 'Backups and the snapshot (needs `vps_view`)',
    ...secured,
    request: { params: Id },
    responses: {
      200: { description: 'Backups.', ...json(Backups) },
      ...errorResponses([401, 403, 404, 429, 503], FOREIGN),
    },
  });
  app.openapi(backups, async (c) =>
    c.json(presentBackups(await reaching(() => listBackups(deps, caller(c), c.req.valid('param').id))), 200),
  );

  const ips = createRoute({
    method: 'get',
    path: '/vps/{id}/ips',
    tags: ['vps'],
    operationId: 'listInstanceAddresses',
    summary: 'Addresses with their reverse DNS (needs `vps_view`)',
    ...secured,
    request: { params: Id },
    responses: {
      200: { description: 'Addresses.', ...json(z.object({ data: z.array(Address) })) },
      ...errorResponses([401, 403, 404, 429, 503], FOREIGN),
    },
  });
  app.openapi(ips, async (c) => {
    const [list, settings] = await Promise.all([
      reaching(() => listAddresses(deps, caller(c), c.req.valid('param').id)),
      serverSettings(deps.db),
    ]);
    return c.json(
      { data: list.map((a) => presentAddress(a, shownRdns(a.address, a.rdns, settings.rdnsBaseDomain))) },
      200,
    );
  });

  return app;
}
