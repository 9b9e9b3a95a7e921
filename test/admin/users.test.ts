import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccessToken } from '../../src/domain/accounts/access-tokens.ts';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { generate } from 'otplib';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { fundWallet } from '../helpers/money.ts';

let ctx: TestContext;
let ada: Awaited<ReturnType<typeof createPerson>>;
let admin: TestBrowser;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/** A verified customer at an address no other test uses. */
const customer = (name: string, opts: { isAdmin?: boolean } = {}) =>
  createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });

// Each test's own staff member, Ada, signed in.
beforeEach(async () => {
  ada = await customer('Ada Admin', { isAdmin: true });
  admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
});

const rowIds = (html: string) => [...html.matchAll(/id="user-([0-9a-f-]{36})"/g)].map((m) => m[1]);
const activity = (action: string, targetId: string) =>
  ctx.db
    .selectFrom('activity_log')
    .selectAll()
    .where('action', '=', action)
    .where('target_id', '=', targetId)
    .execute();
const user = (id: string) => ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Sends an admin action the way the page's htmx buttons do (same method and path, CSRF header). */
async function act(method: 'POST' | 'DELETE' | 'PATCH', path: string, form: Record<string, string> = {}) {
  return admin.post(path, form, { method });
}

describe('finding users', () => {
  /**
   * This test's own crowd: 55 people named "Pat <tag> 01…55" at <tag>.example, the first three
   * suspended and the fourth a platform admin; `tag` is in every name and address.
   */
  async function crowd() {
    const tag = `pager${randomBytes(3).toString('hex')}`;
    const rows = await ctx.db
      .insertInto('users')
      .values(
        Array.from({ length: 55 }, (_, i) => ({
          name: `Pat ${tag} ${String(i + 1).padStart(2, '0')}`,
          email: `pat${i + 1}@${tag}.example`,
          password_hash: 'x',
          status: i < 3 ? ('suspended' as const) : ('active' as const),
          is_admin: i === 3,
        })),
      )
      .returning(['id', 'name'])
      .execute();
    const byName = (n: number) => rows.find((r) => r.name === `Pat ${tag} ${String(n).padStart(2, '0')}`)!.id;
    return { tag, byName };
  }

  it('finds users by name or email, whatever the case', async () => {
    const { tag, byName } = await crowd();
    await admin.get(`/admin/users?q=${encodeURIComponent(`PAT ${tag.toUpperCase()} 07`)}`);
    expect(rowIds(admin.lastHtml)).toEqual([byName(7)]);
    expect(admin.lastHtml).toContain(`Pat ${tag} 07`);
    await admin.get(`/admin/users?q=${encodeURIComponent(ada.email.toUpperCase())}`);
    expect(rowIds(admin.lastHtml)).toEqual([ada.id]);
  });

  it('treats % and _ in the search box as plain characters', async () => {
    const { tag } = await crowd();
    await admin.get(`/admin/users?q=${encodeURIComponent(`${tag}%`)}`);
    expect(rowIds(admin.lastHtml)).toEqual([]);
    await admin.get(`/admin/users?q=${encodeURIComponent(`pat_@${tag}`)}`);
    expect(rowIds(admin.lastHtml)).toEqual([]);
    await admin.get(`/admin/users?q=${encodeURIComponent(`pat1@${tag}`)}`);
    expect(rowIds(admin.lastHtml)).toHaveLength(1);
  });

  it('filters by status and by platform admin', async () => {
    const { tag, byName } = await crowd();
    await admin.get(`/admin/users?status=suspended&q=${tag}`);
    expect(rowIds(admin.lastHtml).sort()).toEqual([byName(1), byName(2), byName(3)].sort());
    await admin.get(`/admin/users?admin=yes&q=${tag}`);
    expect(rowIds(admin.lastHtml)).toEqual([byName(4)]);
    await admin.get(`/admin/users?admin=no&q=${tag}`);
    expect(admin.lastHtml).toContain('54 users');
    await admin.get(`/admin/users?admin=no&status=active&q=${tag}`);
    expect(admin.lastHtml).toContain('51 users');
  });

  it('shows 50 users a page, and the next page keeps the search', async () => {
    const { tag } = await crowd();
    expect((await admin.get(`/admin/users?q=${tag}`)).status).toBe(200);
    const first = rowIds(admin.lastHtml);
    expect(first).toHaveLength(50);
    expect(admin.lastHtml).toContain('55 users · page 1 of 2');
    expect(admin.lastHtml).toContain(`href="/admin/users?q=${tag}&amp;page=2"`);
    await admin.get(`/admin/users?q=${tag}&page=2`);
    const second = rowIds(admin.lastHtml);
    expect(second).toHaveLength(5);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  });

  it('answers a search typed into the page with just the results region', async () => {
    const { tag, byName } = await crowd();
    const res = await admin.get(`/admin/users?q=${encodeURIComponent(`pat ${tag} 42`)}`, {
      'hx-request': 'true',
      'hx-target': 'user-results',
    });
    const html = await res.text();
    expect(html.trimStart().startsWith('<div id="user-results">')).toBe(true);
    expect(html).not.toContain('<html');
    expect(rowIds(html)).toEqual([byName(42)]);
  });
});

