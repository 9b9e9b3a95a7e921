import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { apiClient, ISO_UTC, PASSWORD, person } from './client.ts';

let ctx: TestContext;
let started: Date;
beforeAll(async () => {
  ctx = await createTestContext();
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

const liveTokens = async (userId: string) =>
  Number(
    (
      await ctx.db
        .selectFrom('access_tokens')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

/** The TOTP code for the clock's current 30-second step. */
const totp = (secret: string) => generate({ secret, epoch: Math.floor(ctx.clock.now().getTime() / 1000) });

describe('access tokens', () => {
  it('gives Bob a token for his password that works until he revokes it', async () => {
    const bob = await person(ctx, 'Bob Baker');
    const call = apiClient(ctx, '198.51.100.10');

    const created = await call('POST', '/auth/tokens', {
      body: { email: 'Bob.Baker@example.test', password: PASSWORD },
      headers: { 'user-agent': 'bob-cli/1.0' },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['expires_at', 'token']);
    expect(created.body.token).toMatch(/^spt_[\w-]{40,}$/);
    expect(created.body.expires_at).toMatch(ISO_UTC);
    expect(new Date(created.body.expires_at).getTime()).toBe(
      ctx.clock.now().getTime() + ctx.config.API_TOKEN_DAYS * 86_400_000,
    );
    expect(created.headers.get('cache-control')).toBe('no-store');
    const mail = await ctx.db
      .selectFrom('emails')
      .select(['template', 'text'])
      .where('to_address', '=', bob.email)
      .where('template', '=', 'new_sign_in')
      .executeTakeFirstOrThrow();
    expect(mail.text).toContain('198.51.100.10');

    const token = created.body.token;
    expect((await call('GET', '/me', { token })).status).toBe(200);

    const revoked = await call('DELETE', '/auth/tokens/current', { token });
    expect(revoked.status).toBe(204);
    expect(await liveTokens(bob.id)).toBe(0);

    const after = await call('GET', '/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthenticated');
    expect((await call('DELETE', '/auth/tokens/current', { token })).status).toBe(401);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    await person(ctx, 'Carol Cook');
    const call = apiClient(ctx, '198.51.100.11');
    const wrong = await call('POST', '/auth/tokens', {
      body: { email: 'carol.cook@example.test', password: 'not her password' },
    });
    const unknown = await call('POST', '/auth/tokens', {
      body: { email: 'nobody@example.test', password: 'not her password' },
    });

    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'invalid_credentials', message: 'Incorrect email or password.' } });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('locks an account out with a 429 envelope after repeated wrong passwords', async () => {
    await person(ctx, 'Dan Drake');
    const call = apiClient(ctx, '198.51.100.12');
    for (let i = 0; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++) {
      expect(
        (await call('POST', '/auth/tokens', { body: { email: 'dan.drake@example.test', password: `guess ${i}` } }))
          .status,
      ).toBe(401);
    }
    const locked = await call('POST', '/auth/tokens', {
      body: { email: 'dan.drake@example.test', password: PASSWORD },
    });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('does not give a token to Erin, who has two-factor on, without a current code', async () => {
    const erin = await person(ctx, 'Erin Evans');
    const { secret } = await beginTotpSetup(ctx.deps, erin.id, PASSWORD);
    await confirmTotpSetup(ctx.deps, erin.id, await totp(secret));
    ctx.clock.advance(30_000); // the setup code's step is spent
    const call = apiClient(ctx, '198.51.100.13');
    const creds = { email: erin.email, password: PASSWORD };

    // A missing code is not a wrong password: asking more often than the lockout allows stays harmless.
    for (let i = 0; i <= ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++) {
      const missing = await call('POST', '/auth/tokens', { body: creds });
      expect(missing.status).toBe(401);
      expect(missing.body.error.code).toBe('otp_required');
    }
    expect(await liveTokens(erin.id)).toBe(0);

    const code = await totp(secret);
    const wrongCode = code.replace(/^./, (d) => String((Number(d) + 1) % 10));
    const wrong = await call('POST', '/auth/tokens', { body: { ...creds, otp: wrongCode } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_otp');
    expect(await liveTokens(erin.id)).toBe(0);

    const ok = await call('POST', '/auth/tokens', { body: { ...creds, otp: code } });
    expect(ok.status).toBe(201);
    expect((await call('GET', '/me', { token: ok.body.token })).body.user.two_factor_enabled).toBe(true);

    const replayed = await call('POST', '/auth/tokens', { body: { ...creds, otp: code } });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.code).toBe('invalid_otp');
    expect(await liveTokens(erin.id)).toBe(1);
  });

  it('still refuses a wrong password before asking for a code, even with the right code', async () => {
    const fay = await person(ctx, 'Fay Factor');
    const { secret } = await beginTotpSetup(ctx.deps, fay.id, PASSWORD);
    await confirmTotpSetup(ctx.deps, fay.id, await totp(secret));
    ctx.clock.advance(30_000);
    const call = apiClient(ctx, '198.51.100.14');
    const code = await totp(secret);

    const res = await call('POST', '/auth/tokens', { body: { email: fay.email, password: 'wrong', otp: code } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_credentials');
    expect(await liveTokens(fay.id)).toBe(0);
    // The code was not spent by the refused attempt: with the password it works.
    expect(
      (await call('POST', '/auth/tokens', { body: { email: fay.email, password: PASSWORD, otp: code } })).status,
    ).toBe(201);
  });
});
