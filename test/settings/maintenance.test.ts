import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/domain/access/permissions.ts';
import { createApiKey } from '../../src/domain/api-keys/keys.ts';
import { createAnnouncement } from '../../src/domain/announcements/announcements.ts';
import { getPlatformSettings, updatePlatformSettings } from '../../src/domain/settings/platform.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { TestBrowser as Browser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { staffActor } from './helpers.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
let ada: Awaited<ReturnType<typeof createPerson>>;
let bob: Awaited<ReturnType<typeof createPerson>>;
const staff = () => staffActor(ada.id);

beforeAll(async () => {
  ctx = await createTestContext();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  bob = await createPerson(ctx, 'Bob Customer', { verified: true, email: uniqueEmail('Bob Customer') });
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('platform_settings').execute();
});

const inAnHour = () => new Date(ctx.clock.now().getTime() + 3600_000);
async function maintenanceOn(plannedEnd: Date | null = inAnHour()) {
  return updatePlatformSettings(ctx.deps, staff(), {
    maintenanceEnabled: true,
    maintenanceMessage: 'Moving to a bigger database. Back soon.',
    maintenancePlannedEnd: plannedEnd,
  });
}
const notesOf = (userId: string) =>
  ctx.db.selectFrom('notes').select('body').where('created_by', '=', userId).execute();

async function customerBrowser(): Promise<TestBrowser> {
  const b = await signedIn(ctx, bob.email);
  await b.get('/notes');
  return b;
}

