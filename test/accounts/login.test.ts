import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { hashToken } from '../../src/lib/crypto.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
let started: Date;
beforeAll(async () => {
  ctx = await createTestContext();
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

const person = (name: string, opts: { isAdmin?: boolean } = {}) =>
  createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });

/** The authenticator app's code `offset` 30-second steps from the server's (test) clock. */
const stepCode = (secret: string, offset = 0) =>
  generate({ secret, epoch: (Math.floor(ctx.clock.now().getTime() / 30_000) + offset) * 30 });

/** A six-digit code the server would not accept now (none of the current step ±1). */
async function wrongCode(secret: string): Promise<string> {
  const valid = await Promise.all([-1, 0, 1].map((o) => stepCode(secret, o)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!valid.includes(code)) return code;
  }
}

/** Someone with two-factor on, set up with the previous step's code; returns the secret and recovery codes too. */
async function withTwoFactor(name: string) {
  const p = await person(name);
  const { secret } = await beginTotpSetup(ctx.deps, p.id, PASSWORD);
  const recoveryCodes = await confirmTotpSetup(ctx.deps, p.id, await stepCode(secret, -1));
  return { ...p, secret, recoveryCodes };
}

/** A browser at the code step: the password was right, the code is owed. */
async function atCodeStep(email: string, ip: string) {
  const browser = new TestBrowser(ctx.app, ip);
  await browser.get('/login');
  const res = await browser.post('/login', { email, password: PASSWORD });
  expect(res.headers.get('location')).toBe('/login/two-factor');
  await browser.get('/login/two-factor');
  return browser;
}

