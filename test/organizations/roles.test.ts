import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/domain/access/permissions.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { activity, browserFor, people, customRole, join, nextIp, roleId, sendForm, team } from './cast.ts';

let ctx: TestContext;
const api = () => apiClient(ctx, '198.51.100.230');
const pairs = (name: string, permissions: string[]): [string, string][] => [
  ['name', name],
  ...permissions.map((p): [string, string] => ['permissions', p]),
];
const permissionsOf = async (id: string) =>
  (await ctx.db.selectFrom('roles').select('permissions').where('id', '=', id).executeTakeFirstOrThrow()).permissions;
const rolesNamed = (orgId: string, name: string) =>
  ctx.db.selectFrom('roles').select('id').where('organization_id', '=', orgId).where('name', '=', name).execute();

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/**
 * Each test's own Acme Hosting: Olivia owns it; Mia is a "team lead" (members_manage, no
 * billing_manage); Victor holds the custom role "ops" (vps_view only); Fiona is elsewhere.
 */
async function acme() {
  const [olivia, mia, victor, fiona] = await people(ctx, 'Olivia Owner', 'Mia Manager', 'Victor Ops', 'Fiona Foreign');
  const id = await team(ctx, olivia);
  const teamLead = await customRole(ctx, id, 'team lead', ['members_manage', 'vps_view', 'notes_view', 'billing_view']);
  const ops = await customRole(ctx, id, 'ops', ['vps_view']);
  await join(ctx, id, mia.id, 'team lead');
  await join(ctx, id, victor.id, 'ops');
  return { id, olivia, mia, victor, fiona, teamLead, ops };
}

describe('predefined roles', () => {
  it('every organization is seeded with the seven roles of PRODUCT.md §3', async () => {
    const { id } = await acme();
    const rows = await ctx.db
      .selectFrom('roles')
      .select(['name', 'permissions'])
      .where('organization_id', '=', id)
      .where('predefined', '=', true)
      .execute();
    const roles = Object.fromEntries(rows.map((r) => [r.name, [...r.permissions].sort()]));
    const sorted = (...p: string[]) => p.sort();
    expect(roles).toEqual({
      owner: [...PERMISSIONS].sort(),
      admin: PERMISSIONS.filter((p) => !['billing_manage', 'egress_manage', 'members_manage'].includes(p)).sort(),
      member: sorted(
        'vps_view',
        'vps_create',
        'vps_manage',
        'notes_view',
        'notes_manage',
        'ssh_keys_view',
        'tickets_view',
        'tickets_create',
        'billing_view',
        'egress_view',
        'hosting_view',
        'hosting_manage',
      ),
      vps_manager: sorted('vps_view', 'vps_create', 'vps_manage', 'notes_view', 'ssh_keys_view', 'ssh_keys_manage'),
      hosting_manager: sorted(
        'notes_view',
        'ssh_keys_view',
        'tickets_view',
        'tickets_create',
        'billing_view',
        'egress_view',
        'hosting_view',
        'hosting_manage',
      ),
      support_agent: sorted('notes_view', 'tickets_view', 'tickets_create', 'tickets_manage', 'hosting_view'),
      viewer: sorted('vps_view', 'notes_view', 'tickets_view', 'hosting_view'),
    });
    expect(PERMISSIONS).toHaveLength(19);
  });

  it('cannot be edited or deleted, even by the owner, and their page is read-only', async () => {
    const { id, olivia } = await acme();
    const browser = await browserFor(ctx, olivia);
    const owner = await roleId(ctx, id, 'owner');
    const page = await (await browser.get(`/organization/roles/${owner}`)).text();
    expect(page).toContain('This is a predefined role');
    expect(page).not.toContain('Save role');
    expect(page).not.toContain('Delete role');
    const viewer = await roleId(ctx, id, 'viewer');
    const edit = await sendForm(
      ctx,
      browser,
      'PATCH',
      `/organization/roles/${viewer}`,
      pairs('viewer', [...PERMISSIONS]),
      { 'hx-request': 'true', 'hx-target': 'role-form' },
    );
    expect(edit.status).toBe(422);
    expect(await edit.text()).toContain('is a predefined role: it cannot be changed or deleted');
    expect(
      (
        await browser.post(
          `/organization/roles/${viewer}`,
          {},
          { method: 'DELETE', headers: { 'hx-request': 'true', 'hx-target': 'role-delete' } },
        )
      ).status,
    ).toBe(422);
    expect(await permissionsOf(viewer)).toEqual(['vps_view', 'notes_view', 'tickets_view', 'hosting_view']);
    expect(await rolesNamed(id, 'viewer')).toHaveLength(1);
  });
});

