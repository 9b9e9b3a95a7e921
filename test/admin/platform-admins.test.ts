import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoteUser } from '../../src/domain/admin/platform-admins.ts';
import type { Actor } from '../../src/domain/access/actor.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

let ip = 0;
const nextIp = () => `192.0.2.${(++ip % 200) + 1}`;
const staffMember = (name: string) =>
  createPerson(ctx, name, { isAdmin: true, verified: true, email: uniqueEmail(name) });
const customer = (name: string) => createPerson(ctx, name, { verified: true, email: uniqueEmail(name) });
const isAdmin = async (id: string) =>
  (await ctx.db.selectFrom('users').select('is_admin').where('id', '=', id).executeTakeFirstOrThrow()).is_admin;
const adminCount = async () =>
  Number(
    (
      await ctx.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('is_admin', '=', true)
        .executeTakeFirstOrThrow()
    ).n,
  );
/** A staff actor for a domain call (the pages' own derivation is covered in access.test.ts). */
const actorFor = (userId: string): Actor => ({
  userId,
  isPlatformAdmin: true,
  organizationId: null,
  roleName: null,
  permissions: new Set(),
  impersonatorUserId: null,
  apiKeyId: null,
  origin: { ip: '192.0.2.9', userAgent: null },
});

/**
 * The platform's admins are exactly `ids` (setup for a test about the last admin: the file's
 * database is shared, so the test states the whole set it relies on).
 */
async function onlyAdmins(...ids: string[]) {
  await ctx.db
    .updateTable('users')
    .set({ is_admin: false })
    .where('is_admin', '=', true)
    .where('id', 'not in', ids)
    .execute();
  expect(await adminCount()).toBe(ids.length);
}

describe('promoting and demoting platform admins', () => {
  it('promotes a user and demotes them again, recording both', async () => {
    const ada = await staffMember('Ada Admin');
    const bob = await customer('Bob Baker');
    const admin = await signedIn(ctx, ada.email, PASSWORD, nextIp());

    expect((await admin.post(`/admin/users/${bob.id}/platform-admin`)).status).toBe(303);
    expect(await isAdmin(bob.id)).toBe(true);
    const bobBrowser = await signedIn(ctx, bob.email, PASSWORD, nextIp());
    expect((await bobBrowser.get('/admin/users')).status).toBe(200);

    expect((await admin.post(`/admin/users/${bob.id}/platform-admin`, {}, { method: 'DELETE' })).status).toBe(303);
    expect(await isAdmin(bob.id)).toBe(false);
    // Takes effect on his next request.
    expect((await bobBrowser.get('/admin/users')).status).toBe(404);
    const rows = await ctx.db
      .selectFrom('activity_log')
      .select(['action', 'actor_user_id'])
      .where('target_id', '=', bob.id)
      .where('action', 'like', 'admin.user_%')
      .orderBy('occurred_at')
      .execute();
    expect(rows).toEqual([
      { action: 'admin.user_promoted', actor_user_id: ada.id },
      { action: 'admin.user_demoted', actor_user_id: ada.id },
    ]);
  });

  it('an admin cannot remove their own admin access, so the last admin always stays', async () => {
    const ada = await staffMember('Ada Admin');
    await onlyAdmins(ada.id);
    const admin = await signedIn(ctx, ada.email, PASSWORD, nextIp());
    const res = await admin.post(`/admin/users/${ada.id}/platform-admin`, {}, { method: 'DELETE' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('You cannot remove your own admin access');
    expect(await isAdmin(ada.id)).toBe(true);
    expect(await adminCount()).toBe(1);
  });

  it('never demotes the last active admin, even when asked by an admin account that is itself inactive', async () => {
    const ada = await staffMember('Ada Admin');
    const cid = await staffMember('Cid Cover');
    await onlyAdmins(ada.id, cid.id);
    await ctx.db.updateTable('users').set({ status: 'review' }).where('id', '=', cid.id).execute();
    await expect(demoteUser(ctx.deps, actorFor(cid.id), { userId: ada.id })).rejects.toThrow('last platform admin');
    expect(await isAdmin(ada.id)).toBe(true);
  });

  it('when two admins demote each other at the same moment, exactly one of them remains an admin', async () => {
    const dee = await staffMember('Dee Dual');
    const eve = await staffMember('Eve Equal');
    await onlyAdmins(dee.id, eve.id);

    // The barrier: both accounts' rows are locked, so neither demotion can finish before both
    // have started; once both are waiting on a lock, the rows are let go.
    const barrier = new pg.Client(ctx.url);
    await barrier.connect();
    try {
      await barrier.query('begin');
      await barrier.query('select id from users where id = any($1) for update', [[dee.id, eve.id]]);
      const holder = (await barrier.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const results = Promise.allSettled([
        demoteUser(ctx.deps, actorFor(dee.id), { userId: eve.id }),
        demoteUser(ctx.deps, actorFor(eve.id), { userId: dee.id }),
      ]);
      await waitForBlockedQueries(holder, 2);
      await barrier.query('commit');

      expect((await results).map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    } finally {
      await barrier.end();
    }
    expect(await adminCount()).toBe(1);
    expect((await isAdmin(dee.id)) !== (await isAdmin(eve.id))).toBe(true);
  });

  it('promotes only active accounts', async () => {
    const dee = await staffMember('Dee Dual');
    const fay = await customer('Fay Frozen');
    await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', fay.id).execute();
    const admin = await signedIn(ctx, dee.email, PASSWORD, nextIp());
    const res = await admin.post(`/admin/users/${fay.id}/platform-admin`);
    expect(res.status).toBe(422);
    expect(await isAdmin(fay.id)).toBe(false);
  });
});

/** Resolves once `n` sessions of this database other than `holder` wait for a lock (asks PostgreSQL; gives up after 10 s). */
async function waitForBlockedQueries(holder: number, n: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from pg_stat_activity where datname = current_database() and pid <> ${holder} and wait_event_type = 'Lock'`.execute(
      ctx.db,
    );
    if (Number(rows[0]!.n) >= n) return;
    if (Date.now() > deadline) throw new Error(`expected ${n} queries waiting for a lock, saw ${rows[0]!.n}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
