import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnhanceClient, ENHANCE_EMULATOR_PATH } from '../../src/providers/enhance/index.ts';
import { createEnhanceEmulator } from '../../src/providers/enhance/emulator/index.ts';
import { onboard, startWorld, type World } from './helpers.ts';

describe('Enhance emulator on the wire', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.emu.close();
  });

  const raw = async (method: string, path: string, init: { token?: string | null; body?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? w.emu.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${w.emu.url}/api${path}`, { method, headers, body: init.body });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };

  it('answers 401 without a token or with a wrong one, before anything else', async () => {
    expect(await raw('GET', `/orgs/${w.emu.masterOrgId}`, { token: null })).toEqual({
      status: 401,
      json: { code: 'no_session_token', message: 'No session token' },
    });
    expect(
      (await raw('POST', `/orgs/${w.emu.masterOrgId}/customers`, { token: 'nope', body: '{"name":"X"}' })).status,
    ).toBe(401);
    expect(w.emu.state.orgs.size).toBe(1);
  });

  it('answers creates with 201 {id}, updates with 204 and no body, and bad JSON or enums with 400', async () => {
    const created = await raw('POST', `/orgs/${w.emu.masterOrgId}/customers`, { body: '{"name":"Wire Ltd"}' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.json)).toEqual(['id']);
    expect(await raw('POST', `/orgs/${w.emu.masterOrgId}/customers`, { body: '{"name":' })).toMatchObject({
      status: 400,
      json: { code: 'invalid_input' },
    });
    const sub = await raw('POST', `/orgs/${w.emu.masterOrgId}/customers/${created.json.id}/subscriptions`, {
      body: '{"planId":"1"}',
    });
    expect(sub).toMatchObject({ status: 400, json: { detail: 'planId' } });
    const ok = await raw('POST', `/orgs/${w.emu.masterOrgId}/customers/${created.json.id}/subscriptions`, {
      body: '{"planId":1}',
    });
    expect(ok.json.id).toEqual(expect.any(Number));
    expect(
      await raw('PATCH', `/orgs/${created.json.id}/subscriptions/${ok.json.id}`, { body: '{"status":"paused"}' }),
    ).toMatchObject({
      status: 400,
    });
    expect(
      await raw('PATCH', `/orgs/${created.json.id}/subscriptions/${ok.json.id}`, { body: '{"friendlyName":"A"}' }),
    ).toEqual({
      status: 204,
      json: null,
    });
  });

  it('answers unknown paths with a JSON 404', async () => {
    expect(await raw('GET', '/no/such/thing')).toEqual({ status: 404, json: { code: 'not_found' } });
  });

  it('arms a fault with a body for a number of requests, then behaves', async () => {
    w.emu.faults.fail('GET', /^\/orgs\/[^/]+$/, 500, { code: 'boom', message: 'Kaput' }, 2);
    expect(await raw('GET', `/orgs/${w.emu.masterOrgId}`)).toEqual({
      status: 500,
      json: { code: 'boom', message: 'Kaput' },
    });
    expect((await raw('GET', `/orgs/${w.emu.masterOrgId}`)).status).toBe(500);
    expect((await raw('GET', `/orgs/${w.emu.masterOrgId}`)).status).toBe(200);
    expect(() => w.emu.faults.fail(null, null, 500, undefined, 0)).toThrow(RangeError);
  });

  it('records requests without passwords or tokens', async () => {
    await onboard(w, 'log@shop.test');
    const log = w.emu.requests();
    expect(log.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'POST 201', 'POST 201', 'PUT 200']);
    const login = log.find((r) => r.path === '/logins')!;
    expect(login.body).toEqual({ email: 'log@shop.test', name: 'Ada', password: '[redacted]' });
    expect(login.query.orgId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(log)).not.toContain(w.emu.token);
  });

  it('keeps a customer-scoped token inside its own org', async () => {
    const a = await onboard(w);
    const b = await onboard(w);
    const token = w.emu.issueToken(a.orgId);
    expect((await raw('GET', `/orgs/${a.orgId}/members`, { token })).status).toBe(200);
    expect((await raw('GET', `/orgs/${b.orgId}/members`, { token })).status).toBe(403);
    expect((await raw('GET', `/orgs/${w.emu.masterOrgId}/plans`, { token })).status).toBe(403);
    expect((await raw('GET', '/servers/groups', { token })).status).toBe(403);
  });

  it('soft-deletes an org (still readable, status deleted) and hard-deletes it with force (then 404)', async () => {
    const { orgId, client } = await onboard(w);
    expect((await raw('DELETE', `/orgs/${orgId}`)).status).toBe(204);
    expect((await client.getOrg(orgId)).status).toBe('deleted');
    expect(await client.orgExists(orgId)).toBe(false);
    expect((await raw('DELETE', `/orgs/${orgId}?force=true`)).status).toBe(204);
    expect((await raw('GET', `/orgs/${orgId}`)).status).toBe(404);
  });
});

describe('Enhance emulator mounted in an app (demo mode)', () => {
  it('serves /api below the mount path to a client answered in process, with SSO links on the public URL', async () => {
    const emu = createEnhanceEmulator({ publicOrigin: `https://demo.skypanel.test${ENHANCE_EMULATOR_PATH}` });
    const app = new Hono();
    app.route(ENHANCE_EMULATOR_PATH, emu.app);
    const client = createEnhanceClient({
      baseUrl: `http://loopback.invalid${ENHANCE_EMULATOR_PATH}`,
      token: emu.token,
      masterOrgId: emu.masterOrgId,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
        app.fetch(new Request(input, init))) as typeof fetch,
    });
    expect(await client.health()).toEqual({ ok: true });
    const orgId = await client.createCustomer('Demo Customer');
    const loginId = await client.createLogin(orgId, {
      email: 'demo@shop.test',
      name: 'Demo',
      password: 'Demo-Password-123',
    });
    const memberId = await client.addMember(orgId, { loginId, roles: ['SuperAdmin'] });
    const url = await client.memberSsoUrl(orgId, memberId);
    expect(url).toMatch(/^https:\/\/demo\.skypanel\.test\/_emulators\/enhance\/api\/login\/sessions\/sso\?otp=/);
    const used = await app.request(url.replace('https://demo.skypanel.test', ''));
    expect(used.status).toBe(200);
    expect(emu.requests().map((r) => r.path)).toContain('/login/sessions/sso');
    // The controls are not reachable over HTTP.
    expect((await app.request(`${ENHANCE_EMULATOR_PATH}/_control/state`)).status).toBe(404);
  });
});
