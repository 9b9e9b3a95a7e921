import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/domain/accounts/passwords.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { receivedEmail } from '../helpers/mail.ts';
import { signedIn } from '../helpers/people.ts';
import { apiClient, apiKeyOf, PASSWORD, person, personWithToken, tokenFor } from './client.ts';

/**
 * The account's own settings over the JSON API (issue 16 item 13): PATCH /me, POST /me/email,
 * POST /me/password — the same rules, emails, activity and effects as Settings → Profile and
 * Settings → Password, and never with an API key.
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

const withToken = (name: string) => personWithToken(ctx, name, `198.51.100.${100 + ++ipSeq}`);

const userRow = (id: string) => ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const activity = (userId: string, action: string) =>
  ctx.db
    .selectFrom('activity_log')
    .select(['details', 'target_type', 'target_id'])
    .where('actor_user_id', '=', userId)
    .where('action', '=', action)
    .execute();

describe('PATCH /api/v1/me', () => {
  it('changes only the fields sent, and answers with the saved user', async () => {
    const pat = await withToken('Pat Profile');
    const res = await pat.call('PATCH', '/me', { phone: '+44 20 7946 0000', timezone: 'Europe/London' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: pat.id,
      name: 'Pat Profile',
      phone: '+44 20 7946 0000',
      timezone: 'Europe/London',
    });
    const renamed = await pat.call('PATCH', '/me', { name: 'Patricia Profile', phone: null });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Patricia Profile', phone: null, timezone: 'Europe/London' });
    // GET /me shows the same.
    expect((await pat.call('GET', '/me')).body.user).toMatchObject({ name: 'Patricia Profile', phone: null });
  });

  it('refuses bad fields with the envelope, naming each, and changes nothing', async () => {
    const val = await withToken('Val Validation');
    const res = await val.call('PATCH', '/me', { name: '', phone: 'call me', timezone: 'Mars/Olympus' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['name', 'phone', 'timezone']);
    const row = await userRow(val.id);
    expect([row.name, row.phone, row.timezone]).toEqual(['Val Validation', null, 'UTC']);
    expect((await val.call('PATCH', '/me', { name: 42 })).status).toBe(422);
  });

  it('ignores fields a client may not set', async () => {
    const mal = await withToken('Mal Assign');
    const res = await mal.call('PATCH', '/me', { name: 'Mal', is_admin: true, email: 'x@example.test' });
    expect(res.status).toBe(200);
    const row = await userRow(mal.id);
    expect([row.name, row.is_admin, row.email]).toEqual(['Mal', false, mal.email]);
  });

  it('is refused (403) to an API key, and 401 without a token', async () => {
    const kim = await withToken('Kim Keyholder');
    const key = await apiKeyOf(kim);
    const res = await kim.call('PATCH', '/me', { name: 'Hijacked' }, key);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await userRow(kim.id)).name).toBe('Kim Keyholder');
    const anon = await apiClient(ctx, kim.ip)('PATCH', '/me', { body: { name: 'Nobody' } });
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('unauthenticated');
  });
});

describe('POST /api/v1/me/email', () => {
  it('moves the account to the new address, unconfirmed until the emailed link is opened; the old address is told', async () => {
    const eli = await withToken('Eli Email');
    const res = await eli.call('POST', '/me/email', { email: 'eli.new@example.test', current_password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: eli.id, email: 'eli.new@example.test', email_verified_at: null });
    expect((await receivedEmail(ctx, eli.email, 'email_changed'))?.text).toContain('eli.new@example.test');
    const link = /\/verify-email\/[\w-]+/.exec(
      (await receivedEmail(ctx, 'eli.new@example.test', 'verify_email'))!.text,
    );
    expect(link).not.toBeNull();
    expect(await activity(eli.id, 'auth.email_changed')).toEqual([
      {
        details: { old_email: eli.email, new_email: 'eli.new@example.test' },
        target_type: 'user',
        target_id: eli.id,
      },
    ]);

    const opened = await ctx.app.request(link![0], { headers: { 'x-forwarded-for': eli.ip } });
    expect(opened.status).toBe(303);
    expect((await eli.call('GET', '/me')).body.user.email_verified_at).not.toBeNull();
  });

  it('refuses a wrong password, the same address, one in use and a bad one (422), and changes nothing', async () => {
    const ann = await withToken('Ann Address');
    const other = await person(ctx, 'Otto Other');
    const cases: [unknown, string][] = [
      [{ email: 'ann.2@example.test', current_password: 'not my password' }, 'current_password'],
      [{ email: ann.email, current_password: PASSWORD }, 'email'],
      [{ email: other.email, current_password: PASSWORD }, 'email'],
      [{ email: 'not an address', current_password: PASSWORD }, 'email'],
      [{ email: 'ann.3@example.test' }, 'current_password'],
    ];
    for (const [body, field] of cases) {
      const res = await ann.call('POST', '/me/email', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(Object.keys(res.body.error.fields)).toContain(field);
    }
    expect((await userRow(ann.id)).email).toBe(ann.email);
  });

  it('is refused (403) to an API key', async () => {
    const kit = await withToken('Kit Keyed Email');
    const res = await kit.call(
      'POST',
      '/me/email',
      { email: 'thief@example.test', current_password: PASSWORD },
      await apiKeyOf(kit),
    );
    expect(res.status).toBe(403);
    expect((await userRow(kit.id)).email).toBe(kit.email);
  });
});

describe('POST /api/v1/me/password', () => {
  it('changes it as Settings → Password does: other sessions and tokens end, API keys are revoked, this token keeps working', async () => {
    const paul = await withToken('Paul Password');
    const browser = await signedIn(ctx, paul.email, PASSWORD, '192.0.2.150');
    expect((await browser.get('/dashboard')).status).toBe(200);
    const otherToken = await tokenFor(ctx, paul.email, '192.0.2.151');
    const key = await apiKeyOf(paul);
    expect((await paul.call('GET', '/me', undefined, key)).status).toBe(200);

    const res = await paul.call('POST', '/me/password', {
      current_password: PASSWORD,
      new_password: 'a brand new password',
    });
    expect(res.status).toBe(204);

    expect(await verifyPassword('a brand new password', (await userRow(paul.id)).password_hash)).toBe(true);
    expect((await paul.call('GET', '/me')).status).toBe(200);
    expect((await paul.call('GET', '/me', undefined, otherToken)).status).toBe(401);
    expect((await paul.call('GET', '/me', undefined, key)).status).toBe(401);
    const page = await browser.get('/dashboard');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/login/);
    expect(await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', paul.id).execute()).toEqual([]);
    expect((await receivedEmail(ctx, paul.email, 'password_changed'))?.text).toContain('and so were your API key');
    expect((await activity(paul.id, 'auth.password_changed')).map((r) => r.details)).toEqual([
      { sessions_ended: 1, api_keys_revoked: 1 },
    ]);
  });

  it('refuses a wrong current password and a weak new one (422) and changes nothing', async () => {
    const wes = await withToken('Wes Wrong');
    const before = (await userRow(wes.id)).password_hash;
    const wrong = await wes.call('POST', '/me/password', {
      current_password: 'not it at all',
      new_password: 'a brand new password',
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.fields).toHaveProperty('current_password');
    const weak = await wes.call('POST', '/me/password', { current_password: PASSWORD, new_password: 'short' });
    expect(weak.status).toBe(422);
    expect(weak.body.error.fields).toHaveProperty('new_password');
    expect((await userRow(wes.id)).password_hash).toBe(before);
  });

  it('stops guessing: the sixth wrong password in 15 minutes is 429 with Retry-After', async () => {
    const gus = await withToken('Gus Guesser');
    for (let i = 0; i < 5; i++)
      expect(
        (
          await gus.call('POST', '/me/password', {
            current_password: `guess ${i}`,
            new_password: 'a brand new password',
          })
        ).status,
      ).toBe(422);
    const limited = await gus.call('POST', '/me/password', {
      current_password: PASSWORD,
      new_password: 'a brand new password',
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('cannot be changed with an API key (403), even knowing the password', async () => {
    const kay = await withToken('Kay Keyed Password');
    const key = await apiKeyOf(kay);
    const before = (await userRow(kay.id)).password_hash;
    const res = await kay.call(
      'POST',
      '/me/password',
      { current_password: PASSWORD, new_password: 'a brand new password' },
      key,
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await userRow(kay.id)).password_hash).toBe(before);
    expect((await kay.call('GET', '/me', undefined, key)).status).toBe(200);
  });
});