describe('a user page', () => {
  it('shows the user with their organizations and role, sessions and recent activity', async () => {
    const hana = await customer('Hana Host');
    await fundWallet(ctx.db, hana.organization.id, 25_500_000n);
    await signedIn(ctx, hana.email, PASSWORD, '192.0.2.40');
    await act('DELETE', `/admin/users/${hana.id}/lockout`);
    const res = await admin.get(`/admin/users/${hana.id}`);
    expect(res.status).toBe(200);
    expect(admin.lastHtml).toContain(hana.email);
    expect(admin.lastHtml).toContain('Hana Host&#39;s organization');
    expect(admin.lastHtml).toContain('owner');
    expect(admin.lastHtml).toContain('$25.50');
    expect(admin.lastHtml).toContain('IP 192.0.2.40');
    expect(admin.lastHtml).toContain('admin.user_unlocked');
  });

  it('is a 404 for an unknown or malformed id', async () => {
    expect((await admin.get('/admin/users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin.get('/admin/users/not-a-uuid')).status).toBe(404);
  });
});

describe('editing a user', () => {
  it('refuses a bad email with the form again and changes nothing', async () => {
    const ivy = await customer('Ivy Ingram');
    const res = await act('PATCH', `/admin/users/${ivy.id}`, { name: 'Ivy Changed', email: 'not-an-email', phone: '' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Enter a valid email address.');
    expect(admin.lastHtml).toContain('value="Ivy Changed"');
    expect(await user(ivy.id)).toMatchObject({ name: 'Ivy Ingram', email: ivy.email });
    expect(await activity('admin.user_updated', ivy.id)).toHaveLength(0);
  });

  it("refuses another account's email with 422", async () => {
    const jon = await customer('Jon Jones');
    const res = await act('PATCH', `/admin/users/${jon.id}`, {
      name: 'Jon Jones',
      email: ada.email.toUpperCase(),
      phone: '',
    });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Another account already uses this email address.');
    expect((await user(jon.id)).email).toBe(jon.email);
  });

  it('saves name, email and phone; a new email must be confirmed again; the change is recorded', async () => {
    const kim = await customer('Kim Kole');
    const newEmail = uniqueEmail('Kim Cole');
    const res = await act('PATCH', `/admin/users/${kim.id}`, {
      name: 'Kim Cole',
      email: newEmail.replace(/^kim\.cole/, 'Kim.Cole').replace('example.test', 'Example.test'),
      phone: '+44 20 7946 0000',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/users/${kim.id}`);
    const after = await user(kim.id);
    expect(after).toMatchObject({
      name: 'Kim Cole',
      email: newEmail,
      phone: '+44 20 7946 0000',
      email_verified_at: null,
    });
    const mail = await ctx.db
      .selectFrom('emails')
      .select(['to_address', 'template'])
      .where('to_address', 'in', [newEmail, kim.email])
      .execute();
    expect(mail).toEqual(
      expect.arrayContaining([
        { to_address: newEmail, template: 'verify_email' },
        { to_address: kim.email, template: 'email_changed' },
      ]),
    );
    const [row] = await activity('admin.user_updated', kim.id);
    expect(row).toMatchObject({ actor_user_id: ada.id, target_type: 'user', details: { fields: 'name,email,phone' } });
  });
});

describe('suspending and reactivating', () => {
  it("a suspended user's browser session and access token stop working at once, and sign-in says why", async () => {
    const sue = await customer('Sue Suspend');
    const browser = await signedIn(ctx, sue.email, PASSWORD, '192.0.2.50');
    const { token } = await createAccessToken(
      ctx.db,
      ctx.config,
      sue.id,
      { ip: '192.0.2.50', userAgent: null },
      ctx.clock.now(),
    );
    const me = () =>
      ctx.app.request('/api/v1/me', { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '192.0.2.50' } });
    expect((await browser.get('/dashboard')).status).toBe(200);
    expect((await me()).status).toBe(200);

    const res = await act('POST', `/admin/users/${sue.id}/suspension`);
    expect(res.status).toBe(303);

    expect((await user(sue.id)).status).toBe('suspended');
    const page = await browser.get('/dashboard');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/login/);
    expect((await me()).status).toBe(401);
    expect(await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', sue.id).execute()).toHaveLength(0);
    const again = new TestBrowser(ctx.app, '192.0.2.51');
    await again.get('/login');
    const signIn = await again.post('/login', { email: sue.email, password: PASSWORD });
    expect(signIn.status).toBe(422);
    expect(await signIn.text()).toContain('This account is suspended');
    expect((await admin.get(`/admin/users/${sue.id}`)).status).toBe(200);
    expect(admin.lastHtml).toContain(`hx-delete="/admin/users/${sue.id}/suspension"`);
    expect(admin.lastHtml).toContain('Only active accounts can be impersonated.');
    const [row] = await activity('admin.user_suspended', sue.id);
    expect(row).toMatchObject({ actor_user_id: ada.id, details: { previous_status: 'active', sessions_ended: 1 } });

    expect((await act('DELETE', `/admin/users/${sue.id}/suspension`)).status).toBe(303);
    expect((await user(sue.id)).status).toBe('active');
    expect(await activity('admin.user_reactivated', sue.id)).toHaveLength(1);
    await admin.get(`/admin/users/${sue.id}`);
    expect(admin.lastHtml).toContain(`hx-post="/admin/users/${sue.id}/suspension"`);
    expect((await again.post('/login', { email: sue.email, password: PASSWORD })).status).toBe(303);
  });

  it('an account held by fraud screening is not reactivated from the user page, only decided in the review queue', async () => {
    const held = await customer('Hal Held');
    await ctx.db.updateTable('users').set({ status: 'review' }).where('id', '=', held.id).execute();
    const res = await act('DELETE', `/admin/users/${held.id}/suspension`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('fraud review queue');
    expect((await user(held.id)).status).toBe('review');
  });

  it('an admin cannot suspend themselves or another admin', async () => {
    const gil = await customer('Gil Guard', { isAdmin: true });
    for (const id of [ada.id, gil.id]) {
      const res = await act('POST', `/admin/users/${id}/suspension`);
      expect(res.status).toBe(422);
      expect((await user(id)).status).toBe('active');
    }
    expect(admin.lastHtml).toContain('Platform admins cannot be suspended');
    await admin.get(`/admin/users/${ada.id}`);
    expect(admin.lastHtml).not.toContain(`/admin/users/${ada.id}/suspension`);
    expect(admin.lastHtml).not.toContain(`hx-delete="/admin/users/${ada.id}/platform-admin"`);
  });
});

describe('lockouts and two-factor', () => {
  it('lifts a brute-force lockout so the user can sign in again', async () => {
    const dan = await customer('Dan Door');
    const browser = new TestBrowser(ctx.app, '192.0.2.60');
    await browser.get('/login');
    for (let i = 0; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++)
      await browser.post('/login', { email: dan.email, password: 'wrong password' });
    expect((await browser.post('/login', { email: dan.email, password: PASSWORD })).status).toBe(429);

    expect((await act('DELETE', `/admin/users/${dan.id}/lockout`)).status).toBe(303);

    expect((await browser.post('/login', { email: dan.email, password: PASSWORD })).status).toBe(303);
    expect(await activity('admin.user_unlocked', dan.id)).toHaveLength(1);
  });

  it('resets two-factor: secret and recovery codes are gone and the password alone signs in', async () => {
    const erin = await customer('Erin Earl');
    const { secret } = await beginTotpSetup(ctx.deps, erin.id, PASSWORD);
    await confirmTotpSetup(
      ctx.deps,
      erin.id,
      await generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) }),
    );
    expect((await user(erin.id)).totp_enabled_at).not.toBeNull();

    expect((await act('DELETE', `/admin/users/${erin.id}/two-factor`)).status).toBe(303);

    expect(await user(erin.id)).toMatchObject({ totp_enabled_at: null, totp_secret: null });
    expect(
      await ctx.db.selectFrom('recovery_codes').select('id').where('user_id', '=', erin.id).execute(),
    ).toHaveLength(0);
    const browser = new TestBrowser(ctx.app, '192.0.2.61');
    await browser.get('/login');
    const res = await browser.post('/login', { email: erin.email, password: PASSWORD });
    expect(res.headers.get('location')).toBe('/dashboard');
    expect(await activity('admin.two_factor_reset', erin.id)).toHaveLength(1);
  });
});
