import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { putSetting } from '../../src/domain/settings/store.ts';
import type { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';

/** The top-up presets staff set (Platform settings → Billing) are the quick choices on /billing. */
let ctx: TestContext;
let admin: TestBrowser;
let browser: TestBrowser;

beforeAll(async () => {
  ctx = await createTestContext({}, { paypalEmulator: true });
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  const pam = await createPerson(ctx, 'Pam Presets', { verified: true, email: uniqueEmail('Pam Presets') });
  admin = await signedIn(ctx, ada.email);
  browser = await signedIn(ctx, pam.email);
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('platform_settings').execute();
});

const form = (over: Record<string, string> = {}) => ({
  topUpMin: '5.00',
  topUpMax: '1000.00',
  topUpPresets: '10, 25, 50, 100',
  lowBalanceThreshold: '5.00',
  dunningSuspendAfterHours: '24',
  dunningTerminateAfterDays: '7',
  ...over,
});

describe('top-up presets', () => {
  it('are the quick choices on the top-up form, those within the limits only; none when empty', async () => {
    await browser.get('/billing');
    expect(browser.lastHtml).toContain('name="amount" value="25.00"');
    await admin.get('/admin/platform-settings/billing');
    // The largest top-up lowered below a preset saved earlier: that preset is no longer offered.
    expect((await admin.post('/admin/platform-settings/billing', form({ topUpPresets: '15, 30, 750' }))).status).toBe(
      303,
    );
    expect(
      (await admin.post('/admin/platform-settings/billing', form({ topUpPresets: '15, 30, 750', topUpMax: '500' })))
        .status,
    ).toBe(422);
    // Saved elsewhere (/admin/billing's limits form) without looking at the presets.
    await putSetting(ctx.db, 'billing', { topUpMin: '5000000', topUpMax: '500000000' }, null, new Date());
    await browser.get('/billing');
    expect(browser.lastHtml).toContain('name="amount" value="15.00"');
    expect(browser.lastHtml).toContain('name="amount" value="30.00"');
    expect(browser.lastHtml).not.toContain('name="amount" value="750.00"');
    expect(browser.lastHtml).not.toContain('name="amount" value="25.00"');
    expect((await admin.post('/admin/platform-settings/billing', form({ topUpPresets: '' }))).status).toBe(303);
    await browser.get('/billing');
    expect(browser.lastHtml).not.toContain('name="amount" value="');
    expect(browser.lastHtml).toContain('Continue to PayPal');
  });
});
