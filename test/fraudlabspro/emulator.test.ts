import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFraudLabsProClient } from '../../src/providers/fraudlabspro/client.ts';
import {
  createFraudLabsProEmulatorApp,
  startFraudLabsProEmulator,
  type FraudLabsProEmulator,
} from '../../src/providers/fraudlabspro/emulator/index.ts';

const KEY = 'EMULATORKEY';

describe('FraudLabs Pro emulator protocol', () => {
  let emu: FraudLabsProEmulator;
  beforeEach(async () => {
    emu = await startFraudLabsProEmulator({ apiKey: KEY, credits: 3 });
  });
  afterEach(async () => {
    await emu.close();
  });
  const v2 = (params: Record<string, string>, path = '/v2/order/screen') =>
    fetch(`${emu.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: KEY, ...params }).toString(),
    });
  const get = (path: string, params: Record<string, string>) =>
    fetch(`${emu.url}${path}?${new URLSearchParams(params).toString()}`);

  it('answers a bad key on v2 with HTTP 400 and the FraudLabs Pro error envelope', async () => {
    const res = await v2({ key: 'WRONG', ip: '192.0.2.1' });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { error_code: 10001, error_message: 'INVALID API KEY' } });
  });

  it('answers a missing or malformed IP with 10002', async () => {
    for (const ip of ['', '999.1.1.1', 'localhost']) {
      const res = await v2({ ip });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { error_code: 10002, error_message: 'INVALID IP ADDRESS' } });
    }
    expect(emu.credits()).toBe(3);
  });

  it('answers the reserved expired and no-credit keys with 10006 and 10007', async () => {
    expect(await (await v2({ key: 'expired-key', ip: '192.0.2.1' })).json()).toMatchObject({
      error: { error_code: 10006 },
    });
    expect(await (await v2({ key: 'no-credit', ip: '192.0.2.1' })).json()).toMatchObject({
      error: { error_code: 10007 },
    });
  });

  it('answers the v2 screen with nested objects, real booleans and a decreasing credit counter', async () => {
    const res = await v2({ ip: '198.51.100.99', email: 'x@mailinator.test', user_order_id: 'ORDER-1' });
    const body = (await res.json()) as Record<string, any>;

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(body.ip_geolocation).toMatchObject({
      ip: '198.51.100.99',
      is_proxy: true,
      proxy_type: 'TOR',
      is_in_blacklist: false,
      usage_type: ['DCH'],
    });
    expect(body.email_address).toEqual({
      is_free: false,
      is_disposable: true,
      is_domain_exist: true,
      is_new_domain_name: false,
      is_in_blacklist: false,
    });
    expect(body).toMatchObject({
      user_order_id: 'ORDER-1',
      fraudlabspro_score: 100,
      fraudlabspro_status: 'REJECT',
      remaining_credits: 2,
    });
    for (const block of ['billing_address', 'shipping_address', 'phone_number', 'username', 'credit_card', 'device'])
      expect(body).toHaveProperty(block);
  });

  it('refuses a screen once the credit is used up', async () => {
    for (let i = 0; i < 3; i++) expect((await v2({ ip: '192.0.2.1' })).status).toBe(200);
    const res = await v2({ ip: '192.0.2.1' });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { error_code: 10007, error_message: 'INSUFFICIENT CREDIT' } });
  });

  it('accepts the parameters as a JSON body and in the query string too', async () => {
    const json = await fetch(`${emu.url}/v2/order/screen`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: KEY, ip: '198.51.100.66', amount: 10.5 }),
    });
    const query = await fetch(`${emu.url}/v2/order/screen?key=${KEY}&ip=192.0.2.1`, { method: 'POST' });

    expect(((await json.json()) as any).ip_geolocation.proxy_type).toBe('VPN');
    expect(query.status).toBe(200);
    expect(emu.requests.map((r) => r.query.ip ?? r.body.ip)).toEqual(['198.51.100.66', '192.0.2.1']);
  });

  it('answers v1 with a flat body of Y/N/NA strings when JSON is asked for', async () => {
    const res = await get('/v1/order/screen', {
      key: KEY,
      ip: '198.51.100.66',
      email: 'x@mailinator.com',
      format: 'json',
    });
    const body = (await res.json()) as Record<string, unknown>;

    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      is_proxy_ip_address: 'Y',
      is_disposable_email: 'Y',
      is_free_email: 'N',
      is_bin_found: 'NA',
      fraudlabspro_score: 75,
      fraudlabspro_status: 'REVIEW',
      fraudlabspro_error_code: '',
      fraudlabspro_message: '',
      fraudlabspro_credits: 2,
    });
    expect(body).not.toHaveProperty('ip_geolocation');
  });

  it('answers v1 in XML when no format is given, as the real service does', async () => {
    const res = await get('/v1/order/screen', { key: KEY, ip: '192.0.2.1' });
    const text = await res.text();

    expect(res.headers.get('content-type')).toContain('application/xml');
    expect(text).toMatch(/^<\?xml/);
    expect(text).toContain('<fraudlabspro_status>APPROVE</fraudlabspro_status>');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('answers a bad key on v1 with HTTP 200 and the error in the flat body', async () => {
    const res = await get('/v1/order/screen', { key: 'WRONG', ip: '192.0.2.1', format: 'json' });

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      fraudlabspro_error_code: '10001',
      fraudlabspro_message: 'INVALID API KEY',
      fraudlabspro_score: '',
    });
  });

  it('records feedback on a screened transaction and returns it from the result endpoint', async () => {
    const screened = (await (await v2({ ip: '192.0.2.1', user_order_id: 'ORD-9' })).json()) as {
      fraudlabspro_id: string;
    };
    const feedback = await v2(
      { id: screened.fraudlabspro_id, action: 'REJECT', note: 'chargeback' },
      '/v2/order/feedback',
    );

    expect(feedback.status).toBe(200);
    expect(await feedback.json()).toEqual({ fraudlabspro_id: screened.fraudlabspro_id });
    expect(emu.transactions.get(screened.fraudlabspro_id)?.feedback).toEqual({ action: 'REJECT', note: 'chargeback' });

    const byId = await get('/v2/order/result', { key: KEY, id: screened.fraudlabspro_id });
    const byOrder = await get('/v2/order/result', { key: KEY, id: 'ORD-9', id_type: 'user_order_id' });
    expect(await byId.json()).toMatchObject({
      fraudlabspro_id: screened.fraudlabspro_id,
      fraudlabspro_status: 'REJECT',
    });
    expect(await byOrder.json()).toMatchObject({ fraudlabspro_id: screened.fraudlabspro_id });

    const again = await v2({ id: screened.fraudlabspro_id, action: 'APPROVE' }, '/v2/order/feedback');
    expect(await again.json()).toMatchObject({ error: { error_code: 10013 } });
  });

  it('refuses feedback for an unknown transaction or with an unknown action', async () => {
    const unknown = await v2({ id: '20260101-NOPE00', action: 'APPROVE' }, '/v2/order/feedback');
    expect(await unknown.json()).toMatchObject({
      error: { error_code: 10011, error_message: 'TRANSACTION NOT FOUND' },
    });

    const { fraudlabspro_id: id } = (await (await v2({ ip: '192.0.2.1' })).json()) as { fraudlabspro_id: string };
    const bad = await v2({ id, action: 'MAYBE' }, '/v2/order/feedback');
    expect(await bad.json()).toMatchObject({ error: { error_code: 10015, error_message: 'INVALID ACTION' } });
  });

  it('blacklists the IP and email of a transaction rejected with REJECT_BLACKLIST', async () => {
    const first = (await (await v2({ ip: '192.0.2.77', email: 'mallory@evil.example' })).json()) as any;
    expect(first.ip_geolocation.is_in_blacklist).toBe(false);
    await v2({ id: first.fraudlabspro_id, action: 'REJECT_BLACKLIST' }, '/v2/order/feedback');

    const second = (await (await v2({ ip: '192.0.2.77', email: 'mallory@evil.example' })).json()) as any;
    expect(second.ip_geolocation.is_in_blacklist).toBe(true);
    expect(second.email_address.is_in_blacklist).toBe(true);
    expect(second.fraudlabspro_status).toBe('REJECT');
  });

  it('records every request it receives and forgets everything on reset', async () => {
    emu.inject('500');
    await v2({ ip: '192.0.2.1' });
    await v2({ ip: '192.0.2.2' });

    expect(emu.requests.map((r) => [r.method, r.path, r.body.ip])).toEqual([
      ['POST', '/v2/order/screen', '192.0.2.1'],
      ['POST', '/v2/order/screen', '192.0.2.2'],
    ]);
    expect(emu.transactions.size).toBe(1);
    emu.reset();
    expect(emu.requests).toHaveLength(0);
    expect(emu.transactions.size).toBe(0);
    expect(emu.credits()).toBe(3);
  });

  it('answers an injected server error with an HTML page', async () => {
    emu.inject('500');
    const res = await v2({ ip: '192.0.2.1' });

    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it('refuses the wrong method on a known endpoint', async () => {
    const res = await fetch(`${emu.url}/v2/order/screen?key=${KEY}&ip=192.0.2.1`);
    expect(res.status).toBe(405);
  });
});

describe('FraudLabs Pro emulator mounted as a sub-app', () => {
  it('serves the protocol under /_emulators/fraudlabspro so the real client can use it in demo mode', async () => {
    const emulator = createFraudLabsProEmulatorApp();
    const parent = new Hono();
    parent.get('/health', (c) => c.text('ok'));
    parent.route('/_emulators/fraudlabspro', emulator.app);
    const server = serve({ fetch: parent.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_emulators/fraudlabspro`;
      const result = await createFraudLabsProClient({
        apiKey: 'demo-key',
        baseUrl: base,
        timeoutMs: 2_000,
      }).screenOrder({
        ip: '198.51.100.66',
        email: 'ada@lovelace.example',
      });

      expect(result.flags.vpn).toBe(true);
      expect(emulator.requests).toHaveLength(1);
      expect(emulator.requests[0]?.path).toBe('/v2/order/screen');
      expect((await parent.request('/_emulators/fraudlabspro/nowhere')).status).toBe(404);
    } finally {
      emulator.release();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
