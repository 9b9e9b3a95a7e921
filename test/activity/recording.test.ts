import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/domain/activity/record.ts';
import { sendPasswordReset } from '../../src/domain/accounts/recovery.ts';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { apiClient, PASSWORD } from '../api/client.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { runQueued } from '../helpers/jobs.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { receivedEmail } from '../helpers/mail.ts';
import { activityOf, keyFor } from '../api-keys/helpers.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

/** Every secret typed or issued in this file; none may ever reach the log (checked after every test). */
const secrets = new Set<string>([PASSWORD]);
const person = (name: string) => createPerson(ctx, name, { verified: true, email: uniqueEmail(name) });

/** What the log holds that it must not: any secret seen so far, or a field named like one. */
async function leaks() {
  const rows = await ctx.db.selectFrom('activity_log').selectAll().execute();
  const text = JSON.stringify(rows);
  return {
    secrets: [...secrets].filter((secret) => text.includes(secret)),
    fields: rows
      .flatMap((r) => Object.keys(r.details))
      .filter((k) => /password|token|secret|^key$|^code$|otp/i.test(k)),
  };
}

// Tests that move the clock put it back.
let start: Date;
beforeEach(() => {
  start = ctx.clock.now();
});
afterEach(async () => {
  ctx.clock.set(start);
  expect(await leaks(), 'a secret leaked into the activity log').toEqual({ secrets: [], fields: [] });
});
const UA = 'Mozilla/5.0 (activity test)';
const totp = (secret: string) => generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) });

async function freshBrowser(ip: string) {
  const b = new TestBrowser(ctx.app, ip);
  await b.get('/login');
  return b;
}

