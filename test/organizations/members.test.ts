import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { activity, browserFor, people, customRole, join, nextIp, roleId, roleOf, team } from './cast.ts';

let ctx: TestContext;
const api = () => apiClient(ctx, '198.51.100.210');
const htmx = (target: string) => ({ 'hx-request': 'true', 'hx-target': target });

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/**
 * Each test's own Acme Hosting: Olivia owns it; Mia is a "team lead" (members_manage but no
 * billing, no notes_manage); Adam an admin, Ben a member, Victor a viewer; Fiona is an
 * outsider with only her own organization.
 */
async function acme() {
  const [olivia, mia, adam, ben, victor, fiona] = await people(
    ctx,
    'Olivia Owner',
    'Mia Manager',
    'Adam Admin',
    'Ben Member',
    'Victor Viewer',
    'Fiona Foreign',
  );
  const id = await team(ctx, olivia);
  await customRole(ctx, id, 'team lead', [
    'members_manage',
    'vps_view',
    'vps_create',
    'notes_view',
    'tickets_view',
    'hosting_view',
    'billing_view',
  ]);
  await join(ctx, id, mia.id, 'team lead');
  await join(ctx, id, adam.id, 'admin');
  await join(ctx, id, ben.id, 'member');
  await join(ctx, id, victor.id, 'viewer');
  return { id, olivia, mia, adam, ben, victor, fiona };
}

