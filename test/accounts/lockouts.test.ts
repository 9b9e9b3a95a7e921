import { generate } from 'otplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_PACE_AFTER, ACCOUNT_PACE_SECONDS } from '../../src/domain/accounts/sign-in-limits.ts';
import { beginTotpSetup, confirmTotpSetup } from '../../src/domain/accounts/two-factor.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

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

const person = (name: string, opts: { isAdmin?: boolean } = {}) =>
  createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });

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

/** Someone with two-factor on (set up with the previous step's code). */
async function withTwoFactor(name: string) {
  const p = await person(name);
  const { secret } = await beginTotpSetup(ctx.deps, p.id, PASSWORD);
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

/** How many of `responses` had each status, e.g. `{ 422: 5, 429: 14 }`. */
function statuses(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

const failedSignIns = async (userId: string, reason: string) =>
  (
    await ctx.db
      .selectFrom('activity_log')
      .select('details')
      .where('action', '=', 'auth.sign_in_failed')
      .where('actor_user_id', '=', userId)
      .execute()
  ).filter((r) => (r.details as { reason: string }).reason === reason).length;

// Lockouts used to be counted in fixed 15-minute windows of the clock, per account from
// anywhere. Now every limit is "at most N in any 15 minutes" (a sliding window), and the hard
// lock is per account AND address, with only a pace per account: the tests below say so.
describe('the lock per account and address', () => {
  it('locks an address out of Vic’s account after 5 wrong passwords, right password or not, while Vic signs in from elsewhere', async () => {
    const vic = await person('Vic Victim');
    for (let i = 1; i <= ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++) {
      expect((await signIn(vic.email, `guess number ${i}`, '192.0.2.1')).res.status).toBe(422);
    }
    await expectLockedOut((await signIn(vic.email, PASSWORD, '192.0.2.1')).res, 900);
    expect(await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', vic.id).execute()).toEqual([]);

    const { browser, res } = await signIn(vic.email, PASSWORD, '192.0.2.2');
    expect(res.status).toBe(303);
    expect((await browser.get('/dashboard')).status).toBe(200);
  });

  it('does not lock Vic out after 5 wrong passwords from 5 different addresses (it did when the lock was the account’s alone)', async () => {
    const vic = await person('Vic Spread');
    for (let i = 1; i <= ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++) {
      expect((await signIn(vic.email, `guess number ${i}`, `192.0.2.${10 + i}`)).res.status).toBe(422);
    }
    expect((await signIn(vic.email, PASSWORD, '192.0.2.11')).res.status).toBe(303);
    expect((await signIn(vic.email, PASSWORD, '192.0.2.99')).res.status).toBe(303);
  });

  it('keeps a lock for the full 15 minutes after the fifth quick failure, wherever that falls on the clock, and not a millisecond longer', async () => {
    const vic = await person('Vic Waiting');
    // Fourteen minutes into a quarter hour: under fixed windows this lock would have lasted one minute.
    ctx.clock.set(new Date(Math.ceil(ctx.clock.now().getTime() / WINDOW_MS) * WINDOW_MS + 14 * 60_000));
    for (let i = 0; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++)
      expect((await signIn(vic.email, 'wrong password', '192.0.2.20')).res.status).toBe(422);
    await expectLockedOut((await signIn(vic.email, PASSWORD, '192.0.2.20')).res, 900);

    ctx.clock.advance(WINDOW_MS - 1);
    await expectLockedOut((await signIn(vic.email, PASSWORD, '192.0.2.20')).res, 1);

    ctx.clock.advance(1);
    const { browser, res } = await signIn(vic.email, PASSWORD, '192.0.2.20');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    expect((await browser.get('/dashboard')).status).toBe(200);
  });

  it('gives someone who times their guesses across a quarter hour one more guess, not five more', async () => {
    const vic = await person('Vic Timed');
    const quarter = Math.ceil(ctx.clock.now().getTime() / WINDOW_MS) * WINDOW_MS;
    ctx.clock.set(new Date(quarter + 60_000));
    expect((await signIn(vic.email, 'early guess', '192.0.2.30')).res.status).toBe(422);
    ctx.clock.set(new Date(quarter + WINDOW_MS - 1000));
    for (let i = 1; i < ctx.config.LOGIN_LOCKOUT_ATTEMPTS; i++)
      expect((await signIn(vic.email, `late guess ${i}`, '192.0.2.30')).res.status).toBe(422);
    await expectLockedOut((await signIn(vic.email, 'one too many', '192.0.2.30')).res, 61);

    // Past the quarter hour, and past the first guess's 15 minutes: exactly one slot is free again.
    ctx.clock.set(new Date(quarter + WINDOW_MS + 60_000));
    expect((await signIn(vic.email, 'next quarter guess', '192.0.2.30')).res.status).toBe(422);
    await expectLockedOut((await signIn(vic.email, PASSWORD, '192.0.2.30')).res, 839);
  });
});

describe('the address lockout', () => {
  it('locks out an address after 8 failed sign-ins across different accounts, while those people still sign in from elsewhere', async () => {
    const rita = await person('Rita Real');
    const sam = await person('Sam Sameplace');
    const attacker = '198.51.100.66';
    // Eight failures on eight accounts: no account reaches its own limit of 5.
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

  it('counts only failures: many people signing in from one shared address do not lock it', async () => {
    const office = '198.51.100.80';
    for (let i = 0; i < ctx.config.LOGIN_IP_LOCKOUT_ATTEMPTS; i++)
      expect((await signIn((await person(`Colleague ${i}`)).email, PASSWORD, office)).res.status).toBe(303);
    expect((await signIn(uniqueEmail('Typo'), 'some password', office)).res.status).toBe(422);
  });

  it('an address stays locked out for 15 minutes after its eighth failure, and not a millisecond longer', async () => {
    const uma = await person('Uma Upstairs');
    const shared = '198.51.100.70';
    for (let i = 0; i < ctx.config.LOGIN_IP_LOCKOUT_ATTEMPTS; i++)
      expect((await signIn(uniqueEmail('Typo'), 'some password', shared)).res.status).toBe(422);
    await expectLockedOut((await signIn(uma.email, PASSWORD, shared)).res, 900);

    ctx.clock.advance(WINDOW_MS - 1);
    await expectLockedOut((await signIn(uma.email, PASSWORD, shared)).res, 1);
    ctx.clock.advance(1);
    expect((await signIn(uma.email, PASSWORD, shared)).res.status).toBe(303);
  });
});

describe('wrong passwords sprayed at one account from many addresses', () => {
  it('slow the account down but cannot keep the admin out', async () => {
    const ada = await person('Ada Admin', { isAdmin: true });
    const bot = (n: number) => `198.18.0.${n}`;
    for (let n = 1; n <= ACCOUNT_PACE_AFTER; n++)
      expect((await signIn(ada.email, `spray ${n}`, bot(n))).res.status).toBe(422);

    // The account is paced now: addresses that already tried share one check every 10 seconds.
    expect((await signIn(ada.email, 'spray again', bot(1))).res.status).toBe(422);
    const paced = (await signIn(ada.email, 'and again', bot(2))).res;
    await expectLockedOut(paced.clone(), ACCOUNT_PACE_SECONDS);
    expect(await paced.text()).toContain('for this account from many places');

    // A first try from an address is always checked: Ada signs in at once.
    const fresh = await signIn(ada.email, PASSWORD, '203.0.113.50');
    expect(fresh.res.status).toBe(303);
    expect(fresh.res.headers.get('location')).toBe('/admin');

    // Had she mistyped, she waits seconds, not a lockout.
    expect((await signIn(ada.email, 'typo', '203.0.113.51')).res.status).toBe(422);
    expect((await signIn(ada.email, 'spray on', bot(3))).res.status).toBe(429);
    ctx.clock.advance(ACCOUNT_PACE_SECONDS * 1000);
    expect((await signIn(ada.email, PASSWORD, '203.0.113.51')).res.status).toBe(303);
    // Each spraying address got its one quick guess, then only the shared pace.
    expect(await failedSignIns(ada.id, 'wrong_password')).toBe(ACCOUNT_PACE_AFTER + 2);
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
    const full = await ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', carl.id)
      .where('stage', '=', 'full')
      .execute();
    expect(full).toEqual([]);
  });

  it('the second step stays locked for 15 minutes after the fifth wrong code, and not a millisecond longer', async () => {
    const cleo = await withTwoFactor('Cleo Clock');
    const browser = await atCodeStep(cleo.email, '192.0.2.45');
    const wrong = await wrongCode(cleo.secret);
    for (let i = 0; i < 5; i++) expect((await browser.post('/login/two-factor', { code: wrong })).status).toBe(422);
    const locked = await browser.post('/login/two-factor', { code: await stepCode(cleo.secret) });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('900');

    // A half-signed-in session lasts 10 minutes: each try below starts with the password again.
    ctx.clock.advance(WINDOW_MS - 1);
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

  it('a right code clears the count: earlier typos do not shorten the next sign-in’s tries', async () => {
    const cody = await withTwoFactor('Cody Careful');
    const wrong = await wrongCode(cody.secret);
    const first = await atCodeStep(cody.email, '192.0.2.46');
    for (let i = 0; i < 4; i++) expect((await first.post('/login/two-factor', { code: wrong })).status).toBe(422);
    expect((await first.post('/login/two-factor', { code: await stepCode(cody.secret) })).status).toBe(303);

    ctx.clock.advance(30_000); // the next step's code
    const second = await atCodeStep(cody.email, '192.0.2.46');
    for (let i = 0; i < 4; i++) expect((await second.post('/login/two-factor', { code: wrong })).status).toBe(422);
    expect((await second.post('/login/two-factor', { code: await stepCode(cody.secret) })).status).toBe(303);
  });
});

// Each attempt is counted before its password or code is checked, by one statement that
// counts and decides: racing requests can no longer all read "under the limit" first.
describe('many attempts at once', () => {
  const AT_ONCE = 19;

  it('nineteen wrong passwords at once from one address get five passwords checked, the rest refused unchecked', async () => {
    const rex = await person('Rex Race');
    const browser = new TestBrowser(ctx.app, '192.0.2.60');
    await browser.get('/login');
    const answers = await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) =>
        browser.post('/login', { email: rex.email, password: `racing guess ${i}` }),
      ),
    );
    expect(statuses(answers)).toEqual({ 422: 5, 429: AT_ONCE - 5 });
    expect(await failedSignIns(rex.id, 'wrong_password')).toBe(5);
  });

  it('the same through the API', async () => {
    const rae = await person('Rae Race');
    const answers = await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) =>
        ctx.app.request('/api/v1/auth/tokens', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.61' },
          body: JSON.stringify({ email: rae.email, password: `racing guess ${i}` }),
        }),
      ),
    );
    expect(statuses(answers)).toEqual({ 401: 5, 429: AT_ONCE - 5 });
    expect(await failedSignIns(rae.id, 'wrong_password')).toBe(5);
  });

  it('nineteen wrong codes at once get five codes checked', async () => {
    const cara = await withTwoFactor('Cara Race');
    const browser = await atCodeStep(cara.email, '192.0.2.62');
    const wrong = await wrongCode(cara.secret);
    const answers = await Promise.all(
      Array.from({ length: AT_ONCE }, () => browser.post('/login/two-factor', { code: wrong })),
    );
    expect(statuses(answers)).toEqual({ 422: 5, 429: AT_ONCE - 5 });
    expect(await failedSignIns(cara.id, 'wrong_code')).toBe(5);
  });

  it('nineteen wrong passwords at once to start an impersonation get five checked', async () => {
    const ivo = await person('Ivo Admin', { isAdmin: true });
    const bea = await person('Bea Target');
    const admin = await signedIn(ctx, ivo.email, PASSWORD, '192.0.2.63');
    await admin.get(`/admin/users/${bea.id}`);
    const answers = await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) =>
        admin.post(`/admin/users/${bea.id}/impersonation`, { password: `racing guess ${i}` }),
      ),
    );
    expect(statuses(answers)).toEqual({ 422: 5, 429: AT_ONCE - 5 });
    const texts = await Promise.all(answers.map((r) => r.text()));
    expect(texts.filter((t) => t.includes('That is not your password.'))).toHaveLength(5);
    expect(texts.filter((t) => t.includes('Too many wrong passwords'))).toHaveLength(AT_ONCE - 5);
    expect(await ctx.db.selectFrom('sessions').select('id').where('user_id', '=', bea.id).execute()).toEqual([]);
  });
});