describe('the activity log records', () => {
  it('a browser sign-in once, with IP and user agent, and stamps last_sign_in_at', async () => {
    const ann = await person('Ann Able');
    const browser = await freshBrowser('192.0.2.10');
    expect(
      (await browser.post('/login', { email: ann.email, password: PASSWORD }, { headers: { 'user-agent': UA } }))
        .status,
    ).toBe(303);
    const rows = await activityOf(ctx, 'auth.sign_in', ann.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      ip: '192.0.2.10',
      user_agent: UA,
      organization_id: null,
      target_type: 'session',
      details: { via: 'browser', second_factor: 'none' },
    });
    const user = await ctx.db
      .selectFrom('users')
      .select('last_sign_in_at')
      .where('id', '=', ann.id)
      .executeTakeFirstOrThrow();
    expect(user.last_sign_in_at?.getTime()).toBe(ctx.clock.now().getTime());

    await browser.get('/dashboard');
    expect((await browser.post('/logout')).status).toBe(303);
    const out = await activityOf(ctx, 'auth.sign_out', ann.id);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ ip: '192.0.2.10', target_id: rows[0]!.target_id });
  });

  it('a failed sign-in against a known account, and one for an unknown email without the address', async () => {
    const ben = await person('Ben Bold');
    const browser = await freshBrowser('192.0.2.11');
    secrets.add('Ben-wrong-guess-1');
    expect((await browser.post('/login', { email: ben.email, password: 'Ben-wrong-guess-1' })).status).toBe(422);
    const known = await activityOf(ctx, 'auth.sign_in_failed', ben.id);
    expect(known).toHaveLength(1);
    expect(known[0]).toMatchObject({ ip: '192.0.2.11', details: { reason: 'wrong_password' } });

    const before = (await activityOf(ctx, 'auth.sign_in_failed', null)).length;
    expect(
      (await browser.post('/login', { email: 'ghost.walker@example.test', password: 'Ben-wrong-guess-1' })).status,
    ).toBe(422);
    const unknown = await activityOf(ctx, 'auth.sign_in_failed', null);
    expect(unknown).toHaveLength(before + 1);
    expect(JSON.stringify(unknown.at(-1))).not.toMatch(/ghost/);
    expect(unknown.at(-1)).toMatchObject({ ip: '192.0.2.11', details: { reason: 'unknown_account' } });
  });

  it('two-factor on, a wrong code, a recovery-code sign-in and two-factor off, each once', async () => {
    const cat = await person('Cat Cole');
    const browser = await signedIn(ctx, cat.email, PASSWORD, '192.0.2.12');
    await browser.post('/settings/two-factor', { password: PASSWORD });
    const secret = /data-testid="totp-secret">([A-Z2-7]+)</.exec(browser.lastHtml)![1]!;
    secrets.add(secret);
    const confirmed = await browser.post('/settings/two-factor/confirmation', { code: await totp(secret) });
    expect(confirmed.status).toBe(200);
    const codes = [...browser.lastHtml.matchAll(/<li[^>]*>([a-z0-9]{5}-[a-z0-9]{5})<\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    codes.forEach((c) => secrets.add(c));
    expect(await activityOf(ctx, 'auth.two_factor_enabled', cat.id)).toMatchObject([
      { ip: '192.0.2.12', target_id: cat.id },
    ]);

    const other = await freshBrowser('192.0.2.13');
    await other.post('/login', { email: cat.email, password: PASSWORD });
    await other.get('/login/two-factor');
    expect((await other.post('/login/two-factor', { code: 'zzzzz-zzzzz' })).status).toBe(422);
    ctx.clock.advance(1000);
    expect(await activityOf(ctx, 'auth.sign_in_failed', cat.id)).toMatchObject([
      { ip: '192.0.2.13', details: { reason: 'wrong_code' } },
    ]);
    expect((await other.post('/login/two-factor', { code: codes[3]! })).status).toBe(303);
    expect(await activityOf(ctx, 'auth.recovery_code_used', cat.id)).toMatchObject([
      { ip: '192.0.2.13', details: { purpose: 'sign_in', remaining: 9 } },
    ]);
    const signIns = await activityOf(ctx, 'auth.sign_in', cat.id);
    expect(signIns).toHaveLength(2);
    expect(signIns[1]).toMatchObject({ ip: '192.0.2.13', details: { second_factor: 'recovery_code' } });

    ctx.clock.advance(30_000); // the setup code's step is spent
    await other.get('/settings/security');
    const off = await other.post(
      '/settings/two-factor',
      { password: PASSWORD, code: await totp(secret) },
      { method: 'DELETE' },
    );
    expect(off.status).toBe(303);
    expect(await activityOf(ctx, 'auth.two_factor_disabled', cat.id)).toMatchObject([{ ip: '192.0.2.13' }]);
    expect(await activityOf(ctx, 'auth.recovery_code_used', cat.id)).toHaveLength(1);
  });

  it('a password change, an email change and session sign-outs from the settings pages', async () => {
    const dee = await person('Dee Dale');
    const a = await signedIn(ctx, dee.email, PASSWORD, '192.0.2.14');
    await signedIn(ctx, dee.email, PASSWORD, '192.0.2.15');
    await a.get('/settings/security');
    const otherId = /hx-delete="\/settings\/sessions\/([0-9a-f-]{36})"/.exec(a.lastHtml)![1]!;
    expect((await a.post(`/settings/sessions/${otherId}`, {}, { method: 'DELETE' })).status).toBe(200);
    expect(await activityOf(ctx, 'auth.session_revoked', dee.id)).toMatchObject([
      { ip: '192.0.2.14', target_type: 'session', target_id: otherId, details: { scope: 'one' } },
    ]);
    ctx.clock.advance(1000);

    await signedIn(ctx, dee.email, PASSWORD, '192.0.2.16');
    await signedIn(ctx, dee.email, PASSWORD, '192.0.2.17');
    await a.get('/settings/security');
    expect((await a.post('/settings/sessions', {}, { method: 'DELETE' })).status).toBe(200);
    const revoked = await activityOf(ctx, 'auth.session_revoked', dee.id);
    expect(revoked).toHaveLength(2);
    expect(revoked[1]).toMatchObject({ details: { scope: 'all_others', sessions: 2 } });

    const newPassword = 'Dee new password 2';
    secrets.add(newPassword);
    await a.get('/settings/password');
    expect((await a.post('/settings/password', { current_password: PASSWORD, new_password: newPassword })).status).toBe(
      303,
    );
    expect(await activityOf(ctx, 'auth.password_changed', dee.id)).toMatchObject([
      { ip: '192.0.2.14', details: { sessions_ended: 0 } },
    ]);

    await a.get('/settings/profile');
    const newEmail = uniqueEmail('Dee New');
    expect((await a.post('/settings/email', { email: newEmail, current_password: newPassword })).status).toBe(303);
    expect(await activityOf(ctx, 'auth.email_changed', dee.id)).toMatchObject([
      { ip: '192.0.2.14', details: { old_email: dee.email, new_email: newEmail } },
    ]);
  });

  it('a password reset by emailed link', async () => {
    const eli = await person('Eli East');
    await signedIn(ctx, eli.email, PASSWORD, '192.0.2.18');
    const browser = await freshBrowser('192.0.2.19');
    await browser.get('/forgot-password');
    await browser.post('/forgot-password', { email: eli.email });
    await runQueued(ctx, 'accounts.send-password-reset', (data) => sendPasswordReset(ctx.deps, data));
    const mail = (await receivedEmail(ctx, eli.email, 'password_reset'))!;
    const token = /\/reset-password\/([\w-]+)/.exec(mail.text)![1]!;
    secrets.add(token);
    secrets.add('Eli brand new secret');
    await browser.get(`/reset-password/${token}`);
    expect((await browser.post(`/reset-password/${token}`, { password: 'Eli brand new secret' })).status).toBe(303);
    expect(await activityOf(ctx, 'auth.password_reset', eli.id)).toMatchObject([
      { ip: '192.0.2.19', actor_user_id: eli.id, details: { sessions_ended: 1 } },
    ]);
  });

  it('sign-in, failure and sign-out through the API’s access tokens', async () => {
    const fay = await person('Fay Fox');
    const call = apiClient(ctx, '198.51.100.60');
    secrets.add('Fay wrong guess');
    expect(
      (await call('POST', '/auth/tokens', { body: { email: fay.email, password: 'Fay wrong guess' } })).status,
    ).toBe(401);
    expect(await activityOf(ctx, 'auth.sign_in_failed', fay.id)).toMatchObject([
      { ip: '198.51.100.60', details: { reason: 'wrong_password' } },
    ]);
    const created = await call('POST', '/auth/tokens', {
      body: { email: fay.email, password: PASSWORD },
      headers: { 'user-agent': 'fay-cli/2' },
    });
    secrets.add(created.body.token);
    const signIns = await activityOf(ctx, 'auth.sign_in', fay.id);
    expect(signIns).toMatchObject([
      { ip: '198.51.100.60', user_agent: 'fay-cli/2', target_type: 'access_token', details: { via: 'api' } },
    ]);
    expect((await call('DELETE', '/auth/tokens/current', { token: created.body.token })).status).toBe(204);
    expect(await activityOf(ctx, 'auth.sign_out', fay.id)).toMatchObject([
      { ip: '198.51.100.60', target_id: signIns[0]!.target_id, details: { via: 'api' } },
    ]);
  });

  it('a recovery code given as the API’s otp, with the caller’s address', async () => {
    const hal = await person('Hal Hart');
    const { secret } = await beginTotpSetup(ctx.deps, hal.id, PASSWORD);
    secrets.add(secret);
    const codes = await confirmTotpSetup(ctx.deps, hal.id, await totp(secret));
    codes.forEach((c) => secrets.add(c));
    const call = apiClient(ctx, '198.51.100.62');
    expect(
      (await call('POST', '/auth/tokens', { body: { email: hal.email, password: PASSWORD, otp: 'zzzzz-zzzzz' } }))
        .status,
    ).toBe(401);
    expect(await activityOf(ctx, 'auth.sign_in_failed', hal.id)).toMatchObject([
      { ip: '198.51.100.62', details: { reason: 'wrong_code' } },
    ]);
    const created = await call('POST', '/auth/tokens', {
      body: { email: hal.email, password: PASSWORD, otp: codes[0] },
    });
    expect(created.status).toBe(201);
    secrets.add(created.body.token);
    expect(await activityOf(ctx, 'auth.recovery_code_used', hal.id)).toMatchObject([
      { ip: '198.51.100.62', details: { purpose: 'sign_in', remaining: 9 } },
    ]);
    expect(await activityOf(ctx, 'auth.sign_in', hal.id)).toMatchObject([
      { ip: '198.51.100.62', details: { via: 'api' } },
    ]);
    expect(await activityOf(ctx, 'auth.two_factor_enabled', hal.id)).toHaveLength(1);
  });

  it('API keys created and revoked, in the key’s organization, without the key', async () => {
    const gus = await person('Gus Gale');
    const { key, id, token } = await keyFor(ctx, gus.email, '198.51.100.61', {
      name: 'backup bot',
      organization_id: gus.organization.id,
      permissions: ['vps_view'],
    });
    secrets.add(key);
    secrets.add(token);
    expect((await apiClient(ctx, '198.51.100.61')('DELETE', `/api-keys/${id}`, { token })).status).toBe(204);
    const created = await activityOf(ctx, 'api_key.created', gus.id);
    expect(created).toMatchObject([
      {
        organization_id: gus.organization.id,
        target_type: 'api_key',
        target_id: id,
        ip: '198.51.100.61',
        details: { name: 'backup bot', prefix: key.slice(0, 12), permissions: 'vps_view' },
      },
    ]);
    expect(await activityOf(ctx, 'api_key.revoked', gus.id)).toMatchObject([
      { organization_id: gus.organization.id, target_id: id },
    ]);
  });

  it('no password, token, key, TOTP secret or recovery code anywhere', async () => {
    // Ivy does everything that involves a secret: a wrong password, a sign-in, an access token,
    // an API key, two-factor set up and a recovery code spent; the log records each, and none of them.
    const ivy = await person('Ivy Ink');
    const wrong = 'Ivy wrong guess 7';
    secrets.add(wrong);
    const browser = await freshBrowser('192.0.2.30');
    expect((await browser.post('/login', { email: ivy.email, password: wrong })).status).toBe(422);
    const { key, token } = await keyFor(ctx, ivy.email, '198.51.100.63', {
      name: 'ivy bot',
      organization_id: ivy.organization.id,
      permissions: ['vps_view'],
    });
    secrets.add(key);
    secrets.add(token);
    const { secret } = await beginTotpSetup(ctx.deps, ivy.id, PASSWORD);
    secrets.add(secret);
    const codes = await confirmTotpSetup(ctx.deps, ivy.id, await totp(secret));
    codes.forEach((c) => secrets.add(c));
    const created = await apiClient(ctx, '198.51.100.63')('POST', '/auth/tokens', {
      body: { email: ivy.email, password: PASSWORD, otp: codes[1] },
    });
    expect(created.status).toBe(201);
    secrets.add(created.body.token);

    const rows = await ctx.db.selectFrom('activity_log').select('action').where('actor_user_id', '=', ivy.id).execute();
    expect(rows.map((r) => r.action).sort()).toEqual(
      [
        'api_key.created',
        'auth.recovery_code_used',
        'auth.sign_in',
        'auth.sign_in',
        'auth.sign_in_failed',
        'auth.two_factor_enabled',
      ].sort(),
    );
    expect(await leaks()).toEqual({ secrets: [], fields: [] });
  });
});

describe('the activity log itself', () => {
  it('cannot be changed or deleted, not even by the application’s own connection', async () => {
    const jo = await person('Jo Jot');
    await recordActivity(ctx.db, { action: 'auth.sign_in', actorUserId: jo.id, details: { via: 'browser' } });
    const row = await ctx.db
      .selectFrom('activity_log')
      .select(['id', 'action'])
      .where('actor_user_id', '=', jo.id)
      .executeTakeFirstOrThrow();
    await expect(
      ctx.db.updateTable('activity_log').set({ action: 'auth.sign_out' }).where('id', '=', row.id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(ctx.db.deleteFrom('activity_log').where('id', '=', row.id).execute()).rejects.toThrow(/append-only/);
    expect(
      await ctx.db.selectFrom('activity_log').select(['id', 'action']).where('id', '=', row.id).executeTakeFirst(),
    ).toEqual(row);
  });
});
