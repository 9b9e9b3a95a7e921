import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFirstAdmin } from '../../src/domain/accounts/bootstrap.ts';
import { isCommonPassword, verifyPassword } from '../../src/domain/accounts/passwords.ts';
import { issueUserToken } from '../../src/domain/accounts/user-tokens.ts';
import { apiClient } from '../api/client.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const MESSAGE = 'one of the most common passwords';
const person = (name: string) => createPerson(ctx, name, { verified: true, email: uniqueEmail(name) });
const hashOf = async (userId: string) =>
  (await ctx.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow())
    .password_hash;

describe('the common-password list', () => {
  it('holds the passwords guessers try first, whatever their case, and not a passphrase of one’s own', () => {
    for (const p of [
      'password',
      'Password1',
      'PASSWORD123',
      'qwerty123',
      '12345678',
      'iloveyou',
      'sunshine2024',
      '1q2w3e4r',
      'letmein!',
      'Admin123',
    ]) {
      expect(isCommonPassword(p), p).toBe(true);
    }
    for (const p of [PASSWORD, 'a brand new password', 'plum tractor 4 lanterns', 'short'])
      expect(isCommonPassword(p), p).toBe(false);
  });

  it('refuses a common password as the first admin’s, naming the setting, before anyone is created', async () => {
    const deps = { ...ctx.deps, config: { ...ctx.config, DEFAULT_ADMIN_PASSWORD: 'Password123!' } };
    await expect(ensureFirstAdmin(deps)).rejects.toThrow(
      /^DEFAULT_ADMIN_PASSWORD: This is one of the most common passwords/,
    );
    expect(await ctx.db.selectFrom('users').select('id').where('is_admin', '=', true).execute()).toEqual([]);
  });
});

describe('a common password is refused with a clear message', () => {
  it('at sign-up in the browser', async () => {
    const email = uniqueEmail('Pat Common');
    const browser = new TestBrowser(ctx.app, '192.0.2.160');
    await browser.get('/register');
    const res = await browser.post('/register', { name: 'Pat Common', email, password: 'Sunshine1!' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(MESSAGE);
    expect(await ctx.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
  });

  it('at sign-up through the API, naming the password field', async () => {
    const email = uniqueEmail('Api Common');
    const res = await apiClient(ctx, '192.0.2.161')('POST', '/auth/register', {
      body: { name: 'Api Common', email, password: 'qwerty123' },
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.error.fields)).toEqual(['password']);
    expect(res.body.error.fields.password).toContain(MESSAGE);
    expect(await ctx.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
  });

  it('as a new password in settings, leaving the old one', async () => {
    const cam = await person('Cam Change');
    const before = await hashOf(cam.id);
    const browser = await signedIn(ctx, cam.email, PASSWORD, '192.0.2.162');
    await browser.get('/settings/password');
    const res = await browser.post('/settings/password', { current_password: PASSWORD, new_password: 'iloveyou2' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain(MESSAGE);
    expect(await hashOf(cam.id)).toBe(before);
  });

  it('at a password reset, and the link still works for a better one', async () => {
    const rio = await person('Rio Reset');
    const token = await issueUserToken(ctx.db, rio.id, 'reset_password', rio.email, ctx.clock.now());
    const browser = new TestBrowser(ctx.app, '192.0.2.163');
    await browser.get(`/reset-password/${token}`);
    const refused = await browser.post(`/reset-password/${token}`, { password: 'football123' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain(MESSAGE);
    expect(await verifyPassword(PASSWORD, await hashOf(rio.id))).toBe(true);
    expect((await browser.post(`/reset-password/${token}`, { password: 'plum tractor 4 lanterns' })).status).toBe(303);
  });
});
