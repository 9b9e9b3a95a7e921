import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { count, CLEAN_IP, DEFAULT_FRAUD_SETTINGS, fraudContext, setFraudSettings, TOR_IP, VPN_IP } from './helpers.ts';
import { receivedEmail } from '../helpers/mail.ts';

let ctx: TestContext;
let close: () => Promise<void>;
let admin: TestBrowser;
let adminId: string;
beforeAll(async () => {
  ({ ctx, close } = await fraudContext());
});
afterAll(async () => close());
// Each test's own staff member, signed in; screening with the default settings.
beforeEach(async () => {
  await setFraudSettings(ctx, DEFAULT_FRAUD_SETTINGS);
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  adminId = ada.id;
  admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
});

/**
 * An address no other test signs up with: `local.<random>` plus the emulator's tags
 * (`+review`, `+score75`), at `domain`.
 */
const address = (local: string, tags = '', domain = 'example.test') =>
  `${local}.${randomBytes(3).toString('hex')}${tags ? `+${tags}` : ''}@${domain}`;

/** Signs up through the HTML form from `ip`. */
async function signUp(email: string, ip = CLEAN_IP, name = 'Someone New') {
  const browser = new TestBrowser(ctx.app, ip);
  await browser.get('/register');
  const res = await browser.post('/register', { name, email, password: PASSWORD });
  return { browser, res };
}

const checkFor = (email: string) =>
  ctx.db
    .selectFrom('fraud_checks')
    .selectAll()
    .where('email', '=', email)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
const userBy = (email: string) => ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

async function signIn(email: string) {
  const browser = new TestBrowser(ctx.app, CLEAN_IP);
  await browser.get('/login');
  const res = await browser.post('/login', { email, password: PASSWORD });
  return { status: res.status, html: browser.lastHtml };
}

describe('screening a sign-up', () => {
  it('lets a clean sign-up through and keeps its approved check, linked to the new account', async () => {
    const email = address('clean');
    const { res } = await signUp(email);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const user = (await userBy(email))!;
    expect(user.status).toBe('active');
    const check = await checkFor(email);
    expect(check).toMatchObject({
      subject: 'registration',
      status: 'approve',
      score: 10,
      ip: CLEAN_IP,
      user_id: user.id,
      organization_id: user.active_organization_id,
    });
    expect(check.provider_transaction_id).toMatch(/^\d{8}-[A-Z0-9]{6}$/);
  });

  it('refuses a sign-up from a Tor exit node with a clear message, writing nothing but the check', async () => {
    const email = address('tor.user');
    const before = await Promise.all(
      (['users', 'organizations', 'wallets', 'emails'] as const).map((t) => count(ctx, t)),
    );
    const { res, browser } = await signUp(email, TOR_IP);
    expect(res.status).toBe(422);
    expect(browser.lastHtml).toContain('We could not open an account with these details');
    expect(browser.cookies.has('sp_session')).toBe(false);
    expect(
      await Promise.all((['users', 'organizations', 'wallets', 'emails'] as const).map((t) => count(ctx, t))),
    ).toEqual(before);

    const check = await checkFor(email);
    expect(check).toMatchObject({ status: 'reject', user_id: null, organization_id: null, ip: TOR_IP, score: 70 });
    expect(check.reasons).toContain('Tor exit node detected');
    // The customer is not told why; staff are. The API key is nowhere in what we kept.
    expect(browser.lastHtml).not.toContain('Tor');
    expect(JSON.stringify(check.details)).not.toContain('flp-test-key');
  });

  it('holds a Tor sign-up for review instead when staff stop blocking VPN, proxy and Tor (FraudLabs Pro says review)', async () => {
    await setFraudSettings(ctx, { blockProxyVpnTor: false, scoreThreshold: 100 });
    const email = address('tor.allowed');
    const { res } = await signUp(email, TOR_IP);
    expect(res.headers.get('location')).toBe('/register/review');
    expect((await checkFor(email)).status).toBe('review');
    expect((await userBy(email))?.status).toBe('review');
  });

  it('lets a VPN through when blocking VPN, proxy and Tor is off, and refuses it when on', async () => {
    const [one, two] = [address('vpn.one'), address('vpn.two')];
    expect((await signUp(one, VPN_IP)).res.status).toBe(422);
    expect((await checkFor(one)).reasons).toContain('VPN detected');
    expect(await userBy(one)).toBeUndefined();
    await setFraudSettings(ctx, { blockProxyVpnTor: false });
    expect((await signUp(two, VPN_IP)).res.status).toBe(303);
    expect((await userBy(two))?.status).toBe('active');
  });

  it('refuses a disposable email address while that is blocked, and accepts it when it is not', async () => {
    const email = address('throwaway', '', 'mailinator.test');
    expect((await signUp(email)).res.status).toBe(422);
    expect(await userBy(email)).toBeUndefined();
    expect((await checkFor(email)).reasons).toContain('Disposable email address');

    await setFraudSettings(ctx, { blockDisposableEmail: false });
    expect((await signUp(email)).res.status).toBe(303);
    expect((await userBy(email))?.status).toBe('active');
  });

  it('refuses a score at or above the threshold and holds the band from 50 below it', async () => {
    const [risky, doubtful] = [address('risky', 'score75'), address('doubtful', 'score55')];
    expect((await signUp(risky)).res.status).toBe(422);
    expect((await checkFor(risky)).reasons).toContain('Fraud score 75 is at or above the threshold 70');
    expect(await userBy(risky)).toBeUndefined();
    expect((await signUp(doubtful)).res.headers.get('location')).toBe('/register/review');
    expect((await userBy(doubtful))?.status).toBe('review');
  });

  it('does not screen, and writes no check, when screening is off', async () => {
    await setFraudSettings(ctx, { enabled: false });
    const email = address('unscreened');
    const checks = await count(ctx, 'fraud_checks');
    const { res } = await signUp(email, TOR_IP);
    expect(res.status).toBe(303);
    expect((await userBy(email))?.status).toBe('active');
    expect(await count(ctx, 'fraud_checks')).toBe(checks);
  });
});