describe('signing in', () => {
  it('signs Bob in with the right password into a new HttpOnly session, and emails a new sign-in notice', async () => {
    const bob = await person('Bob Baker');
    const browser = new TestBrowser(ctx.app);
    await browser.get('/login');
    const res = await browser.post('/login', { email: bob.email.toUpperCase(), password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sp_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // The cookie holds the token of a full session of Bob's; the database keeps only its hash.
    const token = browser.cookies.get('sp_session')!;
    const session = await ctx.db
      .selectFrom('sessions')
      .select(['user_id', 'stage'])
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirstOrThrow();
    expect(session).toEqual({ user_id: bob.id, stage: 'full' });
    const page = await browser.get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const notices = await ctx.db
      .selectFrom('emails')
      .select('text')
      .where('to_address', '=', bob.email)
      .where('template', '=', 'new_sign_in')
      .execute();
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain('203.0.113.10');
  });

  it('signing in again in the same browser ends the session it had', async () => {
    const bea = await person('Bea Twice');
    const browser = await signedIn(ctx, bea.email, PASSWORD, '192.0.2.30');
    const before = browser.cookies.get('sp_session')!;
    await browser.get('/login');
    expect((await browser.post('/login', { email: bea.email, password: PASSWORD })).status).toBe(303);
    const after = browser.cookies.get('sp_session')!;
    expect(after).not.toBe(before);
    expect((await ctx.app.request('/dashboard', { headers: { cookie: `sp_session=${before}` } })).status).toBe(303);
    expect((await ctx.app.request('/dashboard', { headers: { cookie: `sp_session=${after}` } })).status).toBe(200);
  });

  it('answers a wrong password and an unknown email with the same status and body', async () => {
    const bob = await person('Bob Same');
    const nobody = uniqueEmail('Nobody');
    const a = new TestBrowser(ctx.app, '198.51.100.1');
    await a.get('/login');
    const wrong = await a.post('/login', { email: bob.email, password: 'not the password' });
    const b = new TestBrowser(ctx.app, '198.51.100.2');
    await b.get('/login');
    const unknown = await b.post('/login', { email: nobody, password: 'not the password' });
    expect(wrong.status).toBe(422);
    expect(unknown.status).toBe(422);
    const strip = (html: string) =>
      html.replace(/content="[^"]+"|value="[^"]+"|nonce="[^"]+"|"X-CSRF-Token": "[^"]+"/g, '');
    expect(strip(await wrong.text()).replace(bob.email, '')).toBe(strip(await unknown.text()).replace(nobody, ''));
  });

  it('locks an account after repeated failures, for real and unknown addresses alike, admins included', async () => {
    const admin = await person('Ada Admin', { isAdmin: true });
    for (const [email, ip] of [
      [admin.email, '192.0.2.20'],
      [uniqueEmail('Ghost'), '192.0.2.21'],
    ] as const) {
      const browser = new TestBrowser(ctx.app, ip);
      await browser.get('/login');
      for (let i = 0; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++)
        expect((await browser.post('/login', { email, password: 'wrong password' })).status).toBe(422);
      const locked = await browser.post('/login', {
        email,
        password: email === admin.email ? PASSWORD : 'wrong password',
      });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await locked.text()).toContain('Too many failed sign-in attempts');
    }
  });

  it('does not let a suspended user sign in and says why', async () => {
    const sue = await person('Sue Suspended');
    await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', sue.id).execute();
    const browser = new TestBrowser(ctx.app);
    await browser.get('/login');
    const res = await browser.post('/login', { email: sue.email, password: PASSWORD });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This account is suspended');
    expect(await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', sue.id).execute()).toEqual([]);
  });

  it('sends signed-out visitors of portal pages to sign in and back', async () => {
    const res = await new TestBrowser(ctx.app).get('/settings/profile');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fsettings%2Fprofile');
  });

  it('never redirects to another site after sign-in', async () => {
    const bob = await person('Bob Redirect');
    const browser = new TestBrowser(ctx.app, '192.0.2.200');
    await browser.get('/login');
    const res = await browser.post('/login', { email: bob.email, password: PASSWORD, next: '//evil.example/' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
  });

  it('signs out: the session no longer works', async () => {
    const bob = await person('Bob Leaving');
    const browser = await signedIn(ctx, bob.email, PASSWORD, '192.0.2.201');
    const token = browser.cookies.get('sp_session')!;
    expect((await ctx.app.request('/dashboard', { headers: { cookie: `sp_session=${token}` } })).status).toBe(200);
    expect((await browser.post('/logout')).status).toBe(303);
    const again = await ctx.app.request('/dashboard', { headers: { cookie: `sp_session=${token}` } });
    expect(again.status).toBe(303);
  });
});

describe('two-factor sign-in', () => {
  it('asks for the code after the password; the half-signed-in state grants nothing else', async () => {
    const carol = await withTwoFactor('Carol Code');

    const browser = new TestBrowser(ctx.app, '192.0.2.50');
    await browser.get('/login');
    const first = await browser.post('/login', { email: carol.email, password: PASSWORD });
    expect(first.headers.get('location')).toBe('/login/two-factor');
    expect((await browser.get('/dashboard')).status).toBe(303);
    expect((await browser.get('/settings/security')).headers.get('location')).toMatch(/^\/login/);

    await browser.get('/login/two-factor');
    const bad = await browser.post('/login/two-factor', { code: await wrongCode(carol.secret) });
    expect(bad.status).toBe(422);
    const half = browser.cookies.get('sp_session')!;
    const code = await stepCode(carol.secret, 0);
    const ok = await browser.post('/login/two-factor', { code });
    expect(ok.status).toBe(303);
    expect((await browser.get('/dashboard')).status).toBe(200);
    // The half-signed-in token was discarded, not promoted: it opens nothing now, not even the code step.
    expect(browser.cookies.get('sp_session')).not.toBe(half);
    expect(
      (await ctx.app.request('/login/two-factor', { headers: { cookie: `sp_session=${half}` } })).headers.get(
        'location',
      ),
    ).toBe('/login');

    // The same code again, in a new sign-in: refused as a replay.
    const other = await atCodeStep(carol.email, '192.0.2.51');
    const replay = await other.post('/login/two-factor', { code });
    expect(replay.status).toBe(422);
    expect(await replay.text()).toContain('already used');
    expect((await other.get('/dashboard')).status).toBe(303);
  });

  it('refuses a code older than the last one used, even one never used before', async () => {
    const olly = await withTwoFactor('Olly Older');
    // The server accepts the previous, current and next step. Olly signs in with the next one…
    const ahead = await atCodeStep(olly.email, '192.0.2.55');
    expect((await ahead.post('/login/two-factor', { code: await stepCode(olly.secret, 1) })).status).toBe(303);

    // …after which the current step's code, never typed and still in the window, is refused.
    const late = await atCodeStep(olly.email, '192.0.2.56');
    const older = await late.post('/login/two-factor', { code: await stepCode(olly.secret, 0) });
    expect(older.status).toBe(422);
    expect(await older.text()).toContain('already used');
    expect((await late.get('/dashboard')).status).toBe(303);
    const full = await ctx.db
      .selectFrom('sessions')
      .select('ip')
      .where('user_id', '=', olly.id)
      .where('stage', '=', 'full')
      .execute();
    expect(full.map((s) => s.ip)).toEqual(['192.0.2.55']);

    // Once the clock reaches a later step, its code works.
    ctx.clock.advance(60_000);
    const next = await atCodeStep(olly.email, '192.0.2.56');
    expect((await next.post('/login/two-factor', { code: await stepCode(olly.secret, 0) })).status).toBe(303);
  });

  it('accepts each recovery code once', async () => {
    const dan = await withTwoFactor('Dan Recovery');
    expect(dan.recoveryCodes).toHaveLength(10);
    for (const [i, expected] of [
      [1, 303],
      [2, 422],
    ] as const) {
      const browser = await atCodeStep(dan.email, `192.0.2.6${i}`);
      expect((await browser.post('/login/two-factor', { code: dan.recoveryCodes[0]!.toUpperCase() })).status).toBe(
        expected,
      );
    }
    const left = await ctx.db
      .selectFrom('recovery_codes')
      .select('id')
      .where('user_id', '=', dan.id)
      .where('used_at', 'is', null)
      .execute();
    expect(left).toHaveLength(9);
  });
});
