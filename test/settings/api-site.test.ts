import { describe, expect, it } from 'vitest';
import { getBillingValues } from '../../src/domain/settings/billing-policy.ts';
import { getPlatformSettings } from '../../src/domain/settings/platform.ts';
import { getSiteSettings } from '../../src/domain/settings/site.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import type { TestContext } from '../helpers/context.ts';

import { PNG } from './images.ts';
import { settingsSuite, type Person } from './helpers.ts';

let ctx: TestContext, ada: Person, bob: Person, adminToken: string, call: ReturnType<typeof apiClient>;
const { auditDetails: audits, mark } = settingsSuite('Bob Customer', async (w) => {
  ({ ctx, ada, other: bob } = w);
  call = apiClient(ctx, '198.51.100.80');
  adminToken = await tokenFor(ctx, ada.email, '198.51.100.80');
});

describe('PATCH /api/v1/admin/settings: branding, support, seller, billing', () => {
  it('saves each group, answers the settings as saved, and audits only what changed', async () => {
    const res = await call('PATCH', '/admin/settings', {
      token: adminToken,
      body: {
        branding: {
          name: 'Acme Cloud',
          primary_color: '#0F766E',
          footer_links: [
            { label: 'Status', url: '/status' },
            { label: 'Company', url: 'https://example.com/' },
          ],
        },
        support: { email: 'help@acme.example', business_hours: 'Mon–Fri 09:00–17:00 UTC' },
        seller: {
          name: 'Acme Cloud Ltd',
          address: '1 Example Street\nLondon',
          tax_id: 'GB123456789',
          email: 'billing@acme.example',
        },
        billing: {
          top_up_min: '2.50',
          top_up_max: '500',
          top_up_presets: ['20', '5.00', '100'],
          low_balance_threshold: '12.00',
          dunning_suspend_after_hours: 48,
          dunning_terminate_after_days: 10,
        },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      brand_name: 'Acme Cloud',
      branding: {
        name: 'Acme Cloud',
        primary_color: '#0f766e',
        footer_links: [
          { label: 'Status', url: '/status' },
          { label: 'Company', url: 'https://example.com/' },
        ],
        logo_url: null,
        favicon_url: null,
      },
      support: { email: 'help@acme.example', business_hours: 'Mon–Fri 09:00–17:00 UTC' },
      seller: {
        name: 'Acme Cloud Ltd',
        address: '1 Example Street\nLondon',
        tax_id: 'GB123456789',
        email: 'billing@acme.example',
      },
      billing: {
        currency: 'USD',
        top_up_min: '2.50',
        top_up_max: '500.00',
        top_up_presets: ['5.00', '20.00', '100.00'],
        low_balance_threshold: '12.00',
        dunning_suspend_after_hours: 48,
        dunning_terminate_after_days: 10,
      },
    });
    expect((await call('GET', '/admin/settings', { token: adminToken })).body).toEqual(res.body);
    expect(await getBillingValues(ctx.db, ctx.deps.config)).toMatchObject({
      topUpMin: 2_500_000n,
      topUpPresets: [5_000_000n, 20_000_000n, 100_000_000n],
      lowBalanceThreshold: 12_000_000n,
      dunningSuspendAfterHours: 48,
      dunningTerminateAfterDays: 10,
    });
    const a = await audits();
    expect(a.map((d) => d.setting).sort()).toEqual(['billing', 'site']);
    expect(a.find((d) => d.setting === 'billing')).toMatchObject({
      changed:
        'top_up_min, top_up_max, top_up_presets, low_balance_threshold, dunning_suspend_after_hours, dunning_terminate_after_days',
      top_up_min: '2.50',
      top_up_min_before: '5.00',
      dunning_suspend_after_hours: 48,
    });
    expect(a.find((d) => d.setting === 'site')).toMatchObject({
      changed:
        'brand_name, primary_color, footer_links, support_email, business_hours, seller_name, seller_address, seller_tax_id, seller_email',
      support_email: 'help@acme.example',
      support_email_before: null,
    });

    // Only the fields sent change; the same values again record nothing.
    await mark();
    const again = await call('PATCH', '/admin/settings', {
      token: adminToken,
      body: { branding: { name: null }, billing: { low_balance_threshold: '12.00' } },
    });
    expect(again.status).toBe(200);
    expect(again.body.branding.name).toBe('SkyPanel');
    expect(again.body.support.email).toBe('help@acme.example');
    expect((await audits()).map((d) => d.changed)).toEqual(['brand_name']);
  });

  it('refuses bad input with the envelope naming the field, and a refusal in one part changes nothing anywhere', async () => {
    for (const [body, field] of [
      [{ branding: { primary_color: 'red' } }, 'branding.primary_color'],
      [{ branding: { footer_links: [{ label: 'x', url: 'javascript:alert(1)' }] } }, 'branding.footer_links.0.url'],
      [{ branding: { footer_links: [{ label: 'x', url: '//evil.example' }] } }, 'branding.footer_links.0.url'],
      [
        { branding: { footer_links: Array.from({ length: 9 }, () => ({ label: 'a', url: '/a' })) } },
        'branding.footer_links',
      ],
      [{ support: { email: 'not an address' } }, 'support.email'],
      [{ seller: { email: 'nope' } }, 'seller.email'],
      [{ billing: { top_up_min: '10', top_up_max: '5' } }, 'billing.top_up_max'],
      [{ billing: { top_up_min: '-1' } }, 'billing.top_up_min'],
      [{ billing: { top_up_presets: ['5000'] } }, 'billing.top_up_presets'],
      [{ billing: { low_balance_threshold: '1.234' } }, 'billing.low_balance_threshold'],
      [
        { billing: { dunning_suspend_after_hours: 150, dunning_terminate_after_days: 7 } },
        'billing.dunning_suspend_after_hours',
      ],
      [{ billing: { dunning_terminate_after_days: 1 } }, 'billing.dunning_terminate_after_days'],
      [{ billing: { currency: 'EUR' } }, ''],
      // A good change beside a bad one: nothing is saved.
      [
        { maintenance: { enabled: true }, branding: { name: 'Saved?' }, billing: { top_up_presets: ['abc'] } },
        'billing.top_up_presets',
      ],
    ] as const) {
      const res = await call('PATCH', '/admin/settings', { token: adminToken, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      if (field) expect(Object.keys(res.body.error.fields)).toContain(field);
    }
    expect((await getPlatformSettings(ctx.db)).maintenance.enabled).toBe(false);
    expect(await getSiteSettings(ctx.db)).toMatchObject({
      brandName: 'SkyPanel',
      primaryColor: null,
      footerLinks: [],
      supportEmail: null,
    });
    expect(await getBillingValues(ctx.db, ctx.deps.config)).toMatchObject({
      topUpMin: 5_000_000n,
      topUpMax: 1_000_000_000n,
    });
    expect(await audits()).toEqual([]);
  });

  it('uploads the logo and favicon as multipart (checked by content), serves them, and removes them with PATCH null', async () => {
    const put = (which: string, name: string, bytes: Uint8Array, token = adminToken) => {
      const form = new FormData();
      form.set('file', new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
      return ctx.app.request(`/api/v1/admin/settings/branding/${which}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '198.51.100.80' },
        body: form,
      });
    };
    const html = new TextEncoder().encode('<!doctype html><script>alert(1)</script>');
    const refused = await put('logo', 'logo.png', html);
    expect(refused.status).toBe(422);
    expect(Object.keys(((await refused.json()) as { error: { fields: object } }).error.fields)).toEqual([
      'branding.logo',
    ]);
    const json = await ctx.app.request('/api/v1/admin/settings/branding/favicon', {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        'x-forwarded-for': '198.51.100.80',
      },
      body: '{}',
    });
    expect(json.status).toBe(415);
    const empty = new FormData();
    empty.set('other', 'x');
    const none = await ctx.app.request('/api/v1/admin/settings/branding/favicon', {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'x-forwarded-for': '198.51.100.80' },
      body: empty,
    });
    expect(none.status).toBe(422);
    const customer = await tokenFor(ctx, bob.email, '198.51.100.82');
    expect((await put('logo', 'logo.png', PNG, customer)).status).toBe(403);
    expect((await getSiteSettings(ctx.db)).logoFileId).toBeNull();

    const ok = await put('logo', 'logo.png', PNG);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { branding: { logo_url: string | null } };
    expect(body.branding.logo_url).toMatch(/^\/branding\/logo\?v=[0-9a-f]{8}$/);
    const img = await ctx.app.request(body.branding.logo_url!);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect((await put('favicon', 'icon.png', PNG)).status).toBe(200);
    expect((await audits()).map((d) => d.changed)).toEqual(['logo', 'favicon']);

    const removed = await call('PATCH', '/admin/settings', {
      token: adminToken,
      body: { branding: { logo: null, favicon: null } },
    });
    expect(removed.status).toBe(200);
    expect(removed.body.branding).toMatchObject({ logo_url: null, favicon_url: null });
    expect((await ctx.app.request('/branding/logo')).status).toBe(404);
  });

  it("is refused to a customer's token (403)", async () => {
    const token = await tokenFor(ctx, bob.email, '198.51.100.81');
    const res = await call('PATCH', '/admin/settings', { token, body: { branding: { name: 'Mine' } } });
    expect(res.status).toBe(403);
    expect((await getSiteSettings(ctx.db)).brandName).toBe('SkyPanel');
  });

  it('is documented: the new groups in the OpenAPI schemas', async () => {
    const doc = await call('GET', '/openapi.json');
    const schemas = doc.body.components.schemas;
    expect(Object.keys(schemas.PlatformSettings.properties)).toEqual(
      expect.arrayContaining(['branding', 'support', 'seller', 'billing']),
    );
    expect(Object.keys(schemas.PlatformSettingsPatch.properties)).toEqual(
      expect.arrayContaining(['branding', 'support', 'seller', 'billing']),
    );
  });
});
