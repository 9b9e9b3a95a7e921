import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { receivedEmail } from '../helpers/mail.ts';
import { signedIn } from '../helpers/people.ts';
import { apiClient, apiKeyOf, PASSWORD, personWithToken } from './client.ts';

/**
 * Two-factor authentication over the JSON API (issue 16 item 13): status, setup (password),
 * enable (a first code: the recovery codes, once), disable (password and a code) — through
 * the functions Settings → Security calls, with its emails and activity; never with an API key.
 */
let ctx: TestContext;
let started: Date;
let ipSeq = 0;

beforeAll(async () => {
  ctx = await createTestContext();
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

const withToken = (name: string) => personWithToken(ctx, name, `198.51.100.${150 + ++ipSeq}`);

/** The code an authenticator app shows now for `secret` (`steps` periods later). */
const codeNow = (secret: string, steps = 0) =>
  generate({ secret, epoch: (Math.floor(ctx.clock.now().getTime() / 30_000) + steps) * 30 });

const actions = async (userId: string) =>
  (
    await ctx.db
      .selectFrom('activity_log')
      .select('action')
      .where('actor_user_id', '=', userId)
      .where('action', 'like', 'auth.two_factor%')
      .execute()
  ).map((r) => r.action);

describe('two-factor authentication over the API', () => {
  it('sets up, enables and disables it, as the security page does', async () => {
    const tia = await withToken('Tia Two Factor');
    expect((await tia.call('GET', '/me/two-factor')).body).toEqual({
      enabled: false,
      recovery_codes_left: 0,
      setup_pending: false,
    });

    const setup = await tia.call('POST', '/me/two-factor/setup', { password: PASSWORD });
    expect(setup.status).toBe(200);
    const { secret, otpauth_uri } = setup.body;
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    expect(otpauth_uri).toContain(`secret=${secret}`);
    expect((await tia.call('GET', '/me/two-factor')).body).toMatchObject({ enabled: false, setup_pending: true });

    const wrong = await tia.call('POST', '/me/two-factor/enable', { code: '000000' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.fields).toHaveProperty('code');

    const enabled = await tia.call('POST', '/me/two-factor/enable', { code: await codeNow(secret) });
    expect(enabled.status).toBe(200);
    expect(enabled.body.enabled).toBe(true);
    expect(enabled.body.recovery_codes).toHaveLength(10);
    expect(enabled.body.recovery_codes[0]).toMatch(/^[a-z0-9]{5}-[a-z0-9]{5}$/);
    expect((await tia.call('GET', '/me/two-factor')).body).toEqual({
      enabled: true,
      recovery_codes_left: 10,
      setup_pending: false,
    });
    expect((await tia.call('GET', '/me')).body.user.two_factor_enabled).toBe(true);
    expect(await receivedEmail(ctx, tia.email, 'two_factor_changed')).toBeDefined();
    // Signing in for a new token now takes a code.
    const noCode = await apiClient(ctx, tia.ip)('POST', '/auth/tokens', {
      body: { email: tia.email, password: PASSWORD },
    });
    expect(noCode.body.error.code).toBe('otp_required');

    // Setting it up again while it is on: 409.
    const again = await tia.call('POST', '/me/two-factor/setup', { password: PASSWORD });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_enabled');

    // Disabling takes the password and a code; a recovery code counts.
    const badPassword = await tia.call('POST', '/me/two-factor/disable', {
      password: 'not it',
      code: enabled.body.recovery_codes[0],
    });
    expect(badPassword.status).toBe(422);
    expect(badPassword.body.error.fields).toHaveProperty('password');
    const badCode = await tia.call('POST', '/me/two-factor/disable', { password: PASSWORD, code: '123456' });
    expect(badCode.status).toBe(422);
    expect(badCode.body.error.fields).toHaveProperty('code');
    expect((await tia.call('GET', '/me/two-factor')).body.enabled).toBe(true);

    const off = await tia.call('POST', '/me/two-factor/disable', {
      password: PASSWORD,
      code: enabled.body.recovery_codes[0],
    });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ enabled: false, recovery_codes_left: 0, setup_pending: false });
    expect((await actions(tia.id)).sort()).toEqual(['auth.two_factor_disabled', 'auth.two_factor_enabled']);

    const offAgain = await tia.call('POST', '/me/two-factor/disable', { password: PASSWORD, code: '123456' });
    expect(offAgain.status).toBe(409);
    expect(offAgain.body.error.code).toBe('not_enabled');
  });

  it('refuses setup with a wrong password (422) and enabling without a setup (422)', async () => {
    const sam = await withToken('Sam Setup');
    const res = await sam.call('POST', '/me/two-factor/setup', { password: 'wrong' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', fields: { password: expect.any(String) } });
    const missing = await sam.call('POST', '/me/two-factor/setup', {});
    expect(missing.status).toBe(422);
    const enable = await sam.call('POST', '/me/two-factor/enable', { code: '123456' });
    expect(enable.status).toBe(422);
    expect((await sam.call('GET', '/me/two-factor')).body.setup_pending).toBe(false);
  });

  it('a setup started in the browser can be finished over the API, and the other way round', async () => {
    const bo = await withToken('Bo Both Ways');
    const browser = await signedIn(ctx, bo.email, PASSWORD, '192.0.2.160');
    await browser.get('/settings/security');
    expect((await browser.post('/settings/two-factor', { password: PASSWORD })).status).toBe(200);
    const secret = /data-testid="totp-secret"[^>]*>([A-Z2-7]+)</.exec(browser.lastHtml)?.[1];
    expect(secret).toBeDefined();
    expect((await bo.call('GET', '/me/two-factor')).body.setup_pending).toBe(true);
    expect((await bo.call('POST', '/me/two-factor/enable', { code: await codeNow(secret!) })).status).toBe(200);
  });

  it('is all refused (403) to an API key', async () => {
    const kai = await withToken('Kai Keyed Factor');
    const key = await apiKeyOf(kai);
    for (const [method, path, body] of [
      ['GET', '/me/two-factor', undefined],
      ['POST', '/me/two-factor/setup', { password: PASSWORD }],
      ['POST', '/me/two-factor/enable', { code: '123456' }],
      ['POST', '/me/two-factor/disable', { password: PASSWORD, code: '123456' }],
    ] as const) {
      const res = await kai.call(method, path, body, key);
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(
      (await ctx.db.selectFrom('users').select('totp_secret').where('id', '=', kai.id).executeTakeFirstOrThrow())
        .totp_secret,
    ).toBeNull();
  });
});
