import { Hono, type Context } from 'hono';
import {
  createOwnOrganization,
  getOrganization,
  listMyOrganizations,
  switchActiveOrganization,
  updateOrganizationSettings,
} from '../../../../domain/organizations/organizations.ts';
import { authorize } from '../../../../domain/access/organization.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, submitForm } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { actorOf } from '../../../actor.ts';
import { backTo, switcherData } from '../../../organization-switcher.ts';
import { localPath } from '../../../local-path.ts';
import { NotFoundError } from '../../../../lib/errors.ts';

/** /organizations: my organizations, and creating one. */
export function myOrganizationPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const listOpts = {
    layout: 'portal' as const,
    title: 'Organizations',
    region: { id: 'create-organization', partial: 'portal/organizations/_create_form' },
  };
  const listData = async (c: Context) => ({
    ...(await switcherData(deps.db, actorOf(c))),
    mine: await listMyOrganizations(deps.db, actorOf(c)),
  });

  app.get('/', async (c) =>
    view.page(c, 'portal/organizations/index', { ...(await listData(c)), values: {}, errors: {} }, listOpts),
  );

  app.post('/', async (c) => {
    const values = await formData(c);
    return submitForm(
      c,
      view,
      { template: 'portal/organizations/index', values, data: await listData(c), options: listOpts },
      async () => {
        const org = await createOwnOrganization(deps, actorOf(c), { values, activate: true });
        flash(c, `${org.name} is created and is now your active organization.`);
        return redirect(c, '/organization/members');
      },
    );
  });

  return app;
}

/**
 * /active-organization: the switcher's form (back to the page it was on, or to `next`), and
 * /active-organization/<id>?next=<path>, the links of emails about one organization: a member
 * goes on to the page in that organization (asked first when another one is active; switching
 * is a form, never a GET); anyone else gets 404.
 */
export function organizationSwitchPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  app.post('/', async (c) => {
    const { organization_id = '', next = '' } = await formData(c);
    await switchActiveOrganization(deps, actorOf(c), organization_id);
    return redirect(c, localPath(next) ?? backTo(c, deps.config.publicUrl));
  });
  app.get('/:id', async (c) => {
    const actor = actorOf(c);
    const id = c.req.param('id');
    const next = localPath(c.req.query('next'), '/dashboard');
    const mine = await listMyOrganizations(deps.db, actor);
    const org = mine.find((o) => o.id === id);
    if (!org) throw new NotFoundError('No such organization.');
    if (actor.organizationId === org.id) return redirect(c, next);
    const active = mine.find((o) => o.id === actor.organizationId);
    return view.page(c, 'portal/organizations/switch', { org, active, next }, { layout: 'portal', title: org.name });
  });
  return app;
}

/** /organization/settings: the active organization's name and invoice details (`settings_manage`). */
export function organizationSettingsPages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const settingsOpts = { layout: 'portal' as const, title: 'Organization settings' };

  app.get('/settings', async (c) => {
    authorize(actorOf(c), 'settings_manage');
    const org = await getOrganization(deps.db, actorOf(c));
    const values = { name: org.name, website: org.website ?? '', address: org.address ?? '', tax_id: org.tax_id ?? '' };
    return view.page(c, 'portal/organizations/settings', { org, values, errors: {} }, settingsOpts);
  });

  app.post('/settings', async (c) => {
    authorize(actorOf(c), 'settings_manage');
    const values = await formData(c);
    const org = await getOrganization(deps.db, actorOf(c));
    return submitForm(
      c,
      view,
      { template: 'portal/organizations/settings', values, data: { org }, options: settingsOpts },
      async () => {
        await updateOrganizationSettings(deps, actorOf(c), { values });
        flash(c, 'The organization settings are saved.');
        return redirect(c, '/organization/settings');
      },
    );
  });

  return app;
}
