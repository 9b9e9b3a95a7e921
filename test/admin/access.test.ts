import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/access/actor.ts';
import { reactivateUser, resetTwoFactor, suspendUser, unlockUser } from '../../src/domain/admin/account-changes.ts';
import { startImpersonation } from '../../src/domain/admin/impersonation.ts';
import { demoteUser, promoteUser } from '../../src/domain/admin/platform-admins.ts';
import { listUsers } from '../../src/domain/admin/users.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';

let ctx: TestContext;
let bob: Awaited<ReturnType<typeof createPerson>>;
let cat: Awaited<ReturnType<typeof createPerson>>;
beforeAll(async () => {
  ctx = await createTestContext();
  await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
  bob = await createPerson(ctx, 'Bob Baker', { verified: true });
  cat = await createPerson(ctx, 'Cat Cole', { verified: true });
});
afterAll(async () => ctx.close());

/** Every route of the admin user and organization pages, with a form that would change something. */
const routes = (): [string, string, Record<string, string>][] => [
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

const send = (browser: TestBrowser, [method, path, form]: [string, string, Record<string, string>]) => (method === 'GET' ? browser.get(path) : browser.post(path, form, { method }));

describe('the admin user and organization pages', () => {
  it('do not exist for a signed-in user who is not platform staff (404), and nothing changes', async () => {
    const browser = await signedIn(ctx, bob.email, PASSWORD, '192.0.2.20');
    for (const route of routes()) expect((await send(browser, route)).status, `${route[0]} ${route[1]}`).toBe(404);
    expect(await ctx.db.selectFrom('users').select(['name', 'status', 'is_admin']).where('id', '=', cat.id).executeTakeFirstOrThrow()).toEqual({ name: 'Cat Cole', status: 'active', is_admin: false });
    expect(await ctx.db.selectFrom('sessions').select('id').where('impersonator_user_id', 'is not', null).execute()).toEqual([]);
    expect(await ctx.db.selectFrom('activity_log').select('id').where('action', 'like', 'admin.%').execute()).toEqual([]);
  });

  it('send signed-out visitors to sign in (pages) or answer 401 (writes)', async () => {
    const browser = new TestBrowser(ctx.app, '192.0.2.21');
    await browser.get('/login');
    for (const route of routes()) {
      const res = await send(browser, route);
      if (route[0] === 'GET') expect(res.headers.get('location'), route[1]).toMatch(/^\/login\?next=/);
      else expect(res.status, `${route[0]} ${route[1]}`).toBe(401);
    }
  });

  it('stopping an impersonation that is not running is a 404', async () => {
    const browser = await signedIn(ctx, bob.email, PASSWORD, '192.0.2.22');
    expect((await browser.post('/impersonation', {}, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('staff functions in the domain', () => {
  it('refuse an actor without platform-admin powers: an API key or an impersonating admin, even if the user is an admin', async () => {
    const ada = await ctx.db.selectFrom('users').select('id').where('is_admin', '=', true).executeTakeFirstOrThrow();
    const base: Actor = { userId: ada.id, isPlatformAdmin: false, organizationId: null, roleName: null, permissions: new Set(), impersonatorUserId: null, apiKeyId: null, origin: { ip: '192.0.2.30', userAgent: null } };
    for (const actor of [{ ...base, apiKeyId: '00000000-0000-4000-8000-000000000001' }, { ...base, userId: bob.id, impersonatorUserId: ada.id }]) {
      const input = { userId: cat.id };
      for (const call of [suspendUser, reactivateUser, unlockUser, resetTwoFactor, promoteUser, demoteUser]) await expect(call(ctx.deps, actor, input)).rejects.toThrow('Only platform staff');
      await expect(listUsers(ctx.deps, actor, {})).rejects.toThrow('Only platform staff');
      await expect(startImpersonation(ctx.deps, actor, { userId: cat.id, password: PASSWORD, adminSessionId: '00000000-0000-4000-8000-000000000002' })).rejects.toThrow('Only platform staff');
    }
    expect(await ctx.db.selectFrom('users').select(['status', 'is_admin']).where('id', '=', cat.id).executeTakeFirstOrThrow()).toEqual({ status: 'active', is_admin: false });
  });
});