describe('the members page', () => {
  it('shows every member with their role; a viewer gets no role selects, remove buttons or invitation form', async () => {
    const { olivia, mia, adam, ben, victor } = await acme();
    const html = await (await (await browserFor(ctx, victor)).get('/organization/members')).text();
    for (const p of [olivia, mia, adam, ben, victor]) expect(html).toContain(p.email);
    expect(html).toContain('team lead');
    expect(html).not.toContain('hx-patch="/organization/members/');
    expect(html).not.toContain('Remove</button>');
    expect(html).not.toContain('Send invitation');
    expect(html).not.toContain('Transfer ownership');
  });

  it('offers Mia only the roles she may grant, and no controls on members who hold more than she does', async () => {
    const { olivia, mia, ben, victor } = await acme();
    const html = await (await (await browserFor(ctx, mia)).get('/organization/members')).text();
    expect(html).toContain(`hx-patch="/organization/members/${victor.id}"`);
    expect(html).not.toContain(`hx-patch="/organization/members/${olivia.id}"`);
    expect(html).not.toContain(`hx-patch="/organization/members/${ben.id}"`);
    const options = [...html.matchAll(/<option value="[^"]+"[^>]*>([^<]+)<\/option>/g)].map((m) => m[1]);
    expect(options).toContain('viewer');
    expect(options).not.toContain('owner');
    expect(options).not.toContain('admin');
  });
});

describe('changing roles', () => {
  it('Olivia makes Mia a viewer over htmx: the list comes back alone, and Mia loses management on her very next request', async () => {
    const { id, olivia, mia } = await acme();
    const miaBrowser = await browserFor(ctx, mia);
    expect(await (await miaBrowser.get('/organization/members')).text()).toContain('Send invitation');

    const browser = await browserFor(ctx, olivia);
    const res = await browser.post(
      `/organization/members/${mia.id}`,
      { role_id: await roleId(ctx, id, 'viewer') },
      { method: 'PATCH', headers: htmx('members') },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.trimStart().startsWith('<div id="members">')).toBe(true);
    expect(html).not.toContain('<html');
    expect(await roleOf(ctx, id, mia.id)).toBe('viewer');
    expect(await activity(ctx, id, 'member.role_changed')).toMatchObject([
      { actor_user_id: olivia.id, target_id: mia.id, details: { from: 'team lead', to: 'viewer' } },
    ]);

    expect(await (await miaBrowser.get('/organization/members')).text()).not.toContain('Send invitation');
    expect(
      (
        await miaBrowser.post('/organization/invitations', {
          email: 'new@example.test',
          role_id: await roleId(ctx, id, 'viewer'),
        })
      ).status,
    ).toBe(403);
  });

  it('Mia (members_manage, no billing_manage) cannot give anyone a role with permissions she lacks, nor make herself an owner', async () => {
    const { id, mia, victor } = await acme();
    const browser = await browserFor(ctx, mia);
    const tryRole = async (userId: string, role: string) =>
      browser.post(
        `/organization/members/${userId}`,
        { role_id: await roleId(ctx, id, role) },
        { method: 'PATCH', headers: htmx('members') },
      );

    const owner = await tryRole(mia.id, 'owner');
    expect(owner.status).toBe(422);
    expect(await owner.text()).toContain('Only an owner can make someone an owner.');
    const admin = await tryRole(victor.id, 'admin');
    expect(admin.status).toBe(422);
    expect(await admin.text()).toMatch(/You cannot grant permissions you do not hold yourself: .*notes_manage/);
    expect(await roleOf(ctx, id, mia.id)).toBe('team lead');
    expect(await roleOf(ctx, id, victor.id)).toBe('viewer');

    const custom = await customRole(ctx, id, 'billing boss', ['billing_view', 'billing_manage']);
    const billing = await browser.post(
      `/organization/members/${victor.id}`,
      { role_id: custom },
      { method: 'PATCH', headers: htmx('members') },
    );
    expect(billing.status).toBe(422);
    expect(await billing.text()).toContain('billing_manage');
    expect(await roleOf(ctx, id, victor.id)).toBe('viewer');
  });

  it('Mia may not change or remove the owner, nor members who hold permissions she lacks (403)', async () => {
    const { id, olivia, mia, ben } = await acme();
    const browser = await browserFor(ctx, mia);
    await browser.get('/organization/members');
    expect(
      (
        await browser.post(
          `/organization/members/${olivia.id}`,
          { role_id: await roleId(ctx, id, 'viewer') },
          { method: 'PATCH' },
        )
      ).status,
    ).toBe(403);
    expect((await browser.post(`/organization/members/${olivia.id}`, {}, { method: 'DELETE' })).status).toBe(403);
    expect((await browser.post(`/organization/members/${ben.id}`, {}, { method: 'DELETE' })).status).toBe(403);
    expect(await roleOf(ctx, id, olivia.id)).toBe('owner');
    expect(await roleOf(ctx, id, ben.id)).toBe('member');
  });

  it('a viewer may change nobody’s role (403)', async () => {
    const { id, victor } = await acme();
    const browser = await browserFor(ctx, victor);
    await browser.get('/organization/members');
    expect(
      (
        await browser.post(
          `/organization/members/${victor.id}`,
          { role_id: await roleId(ctx, id, 'member') },
          { method: 'PATCH' },
        )
      ).status,
    ).toBe(403);
    expect(await roleOf(ctx, id, victor.id)).toBe('viewer');
  });

  it('answers 404 for someone who is not a member here, and 422 for a role of another organization', async () => {
    const { id, olivia, victor, fiona } = await acme();
    const browser = await browserFor(ctx, olivia);
    await browser.get('/organization/members');
    for (const userId of [fiona.id, 'nope']) {
      expect(
        (
          await browser.post(
            `/organization/members/${userId}`,
            { role_id: await roleId(ctx, id, 'viewer') },
            { method: 'PATCH' },
          )
        ).status,
        userId,
      ).toBe(404);
      expect((await browser.post(`/organization/members/${userId}`, {}, { method: 'DELETE' })).status, userId).toBe(
        404,
      );
    }
    expect(await roleOf(ctx, fiona.organization.id, fiona.id)).toBe('owner');
    const foreignRole = await browser.post(
      `/organization/members/${victor.id}`,
      { role_id: await roleId(ctx, fiona.organization.id, 'owner') },
      { method: 'PATCH', headers: htmx('members') },
    );
    expect(foreignRole.status).toBe(422);
    expect(await foreignRole.text()).not.toContain(fiona.organization.name);
    expect(await roleOf(ctx, id, victor.id)).toBe('viewer');
  });
});

describe('the last owner', () => {
  it('cannot demote herself, be removed, or leave', async () => {
    const { id, olivia } = await acme();
    const browser = await browserFor(ctx, olivia);
    const demote = await browser.post(
      `/organization/members/${olivia.id}`,
      { role_id: await roleId(ctx, id, 'admin') },
      { method: 'PATCH', headers: htmx('members') },
    );
    expect(demote.status).toBe(422);
    expect(await demote.text()).toContain('every organization needs an owner');
    const leave = await browser.post('/organization/membership', {}, { method: 'DELETE', headers: htmx('leave') });
    expect(leave.status).toBe(422);
    expect(await leave.text()).toContain('You are the last owner and cannot leave');
    expect(
      (await browser.post(`/organization/members/${olivia.id}`, {}, { method: 'DELETE', headers: htmx('members') }))
        .status,
    ).toBe(422);
    expect(await roleOf(ctx, id, olivia.id)).toBe('owner');
  });

  it('nobody can leave the personal organization they were given with their account', async () => {
    const { fiona } = await acme();
    const browser = await browserFor(ctx, fiona);
    const res = await browser.post('/organization/membership', {}, { method: 'DELETE', headers: htmx('leave') });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('personal organization');
    expect(await roleOf(ctx, fiona.organization.id, fiona.id)).toBe('owner');
  });
});

describe('removing and leaving', () => {
  it('Mia removes Victor (a viewer): he is gone and his active organization falls back to his own', async () => {
    const { id, mia, victor } = await acme();
    const browser = await browserFor(ctx, mia);
    const res = await browser.post(
      `/organization/members/${victor.id}`,
      {},
      { method: 'DELETE', headers: htmx('members') },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain(victor.email);
    expect(await roleOf(ctx, id, victor.id)).toBeNull();
    expect(
      (
        await ctx.db
          .selectFrom('users')
          .select('active_organization_id')
          .where('id', '=', victor.id)
          .executeTakeFirstOrThrow()
      ).active_organization_id,
    ).toBeNull();
    expect(await activity(ctx, id, 'member.removed')).toMatchObject([{ actor_user_id: mia.id, target_id: victor.id }]);
    const victorBrowser = await browserFor(ctx, victor);
    expect(await (await victorBrowser.get('/dashboard')).text()).toContain(
      victor.organization.name.replace("'", '&#39;'),
    );
  });

  it('Ben leaves Acme on his own', async () => {
    const { id, ben } = await acme();
    const browser = await browserFor(ctx, ben);
    const res = await browser.post('/organization/membership', {}, { method: 'DELETE' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/organizations');
    expect(await roleOf(ctx, id, ben.id)).toBeNull();
    expect(await activity(ctx, id, 'member.left')).toMatchObject([{ actor_user_id: ben.id }]);
  });
});

describe('transferring ownership', () => {
  it('only an owner may transfer ownership', async () => {
    const { id, olivia, mia } = await acme();
    const browser = await browserFor(ctx, mia);
    await browser.get('/organization/members');
    expect((await browser.post('/organization/ownership', { user_id: mia.id })).status).toBe(403);
    expect(await roleOf(ctx, id, mia.id)).toBe('team lead');
    expect(await roleOf(ctx, id, olivia.id)).toBe('owner');
  });

  it('refuses a new owner who is not a member here', async () => {
    const { id, olivia, fiona } = await acme();
    const browser = await browserFor(ctx, olivia);
    await browser.get('/organization/members');
    const res = await browser.post('/organization/ownership', { user_id: fiona.id }, { headers: htmx('ownership') });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Choose a member of this organization.');
    expect(await roleOf(ctx, id, fiona.id)).toBeNull();
    expect(await roleOf(ctx, id, olivia.id)).toBe('owner');
  });

  it('Olivia hands Acme to Adam: he becomes an owner, she becomes an admin and may then leave', async () => {
    const { id, olivia, adam } = await acme();
    const browser = await browserFor(ctx, olivia);
    expect(await (await browser.get('/organization/members')).text()).toContain('Transfer ownership');
    const res = await browser.post('/organization/ownership', { user_id: adam.id });
    expect(res.status).toBe(303);
    expect(await roleOf(ctx, id, adam.id)).toBe('owner');
    expect(await roleOf(ctx, id, olivia.id)).toBe('admin');
    expect(await activity(ctx, id, 'organization.ownership_transferred')).toMatchObject([
      { actor_user_id: olivia.id, target_id: adam.id },
    ]);
    expect((await browser.post('/organization/membership', {}, { method: 'DELETE' })).status).toBe(303);
    expect(await roleOf(ctx, id, olivia.id)).toBeNull();
  });
});

describe('members in the JSON API', () => {
  /** An Acme whose owner is Adam, with Mia as team lead and Ben as a viewer (joined in that order); Fiona is an outsider. */
  async function apiWorld() {
    const [adam, mia, ben, fiona] = await people(ctx, 'Adam Admin', 'Mia Manager', 'Ben Member', 'Fiona Foreign');
    const id = await team(ctx, adam);
    await customRole(ctx, id, 'team lead', [
      'members_manage',
      'vps_view',
      'vps_create',
      'notes_view',
      'tickets_view',
      'hosting_view',
      'billing_view',
    ]);
    await join(ctx, id, mia.id, 'team lead');
    await join(ctx, id, ben.id, 'viewer');
    const [adamToken, miaToken] = await Promise.all([
      tokenFor(ctx, adam.email, nextIp()),
      tokenFor(ctx, mia.email, nextIp()),
    ]);
    return { id, adam, mia, ben, fiona, adamToken, miaToken };
  }

  it('lists members with their roles, page by page', async () => {
    const { id, adam, mia, ben, miaToken } = await apiWorld();
    const res = await api()('GET', `/organizations/${id}/members?limit=2`, { token: miaToken });
    expect(res.status).toBe(200);
    expect(res.body.data.map((m: { email: string }) => m.email)).toEqual([adam.email, mia.email]);
    expect(res.body.data[1]).toMatchObject({ email: mia.email, role: { name: 'team lead', predefined: false } });
    const rest = await api()('GET', `/organizations/${id}/members?cursor=${res.body.next_cursor}`, { token: miaToken });
    expect(rest.body.data.map((m: { email: string }) => m.email)).toEqual([ben.email]);
  });

  it('changes a role, ignoring anything else in the body (user_id, organization_id, is_admin, owner_id)', async () => {
    const { id, mia, ben, fiona, adamToken } = await apiWorld();
    const res = await api()('PATCH', `/organizations/${id}/members/${ben.id}`, {
      token: adamToken,
      body: {
        role_id: await roleId(ctx, id, 'member'),
        user_id: mia.id,
        organization_id: fiona.organization.id,
        is_admin: true,
        owner_id: ben.id,
        role: 'owner',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: ben.id, role: { name: 'member' } });
    expect(await roleOf(ctx, id, ben.id)).toBe('member');
    expect(await roleOf(ctx, id, mia.id)).toBe('team lead');
    expect(await roleOf(ctx, fiona.organization.id, ben.id)).toBeNull();
    expect(
      (await ctx.db.selectFrom('users').select('is_admin').where('id', '=', ben.id).executeTakeFirstOrThrow()).is_admin,
    ).toBe(false);
  });

  it('refuses escalation through the API as through the pages', async () => {
    const { id, adam, mia, miaToken } = await apiWorld();
    const res = await api()('PATCH', `/organizations/${id}/members/${mia.id}`, {
      token: miaToken,
      body: { role_id: await roleId(ctx, id, 'owner') },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.fields.role_id).toBe('Only an owner can make someone an owner.');
    expect((await api()('DELETE', `/organizations/${id}/members/${adam.id}`, { token: miaToken })).status).toBe(403);
    expect(await roleOf(ctx, id, mia.id)).toBe('team lead');
    expect(await roleOf(ctx, id, adam.id)).toBe('owner');
  });

  it('answers 404 for another organization’s members, whatever the caller’s role', async () => {
    const { id, ben, fiona, adamToken } = await apiWorld();
    const fionaToken = await tokenFor(ctx, fiona.email, nextIp());
    expect((await api()('GET', `/organizations/${id}/members`, { token: fionaToken })).status).toBe(404);
    expect(
      (
        await api()('PATCH', `/organizations/${id}/members/${ben.id}`, {
          token: fionaToken,
          body: { role_id: await roleId(ctx, id, 'owner') },
        })
      ).status,
    ).toBe(404);
    expect((await api()('DELETE', `/organizations/${id}/members/${ben.id}`, { token: fionaToken })).status).toBe(404);
    expect(
      (await api()('DELETE', `/organizations/${fiona.organization.id}/members/${fiona.id}`, { token: adamToken }))
        .status,
    ).toBe(404);
    expect(await roleOf(ctx, id, ben.id)).toBe('viewer');
    expect(await roleOf(ctx, fiona.organization.id, fiona.id)).toBe('owner');
  });

  it('lets a member leave by removing themselves, and keeps the last owner', async () => {
    const { id, adam, ben, adamToken } = await apiWorld();
    const benToken = await tokenFor(ctx, ben.email, nextIp());
    expect((await api()('DELETE', `/organizations/${id}/members/${ben.id}`, { token: benToken })).status).toBe(204);
    expect(await roleOf(ctx, id, ben.id)).toBeNull();
    const last = await api()('DELETE', `/organizations/${id}/members/${adam.id}`, { token: adamToken });
    expect(last.status).toBe(422);
    expect(last.body.error.code).toBe('last_owner');
    expect(await roleOf(ctx, id, adam.id)).toBe('owner');
  });
});
