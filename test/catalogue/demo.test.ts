import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/domain/catalogue/demo.ts';
import {
  currentHour,
  hasEmulatedProvider,
  offeredApps,
  offeredImages,
  offeredPlans,
  offeredRegions,
} from '../../src/domain/catalogue/offer.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';
import { startTestCloud, type TestCloud } from '../helpers/servers.ts';

let cloud: TestCloud;
let ctx: TestContext;
beforeAll(async () => {
  cloud = await startTestCloud();
  ctx = await createTestContext({}, { cloud: cloud.provider });
});
afterAll(async () => {
  await ctx.close();
  await cloud.close();
});

describe('the demo catalogue', () => {
  it('npm start in demo mode with no provider sets up an emulated provider customers can buy from, once', async () => {
    // With the emulators off (production) there is nothing to seed.
    const off = { ...ctx.deps, config: { ...ctx.deps.config, emulatorsEnabled: false } };
    expect(await seedDemoCatalogue(off)).toBe(false);
    expect(await ctx.db.selectFrom('cloud_providers').select('id').execute()).toEqual([]);

    const [first, second] = await Promise.all([seedDemoCatalogue(ctx.deps), seedDemoCatalogue(ctx.deps)]);
    expect([first, second].sort()).toEqual([false, true]);
    expect(await seedDemoCatalogue(ctx.deps)).toBe(false);

    const providers = await ctx.db.selectFrom('cloud_providers').selectAll().execute();
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({ name: 'Demo cloud', emulated: true, health: 'ok', token_ciphertext: null });
    expect(await hasEmulatedProvider(ctx.db)).toBe(true);

    expect((await offeredRegions(ctx.db)).map((r) => r.id)).toEqual(['us-east', 'eu-central', 'ap-south']);
    const plans = await offeredPlans(ctx.db, await currentHour(ctx.db));
    expect(plans.map((p) => [p.name, p.category, p.price.monthly])).toEqual([
      ['Starter 1 GB', 'Starter', 7_000_000n],
      ['Shared 2 GB', 'Shared CPU', 15_000_000n],
      ['Shared 4 GB', 'Shared CPU', 30_000_000n],
      ['Dedicated 4 GB', 'Dedicated CPU', 45_000_000n],
    ]);
    expect((await offeredImages(ctx.db)).length).toBeGreaterThanOrEqual(5);
    const apps = await offeredApps(ctx.db);
    expect(apps.map((a) => a.label).sort()).toEqual(['Docker', 'WordPress']);
    // Every field without a default is customer-fillable, so a deploy can succeed.
    expect(
      apps
        .find((a) => a.label === 'WordPress')!
        .fields.filter((f) => f.required)
        .map((f) => f.name),
    ).toEqual(['soa_email_address', 'wp_admin_user']);
  });

  it('the admin pages say servers are emulated', async () => {
    const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true });
    const admin = await signedIn(ctx, ada.email, PASSWORD);
    await admin.get('/admin/providers');
    expect(admin.lastHtml).toContain('Servers are emulated.');
    expect(admin.lastHtml).toContain('Demo cloud');
  });
});
