import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, tokenFor } from '../api/client.ts';
import { keyFor } from '../api-keys/helpers.ts';
import { settledTopUp } from '../billing/payments.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { emailIds, recipients } from './helpers.ts';

/** Notification preferences: Settings → Notifications and GET|PUT /api/v1/me/notification-preferences. */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
});
afterAll(async () => ctx.close());

let ipSeq = 10;
const ip = () => `198.51.100.${ipSeq++}`;
const person = (name: string) => createPerson(ctx, name, { email: uniqueEmail(name), verified: true });
const prefsOf = async (userId: string) =>
  ctx.db
    .selectFrom('users')
    .select(['notify_billing', 'notify_maintenance', 'notify_general'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();

describe('Settings → Notifications', () => {
  it('shows the three categories ticked, says security mail is always sent, and is linked from the settings tabs', async () => {
    const pat = await person('Pat Prefs');
    const browser = await signedIn(ctx, pat.email, PASSWORD, ip());
    const res = await browser.get('/settings/notifications');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<title>Notifications · SkyPanel</title>');
    for (const name of ['billing', 'maintenance', 'general'])
      expect(html).toMatch(new RegExp(`name="${name}"[^>]* checked`));
    expect(html).toContain('Security emails');
    expect(html).toContain('always sent');
    expect(html).toContain('href="/settings/notifications"');
  });

  it('saves unticked boxes with CSRF, answers 303 back with a flash, and billing mail then stops while security mail does not', async () => {
    const pat = await person('Pam Quiet');
    const browser = await signedIn(ctx, pat.email, PASSWORD, ip());
    await browser.get('/settings/notifications');
    const res = await browser.post('/settings/notifications', { maintenance: 'on' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/settings/notifications');
    expect(await prefsOf(pat.id)).toEqual({ notify_billing: false, notify_maintenance: true, notify_general: false });
    const page = await (await browser.get('/settings/notifications')).text();
    expect(page).toContain('Your notification preferences are saved.');
    expect(page).not.toMatch(/name="billing"[^>]* checked/);
    expect(page).toMatch(/name="maintenance"[^>]* checked/);

    // She owns her organization: its top-up receipt no longer reaches her.
    const before = await emailIds(ctx.db);
    await settledTopUp(ctx.deps, pat.organization.id, 10_000_000n);
    expect(await recipients(ctx.db, before, 'top_up_receipt', [pat.email])).toEqual([]);

    // Ticked again, it does.
    await browser.post('/settings/notifications', { billing: 'on', maintenance: 'on', general: 'on' });
    await settledTopUp(ctx.deps, pat.organization.id, 10_000_000n);
    expect(await recipients(ctx.db, before, 'top_up_receipt', [pat.email])).toEqual([pat.email]);
  });

  it('refuses a save without the CSRF token and changes nothing', async () => {
    const pat = await person('Pia Csrf');
    const browser = await signedIn(ctx, pat.email, PASSWORD, ip());
    await browser.get('/settings/notifications');
    const res = await browser.post('/settings/notifications', {}, { csrf: false });
    expect(res.status).toBe(403);
    expect(await prefsOf(pat.id)).toEqual({ notify_billing: true, notify_maintenance: true, notify_general: true });
  });
});

describe('GET|PUT /api/v1/me/notification-preferences', () => {
  it('reads and saves the three booleans', async () => {
    const ann = await person('Ann Api');
    const at = ip();
    const api = apiClient(ctx, at);
    const token = await tokenFor(ctx, ann.email, at);
    expect(await api('GET', '/me/notification-preferences', { token })).toMatchObject({
      status: 200,
      body: { billing: true, maintenance: true, general: true },
    });
    const put = await api('PUT', '/me/notification-preferences', {
      token,
      body: { billing: false, maintenance: true, general: false, is_admin: true },
    });
    expect(put).toMatchObject({ status: 200, body: { billing: false, maintenance: true, general: false } });
    expect(await prefsOf(ann.id)).toEqual({ notify_billing: false, notify_maintenance: true, notify_general: false });
    expect((await api('GET', '/me/notification-preferences', { token })).body).toEqual({
      billing: false,
      maintenance: true,
      general: false,
      // The bell's categories (issue 14) beside them, untouched by a body without `in_app`.
      in_app: { servers: true, billing: true, team: true, maintenance: true, general: true },
      // Only platform staff choose their support-ticket emails.
      support_email: null,
    });
  });

  it('answers a bad body with the error envelope and 422, naming the field, and changes nothing', async () => {
    const ben = await person('Ben Bad');
    const at = ip();
    const api = apiClient(ctx, at);
    const token = await tokenFor(ctx, ben.email, at);
    const missing = await api('PUT', '/me/notification-preferences', { token, body: { billing: false } });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'validation_failed' });
    expect(Object.keys(missing.body.error.fields).sort()).toEqual(['general', 'maintenance']);
    const wrong = await api('PUT', '/me/notification-preferences', {
      token,
      body: { billing: 'no', maintenance: true, general: true },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.fields).toHaveProperty('billing');
    const notJson = await api('PUT', '/me/notification-preferences', { token, body: '{"billing":' });
    expect(notJson.status).toBe(400);
    expect(await prefsOf(ben.id)).toEqual({ notify_billing: true, notify_maintenance: true, notify_general: true });
  });

  it('an API key may read them but not change them (403); no token is 401', async () => {
    const kim = await person('Kim Key');
    const at = ip();
    const api = apiClient(ctx, at);
    const { key } = await keyFor(ctx, kim.email, at, {
      organization_id: kim.organization.id,
      permissions: ['notes_view'],
    });
    expect((await api('GET', '/me/notification-preferences', { token: key })).status).toBe(200);
    const put = await api('PUT', '/me/notification-preferences', {
      token: key,
      body: { billing: false, maintenance: false, general: false },
    });
    expect(put.status).toBe(403);
    expect((await api('GET', '/me/notification-preferences')).status).toBe(401);
    expect(await prefsOf(kim.id)).toEqual({ notify_billing: true, notify_maintenance: true, notify_general: true });
  });

  it('is in the OpenAPI document', async () => {
    const doc = await apiClient(ctx, ip())('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths['/me/notification-preferences'])).toEqual(['get', 'put']);
  });
});
