import { describe, expect, it } from 'vitest';
import { activityOf, siteService, useSiteWorld } from './site-helpers.ts';

/**
 * Node.js versions of a hosting service (issue 17 item 4) against the emulator through the real
 * client: on the PHP tab and as `GET|PATCH /api/v1/hosting/services/{id}/node`, where the plan
 * allows persistent apps (the emulator's Agency plan) and where it does not (Starter).
 */

const w = useSiteWorld();

const api = (token: string, method: string, path: string, body?: unknown) =>
  w.api(method, `/hosting/services${path}`, { token, body });

describe('Node.js', () => {
  it('installs a version and sets the default on a plan that allows it, on the tab and via the API, audited', async () => {
    const s = await siteService(w, w.olive.orgId, { plan: 'Agency' });
    const first = await (await w.olive.browser.get(`/hosting/${s.id}/php`)).text();
    expect(first).toContain('Install a version');
    expect(first).not.toContain('does not include Node.js');
    expect(first).not.toMatch(/enhance/i);

    const res = await w.olive.browser.post(`/hosting/${s.id}/node/install`, { install: '20' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/hosting/${s.id}/php`);
    expect(await w.panel.nodeVersions(s.websiteId)).toMatchObject({ installed: ['20'] });

    expect((await w.olive.browser.post(`/hosting/${s.id}/node/install`, { install: '22' })).status).toBe(303);
    const def = await w.olive.browser.post(`/hosting/${s.id}/node/default`, { default: '22' });
    expect(def.status).toBe(303);
    const page = await (await w.olive.browser.get(`/hosting/${s.id}/php`)).text();
    expect(page).toMatch(/data-testid="node-installed">Node\.js 20, Node\.js 22</);
    expect(page).toMatch(/data-testid="node-default">Node\.js 22</);

    const viaApi = await api(w.olive.token, 'GET', `/${s.id}/node`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toEqual({
      allowed: true,
      possible: ['18', '20', '22'],
      installed: ['20', '22'],
      default: '22',
    });
    const patched = await api(w.olive.token, 'PATCH', `/${s.id}/node`, { install: '18', default: '18' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ installed: ['18', '20', '22'], default: '18' });

    const actions = (await activityOf(w, s.id)).map((a) => a.action);
    expect(actions.filter((a) => a === 'hosting.node_version_installed')).toHaveLength(3);
    expect(actions.filter((a) => a === 'hosting.node_default_set')).toHaveLength(2);
  });

  it('refuses a version not offered or not installed: 422 with the form again, and via the API', async () => {
    const s = await siteService(w, w.olive.orgId, { plan: 'Agency' });
    const bad = await w.olive.browser.post(`/hosting/${s.id}/node/install`, { install: '12' });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('Choose one of the Node.js versions offered');
    expect(html).toContain('id="f-node-install"');
    const notInstalled = await w.olive.browser.post(`/hosting/${s.id}/node/default`, { default: '20' });
    expect(notInstalled.status).toBe(422);
    expect(await notInstalled.text()).toContain('Install a Node.js version first');
    const viaApi = await api(w.olive.token, 'PATCH', `/${s.id}/node`, { install: '99' });
    expect(viaApi.status).toBe(422);
    expect(viaApi.body.error.fields).toHaveProperty('install');
    expect((await api(w.olive.token, 'PATCH', `/${s.id}/node`, {})).status).toBe(422);
    expect((await w.panel.nodeVersions(s.websiteId)).installed).toEqual([]);
  });

  it('says so on a plan without Node.js: the tab, GET allowed false, changes 409', async () => {
    const s = await siteService(w, w.olive.orgId);
    const page = await (await w.olive.browser.get(`/hosting/${s.id}/php`)).text();
    expect(page).toContain('Your hosting plan does not include Node.js applications');
    expect(page).not.toContain('Install a version');
    const viaApi = await api(w.olive.token, 'GET', `/${s.id}/node`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toEqual({ allowed: false, possible: [], installed: [], default: null });
    const change = await api(w.olive.token, 'PATCH', `/${s.id}/node`, { install: '20' });
    expect(change.status).toBe(409);
    expect(change.body.error.code).toBe('hosting_node_not_allowed');
    expect((await w.olive.browser.post(`/hosting/${s.id}/node/install`, { install: '20' })).status).toBe(409);
  });

  it('lets a viewer read but not change (403), and answers another organization’s service as 404', async () => {
    const s = await siteService(w, w.olive.orgId, { plan: 'Agency' });
    const page = await w.vera.browser.get(`/hosting/${s.id}/php`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain('Install a version');
    expect((await api(w.vera.token, 'GET', `/${s.id}/node`)).status).toBe(200);
    expect((await api(w.vera.token, 'PATCH', `/${s.id}/node`, { install: '20' })).status).toBe(403);
    expect((await w.vera.browser.post(`/hosting/${s.id}/node/install`, { install: '20' })).status).toBe(403);
    expect((await api(w.gus.token, 'GET', `/${s.id}/node`)).status).toBe(404);
    expect((await api(w.gus.token, 'PATCH', `/${s.id}/node`, { install: '20' })).status).toBe(404);
    expect((await w.gus.browser.post(`/hosting/${s.id}/node/default`, { default: '20' })).status).toBe(404);
    expect((await w.panel.nodeVersions(s.websiteId)).installed).toEqual([]);
  });

  it('refuses changes while suspended (409)', async () => {
    const s = await siteService(w, w.olive.orgId, { plan: 'Agency', status: 'suspended' });
    expect((await api(w.olive.token, 'PATCH', `/${s.id}/node`, { install: '20' })).status).toBe(409);
  });
});
