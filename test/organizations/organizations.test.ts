import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgActor } from '../../src/domain/access/organization.ts';
import { listMyOrganizations } from '../../src/domain/organizations/organizations.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { changeRole, keyFor } from '../api-keys/helpers.ts';
import { requestActor } from '../authz/actors.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { activity, browserFor, join, nextIp, person, roleOf, team } from './cast.ts';

let ctx: TestContext;
const api = () => apiClient(ctx, '198.51.100.200');

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const organization = (id: string) =>
  ctx.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const activeOf = async (userId: string) =>
  (await ctx.db.selectFrom('users').select('active_organization_id').where('id', '=', userId).executeTakeFirstOrThrow())
    .active_organization_id;

/** Each test's own people: Olivia, Victor and Fiona, each with only their personal organization. */
async function cast() {
  const [olivia, victor, fiona] = await Promise.all([
    person(ctx, 'Olivia Owner'),
    person(ctx, 'Victor Viewer'),
    person(ctx, 'Fiona Foreign'),
  ]);
  return { olivia, victor, fiona };
}

/** …and Acme Hosting Ltd, which Olivia owns (her active organization) and where Victor is a viewer. */
async function acme() {
  const people = await cast();
  const id = await team(ctx, people.olivia, 'Acme Hosting Ltd');
  await ctx.db
    .updateTable('organizations')
    .set({ website: 'https://acme.example', tax_id: 'GB123456789' })
    .where('id', '=', id)
    .execute();
  await join(ctx, id, people.victor.id, 'viewer');
  return { id, ...people };
}

