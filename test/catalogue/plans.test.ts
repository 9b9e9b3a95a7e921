import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { offeredPlan, planPriceAt } from '../../src/domain/catalogue/offer.ts';
import { hourlyRate } from '../../src/domain/metering/rates.ts';
import { usd } from '../helpers/servers.ts';
import { addProviderByForm, submit, useCatalogueWorld } from './helpers.ts';

const w = useCatalogueWorld();
let providerId: string;

/** The database clock's hour, and the next one. */
async function hours() {
  const { rows } = await sql<{ now: Date; next: Date }>`
    select date_trunc('hour', now()) as now, date_trunc('hour', now()) + interval '1 hour' as next`.execute(w.ctx.db);
  return rows[0]!;
}

const plan = {
  name: 'Shared 2 GB',
  category: 'Shared CPU',
  markup: '3.50',
  backups_price: '3.00',
  transfer_gb: '2000',
  regions: ['us-east', 'eu-central'],
  active: 'on',
  display_order: '1',
};

beforeAll(async () => {
  providerId = await addProviderByForm(w, { name: 'Plan cloud' });
  await w.admin.post(`/admin/providers/${providerId}/refreshes`);
  for (const [id, label, country] of [
    ['us-east', 'New York', 'us'],
    ['eu-central', 'Frankfurt', 'de'],
  ])
    await w.admin.post(`/admin/providers/${providerId}/regions`, {
      region_id: id!,
      label: label!,
      country: country!,
      active: 'on',
    });
  await w.admin.post(`/admin/providers/${providerId}/categories`, { provider_class: 'standard', name: 'Shared CPU' });
});

describe('the plan wizard', () => {
  it('walks provider → provider plan (with its cost) → name and price → review → create', async () => {
    await w.admin.get('/admin/plans/new');
    expect(w.admin.lastHtml).toContain('Plan cloud');
    await w.admin.get(`/admin/plans/new?provider_id=${providerId}`, {
      'hx-request': 'true',
      'hx-target': 'plan-wizard',
    });
    expect(w.admin.lastHtml).not.toContain('<html');
    expect(w.admin.lastHtml).toContain('g6-standard-1');
    expect(w.admin.lastHtml).toContain('$12.00'); // the provider's monthly cost of Linode 2 GB
    await w.admin.get(`/admin/plans/new?provider_id=${providerId}&provider_type=g6-standard-1`);
    expect(w.admin.lastHtml).toContain('name="markup"');
    expect(w.admin.lastHtml).toMatch(/<option value="Shared CPU" selected>/);

    const fields = { provider_id: providerId, provider_type: 'g6-standard-1', ...plan };
    const review = await submit(w.ctx, w.admin, '/admin/plans/new/review', fields);
    expect(review.status).toBe(200);
    // 12.00 + 3.50 = 15.50 a month; 15.50 / 730 = 0.0212328… an hour.
    expect(w.admin.lastHtml).toContain('<strong>$15.50</strong> a month, <strong>$0.0212</strong> an hour');
    expect(w.admin.lastHtml).toContain('$18.50 a month');
    expect(await w.ctx.db.selectFrom('server_plans').select('id').execute()).toHaveLength(0);

    const created = await submit(w.ctx, w.admin, '/admin/plans', fields);
    expect(created.status).toBe(303);
    const id = created.headers.get('location')!.split('/').pop()!;
    const row = await w.ctx.db.selectFrom('server_plans').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: 'Shared 2 GB',
      category: 'Shared CPU',
      vcpus: 1,
      memory_mb: 2048,
      disk_gb: 50,
      transfer_gb: 2000,
    });
    const prices = await w.ctx.db.selectFrom('server_plan_prices').selectAll().where('plan_id', '=', id).execute();
    expect(prices).toHaveLength(1);
    expect(prices[0]).toMatchObject({
      base_monthly: usd(12),
      markup_monthly: usd(3, 50),
      backups_monthly: usd(3),
      currency: 'USD',
    });
    expect(prices[0]!.effective_from).toEqual((await hours()).now);

    const offered = await offeredPlan(w.ctx.db, id, (await hours()).now);
    expect(offered?.price.monthly).toBe(usd(15, 50));
    expect(offered?.price.hourly).toBe(hourlyRate(usd(15, 50)));
    expect(offered?.regions.sort()).toEqual(['eu-central', 'us-east']);

    await w.admin.get('/admin/plans');
    expect(w.admin.lastHtml).toContain('Shared 2 GB');
    const log = await w.ctx.db.selectFrom('activity_log').select('action').where('target_id', '=', id).execute();
    expect(log.map((l) => l.action)).toEqual(['admin.plan_created']);
  });

  it('refuses bad money, an unknown provider plan and a region not allowed with the form again (422), creating nothing', async () => {
    const count = async () => (await w.ctx.db.selectFrom('server_plans').select('id').execute()).length;
    const before = await count();
    const base = { provider_id: providerId, provider_type: 'g6-standard-2', ...plan, name: 'Refused' };

    for (const [fields, message] of [
      [{ ...base, markup: '1.2345678' }, 'Enter the markup as an amount'],
      [{ ...base, markup: '-1.00' }, 'Enter the markup as an amount'],
      [{ ...base, backups_price: 'ten' }, 'Enter the backups add-on price as an amount'],
      [{ ...base, provider_type: 'g9-imaginary-1' }, 'The provider does not list this plan'],
      [{ ...base, regions: ['ap-south'] }, 'Choose among the regions allowed for this provider.'],
      [{ ...base, regions: [] }, 'Choose at least one region'],
      [{ ...base, category: 'Gold' }, 'Choose one of the category names'],
    ] as const) {
      const res = await submit(w.ctx, w.admin, '/admin/plans', fields as Record<string, string | string[]>);
      expect(res.status, message).toBe(422);
      expect(w.admin.lastHtml).toContain(message);
    }
    // With htmx, the wizard's region alone comes back, still 422.
    const partial = await submit(
      w.ctx,
      w.admin,
      '/admin/plans/new/review',
      { ...base, markup: 'x' },
      {
        headers: { 'hx-request': 'true', 'hx-target': 'plan-wizard' },
      },
    );
    expect(partial.status).toBe(422);
    expect(w.admin.lastHtml.trim()).toMatch(/^<div id="plan-wizard">/);
    expect(w.admin.lastHtml).toContain('Enter the markup as an amount');
    const dup = await submit(w.ctx, w.admin, '/admin/plans', { ...base, name: 'shared 2 gb' });
    expect(dup.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Another plan has this name.');
    expect(await count()).toBe(before);
  });
});

