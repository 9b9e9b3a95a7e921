import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestBrowser } from '../helpers/browser.ts';
import { signedIn } from '../helpers/people.ts';
import { firewallWorld, rulesWith, type FirewallWorld } from './world.ts';

let w: FirewallWorld;
beforeAll(async () => {
  w = await firewallWorld('198.51.100.91');
});
afterAll(async () => w.close());

const formHx = { 'hx-request': 'true', 'hx-target': 'firewall-form' };
const serversHx = { 'hx-request': 'true', 'hx-target': 'firewall-servers' };
async function browser(who: keyof FirewallWorld['people'], path = '/firewalls'): Promise<TestBrowser> {
  const b = await signedIn(w.ctx, w.people[who].email);
  await b.get(path);
  return b;
}
const firewallsNamed = (label: string) =>
  w.ctx.db.selectFrom('firewalls').selectAll().where('label', '=', label).where('deleted_at', 'is', null).execute();
/** The form fields of one inbound rule row. */
const row = (
  i: number,
  r: { protocol?: string; ports?: string; addresses?: string; label?: string; action?: string },
) => ({
  [`inbound.${i}.action`]: r.action ?? 'ACCEPT',
  [`inbound.${i}.protocol`]: r.protocol ?? 'TCP',
  [`inbound.${i}.ports`]: r.ports ?? '',
  [`inbound.${i}.addresses`]: r.addresses ?? '0.0.0.0/0, ::/0',
  [`inbound.${i}.label`]: r.label ?? '',
});
const policies = { inbound_policy: 'DROP', outbound_policy: 'ACCEPT' };

