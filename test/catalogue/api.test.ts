import { describe, expect, it } from 'vitest';
import { apiAs } from '../billing/helpers.ts';
import { createPerson, uniqueEmail } from '../helpers/people.ts';
import { PRICES_FROM, seedServerCatalogue } from '../helpers/servers.ts';
import { addProviderByForm, useCatalogueWorld } from './helpers.ts';
import { beforeAll } from 'vitest';
import type { SeededCatalogue } from '../helpers/servers.ts';

const w = useCatalogueWorld();
let seeded: SeededCatalogue;
beforeAll(async () => {
  seeded = await seedServerCatalogue(w.ctx.db);
  // The seeded app's script in the cache, as a refresh writes it.
  await w.ctx.db
    .insertInto('cloud_catalogue')
    .values({
      provider_id: seeded.providerId,
      kind: 'script',
      external_id: '401697',
      refreshed_at: PRICES_FROM,
      data: JSON.stringify({
        id: '401697',
        label: 'WordPress One-Click',
        description: 'WordPress',
        images: ['ubuntu24.04', 'debian12'],
        fields: [
          {
            name: 'soa_email_address',
            label: 'Email address',
            example: 'admin@example.com',
            default: null,
            oneOf: null,
            manyOf: null,
          },
          {
            name: 'webserver',
            label: 'Web server',
            example: null,
            default: 'NGINX',
            oneOf: 'Apache,NGINX',
            manyOf: null,
          },
          {
            name: 'site_title',
            label: 'Website title',
            example: null,
            default: 'My WordPress Site',
            oneOf: null,
            manyOf: null,
          },
          { name: 'wp_admin_user', label: 'Admin user', example: 'admin', default: null, oneOf: null, manyOf: null },
        ],
      }),
    })
    .execute();
});

describe('the public catalogue', () => {
  it('regions, plans with decimal-string prices, images and apps with their fields', async () => {
    const olive = await apiAs(w.ctx, w.olive.email);
    const regions = await olive('GET', '/regions');
    expect(regions.status).toBe(200);
    expect(regions.body).toEqual({
      data: [
        { id: 'us-east', label: 'New York', country: 'us' },
        { id: 'eu-central', label: 'Frankfurt', country: 'de' },
        { id: 'ap-south', label: 'Singapore', country: 'sg' },
      ],
      has_more: false,
      next_cursor: null,
    });

    const plans = await olive('GET', '/plans');
    expect(plans.status).toBe(200);
    const small = plans.body.data.find((p: { id: string }) => p.id === seeded.plans.small.id);
    expect(small).toEqual({
      id: seeded.plans.small.id,
      name: seeded.plans.small.name,
      category: 'Shared CPU',
      vcpus: 1,
      memory_mb: 2048,
      disk_gb: 50,
      transfer_gb: 2000,
      hourly_price: '0.020548', // 15.00 / 730
      monthly_price: '15.00',
      backups_monthly_price: '3.00',
      currency: 'USD',
      regions: ['us-east', 'eu-central', 'ap-south'],
    });
    const inEurope = await olive('GET', '/plans?region=eu-central');
    expect(inEurope.body.data.map((p: { id: string }) => p.id).sort()).toEqual(
      [seeded.plans.small.id, seeded.plans.medium.id].sort(),
    );

    const images = await olive('GET', '/images');
    expect(images.body.data.map((i: { id: string }) => i.id)).toEqual(seeded.images);
    expect(images.body.data[0]).toEqual({ id: 'ubuntu24.04', label: 'Ubuntu 24.04 LTS', vendor: null });

    const apps = await olive('GET', '/apps');
    expect(apps.body.data).toEqual([
      {
        id: seeded.appId,
        label: 'WordPress',
        description: 'WordPress on a LEMP stack',
        images: ['ubuntu24.04', 'debian12'],
        fields: [
          {
            name: 'soa_email_address',
            label: 'Email address',
            example: 'admin@example.com',
            default: null,
            one_of: null,
            many_of: null,
            required: true,
          },
          {
            name: 'webserver',
            label: 'Web server',
            example: null,
            default: 'NGINX',
            one_of: ['Apache', 'NGINX'],
            many_of: null,
            required: false,
          },
          {
            name: 'site_title',
            label: 'Website title',
            example: null,
            default: 'My WordPress Site',
            one_of: null,
            many_of: null,
            required: false,
          },
        ],
      },
    ]);
    expect(JSON.stringify(apps.body) + JSON.stringify(plans.body)).not.toMatch(/linode 2|g6-|stackscript/i);
  });

  it('is in the OpenAPI document, with the region filter and the staff paths', async () => {
    const doc = (await (await w.ctx.app.request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>>;
    };
    for (const path of ['/regions', '/plans', '/images', '/apps', '/admin/providers/{id}/refresh', '/admin/plans/{id}'])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths['/plans']!.get!.parameters!.map((p) => p.name)).toContain('region');
  });

  it('needs a token (401)', async () => {
    const res = await w.ctx.app.request('/api/v1/plans');
    expect(res.status).toBe(401);
  });
});

