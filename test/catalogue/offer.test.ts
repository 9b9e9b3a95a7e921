import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appDataFor,
  hasEmulatedProvider,
  offeredApp,
  offeredPlan,
  offeredPlans,
  offeredRegions,
  planPriceAt,
  serverSettings,
  type OfferedApp,
} from '../../src/domain/catalogue/offer.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { PRICES_FROM, seedServerCatalogue, usd, type SeededCatalogue } from '../helpers/servers.ts';

let ctx: TestContext;
let cat: SeededCatalogue;

beforeAll(async () => {
  ctx = await createTestContext();
  cat = await seedServerCatalogue(ctx.db);
});
afterAll(() => ctx.close());

describe('the price in force at an hour', () => {
  it('is the newest price whose effective hour has started, hourly rounded once from the monthly', async () => {
    const plan = cat.plans.small;
    const later = new Date('2026-03-01T10:00:00Z');
    await ctx.db
      .insertInto('server_plan_prices')
      .values({
        plan_id: plan.id,
        base_monthly: usd(12),
        markup_monthly: usd(8),
        backups_monthly: usd(4),
        currency: 'USD',
        effective_from: later,
      })
      .execute();

    const before = await planPriceAt(ctx.db, plan.id, new Date('2026-03-01T09:00:00Z'));
    expect(before).toEqual({
      monthly: usd(15),
      hourly: hourlyRate(usd(15)),
      backupsMonthly: usd(3),
      withBackupsMonthly: usd(18),
      withBackupsHourly: hourlyRate(usd(18)),
      currency: 'USD',
      effectiveFrom: PRICES_FROM,
    });
    expect(before!.hourly).toBe(20_548n); // 15.00 / 730 = 0.020547945… → 0.020548

    const at = await planPriceAt(ctx.db, plan.id, later);
    expect(at!.monthly).toBe(usd(20));
    expect(at!.withBackupsMonthly).toBe(usd(24));
    // 24.00 / 730 = 0.032876712… → 0.032877, not 20/730 + 4/730 rounded separately
    expect(at!.withBackupsHourly).toBe(32_877n);
    expect(at!.effectiveFrom).toEqual(later);

    expect(await planPriceAt(ctx.db, plan.id, new Date('2019-12-31T23:00:00Z'))).toBeNull();
    expect(await planPriceAt(ctx.db, 'not-a-uuid', later)).toBeNull();
  });

  it('offered plans carry that price, their regions, and leave out inactive plans', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const all = await offeredPlans(ctx.db, now);
    expect(all.map((p) => p.id).sort()).toEqual(
      Object.values(cat.plans)
        .map((p) => p.id)
        .sort(),
    );
    const euro = await offeredPlans(ctx.db, now, { region: 'eu-central' });
    expect(euro.map((p) => p.id).sort()).toEqual([cat.plans.small.id, cat.plans.medium.id].sort());
    const dedicated = all.find((p) => p.id === cat.plans.dedicated.id)!;
    expect(dedicated.regions).toEqual(['us-east']);
    expect(dedicated.price.monthly).toBe(usd(45));

    await ctx.db.updateTable('server_plans').set({ active: false }).where('id', '=', cat.plans.medium.id).execute();
    expect((await offeredPlans(ctx.db, now)).some((p) => p.id === cat.plans.medium.id)).toBe(false);
    expect((await offeredPlans(ctx.db, now, { includeInactive: true })).some((p) => p.id === cat.plans.medium.id)).toBe(
      true,
    );
    const inactive = await offeredPlan(ctx.db, cat.plans.medium.id, now);
    expect(inactive?.active).toBe(false);
    await ctx.db.updateTable('server_plans').set({ active: true }).where('id', '=', cat.plans.medium.id).execute();
  });

  it('regions come in display order with their labels; the seeded provider is emulated', async () => {
    const regions = await offeredRegions(ctx.db);
    expect(regions.map((r) => [r.id, r.label, r.country])).toEqual([
      ['us-east', 'New York', 'us'],
      ['eu-central', 'Frankfurt', 'de'],
      ['ap-south', 'Singapore', 'sg'],
    ]);
    expect(await hasEmulatedProvider(ctx.db)).toBe(true);
    expect(await serverSettings(ctx.db)).toEqual({ salesEnabled: true, rdnsBaseDomain: null });
  });
});

describe('app fields a customer fills', () => {
  const app: OfferedApp = {
    id: '00000000-0000-4000-8000-000000000001',
    providerId: '00000000-0000-4000-8000-000000000002',
    scriptId: '1',
    label: 'Docker',
    description: '',
    images: [],
    fields: [
      {
        name: 'email',
        label: 'Email address',
        example: null,
        default: null,
        oneOf: null,
        manyOf: null,
        required: true,
      },
      {
        name: 'web',
        label: 'Web server',
        example: null,
        default: 'NGINX',
        oneOf: ['Apache', 'NGINX'],
        manyOf: null,
        required: false,
      },
      {
        name: 'extras',
        label: 'Extras',
        example: null,
        default: '',
        oneOf: null,
        manyOf: ['compose', 'buildx'],
        required: false,
      },
    ],
  };

  it('sends only what the customer filled, trimmed', () => {
    expect(appDataFor(app, { email: ' a@example.com ', extras: 'buildx,compose' })).toEqual({
      data: { email: 'a@example.com', extras: 'buildx,compose' },
    });
  });

  it('refuses unknown names, a missing required field, and values outside the choices', () => {
    const result = appDataFor(app, { web: 'Caddy', extras: 'compose,portainer', root_pass: 'x' });
    expect(result).toEqual({
      errors: {
        root_pass: 'Docker has no field "root_pass" you can set.',
        email: 'Enter email address.',
        web: 'Web server must be one of: Apache, NGINX.',
        extras: 'Extras must be made of: compose, buildx.',
      },
    });
    expect(appDataFor(app, { email: 'a\nb' })).toHaveProperty('errors.email');
  });

  it('an app whose script is not cached yet offers its fields as optional free text', async () => {
    const seeded = await offeredApp(ctx.db, cat.appId);
    expect(seeded?.fields.map((f) => [f.name, f.required])).toEqual([
      ['soa_email_address', false],
      ['webserver', false],
      ['site_title', false],
    ]);
    expect(await offeredApp(ctx.db, 'nope')).toBeNull();
  });
});
