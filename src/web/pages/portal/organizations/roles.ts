import { Hono, type Context } from 'hono';
import { can } from '../../../../domain/access/actor.ts';
import { authorize } from '../../../../domain/access/organization.ts';
import { PERMISSIONS } from '../../../../domain/access/permissions.ts';
import { createRole, deleteRole, getRole, listRoles, updateRole } from '../../../../domain/organizations/roles.ts';
import type { AppDeps } from '../../../context.ts';
import { formData, formList, orFail } from '../../../forms.ts';
import { flash, redirect, type Renderer } from '../../../render.ts';
import { actorOf } from '../../../actor.ts';

type Form = {
  values: { name?: string; permissions?: string[] };
  errors: Record<string, string>;
  message: string | null;
  saved?: boolean;
};
const blank: Form = { values: { permissions: [] }, errors: {}, message: null };
const regions = {
  form: { id: 'role-form', partial: 'portal/organizations/_role_form' },
  remove: { id: 'role-delete', partial: 'portal/organizations/_role_delete' },
};

/** Roles of the active organization: everyone sees the list; members_manage edits custom roles. */
export function rolePages(deps: AppDeps, view: Renderer) {
  const app = new Hono();
  const opts = (title: string, region?: { id: string; partial: string }, status?: 422) => ({
    layout: 'portal' as const,
    title,
    region,
    status,
  });
  /** The 19 permissions, each marked with whether the actor holds it (only those can be granted). */
  const catalog = (c: Context) => PERMISSIONS.map((p) => ({ name: p, held: can(actorOf(c), p) }));
  const input = async (c: Context) => ({
    name: (await formData(c)).name ?? '',
    permissions: await formList(c, 'permissions'),
  });

  const listPage = async (c: Context, form: Form, status?: 422) =>
    view.page(
      c,
      'portal/organizations/roles',
      {
        roles: await listRoles(deps.db, actorOf(c)),
        catalog: catalog(c),
        form,
        readOnly: false,
        action: { method: 'post', url: '/organization/roles', label: 'Create role' },
      },
      opts('Roles', regions.form, status),
    );
  const rolePage = async (
    c: Context,
    id: string,
    extra: { form?: Form; deleteError?: string } = {},
    region?: { id: string; partial: string },
    status?: 422,
  ) => {
    const role = await getRole(deps.db, actorOf(c), id);
    const form = extra.form ?? { ...blank, values: { name: role.name, permissions: role.permissions } };
    return view.page(
      c,
      'portal/organizations/role',
      {
        role,
        catalog: catalog(c),
        form,
        deleteError: extra.deleteError ?? null,
        readOnly: role.predefined,
        action: { method: 'patch', url: `/organization/roles/${role.id}`, label: 'Save role' },
      },
      opts(`Role ${role.name}`, region, status),
    );
  };
  const failed =
    (values: Form['values']) =>
    (err: { fields?: Record<string, string>; message: string }): Form => ({
      values,
      errors: err.fields ?? {},
      message: err.message,
    });

  app.get('/roles', async (c) => {
    if (!actorOf(c).organizationId) return c.redirect('/organizations', 303);
    return listPage(c, blank);
  });

  app.post('/roles', async (c) => {
    authorize(actorOf(c), 'members_manage');
    const values = await input(c);
    return orFail(
      async () => {
        const role = await createRole(deps, actorOf(c), values);
        flash(c, `The role “${role.name}” is created.`);
        return redirect(c, '/organization/roles');
      },
      (err) => listPage(c, failed(values)(err), 422),
    );
  });

  app.get('/roles/:id', async (c) => {
    authorize(actorOf(c), 'members_manage');
    return rolePage(c, c.req.param('id'));
  });

  app.patch('/roles/:id', async (c) => {
    authorize(actorOf(c), 'members_manage');
    const id = c.req.param('id');
    const values = await input(c);
    return orFail(
      async () => {
        const role = await updateRole(deps, actorOf(c), { roleId: id, values });
        if (c.req.header('hx-target') !== regions.form.id) {
          flash(c, `The role “${role.name}” is saved.`);
          return redirect(c, `/organization/roles/${role.id}`);
        }
        return rolePage(
          c,
          id,
          {
            form: {
              values: { name: role.name, permissions: role.permissions },
              errors: {},
              message: null,
              saved: true,
            },
          },
          regions.form,
        );
      },
      (err) => rolePage(c, id, { form: failed(values)(err) }, regions.form, 422),
    );
  });

  app.delete('/roles/:id', async (c) => {
    authorize(actorOf(c), 'members_manage');
    const id = c.req.param('id');
    return orFail(
      async () => {
        await deleteRole(deps, actorOf(c), id);
        flash(c, 'The role is deleted.');
        return redirect(c, '/organization/roles');
      },
      (err) => rolePage(c, id, { deleteError: err.message }, regions.remove, 422),
    );
  });

  return app;
}
