import { describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/domain/access/permissions.ts';
import { createApiKey } from '../../src/domain/api-keys/keys.ts';
import { getPlatformSettings } from '../../src/domain/settings/platform.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import type { TestContext } from '../helpers/context.ts';
import { settingsSuite, type Person } from './helpers.ts';

let ctx: TestContext, ada: Person, bob: Person, adminToken: string, call: ReturnType<typeof apiClient>;
settingsSuite('Bob Customer', async (w) => {
  ({ ctx, ada, other: bob } = w);
  call = apiClient(ctx, '198.51.100.70');
  adminToken = await tokenFor(ctx, ada.email, '198.51.100.70');
});

/** What each of Ada's `admin.settings_updated` records says changed. */
const settingsAudit = async () =>
  (
    await ctx.db
      .selectFrom('activity_log')
      .select('details')
      .where('action', '=', 'admin.settings_updated')
      .where('actor_user_id', '=', ada.id)
      .execute()
  ).map((a) => (a.details as { changed: string }).changed);

describe('GET /api/v1/admin/settings', () => {
  it('returns maintenance, registration, theme, billing values, branding, support, seller and the read-only server settings', async () => {
    const res = await call('GET', '/admin/settings', { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      maintenance: { enabled: false, message: expect.stringContaining('planned maintenance'), planned_end: null },
      registration_enabled: true,
      default_theme: 'sky',
      webhook_loopback_allowed: false,
      billing: {
        currency: 'USD',
        top_up_min: '5.00',
        top_up_max: '1000.00',
        top_up_presets: ['10.00', '25.00', '50.00', '100.00'],
        low_balance_threshold: expect.stringMatching(/^\d+\.\d{2}$/),
        dunning_suspend_after_hours: expect.any(Number),
        dunning_terminate_after_days: expect.any(Number),
      },
      branding: { name: 'SkyPanel', primary_color: null, footer_links: [], logo_url: null, favicon_url: null },
      support: { email: null, business_hours: '' },
      seller: { name: '', address: '', tax_id: '', email: '' },
      servers: { sales_enabled: true, rdns_base_domain: null },
      brand_name: 'SkyPanel',
    });
  });

  it("is refused to a customer's token (403) and an API key (403), and without a token (401)", async () => {
    const token = await tokenFor(ctx, bob.email, '198.51.100.71');
    expect((await call('GET', '/admin/settings', { token })).status).toBe(403);
    const key = await createApiKey(
      ctx.deps,
      {
        userId: bob.id,
        isPlatformAdmin: false,
        organizationId: bob.organization.id,
        roleName: 'owner',
        permissions: new Set(PERMISSIONS),
        impersonatorUserId: null,
        apiKeyId: null,
        origin: { ip: '192.0.2.1', userAgent: null },
      },
      { name: 'ci', organization_id: bob.organization.id, permissions: ['notes_view'] },
    );
    expect((await call('GET', '/admin/settings', { token: key.key })).status).toBe(403);
    expect((await call('PATCH', '/admin/settings', { token, body: { registration_enabled: false } })).status).toBe(403);
    expect((await call('GET', '/admin/settings')).status).toBe(401);
    expect((await getPlatformSettings(ctx.db)).registrationEnabled).toBe(true);
  });
});

describe('PATCH /api/v1/admin/settings', () => {
  it('changes only the fields sent, and the change takes effect at once', async () => {
    const end = new Date(ctx.clock.now().getTime() + 90 * 60_000);
    const res = await call('PATCH', '/admin/settings', {
      token: adminToken,
      body: {
        maintenance: { enabled: true, message: 'Back soon.', planned_end: end.toISOString() },
        registration_enabled: false,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.maintenance).toEqual({ enabled: true, message: 'Back soon.', planned_end: end.toISOString() });
    expect(res.body.registration_enabled).toBe(false);
    const customer = await tokenFor(ctx, bob.email, '198.51.100.72');
    const refused = await call('POST', '/notes', { token: customer, body: { body: 'x' } });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('maintenance');

    // Only what is sent changes: the message and planned end stay.
    const off = await call('PATCH', '/admin/settings', {
      token: adminToken,
      body: { maintenance: { enabled: false } },
    });
    expect(off.body.maintenance).toEqual({ enabled: false, message: 'Back soon.', planned_end: end.toISOString() });
    expect(off.body.registration_enabled).toBe(false);
    expect((await call('POST', '/notes', { token: customer, body: { body: 'x' } })).status).toBe(201);

    const audit = await settingsAudit();
    // Both at the test clock's one instant: compared as a set.
    expect(audit.sort()).toEqual([
      'maintenance_enabled',
      'maintenance_enabled, maintenance_message, maintenance_planned_end, registration_enabled',
    ]);
  });

  it('allows webhooks to loopback (development) and takes it back: the webhook API follows at once', async () => {
    const owner = await tokenFor(ctx, bob.email, '198.51.100.73');
    const create = () =>
      call('POST', '/webhooks', {
        token: owner,
        body: { url: 'http://127.0.0.1:9099/hook', events: ['vps.created'] },
      });
    const before = await create();
    expect(before.status).toBe(422);
    expect(Object.keys(before.body.error.fields)).toContain('url');

    const on = await call('PATCH', '/admin/settings', { token: adminToken, body: { webhook_loopback_allowed: true } });
    expect(on.status).toBe(200);
    expect(on.body.webhook_loopback_allowed).toBe(true);
    expect((await getPlatformSettings(ctx.db)).webhookLoopbackAllowed).toBe(true);
    expect((await create()).status).toBe(201);

    const off = await call('PATCH', '/admin/settings', {
      token: adminToken,
      body: { webhook_loopback_allowed: false },
    });
    expect(off.body.webhook_loopback_allowed).toBe(false);
    expect((await create()).status).toBe(422);
    const audit = await settingsAudit();
    expect(audit).toContain('webhook_loopback_allowed');

    const refused = await call('PATCH', '/admin/settings', {
      token: adminToken,
      body: { webhook_loopback_allowed: 'yes' },
    });
    expect(refused.status).toBe(422);
    expect(Object.keys(refused.body.error.fields)).toContain('webhook_loopback_allowed');
  });

  it('refuses bad input with 422 naming the field, and changes nothing', async () => {
    const past = new Date(ctx.clock.now().getTime() - 60_000).toISOString();
    for (const [body, field] of [
      [{ maintenance: { enabled: true, planned_end: past } }, 'maintenance.planned_end'],
      [{ maintenance: { enabled: true, message: 'x'.repeat(1001) } }, 'maintenance.message'],
      [{ maintenance: { enabled: 'yes' } }, 'maintenance.enabled'],
      [{ registration_enabled: 'off' }, 'registration_enabled'],
      [{ branding: { logo_file: 'X' } }, ''],
      [{ brand: { name: 'X' } }, ''],
    ] as const) {
      const res = await call('PATCH', '/admin/settings', { token: adminToken, body });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      if (field) expect(Object.keys(res.body.error.fields)).toContain(field);
    }
    const s = await getPlatformSettings(ctx.db);
    expect(s.maintenance.enabled).toBe(false);
    expect(s.registrationEnabled).toBe(true);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await call('GET', '/openapi.json');
    expect(doc.body.paths['/admin/settings'].get.operationId).toBe('adminGetSettings');
    expect(doc.body.paths['/admin/settings'].patch.operationId).toBe('adminUpdateSettings');
  });
});
