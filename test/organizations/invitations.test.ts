import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/index.ts';
import { createOrganization } from '../../src/domain/organizations/create.ts';
import { hashToken } from '../../src/lib/crypto.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { activity, browserFor, people, customRole, invitationLink, join, nextIp, person, roleId, roleOf, type Person } from './cast.ts';

let ctx: TestContext;
let olivia: Person; // owner of Acme
let mia: Person; // "team lead": members_manage without billing
let victor: Person; // viewer
let kim: Person; // to be invited (verified)
let oscar: Person; // another verified user who gets hold of Kim's link
let uma: Person; // unverified
let fiona: Person; // another organization
let acmeId: string;
let owner: TestBrowser;
const DAY = 86_400_000;
const api = () => apiClient(ctx, '198.51.100.220');
const htmx = { 'hx-request': 'true', 'hx-target': 'invitations' };

/** Olivia invites `email` as `role` from the members page; returns the emailed link's path. */
async function invite(email: string, role = 'member') {
  const res = await owner.post('/organization/invitations', { email, role_id: await roleId(ctx, acmeId, role) }, { headers: htmx });
  expect(res.status, await res.clone().text()).toBe(200);
  return invitationLink(ctx, email);
}
const invitationOf = (email: string) => ctx.db.selectFrom('invitations').selectAll().where('organization_id', '=', acmeId).where('email', '=', email).orderBy('created_at', 'desc').executeTakeFirstOrThrow();

beforeAll(async () => {
  ctx = await createTestContext();
  [olivia, mia, victor, kim, oscar, fiona] = await people(ctx, 'Olivia Owner', 'Mia Manager', 'Victor Viewer', 'Kim Invitee', 'Oscar Other', 'Fiona Foreign');
  uma = await person(ctx, 'Uma Unverified', { verified: false });
  acmeId = (await inTransaction(ctx.db, (trx) => createOrganization(trx, { name: 'Acme Hosting', ownerId: olivia.id, personal: false, currency: 'USD' }))).id;
  await ctx.db.updateTable('users').set({ active_organization_id: acmeId }).where('id', '=', olivia.id).execute();
  await customRole(ctx, acmeId, 'team lead', ['members_manage', 'vps_view', 'notes_view', 'tickets_view', 'hosting_view']);
  await join(ctx, acmeId, mia.id, 'team lead');
  await join(ctx, acmeId, victor.id, 'viewer');
  owner = await browserFor(ctx, olivia);
  await owner.get('/organization/members');
});
afterAll(async () => ctx.close());

describe('inviting', () => {
  it('Olivia invites Kim as a member: the invitation is listed, and one email carries a 7-day link whose token is stored only as a hash', async () => {
    const res = await owner.post('/organization/invitations', { email: 'Kim.Invitee@Example.test', role_id: await roleId(ctx, acmeId, 'member') }, { headers: htmx });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<html');
    expect(html).toContain('We emailed an invitation to kim.invitee@example.test');
    expect(html).toContain('Pending invitations');

    const mails = await ctx.db.selectFrom('emails').selectAll().where('to_address', '=', kim.email).execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Olivia Owner invited you to Acme Hosting on SkyPanel');
    expect(mails[0]!.html).toContain('http://localhost:3000/invitations/');
    const token = (await invitationLink(ctx, kim.email)).split('/').pop()!;
    const inv = await invitationOf(kim.email);
    expect(inv.token_hash.equals(hashToken(token))).toBe(true);
    expect(JSON.stringify(inv)).not.toContain(token);
    expect(inv.expires_at.getTime() - ctx.clock.now().getTime()).toBe(7 * DAY);
    expect(inv).toMatchObject({ status: 'pending', invited_by: olivia.id, role_id: await roleId(ctx, acmeId, 'member') });
    expect(await activity(ctx, acmeId, 'member.invited')).toMatchObject([{ actor_user_id: olivia.id, target_id: inv.id, details: { email: kim.email, role: 'member' } }]);
    expect(JSON.stringify(await activity(ctx, acmeId, 'member.invited'))).not.toContain(token);
  });

  it('refuses to invite the same address twice while the first invitation is pending', async () => {
    const res = await owner.post('/organization/invitations', { email: kim.email, role_id: await roleId(ctx, acmeId, 'viewer') }, { headers: htmx });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(`${kim.email} already has a pending invitation`);
  });

  it('refuses to invite someone who is already a member, saying so', async () => {
    const res = await owner.post('/organization/invitations', { email: victor.email, role_id: await roleId(ctx, acmeId, 'member') }, { headers: htmx });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(`${victor.email} is already a member of this organization.`);
  });

  it('a viewer may not invite (403) and sees no invitation form', async () => {
    const browser = await browserFor(ctx, victor);
    expect(await (await browser.get('/organization/members')).text()).not.toContain('Send invitation');
    expect((await browser.post('/organization/invitations', { email: 'x@example.test', role_id: await roleId(ctx, acmeId, 'viewer') })).status).toBe(403);
    expect(await ctx.db.selectFrom('invitations').select('id').where('email', '=', 'x@example.test').execute()).toEqual([]);
  });

  it('Mia (members_manage) cannot invite someone into a role with permissions she lacks, nor as owner', async () => {
    const browser = await browserFor(ctx, mia);
    await browser.get('/organization/members');
    for (const role of ['owner', 'admin', 'member']) {
      const res = await browser.post('/organization/invitations', { email: 'z@example.test', role_id: await roleId(ctx, acmeId, role) }, { headers: htmx });
      expect(res.status, role).toBe(422);
    }
    expect((await browser.post('/organization/invitations', { email: 'z@example.test', role_id: await roleId(ctx, acmeId, 'viewer') }, { headers: htmx })).status).toBe(200);
  });
});

