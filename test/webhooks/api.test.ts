import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ISO_UTC, person, tokenFor } from '../api/client.ts';
import { activityOf, joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { allowLoopback, startReceiver, verifySignature, type Receiver } from './helpers.ts';

/**
 * Olive owns Acme and manages its webhooks over the API; Vera is Acme's viewer; Gus owns
 * Globex next door. Olive's receiver listens on 127.0.0.1 (Ada, the platform admin, allows
 * loopback targets for development).
 */
let ctx: TestContext;
let receiver: Receiver;
let cast: Awaited<ReturnType<typeof makeCast>>;

async function makeCast() {
  const [olive, vera, gus, ada] = await Promise.all([
    person(ctx, 'Olive Owner'),
    person(ctx, 'Vera Viewer'),
    person(ctx, 'Gus Globex'),
    person(ctx, 'Ada Admin', { isAdmin: true }),
  ]);
  await joinAs(ctx, olive.organizationId, vera.id, 'viewer');
  await allowLoopback(ctx, ada.id);
  const ip = '198.51.100.90';
  return {
    olive,
    vera,
    gus,
    api: apiClient(ctx, ip),
    tokens: {
      olive: await tokenFor(ctx, olive.email, ip),
      vera: await tokenFor(ctx, vera.email, ip),
      gus: await tokenFor(ctx, gus.email, ip),
    },
  };
}

beforeAll(async () => {
  ctx = await createTestContext();
  receiver = await startReceiver();
  cast = await makeCast();
});
afterAll(async () => {
  await receiver.close();
  await ctx.close();
});

const asOlive = (method: string, path: string, body?: unknown) =>
  cast.api(method, path, { token: cast.tokens.olive, body });

describe('webhook endpoints over the JSON API', () => {
  it('Olive adds an endpoint: 201 with the endpoint and its secret, which no later answer shows', async () => {
    const res = await asOlive('POST', '/webhooks', {
      url: receiver.url,
      events: ['vps.created', 'wallet.*'],
      description: 'Ops',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      url: receiver.url,
      description: 'Ops',
      events: ['vps.created', 'wallet.*'],
      status: 'active',
      disabled_reason: null,
      disabled_at: null,
      secret_hint: expect.stringMatching(/^whsec_…/),
      secret: expect.stringMatching(/^whsec_/),
      created_at: expect.stringMatching(ISO_UTC),
      updated_at: expect.stringMatching(ISO_UTC),
    });
    const one = await asOlive('GET', `/webhooks/${res.body.id}`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    const list = await asOlive('GET', '/webhooks');
    expect(JSON.stringify(list.body)).not.toContain(res.body.secret);
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(res.body.id);
    const [logged] = await activityOf(ctx, 'webhook.created', cast.olive.id);
    expect(logged).toMatchObject({ organization_id: cast.olive.organizationId, target_id: res.body.id });
    expect(JSON.stringify(logged!.details)).not.toContain(res.body.secret);
  });

  it.each([
    ['a private address', 'https://10.0.0.8/hooks'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data'],
    ['plain http to the internet', 'http://8.8.8.8/hooks'],
    ['credentials in the URL', 'https://user:pass@8.8.8.8/hooks'],
    ['not a URL', 'hooks please'],
  ])('refuses %s with 422 naming the url field, in words', async (_what, url) => {
    const res = await asOlive('POST', '/webhooks', { url, events: ['vps.created'] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.fields)).toEqual(['url']);
    expect(res.body.error.fields.url.length).toBeGreaterThan(10);
  });

  it('refuses an event we do not send, and no events at all, with 422 on events', async () => {
    for (const events of [['vps.exploded'], [], 'vps.created']) {
      const res = await asOlive('POST', '/webhooks', { url: receiver.url, events });
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.error.fields)).toEqual(['events']);
    }
  });

  it('a viewer may not list or add endpoints (403); Gus cannot see or change Acme’s (404), nor a malformed id', async () => {
    const made = await asOlive('POST', '/webhooks', { url: receiver.url, events: ['ticket.*'] });
    const id = made.body.id as string;
    expect((await cast.api('GET', '/webhooks', { token: cast.tokens.vera })).status).toBe(403);
    const add = await cast.api('POST', '/webhooks', {
      token: cast.tokens.vera,
      body: { url: receiver.url, events: ['ticket.*'] },
    });
    expect(add.status).toBe(403);
    for (const [method, path] of [
      ['GET', `/webhooks/${id}`],
      ['PATCH', `/webhooks/${id}`],
      ['DELETE', `/webhooks/${id}`],
      ['POST', `/webhooks/${id}/secret`],
      ['POST', `/webhooks/${id}/pings`],
      ['GET', `/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await cast.api(method, path, {
        token: cast.tokens.gus,
        body: method === 'PATCH' ? { description: 'x' } : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await asOlive('GET', '/webhooks/not-a-uuid')).status).toBe(404);
    expect((await asOlive('GET', `/webhooks/${id}/deliveries/not-a-uuid`)).status).toBe(404);
    const still = await ctx.db
      .selectFrom('webhook_endpoints')
      .select('description')
      .where('id', '=', id)
      .executeTakeFirst();
    expect(still?.description).toBeNull();
  });

  it('Olive pings, rotates the secret (the old one no longer verifies), reads the log and redelivers', async () => {
    const made = await asOlive('POST', '/webhooks', { url: receiver.url, events: ['invoice.issued'] });
    const id = made.body.id as string;
    receiver.received.length = 0;
    const ping = await asOlive('POST', `/webhooks/${id}/pings`);
    expect(ping.status).toBe(201);
    expect(ping.body).toMatchObject({ type: 'ping', status: 'succeeded', attempts: 1, last_status_code: 200 });
    const now = Math.floor(ctx.clock.now().getTime() / 1000);
    const first = receiver.received[0]!;
    expect(verifySignature(made.body.secret, String(first.headers['skypanel-signature']), first.body, now)).toBe(true);

    const rotated = await asOlive('POST', `/webhooks/${id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(made.body.secret);
    receiver.status(500);
    ctx.clock.advance(1000);
    const failed = await asOlive('POST', `/webhooks/${id}/pings`);
    expect(failed.body).toMatchObject({ status: 'failed', last_status_code: 500 });
    const second = receiver.received[1]!;
    const header = String(second.headers['skypanel-signature']);
    expect(verifySignature(rotated.body.secret, header, second.body, now)).toBe(true);
    expect(verifySignature(made.body.secret, header, second.body, now)).toBe(false);

    const log = await asOlive('GET', `/webhooks/${id}/deliveries?limit=1`);
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ has_more: true, data: [{ id: failed.body.id }] });
    const older = await asOlive('GET', `/webhooks/${id}/deliveries?limit=1&cursor=${log.body.next_cursor}`);
    expect(older.body).toMatchObject({ has_more: false, data: [{ id: ping.body.id }] });
    expect((await asOlive('GET', `/webhooks/${id}/deliveries?cursor=nope`)).body.error.fields).toHaveProperty('cursor');

    receiver.status(200);
    const again = await asOlive('POST', `/webhooks/${id}/deliveries/${failed.body.id}/redeliveries`);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ status: 'succeeded', attempts: 2 });
    const detail = await asOlive('GET', `/webhooks/${id}/deliveries/${failed.body.id}`);
    expect(detail.status).toBe(200);
    expect(
      detail.body.attempt_log.map((a: { status_code: number; manual: boolean }) => [a.status_code, a.manual]),
    ).toEqual([
      [500, true],
      [200, true],
    ]);
    expect(JSON.parse(detail.body.payload)).toMatchObject({ id: detail.body.event_id, type: 'ping' });
  });

  it('Olive disables, re-enables and deletes an endpoint', async () => {
    const made = await asOlive('POST', '/webhooks', { url: receiver.url, events: ['vps.*'] });
    const id = made.body.id as string;
    const off = await asOlive('PATCH', `/webhooks/${id}`, { enabled: false });
    expect(off.body).toMatchObject({
      status: 'disabled',
      disabled_reason: expect.any(String),
      disabled_at: expect.stringMatching(ISO_UTC),
    });
    const on = await asOlive('PATCH', `/webhooks/${id}`, { enabled: true, description: 'back' });
    expect(on.body).toMatchObject({ status: 'active', disabled_reason: null, description: 'back' });
    expect(
      (await asOlive('PATCH', `/webhooks/${id}`, { url: 'https://192.168.1.1/x' })).body.error.fields,
    ).toHaveProperty('url');
    expect((await asOlive('DELETE', `/webhooks/${id}`)).status).toBe(204);
    expect((await asOlive('GET', `/webhooks/${id}`)).status).toBe(404);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await cast.api('GET', '/openapi.json');
    for (const path of [
      '/webhooks',
      '/webhooks/{id}',
      '/webhooks/{id}/secret',
      '/webhooks/{id}/pings',
      '/webhooks/{id}/deliveries',
      '/webhooks/{id}/deliveries/{deliveryId}',
      '/webhooks/{id}/deliveries/{deliveryId}/redeliveries',
    ])
      expect(doc.body.paths, path).toHaveProperty([path]);
    expect(doc.body.paths['/webhooks'].post.responses).toHaveProperty('422');
    expect(doc.body.components.schemas).toHaveProperty('WebhookEndpointWithSecret');
  });
});
