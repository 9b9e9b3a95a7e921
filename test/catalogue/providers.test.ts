import { describe, expect, it } from 'vitest';
import { refreshCatalogueJob } from '../../jobs/refresh-catalogue.ts';
import { decryptSecret } from '../../src/lib/crypto.ts';
import { addProviderByForm, submit, useCatalogueWorld } from './helpers.ts';

const w = useCatalogueWorld();

const row = (id: string) =>
  w.ctx.db.selectFrom('cloud_providers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const cache = (id: string) =>
  w.ctx.db.selectFrom('cloud_catalogue').select(['kind', 'external_id']).where('provider_id', '=', id).execute();

describe('a provider is added with its API token', () => {
  it('stores only the ciphertext, and never shows the token again', async () => {
    const token = w.cloud.emu.token;
    const id = await addProviderByForm(w);
    const stored = await row(id);
    expect(stored.token_ciphertext).not.toBeNull();
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(decryptSecret(w.ctx.config.encryptionKeys, stored.token_ciphertext!)).toBe(token);
    expect(stored.health).toBe('unknown');

    const page = await w.admin.get(`/admin/providers/${id}`);
    expect(page.status).toBe(200);
    expect(w.admin.lastHtml).toContain('token set');
    expect(w.admin.lastHtml).not.toContain(token);
    expect(w.admin.lastHtml).not.toContain(stored.token_ciphertext!);

    const log = await w.ctx.db.selectFrom('activity_log').selectAll().where('target_id', '=', id).execute();
    expect(log.map((l) => l.action)).toEqual(['admin.provider_added']);
    expect(JSON.stringify(log)).not.toContain(token);
  });

  it('refuses a missing token, a plain-http remote URL and an empty name with the form again (422), adding nothing', async () => {
    const before = (await w.ctx.db.selectFrom('cloud_providers').select('id').execute()).length;
    await w.admin.get('/admin/providers/new');
    const res = await w.admin.post('/admin/providers', { name: '', token: '', base_url: 'http://api.example.com/v4' });
    expect(res.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Enter the name.');
    expect(w.admin.lastHtml).toContain('Use https');
    const again = await w.admin.post('/admin/providers', { name: 'No token' });
    expect(again.status).toBe(422);
    expect(w.admin.lastHtml).toContain('Enter the API token.');
    expect((await w.ctx.db.selectFrom('cloud_providers').select('id').execute()).length).toBe(before);
  });
});

describe('validate now', () => {
  it('records ok with the account label when the provider accepts the token', async () => {
    const id = await addProviderByForm(w, { name: 'Validated cloud' });
    const res = await w.admin.post(`/admin/providers/${id}/validations`);
    expect(res.status).toBe(303);
    const p = await row(id);
    expect(p.health).toBe('ok');
    expect(p.account_label).toBeTruthy();
    expect(p.validated_at).not.toBeNull();
    await w.admin.get(`/admin/providers/${id}`);
    expect(w.admin.lastHtml).toContain(p.account_label!);
  });

  it('records the error with a precise message when the provider refuses the token (401); a new token replaces it', async () => {
    const id = await addProviderByForm(w, { name: 'Wrong token cloud', token: 'not-the-right-token' });
    await w.admin.post(`/admin/providers/${id}/validations`);
    const p = await row(id);
    expect(p.health).toBe('error');
    expect(p.health_message).toMatch(/token/i);
    await w.admin.get(`/admin/providers/${id}`);
    expect(w.admin.lastHtml).toContain('id="health-message"');

    // Edit: an empty token keeps it; a new token replaces it and health is unknown again.
    const keep = await submit(
      w.ctx,
      w.admin,
      `/admin/providers/${id}`,
      { name: 'Renamed', token: '', base_url: w.cloud.emu.url, active: 'on' },
      { method: 'PATCH' },
    );
    expect(keep.status).toBe(303);
    expect((await row(id)).token_ciphertext).toBe(p.token_ciphertext);
    await submit(
      w.ctx,
      w.admin,
      `/admin/providers/${id}`,
      { name: 'Renamed', token: w.cloud.emu.token, base_url: w.cloud.emu.url, active: 'on' },
      { method: 'PATCH' },
    );
    const replaced = await row(id);
    expect(replaced.token_ciphertext).not.toBe(p.token_ciphertext);
    expect(replaced.health).toBe('unknown');
    await w.admin.post(`/admin/providers/${id}/validations`);
    expect((await row(id)).health).toBe('ok');
  });

  it('a stored token that can no longer be opened (its key is gone) is an error to fix, not a crash', async () => {
    const id = await addProviderByForm(w, { name: 'Lost key cloud' });
    await w.ctx.db
      .updateTable('cloud_providers')
      .set({ token_ciphertext: 'v9.AAAA.BBBB.CCCC', updated_at: new Date() })
      .where('id', '=', id)
      .execute();
    expect((await w.admin.post(`/admin/providers/${id}/validations`)).status).toBe(303);
    const p = await row(id);
    expect(p.health).toBe('error');
    expect(p.health_message).toContain('cannot be opened');
    expect((await w.admin.post(`/admin/providers/${id}/refreshes`)).status).toBe(303);
    await w.admin.get(`/admin/providers/${id}`);
    expect(w.admin.lastHtml).toContain('enter the token again');
  });
});

describe('the catalogue cache', () => {
  it('refresh now writes every type, region, image and script, and removes what the provider no longer lists', async () => {
    const id = await addProviderByForm(w, { name: 'Cached cloud' });
    await w.ctx.db
      .insertInto('cloud_catalogue')
      .values({ provider_id: id, kind: 'type', external_id: 'g1-retired-1', data: '{}', refreshed_at: new Date() })
      .execute();
    const res = await w.admin.post(`/admin/providers/${id}/refreshes`);
    expect(res.status).toBe(303);
    const entries = await cache(id);
    const of = (k: string) => entries.filter((e) => e.kind === k).map((e) => e.external_id);
    expect(of('type')).toContain('g6-standard-1');
    expect(of('type')).not.toContain('g1-retired-1');
    expect(of('region').sort()).toEqual(['ap-south', 'br-gru', 'eu-central', 'us-east']);
    expect(of('image')).toContain('debian12');
    expect(of('script').sort()).toEqual(['401697', '607433']);
    expect((await row(id)).catalogue_refreshed_at).not.toBeNull();
  });

  it('a provider that cannot be read keeps its cache, and the page says why', async () => {
    const id = await addProviderByForm(w, { name: 'Flaky cloud' });
    await w.admin.post(`/admin/providers/${id}/refreshes`);
    const before = await cache(id);
    w.cloud.emu.inject({ type: 'unauthorized' }, { op: 'list_types' });
    const res = await w.admin.post(`/admin/providers/${id}/refreshes`);
    expect(res.status).toBe(303);
    expect(await cache(id)).toEqual(before);
    await w.admin.get(`/admin/providers/${id}`);
    expect(w.admin.lastHtml).toContain('The catalogue could not be read');
  });

  it('the scheduled job refreshes every active provider and records its run', async () => {
    const id = await addProviderByForm(w, { name: 'Scheduled cloud' });
    const summary = await refreshCatalogueJob(w.ctx.deps, null);
    expect(summary.refreshed).toBeGreaterThanOrEqual(1);
    // The provider whose token cannot be opened is named, and did not stop the others.
    const lost = await w.ctx.db
      .selectFrom('cloud_providers')
      .select('id')
      .where('name', '=', 'Lost key cloud')
      .executeTakeFirstOrThrow();
    expect(summary.failed.map((f) => f.provider)).toEqual([lost.id]);
    expect((await cache(id)).length).toBeGreaterThan(10);
    const run = await w.ctx.db
      .selectFrom('job_runs')
      .selectAll()
      .where('queue', '=', 'catalogue.refresh')
      .executeTakeFirstOrThrow();
    expect(run.status).toBe('succeeded');
  });
});

describe('what customers may pick', () => {
  it('regions are allowed from the cache with a label and country; an unknown one is refused (422)', async () => {
    const id = await addProviderByForm(w, { name: 'Regions cloud' });
    await w.admin.post(`/admin/providers/${id}/refreshes`);
    await w.admin.get(`/admin/providers/${id}/regions?edit=eu-central`);
    expect(w.admin.lastHtml).toContain('value="Frankfurt, DE"');
    const ok = await w.admin.post(`/admin/providers/${id}/regions`, {
      region_id: 'eu-central',
      label: 'Frankfurt',
      country: 'DE',
      display_order: '2',
      active: 'on',
    });
    expect(ok.status).toBe(303);
    const bad = await w.admin.post(`/admin/providers/${id}/regions`, {
      region_id: 'mars-north',
      label: 'Mars',
      country: 'xx',
      active: 'on',
    });
    expect(bad.status).toBe(422);
    expect(w.admin.lastHtml).toContain('does not list this region');
    const regions = await w.ctx.db.selectFrom('server_regions').selectAll().where('provider_id', '=', id).execute();
    expect(regions.map((r) => [r.region_id, r.label, r.country])).toEqual([['eu-central', 'Frankfurt', 'de']]);
  });

  it('an app must let customers fill every field that has no default', async () => {
    const id = await addProviderByForm(w, { name: 'Apps cloud' });
    await w.admin.post(`/admin/providers/${id}/refreshes`);
    const refused = await submit(w.ctx, w.admin, `/admin/providers/${id}/apps`, {
      script_id: '401697',
      label: 'WordPress',
      fields: ['webserver'],
      active: 'on',
    });
    expect(refused.status).toBe(422);
    expect(w.admin.lastHtml).toContain('fields without a default');
    const ok = await submit(w.ctx, w.admin, `/admin/providers/${id}/apps`, {
      script_id: '401697',
      label: 'WordPress',
      fields: ['soa_email_address', 'wp_admin_user', 'webserver'],
      active: 'on',
    });
    expect(ok.status).toBe(303);
    const app = await w.ctx.db
      .selectFrom('server_apps')
      .selectAll()
      .where('provider_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(app.fields).toEqual(['soa_email_address', 'webserver', 'wp_admin_user']);
  });

  it('a customer cannot reach the provider pages (404, as every admin page)', async () => {
    const res = await w.customer.get('/admin/providers');
    expect(res.status).toBe(404);
  });
});
