import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { PASSWORD } from '../helpers/people.ts';
import {
  browserFor,
  customRole,
  invitationLink,
  join,
  person,
  roleId,
  roleOf,
  sendForm,
  team,
  type Person,
} from '../organizations/cast.ts';

/**
 * While a platform admin impersonates a member, who belongs to an organization and with which
 * role stays the members' business: an admin who could invite themselves (or be given a role)
 * would keep that access after the impersonation ends.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
});
afterAll(async () => ctx.close());

const NOT_WHILE =
  'Not while impersonating: the members, invitations, roles and ownership of an organization can only be changed by its members.';

/** Olive owns Acme, where Carl is a member and Dora has a pending invitation; Ada is platform staff. */
async function world() {
  const [ada, olive, carl] = [
    await person(ctx, 'Ada Admin', { isAdmin: true }),
    await person(ctx, 'Olive Owner'),
    await person(ctx, 'Carl Colleague'),
  ];
  const acme = await team(ctx, olive);
  await join(ctx, acme, carl.id, 'member');
  const auditor = await customRole(ctx, acme, 'Auditor', ['vps_view']);
  const oliveBrowser = await browserFor(ctx, olive);
  await oliveBrowser.get('/organization/members');
  const dora = `dora.${Math.random().toString(36).slice(2, 8)}@example.test`;
  expect(
    (await oliveBrowser.post('/organization/invitations', { email: dora, role_id: await roleId(ctx, acme, 'member') }))
      .status,
  ).toBe(303);
  const doraInvitation = (
    await ctx.db.selectFrom('invitations').select('id').where('email', '=', dora).executeTakeFirstOrThrow()
  ).id;
  return { ada, olive, carl, acme, auditor, oliveBrowser, doraInvitation };
}

/** `admin`'s browser, switched into an impersonation of `target` through the admin page. */
async function impersonating(admin: Person, target: Person): Promise<TestBrowser> {
  const browser = await browserFor(ctx, admin);
  await browser.get(`/admin/users/${target.id}`);
  expect((await browser.post(`/admin/users/${target.id}/impersonation`, { password: PASSWORD })).status).toBe(303);
  await browser.get('/organization/members');
  return browser;
}

const invitationsTo = (email: string) =>
  ctx.db.selectFrom('invitations').select(['organization_id', 'status']).where('email', '=', email).execute();
const roleRow = (id: string) =>
  ctx.db.selectFrom('roles').select(['name', 'permissions']).where('id', '=', id).executeTakeFirst();
