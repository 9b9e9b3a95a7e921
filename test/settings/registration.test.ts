import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { updatePlatformSettings } from '../../src/domain/settings/platform.ts';
import { hashToken } from '../../src/lib/crypto.ts';
import { apiClient } from '../api/client.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { staffActor } from './helpers.ts';
import { createPerson, PASSWORD, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
let ada: Awaited<ReturnType<typeof createPerson>>;
let olga: Awaited<ReturnType<typeof createPerson>>;
const staff = () => staffActor(ada.id);

beforeAll(async () => {
  ctx = await createTestContext();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  olga = await createPerson(ctx, 'Olga Owner', { verified: true, email: uniqueEmail('Olga Owner') });
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('platform_settings').execute();
});

const close = () => updatePlatformSettings(ctx.deps, staff(), { registrationEnabled: false });
const userWith = (email: string) =>
  ctx.db.selectFrom('users').select(['id', 'status']).where('email', '=', email).executeTakeFirst();

/** An invitation from Olga's organization to `email`, its emailed token returned. */
async function invite(email: string, opts: { expired?: boolean } = {}) {
  const role = await ctx.db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', olga.organization.id)
    .where('name', '=', 'viewer')
    .executeTakeFirstOrThrow();
  const token = `inv${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('invitations')
    .values({
      organization_id: olga.organization.id,
      email,
      role_id: role.id,
      token_hash: hashToken(token),
      invited_by: olga.id,
      created_at: now,
      expires_at: new Date(now.getTime() + (opts.expired ? -1 : 1) * 86_400_000),
    })
    .execute();
  return token;
}

describe('registration open (the default)', () => {
  it('shows the form and opens accounts', async () => {
    const browser = new TestBrowser(ctx.app);
    const page = await browser.get('/register');
    expect(page.status).toBe(200);
    expect(browser.lastHtml).toContain('id="register-form"');
    const email = uniqueEmail('Nina New');
    expect((await browser.post('/register', { name: 'Nina New', email, password: PASSWORD })).status).toBe(303);
    expect((await userWith(email))?.status).toBe('active');
  });
});

describe('registration closed', () => {
  it('shows a page that says so, with no form', async () => {
    await close();
    const browser = new TestBrowser(ctx.app);
    const page = await browser.get('/register');
    expect(page.status).toBe(200);
    expect(browser.lastHtml).toContain('Registration is closed');
    expect(browser.lastHtml).not.toContain('id="register-form"');
    expect(browser.lastHtml).not.toContain('name="password"');
  });

  it('refuses a sign-up from the page (403, htmx sent to the page) and from the API (registration_closed)', async () => {
    const browser = new TestBrowser(ctx.app);
    await browser.get('/register');
    await close();
    const email = uniqueEmail('Late Comer');
    const res = await browser.post('/register', { name: 'Late Comer', email, password: PASSWORD });
    expect(res.status).toBe(403);
    expect(browser.lastHtml).toContain('Registration is closed');
    const hx = await browser.post(
      '/register',
      { name: 'Late Comer', email, password: PASSWORD },
      { headers: { 'hx-request': 'true', 'hx-target': 'register-form' } },
    );
    expect(hx.status).toBe(403);
    expect(hx.headers.get('hx-redirect')).toBe('/register');
    const api = await apiClient(ctx, '198.51.100.60')('POST', '/auth/register', {
      body: { name: 'Late Comer', email, password: PASSWORD },
    });
    expect(api.status).toBe(403);
    expect(api.body.error.code).toBe('registration_closed');
    expect(await userWith(email)).toBeUndefined();
  });

  it('still lets an invitee sign up with the invited address, from the invitation link and over the API', async () => {
    await close();
    const email = uniqueEmail('Ivy Invitee');
    const token = await invite(email);
    const browser = new TestBrowser(ctx.app);
    // Signed out, the invitation link leads to sign-in, whose "Create an account" keeps the way back.
    const link = await browser.get(`/invitations/${token}`);
    expect(link.status).toBe(303);
    await browser.get(link.headers.get('location')!);
    const next = `/invitations/${token}`;
    expect(browser.lastHtml).toContain(`href="/register?next=${encodeURIComponent(next)}"`);
    await browser.get(`/register?next=${encodeURIComponent(next)}`);
    expect(browser.lastHtml).toContain('id="register-form"');
    expect(browser.lastHtml).toContain(`value="${email}"`);
    const res = await browser.post('/register', { name: 'Ivy Invitee', email, password: PASSWORD, next });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(next);
    expect((await userWith(email))?.status).toBe('active');

    const apiEmail = uniqueEmail('Api Invitee');
    await invite(apiEmail);
    const api = await apiClient(ctx, '198.51.100.61')('POST', '/auth/register', {
      body: { name: 'Api Invitee', email: apiEmail, password: PASSWORD },
    });
    expect(api.status).toBe(201);
  });

  it('does not count an expired invitation, nor show the form for an unknown token', async () => {
    await close();
    const email = uniqueEmail('Eve Expired');
    const token = await invite(email, { expired: true });
    const browser = new TestBrowser(ctx.app);
    await browser.get(`/register?next=${encodeURIComponent(`/invitations/${token}`)}`);
    expect(browser.lastHtml).toContain('Registration is closed');
    await browser.get(`/register?next=${encodeURIComponent('/invitations/not-a-token')}`);
    expect(browser.lastHtml).toContain('Registration is closed');
    const res = await browser.post('/register', { name: 'Eve Expired', email, password: PASSWORD });
    expect(res.status).toBe(403);
    expect(await userWith(email)).toBeUndefined();
  });

  it('is open again once switched back on', async () => {
    await close();
    await updatePlatformSettings(ctx.deps, staff(), { registrationEnabled: true });
    const browser = new TestBrowser(ctx.app);
    await browser.get('/register');
    expect(browser.lastHtml).toContain('id="register-form"');
  });
});
