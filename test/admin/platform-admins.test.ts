import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoteUser } from '../../src/domain/admin/platform-admins.ts';
import type { Actor } from '../../src/domain/access/actor.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const isAdmin = async (id: string) => (await ctx.db.selectFrom('users').select('is_admin').where('id', '=', id).executeTakeFirstOrThrow()).is_admin;
const adminCount = async () => Number((await ctx.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('is_admin', '=', true).executeTakeFirstOrThrow()).n);
const actorFor = (userId: string): Actor => ({ userId, isPlatformAdmin: true, organizationId: null, roleName: null, permissions: new Set(), impersonatorUserId: null, apiKeyId: null, origin: { ip: '192.0.2.9', userAgent: null } });

describe('promoting and demoting platform admins', () => {
  it('promotes a user and demotes them again, recording both', async () => {
    const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const bob = await createPerson(ctx, 'Bob Baker', { verified: true });
    const admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');

    expect((await admin.post(`/admin/users/${bob.id}/platform-admin`)).status).toBe(303);
    expect(await isAdmin(bob.id)).toBe(true);
    const bobBrowser = await signedIn(ctx, bob.email, PASSWORD, '192.0.2.2');
    expect((await bobBrowser.get('/admin/users')).status).toBe(200);

    expect((await admin.post(`/admin/users/${bob.id}/platform-admin`, {}, { method: 'DELETE' })).status).toBe(303);
    expect(await isAdmin(bob.id)).toBe(false);
    // Takes effect on his next request.
    expect((await bobBrowser.get('/admin/users')).status).toBe(404);
    const rows = await ctx.db.selectFrom('activity_log').select(['action', 'actor_user_id']).where('target_id', '=', bob.id).where('action', 'like', 'admin.user_%').orderBy('occurred_at').execute();
    expect(rows).toEqual([{ action: 'admin.user_promoted', actor_user_id: ada.id }, { action: 'admin.user_demoted', actor_user_id: ada.id }]);
  });

  it('an admin cannot remove their own admin access, so the last admin always stays', async () => {
    const ada = await ctx.db.selectFrom('users').select('id').where('email', '=', 'ada.admin@example.test').executeTakeFirstOrThrow();
    expect(await adminCount()).toBe(1);
    const admin = await signedIn(ctx, 'ada.admin@example.test', PASSWORD, '192.0.2.3');
    const res = await admin.post(`/admin/users/${ada.id}/platform-admin`, {}, { method: 'DELETE' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('You cannot remove your own admin access');
    expect(await isAdmin(ada.id)).toBe(true);
  });

  it('never demotes the last active admin, even when asked by an admin account that is itself inactive', async () => {
    const cid = await createPerson(ctx, 'Cid Cover', { isAdmin: true, verified: true });
    const ada = await ctx.db.selectFrom('users').select('id').where('email', '=', 'ada.admin@example.test').executeTakeFirstOrThrow();
    await ctx.db.updateTable('users').set({ status: 'review' }).where('id', '=', cid.id).execute();
    await expect(demoteUser(ctx.deps, actorFor(cid.id), { userId: ada.id })).rejects.toThrow('last platform admin');
    expect(await isAdmin(ada.id)).toBe(true);
    await ctx.db.updateTable('users').set({ status: 'active', is_admin: false }).where('id', '=', cid.id).execute();
  });

  it('when two admins demote each other at the same moment, exactly one of them remains an admin', async () => {
    const dee = await createPerson(ctx, 'Dee Dual', { isAdmin: true, verified: true });
    const eve = await createPerson(ctx, 'Eve Equal', { isAdmin: true, verified: true });
    await ctx.db.updateTable('users').set({ is_admin: false }).where('email', '=', 'ada.admin@example.test').execute();
    expect(await adminCount()).toBe(2);

    const results = await Promise.allSettled([
      demoteUser(ctx.deps, actorFor(dee.id), { userId: eve.id }),
      demoteUser(ctx.deps, actorFor(eve.id), { userId: dee.id }),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await adminCount()).toBe(1);
    expect((await isAdmin(dee.id)) !== (await isAdmin(eve.id))).toBe(true);
  });

  it('promotes only active accounts', async () => {
    const fay = await createPerson(ctx, 'Fay Frozen', { verified: true });
    const dee = await ctx.db.selectFrom('users').select('email').where('is_admin', '=', true).executeTakeFirstOrThrow();
    await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', fay.id).execute();
    const admin = await signedIn(ctx, dee.email, PASSWORD, '192.0.2.4');
    const res = await admin.post(`/admin/users/${fay.id}/platform-admin`);
    expect(res.status).toBe(422);
    expect(await isAdmin(fay.id)).toBe(false);
  });
});
