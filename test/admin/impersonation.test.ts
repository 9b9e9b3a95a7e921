import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/lib/crypto.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
let ada: Awaited<ReturnType<typeof createPerson>>;
let bob: Awaited<ReturnType<typeof createPerson>>;
let admin: TestBrowser;
let adminToken: string;
let adminSessionId: string;
let ip = 0;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

// Each test's own world: Ada (platform staff) freshly signed in, and Bob, a customer; the clock where the test found it.
let start: Date;
beforeEach(async () => {
  start = ctx.clock.now();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  bob = await createPerson(ctx, 'Bob Baker', { verified: true, email: uniqueEmail('Bob Baker') });
  admin = await signedIn(ctx, ada.email, PASSWORD, `192.0.2.${(++ip % 200) + 1}`);
  adminToken = admin.cookies.get('sp_session')!;
  adminSessionId = (
    await ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('token_hash', '=', hashToken(adminToken))
      .executeTakeFirstOrThrow()
  ).id;
});
afterEach(() => ctx.clock.set(start));

const impersonations = (userId: string) =>
  ctx.db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('impersonator_user_id', 'is not', null)
    .execute();

/** Ada impersonates someone through the form on their admin page, and lands on the portal. */
async function impersonate(userId = bob.id) {
  await admin.get(`/admin/users/${userId}`);
  const res = await admin.post(`/admin/users/${userId}/impersonation`, { password: PASSWORD });
  expect(res.status).toBe(303);
  await admin.get(res.headers.get('location')!);
  return res;
}

describe('starting an impersonation', () => {
  it('needs the admin to type their own password again', async () => {
    await admin.get(`/admin/users/${bob.id}`);
    const res = await admin.post(`/admin/users/${bob.id}/impersonation`, { password: 'not my password' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('That is not your password.');
    expect(await impersonations(bob.id)).toEqual([]);
    expect(admin.cookies.get('sp_session')).toBe(adminToken);
    expect(admin.cookies.has('sp_admin_session')).toBe(false);
  });

  it('refuses to impersonate another admin', async () => {
    const gus = await createPerson(ctx, 'Gus Guard', {
      isAdmin: true,
      verified: true,
      email: uniqueEmail('Gus Guard'),
    });
    await admin.get(`/admin/users/${gus.id}`);
    expect(admin.lastHtml).toContain('Platform admins cannot be impersonated.');
    expect(admin.lastHtml).not.toContain(`action="/admin/users/${gus.id}/impersonation"`);
    const res = await admin.post(`/admin/users/${gus.id}/impersonation`, { password: PASSWORD });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Platform admins cannot be impersonated.');
    expect(await impersonations(gus.id)).toEqual([]);
  });

  it('refuses to impersonate a suspended user', async () => {
    const sal = await createPerson(ctx, 'Sal Stopped', { verified: true, email: uniqueEmail('Sal Stopped') });
    await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', sal.id).execute();
    const res = await admin.post(`/admin/users/${sal.id}/impersonation`, { password: PASSWORD });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('only active accounts can be impersonated');
    expect(await impersonations(sal.id)).toEqual([]);
  });

  it("switches the browser to a new 60-minute session of the user and keeps the admin's own aside", async () => {
    const res = await impersonate();
    expect(res.headers.get('location')).toBe('/dashboard');
    const kept = res.headers.getSetCookie().find((c) => c.startsWith('sp_admin_session='))!;
    expect(kept).toMatch(/HttpOnly/i);
    expect(kept).toMatch(/SameSite=Lax/i);
    expect(admin.cookies.get('sp_admin_session')).toBe(adminToken);
    expect(admin.cookies.get('sp_session')).not.toBe(adminToken);
    const [session] = await impersonations(bob.id);
    expect(session).toMatchObject({
      impersonator_user_id: ada.id,
      impersonator_session_id: adminSessionId,
      stage: 'full',
    });
    expect(session!.expires_at.getTime()).toBe(ctx.clock.now().getTime() + 60 * 60_000);
    expect(
      await ctx.db
        .selectFrom('activity_log')
        .selectAll()
        .where('action', '=', 'admin.impersonation_started')
        .where('actor_user_id', '=', ada.id)
        .execute(),
    ).toMatchObject([{ actor_user_id: ada.id, target_type: 'user', target_id: bob.id }]);
  });

  it("never lasts longer than the admin's own session", async () => {
    const soon = new Date(ctx.clock.now().getTime() + 10 * 60_000);
    await ctx.db.updateTable('sessions').set({ expires_at: soon }).where('id', '=', adminSessionId).execute();
    await impersonate();
    const [session] = await impersonations(bob.id);
    expect(session!.expires_at.getTime()).toBe(soon.getTime());
  });
});

describe('while impersonating', () => {
  beforeEach(async () => {
    await impersonate();
  });

  it('shows a banner naming the user, with a stop button, on every page', async () => {
    for (const path of ['/dashboard', '/settings/profile', '/settings/security']) {
      expect((await admin.get(path)).status).toBe(200);
      expect(admin.lastHtml).toContain('You are impersonating <strong>Bob Baker</strong>');
      expect(admin.lastHtml).toContain('hx-delete="/impersonation"');
      expect(admin.lastHtml).toContain('Stop impersonating');
    }
  });

  it('admin pages are not reachable', async () => {
    for (const path of ['/admin', '/admin/users', `/admin/users/${bob.id}`, '/admin/organizations'])
      expect((await admin.get(path)).status).toBe(404);
    expect((await admin.post(`/admin/users/${bob.id}/suspension`)).status).toBe(404);
    expect(
      (await ctx.db.selectFrom('users').select('status').where('id', '=', bob.id).executeTakeFirstOrThrow()).status,
    ).toBe('active');
  });

  it("refuses changes to the user's password, email, two-factor, sessions and API keys with 403", async () => {
    const before = await ctx.db
      .selectFrom('users')
      .select(['password_hash', 'email'])
      .where('id', '=', bob.id)
      .executeTakeFirstOrThrow();
    const attempts: [string, string, Record<string, string>][] = [
      ['POST', '/settings/password', { current_password: PASSWORD, new_password: 'a brand new password' }],
      ['POST', '/settings/email', { email: 'taken.over@example.test', current_password: PASSWORD }],
      ['POST', '/settings/two-factor', {}],
      ['DELETE', '/settings/sessions', {}],
      ['POST', '/settings/api-keys', { name: 'mine' }],
    ];
    for (const [method, path, form] of attempts) {
      const res = await admin.post(path, form, { method });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.text()).toContain('Not while impersonating');
    }
    expect(
      await ctx.db
        .selectFrom('users')
        .select(['password_hash', 'email'])
        .where('id', '=', bob.id)
        .executeTakeFirstOrThrow(),
    ).toEqual(before);
    expect(await impersonations(bob.id)).toHaveLength(1);
  });

  it("records other writes with both the user's and the admin's id", async () => {
    const res = await admin.post('/settings/profile', { name: 'Bob Baker', phone: '+1 555 0100', timezone: 'UTC' });
    expect(res.status).toBe(303);
    const rows = await ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('action', '=', 'admin.impersonated_write')
      .where('impersonator_user_id', '=', ada.id)
      .where(sql<string>`details->>'path'`, '=', '/settings/profile')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_user_id: bob.id,
      impersonator_user_id: ada.id,
      details: { method: 'POST', path: '/settings/profile', status: 303 },
    });
  });
});