describe('custom roles (pages)', () => {
  it('Olivia creates a role from the permission checklist', async () => {
    const { id, olivia } = await acme();
    const browser = await browserFor(ctx, olivia);
    const list = await (await browser.get('/organization/roles')).text();
    expect(list.match(/type="checkbox" name="permissions"/g)).toHaveLength(19);
    const res = await sendForm(
      ctx,
      browser,
      'POST',
      '/organization/roles',
      pairs('billing clerk', ['billing_view', 'billing_manage', 'tickets_view']),
    );
    expect(res.status).toBe(303);
    const role = await ctx.db
      .selectFrom('roles')
      .selectAll()
      .where('organization_id', '=', id)
      .where('name', '=', 'billing clerk')
      .executeTakeFirstOrThrow();
    expect(role).toMatchObject({ predefined: false, permissions: ['tickets_view', 'billing_view', 'billing_manage'] });
    expect(await activity(ctx, id, 'role.created')).toMatchObject([{ actor_user_id: olivia.id, target_id: role.id }]);
  });

  it.each([
    ['an empty name', pairs('', ['vps_view']), 'Enter a name.'],
    ['a predefined role’s name', pairs('Admin', ['vps_view']), 'That name belongs to a predefined role.'],
    ['a name already used', pairs('ops', ['vps_view']), 'A role with this name already exists.'],
    ['an unknown permission', pairs('weird', ['vps_view', 'root_access']), 'Unknown permission: root_access.'],
  ])('refuses %s, showing the form again', async (_what, body, message) => {
    const { id, olivia } = await acme();
    const before = await ctx.db.selectFrom('roles').select('id').where('organization_id', '=', id).execute();
    const browser = await browserFor(ctx, olivia);
    await browser.get('/organization/roles');
    const res = await sendForm(ctx, browser, 'POST', '/organization/roles', body);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(message);
    expect(await ctx.db.selectFrom('roles').select('id').where('organization_id', '=', id).execute()).toHaveLength(
      before.length,
    );
  });

  it('Mia (members_manage, no billing_manage) cannot create a role with billing_manage; her checkbox for it is disabled', async () => {
    const { id, mia } = await acme();
    const browser = await browserFor(ctx, mia);
    const page = await (await browser.get('/organization/roles')).text();
    expect(page).toMatch(/value="billing_manage" disabled/);
    expect(page).toMatch(/value="billing_view">/);
    const res = await sendForm(
      ctx,
      browser,
      'POST',
      '/organization/roles',
      pairs('sneaky', ['vps_view', 'billing_manage']),
    );
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('You cannot grant permissions you do not hold yourself: billing_manage.');
    expect(await rolesNamed(id, 'sneaky')).toEqual([]);
  });

  it('Mia cannot widen her own role with a permission she lacks', async () => {
    const { mia, teamLead } = await acme();
    const browser = await browserFor(ctx, mia);
    await browser.get(`/organization/roles/${teamLead}`);
    const res = await sendForm(
      ctx,
      browser,
      'PATCH',
      `/organization/roles/${teamLead}`,
      pairs('team lead', ['members_manage', 'vps_view', 'notes_view', 'billing_view', 'billing_manage']),
      { 'hx-request': 'true', 'hx-target': 'role-form' },
    );
    expect(res.status).toBe(422);
    expect(await permissionsOf(teamLead)).toEqual(['members_manage', 'vps_view', 'notes_view', 'billing_view']);
  });

  it('Mia may not touch a role that grants something she lacks (403)', async () => {
    const { id, mia } = await acme();
    const clerk = await customRole(ctx, id, 'billing clerk', ['tickets_view', 'billing_view', 'billing_manage']);
    const browser = await browserFor(ctx, mia);
    await browser.get('/organization/roles');
    expect(
      (await sendForm(ctx, browser, 'PATCH', `/organization/roles/${clerk}`, pairs('billing clerk', ['tickets_view'])))
        .status,
    ).toBe(403);
    expect((await browser.post(`/organization/roles/${clerk}`, {}, { method: 'DELETE' })).status).toBe(403);
    expect(await permissionsOf(clerk)).toEqual(['tickets_view', 'billing_view', 'billing_manage']);
  });

  it('an edit reaches the role’s members on their next request', async () => {
    const { id, olivia, victor, ops } = await acme();
    const victorBrowser = await browserFor(ctx, victor);
    expect((await victorBrowser.get('/organization/settings')).status).toBe(403);
    const browser = await browserFor(ctx, olivia);
    await browser.get(`/organization/roles/${ops}`);
    const res = await sendForm(
      ctx,
      browser,
      'PATCH',
      `/organization/roles/${ops}`,
      pairs('ops team', ['vps_view', 'settings_manage']),
      { 'hx-request': 'true', 'hx-target': 'role-form' },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Saved.');
    expect((await victorBrowser.get('/organization/settings')).status).toBe(200);
    expect(await activity(ctx, id, 'role.updated')).toMatchObject([
      { target_id: ops, details: { from: 'vps_view', to: 'vps_view,settings_manage' } },
    ]);
  });

  it('a role somebody holds cannot be deleted; an unused one can', async () => {
    const { id, olivia, ops } = await acme();
    const browser = await browserFor(ctx, olivia);
    await browser.get(`/organization/roles/${ops}`);
    const refused = await browser.post(
      `/organization/roles/${ops}`,
      {},
      { method: 'DELETE', headers: { 'hx-request': 'true', 'hx-target': 'role-delete' } },
    );
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('is held by 1 member: give them another role before deleting it.');
    expect(await rolesNamed(id, 'ops')).toEqual([{ id: ops }]);
    const unused = await customRole(ctx, id, 'unused', []);
    const res = await browser.post(`/organization/roles/${unused}`, {}, { method: 'DELETE' });
    expect(res.status).toBe(303);
    expect(await ctx.db.selectFrom('roles').select('id').where('id', '=', unused).execute()).toEqual([]);
    expect(await activity(ctx, id, 'role.deleted')).toMatchObject([{ target_id: unused }]);
  });

  it('anyone in the organization sees the roles; only members_manage may open, create or change them (403)', async () => {
    const { id, victor, ops } = await acme();
    const browser = await browserFor(ctx, victor);
    const list = await browser.get('/organization/roles');
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain('team lead');
    expect(html).not.toContain('Create role');
    expect((await browser.get(`/organization/roles/${ops}`)).status).toBe(403);
    expect((await sendForm(ctx, browser, 'POST', '/organization/roles', pairs('mine', ['vps_view']))).status).toBe(403);
    expect(await rolesNamed(id, 'mine')).toEqual([]);
  });

  it('another organization’s role is not found (404)', async () => {
    const { olivia, fiona } = await acme();
    const browser = await browserFor(ctx, olivia);
    await browser.get('/organization/roles');
    const foreign = await roleId(ctx, fiona.organization.id, 'viewer');
    expect((await browser.get(`/organization/roles/${foreign}`)).status).toBe(404);
    expect((await sendForm(ctx, browser, 'PATCH', `/organization/roles/${foreign}`, pairs('x', []))).status).toBe(404);
    expect((await browser.post(`/organization/roles/${foreign}`, {}, { method: 'DELETE' })).status).toBe(404);
    expect((await browser.get('/organization/roles/not-an-id')).status).toBe(404);
    expect(await permissionsOf(foreign)).toEqual(['vps_view', 'notes_view', 'tickets_view', 'hosting_view']);
  });
});

describe('roles in the JSON API', () => {
  async function apiWorld() {
    const world = await acme();
    const [oliviaToken, miaToken] = await Promise.all([
      tokenFor(ctx, world.olivia.email, nextIp()),
      tokenFor(ctx, world.mia.email, nextIp()),
    ]);
    return { ...world, oliviaToken, miaToken };
  }

  it('lists roles with their permissions and member counts', async () => {
    const { id, miaToken } = await apiWorld();
    const res = await api()('GET', `/organizations/${id}/roles?limit=100`, { token: miaToken });
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.data.map((r: { name: string }) => [r.name, r]));
    expect(byName.owner).toMatchObject({ predefined: true, members: 1 });
    expect(byName.viewer).toMatchObject({ predefined: true, members: 0 });
    expect(byName['team lead']).toMatchObject({
      predefined: false,
      members: 1,
      permissions: ['members_manage', 'vps_view', 'notes_view', 'billing_view'],
    });
  });

  it('creates a custom role, ignoring predefined and organization_id in the body', async () => {
    const { id, fiona, oliviaToken } = await apiWorld();
    const res = await api()('POST', `/organizations/${id}/roles`, {
      token: oliviaToken,
      body: {
        name: 'auditor',
        permissions: ['billing_view', 'vps_view'],
        predefined: true,
        organization_id: fiona.organization.id,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'auditor',
      predefined: false,
      permissions: ['vps_view', 'billing_view'],
      members: 0,
    });
    expect(
      await ctx.db
        .selectFrom('roles')
        .select(['organization_id', 'predefined'])
        .where('id', '=', res.body.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ organization_id: id, predefined: false });

    const updated = await api()('PATCH', `/organizations/${id}/roles/${res.body.id}`, {
      token: oliviaToken,
      body: { permissions: ['vps_view'] },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'auditor', permissions: ['vps_view'] });
    expect(await permissionsOf(res.body.id)).toEqual(['vps_view']);
    expect((await api()('DELETE', `/organizations/${id}/roles/${res.body.id}`, { token: oliviaToken })).status).toBe(
      204,
    );
    expect(await rolesNamed(id, 'auditor')).toEqual([]);
  });

  it('refuses an unknown permission, one the caller lacks, and predefined roles', async () => {
    const { id, oliviaToken, miaToken } = await apiWorld();
    expect(
      (
        await api()('POST', `/organizations/${id}/roles`, {
          token: oliviaToken,
          body: { name: 'x', permissions: ['root'] },
        })
      ).status,
    ).toBe(422);
    const escalate = await api()('POST', `/organizations/${id}/roles`, {
      token: miaToken,
      body: { name: 'x', permissions: ['billing_manage'] },
    });
    expect(escalate.status).toBe(422);
    expect(escalate.body.error.fields.permissions).toContain('billing_manage');
    expect(await rolesNamed(id, 'x')).toEqual([]);
    const owner = await roleId(ctx, id, 'owner');
    const predefined = await api()('PATCH', `/organizations/${id}/roles/${owner}`, {
      token: oliviaToken,
      body: { name: 'boss' },
    });
    expect(predefined.status).toBe(422);
    expect(predefined.body.error.code).toBe('role_read_only');
    expect((await api()('DELETE', `/organizations/${id}/roles/${owner}`, { token: oliviaToken })).body.error.code).toBe(
      'role_read_only',
    );
    expect(await rolesNamed(id, 'owner')).toEqual([{ id: owner }]);
  });

  it('answers 404 for another organization’s roles, and 403 without members_manage', async () => {
    const { id, victor, fiona, oliviaToken } = await apiWorld();
    const foreign = await roleId(ctx, fiona.organization.id, 'viewer');
    expect(
      (await api()('PATCH', `/organizations/${id}/roles/${foreign}`, { token: oliviaToken, body: { name: 'x' } }))
        .status,
    ).toBe(404);
    expect(
      (await api()('DELETE', `/organizations/${fiona.organization.id}/roles/${foreign}`, { token: oliviaToken }))
        .status,
    ).toBe(404);
    expect((await api()('GET', `/organizations/${fiona.organization.id}/roles`, { token: oliviaToken })).status).toBe(
      404,
    );
    expect(await rolesNamed(fiona.organization.id, 'viewer')).toEqual([{ id: foreign }]);
    const victorToken = await tokenFor(ctx, victor.email, nextIp());
    expect((await api()('GET', `/organizations/${id}/roles`, { token: victorToken })).status).toBe(200);
    expect(
      (
        await api()('POST', `/organizations/${id}/roles`, {
          token: victorToken,
          body: { name: 'mine', permissions: [] },
        })
      ).status,
    ).toBe(403);
    expect(await rolesNamed(id, 'mine')).toEqual([]);
  });
});
