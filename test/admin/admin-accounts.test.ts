import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

// One platform admin must not be able to take over another: resetting their two-factor and
// pointing their email at an address of one's own would put the colleague's account (admin
// rights and all) one password-reset link away. Staff keep both powers over customers.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const person = (name: string, opts: { isAdmin?: boolean } = {}) =>
  createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });
const user = (id: string) => ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const emailsTo = (to: string) => ctx.db.selectFrom('emails').select('template').where('to_address', '=', to).execute();

/** Two-factor turned on by its owner, the way the settings page does it. */
async function withTwoFactor(id: string) {
  const { secret } = await beginTotpSetup(ctx.deps, id, PASSWORD);
  await confirmTotpSetup(ctx.deps, id, await generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) }));
}

async function staff(name: string): Promise<{ id: string; browser: TestBrowser }> {
  const admin = await person(name, { isAdmin: true });
  return { id: admin.id, browser: await signedIn(ctx, admin.email, PASSWORD, '192.0.2.201') };
}

describe("another platform admin's sign-in", () => {
  it("an admin cannot reset another platform admin's two-factor", async () => {
    const mallory = await staff('Mallory Admin');
    const bea = await person('Bea Admin', { isAdmin: true });
    await withTwoFactor(bea.id);

    const res = await mallory.browser.post(`/admin/users/${bea.id}/two-factor`, {}, { method: 'DELETE' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('theirs to change');
    expect((await user(bea.id)).totp_enabled_at).not.toBeNull();
    expect(await ctx.db.selectFrom('recovery_codes').select('id').where('user_id', '=', bea.id).execute()).toHaveLength(
      10,
    );
    expect(
      await ctx.db
        .selectFrom('activity_log')
        .select('id')
        .where('action', '=', 'admin.two_factor_reset')
        .where('target_id', '=', bea.id)
        .execute(),
    ).toEqual([]);
  });

  it("an admin cannot change another platform admin's email address, so no reset link can be sent elsewhere", async () => {
    const mallory = await staff('Mallory Mailer');
    const bea = await person('Bea Mailbox', { isAdmin: true });
    const before = await user(bea.id);

    const res = await mallory.browser.post(
      `/admin/users/${bea.id}`,
      { name: bea.name, email: 'mallory.drop@example.test', phone: '' },
      { method: 'PATCH' },
    );
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('theirs to change');
    expect(await user(bea.id)).toMatchObject({ email: before.email, email_verified_at: before.email_verified_at });
    expect(await emailsTo('mallory.drop@example.test')).toEqual([]);
  });

  it("may still rename another admin, and change a customer's email and two-factor", async () => {
    const mallory = await staff('Mallory Helpful');
    const bea = await person('Bea Renamed', { isAdmin: true });
    const carl = await person('Carl Customer');
    await withTwoFactor(carl.id);

    expect(
      (
        await mallory.browser.post(
          `/admin/users/${bea.id}`,
          { name: 'Bea Renamed Again', email: bea.email, phone: '' },
          { method: 'PATCH' },
        )
      ).status,
    ).toBe(303);
    expect((await user(bea.id)).name).toBe('Bea Renamed Again');
    const carlsNew = uniqueEmail('Carl New');
    expect(
      (
        await mallory.browser.post(
          `/admin/users/${carl.id}`,
          { name: carl.name, email: carlsNew, phone: '' },
          { method: 'PATCH' },
        )
      ).status,
    ).toBe(303);
    expect((await mallory.browser.post(`/admin/users/${carl.id}/two-factor`, {}, { method: 'DELETE' })).status).toBe(
      303,
    );
    expect(await user(carl.id)).toMatchObject({ email: carlsNew, totp_enabled_at: null });
  });

  it('once their admin access is removed (which the log shows), they are a customer again', async () => {
    const mallory = await staff('Mallory Demoter');
    const bea = await person('Bea Demoted', { isAdmin: true });
    await withTwoFactor(bea.id);
    expect((await mallory.browser.post(`/admin/users/${bea.id}/platform-admin`, {}, { method: 'DELETE' })).status).toBe(
      303,
    );
    expect((await mallory.browser.post(`/admin/users/${bea.id}/two-factor`, {}, { method: 'DELETE' })).status).toBe(
      303,
    );
    expect(
      await ctx.db
        .selectFrom('activity_log')
        .select('action')
        .where('target_id', '=', bea.id)
        .where('action', 'like', 'admin.%')
        .orderBy('occurred_at')
        .execute(),
    ).toEqual([{ action: 'admin.user_demoted' }, { action: 'admin.two_factor_reset' }]);
  });

  it('the user page offers neither for another admin: no two-factor reset, the email read-only', async () => {
    const mallory = await staff('Mallory Looker');
    const bea = await person('Bea Shown', { isAdmin: true });
    const carl = await person('Carl Shown');
    await withTwoFactor(bea.id);
    await withTwoFactor(carl.id);

    const beasPage = await (await mallory.browser.get(`/admin/users/${bea.id}`)).text();
    expect(beasPage).not.toContain(`hx-delete="/admin/users/${bea.id}/two-factor"`);
    expect(beasPage).toMatch(/name="email"[^>]* readonly/);
    const carlsPage = await (await mallory.browser.get(`/admin/users/${carl.id}`)).text();
    expect(carlsPage).toContain(`hx-delete="/admin/users/${carl.id}/two-factor"`);
    expect(carlsPage).not.toMatch(/name="email"[^>]* readonly/);
  });
});
