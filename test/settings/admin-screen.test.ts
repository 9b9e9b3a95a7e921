import { describe, expect, it } from 'vitest';
import { getPlatformSettings } from '../../src/domain/settings/platform.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { settingsSuite, type Person } from './helpers.ts';

let ctx: TestContext, ada: Person, bob: Person, admin: TestBrowser;
const { audits } = settingsSuite('Bob Customer', async (w) => {
  ({ ctx, ada, other: bob } = w);
  admin = await signedIn(ctx, ada.email);
});
const inTwoHours = () => new Date(ctx.clock.now().getTime() + 2 * 3600_000).toISOString().slice(0, 16);

describe('/admin/platform-settings', () => {
  it('shows the defaults, linked from the admin sidebar', async () => {
    const res = await admin.get('/admin/platform-settings');
    expect(res.status).toBe(200);
    expect(admin.lastHtml).toContain('<title>Platform settings · SkyPanel</title>');
    expect(admin.lastHtml).toContain('href="/admin/platform-settings"');
    expect(admin.lastHtml).toMatch(/name="registrationEnabled" checked/);
    expect(admin.lastHtml).not.toMatch(/name="maintenanceEnabled" checked/);
  });

  it('turns maintenance on with a message and planned end, audited with what changed, and the banner says so', async () => {
    await admin.get('/admin/platform-settings');
    const end = inTwoHours();
    const res = await admin.post('/admin/platform-settings', {
      maintenanceEnabled: 'on',
      maintenanceMessage: 'Database upgrade.',
      maintenancePlannedEnd: end,
      registrationEnabled: 'on',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/platform-settings');
    const s = await getPlatformSettings(ctx.db);
    expect(s.maintenance).toEqual({
      enabled: true,
      message: 'Database upgrade.',
      plannedEnd: new Date(`${end}:00Z`),
    });
    expect(s.registrationEnabled).toBe(true);
    expect(await audits()).toEqual([
      {
        actor_user_id: ada.id,
        details: {
          setting: 'platform',
          changed: 'maintenance_enabled, maintenance_message, maintenance_planned_end',
          maintenance_enabled: true,
          maintenance_enabled_before: false,
          maintenance_message: 'Database upgrade.',
          maintenance_message_before: expect.stringContaining('planned maintenance'),
          maintenance_planned_end: new Date(`${end}:00Z`).toISOString(),
          maintenance_planned_end_before: null,
        },
      },
    ]);
    await admin.get('/admin/platform-settings');
    expect(admin.lastHtml).toContain('Maintenance mode is on');
    expect(admin.lastHtml).toContain(`value="${end}"`);
    // Every page carries the banner while maintenance is on: staff read what customers cannot do.
    const banner = await admin.get('/admin');
    expect(banner.status).toBe(200);
    const staffText = await banner.text();
    expect(staffText).toContain('id="maintenance-banner"');
    expect(staffText).toContain('customers cannot make changes');
    expect(staffText).toContain('href="/admin/platform-settings"');
    const customer = await signedIn(ctx, bob.email);
    const theirs = await (await customer.get('/dashboard')).text();
    expect(theirs).toContain('Maintenance in progress.');
    expect(theirs).toContain('Database upgrade.');
    expect(theirs).toContain('id="maintenance-banner"');
    expect(theirs).not.toContain('href="/admin/platform-settings"');
  });

  it('answers bad input with 422, the form and what was typed, and changes nothing', async () => {
    await admin.get('/admin/platform-settings');
    const long = 'x'.repeat(1001);
    for (const [values, field] of [
      [{ maintenancePlannedEnd: 'next tuesday', maintenanceMessage: 'typed message' }, 'maintenancePlannedEnd'],
      [{ maintenancePlannedEnd: '2001-01-01T00:00', maintenanceMessage: 'typed message' }, 'maintenancePlannedEnd'],
      [{ maintenanceMessage: long }, 'maintenanceMessage'],
    ] as const) {
      const res = await admin.post('/admin/platform-settings', { maintenanceEnabled: 'on', ...values });
      expect(res.status).toBe(422);
      const html = admin.lastHtml;
      expect(html).toContain('id="platform-settings"');
      expect(html).toContain(`id="e-${field}"`);
      expect(html).toMatch(/name="maintenanceEnabled" checked/);
      if ('maintenancePlannedEnd' in values) {
        expect(html).toContain('typed message');
        expect(html).toContain(`value="${values.maintenancePlannedEnd}"`);
      }
    }
    // htmx gets the form alone.
    const hx = await admin.post(
      '/admin/platform-settings',
      { maintenancePlannedEnd: 'soon' },
      { headers: { 'hx-request': 'true', 'hx-target': 'platform-settings' } },
    );
    expect(hx.status).toBe(422);
    expect(admin.lastHtml.trimStart().startsWith('<form id="platform-settings"')).toBe(true);
    expect((await getPlatformSettings(ctx.db)).maintenance.enabled).toBe(false);
    expect(await audits()).toEqual([]);
  });

  it('closes registration; saving nothing new records nothing', async () => {
    await admin.get('/admin/platform-settings');
    const form = { maintenanceMessage: '', maintenancePlannedEnd: '' };
    expect((await admin.post('/admin/platform-settings', form)).status).toBe(303);
    expect((await getPlatformSettings(ctx.db)).registrationEnabled).toBe(false);
    expect((await audits()).map((a) => (a.details as { changed: string }).changed)).toEqual(['registration_enabled']);
    expect((await admin.post('/admin/platform-settings', form)).status).toBe(303);
    expect(await audits()).toHaveLength(1);
  });

  it('does not exist for customers (404), and no page has the banner while maintenance is off', async () => {
    const customer = await signedIn(ctx, bob.email);
    expect((await customer.get('/admin/platform-settings')).status).toBe(404);
    const page = await (await admin.get('/admin')).text();
    expect(page).not.toContain('maintenance-banner');
  });
});
