import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { checkCertificate } from '../../src/domain/hosting/ssl.ts';
import { createLogger } from '../../src/lib/log.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { PASSWORD } from '../helpers/people.ts';
import { activityOf, selfSigned, siteService, useSiteWorld } from './site-helpers.ts';

/**
 * The site tabs of a hosting service (issue 17 item 4, helper B) against the emulator through the
 * real client: domains, DNS, SSL, PHP and the control panel sign-in, as pages and as the JSON API;
 * who may read and change them; and what never leaks (the panel's name, the login link).
 */

const w = useSiteWorld();

const api = (token: string, method: string, path: string, body?: unknown) =>
  w.api(method, `/hosting/services${path}`, { token, body });

describe('domains', () => {
  it('lists the website’s domains and adds an alias through the form, audited', async () => {
    const s = await siteService(w, w.olive.orgId);
    const page = await w.olive.browser.get(`/hosting/${s.id}/domains`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(s.domain);
    expect(html).toContain('Primary');
    expect(html).not.toMatch(/enhance/i);

    const alias = `alias-${s.domain}`.replace('site-', 'other-');
    const res = await w.olive.browser.post(`/hosting/${s.id}/domains`, { domain: alias.toUpperCase(), kind: 'alias' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/hosting/${s.id}/domains`);
    const domains = await w.panel.listWebsiteDomains(s.enhanceOrgId, s.websiteId);
    expect(domains.map((d) => [d.domain, d.mappingKind])).toContainEqual([alias, 'alias']);
    expect(await activityOf(w, s.id)).toContainEqual(
      expect.objectContaining({ action: 'hosting.domain_added', actor_user_id: w.olive.id }),
    );
  });

  it('refuses a bad hostname, a subdomain outside the site and a domain on another site, with the form again (422)', async () => {
    const s = await siteService(w, w.olive.orgId);
    const other = await siteService(w, w.gus.orgId);
    const bad = await w.olive.browser.post(`/hosting/${s.id}/domains`, { domain: 'not a domain', kind: 'alias' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Enter a domain name such as example.com');
    const sub = await w.olive.browser.post(`/hosting/${s.id}/domains`, {
      domain: 'blog.elsewhere.test',
      kind: 'subdomain',
    });
    expect(sub.status).toBe(422);
    expect(await sub.text()).toContain('A subdomain must be below one of this website’s domains');
    const taken = await w.olive.browser.post(`/hosting/${s.id}/domains`, { domain: other.domain, kind: 'alias' });
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain(`${other.domain} is already hosted by another account.`);
    const okSub = await w.olive.browser.post(`/hosting/${s.id}/domains`, {
      domain: `blog.${s.domain}`,
      kind: 'subdomain',
    });
    expect(okSub.status).toBe(303);
  });

  it('shows a quota refusal in the plan’s words, never the panel’s name', async () => {
    const s = await siteService(w, w.olive.orgId);
    const plan = [...w.emu.state.plans.values()][0]!;
    plan.resources.push({ name: 'domainAliases', total: 0 });
    try {
      const res = await w.olive.browser.post(`/hosting/${s.id}/domains`, { domain: `a-${s.domain}`, kind: 'alias' });
      expect(res.status).toBe(422);
      const html = await res.text();
      expect(html).toContain('Your hosting plan allows no more domain aliases.');
      expect(html).not.toMatch(/enhance|domainAliases/i);
      const viaApi = await api(w.olive.token, 'POST', `/${s.id}/domains`, { domain: `b-${s.domain}`, kind: 'alias' });
      expect(viaApi.status).toBe(422);
      expect(viaApi.body.error.code).toBe('hosting_quota');
    } finally {
      plan.resources.pop();
    }
  });

  it('makes an alias primary (the service follows), refuses to remove the primary, removes the old one', async () => {
    const s = await siteService(w, w.olive.orgId);
    const alias = `new-${s.domain}`;
    const added = await api(w.olive.token, 'POST', `/${s.id}/domains`, { domain: alias, kind: 'alias' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ domain: alias, kind: 'alias' });

    const primary = await w.olive.browser.post(`/hosting/${s.id}/domains/primary`, { domain_id: added.body.id });
    expect(primary.status).toBe(303);
    const row = await w.ctx.db
      .selectFrom('hosting_services')
      .select('domain')
      .where('id', '=', s.id)
      .executeTakeFirstOrThrow();
    expect(row.domain).toBe(alias);

    const list = await api(w.olive.token, 'GET', `/${s.id}/domains`);
    expect(list.status).toBe(200);
    expect(list.body.data[0]).toMatchObject({ domain: alias, kind: 'primary' });
    expect(list.body.data).toContainEqual(expect.objectContaining({ domain: s.domain, kind: 'alias' }));

    const refuse = await api(w.olive.token, 'DELETE', `/${s.id}/domains/${added.body.id}`);
    expect(refuse.status).toBe(409);
    expect(refuse.body.error.code).toBe('hosting_primary_domain');

    const gone = await api(w.olive.token, 'DELETE', `/${s.id}/domains/${s.primaryId}`);
    expect(gone.status).toBe(204);
    const after = await w.panel.listWebsiteDomains(s.enhanceOrgId, s.websiteId);
    expect(after.map((d) => d.domain)).toEqual([alias]);
    expect((await activityOf(w, s.id)).map((a) => a.action)).toEqual(
      expect.arrayContaining(['hosting.domain_added', 'hosting.primary_domain_set', 'hosting.domain_removed']),
    );
  });
});

describe('DNS', () => {
  it('lists the zone, adds, changes and deletes records through the pages', async () => {
    const s = await siteService(w, w.olive.orgId);
    const page = await w.olive.browser.get(`/hosting/${s.id}/dns`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('v=spf1 a mx ~all');

    const add = await w.olive.browser.post(`/hosting/${s.id}/dns`, {
      domain_id: s.primaryId,
      kind: 'A',
      name: 'shop',
      value: '198.51.100.7',
      ttl: '600',
    });
    expect(add.status).toBe(303);
    const zone = await w.panel.getDnsZone(s.enhanceOrgId, s.websiteId, s.primaryId);
    const rec = zone.records.find((r) => r.name === 'shop')!;
    expect(rec).toMatchObject({ kind: 'A', value: '198.51.100.7', ttl: 600 });

    const edit = await w.olive.browser.post(`/hosting/${s.id}/dns/${rec.id}`, {
      domain_id: s.primaryId,
      kind: 'A',
      name: 'shop',
      value: '198.51.100.8',
      ttl: '600',
    });
    expect(edit.status).toBe(303);
    const badEdit = await w.olive.browser.post(`/hosting/${s.id}/dns/${rec.id}`, {
      domain_id: s.primaryId,
      kind: 'A',
      name: 'shop',
      value: '2001:db8::1',
      ttl: '600',
    });
    expect(badEdit.status).toBe(422);
    expect(await badEdit.text()).toContain('An A record points at an IPv4 address');
    const del = await w.olive.browser.post(`/hosting/${s.id}/dns/${rec.id}/deletion`, { domain_id: s.primaryId });
    expect(del.status).toBe(303);
    const after = await w.panel.getDnsZone(s.enhanceOrgId, s.websiteId, s.primaryId);
    expect(after.records.find((r) => r.id === rec.id)).toBeUndefined();
    expect((await activityOf(w, s.id)).map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'hosting.dns_record_created',
        'hosting.dns_record_updated',
        'hosting.dns_record_deleted',
      ]),
    );
  });

  it('checks each record kind before the panel sees it (422 naming the field)', async () => {
    const s = await siteService(w, w.olive.orgId);
    const cases: [Record<string, unknown>, string, string][] = [
      [{ kind: 'A', name: 'x', value: '300.1.1.1' }, 'value', 'IPv4'],
      [{ kind: 'AAAA', name: 'x', value: '203.0.113.1' }, 'value', 'IPv6'],
      [{ kind: 'CNAME', name: '@', value: 'example.net' }, 'name', 'CNAME cannot be at @'],
      [{ kind: 'CNAME', name: 'y', value: 'not a host' }, 'value', 'hostname'],
      [{ kind: 'NS', name: 'sub', value: '1.2.3.4' }, 'value', 'hostname'],
      [{ kind: 'MX', name: '@', value: 'mail.example.net' }, 'value', 'priority'],
      [{ kind: 'MX', name: '@', value: '70000 mail.example.net' }, 'value', 'priority'],
      [{ kind: 'TXT', name: '@', value: 'x'.repeat(2049) }, 'value', 'at most 2048'],
      [{ kind: 'SPF', name: '@', value: 'include:example.net' }, 'value', 'v=spf1'],
      [{ kind: 'SRV', name: 'sip', value: '10 5 5060 sip.example.net' }, 'name', '_service._protocol'],
      [{ kind: 'SRV', name: '_sip._tcp', value: '10 5 sip.example.net' }, 'value', 'priority, weight and port'],
      [{ kind: 'CAA', name: '@', value: '0 allow letsencrypt.org' }, 'value', 'issue, issuewild or iodef'],
      [{ kind: 'CAA', name: '@', value: '300 issue letsencrypt.org' }, 'value', 'flags'],
      [{ kind: 'A', name: 'x', value: '203.0.113.1', ttl: 30 }, 'ttl', 'from 60 to 604800'],
      [{ kind: 'A', name: 'x', value: '203.0.113.1', ttl: 700000 }, 'ttl', 'from 60 to 604800'],
      [{ kind: 'A', name: 'bad name!', value: '203.0.113.1' }, 'name', 'Enter @'],
      [{ kind: 'A', name: 'www', value: '203.0.113.1' }, 'name', 'CNAME record'],
    ];
    for (const [body, field, words] of cases) {
      const res = await api(w.olive.token, 'POST', `/${s.id}/dns`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect({ body, message: res.body.error.fields?.[field] }).toEqual({
        body,
        message: expect.stringContaining(words),
      });
    }
    const before = w.emu
      .requests()
      .filter((r) => r.method === 'POST' && r.path.includes(s.websiteId) && r.path.endsWith('/dns-zone/records'));
    expect(before).toEqual([]);
  });

  it('accepts every kind in its form, normalised, through the API', async () => {
    const s = await siteService(w, w.olive.orgId);
    const ok: [Record<string, unknown>, string][] = [
      [{ kind: 'A', name: 'A1', value: '203.0.113.9' }, '203.0.113.9'],
      [{ kind: 'AAAA', name: 'v6', value: '2001:DB8::9' }, '2001:db8::9'],
      [{ kind: 'CNAME', name: 'blog', value: 'hosting.example.net' }, 'hosting.example.net.'],
      [{ kind: 'MX', name: '@', value: '20 backup-mx.example.net' }, '20 backup-mx.example.net.'],
      [{ kind: 'TXT', name: '_dmarc', value: 'v=DMARC1; p=none' }, 'v=DMARC1; p=none'],
      [{ kind: 'SRV', name: '_sip._tcp', value: '10 5 5060 sip.example.net' }, '10 5 5060 sip.example.net.'],
      [{ kind: 'CAA', name: '@', value: '0 issue letsencrypt.org' }, '0 issue "letsencrypt.org"'],
      [{ kind: 'NS', name: 'lab', value: 'ns1.example.net' }, 'ns1.example.net.'],
      [{ kind: 'A', name: `deep.${s.domain}.`, value: '203.0.113.10', ttl: 60 }, '203.0.113.10'],
    ];
    for (const [body, value] of ok) {
      const res = await api(w.olive.token, 'POST', `/${s.id}/dns`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 201 });
      expect(res.body.value).toBe(value);
    }
    const list = await api(w.olive.token, 'GET', `/${s.id}/dns`);
    expect(list.status).toBe(200);
    expect(list.body.origin).toBe(s.domain);
    expect(list.body.data).toContainEqual(expect.objectContaining({ kind: 'A', name: 'deep', ttl: 60 }));
    expect(list.body.data).toContainEqual(expect.objectContaining({ kind: 'A', name: 'a1', ttl: 3600 }));

    const a = list.body.data.find((r: { name: string }) => r.name === 'a1');
    const patched = await api(w.olive.token, 'PATCH', `/${s.id}/dns/${a.id}`, { ttl: 120 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ kind: 'A', name: 'a1', value: '203.0.113.9', ttl: 120 });
    const bad = await api(w.olive.token, 'PATCH', `/${s.id}/dns/${a.id}`, { value: 'nope' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields.value).toContain('IPv4');
    expect((await api(w.olive.token, 'DELETE', `/${s.id}/dns/${a.id}`)).status).toBe(204);
    expect((await api(w.olive.token, 'DELETE', `/${s.id}/dns/${a.id}`)).status).toBe(404);
  });
});

describe('SSL', () => {
  it('issues Let’s Encrypt asynchronously: pending (the table polls itself), then active by polling, no webhook', async () => {
    const s = await siteService(w, w.olive.orgId);
    const start = await api(w.olive.token, 'POST', `/${s.id}/ssl`, { domain_id: s.primaryId, kind: 'letsencrypt' });
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ domain: s.domain, state: 'pending' });

    const pending = await api(w.olive.token, 'GET', `/${s.id}/ssl`);
    expect(pending.body.pending).toBe(true);
    expect(pending.body.data[0]).toMatchObject({ domain: s.domain, state: 'pending', expires_at: null });
    const fragment = await w.olive.browser.get(`/hosting/${s.id}/ssl/progress`);
    const polling = await fragment.text();
    expect(polling).toContain('hx-trigger="every 3s"');
    expect(polling).toContain('Issuing…');

    w.emu.finishJobs();
    const done = await w.olive.browser.get(`/hosting/${s.id}/ssl/progress`);
    const settled = await done.text();
    expect(settled).not.toContain('hx-trigger');
    expect(settled).toContain('Active');
    const active = await api(w.olive.token, 'GET', `/${s.id}/ssl`);
    expect(active.body.pending).toBe(false);
    expect(active.body.data[0]).toMatchObject({ state: 'active', issuer: "Let's Encrypt", force_https: false });
    expect(Date.parse(active.body.data[0].expires_at)).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    const left = await sql`select 1 from hosting_ssl_requests where service_id = ${s.id}`.execute(w.ctx.db);
    expect(left.rows).toEqual([]);
  });

  it('shows a request the panel never answered as failed once the wait is over', async () => {
    const s = await siteService(w, w.olive.orgId);
    w.emu.failNextJobs(1);
    const start = await w.olive.browser.post(`/hosting/${s.id}/ssl/letsencrypt`, { domain_id: s.primaryId });
    expect(start.status).toBe(303);
    w.emu.finishJobs();
    expect((await api(w.olive.token, 'GET', `/${s.id}/ssl`)).body.data[0].state).toBe('pending');
    w.ctx.clock.advance(11 * 60_000);
    try {
      const res = await api(w.olive.token, 'GET', `/${s.id}/ssl`);
      expect(res.body.data[0].state).toBe('failed');
      const page = await (await w.olive.browser.get(`/hosting/${s.id}/ssl`)).text();
      expect(page).toContain('The certificate was not issued');
    } finally {
      w.ctx.clock.advance(-11 * 60_000);
    }
  });

  it('installs an uploaded certificate after checking it, then turns the HTTPS redirect on', async () => {
    const s = await siteService(w, w.olive.orgId);
    const noCert = await api(w.olive.token, 'PATCH', `/${s.id}/ssl/${s.primaryId}`, { force_https: true });
    expect(noCert.status).toBe(409);
    expect(noCert.body.error.code).toBe('hosting_no_certificate');

    const mine = await selfSigned(s.domain);
    const other = await selfSigned('elsewhere.test');
    const wrongKey = await api(w.olive.token, 'POST', `/${s.id}/ssl`, {
      domain_id: s.primaryId,
      kind: 'upload',
      cert: mine.cert,
      key: other.key,
    });
    expect(wrongKey.status).toBe(422);
    expect(wrongKey.body.error.fields.key).toContain('does not belong to the certificate');
    const wrongHost = await api(w.olive.token, 'POST', `/${s.id}/ssl`, {
      domain_id: s.primaryId,
      kind: 'upload',
      ...other,
    });
    expect(wrongHost.status).toBe(422);
    expect(wrongHost.body.error.fields.cert).toContain(`does not cover ${s.domain}`);
    const notPem = await w.olive.browser.post(`/hosting/${s.id}/ssl/upload`, {
      domain_id: s.primaryId,
      cert: 'hello',
      key: mine.key,
    });
    expect(notPem.status).toBe(422);
    const html = await notPem.text();
    expect(html).toContain('The certificate must be PEM');
    expect(html).not.toContain('PRIVATE KEY-----\n'); // the key typed is never shown again

    // Expiry, checked against the app's clock (pure: no session to outlive).
    expect(() => checkCertificate(mine, s.domain, new Date(Date.now() + 200 * 86_400_000))).toThrow(
      expect.objectContaining({ fields: { cert: expect.stringContaining('expired') } }),
    );

    const ok = await w.olive.browser.post(`/hosting/${s.id}/ssl/upload`, { domain_id: s.primaryId, ...mine });
    expect(ok.status).toBe(303);
    const cert = await w.panel.getCertificate(s.primaryId);
    expect(cert).toMatchObject({ issuer: 'Uploaded' });
    const upload = w.emu.requests().find((r) => r.method === 'POST' && r.path === `/v2/domains/${s.primaryId}/ssl`);
    expect(JSON.stringify(upload?.body)).not.toContain('PRIVATE KEY');
    const entries = await activityOf(w, s.id);
    expect(entries).toContainEqual(expect.objectContaining({ action: 'hosting.ssl_uploaded' }));
    expect(JSON.stringify(entries)).not.toContain('PRIVATE KEY');

    const on = await w.olive.browser.post(`/hosting/${s.id}/ssl/${s.primaryId}/https`, { force_https: 'on' });
    expect(on.status).toBe(303);
    expect((await w.panel.getCertificate(s.primaryId))?.forceHttps).toBe(true);
    const off = await api(w.olive.token, 'PATCH', `/${s.id}/ssl/${s.primaryId}`, { force_https: false });
    expect(off.status).toBe(200);
    expect(off.body.force_https).toBe(false);
    expect((await w.panel.getCertificate(s.primaryId))?.forceHttps).toBe(false);
  });
});

describe('PHP', () => {
  it('switches to one of the plan’s versions and stores it; refuses others', async () => {
    const s = await siteService(w, w.olive.orgId);
    const page = await (await w.olive.browser.get(`/hosting/${s.id}/php`)).text();
    expect(page).toContain('PHP 8.3');
    expect(page).toContain('Node.js applications');
    const res = await w.olive.browser.post(`/hosting/${s.id}/php`, { php_version: 'php81' });
    expect(res.status).toBe(303);
    expect((await w.panel.getWebsite(s.enhanceOrgId, s.websiteId)).phpVersion).toBe('php81');
    const row = await w.ctx.db
      .selectFrom('hosting_services')
      .select('php_version')
      .where('id', '=', s.id)
      .executeTakeFirstOrThrow();
    expect(row.php_version).toBe('php81');
    const bad = await w.olive.browser.post(`/hosting/${s.id}/php`, { php_version: 'php56' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Choose one of your plan’s PHP versions');
    const viaApi = await api(w.olive.token, 'GET', `/${s.id}/php`);
    expect(viaApi.body).toMatchObject({ php_version: 'php81', default_version: 'php83' });
    expect(viaApi.body.allowed).toContain('php84');
    expect((await api(w.olive.token, 'PATCH', `/${s.id}/php`, { php_version: 'php99' })).status).toBe(422);
  });
});

describe('control panel sign-in', () => {
  it('answers 303 to a fresh single-use link, never stored or logged', async () => {
    const s = await siteService(w, w.olive.orgId);
    const lines: string[] = [];
    const log = createLogger('debug', { write: (l: string) => void lines.push(l) });
    const app = createApp({ ...w.ctx.deps, log });
    const browser = new TestBrowser(app, '192.0.2.12');
    await browser.get('/login');
    const signIn = await browser.post('/login', { email: w.olive.email, password: PASSWORD });
    expect(signIn.status).toBe(303);
    await browser.get(`/hosting/${s.id}/domains`);

    const res = await browser.post(`/hosting/${s.id}/sso`);
    expect(res.status).toBe(303);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const url = res.headers.get('location')!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/login\/sessions\/sso\?otp=/);
    const otp = new URL(url).searchParams.get('otp')!;

    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect((await fetch(url)).status).toBe(401);

    const again = await browser.post(`/hosting/${s.id}/sso`);
    expect(again.headers.get('location')).not.toBe(url);

    expect(lines.some((l) => l.includes(`/hosting/${s.id}/sso`))).toBe(true);
    expect(lines.join('\n')).not.toContain(otp);
    const stored = await sql<{ t: string }>`
      select string_agg(x::text, ' ') as t from (
        select a::text as x from activity_log a union all select s::text from sessions s
        union all select h::text from hosting_customers h union all select v::text from hosting_services v
      ) all_rows`.execute(w.ctx.db);
    expect(stored.rows[0]!.t).not.toContain(otp);
    expect(await activityOf(w, s.id)).toContainEqual(expect.objectContaining({ action: 'hosting.panel_opened' }));
  });

  it('answers the API with { url } and no-store, and finds the member again when the stored one is gone', async () => {
    const s = await siteService(w, w.gus.orgId);
    await w.ctx.db
      .updateTable('hosting_customers')
      .set({ member_id: crypto.randomUUID() })
      .where('organization_id', '=', w.gus.orgId)
      .execute();
    const res = await api(w.gus.token, 'POST', `/${s.id}/sso`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.url).toMatch(/otp=/);
    const row = await w.ctx.db
      .selectFrom('hosting_customers')
      .select('member_id')
      .where('organization_id', '=', w.gus.orgId)
      .executeTakeFirstOrThrow();
    expect(row.member_id).toBe(s.memberId);
    expect((await fetch(res.body.url)).status).toBe(200);
  });
});

describe('who may', () => {
  it('answers another organization’s service as 404, pages and API alike', async () => {
    const s = await siteService(w, w.olive.orgId);
    for (const tab of ['domains', 'dns', 'ssl', 'php'])
      expect((await w.gus.browser.get(`/hosting/${s.id}/${tab}`)).status).toBe(404);
    expect((await w.gus.browser.post(`/hosting/${s.id}/sso`)).status).toBe(404);
    expect((await api(w.gus.token, 'GET', `/${s.id}/dns`)).status).toBe(404);
    expect((await api(w.gus.token, 'POST', `/${s.id}/sso`)).status).toBe(404);
    expect((await api(w.gus.token, 'POST', `/${s.id}/domains`, { domain: 'x-y.test', kind: 'alias' })).status).toBe(
      404,
    );
    expect((await w.gus.browser.get(`/hosting/not-a-uuid/domains`)).status).toBe(404);
  });

  it('lets a viewer read every tab but change nothing', async () => {
    const s = await siteService(w, w.olive.orgId);
    for (const tab of ['domains', 'dns', 'ssl', 'php']) {
      const page = await w.vera.browser.get(`/hosting/${s.id}/${tab}`);
      expect(page.status).toBe(200);
      expect(await page.text()).not.toContain('Open control panel');
    }
    expect(
      (await w.vera.browser.post(`/hosting/${s.id}/domains`, { domain: `v-${s.domain}`, kind: 'alias' })).status,
    ).toBe(403);
    expect((await w.vera.browser.post(`/hosting/${s.id}/sso`)).status).toBe(403);
    expect((await api(w.vera.token, 'GET', `/${s.id}/domains`)).status).toBe(200);
    expect(
      (await api(w.vera.token, 'POST', `/${s.id}/dns`, { kind: 'A', name: 'v', value: '203.0.113.1' })).status,
    ).toBe(403);
    expect((await api(w.vera.token, 'PATCH', `/${s.id}/php`, { php_version: 'php82' })).status).toBe(403);
    expect((await api(w.vera.token, 'POST', `/${s.id}/sso`)).status).toBe(403);
    expect((await w.panel.getWebsite(s.enhanceOrgId, s.websiteId)).phpVersion).toBe('php83');
  });

  it('answers 409 for a service without a website, and refuses changes while suspended', async () => {
    const p = await siteService(w, w.olive.orgId, { status: 'provisioning' });
    const page = await w.olive.browser.get(`/hosting/${p.id}/domains`);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('still being set up');
    const res = await api(w.olive.token, 'GET', `/${p.id}/dns`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('hosting_no_website');

    const s = await siteService(w, w.olive.orgId, { status: 'suspended' });
    expect((await w.olive.browser.get(`/hosting/${s.id}/dns`)).status).toBe(200);
    const change = await api(w.olive.token, 'POST', `/${s.id}/dns`, { kind: 'A', name: 'x', value: '203.0.113.1' });
    expect(change.status).toBe(409);
    expect(change.body.error.code).toBe('hosting_suspended');
  });

  it('turns a panel outage into a clear 503 without the panel’s name', async () => {
    const s = await siteService(w, w.olive.orgId);
    w.emu.faults.fail('GET', /\/domains$/, 500, undefined, 3);
    const res = await api(w.olive.token, 'GET', `/${s.id}/domains`);
    expect(res.status).toBe(503);
    expect(res.body.error.message).not.toMatch(/enhance/i);
    w.emu.faults.clear();
  });
});