describe('answering', () => {
  it('sends a signed-out visitor of the link to sign in, and back', async () => {
    const link = await invitationLink(ctx, kim.email);
    const res = await new TestBrowser(ctx.app, nextIp()).get(link);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(link)}`);
  });

  it('shows Oscar, signed in with another address, a 404 that names no organization; he can neither accept nor decline', async () => {
    const link = await invitationLink(ctx, kim.email);
    const browser = await browserFor(ctx, oscar);
    const page = await browser.get(link);
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain('not for the account you are signed in with');
    expect(html).not.toContain('Acme');
    expect((await browser.post(`${link}/acceptance`)).status).toBe(404);
    expect((await browser.post(`${link}/declination`)).status).toBe(404);
    expect(await roleOf(ctx, acmeId, oscar.id)).toBeNull();
    expect((await invitationOf(kim.email)).status).toBe('pending');
  });

  it('Kim sees who invited her to what, accepts, joins as a member and lands in Acme', async () => {
    const link = await invitationLink(ctx, kim.email);
    const browser = await browserFor(ctx, kim);
    const html = await (await browser.get(link)).text();
    expect(html).toContain('Invitation to Acme Hosting');
    expect(html).toContain('Olivia Owner');
    expect(html).toContain('Accept and join');

    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(303);
    expect(await roleOf(ctx, acmeId, kim.id)).toBe('member');
    expect((await ctx.db.selectFrom('users').select('active_organization_id').where('id', '=', kim.id).executeTakeFirstOrThrow()).active_organization_id).toBe(acmeId);
    expect(await (await browser.get('/dashboard')).text()).toContain('Welcome to Acme Hosting! You joined as member.');
    expect(await invitationOf(kim.email)).toMatchObject({ status: 'accepted', answered_at: expect.any(Date) });
    expect(await activity(ctx, acmeId, 'member.joined')).toMatchObject([{ actor_user_id: kim.id, target_id: kim.id }]);
  });

  it('refuses to use the same link twice, saying it was already used', async () => {
    const link = await invitationLink(ctx, kim.email);
    const browser = await browserFor(ctx, kim);
    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This invitation was already used');
    const token = link.split('/').pop();
    const again = await api()('POST', `/invitations/${token}/accept`, { token: await tokenFor(ctx, kim.email, nextIp()) });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('invitation_accepted');
  });

  it('asks Uma to verify her email address before she can answer', async () => {
    const link = await invite(uma.email, 'viewer');
    const browser = await browserFor(ctx, uma);
    const html = await (await browser.get(link)).text();
    expect(html).toContain('Confirm your email address before answering this invitation');
    expect(html).not.toContain('Accept and join');
    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Confirm your email address');
    expect(await roleOf(ctx, acmeId, uma.id)).toBeNull();
  });

  it('Dan declines: the organization sees it, and the link cannot be accepted afterwards', async () => {
    const dan = await person(ctx, 'Dan Decliner');
    const link = await invite(dan.email);
    const browser = await browserFor(ctx, dan);
    expect((await browser.post(`${link}/declination`)).status).toBe(303);
    expect((await invitationOf(dan.email)).status).toBe('declined');
    expect(await activity(ctx, acmeId, 'member.declined')).toHaveLength(1);
    const res = await browser.post(`${link}/acceptance`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This invitation was declined');
  });

  it('a cancelled invitation says it was cancelled', async () => {
    const carl = await person(ctx, 'Carl Cancelled');
    const link = await invite(carl.email);
    const inv = await invitationOf(carl.email);
    const cancel = await owner.post(`/organization/invitations/${inv.id}`, {}, { method: 'DELETE', headers: htmx });
    expect(cancel.status).toBe(200);
    expect(await cancel.text()).not.toContain(carl.email);
    expect(await activity(ctx, acmeId, 'member.invitation_cancelled')).toMatchObject([{ target_id: inv.id }]);
    const res = await (await browserFor(ctx, carl)).post(`${link}/acceptance`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This invitation was cancelled by the organization.');
  });

  it('resending sends a new link and kills the old one', async () => {
    const rita = await person(ctx, 'Rita Resent');
    const oldLink = await invite(rita.email);
    const inv = await invitationOf(rita.email);
    const res = await owner.post(`/organization/invitations/${inv.id}/deliveries`, {}, { headers: htmx });
    expect(res.status).toBe(200);
    const newLink = await invitationLink(ctx, rita.email);
    expect(newLink).not.toBe(oldLink);
    expect(await ctx.db.selectFrom('emails').select('id').where('to_address', '=', rita.email).execute()).toHaveLength(2);

    const browser = await browserFor(ctx, rita);
    expect((await browser.get(oldLink)).status).toBe(404);
    expect((await browser.post(`${oldLink}/acceptance`)).status).toBe(404);
    expect((await browser.post(`${newLink}/acceptance`)).status).toBe(303);
    expect(await roleOf(ctx, acmeId, rita.id)).toBe('member');
  });

  it('an invitation of another organization cannot be resent or cancelled from Acme (404)', async () => {
    const fionaOrg = fiona.organization.id;
    const [foreign] = await ctx.db.insertInto('invitations').values({ organization_id: fionaOrg, email: 'q@example.test', role_id: await roleId(ctx, fionaOrg, 'viewer'), token_hash: hashToken('foreign-token-foreign-token'), expires_at: new Date(Date.now() + DAY) }).returning('id').execute();
    expect((await owner.post(`/organization/invitations/${foreign!.id}/deliveries`, {})).status).toBe(404);
    expect((await owner.post(`/organization/invitations/${foreign!.id}`, {}, { method: 'DELETE' })).status).toBe(404);
    expect((await owner.post('/organization/invitations/nope', {}, { method: 'DELETE' })).status).toBe(404);
    expect((await ctx.db.selectFrom('invitations').select('status').where('id', '=', foreign!.id).executeTakeFirstOrThrow()).status).toBe('pending');
  });

  it('an expired invitation (8 days later) says it expired, and the address can be invited again', async () => {
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
      expect(await roleOf(ctx, acmeId, ed.id)).toBeNull();

      const again = await browserFor(ctx, olivia);
      await again.get('/organization/members');
      expect((await again.post('/organization/invitations', { email: ed.email, role_id: await roleId(ctx, acmeId, 'viewer') }, { headers: htmx })).status).toBe(200);
      const fresh = await invitationLink(ctx, ed.email);
      expect(fresh).not.toBe(link);
      expect((await browser.post(`${fresh}/acceptance`)).status).toBe(303);
      expect(await roleOf(ctx, acmeId, ed.id)).toBe('viewer');
    } finally {
      ctx.clock.set(start);
    }
  });
});

describe('invitations in the JSON API', () => {
  let oliviaToken: string;
  beforeAll(async () => {
    oliviaToken = await tokenFor(ctx, olivia.email, nextIp());
  });

  it('invites with a 201 that never contains the token, ignoring status, organization_id and invited_by in the body', async () => {
    const res = await api()('POST', `/organizations/${acmeId}/invitations`, {
      token: oliviaToken,
      body: { email: 'api.person@example.test', role_id: await roleId(ctx, acmeId, 'viewer'), status: 'accepted', organization_id: fiona.organization.id, invited_by: fiona.id, expires_at: '2099-01-01T00:00:00Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email: 'api.person@example.test', status: 'pending', expired: false, role: { name: 'viewer' }, invited_by: { id: olivia.id } });
    const token = (await invitationLink(ctx, 'api.person@example.test')).split('/').pop()!;
    expect(JSON.stringify(res.body)).not.toContain(token);
    expect(new Date(res.body.expires_at).getTime() - ctx.clock.now().getTime()).toBe(7 * DAY);
    expect((await ctx.db.selectFrom('invitations').select('organization_id').where('id', '=', res.body.id).executeTakeFirstOrThrow()).organization_id).toBe(acmeId);
  });

  it('lists invitations for members_manage only; 403 for a viewer, 404 for an outsider', async () => {
    const list = await api()('GET', `/organizations/${acmeId}/invitations?status=pending`, { token: oliviaToken });
    expect(list.status).toBe(200);
    expect(list.body.data.every((i: { status: string }) => i.status === 'pending')).toBe(true);
    expect(list.body.data.map((i: { email: string }) => i.email)).toContain('api.person@example.test');
    expect((await api()('GET', `/organizations/${acmeId}/invitations`, { token: await tokenFor(ctx, victor.email, nextIp()) })).status).toBe(403);
    const fionaToken = await tokenFor(ctx, fiona.email, nextIp());
    expect((await api()('GET', `/organizations/${acmeId}/invitations`, { token: fionaToken })).status).toBe(404);
    expect((await api()('POST', `/organizations/${acmeId}/invitations`, { token: fionaToken, body: { email: 'f@example.test', role_id: await roleId(ctx, acmeId, 'owner') } })).status).toBe(404);
  });

  it('lets only the invited, verified person accept or decline', async () => {
    const paula = await person(ctx, 'Paula Api');
    await api()('POST', `/organizations/${acmeId}/invitations`, { token: oliviaToken, body: { email: paula.email, role_id: await roleId(ctx, acmeId, 'viewer') } });
    const token = (await invitationLink(ctx, paula.email)).split('/').pop()!;
    const other = await api()('POST', `/invitations/${token}/accept`, { token: await tokenFor(ctx, oscar.email, nextIp()) });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain('Acme');
    expect((await api()('POST', '/invitations/not-a-real-token-at-all-no/accept', { token: oliviaToken })).status).toBe(404);

    const res = await api()('POST', `/invitations/${token}/accept`, { token: await tokenFor(ctx, paula.email, nextIp()) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: acmeId, name: 'Acme Hosting', role: 'viewer' });
  });

  it('answers an unverified invitee with 403 email_unverified, and a decline with 204', async () => {
    const unverified = await api()('POST', `/invitations/${(await invitationLink(ctx, uma.email)).split('/').pop()}/decline`, { token: await tokenFor(ctx, uma.email, nextIp()) });
    expect(unverified.status).toBe(403);
    expect(unverified.body.error.code).toBe('email_unverified');

    const quinn = await person(ctx, 'Quinn Declines');
    await api()('POST', `/organizations/${acmeId}/invitations`, { token: oliviaToken, body: { email: quinn.email, role_id: await roleId(ctx, acmeId, 'viewer') } });
    const token = (await invitationLink(ctx, quinn.email)).split('/').pop()!;
    expect((await api()('POST', `/invitations/${token}/decline`, { token: await tokenFor(ctx, quinn.email, nextIp()) })).status).toBe(204);
    expect((await invitationOf(quinn.email)).status).toBe('declined');
  });

  it('cancels a pending invitation (204), then refuses to cancel it again (422)', async () => {
    const inv = await invitationOf('api.person@example.test');
    expect((await api()('DELETE', `/organizations/${acmeId}/invitations/${inv.id}`, { token: oliviaToken })).status).toBe(204);
    const again = await api()('DELETE', `/organizations/${acmeId}/invitations/${inv.id}`, { token: oliviaToken });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('invitation_not_pending');
  });
});
