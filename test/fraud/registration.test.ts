import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';
import { count, CLEAN_IP, DEFAULT_FRAUD_SETTINGS, fraudContext, setFraudSettings, TOR_IP, VPN_IP } from './helpers.ts';

let ctx: TestContext;
let close: () => Promise<void>;
let admin: TestBrowser;
let adminId: string;
beforeAll(async () => {
  ({ ctx, close } = await fraudContext());
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
  adminId = ada.id;
  admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
});
afterAll(async () => close());
beforeEach(async () => setFraudSettings(ctx, DEFAULT_FRAUD_SETTINGS));

/** Signs up through the HTML form from `ip`. */
async function signUp(email: string, ip = CLEAN_IP, name = 'Someone New') {
  const browser = new TestBrowser(ctx.app, ip);
  await browser.get('/register');
  const res = await browser.post('/register', { name, email, password: PASSWORD });
  return { browser, res };
}

const checkFor = (email: string) => ctx.db.selectFrom('fraud_checks').selectAll().where('email', '=', email).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
const userBy = (email: string) => ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();

async function signIn(email: string) {
  const browser = new TestBrowser(ctx.app, CLEAN_IP);
  await browser.get('/login');
  const res = await browser.post('/login', { email, password: PASSWORD });
  return { status: res.status, html: browser.lastHtml };
}

describe('screening a sign-up', () => {
  it('lets a clean sign-up through and keeps its approved check, linked to the new account', async () => {
    const { res } = await signUp('clean@example.test');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const user = (await userBy('clean@example.test'))!;
    expect(user.status).toBe('active');
    const check = await checkFor('clean@example.test');
    expect(check).toMatchObject({ subject: 'registration', status: 'approve', score: 10, ip: CLEAN_IP, user_id: user.id, organization_id: user.active_organization_id });
    expect(check.provider_transaction_id).toMatch(/^\d{8}-[A-Z0-9]{6}$/);
  });

  it('refuses a sign-up from a Tor exit node with a clear message, writing nothing but the check', async () => {
    const before = await Promise.all((['users', 'organizations', 'wallets', 'emails'] as const).map((t) => count(ctx, t)));
    const { res, browser } = await signUp('tor.user@example.test', TOR_IP);
    expect(res.status).toBe(422);
    expect(browser.lastHtml).toContain('We could not open an account with these details');
    expect(browser.cookies.has('sp_session')).toBe(false);
    expect(await Promise.all((['users', 'organizations', 'wallets', 'emails'] as const).map((t) => count(ctx, t)))).toEqual(before);

    const check = await checkFor('tor.user@example.test');
    expect(check).toMatchObject({ status: 'reject', user_id: null, organization_id: null, ip: TOR_IP, score: 70 });
    expect(check.reasons).toContain('Tor exit node detected');
    // The customer is not told why; staff are. The API key is nowhere in what we kept.
    expect(browser.lastHtml).not.toContain('Tor');
    expect(JSON.stringify(check.details)).not.toContain('flp-test-key');
  });

  it('holds a Tor sign-up for review instead when staff stop blocking VPN, proxy and Tor (FraudLabs Pro says review)', async () => {
    await setFraudSettings(ctx, { blockProxyVpnTor: false, scoreThreshold: 100 });
    const { res } = await signUp('tor.allowed@example.test', TOR_IP);
    expect(res.headers.get('location')).toBe('/register/review');
    expect((await checkFor('tor.allowed@example.test')).status).toBe('review');
  });

  it('lets a VPN through when blocking VPN, proxy and Tor is off, and refuses it when on', async () => {
    expect((await signUp('vpn.one@example.test', VPN_IP)).res.status).toBe(422);
    expect((await checkFor('vpn.one@example.test')).reasons).toContain('VPN detected');
    await setFraudSettings(ctx, { blockProxyVpnTor: false });
    expect((await signUp('vpn.two@example.test', VPN_IP)).res.status).toBe(303);
    expect((await userBy('vpn.two@example.test'))?.status).toBe('active');
  });

  it('refuses a disposable email address while that is blocked, and accepts it when it is not', async () => {
    expect((await signUp('throwaway@mailinator.test')).res.status).toBe(422);
    expect(await userBy('throwaway@mailinator.test')).toBeUndefined();
    expect((await checkFor('throwaway@mailinator.test')).reasons).toContain('Disposable email address');

    await setFraudSettings(ctx, { blockDisposableEmail: false });
    expect((await signUp('throwaway@mailinator.test')).res.status).toBe(303);
    expect((await userBy('throwaway@mailinator.test'))?.status).toBe('active');
  });

  it('refuses a score at or above the threshold and holds the band from 50 below it', async () => {
    expect((await signUp('risky+score75@example.test')).res.status).toBe(422);
    expect((await checkFor('risky+score75@example.test')).reasons).toContain('Fraud score 75 is at or above the threshold 70');
    expect((await signUp('doubtful+score55@example.test')).res.headers.get('location')).toBe('/register/review');
  });

  it('does not screen, and writes no check, when screening is off', async () => {
    await setFraudSettings(ctx, { enabled: false });
    const checks = await count(ctx, 'fraud_checks');
    const { res } = await signUp('unscreened@example.test', TOR_IP);
    expect(res.status).toBe(303);
    expect(await count(ctx, 'fraud_checks')).toBe(checks);
  });
});

