import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reactivateUser, resetTwoFactor, suspendUser, unlockUser } from '../../src/domain/accounts/admin-changes.ts';
import { startImpersonation } from '../../src/domain/admin/impersonation.ts';
import { demoteUser, promoteUser } from '../../src/domain/admin/platform-admins.ts';
import { listUsers } from '../../src/domain/accounts/admin.ts';
import { tokenFor } from '../api/client.ts';
import { keyFor } from '../api-keys/helpers.ts';
import { cookieOf, requestActor } from '../authz/actors.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

let ip = 0;
const nextIp = () => `192.0.2.${(++ip % 200) + 20}`;

/** Each test's own people: Ada is platform staff; Bob and Cat are customers. */
async function cast() {
  const [ada, bob, cat] = await Promise.all([
    createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') }),
    createPerson(ctx, 'Bob Baker', { verified: true, email: uniqueEmail('Bob Baker') }),
    createPerson(ctx, 'Cat Cole', { verified: true, email: uniqueEmail('Cat Cole') }),
  ]);
  return { ada, bob, cat };
}

/** Every route of the admin user and organization pages, with a form that would change something. */
const routes = (cat: { id: string; organization: { id: string } }): [string, string, Record<string, string>][] => [
  ['GET', '/admin/users', {}],
  ['GET', `/admin/users/${cat.id}`, {}],
  ['PATCH', `/admin/users/${cat.id}`, { name: 'Hacked', email: 'hacked@example.test', phone: '' }],
  ['POST', `/admin/users/${cat.id}/suspension`, {}],
  ['DELETE', `/admin/users/${cat.id}/suspension`, {}],
  ['DELETE', `/admin/users/${cat.id}/lockout`, {}],
  ['DELETE', `/admin/users/${cat.id}/two-factor`, {}],
  ['POST', `/admin/users/${cat.id}/platform-admin`, {}],
  ['DELETE', `/admin/users/${cat.id}/platform-admin`, {}],
  ['POST', `/admin/users/${cat.id}/impersonation`, { password: PASSWORD }],
  ['GET', '/admin/organizations', {}],
  ['GET', `/admin/organizations/${cat.organization.id}`, {}],
];

const send = (browser: TestBrowser, [method, path, form]: [string, string, Record<string, string>]) =>
  method === 'GET' ? browser.get(path) : browser.post(path, form, { method });
const untouched = async (cat: { id: string; email: string }) => {
  expect(
    await ctx.db
      .selectFrom('users')
      .select(['name', 'email', 'status', 'is_admin'])
      .where('id', '=', cat.id)
      .executeTakeFirstOrThrow(),
  ).toEqual({ name: 'Cat Cole', email: cat.email, status: 'active', is_admin: false });
  expect(
    await ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', cat.id)
      .where('impersonator_user_id', 'is not', null)
      .execute(),
  ).toEqual([]);
  expect(
    await ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('target_id', '=', cat.id)
      .where('action', 'like', 'admin.%')
      .execute(),
  ).toEqual([]);
};

describe('the admin user and organization pages', () => {
  it('do not exist for a signed-in user who is not platform staff (404), and nothing changes', async () => {
    const { bob, cat } = await cast();
    const browser = await signedIn(ctx, bob.email, PASSWORD, nextIp());
    for (const route of routes(cat)) expect((await send(browser, route)).status, `${route[0]} ${route[1]}`).toBe(404);
    await untouched(cat);
  });

  it('send signed-out visitors to sign in (pages) or answer 401 (writes)', async () => {
    const { cat } = await cast();
    const browser = new TestBrowser(ctx.app, nextIp());
    await browser.get('/login');
    for (const route of routes(cat)) {
      const res = await send(browser, route);
      if (route[0] === 'GET') expect(res.headers.get('location'), route[1]).toMatch(/^\/login\?next=/);
      else expect(res.status, `${route[0]} ${route[1]}`).toBe(401);
    }
    await untouched(cat);
  });

  it('stopping an impersonation that is not running is a 404', async () => {
    const { bob } = await cast();
    const browser = await signedIn(ctx, bob.email, PASSWORD, nextIp());
    expect((await browser.post('/impersonation', {}, { method: 'DELETE' })).status).toBe(404);
    expect((await browser.get('/dashboard')).status).toBe(200);
  });
});

describe('staff functions in the domain', () => {
  it('refuse an actor without platform-admin powers: an API key or an impersonating admin, even if the user is an admin', async () => {
    const { ada, bob, cat } = await cast();
    // Each actor is the one production builds for a request made with these credentials.
    const adaKey = await keyFor(ctx, ada.email, nextIp(), {
      organization_id: ada.organization.id,
      permissions: ['vps_view'],
    });
    const asKey = await requestActor(ctx, { bearer: adaKey.key });
    const admin = await signedIn(ctx, ada.email, PASSWORD, nextIp());
    await admin.get(`/admin/users/${bob.id}`);
    expect((await admin.post(`/admin/users/${bob.id}/impersonation`, { password: PASSWORD })).status).toBe(303);
    const impersonating = await requestActor(ctx, { cookie: cookieOf(admin) });
    expect(impersonating).toMatchObject({ userId: bob.id, impersonatorUserId: ada.id });
    expect(asKey).toMatchObject({ userId: ada.id, apiKeyId: adaKey.id });

    for (const actor of [asKey, impersonating]) {
      const input = { userId: cat.id };
      for (const call of [suspendUser, reactivateUser, unlockUser, resetTwoFactor, promoteUser, demoteUser])
        await expect(call(ctx.deps, actor, input)).rejects.toThrow('Only platform staff');
      await expect(listUsers(ctx.db, actor, {})).rejects.toThrow('Only platform staff');
      await expect(
        startImpersonation(ctx.deps, actor, {
          userId: cat.id,
          password: PASSWORD,
          adminSessionId: '00000000-0000-4000-8000-000000000002',
        }),
      ).rejects.toThrow('Only platform staff');
    }
    await untouched(cat);

    // The same person with her own access token is staff: the refusals above came from the credentials.
    const asHerself = await requestActor(ctx, { bearer: await tokenFor(ctx, ada.email, nextIp()) });
    expect(asHerself).toMatchObject({
      userId: ada.id,
      isPlatformAdmin: true,
      apiKeyId: null,
      impersonatorUserId: null,
    });
    expect((await listUsers(ctx.db, asHerself, { q: cat.email })).users.map((u) => u.id)).toEqual([cat.id]);
  });
});
