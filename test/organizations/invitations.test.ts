import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/lib/crypto.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { asReceived } from '../helpers/mail.ts';
import { uniqueEmail } from '../helpers/people.ts';
import {
  activity,
  browserFor,
  people,
  customRole,
  invitationLink,
  join,
  nextIp,
  person,
  roleId,
  roleOf,
  team,
  type Person,
} from './cast.ts';

let ctx: TestContext;
const DAY = 86_400_000;
const api = () => apiClient(ctx, '198.51.100.220');
const htmx = { 'hx-request': 'true', 'hx-target': 'invitations' };

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/**
 * Each test's own Acme Hosting: Olivia owns it (her browser is on the members page); Mia is a
 * "team lead" (members_manage without billing); Victor a viewer; Fiona owns another organization.
 */
async function acme() {
  const [olivia, mia, victor, fiona] = await people(
    ctx,
    'Olivia Owner',
    'Mia Manager',
    'Victor Viewer',
    'Fiona Foreign',
  );
  const id = await team(ctx, olivia);
  await customRole(ctx, id, 'team lead', ['members_manage', 'vps_view', 'notes_view', 'tickets_view', 'hosting_view']);
  await join(ctx, id, mia.id, 'team lead');
  await join(ctx, id, victor.id, 'viewer');
  const owner = await browserFor(ctx, olivia);
  await owner.get('/organization/members');

  /** Olivia invites `email` as `role` from the members page; returns the emailed link's path. */
  async function invite(email: string, role = 'member') {
    const res = await owner.post(
      '/organization/invitations',
      { email, role_id: await roleId(ctx, id, role) },
      { headers: htmx },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    return invitationLink(ctx, email);
  }
  const invitationOf = (email: string) =>
    ctx.db
      .selectFrom('invitations')
      .selectAll()
      .where('organization_id', '=', id)
      .where('email', '=', email)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
  const invitationsTo = (email: string) =>
    ctx.db.selectFrom('invitations').selectAll().where('organization_id', '=', id).where('email', '=', email).execute();
  return { id, olivia, mia, victor, fiona, owner, invite, invitationOf, invitationsTo };
}

describe('inviting', () => {
  it('Olivia invites Kim as a member: the invitation is listed, and one email carries a 7-day link whose token is stored only as a hash', async () => {
    const { id, olivia, owner, invitationOf } = await acme();
    const kim = await person(ctx, 'Kim Invitee');
    const res = await owner.post(
      '/organization/invitations',
      { email: kim.email.toUpperCase(), role_id: await roleId(ctx, id, 'member') },
      { headers: htmx },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<html');
    expect(html).toContain(`We emailed an invitation to ${kim.email}`);
    expect(html).toContain('Pending invitations');

    const mails = await ctx.db.selectFrom('emails').selectAll().where('to_address', '=', kim.email).execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Olivia Owner invited you to Acme Hosting on SkyPanel');
    expect(asReceived(ctx, mails[0]!).html).toContain('http://localhost:3000/invitations/');
    const token = (await invitationLink(ctx, kim.email)).split('/').pop()!;
    const inv = await invitationOf(kim.email);
    expect(inv.token_hash.equals(hashToken(token))).toBe(true);
    expect(JSON.stringify(inv)).not.toContain(token);
    expect(inv.expires_at.getTime() - ctx.clock.now().getTime()).toBe(7 * DAY);
    expect(inv).toMatchObject({ status: 'pending', invited_by: olivia.id, role_id: await roleId(ctx, id, 'member') });
    expect(await activity(ctx, id, 'member.invited')).toMatchObject([
      { actor_user_id: olivia.id, target_id: inv.id, details: { email: kim.email, role: 'member' } },
    ]);
    expect(JSON.stringify(await activity(ctx, id, 'member.invited'))).not.toContain(token);
  });

  it('refuses to invite the same address twice while the first invitation is pending', async () => {
    const { id, owner, invite, invitationsTo } = await acme();
    const kim = await person(ctx, 'Kim Invitee');
    await invite(kim.email);
    const res = await owner.post(
      '/organization/invitations',
      { email: kim.email, role_id: await roleId(ctx, id, 'viewer') },
      { headers: htmx },
    );
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(`${kim.email} already has a pending invitation`);
    expect(await invitationsTo(kim.email)).toMatchObject([
      { status: 'pending', role_id: await roleId(ctx, id, 'member') },
    ]);
  });

  it('refuses to invite someone who is already a member, saying so', async () => {
    const { id, victor, owner, invitationsTo } = await acme();
    const res = await owner.post(
      '/organization/invitations',
      { email: victor.email, role_id: await roleId(ctx, id, 'member') },
      { headers: htmx },
    );
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(`${victor.email} is already a member of this organization.`);
    expect(await invitationsTo(victor.email)).toEqual([]);
  });

  it('a viewer may not invite (403) and sees no invitation form', async () => {
    const { id, victor, invitationsTo } = await acme();
    const browser = await browserFor(ctx, victor);
    expect(await (await browser.get('/organization/members')).text()).not.toContain('Send invitation');
    expect(
      (
        await browser.post('/organization/invitations', {
          email: 'x@example.test',
          role_id: await roleId(ctx, id, 'viewer'),
        })
      ).status,
    ).toBe(403);
    expect(await invitationsTo('x@example.test')).toEqual([]);
  });

  it('Mia (members_manage) cannot invite someone into a role with permissions she lacks, nor as owner', async () => {
    const { id, mia, invitationsTo } = await acme();
    const browser = await browserFor(ctx, mia);
    await browser.get('/organization/members');
    for (const role of ['owner', 'admin', 'member']) {
      const res = await browser.post(
        '/organization/invitations',
        { email: 'z@example.test', role_id: await roleId(ctx, id, role) },
        { headers: htmx },
      );
      expect(res.status, role).toBe(422);
    }
    expect(await invitationsTo('z@example.test')).toEqual([]);
    expect(
      (
        await browser.post(
          '/organization/invitations',
          { email: 'z@example.test', role_id: await roleId(ctx, id, 'viewer') },
          { headers: htmx },
        )
      ).status,
    ).toBe(200);
    expect(await invitationsTo('z@example.test')).toMatchObject([
      { status: 'pending', role_id: await roleId(ctx, id, 'viewer'), invited_by: mia.id },
    ]);
  });
});

describe('answering', () => {
  /** Acme, and Kim (verified) with a pending invitation to join as a member. */
  async function kimInvited() {
    const world = await acme();
    const kim = await person(ctx, 'Kim Invitee');
    return { ...world, kim, link: await world.invite(kim.email) };
  }

  it('sends a signed-out visitor of the link to sign in, and back', async () => {
    const { link } = await kimInvited();
    const res = await new TestBrowser(ctx.app, nextIp()).get(link);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(link)}`);
  });

  it('shows Oscar, signed in with another address, a 404 that names no organization; he can neither accept nor decline', async () => {
    const { id, kim, link, invitationOf } = await kimInvited();
    const oscar = await person(ctx, 'Oscar Other');
    const browser = await browserFor(ctx, oscar);
    const page = await browser.get(link);
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain('not for the account you are signed in with');
    expect(html).not.toContain('Acme');
    expect((await browser.post(`${link}/acceptance`)).status).toBe(404);
    expect((await browser.post(`${link}/declination`)).status).toBe(404);
    expect(await roleOf(ctx, id, oscar.id)).toBeNull();
    expect((await invitationOf(kim.email)).status).toBe('pending');
  });

  it('Kim sees who invited her to what, accepts, joins as a member and lands in Acme', async () => {
    const { id, kim, link, invitationOf } = await kimInvited();
    const browser = await browserFor(ctx, kim);
    const html = await (await browser.get(link)).text();
    expect(html).toContain('Invitation to Acme Hosting');
    expect(html).toContain('Olivia Owner');
    expect(html).toContain('Accept and join');

    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(303);
    expect(await roleOf(ctx, id, kim.id)).toBe('member');
    expect(
      (
        await ctx.db
          .selectFrom('users')
          .select('active_organization_id')
          .where('id', '=', kim.id)
          .executeTakeFirstOrThrow()
      ).active_organization_id,
    ).toBe(id);
    expect(await (await browser.get('/dashboard')).text()).toContain('Welcome to Acme Hosting! You joined as member.');
    expect(await invitationOf(kim.email)).toMatchObject({ status: 'accepted', answered_at: expect.any(Date) });
    expect(await activity(ctx, id, 'member.joined')).toMatchObject([{ actor_user_id: kim.id, target_id: kim.id }]);
  });

  it('refuses to use the same link twice, saying it was already used', async () => {
    const { id, kim, link } = await kimInvited();
    const browser = await browserFor(ctx, kim);
    expect((await browser.post(`${link}/acceptance`)).status).toBe(303);
    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This invitation was already used');
    const token = link.split('/').pop();
    const again = await api()('POST', `/invitations/${token}/accept`, {
      token: await tokenFor(ctx, kim.email, nextIp()),
    });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('invitation_accepted');
    expect(await activity(ctx, id, 'member.joined')).toHaveLength(1);
  });

  it('asks Uma to verify her email address before she can answer', async () => {
    const { id, invite, invitationOf } = await acme();
    const uma = await person(ctx, 'Uma Unverified', { verified: false });
    const link = await invite(uma.email, 'viewer');
    const browser = await browserFor(ctx, uma);
    const html = await (await browser.get(link)).text();
    expect(html).toContain('Confirm your email address before answering this invitation');
    expect(html).not.toContain('Accept and join');
    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Confirm your email address');
    expect(await roleOf(ctx, id, uma.id)).toBeNull();
    expect((await invitationOf(uma.email)).status).toBe('pending');
  });

  it('Dan declines: the organization sees it, and the link cannot be accepted afterwards', async () => {
    const { id, invite, invitationOf } = await acme();
    const dan = await person(ctx, 'Dan Decliner');
    const link = await invite(dan.email);
    const browser = await browserFor(ctx, dan);
    expect((await browser.post(`${link}/declination`)).status).toBe(303);
    expect((await invitationOf(dan.email)).status).toBe('declined');
    expect(await activity(ctx, id, 'member.declined')).toHaveLength(1);
    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This invitation was declined');
    expect(await roleOf(ctx, id, dan.id)).toBeNull();
  });

  it('a cancelled invitation says it was cancelled', async () => {
    const { id, owner, invite, invitationOf } = await acme();
    const carl = await person(ctx, 'Carl Cancelled');
    const link = await invite(carl.email);
    const inv = await invitationOf(carl.email);
    const cancel = await owner.post(`/organization/invitations/${inv.id}`, {}, { method: 'DELETE', headers: htmx });
    expect(cancel.status).toBe(200);
    expect(await cancel.text()).not.toContain(carl.email);
    expect((await invitationOf(carl.email)).status).toBe('cancelled');
    expect(await activity(ctx, id, 'member.invitation_cancelled')).toMatchObject([{ target_id: inv.id }]);
    const res = await (await browserFor(ctx, carl)).post(`${link}/acceptance`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This invitation was cancelled by the organization.');
    expect(await roleOf(ctx, id, carl.id)).toBeNull();
  });

  it('resending sends a new link and kills the old one', async () => {
    const { id, owner, invite, invitationOf } = await acme();
    const rita = await person(ctx, 'Rita Resent');
    const oldLink = await invite(rita.email);
    const inv = await invitationOf(rita.email);
    const res = await owner.post(`/organization/invitations/${inv.id}/deliveries`, {}, { headers: htmx });
    expect(res.status).toBe(200);
    const newLink = await invitationLink(ctx, rita.email);
    expect(newLink).not.toBe(oldLink);
    expect(await ctx.db.selectFrom('emails').select('id').where('to_address', '=', rita.email).execute()).toHaveLength(
      2,
    );

    const browser = await browserFor(ctx, rita);
    expect((await browser.get(oldLink)).status).toBe(404);
    expect((await browser.post(`${oldLink}/acceptance`)).status).toBe(404);
    expect(await roleOf(ctx, id, rita.id)).toBeNull();
    expect((await browser.post(`${newLink}/acceptance`)).status).toBe(303);
    expect(await roleOf(ctx, id, rita.id)).toBe('member');
  });

  it('an invitation of another organization cannot be resent or cancelled from Acme (404)', async () => {
    const { owner, fiona } = await acme();
    const fionaOrg = fiona.organization.id;
    const email = uniqueEmail('Quentin Elsewhere');
    const [foreign] = await ctx.db
      .insertInto('invitations')
      .values({
        organization_id: fionaOrg,
        email,
        role_id: await roleId(ctx, fionaOrg, 'viewer'),
        token_hash: hashToken(`foreign-token-${email}`),
        expires_at: new Date(ctx.clock.now().getTime() + DAY),
      })
      .returning('id')
      .execute();
    expect((await owner.post(`/organization/invitations/${foreign!.id}/deliveries`, {})).status).toBe(404);
    expect((await owner.post(`/organization/invitations/${foreign!.id}`, {}, { method: 'DELETE' })).status).toBe(404);
    expect((await owner.post('/organization/invitations/nope', {}, { method: 'DELETE' })).status).toBe(404);
    expect(
      (await ctx.db.selectFrom('invitations').select('status').where('id', '=', foreign!.id).executeTakeFirstOrThrow())
        .status,
    ).toBe('pending');
    expect(await ctx.db.selectFrom('emails').select('id').where('to_address', '=', email).execute()).toEqual([]);
  });

  it('an expired invitation (8 days later) says it expired, and the address can be invited again', async () => {
    const { id, olivia, invite } = await acme();
    const ed = await person(ctx, 'Ed Expired');
    const link = await invite(ed.email);
    const start = ctx.clock.now();
    ctx.clock.advance(8 * DAY);
    try {
      const browser = await browserFor(ctx, ed);
      expect(await (await browser.get(link)).text()).toContain('This invitation has expired');
      const res = await browser.post(`${link}/acceptance`);
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('This invitation has expired. Ask the organization to send you a new one.');
      expect(await roleOf(ctx, id, ed.id)).toBeNull();

      const again = await browserFor(ctx, olivia);
      await again.get('/organization/members');
      expect(
        (
          await again.post(
            '/organization/invitations',
            { email: ed.email, role_id: await roleId(ctx, id, 'viewer') },
            { headers: htmx },
          )
        ).status,
      ).toBe(200);
      const fresh = await invitationLink(ctx, ed.email);
      expect(fresh).not.toBe(link);
      expect((await browser.post(`${fresh}/acceptance`)).status).toBe(303);
      expect(await roleOf(ctx, id, ed.id)).toBe('viewer');
    } finally {
      ctx.clock.set(start);
    }
  });
});

describe('invitations in the JSON API', () => {
  async function apiWorld() {
    const world = await acme();
    return { ...world, oliviaToken: await tokenFor(ctx, world.olivia.email, nextIp()) };
  }
  /** Olivia invites `email` as a viewer over the API. */
  async function inviteByApi(orgId: string, token: string, email: string) {
    const res = await api()('POST', `/organizations/${orgId}/invitations`, {
      token,
      body: { email, role_id: await roleId(ctx, orgId, 'viewer') },
    });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  }

  it('invites with a 201 that never contains the token, ignoring status, organization_id and invited_by in the body', async () => {
    const { id, olivia, fiona, oliviaToken } = await apiWorld();
    const email = uniqueEmail('Api Person');
    const res = await api()('POST', `/organizations/${id}/invitations`, {
      token: oliviaToken,
      body: {
        email,
        role_id: await roleId(ctx, id, 'viewer'),
        status: 'accepted',
        organization_id: fiona.organization.id,
        invited_by: fiona.id,
        expires_at: '2099-01-01T00:00:00Z',
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      email,
      status: 'pending',
      expired: false,
      role: { name: 'viewer' },
      invited_by: { id: olivia.id },
    });
    const token = (await invitationLink(ctx, email)).split('/').pop()!;
    expect(JSON.stringify(res.body)).not.toContain(token);
    expect(new Date(res.body.expires_at).getTime() - ctx.clock.now().getTime()).toBe(7 * DAY);
    expect(
      await ctx.db
        .selectFrom('invitations')
        .select(['organization_id', 'status', 'invited_by'])
        .where('id', '=', res.body.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ organization_id: id, status: 'pending', invited_by: olivia.id });
  });

  it('lists invitations for members_manage only; 403 for a viewer, 404 for an outsider', async () => {
    const { id, victor, fiona, oliviaToken, invitationsTo } = await apiWorld();
    const email = uniqueEmail('Api Person');
    const pending = await inviteByApi(id, oliviaToken, email);
    const list = await api()('GET', `/organizations/${id}/invitations?status=pending`, { token: oliviaToken });
    expect(list.status).toBe(200);
    expect(list.body.data.map((i: { id: string; email: string; status: string }) => [i.id, i.email, i.status])).toEqual(
      [[pending.id, email, 'pending']],
    );
    expect(
      (await api()('GET', `/organizations/${id}/invitations`, { token: await tokenFor(ctx, victor.email, nextIp()) }))
        .status,
    ).toBe(403);
    const fionaToken = await tokenFor(ctx, fiona.email, nextIp());
    expect((await api()('GET', `/organizations/${id}/invitations`, { token: fionaToken })).status).toBe(404);
    expect(
      (
        await api()('POST', `/organizations/${id}/invitations`, {
          token: fionaToken,
          body: { email: 'f@example.test', role_id: await roleId(ctx, id, 'owner') },
        })
      ).status,
    ).toBe(404);
    expect(await invitationsTo('f@example.test')).toEqual([]);
  });

  it('lets only the invited, verified person accept or decline', async () => {
    const { id, oliviaToken, invitationOf } = await apiWorld();
    const [paula, oscar] = await people(ctx, 'Paula Api', 'Oscar Other');
    await inviteByApi(id, oliviaToken, paula.email);
    const token = (await invitationLink(ctx, paula.email)).split('/').pop()!;
    const other = await api()('POST', `/invitations/${token}/accept`, {
      token: await tokenFor(ctx, oscar.email, nextIp()),
    });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain('Acme');
    expect(await roleOf(ctx, id, oscar.id)).toBeNull();
    expect((await invitationOf(paula.email)).status).toBe('pending');
    expect((await api()('POST', '/invitations/not-a-real-token-at-all-no/accept', { token: oliviaToken })).status).toBe(
      404,
    );

    const res = await api()('POST', `/invitations/${token}/accept`, {
      token: await tokenFor(ctx, paula.email, nextIp()),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, name: 'Acme Hosting', role: 'viewer' });
    expect(await roleOf(ctx, id, paula.id)).toBe('viewer');
  });

  it('answers an unverified invitee with 403 email_unverified, and a decline with 204', async () => {
    const { id, oliviaToken, invitationOf } = await apiWorld();
    const uma: Person = await person(ctx, 'Uma Unverified', { verified: false });
    await inviteByApi(id, oliviaToken, uma.email);
    const unverified = await api()(
      'POST',
      `/invitations/${(await invitationLink(ctx, uma.email)).split('/').pop()}/decline`,
      { token: await tokenFor(ctx, uma.email, nextIp()) },
    );
    expect(unverified.status).toBe(403);
    expect(unverified.body.error.code).toBe('email_unverified');
    expect((await invitationOf(uma.email)).status).toBe('pending');

    const quinn = await person(ctx, 'Quinn Declines');
    await inviteByApi(id, oliviaToken, quinn.email);
    const token = (await invitationLink(ctx, quinn.email)).split('/').pop()!;
    expect(
      (await api()('POST', `/invitations/${token}/decline`, { token: await tokenFor(ctx, quinn.email, nextIp()) }))
        .status,
    ).toBe(204);
    expect((await invitationOf(quinn.email)).status).toBe('declined');
    expect(await roleOf(ctx, id, quinn.id)).toBeNull();
  });

  it('cancels a pending invitation (204), then refuses to cancel it again (422)', async () => {
    const { id, oliviaToken, invitationOf } = await apiWorld();
    const email = uniqueEmail('Api Person');
    const inv = await inviteByApi(id, oliviaToken, email);
    expect((await api()('DELETE', `/organizations/${id}/invitations/${inv.id}`, { token: oliviaToken })).status).toBe(
      204,
    );
    expect((await invitationOf(email)).status).toBe('cancelled');
    const again = await api()('DELETE', `/organizations/${id}/invitations/${inv.id}`, { token: oliviaToken });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('invitation_not_pending');
    expect(await activity(ctx, id, 'member.invitation_cancelled')).toHaveLength(1);
  });
});