describe('creating and switching organizations (pages)', () => {
  it('Olivia creates Acme Hosting: she owns it, it has the seven predefined roles and a wallet, and it becomes her active organization', async () => {
    const { olivia, fiona } = await cast();
    const browser = await browserFor(ctx, olivia);
    expect((await browser.get('/organizations')).status).toBe(200);
    const res = await browser.post('/organizations', { name: '  Acme Hosting ', owner_id: fiona.id, personal: 'true' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/organization/members');

    const org = await ctx.db
      .selectFrom('organizations')
      .selectAll()
      .where('created_by', '=', olivia.id)
      .where('personal', '=', false)
      .executeTakeFirstOrThrow();
    expect(org.name).toBe('Acme Hosting');
    const roles = await ctx.db
      .selectFrom('roles')
      .select(['name', 'predefined'])
      .where('organization_id', '=', org.id)
      .execute();
    expect(roles.map((r) => r.name).sort()).toEqual([
      'admin',
      'hosting_manager',
      'member',
      'owner',
      'support_agent',
      'viewer',
      'vps_manager',
    ]);
    expect(roles.every((r) => r.predefined)).toBe(true);
    expect(
      await ctx.db
        .selectFrom('wallets')
        .select('balance')
        .where('organization_id', '=', org.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ balance: 0n });
    const members = await ctx.db
      .selectFrom('organization_members as m')
      .innerJoin('roles as r', 'r.id', 'm.role_id')
      .select(['m.user_id', 'r.name'])
      .where('m.organization_id', '=', org.id)
      .execute();
    expect(members).toEqual([{ user_id: olivia.id, name: 'owner' }]);
    expect(await roleOf(ctx, org.id, fiona.id)).toBeNull();
    expect(await activeOf(olivia.id)).toBe(org.id);
    expect(await activity(ctx, org.id, 'organization.created')).toMatchObject([
      { actor_user_id: olivia.id, target_id: org.id },
    ]);

    const page = await browser.get('/organization/members');
    expect(await page.text()).toContain('Olivia Owner');
  });

  it('refuses an organization without a name, showing the form again', async () => {
    const { olivia } = await cast();
    const browser = await browserFor(ctx, olivia);
    const res = await browser.post('/organizations', { name: '   ' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Enter a name.');
    expect(await ctx.db.selectFrom('organizations').select('id').where('created_by', '=', olivia.id).execute()).toEqual(
      [{ id: olivia.organization.id }],
    );
  });

  it('Olivia switches between her organizations from the switcher, and the choice is remembered', async () => {
    const { id, olivia } = await acme();
    const browser = await browserFor(ctx, olivia);
    const list = await (await browser.get('/organizations')).text();
    expect(list).toContain('id="org-switcher"');
    expect(list).toContain(olivia.organization.id);

    const res = await browser.post(
      '/active-organization',
      { organization_id: olivia.organization.id },
      { headers: { referer: 'http://localhost:3000/organization/members' } },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/organization/members');
    expect(await activeOf(olivia.id)).toBe(olivia.organization.id);
    expect(await (await browser.get('/dashboard')).text()).toContain(
      `You are working in <strong>${olivia.organization.name.replace("'", '&#39;')}</strong>`,
    );

    await browser.post('/active-organization', { organization_id: id });
    expect(await activeOf(olivia.id)).toBe(id);
    expect(await (await browser.get('/dashboard')).text()).toContain(
      'You are working in <strong>Acme Hosting Ltd</strong> as owner',
    );
  });

  it('switching to an organization Olivia does not belong to is a 404 and changes nothing', async () => {
    const { id, olivia, fiona } = await acme();
    const browser = await browserFor(ctx, olivia);
    for (const orgId of [fiona.organization.id, 'not-a-uuid']) {
      expect((await browser.post('/active-organization', { organization_id: orgId })).status, orgId).toBe(404);
    }
    expect(await activeOf(olivia.id)).toBe(id);
  });

  it('sends a signed-out visitor to sign in', async () => {
    const res = await ctx.app.request('/organizations', { headers: { 'x-forwarded-for': nextIp() } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Forganizations');
  });
});

describe('organization settings (pages)', () => {
  it('Olivia edits the name, website, address and tax id of the active organization; other fields in the form are ignored', async () => {
    const { olivia, fiona } = await cast();
    const id = await team(ctx, olivia, 'Acme Hosting');
    const browser = await browserFor(ctx, olivia);
    expect((await browser.get('/organization/settings')).status).toBe(200);
    const res = await browser.post('/organization/settings', {
      name: 'Acme Hosting Ltd',
      website: 'https://acme.example',
      address: '1 Cloud Street\nLondon',
      tax_id: 'GB123456789',
      personal: 'true',
      created_by: fiona.id,
      owner_id: fiona.id,
      id: fiona.organization.id,
    });
    expect(res.status).toBe(303);
    expect(await organization(id)).toMatchObject({
      name: 'Acme Hosting Ltd',
      website: 'https://acme.example',
      address: '1 Cloud Street\nLondon',
      tax_id: 'GB123456789',
      personal: false,
      created_by: olivia.id,
    });
    expect((await organization(fiona.organization.id)).name).toBe(fiona.organization.name);
    expect(await roleOf(ctx, id, fiona.id)).toBeNull();
    expect(await activity(ctx, id, 'organization.updated')).toHaveLength(1);
  });

  it('explains an invalid website and keeps what was typed', async () => {
    const { id, olivia } = await acme();
    const browser = await browserFor(ctx, olivia);
    await browser.get('/organization/settings');
    const res = await browser.post('/organization/settings', {
      name: 'Acme Hosting Ltd',
      website: 'javascript:alert(1)',
      address: '',
      tax_id: '',
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('Enter a full web address starting with https://.');
    expect(html).toContain('value="javascript:alert(1)"');
    expect(await organization(id)).toMatchObject({ website: 'https://acme.example', tax_id: 'GB123456789' });
  });

  it('a viewer neither sees the settings link nor may open or change the settings (403)', async () => {
    const { id, victor } = await acme();
    const browser = await browserFor(ctx, victor);
    const dashboard = await (await browser.get('/dashboard')).text();
    expect(dashboard).toContain('Acme Hosting Ltd');
    expect(dashboard).not.toContain('href="/organization/settings"');
    expect((await browser.get('/organization/settings')).status).toBe(403);
    expect((await browser.post('/organization/settings', { name: 'Hijacked' })).status).toBe(403);
    expect((await organization(id)).name).toBe('Acme Hosting Ltd');
  });
});

describe('organizations in the JSON API', () => {
  async function apiWorld() {
    const world = await acme();
    const [oliviaToken, victorToken] = await Promise.all([
      tokenFor(ctx, world.olivia.email, nextIp()),
      tokenFor(ctx, world.victor.email, nextIp()),
    ]);
    return { ...world, oliviaToken, victorToken };
  }

  it('lists the caller’s organizations with their role there; the balance only for those who may see billing', async () => {
    const { id, victor, victorToken } = await apiWorld();
    const res = await api()('GET', '/organizations', { token: victorToken });
    expect(res.status).toBe(200);
    expect(res.body.has_more).toBe(false);
    expect(res.body.data.map((o: { id: string }) => o.id).sort()).toEqual([victor.organization.id, id].sort());
    const byId = Object.fromEntries(res.body.data.map((o: { id: string }) => [o.id, o]));
    expect(byId[victor.organization.id]).toMatchObject({ role: 'owner', balance: '0.00', currency: 'USD' });
    expect(byId[id]).toMatchObject({
      name: 'Acme Hosting Ltd',
      role: 'viewer',
      balance: null,
      website: 'https://acme.example',
      tax_id: 'GB123456789',
    });
    expect(byId[id].permissions.sort()).toEqual(['hosting_view', 'notes_view', 'tickets_view', 'vps_view']);
  });

  it('pages through organizations with a cursor', async () => {
    const { id, olivia, oliviaToken } = await apiWorld();
    const first = await api()('GET', '/organizations?limit=1', { token: oliviaToken });
    expect(first.body).toMatchObject({ has_more: true, next_cursor: first.body.data[0].id });
    expect(first.body.data.map((o: { id: string }) => o.id)).toEqual([olivia.organization.id]);
    const second = await api()('GET', `/organizations?limit=1&cursor=${first.body.next_cursor}`, {
      token: oliviaToken,
    });
    expect(second.body.data.map((o: { id: string }) => o.id)).toEqual([id]);
    expect(second.body.has_more).toBe(false);
    expect((await api()('GET', '/organizations?cursor=nope', { token: oliviaToken })).status).toBe(422);
  });

  it('creates an organization owned by the caller, ignoring owner_id, personal, is_admin and role in the body', async () => {
    const { id, victor, fiona, victorToken } = await apiWorld();
    const res = await api()('POST', '/organizations', {
      token: victorToken,
      body: {
        name: 'Victor Labs',
        owner_id: fiona.id,
        personal: true,
        is_admin: true,
        role: 'owner',
        organization_id: id,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Victor Labs', personal: false, role: 'owner', balance: '0.00' });
    const members = await ctx.db
      .selectFrom('organization_members')
      .select('user_id')
      .where('organization_id', '=', res.body.id)
      .execute();
    expect(members).toEqual([{ user_id: victor.id }]);
    expect(
      (await ctx.db.selectFrom('users').select('is_admin').where('id', '=', victor.id).executeTakeFirstOrThrow())
        .is_admin,
    ).toBe(false);
    expect(await roleOf(ctx, id, victor.id)).toBe('viewer');
    expect((await api()('POST', '/organizations', { token: victorToken, body: { name: '' } })).status).toBe(422);
    expect(
      await ctx.db.selectFrom('organizations').select('id').where('created_by', '=', victor.id).execute(),
    ).toHaveLength(2);
  });

  it('shows one organization to its members and answers 404 — never 403, never data — for anyone else’s', async () => {
    const { id, fiona, victorToken, oliviaToken } = await apiWorld();
    const mine = await api()('GET', `/organizations/${id}`, { token: victorToken });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id, name: 'Acme Hosting Ltd', role: 'viewer' });
    for (const orgId of [fiona.organization.id, 'nope', '00000000-0000-4000-8000-000000000000']) {
      const res = await api()('GET', `/organizations/${orgId}`, { token: oliviaToken });
      expect(res.status, orgId).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(fiona.organization.name);
      expect(
        (await api()('PATCH', `/organizations/${orgId}`, { token: oliviaToken, body: { name: 'Mine now' } })).status,
        orgId,
      ).toBe(404);
      expect((await api()('GET', `/organizations/${orgId}/members`, { token: oliviaToken })).status, orgId).toBe(404);
    }
    expect((await organization(fiona.organization.id)).name).toBe(fiona.organization.name);
  });

  it('lets settings_manage edit settings (only the fields sent) and refuses a viewer with 403', async () => {
    const { id, fiona, victorToken, oliviaToken } = await apiWorld();
    expect(
      (await api()('PATCH', `/organizations/${id}`, { token: victorToken, body: { name: 'Victor was here' } })).status,
    ).toBe(403);
    expect((await organization(id)).name).toBe('Acme Hosting Ltd');
    const res = await api()('PATCH', `/organizations/${id}`, {
      token: oliviaToken,
      body: { website: null, owner_id: fiona.id, personal: true, id: fiona.organization.id },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      name: 'Acme Hosting Ltd',
      website: null,
      tax_id: 'GB123456789',
      personal: false,
    });
    expect(await organization(id)).toMatchObject({ website: null, tax_id: 'GB123456789', personal: false });
    expect(
      (await api()('PATCH', `/organizations/${id}`, { token: oliviaToken, body: { website: 'ftp://x' } })).body.error
        .fields,
    ).toHaveProperty('website');
    expect((await organization(id)).website).toBeNull();
  });

  it('a real API key (vps_view in Acme) sees only Acme, may not edit it, create organizations or answer invitations', async () => {
    const { id, olivia, oliviaToken } = await apiWorld();
    const created = await api()('POST', '/api-keys', {
      token: oliviaToken,
      body: { name: 'ci', organization_id: id, permissions: ['vps_view'] },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const key = created.body.key as string;
    const list = await api()('GET', '/organizations', { token: key });
    expect(list.body.data.map((o: { id: string; permissions: string[] }) => [o.id, o.permissions])).toEqual([
      [id, ['vps_view']],
    ]);
    expect((await api()('GET', `/organizations/${id}`, { token: key })).body).toMatchObject({
      role: 'owner',
      permissions: ['vps_view'],
      balance: null,
    });
    expect((await api()('GET', `/organizations/${olivia.organization.id}`, { token: key })).status).toBe(404);
    expect((await api()('PATCH', `/organizations/${id}`, { token: key, body: { name: 'Key was here' } })).status).toBe(
      403,
    );
    expect(
      (await api()('POST', `/organizations/${id}/roles`, { token: key, body: { name: 'k', permissions: [] } })).status,
    ).toBe(403);
    expect((await api()('POST', '/organizations', { token: key, body: { name: 'Key Corp' } })).status).toBe(403);
    expect((await api()('POST', '/invitations/some-token-that-is-long-enough/accept', { token: key })).status).toBe(
      403,
    );
    expect((await organization(id)).name).toBe('Acme Hosting Ltd');
    expect(
      await ctx.db.selectFrom('roles').select('id').where('organization_id', '=', id).where('name', '=', 'k').execute(),
    ).toEqual([]);
    expect(
      await ctx.db.selectFrom('organizations').select('id').where('created_by', '=', olivia.id).execute(),
    ).toHaveLength(2);
  });

  it('binds an API key to its organization and never beyond its permissions', async () => {
    const { id, olivia, victor } = await acme();
    // The actors are the ones production builds for a request made with each key.
    const oliviaKey = await keyFor(ctx, olivia.email, nextIp(), {
      organization_id: id,
      permissions: ['vps_view', 'members_manage'],
    });
    const key = await requestActor(ctx, { bearer: oliviaKey.key });
    await expect(orgActor(ctx.db, key, olivia.organization.id)).rejects.toMatchObject({ status: 404 });
    expect([...(await orgActor(ctx.db, key, id)).permissions].sort()).toEqual(['members_manage', 'vps_view']);
    expect((await listMyOrganizations(ctx.db, key)).map((o) => [o.id, o.permissions])).toEqual([
      [id, ['vps_view', 'members_manage']],
    ]);

    // Victor's key was made while he was an owner; as a viewer it keeps only what a viewer holds.
    await changeRole(ctx, id, victor.id, 'owner');
    const victorKey = await keyFor(ctx, victor.email, nextIp(), {
      organization_id: id,
      permissions: ['vps_view', 'members_manage'],
    });
    await changeRole(ctx, id, victor.id, 'viewer');
    const viewerKey = await requestActor(ctx, { bearer: victorKey.key });
    expect([...(await orgActor(ctx.db, viewerKey, id)).permissions]).toEqual(['vps_view']);
    await expect(orgActor(ctx.db, viewerKey, victor.organization.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe('the OpenAPI document', () => {
  it('describes every organization, member, invitation and role endpoint, each behind bearer auth with its error envelopes', async () => {
    const doc = (await api()('GET', '/openapi.json')).body;
    const expected: Record<string, string[]> = {
      '/organizations': ['get', 'post'],
      '/organizations/{id}': ['get', 'patch'],
      '/organizations/{id}/members': ['get'],
      '/organizations/{id}/members/{userId}': ['patch', 'delete'],
      '/organizations/{id}/invitations': ['get', 'post'],
      '/organizations/{id}/invitations/{invitationId}': ['delete'],
      '/invitations/{token}/accept': ['post'],
      '/invitations/{token}/decline': ['post'],
      '/organizations/{id}/roles': ['get', 'post'],
      '/organizations/{id}/roles/{roleId}': ['patch', 'delete'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual([...methods].sort());
      for (const m of methods) {
        expect(doc.paths[path][m].security, `${m} ${path}`).toEqual([{ bearerAuth: [] }]);
        expect(doc.paths[path][m].responses['401'].content['application/json'].schema).toEqual({
          $ref: '#/components/schemas/ErrorEnvelope',
        });
      }
    }
    expect(doc.components.schemas.Permission.enum).toHaveLength(19);
    expect(doc.components.schemas.CreateRoleRequest.required).toEqual(['name', 'permissions']);
  });
});