describe('the firewall pages', () => {
  it('offers a new firewall with SSH allowed; adding and removing rows re-renders the form and saves nothing', async () => {
    const victor = await browser('victor', '/firewalls/new');
    expect(victor.lastHtml).toContain('<title>New firewall · SkyPanel</title>');
    expect(victor.lastHtml).toContain('name="inbound.0.ports" value="22"');
    const typed = { label: 'Typed so far', ...policies, ...row(0, { ports: '22', label: 'ssh' }) };
    const added = await victor.post('/firewalls', { ...typed, op: 'add:inbound' }, { headers: formHx });
    expect(added.status).toBe(200);
    const html = await added.text();
    expect(html).toMatch(/^<form id="firewall-form"/);
    expect(html).toContain('name="inbound.1.ports"');
    expect(html).toContain('value="Typed so far"');
    const removed = await victor.post(
      '/firewalls',
      { ...typed, ...row(1, { ports: '443' }), op: 'remove:inbound:0' },
      { headers: formHx },
    );
    const after = await removed.text();
    expect(after).toContain('name="inbound.0.ports" value="443"');
    expect(after).not.toContain('name="inbound.1.ports"');
    // Without htmx the same buttons work: the whole page comes back.
    const plain = await victor.post('/firewalls', { ...typed, op: 'add:outbound' });
    expect(plain.status).toBe(200);
    expect(await plain.text()).toContain('name="outbound.0.ports"');
    expect(await firewallsNamed('Typed so far')).toEqual([]);
  });

  it('creates a firewall from the form and shows it; a bad row comes back with its message (422)', async () => {
    const victor = await browser('victor', '/firewalls/new');
    const bad = await victor.post('/firewalls', {
      label: 'Web',
      ...policies,
      ...row(0, { ports: '22' }),
      ...row(1, { ports: '70000', addresses: 'nowhere' }),
    });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Ports go from 1 to 65535.');
    expect(html).toContain('nowhere is not an IPv4 or IPv6 address or range.');
    expect(html).toContain('value="70000"');
    const res = await victor.post('/firewalls', {
      label: 'Web',
      ...policies,
      ...row(0, { ports: '22' }),
      ...row(1, { ports: '80,443' }),
    });
    expect(res.status).toBe(303);
    const [fw] = await firewallsNamed('Web');
    expect(res.headers.get('location')).toBe(`/firewalls/${fw!.id}`);
    const page = await (await victor.get(`/firewalls/${fw!.id}`)).text();
    expect(page).toContain('<title>Firewall Web · SkyPanel</title>');
    expect(page).toContain('value="80,443"');
    expect(page).toContain('acme-web-1');
    const list = await (await victor.get('/firewalls')).text();
    expect(list).toContain(`href="/firewalls/${fw!.id}"`);
  });

  it('answers a provider outage with the form again (422) in white-label words, and keeps nothing', async () => {
    const victor = await browser('victor', '/firewalls/new');
    w.cloud.emu.inject({ type: 'maintenance' }, { op: 'create_firewall', times: 5 });
    const res = await victor.post('/firewalls', { label: 'In the outage', ...policies, ...row(0, { ports: '22' }) });
    w.cloud.emu.clearFaults();
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('value="In the outage"');
    expect(html).toMatch(/class="alert alert-danger[^"]*" role="alert">[^<]*\w/);
    expect(html).not.toMatch(/linode|akamai/i);
    expect(await firewallsNamed('In the outage')).toEqual([]);
  });

  it('saves edited rules with htmx, answering the form marked saved', async () => {
    const [fw] = await firewallsNamed('Web');
    const victor = await browser('victor', `/firewalls/${fw!.id}`);
    const res = await victor.post(
      `/firewalls/${fw!.id}`,
      { label: 'Web', ...policies, ...row(0, { ports: '2222', label: 'alt-ssh' }) },
      { method: 'PATCH', headers: formHx },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Saved.');
    expect((await firewallsNamed('Web'))[0]!.rules).toMatchObject({ inbound: [{ ports: '2222', label: 'alt-ssh' }] });
    const bad = await victor.post(
      `/firewalls/${fw!.id}`,
      { label: 'Web', ...policies, ...row(0, { protocol: 'ICMP', ports: '1' }) },
      { method: 'PATCH', headers: formHx },
    );
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('ICMP has no ports');
  });

  it('attaches a server from the list offered, then detaches it, with htmx', async () => {
    const [fw] = await firewallsNamed('Web');
    const victor = await browser('victor', `/firewalls/${fw!.id}`);
    expect(victor.lastHtml).toContain(`<option value="${w.servers.web1.id}">acme-web-1 (us-east)</option>`);
    expect(victor.lastHtml).not.toContain(w.servers.failed.id);
    expect(victor.lastHtml).not.toContain(w.servers.globexDb.id);
    const attached = await victor.post(
      `/firewalls/${fw!.id}/servers`,
      { server_id: w.servers.web1.id },
      { headers: serversHx },
    );
    expect(attached.status).toBe(200);
    const html = await attached.text();
    expect(html).toMatch(/^<div id="firewall-servers">/);
    expect(html).toContain(`hx-delete="/firewalls/${fw!.id}/servers/${w.servers.web1.id}"`);
    const failed = await victor.post(
      `/firewalls/${fw!.id}/servers`,
      { server_id: w.servers.failed.id },
      { headers: serversHx },
    );
    expect(failed.status).toBe(422);
    expect(await failed.text()).toContain('is not running anywhere yet');
    const detached = await victor.post(
      `/firewalls/${fw!.id}/servers/${w.servers.web1.id}`,
      {},
      { method: 'DELETE', headers: serversHx },
    );
    expect(detached.status).toBe(200);
    expect(await detached.text()).toContain('No servers yet');
  });

  it('shows Vera the rules read-only with no controls; refuses her changes (403) and Sam the page (403)', async () => {
    const [fw] = await firewallsNamed('Web');
    const vera = await browser('vera', `/firewalls/${fw!.id}`);
    expect(vera.lastHtml).toContain('alt-ssh');
    expect(vera.lastHtml).not.toContain('id="firewall-form"');
    expect(vera.lastHtml).not.toContain('Delete firewall');
    expect(vera.lastHtml).not.toContain('Attach');
    expect((await vera.get('/firewalls/new')).status).toBe(403);
    expect((await vera.post(`/firewalls/${fw!.id}`, { label: 'x', ...policies }, { method: 'PATCH' })).status).toBe(
      403,
    );
    expect((await vera.post(`/firewalls/${fw!.id}/servers`, { server_id: w.servers.web2.id })).status).toBe(403);
    const sam = await browser('sam', '/dashboard');
    expect(sam.lastHtml).not.toContain('href="/firewalls"');
    expect((await sam.get('/firewalls')).status).toBe(403);
  });

  it('gives Gus 404 for every Acme firewall page and write, and shows him none of it', async () => {
    const [fw] = await firewallsNamed('Web');
    const gus = await browser('gus');
    // Neither Acme's firewall nor its name (as a list entry: the sidebar has "Web hosting").
    expect(gus.lastHtml).not.toContain(fw!.id);
    expect(gus.lastHtml).not.toMatch(/>\s*Web\s*</);
    const ownRes = await gus.post('/firewalls', { label: 'Globex edge', ...policies, ...row(0, { ports: '22' }) });
    expect(ownRes.status).toBe(303);
    const [own] = await firewallsNamed('Globex edge');
    const attempts = [
      await gus.get(`/firewalls/${fw!.id}`),
      await gus.post(`/firewalls/${fw!.id}`, { label: 'pwned', ...policies }, { method: 'PATCH', headers: formHx }),
      await gus.post(
        `/firewalls/${fw!.id}`,
        { label: 'pwned', ...policies, op: 'add:inbound' },
        { method: 'PATCH', headers: formHx },
      ),
      await gus.post(`/firewalls/${fw!.id}/servers`, { server_id: w.servers.globexDb.id }, { headers: serversHx }),
      await gus.post(`/firewalls/${own!.id}/servers`, { server_id: w.servers.web2.id }, { headers: serversHx }),
      await gus.post(`/firewalls/${fw!.id}/servers/${w.servers.web1.id}`, {}, { method: 'DELETE' }),
      await gus.post(`/firewalls/${fw!.id}`, {}, { method: 'DELETE' }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('acme-web');
    }
    expect((await firewallsNamed('Web'))[0]!.deleted_at).toBeNull();
  });

  it('deletes a firewall with htmx, sending the browser back to the list', async () => {
    const victor = await browser('victor');
    await w.api('POST', '/firewalls', {
      token: w.people.victor.token,
      body: { label: 'Short lived', rules: rulesWith(1) },
    });
    const [fw] = await firewallsNamed('Short lived');
    const res = await victor.post(`/firewalls/${fw!.id}`, {}, { method: 'DELETE', headers: { 'hx-request': 'true' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('hx-redirect')).toBe('/firewalls');
    expect(await firewallsNamed('Short lived')).toEqual([]);
  });
});
