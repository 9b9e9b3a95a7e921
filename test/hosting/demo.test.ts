import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoHosting } from '../../src/domain/hosting/demo.ts';
import { hostingEnabled, setEnabled } from '../../src/domain/hosting/integration.ts';
import { ENHANCE_EMULATOR_MASTER_ORG_ID } from '../../src/providers/enhance/index.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', LOGIN_IP_LOCKOUT_ATTEMPTS: '10000' });
});
afterAll(async () => {
  await ctx.close();
});

describe('the demo hosting', () => {
  it('cannot be turned on before it is connected', async () => {
    const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada') });
    const admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
    await admin.post('/admin/hosting/state', { enabled: 'on' });
    await admin.get('/admin/hosting');
    expect(admin.lastHtml).toContain('Save the connection settings');
    expect(await hostingEnabled(ctx.db)).toBe(false);
    expect(await ctx.db.selectFrom('hosting_integration').select('id').execute()).toEqual([]);
    const actor = { userId: ada.id, isPlatformAdmin: true } as Parameters<typeof setEnabled>[1];
    await expect(setEnabled(ctx.deps, actor, { enabled: 'on' })).rejects.toThrow('Save the connection settings');
  });

  it('npm start with the emulators on seeds a labelled demo integration with priced plans, once', async () => {
    // With the emulators off (production) there is nothing to seed.
    const off = { ...ctx.deps, config: { ...ctx.deps.config, emulatorsEnabled: false } };
    expect(await seedDemoHosting(off)).toBe(false);
    expect(await ctx.db.selectFrom('hosting_integration').select('id').execute()).toEqual([]);

    const [first, second] = await Promise.all([seedDemoHosting(ctx.deps), seedDemoHosting(ctx.deps)]);
    expect([first, second].sort()).toEqual([false, true]);
    expect(await seedDemoHosting(ctx.deps)).toBe(false);

    const row = await ctx.db.selectFrom('hosting_integration').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      demo: true,
      enabled: true,
      health: 'ok',
      master_org_id: ENHANCE_EMULATOR_MASTER_ORG_ID,
      token_ciphertext: null,
    });
    expect(row.plans_synced_at).not.toBeNull();
    expect(await hostingEnabled(ctx.db)).toBe(true);

    const plans = await ctx.db.selectFrom('hosting_plans').selectAll().orderBy('position').execute();
    expect(plans.map((p) => [p.name, p.monthly_price, p.active])).toEqual([
      ['Starter', 5_000_000n, true],
      ['Business', 12_000_000n, true],
      ['Agency', 25_000_000n, true],
    ]);

    const ada = await createPerson(ctx, 'Ada Demo', { isAdmin: true, verified: true, email: uniqueEmail('Ada') });
    const admin = await signedIn(ctx, ada.email, PASSWORD, '192.0.2.1');
    await admin.get('/admin/hosting');
    expect(admin.lastHtml).toContain('Demo hosting panel.');
    expect(admin.lastHtml).toContain('$12.00');

    // The demo answers a check and a sync like a real panel.
    await admin.post('/admin/hosting/health-checks', {});
    await admin.post('/admin/hosting/plan-syncs', {});
    await admin.get('/admin/hosting');
    expect(admin.lastHtml).toContain('Plans synced: 3 listed, 0 added, 0 updated, 0 deactivated.');

    // Saving a real panel's settings ends the demo: a token is required, and the demo's plans stop being sold.
    const real = { api_url: 'https://panel.example.net', master_org_id: crypto.randomUUID(), token: '' };
    expect((await admin.post('/admin/hosting/settings', real, { method: 'PUT' })).status).toBe(422);
    expect(admin.lastHtml).toContain('Enter the access token.');
    expect((await ctx.db.selectFrom('hosting_integration').select('demo').executeTakeFirstOrThrow()).demo).toBe(true);
    const saved = await admin.post(
      '/admin/hosting/settings',
      { ...real, token: 'a-real-panel-token-0123' },
      { method: 'PUT' },
    );
    expect(saved.status).toBe(303);
    const after = await ctx.db.selectFrom('hosting_integration').selectAll().executeTakeFirstOrThrow();
    expect(after).toMatchObject({ demo: false, api_url: real.api_url, health: 'unknown' });
    const retired = await ctx.db.selectFrom('hosting_plans').select(['active', 'monthly_price']).execute();
    expect(retired.map((p) => p.active)).toEqual([false, false, false]);
    expect(retired.every((p) => p.monthly_price !== null)).toBe(true);
    await admin.get('/admin/hosting');
    expect(admin.lastHtml).not.toContain('Demo hosting panel.');
    expect(admin.lastHtml).toContain('another panel');
  });
});