describe('a sign-up held for review', () => {
  it('creates an account that cannot sign in, tells the person so, and sends no welcome yet', async () => {
    const email = address('rita', 'review');
    const { res, browser } = await signUp(email, CLEAN_IP, 'Rita Review');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/register/review');
    expect(browser.cookies.has('sp_session')).toBe(false);
    await browser.get('/register/review');
    expect(browser.lastHtml).toContain('Your account is being reviewed');
    expect(browser.lastHtml).toContain("We'll email you");

    const user = (await userBy(email))!;
    expect(user.status).toBe('review');
    expect(await ctx.db.selectFrom('emails').select('id').where('to_address', '=', user.email).execute()).toEqual([]);
    const check = await checkFor(user.email);
    expect(check).toMatchObject({ status: 'review', user_id: user.id, organization_id: user.active_organization_id });

    const attempt = await signIn(user.email);
    expect(attempt.status).toBe(422);
    expect(attempt.html).toContain('This account is being reviewed');
  });

  it('can sign in once staff allow it, and the welcome email with its verification link goes out then', async () => {
    const email = address('rita', 'review');
    expect((await signUp(email, CLEAN_IP, 'Rita Review')).res.headers.get('location')).toBe('/register/review');
    const check = await checkFor(email);
    await admin.get('/admin/fraud');
    expect(admin.lastHtml).toContain(email);
    const res = await admin.post(
      `/admin/fraud/checks/${check.id}/decision`,
      { decision: 'allow' },
      { headers: { 'hx-request': 'true', 'hx-target': 'fraud-checks' } },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.trimStart().startsWith('<div id="fraud-checks"')).toBe(true);
    expect(html).toContain(`${email}: allowed.`);

    expect((await userBy(email))?.status).toBe('active');
    expect(await checkFor(email)).toMatchObject({ status: 'allowed', decided_by: adminId });
    const welcome = (await receivedEmail(ctx, email))!;
    expect(welcome.template).toBe('welcome');
    expect(welcome.text).toMatch(/\/verify-email\/[\w-]{40,}/);
    expect((await signIn(email)).status).toBe(303);

    const audit = await ctx.db
      .selectFrom('activity_log')
      .selectAll()
      .where('action', '=', 'admin.fraud_allowed')
      .where('target_id', '=', check.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_user_id: adminId, target_type: 'fraud_check', ip: '192.0.2.1' });
    expect(audit[0]!.details).toMatchObject({ subject: 'registration', user_id: check.user_id, user_status: 'active' });
  });

  it('is suspended when staff block it, and still cannot sign in', async () => {
    const email = address('sam', 'review');
    await signUp(email, CLEAN_IP, 'Sam Suspect');
    const check = await checkFor(email);
    const res = await admin.post(`/admin/fraud/checks/${check.id}/decision`, { decision: 'block' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/fraud');

    expect((await userBy(email))?.status).toBe('suspended');
    const attempt = await signIn(email);
    expect(attempt.html).toContain('This account is suspended');
    const audit = await ctx.db
      .selectFrom('activity_log')
      .select(['actor_user_id', 'details'])
      .where('action', '=', 'admin.fraud_blocked')
      .where('target_id', '=', check.id)
      .execute();
    expect(audit).toEqual([
      {
        actor_user_id: adminId,
        details: expect.objectContaining({ subject: 'registration', user_status: 'suspended' }),
      },
    ]);
  });

  it('cannot be decided twice', async () => {
    const email = address('sam', 'review');
    await signUp(email, CLEAN_IP, 'Sam Suspect');
    const check = await checkFor(email);
    expect((await admin.post(`/admin/fraud/checks/${check.id}/decision`, { decision: 'block' })).status).toBe(303);
    const res = await admin.post(
      `/admin/fraud/checks/${check.id}/decision`,
      { decision: 'allow' },
      { headers: { 'hx-request': 'true', 'hx-target': 'fraud-checks' } },
    );
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This check was already decided (blocked).');
    expect((await userBy(email))?.status).toBe('suspended');
    expect(await checkFor(email)).toMatchObject({ status: 'blocked' });
    expect(
      await ctx.db.selectFrom('activity_log').select('id').where('target_id', '=', check.id).execute(),
    ).toHaveLength(1);
  });
});

describe('the JSON API registration', () => {
  const register = (body: Record<string, string>, ip: string) =>
    ctx.app.request('/api/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(body),
    });

  it('is screened the same way: a refusal is a 403 and creates nothing', async () => {
    const email = address('api.tor');
    const users = await count(ctx, 'users');
    const res = await register({ name: 'Api Tor', email, password: PASSWORD }, TOR_IP);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: { code: 'registration_refused', message: expect.stringContaining('We could not open an account') },
    });
    expect(await count(ctx, 'users')).toBe(users);
    expect((await checkFor(email)).status).toBe('reject');
  });

  it('creates a held account that gets no access token until allowed', async () => {
    const email = address('api', 'review');
    const res = await register({ name: 'Api Held', email, password: PASSWORD }, CLEAN_IP);
    expect(res.status).toBe(201);
    expect((await userBy(email))?.status).toBe('review');
    const token = await ctx.app.request('/api/v1/auth/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': CLEAN_IP },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(token.status).toBe(403);
    expect((await token.json()).error.code).toBe('account_under_review');
  });
});
