import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';

let ctx: TestContext;
let bob: Awaited<ReturnType<typeof createPerson>>;
beforeAll(async () => {
  ctx = await createTestContext();
  bob = await createPerson(ctx, 'Bob Baker', { verified: true });
});
afterAll(async () => ctx.close());

const stepCode = (secret: string, offset = 0) => generate({ secret, epoch: (Math.floor(Date.now() / 30_000) + offset) * 30 });

describe('signing in', () => {
  it('signs Bob in with the right password, rotates the session and emails a new sign-in notice', async () => {
    const browser = new TestBrowser(ctx.app);
    await browser.get('/login');
    const anonymous = browser.cookies.get('sp_session');
    const res = await browser.post('/login', { email: 'BOB.baker@example.test', password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sp_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(browser.cookies.get('sp_session')).not.toBe(anonymous);
    const page = await browser.get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const notice = await ctx.db.selectFrom('emails').select('template').where('to_address', '=', bob.email).where('template', '=', 'new_sign_in').executeTakeFirst();
    expect(notice).toBeDefined();
  });

  it('answers a wrong password and an unknown email with the same status and body', async () => {
    const a = new TestBrowser(ctx.app, '198.51.100.1');
    await a.get('/login');
    const wrong = await a.post('/login', { email: bob.email, password: 'not the password' });
    const b = new TestBrowser(ctx.app, '198.51.100.2');
    await b.get('/login');
    const unknown = await b.post('/login', { email: 'nobody@example.test', password: 'not the password' });
    expect(wrong.status).toBe(422);
    expect(unknown.status).toBe(422);
    const strip = (html: string) => html.replace(/content="[^"]+"|value="[^"]+"|nonce="[^"]+"|"X-CSRF-Token": "[^"]+"/g, '');
    expect(strip(await wrong.text()).replace(bob.email, '')).toBe(strip(await unknown.text()).replace('nobody@example.test', ''));
  });

  it('locks an account after repeated failures, for real and unknown addresses alike, admins included', async () => {
    const admin = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
    for (const email of [admin.email, 'ghost@example.test']) {
      const browser = new TestBrowser(ctx.app, `192.0.2.${email.length}`);
      await browser.get('/login');
      for (let i = 0; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++) expect((await browser.post('/login', { email, password: 'wrong password' })).status).toBe(422);
      const locked = await browser.post('/login', { email, password: email === admin.email ? PASSWORD : 'wrong password' });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await locked.text()).toContain('Too many failed sign-in attempts');
    }
  });

  it('does not let a suspended user sign in and says why', async () => {
    const sue = await createPerson(ctx, 'Sue Suspended', { verified: true });
    await ctx.db.updateTable('users').set({ status: 'suspended' }).where('id', '=', sue.id).execute();
    const browser = new TestBrowser(ctx.app);
    await browser.get('/login');
    const res = await browser.post('/login', { email: sue.email, password: PASSWORD });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This account is suspended');
  });

  it('sends signed-out visitors of portal pages to sign in and back', async () => {
    const res = await new TestBrowser(ctx.app).get('/settings/profile');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fsettings%2Fprofile');
  });

  it('never redirects to another site after sign-in', async () => {
    const browser = new TestBrowser(ctx.app, '192.0.2.200');
    await browser.get('/login');
    const res = await browser.post('/login', { email: bob.email, password: PASSWORD, next: '//evil.example/' });
    expect(res.headers.get('location')).toBe('/dashboard');
  });

  it('signs out: the session no longer works', async () => {
    const browser = await signedIn(ctx, bob.email, PASSWORD, '192.0.2.201');
    const token = browser.cookies.get('sp_session')!;
    expect((await browser.post('/logout')).status).toBe(303);
    const again = await ctx.app.request('/dashboard', { headers: { cookie: `sp_session=${token}` } });
    expect(again.status).toBe(303);
  });
});

describe('two-factor sign-in', () => {
  it('asks for the code after the password; the half-signed-in state grants nothing else', async () => {
    const carol = await createPerson(ctx, 'Carol Code', { verified: true });
    const { secret } = await beginTotpSetup(ctx.deps, carol.id);
    await confirmTotpSetup(ctx.deps, carol.id, await stepCode(secret, -1));

    const browser = new TestBrowser(ctx.app, '192.0.2.50');
    await browser.get('/login');
    const first = await browser.post('/login', { email: carol.email, password: PASSWORD });
    expect(first.headers.get('location')).toBe('/login/two-factor');
    expect((await browser.get('/dashboard')).status).toBe(303);
    expect((await browser.get('/settings/security')).headers.get('location')).toMatch(/^\/login/);

    await browser.get('/login/two-factor');
    const bad = await browser.post('/login/two-factor', { code: '000000' });
    expect(bad.status).toBe(422);
    const code = await stepCode(secret, 0);
    const ok = await browser.post('/login/two-factor', { code });
    expect(ok.status).toBe(303);
    expect((await browser.get('/dashboard')).status).toBe(200);

    // The same code again, in a new sign-in: refused as a replay.
    const other = new TestBrowser(ctx.app, '192.0.2.51');
    await other.get('/login');
    await other.post('/login', { email: carol.email, password: PASSWORD });
    await other.get('/login/two-factor');
    const replay = await other.post('/login/two-factor', { code });
    expect(replay.status).toBe(422);
    expect(await replay.text()).toContain('already used');
  });

  it('accepts each recovery code once', async () => {
    const dan = await createPerson(ctx, 'Dan Recovery', { verified: true });
    const { secret } = await beginTotpSetup(ctx.deps, dan.id);
    const codes = await confirmTotpSetup(ctx.deps, dan.id, await stepCode(secret));
    expect(codes).toHaveLength(10);
    for (const [i, expected] of [[1, 303], [2, 422]] as const) {
      const browser = new TestBrowser(ctx.app, `192.0.2.6${i}`);
      await browser.get('/login');
      await browser.post('/login', { email: dan.email, password: PASSWORD });
      await browser.get('/login/two-factor');
      expect((await browser.post('/login/two-factor', { code: codes[0]!.toUpperCase() })).status).toBe(expected);
    }
    const left = await ctx.db.selectFrom('recovery_codes').select('id').where('user_id', '=', dan.id).where('used_at', 'is', null).execute();
    expect(left).toHaveLength(9);
  });
});