describe('the staff API', () => {
  it('adds, reads, validates and refreshes a provider; the token is never returned', async () => {
    const ada = await apiAs(w.ctx, w.ada.email);
    const added = await ada('POST', '/admin/providers', {
      name: 'API cloud',
      token: w.cloud.emu.token,
      base_url: w.cloud.emu.url,
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      name: 'API cloud',
      kind: 'linode',
      token_set: true,
      health: 'unknown',
      active: true,
    });
    expect(JSON.stringify(added.body)).not.toContain(w.cloud.emu.token);
    const id = added.body.id;

    const validated = await ada('POST', `/admin/providers/${id}/validate`);
    expect(validated.status).toBe(200);
    expect(validated.body.health).toBe('ok');
    const refreshed = await ada('POST', `/admin/providers/${id}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ regions: 4, scripts: 2, removed: 0 });

    const patched = await ada('PATCH', `/admin/providers/${id}`, { active: false, token: 'a-wrong-token-now' });
    expect(patched.body).toMatchObject({ active: false, health: 'unknown', name: 'API cloud' });
    const failed = await ada('POST', `/admin/providers/${id}/validate`);
    expect(failed.body.health).toBe('error');
    const unreachable = await ada('POST', `/admin/providers/${id}/refresh`);
    expect(unreachable.status).toBe(503);
    expect(unreachable.body.error.code).toBe('provider_unavailable');

    expect((await ada('GET', '/admin/providers')).body.data.some((p: { id: string }) => p.id === id)).toBe(true);
    expect((await ada('GET', `/admin/providers/${id}`)).body.id).toBe(id);
    expect((await ada('GET', '/admin/providers/not-a-uuid')).status).toBe(404);
    expect((await ada('POST', '/admin/providers', { name: 'x', token: '' })).status).toBe(422);
  });

  it('creates a plan, and a PATCH with a new markup adds a price from the next hour', async () => {
    const ada = await apiAs(w.ctx, w.ada.email);
    const providerId = await addProviderByForm(w, { name: 'API plans cloud' });
    await w.admin.post(`/admin/providers/${providerId}/refreshes`);
    await w.admin.post(`/admin/providers/${providerId}/regions`, {
      region_id: 'us-east',
      label: 'Newark',
      country: 'us',
      active: 'on',
    });
    await w.admin.post(`/admin/providers/${providerId}/categories`, { provider_class: 'nanode', name: 'Starter' });
    const body = {
      provider_id: providerId,
      provider_type: 'g6-nanode-1',
      name: 'API Starter',
      category: 'Starter',
      markup: '1.00',
      backups_price: '2.00',
      transfer_gb: 1000,
      regions: ['us-east'],
    };
    const bad = await ada('POST', '/admin/plans', { ...body, markup: '1.0000001', regions: ['eu-central'] });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['markup']);
    const created = await ada('POST', '/admin/plans', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'API Starter',
      vcpus: 1,
      memory_mb: 1024,
      regions: ['us-east'],
      active: true,
    });
    expect(created.body.price).toMatchObject({
      base_monthly: '5.00',
      markup_monthly: '1.00',
      monthly_price: '6.00',
      hourly_price: '0.008219',
    });

    const patched = await ada('PATCH', `/admin/plans/${created.body.id}`, { markup: '2.00', display_order: 4 });
    expect(patched.status).toBe(200);
    expect(patched.body.display_order).toBe(4);
    expect(patched.body.price.monthly_price).toBe('6.00');
    expect(patched.body.prices.map((p: { monthly_price: string }) => p.monthly_price)).toEqual(['7.00', '6.00']);
    expect(
      new Date(patched.body.prices[0].effective_from).getTime() -
        new Date(patched.body.prices[1].effective_from).getTime(),
    ).toBe(3_600_000);
    expect((await ada('GET', '/admin/plans')).body.data.some((p: { id: string }) => p.id === created.body.id)).toBe(
      true,
    );
  });

  it('refuses a member (403) and answers staff-only, as the other staff endpoints', async () => {
    const someone = await createPerson(w.ctx, 'Mo Member', { verified: true, email: uniqueEmail('Mo') });
    const mo = await apiAs(w.ctx, someone.email);
    expect((await mo('GET', '/admin/providers')).status).toBe(403);
    expect((await mo('POST', '/admin/plans', {})).status).toBe(403);
    expect((await mo('GET', '/plans')).status).toBe(200);
  });
});