describe('a price change', () => {
  it('is a new price from the next clock hour; the price in force and the history stay', async () => {
    const created = await submit(w.ctx, w.admin, '/admin/plans', {
      provider_id: providerId,
      provider_type: 'g6-standard-2',
      ...plan,
      name: 'Shared 4 GB',
    });
    const id = created.headers.get('location')!.split('/').pop()!;
    const { now, next } = await hours();

    await w.admin.get(`/admin/plans/${id}`);
    const res = await w.admin.post(`/admin/plans/${id}/prices`, { markup: '8.00', backups_price: '4.000001' });
    expect(res.status).toBe(303);
    const rows = await w.ctx.db
      .selectFrom('server_plan_prices')
      .selectAll()
      .where('plan_id', '=', id)
      .orderBy('effective_from')
      .execute();
    expect(rows.map((r) => [r.effective_from.toISOString(), r.markup_monthly, r.backups_monthly])).toEqual([
      [now.toISOString(), usd(3, 50), usd(3)],
      [next.toISOString(), usd(8), 4_000_001n],
    ]);
    expect((await planPriceAt(w.ctx.db, id, now))!.monthly).toBe(usd(24) + usd(3, 50));
    expect((await planPriceAt(w.ctx.db, id, next))!.monthly).toBe(usd(32));

    // A second change within the hour replaces the pending price, never the one in force.
    await w.admin.post(`/admin/plans/${id}/prices`, { markup: '7.00', backups_price: '4.00' });
    const again = await w.ctx.db
      .selectFrom('server_plan_prices')
      .selectAll()
      .where('plan_id', '=', id)
      .orderBy('effective_from')
      .execute();
    expect(again.map((r) => r.markup_monthly)).toEqual([usd(3, 50), usd(7)]);

    await w.admin.get(`/admin/plans/${id}`);
    expect(w.admin.lastHtml).toContain('in force');
    expect(w.admin.lastHtml).toContain('upcoming');
    expect(w.admin.lastHtml).toContain('$31.00'); // 24.00 + 7.00, from the next hour

    const bad = await w.admin.post(`/admin/plans/${id}/prices`, { markup: '1,00', backups_price: '4.00' });
    expect(bad.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Enter the markup as an amount');
    expect(
      await w.ctx.db.selectFrom('server_plan_prices').select('id').where('plan_id', '=', id).execute(),
    ).toHaveLength(2);
  });

  it('editing a plan keeps its price and can take it off sale', async () => {
    const id = (
      await w.ctx.db.selectFrom('server_plans').select('id').where('name', '=', 'Shared 4 GB').executeTakeFirstOrThrow()
    ).id;
    const res = await submit(
      w.ctx,
      w.admin,
      `/admin/plans/${id}`,
      { name: 'Shared 4 GB', category: 'Shared CPU', transfer_gb: '4000', regions: ['eu-central'], display_order: '3' },
      { method: 'PATCH' },
    );
    expect(res.status).toBe(303);
    const row = await w.ctx.db.selectFrom('server_plans').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ active: false, transfer_gb: 4000, display_order: 3 });
    const offered = await offeredPlan(w.ctx.db, id, (await hours()).now);
    expect(offered).toMatchObject({ active: false, regions: ['eu-central'] });
  });
});

describe('categories', () => {
  it('renaming a category renames it on the provider’s plans', async () => {
    const res = await w.admin.post(`/admin/providers/${providerId}/categories`, {
      provider_class: 'standard',
      name: 'General purpose',
    });
    expect(res.status).toBe(303);
    const plans = await w.ctx.db
      .selectFrom('server_plans')
      .select('category')
      .where('provider_id', '=', providerId)
      .execute();
    expect(plans.length).toBeGreaterThan(0);
    expect(new Set(plans.map((p) => p.category))).toEqual(new Set(['General purpose']));
  });
});

describe('server settings', () => {
  it('turn sales off and set the rDNS base domain; a bad domain is refused (422)', async () => {
    await w.admin.get('/admin/server-settings');
    expect(w.admin.lastHtml).toMatch(/name="salesEnabled" checked/);
    const bad = await w.admin.post('/admin/server-settings', { rdnsBaseDomain: 'not a domain' }, { method: 'PUT' });
    expect(bad.status).toBe(422);
    const ok = await w.admin.post('/admin/server-settings', { rdnsBaseDomain: 'RDNS.Example.net.' }, { method: 'PUT' });
    expect(ok.status).toBe(303);
    const { serverSettings } = await import('../../src/domain/settings/servers.ts');
    expect(await serverSettings(w.ctx.db)).toEqual({ salesEnabled: false, rdnsBaseDomain: 'rdns.example.net' });
    await w.admin.post('/admin/server-settings', { salesEnabled: 'on', rdnsBaseDomain: '' }, { method: 'PUT' });
    expect(await serverSettings(w.ctx.db)).toEqual({ salesEnabled: true, rdnsBaseDomain: null });
  });
});
