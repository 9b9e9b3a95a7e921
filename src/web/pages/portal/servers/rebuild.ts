import { Hono, type Context } from 'hono';
import { can } from '../../../../domain/access/actor.ts';
import { authorize } from '../../../../domain/access/organization.ts';
import { offeredImages, offeredPlans, offeredRegions } from '../../../../domain/catalogue/offer.ts';
import { runAction } from '../../../../domain/servers/actions.ts';
import { getServer } from '../../../../domain/servers/query.ts';
import { listSshKeys } from '../../../../domain/ssh-keys/keys.ts';
import { actorOf } from '../../../actor.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, formList, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { passRootPassword, refusalStatus } from './actions.ts';
import { serverFormat } from './present.ts';

/**
 * Rebuild (image, new root password, SSH keys; the plan never changes) and resize (another
 * plan sold in the server's region, with its price), each a page with its form (vps_manage).
 */
export function serverRebuildPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();

  async function rebuildPage(
    c: Context,
    extra: {
      values?: Record<string, string>;
      errors?: Record<string, string>;
      message?: string;
      status?: 200 | 409 | 422 | 429 | 503;
    } = {},
  ) {
    const actor = actorOf(c);
    authorize(actor, 'vps_manage');
    const server = await getServer(deps, actor, c.req.param('id')!);
    const regions = await offeredRegions(deps.db);
    const providerId = regions.find((r) => r.id === server.region)?.providerId;
    const [images, keys] = await Promise.all([
      providerId ? offeredImages(deps.db, providerId) : Promise.resolve([]),
      can(actor, 'ssh_keys_view') ? listSshKeys(deps.db, actor) : Promise.resolve([]),
    ]);
    const data = {
      server,
      images,
      keys,
      values: extra.values ?? { image: server.image },
      errors: extra.errors ?? {},
      message: extra.message ?? '',
      fmt: serverFormat,
    };
    return view.page(c, 'portal/servers/rebuild', data, {
      layout: 'portal',
      title: `Rebuild ${server.label}`,
      status: extra.status ?? 200,
    });
  }

  async function resizePage(
    c: Context,
    extra: { errors?: Record<string, string>; message?: string; status?: 200 | 409 | 422 | 429 | 503 } = {},
  ) {
    const actor = actorOf(c);
    authorize(actor, 'vps_manage');
    const server = await getServer(deps, actor, c.req.param('id')!);
    const plans = await offeredPlans(deps.db, deps.clock.now(), { region: server.region });
    const data = { server, plans, errors: extra.errors ?? {}, message: extra.message ?? '', fmt: serverFormat };
    return view.page(c, 'portal/servers/resize', data, {
      layout: 'portal',
      title: `Resize ${server.label}`,
      status: extra.status ?? 200,
    });
  }

  app.get('/:id/rebuild', (c) => rebuildPage(c));
  app.post('/:id/rebuild', async (c) => {
    const values = await formData(c);
    const sshKeyIds = await formList(c, 'ssh_key_ids');
    const id = c.req.param('id');
    return orFail(
      async () => {
        const done = await runAction(deps, actorOf(c), id, {
          type: 'rebuild',
          image: values.image ?? '',
          rootPassword: values.password_mode === 'type' ? (values.root_password ?? '') : undefined,
          sshKeyIds,
        });
        passRootPassword(c, deps, id, done.generatedPassword);
        flash(c, 'The server is being rebuilt. Everything on its disk is replaced.');
        return redirect(c, `/vps/${id}`);
      },
      (err) =>
        rebuildPage(c, {
          values: { image: values.image ?? '', password_mode: values.password_mode ?? '' },
          errors: err.fields ?? {},
          message: err.message,
          status: refusalStatus(err),
        }),
    );
  });

  app.get('/:id/resize', (c) => resizePage(c));
  app.post('/:id/resize', async (c) => {
    const values = await formData(c);
    const id = c.req.param('id');
    return orFail(
      async () => {
        await runAction(deps, actorOf(c), id, { type: 'resize', planId: values.plan_id ?? '' });
        flash(c, 'The server is being resized. The new price applies from the next hour.');
        return redirect(c, `/vps/${id}`);
      },
      (err) => resizePage(c, { errors: err.fields ?? {}, message: err.message, status: refusalStatus(err) }),
    );
  });

  return app;
}