const invitationStatus = async (id: string) =>
  (await ctx.db.selectFrom('invitations').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

async function refused(res: Response) {
  expect(res.status).toBe(403);
  expect(await res.text()).toContain(NOT_WHILE.replace(/'/g, '&#39;'));
}

describe('while impersonating an owner', () => {
  it('the admin cannot invite anyone, themselves included, nor resend or cancel an invitation', async () => {
    const { ada, olive, acme, doraInvitation } = await world();
    const browser = await impersonating(ada, olive);

    await refused(
      await browser.post('/organization/invitations', { email: ada.email, role_id: await roleId(ctx, acme, 'owner') }),
    );
    await refused(
      await browser.post('/organization/invitations', {
        email: 'someone.else@example.test',
        role_id: await roleId(ctx, acme, 'viewer'),
      }),
    );
    await refused(await browser.post(`/organization/invitations/${doraInvitation}/deliveries`));
    await refused(await browser.post(`/organization/invitations/${doraInvitation}`, {}, { method: 'DELETE' }));

    expect(await invitationsTo(ada.email)).toEqual([]);
    expect(await invitationsTo('someone.else@example.test')).toEqual([]);
    expect(await invitationStatus(doraInvitation)).toBe('pending');
    expect(
      await ctx.db
        .selectFrom('emails')
        .select('id')
        .where('to_address', '=', ada.email)
        .where('template', '=', 'invitation')
        .execute(),
    ).toEqual([]);
  });

  it('the admin cannot change or remove a member, nor transfer the ownership', async () => {
    const { ada, olive, carl, acme } = await world();
    const browser = await impersonating(ada, olive);

    await refused(
      await browser.post(
        `/organization/members/${carl.id}`,
        { role_id: await roleId(ctx, acme, 'owner') },
        { method: 'PATCH' },
      ),
    );
    await refused(await browser.post(`/organization/members/${carl.id}`, {}, { method: 'DELETE' }));
    await refused(await browser.post('/organization/ownership', { user_id: carl.id }));

    expect(await roleOf(ctx, acme, carl.id)).toBe('member');
    expect(await roleOf(ctx, acme, olive.id)).toBe('owner');
  });

  it('the admin cannot create, change or delete a role', async () => {
    const { ada, olive, auditor } = await world();
    const browser = await impersonating(ada, olive);
    const before = await ctx.db.selectFrom('roles').select('id').execute();

    await refused(
      await sendForm(ctx, browser, 'POST', '/organization/roles', [
        ['name', 'Backdoor'],
        ['permissions', 'members_manage'],
      ]),
    );
    await refused(
      await sendForm(ctx, browser, 'PATCH', `/organization/roles/${auditor}`, [
        ['name', 'Auditor'],
        ['permissions', 'members_manage'],
      ]),
    );
    await refused(await browser.post(`/organization/roles/${auditor}`, {}, { method: 'DELETE' }));

    expect(await ctx.db.selectFrom('roles').select('id').execute()).toHaveLength(before.length);
    expect(await roleRow(auditor)).toEqual({ name: 'Auditor', permissions: ['vps_view'] });
  });

  it('the owner herself does the same in her own session: the refusals were the impersonation’s', async () => {
    const { ada, carl, acme, auditor, oliveBrowser, doraInvitation } = await world();

    expect(
      (
        await oliveBrowser.post('/organization/invitations', {
          email: ada.email,
          role_id: await roleId(ctx, acme, 'viewer'),
        })
      ).status,
    ).toBe(303);
    expect(
      (await oliveBrowser.post(`/organization/invitations/${doraInvitation}`, {}, { method: 'DELETE' })).status,
    ).toBe(303);
    expect(
      (
        await oliveBrowser.post(
          `/organization/members/${carl.id}`,
          { role_id: await roleId(ctx, acme, 'viewer') },
          { method: 'PATCH' },
        )
      ).status,
    ).toBe(303);
    expect(
      (
        await sendForm(ctx, oliveBrowser, 'PATCH', `/organization/roles/${auditor}`, [
          ['name', 'Auditors'],
          ['permissions', 'vps_view'],
        ])
      ).status,
    ).toBe(303);
    expect((await oliveBrowser.post('/organization/ownership', { user_id: carl.id })).status).toBe(303);

    expect(await invitationsTo(ada.email)).toEqual([{ organization_id: acme, status: 'pending' }]);
    expect(await invitationStatus(doraInvitation)).toBe('cancelled');
    expect(await roleOf(ctx, acme, carl.id)).toBe('owner');
    expect((await roleRow(auditor))?.name).toBe('Auditors');
  });
});

describe('while impersonating a member', () => {
  it('the admin cannot accept or decline an invitation addressed to them, nor leave an organization', async () => {
    const { ada, carl, acme } = await world();
    // Gina invites Carl to Globex.
    const gina = await person(ctx, 'Gina Globex');
    const globex = await team(ctx, gina, 'Globex');
    const ginaBrowser = await browserFor(ctx, gina);
    await ginaBrowser.get('/organization/members');
    expect(
      (
        await ginaBrowser.post('/organization/invitations', {
          email: carl.email,
          role_id: await roleId(ctx, globex, 'member'),
        })
      ).status,
    ).toBe(303);
    const link = await invitationLink(ctx, carl.email);

    const browser = await impersonating(ada, carl);
    await refused(await browser.post(`${link}/acceptance`));
    await refused(await browser.post(`${link}/declination`));
    await refused(await browser.post('/organization/membership', {}, { method: 'DELETE' }));

    expect(await invitationsTo(carl.email)).toEqual([{ organization_id: globex, status: 'pending' }]);
    expect(await roleOf(ctx, globex, carl.id)).toBeNull();
    expect(await roleOf(ctx, acme, carl.id)).toBe('member');
    // Each refused write is recorded against the admin, without the invitation's token.
    const writes = await ctx.db
      .selectFrom('activity_log')
      .select(['details', 'impersonator_user_id'])
      .where('action', '=', 'admin.impersonated_write')
      .where('actor_user_id', '=', carl.id)
      .execute();
    expect(writes.map((w) => (w.details as { path: string; status: number }).path)).toEqual([
      '/invitations/:token/acceptance',
      '/invitations/:token/declination',
      '/organization/membership',
    ]);
    expect(
      writes.every((w) => w.impersonator_user_id === ada.id && (w.details as { status: number }).status === 403),
    ).toBe(true);
    expect(JSON.stringify(writes)).not.toContain(link.split('/').at(-1));
  });

  it('the impersonation’s cookies do not reach the JSON API either', async () => {
    const { ada, olive, acme } = await world();
    const browser = await impersonating(ada, olive);
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await ctx.app.request(`/api/v1/organizations/${acme}/invitations`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ email: ada.email, role_id: await roleId(ctx, acme, 'owner') }),
    });
    expect(res.status).toBe(401);
    expect(await invitationsTo(ada.email)).toEqual([]);
  });
});
