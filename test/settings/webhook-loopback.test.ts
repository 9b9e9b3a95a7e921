import { describe, expect, it } from 'vitest';
import { getPlatformSettings, webhookLoopbackAllowed } from '../../src/domain/settings/platform.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import type { TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { settingsSuite } from './helpers.ts';

// The admin switch that lets webhooks reach 127.0.0.0/8 and ::1 (development only).
let ctx: TestContext, admin: TestBrowser, bobEmail: string;
const { auditDetails } = settingsSuite('Bob Customer', async (w) => {
  ctx = w.ctx;
  bobEmail = w.other.email;
  admin = await signedIn(ctx, w.ada.email);
});
const general = { registrationEnabled: 'on', maintenanceMessage: '', maintenancePlannedEnd: '' };

describe('webhooks to loopback (platform settings)', () => {
  it('is off by default, and the form says it is for development only', async () => {
    expect(await webhookLoopbackAllowed(ctx.db)).toBe(false);
    await admin.get('/admin/platform-settings');
    expect(admin.lastHtml).toMatch(/<input type="checkbox" name="webhookLoopbackAllowed"[^>]*>/);
    expect(admin.lastHtml).not.toMatch(/name="webhookLoopbackAllowed"[^>]* checked/);
    expect(admin.lastHtml).toContain('Allow webhooks to loopback addresses (development only)');
    expect(admin.lastHtml).toContain('Leave it off in production');
  });

  it('an admin turns it on and off again, each change audited, other settings untouched', async () => {
    await admin.get('/admin/platform-settings');
    const on = await admin.post('/admin/platform-settings', { ...general, webhookLoopbackAllowed: 'on' });
    expect(on.status).toBe(303);
    expect(await webhookLoopbackAllowed(ctx.db)).toBe(true);
    expect((await getPlatformSettings(ctx.db)).registrationEnabled).toBe(true);
    await admin.get('/admin/platform-settings');
    expect(admin.lastHtml).toMatch(/name="webhookLoopbackAllowed"[^>]* checked/);

    const off = await admin.post('/admin/platform-settings', general); // an unticked box is not sent
    expect(off.status).toBe(303);
    expect(await webhookLoopbackAllowed(ctx.db)).toBe(false);
    expect(await auditDetails()).toEqual([
      {
        setting: 'platform',
        changed: 'webhook_loopback_allowed',
        webhook_loopback_allowed: true,
        webhook_loopback_allowed_before: false,
      },
      {
        setting: 'platform',
        changed: 'webhook_loopback_allowed',
        webhook_loopback_allowed: false,
        webhook_loopback_allowed_before: true,
      },
    ]);
  });

  it('a customer cannot change it', async () => {
    const bob = await signedIn(ctx, bobEmail);
    const res = await bob.post('/admin/platform-settings', { ...general, webhookLoopbackAllowed: 'on' });
    expect([403, 404]).toContain(res.status);
    expect(await webhookLoopbackAllowed(ctx.db)).toBe(false);
  });
});
