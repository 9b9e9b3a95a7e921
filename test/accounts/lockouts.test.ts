import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, uniqueEmail } from '../helpers/people.ts';

// The per-action request limit (RATE_LIMIT_AUTH_ACTIONS) is set far away, and the per-address
// lockout low, so what refuses a request here is the lockout under test and nothing else.
let ctx: TestContext;
let started: Date;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '1000', LOGIN_IP_LOCKOUT_ATTEMPTS: '8' });
  started = ctx.clock.now();
});
afterEach(() => ctx.clock.set(started));
afterAll(async () => ctx.close());

const WINDOW_MS = 15 * 60_000; // LOGIN_LOCKOUT_MINUTES and the second factor's failure window

const person = (name: string) => createPerson(ctx, name, { verified: true, email: uniqueEmail(name) });

/**
 * Lockouts count failures in fixed 15-minute windows. Puts the clock 5 minutes into a window
 * of its own, so a lockout started now has exactly 10 minutes (600 s) left.
 */
function fiveMinutesIntoAWindow(): number {
  const next = Math.ceil(ctx.clock.now().getTime() / WINDOW_MS) * WINDOW_MS;
  ctx.clock.set(new Date(next + 5 * 60_000));
  return 600_000;
}

async function signIn(email: string, password: string, ip: string) {
  const browser = new TestBrowser(ctx.app, ip);
  await browser.get('/login');
  const res = await browser.post('/login', { email, password });
  return { browser, res };
}

async function expectLockedOut(res: Response, retryAfter?: number) {
  expect(res.status).toBe(429);
  expect(await res.text()).toContain('Too many failed sign-in attempts');
  if (retryAfter === undefined) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  else expect(res.headers.get('retry-after')).toBe(String(retryAfter));
}

const stepCode = (secret: string, offset = 0) => generate({ secret, epoch: (Math.floor(ctx.clock.now().getTime() / 30_000) + offset) * 30 });

/** A six-digit code the server would not accept now (none of the current step ±1). */
async function wrongCode(secret: string): Promise<string> {
  const valid = await Promise.all([-1, 0, 1].map((o) => stepCode(secret, o)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!valid.includes(code)) return code;
  }
}

/** Someone with two-factor on (set up with the previous step's code). */
async function withTwoFactor(name: string) {
  const p = await person(name);
  const { secret } = await beginTotpSetup(ctx.deps, p.id);
  await confirmTotpSetup(ctx.deps, p.id, await stepCode(secret, -1));
  return { ...p, secret };
}

/** A browser at the code step: the password was right. */
async function atCodeStep(email: string, ip: string) {
  const { browser, res } = await signIn(email, PASSWORD, ip);
  expect(res.headers.get('location')).toBe('/login/two-factor');
  await browser.get('/login/two-factor');
  return browser;
}