describe('a sign-up held for review', () => {
  it('creates an account that cannot sign in, tells the person so, and sends no welcome yet', async () => {
    const { res, browser } = await signUp('rita+review@example.test', CLEAN_IP, 'Rita Review');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/register/review');
    expect(browser.cookies.has('sp_session')).toBe(false);
    await browser.get('/register/review');
    expect(browser.lastHtml).toContain('Your account is being reviewed');
    expect(browser.lastHtml).toContain("We'll email you");

    const user = (await userBy('rita+review@example.test'))!;
    expect(user.status).toBe('review');
    expect(await ctx.db.selectFrom('emails').select('id').where('to_address', '=', user.email).execute()).toEqual([]);
    const check = await checkFor(user.email);
    expect(check).toMatchObject({ status: 'review', user_id: user.id, organization_id: user.active_organization_id });

    const attempt = await signIn(user.email);
    expect(attempt.status).toBe(422);
    expect(attempt.html).toContain('This account is being reviewed');
  });

  it('can sign in once staff allow it, and the welcome email with its verification link goes out then', async () => {
    const check = await checkFor('rita+review@example.test');
    await admin.get('/admin/fraud');
    expect(admin.lastHtml).toContain('rita+review@example.test');
    const res = await admin.post(`/admin/fraud/checks/${check.id}/decision`, { decision: 'allow' }, { headers: { 'hx-request': 'true', 'hx-target': 'fraud-checks' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.trimStart().startsWith('<div id="fraud-checks"')).toBe(true);
    expect(html).toContain('rita+review@example.test: allowed.');

    expect((await userBy('rita+review@example.test'))?.status).toBe('active');
    expect(await checkFor('rita+review@example.test')).toMatchObject({ status: 'allowed', decided_by: adminId });
    const welcome = await ctx.db.selectFrom('emails').selectAll().where('to_address', '=', 'rita+review@example.test').executeTakeFirstOrThrow();
    expect(welcome.template).toBe('welcome');
    expect(welcome.text).toMatch(/\/verify-email\/[\w-]{40,}/);
    expect((await signIn('rita+review@example.test')).status).toBe(303);

    const audit = await ctx.db.selectFrom('activity_log').selectAll().where('action', '=', 'admin.fraud_allowed').where('target_id', '=', check.id).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_user_id: adminId, target_type: 'fraud_check', ip: '192.0.2.1' });
    expect(audit[0]!.details).toMatchObject({ subject: 'registration', user_id: check.user_id, user_status: 'active' });
  });

  it('is suspended when staff block it, and still cannot sign in', async () => {
    await signUp('sam+review@example.test', CLEAN_IP, 'Sam Suspect');
    const check = await checkFor('sam+review@example.test');
    const res = await admin.post(`/admin/fraud/checks/${check.id}/decision`, { decision: 'block' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/fraud');

    expect((await userBy('sam+review@example.test'))?.status).toBe('suspended');
    const attempt = await signIn('sam+review@example.test');
    expect(attempt.html).toContain('This account is suspended');
    const audit = await ctx.db.selectFrom('activity_log').select(['actor_user_id', 'details']).where('action', '=', 'admin.fraud_blocked').where('target_id', '=', check.id).execute();
    expect(audit).toEqual([{ actor_user_id: adminId, details: expect.objectContaining({ subject: 'registration', user_status: 'suspended' }) }]);
  });

  it('cannot be decided twice', async () => {
    const check = await checkFor('sam+review@example.test');
    const res = await admin.post(`/admin/fraud/checks/${check.id}/decision`, { decision: 'allow' }, { headers: { 'hx-request': 'true', 'hx-target': 'fraud-checks' } });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('This check was already decided (blocked).');
    expect((await userBy('sam+review@example.test'))?.status).toBe('suspended');
    expect(await ctx.db.selectFrom('activity_log').select('id').where('target_id', '=', check.id).execute()).toHaveLength(1);
  });
});

describe('the JSON API registration', () => {
  const register = (body: Record<string, string>, ip: string) =>
    ctx.app.request('/api/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });

  it('is screened the same way: a refusal is a 403 and creates nothing', async () => {
    const users = await count(ctx, 'users');
    const res = await register({ name: 'Api Tor', email: 'api.tor@example.test', password: PASSWORD }, TOR_IP);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'registration_refused', message: expect.stringContaining('We could not open an account') } });
    expect(await count(ctx, 'users')).toBe(users);
    expect((await checkFor('api.tor@example.test')).status).toBe('reject');
  });

  it('creates a held account that gets no access token until allowed', async () => {
    const res = await register({ name: 'Api Held', email: 'api+review@example.test', password: PASSWORD }, CLEAN_IP);
    expect(res.status).toBe(201);
    const token = await ctx.app.request('/api/v1/auth/tokens', { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': CLEAN_IP }, body: JSON.stringify({ email: 'api+review@example.test', password: PASSWORD }) });
    expect(token.status).toBe(403);
    expect((await token.json()).error.code).toBe('account_under_review');
  });
});