describe('maintenance mode in the HTML app', () => {
  it('refuses a customer form with the 503 page, its message, planned end and Retry-After', async () => {
    const browser = await customerBrowser();
    const end = inAnHour();
    await maintenanceOn(end);
    const res = await browser.post('/notes', { body: 'during maintenance' });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    const html = await res.text();
    expect(html).toContain('Maintenance in progress');
    expect(html).toContain('Moving to a bigger database. Back soon.');
    expect(html).toContain(`datetime="${end.toISOString()}"`);
    expect(html).toContain('Your change was not saved');
    expect(await notesOf(bob.id)).toEqual([]);
  });

  it('sends an htmx post to the maintenance page (HX-Redirect), which says the same', async () => {
    const browser = await customerBrowser();
    await maintenanceOn(null);
    const res = await browser.post('/notes', { body: 'htmx' }, { headers: { 'hx-request': 'true' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('hx-redirect')).toBe('/maintenance');
    expect(res.headers.get('retry-after')).toBe('300');
    const page = await browser.get('/maintenance');
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('300');
    expect(await page.text()).toContain('Moving to a bigger database. Back soon.');
    expect(await notesOf(bob.id)).toEqual([]);
  });

  it('keeps reads, sign-in and sign-out working', async () => {
    await maintenanceOn();
    const browser = new Browser(ctx.app);
    await browser.get('/login');
    const login = await browser.post('/login', { email: bob.email, password: PASSWORD });
    expect(login.status).toBe(303);
    expect((await browser.get('/notes')).status).toBe(200);
    expect((await browser.get('/dashboard')).status).toBe(200);
    expect((await browser.post('/logout')).status).toBe(303);
    expect((await browser.get('/notes')).status).toBe(303);
  });

  it('lets a customer dismiss an announcement (nothing of theirs changes but the banner)', async () => {
    const notice = await createAnnouncement(ctx.deps, staff(), {
      title: 'Database move tonight',
      severity: 'warning',
      audience: 'everyone',
      dismissable: true,
    });
    await maintenanceOn();
    const browser = await customerBrowser();
    expect(browser.lastHtml).toContain('Database move tonight');
    const res = await browser.post(`/announcements/${notice.id}/dismiss`, { back: '/notes' });
    expect(res.status).toBe(303);
    expect((await browser.get('/notes')).status).toBe(200);
    expect(browser.lastHtml).not.toContain('Database move tonight');
    // Any other write is still refused.
    expect((await browser.post('/notes', { body: 'no' })).status).toBe(503);
  });

  it('refuses registration', async () => {
    await maintenanceOn();
    const browser = new Browser(ctx.app);
    await browser.get('/register');
    const email = uniqueEmail('Newcomer');
    const res = await browser.post('/register', { name: 'Newcomer', email, password: PASSWORD });
    expect(res.status).toBe(503);
    expect(await ctx.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
  });

  it('lets platform staff write, but not while impersonating a customer', async () => {
    const admin = await signedIn(ctx, ada.email);
    await maintenanceOn();
    await admin.get('/notes');
    expect((await admin.post('/notes', { body: 'staff note' })).status).toBe(303);
    expect(await notesOf(ada.id)).toEqual([{ body: 'staff note' }]);

    await admin.get(`/admin/users/${bob.id}`);
    const start = await admin.post(`/admin/users/${bob.id}/impersonation`, { password: PASSWORD });
    expect(start.status).toBe(303);
    await admin.get('/notes');
    expect((await admin.post('/notes', { body: 'as bob' })).status).toBe(503);
    expect(await notesOf(bob.id)).toEqual([]);
    // Stopping the impersonation is never refused.
    expect((await admin.post('/impersonation', {}, { method: 'DELETE' })).status).toBeLessThan(400);
    await admin.get('/admin');
    expect((await admin.post('/notes', { body: 'back as staff' })).status).toBe(303);
  });

  it('lets writes through again once it is off', async () => {
    const browser = await customerBrowser();
    await maintenanceOn();
    expect((await browser.post('/notes', { body: 'refused' })).status).toBe(503);
    await updatePlatformSettings(ctx.deps, staff(), { maintenanceEnabled: false });
    expect((await browser.post('/notes', { body: 'accepted' })).status).toBe(303);
    expect(await notesOf(bob.id)).toEqual([{ body: 'accepted' }]);
    await ctx.db.deleteFrom('notes').where('created_by', '=', bob.id).execute();
    expect((await browser.get('/maintenance')).status).toBe(200);
  });
});

describe('maintenance mode in the JSON API', () => {
  const call = () => apiClient(ctx, '198.51.100.40');

  it('refuses writes by an access token and by an API key with 503 `maintenance` and Retry-After; reads go on', async () => {
    const token = await tokenFor(ctx, bob.email, '198.51.100.40');
    const key = await createApiKey(
      ctx.deps,
      {
        ...staff(),
        userId: bob.id,
        isPlatformAdmin: false,
        organizationId: bob.organization.id,
        roleName: 'owner',
        permissions: new Set(PERMISSIONS),
      },
      { name: 'ci', organization_id: bob.organization.id, permissions: ['notes_view', 'notes_manage'] },
    );
    const end = inAnHour();
    await maintenanceOn(end);
    for (const credential of [token, key.key]) {
      const res = await call()('POST', '/notes', { token: credential, body: { body: 'via api' } });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(3500);
      expect(res.body).toEqual({
        error: {
          code: 'maintenance',
          message: 'Moving to a bigger database. Back soon.',
          planned_end: end.toISOString(),
        },
      });
      expect((await call()('GET', '/notes', { token: credential })).status).toBe(200);
    }
    expect(await notesOf(bob.id)).toEqual([]);
  });

  it('still issues and revokes access tokens, and refuses registration', async () => {
    await maintenanceOn();
    const token = await tokenFor(ctx, bob.email, '198.51.100.41');
    expect((await call()('DELETE', '/auth/tokens/current', { token })).status).toBe(204);
    const email = uniqueEmail('Api Newcomer');
    const reg = await call()('POST', '/auth/register', { body: { name: 'Api Newcomer', email, password: PASSWORD } });
    expect(reg.status).toBe(503);
    expect(reg.body.error.code).toBe('maintenance');
  });

  it("lets a platform admin's own access token write", async () => {
    await maintenanceOn();
    const token = await tokenFor(ctx, ada.email, '198.51.100.42');
    const res = await call()('POST', '/notes', { token, body: { body: 'staff via api' } });
    expect(res.status).toBe(201);
    await ctx.db.deleteFrom('notes').where('created_by', '=', ada.id).execute();
  });
});

describe('what maintenance mode leaves alone', () => {
  it('PayPal webhooks are still received (their signature decides, not maintenance)', async () => {
    await maintenanceOn();
    const res = await ctx.app.request('/webhooks/paypal', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.50' },
      body: JSON.stringify({ id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} }),
    });
    expect(res.status).not.toBe(503);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('/ready reports the same with maintenance on as off', async () => {
    const before = await ctx.app.request('/ready');
    await maintenanceOn();
    const during = await ctx.app.request('/ready');
    expect(during.status).toBe(before.status);
    expect((await during.json()).checks).toEqual((await before.json()).checks);
  });

  it('the setting is cached per process and a write is seen at once', async () => {
    expect((await getPlatformSettings(ctx.db, { cache: ctx.deps.cache })).maintenance.enabled).toBe(false);
    await maintenanceOn();
    expect((await getPlatformSettings(ctx.db, { cache: ctx.deps.cache })).maintenance.enabled).toBe(true);
  });
});