describe('the account lockout', () => {
  it('locks Vic out after 5 failed sign-ins from 5 different addresses, at every address, right password or not', async () => {
    const vic = await person('Vic Victim');
    for (let i = 1; i <= ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++) {
      expect((await signIn(vic.email, `guess number ${i}`, `192.0.2.${i}`)).res.status).toBe(422);
    }
    // Each address failed once only: this is the account's lockout, not an address's.
    await expectLockedOut((await signIn(vic.email, PASSWORD, '192.0.2.99')).res);
    expect(await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', vic.id).execute()).toEqual([]);
  });

  it('an account stays locked until its 15-minute window ends: still there a millisecond before, gone exactly then', async () => {
    const vic = await person('Vic Waiting');
    const left = fiveMinutesIntoAWindow();
    for (let i = 0; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++) expect((await signIn(vic.email, 'wrong password', '192.0.2.10')).res.status).toBe(422);
    await expectLockedOut((await signIn(vic.email, PASSWORD, '192.0.2.11')).res, 600);

    ctx.clock.advance(left - 1);
    await expectLockedOut((await signIn(vic.email, PASSWORD, '192.0.2.11')).res, 1);

    ctx.clock.advance(1);
    const { browser, res } = await signIn(vic.email, PASSWORD, '192.0.2.11');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    expect((await browser.get('/dashboard')).status).toBe(200);
  });
});

describe('the address lockout', () => {
  it('locks out an address after 8 failed sign-ins across different accounts, while those people still sign in from elsewhere', async () => {
    const rita = await person('Rita Real');
    const sam = await person('Sam Sameplace');
    const attacker = '198.51.100.66';
    // Eight failures spread over eight addresses: no account reaches its own limit of 5.
    expect((await signIn(rita.email, 'not her password', attacker)).res.status).toBe(422);
    for (let i = 1; i < ctx.config.LOGIN_IP_LOCKOUT_ATTEMPTS; i++) {
      expect((await signIn(uniqueEmail('Nobody Here'), 'some password', attacker)).res.status).toBe(422);
    }

    await expectLockedOut((await signIn(rita.email, PASSWORD, attacker)).res);
    await expectLockedOut((await signIn(sam.email, PASSWORD, attacker)).res);
    // The API's sign-in checks the same lockout.
    const api = await ctx.app.request('/api/v1/auth/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': attacker },
      body: JSON.stringify({ email: sam.email, password: PASSWORD }),
    });
    expect(api.status).toBe(429);
    expect((await api.json()).error.code).toBe('rate_limited');
    expect(await ctx.db.selectFrom('access_tokens').select('id').where('user_id', '=', sam.id).execute()).toEqual([]);

    const elsewhere = await signIn(rita.email, PASSWORD, '198.51.100.67');
    expect(elsewhere.res.status).toBe(303);
    expect((await elsewhere.browser.get('/dashboard')).status).toBe(200);
  });

  it('an address stays locked out until its 15-minute window ends, and not a millisecond longer', async () => {
    const uma = await person('Uma Upstairs');
    const shared = '198.51.100.70';
    const left = fiveMinutesIntoAWindow();
    for (let i = 0; i < ctx.config.LOGIN_IP_LOCKOUT_ATTEMPTS; i++) expect((await signIn(uniqueEmail('Typo'), 'some password', shared)).res.status).toBe(422);
    await expectLockedOut((await signIn(uma.email, PASSWORD, shared)).res, 600);

    ctx.clock.advance(left - 1);
    await expectLockedOut((await signIn(uma.email, PASSWORD, shared)).res, 1);
    ctx.clock.advance(1);
    expect((await signIn(uma.email, PASSWORD, shared)).res.status).toBe(303);
  });
});

describe('the second-factor lockout', () => {
  it('refuses even the right code after 5 wrong ones, in any session from any address', async () => {
    const carl = await withTwoFactor('Carl Codes');
    const browser = await atCodeStep(carl.email, '192.0.2.40');
    const wrong = await wrongCode(carl.secret);
    for (let i = 0; i < 5; i++) {
      const res = await browser.post('/login/two-factor', { code: wrong });
      expect(res.status, `wrong code ${i + 1}`).toBe(422);
      expect(await res.text()).toContain('That code is not valid');
    }

    const right = await browser.post('/login/two-factor', { code: await stepCode(carl.secret) });
    expect(right.status).toBe(429);
    expect(await right.text()).toContain('Too many wrong codes');
    expect((await browser.get('/dashboard')).status).toBe(303);

    // A fresh sign-in elsewhere does not start the count again: the lockout is the account's.
    const other = await atCodeStep(carl.email, '192.0.2.41');
    expect((await other.post('/login/two-factor', { code: await stepCode(carl.secret, 1) })).status).toBe(429);
    const full = await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', carl.id).where('stage', '=', 'full').execute();
    expect(full).toEqual([]);
  });

  it('the second step stays locked until its 15-minute window ends, and not a millisecond longer', async () => {
    const cleo = await withTwoFactor('Cleo Clock');
    const left = fiveMinutesIntoAWindow();
    const browser = await atCodeStep(cleo.email, '192.0.2.45');
    const wrong = await wrongCode(cleo.secret);
    for (let i = 0; i < 5; i++) expect((await browser.post('/login/two-factor', { code: wrong })).status).toBe(422);
    const locked = await browser.post('/login/two-factor', { code: await stepCode(cleo.secret) });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('600');

    // A half-signed-in session lasts 10 minutes: each try below starts with the password again.
    ctx.clock.advance(left - 1);
    const before = await atCodeStep(cleo.email, '192.0.2.45');
    const stillLocked = await before.post('/login/two-factor', { code: await stepCode(cleo.secret) });
    expect(stillLocked.status).toBe(429);
    expect(stillLocked.headers.get('retry-after')).toBe('1');

    ctx.clock.advance(1);
    const after = await atCodeStep(cleo.email, '192.0.2.45');
    const ok = await after.post('/login/two-factor', { code: await stepCode(cleo.secret) });
    expect(ok.status).toBe(303);
    expect((await after.get('/dashboard')).status).toBe(200);
  });
});
