import { beforeEach, describe, expect, it } from 'vitest';
import { balanceOf, cancelAll, domainName, postingsOf, usd, useStoreWorld } from './purchase-helpers.ts';

const w = useStoreWorld();
beforeEach(async () => {
  if (w.ctx) await cancelAll(w, w.olive.orgId);
});

const keyIn = (html: string) => /name="key" value="([^"]+)"/.exec(html)?.[1] ?? '';
const servicesOf = (orgId: string) =>
  w.ctx.db.selectFrom('hosting_services').selectAll().where('organization_id', '=', orgId).execute();

describe('the store', () => {
  it('shows the plans on sale with prices and resources, and a buy form with a hidden purchase key', async () => {
    const res = await w.olive.browser.get('/hosting/store');
    expect(res.status).toBe(200);
    const html = w.olive.browser.lastHtml;
    expect(html).toContain('Starter');
    expect(html).toContain('Business');
    expect(html).toContain('$5.00');
    expect(html).toContain('$12.00');
    expect(html).toContain('mailboxes');
    expect(keyIn(html)).toMatch(/^[0-9a-f-]{36}$/);
    expect(html).toContain('data-testid="buy"');
    expect(html).not.toMatch(/enhance/i);
    // A viewer may look, not buy.
    await w.vera.browser.get('/hosting/store');
    expect(w.vera.browser.lastHtml).not.toContain('data-testid="buy"');
  });

  it('checks the domain as it is typed: available, refused with the reason, or not a domain', async () => {
    await w.olive.browser.get(`/hosting/store/domain-check?domain=${domainName()}`);
    expect(w.olive.browser.lastHtml).toContain('This domain is available.');
    await w.olive.browser.get('/hosting/store/domain-check?domain=example.com');
    expect(w.olive.browser.lastHtml).toContain('cannot be hosted here');
    await w.olive.browser.get('/hosting/store/domain-check?domain=not%20a%20domain');
    expect(w.olive.browser.lastHtml).toContain('Enter a domain name');
    const viewer = await w.vera.browser.get(`/hosting/store/domain-check?domain=${domainName()}`);
    expect(viewer.status).toBe(403);
  });

  it('buys: one service for a double submit, then its page shows it live with IPs, renewal, usage and tabs', async () => {
    await w.olive.browser.get('/hosting/store');
    const key = keyIn(w.olive.browser.lastHtml);
    const domain = domainName('page');
    const form = { plan_id: w.starter, domain, key };
    const first = await w.olive.browser.post('/hosting', form);
    expect(first.status).toBe(303);
    const again = await w.olive.browser.post('/hosting', form);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const services = (await servicesOf(w.olive.orgId)).filter((s) => s.domain === domain);
    expect(services).toHaveLength(1);
    expect(await postingsOf(w, services[0]!.id)).toEqual(['hosting_charge']);
    expect(first.headers.get('location')).toBe(`/hosting/${services[0]!.id}`);

    const page = await w.olive.browser.get(`/hosting/${services[0]!.id}`);
    expect(page.status).toBe(200);
    const html = w.olive.browser.lastHtml;
    expect(html).toContain('is live.');
    expect(html).toContain('data-testid="hosting-status">Active');
    expect(html).toMatch(/data-testid="hosting-ips">\d+\.\d+\.\d+\.\d+/);
    expect(html).toContain('data-testid="hosting-renewal"');
    expect(html).toContain('Mailboxes');
    expect(html).toContain(`/hosting/${services[0]!.id}/dns`);
    expect(html).toContain(`/hosting/${services[0]!.id}/cancel`);
    expect(html).toContain('data-testid="panel-sso"');
    expect(html).not.toMatch(/enhance/i);
    // The live summary region alone, for the event stream's refresh.
    await w.olive.browser.get(`/hosting/${services[0]!.id}`, { 'hx-request': 'true', 'hx-target': 'hosting-summary' });
    expect(w.olive.browser.lastHtml.trim()).toMatch(/^<section id="hosting-summary"/);
    // The site and data tabs carry the same tab bar, their own tab marked.
    for (const tab of ['dns', 'email']) {
      expect((await w.olive.browser.get(`/hosting/${services[0]!.id}/${tab}`)).status).toBe(200);
      expect(w.olive.browser.lastHtml).toContain('data-testid="hosting-tabs"');
      expect(w.olive.browser.lastHtml).toContain(`href="/hosting/${services[0]!.id}/${tab}" aria-current="page"`);
    }
    // The list.
    await w.olive.browser.get('/hosting');
    expect(w.olive.browser.lastHtml).toContain(domain);
  });

  it('answers a bad form with the form again (422) and makes nothing', async () => {
    await w.olive.browser.get('/hosting/store');
    const res = await w.olive.browser.post('/hosting', {
      plan_id: w.starter,
      domain: 'http://',
      key: crypto.randomUUID(),
    });
    expect(res.status).toBe(422);
    expect(w.olive.browser.lastHtml).toContain('Enter a domain name');
    expect(w.olive.browser.lastHtml).toContain('value="http://"');
    expect((await servicesOf(w.olive.orgId)).filter((s) => s.status !== 'cancelled')).toEqual([]);
  });

  it('refuses a purchase the wallet does not cover (422) and charges nothing', async () => {
    await w.gus.browser.get('/hosting/store');
    const res = await w.gus.browser.post('/hosting', {
      plan_id: w.starter,
      domain: domainName(),
      key: crypto.randomUUID(),
    });
    expect(res.status).toBe(422);
    expect(w.gus.browser.lastHtml).toContain('does not cover the first month');
    expect(await servicesOf(w.gus.orgId)).toEqual([]);
    expect(await balanceOf(w, w.gus.orgId)).toBe(0n);
  });

  it('says usage is unavailable when the panel cannot answer, and the page still works', async () => {
    await w.olive.browser.get('/hosting/store');
    const res = await w.olive.browser.post('/hosting', {
      plan_id: w.starter,
      domain: domainName('usage'),
      key: crypto.randomUUID(),
    });
    w.emu.faults.fail('GET', /\/subscriptions\/\d+$/, 503, undefined, 3);
    const page = await w.olive.browser.get(res.headers.get('location')!);
    w.emu.faults.clear();
    expect(page.status).toBe(200);
    expect(w.olive.browser.lastHtml).toContain('data-testid="usage-unavailable"');
  });

  it('answers another organization’s service as not found', async () => {
    const [mine] = await servicesOf(w.olive.orgId);
    expect((await w.gus.browser.get(`/hosting/${mine!.id}`)).status).toBe(404);
    expect((await w.gus.browser.get('/hosting/not-a-uuid')).status).toBe(404);
  });

  it('hides the store while hosting is off, and keeps the services visible', async () => {
    await w.ctx.db.updateTable('hosting_integration').set({ enabled: false }).execute();
    try {
      // The catalogue cache hears of the change from the database's notifications.
      await expect.poll(async () => (await w.olive.browser.get('/hosting/store')).status).toBe(404);
      expect((await w.olive.browser.get('/hosting')).status).toBe(200);
      expect(w.olive.browser.lastHtml).not.toContain('data-testid="store-link"');
      const [mine] = await servicesOf(w.olive.orgId);
      expect((await w.olive.browser.get(`/hosting/${mine!.id}`)).status).toBe(200);
      const api = await w.api('GET', '/hosting/plans', { token: w.olive.token });
      expect(api.body.data).toEqual([]);
    } finally {
      await w.ctx.db.updateTable('hosting_integration').set({ enabled: true }).execute();
      await expect.poll(async () => (await w.olive.browser.get('/hosting/store')).status).toBe(200);
    }
  });
});