describe('stopping', () => {
  it("returns the admin to their own session — the same one, nothing new minted — on the user's admin page", async () => {
    const adaSessions = async () =>
      (await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', ada.id).orderBy('id').execute()).map(
        (s) => s.id,
      );
    const before = await adaSessions();
    await impersonate();

    const res = await admin.post('/impersonation', {}, { method: 'DELETE' });

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/users/${bob.id}`);
    expect(admin.cookies.get('sp_session')).toBe(adminToken);
    expect(admin.cookies.has('sp_admin_session')).toBe(false);
    expect(await impersonations(bob.id)).toEqual([]);
    expect(await adaSessions()).toEqual(before);
    expect((await admin.get(`/admin/users/${bob.id}`)).status).toBe(200);
    expect(admin.lastHtml).not.toContain('You are impersonating');
    expect(
      await ctx.db
        .selectFrom('activity_log')
        .selectAll()
        .where('action', '=', 'admin.impersonation_stopped')
        .where('target_id', '=', bob.id)
        .execute(),
    ).toMatchObject([{ actor_user_id: ada.id, target_id: bob.id }]);
  });

  it('ends by itself after 60 minutes, and the next page view puts the admin back', async () => {
    await impersonate();
    ctx.clock.advance(61 * 60_000);

    const res = await admin.get('/dashboard');

    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/users');
    expect(admin.cookies.get('sp_session')).toBe(adminToken);
    expect((await admin.get('/admin/users')).status).toBe(200);
    expect(admin.lastHtml).not.toContain('You are impersonating');
  });

  it("ends with the admin's own session: revoking it signs the impersonation out too", async () => {
    await impersonate();
    await ctx.db.deleteFrom('sessions').where('id', '=', adminSessionId).execute();
    expect(await impersonations(bob.id)).toEqual([]);
    const res = await admin.get('/settings/profile');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login/);
  });

  it('signing out while impersonating signs the admin out of this browser too', async () => {
    await impersonate();
    expect((await admin.post('/logout')).status).toBe(303);
    expect(await ctx.db.selectFrom('sessions').select('id').where('id', '=', adminSessionId).execute()).toEqual([]);
    expect(admin.cookies.has('sp_admin_session')).toBe(false);
    expect((await admin.get('/admin/users')).status).toBe(303);
  });
});