describe('the JSON API', () => {
  it('lists the plans with decimal prices and resources', async () => {
    const res = await w.api('GET', '/hosting/plans', { token: w.olive.token });
    expect(res.status).toBe(200);
    const starter = res.body.data.find((p: { id: string }) => p.id === w.starter);
    expect(starter).toMatchObject({ name: 'Starter', monthly_price: '5.00', currency: 'USD' });
    expect(starter.resources).toContainEqual({ name: 'mailboxes', total: 5 });
  });

  it('creates a service once per Idempotency-Key, reads and lists it; foreign ids are 404', async () => {
    const domain = domainName('api');
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const body = { plan_id: w.starter, domain };
    const first = await w.api('POST', '/hosting/services', { token: w.olive.token, body, headers });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ domain, status: 'active', monthly_price: '5.00', plan: { id: w.starter } });
    expect(first.body.server_ips.length).toBeGreaterThan(0);
    const again = await w.api('POST', '/hosting/services', { token: w.olive.token, body, headers });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(await postingsOf(w, first.body.id)).toEqual(['hosting_charge']);

    const one = await w.api('GET', `/hosting/services/${first.body.id}`, { token: w.vera.token });
    expect(one.status).toBe(200);
    expect(one.body.next_renewal).toMatch(/Z$/);
    const list = await w.api('GET', '/hosting/services?status=active', { token: w.olive.token });
    expect(list.body.data.map((s: { id: string }) => s.id)).toContain(first.body.id);
    expect((await w.api('GET', '/hosting/services?status=bogus', { token: w.olive.token })).status).toBe(422);
    expect((await w.api('GET', `/hosting/services/${first.body.id}`, { token: w.gus.token })).status).toBe(404);
  });

  it('refuses bad input and an uncovered first month with 422, and a viewer with 403', async () => {
    const bad = await w.api('POST', '/hosting/services', {
      token: w.olive.token,
      body: { plan_id: w.starter, domain: 'x' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields.domain).toMatch(/domain name/);
    const poor = await w.api('POST', '/hosting/services', {
      token: w.gus.token,
      body: { plan_id: w.starter, domain: domainName() },
    });
    expect(poor.status).toBe(422);
    expect(poor.body.error.code).toBe('insufficient_funds');
    const viewer = await w.api('POST', '/hosting/services', {
      token: w.vera.token,
      body: { plan_id: w.starter, domain: domainName() },
    });
    expect(viewer.status).toBe(403);
    expect(await balanceOf(w, w.gus.orgId)).toBe(0n);
    expect(usd(5)).toBe(5_000_000n);
  });
});
