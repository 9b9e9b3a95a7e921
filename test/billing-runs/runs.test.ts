import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ISO_UTC, tokenFor } from '../api/client.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { usd } from '../helpers/servers.ts';
import { customer, serverWorld, type ServerWorld } from '../web-servers/helpers.ts';
import { dbHour } from './helpers.ts';

let world: ServerWorld;
beforeAll(async () => {
  world = await serverWorld();
});
afterAll(async () => {
  await world?.close();
});

let ipSeq = 0;
async function staffApi() {
  const sam = await createPerson(world.ctx, 'Sam Staff', { verified: true, isAdmin: true, email: uniqueEmail('sam') });
  const ip = `198.51.102.${++ipSeq}`;
  const token = await tokenFor(world.ctx, sam.email, ip);
  const client = apiClient(world.ctx, ip);
  return { sam, call: (method: string, path: string, body?: unknown) => client(method, path, { token, body }) };
}
const hourIso = async (offset: number) => (await dbHour(world.ctx.db, offset)).toISOString();

describe('the billing runs API', () => {
  it('starts a run of a past hour (202, queued), refuses another while it is queued (409), lists it and reads it', async () => {
    const { sam, call } = await staffApi();
    const hour = await hourIso(-5);
    const started = await call('POST', '/admin/billing/runs', { hour });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      hour_start: hour,
      status: 'queued',
      trigger: 'admin',
      requested_by: sam.id,
      instances_charged: 0,
      amount: '0.00',
      currency: 'USD',
      errors: [],
    });
    expect(started.body.created_at).toMatch(ISO_UTC);

    const again = await call('POST', '/admin/billing/runs', { hour });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    const list = await call('GET', '/admin/billing/runs?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.data[0]).toMatchObject({ id: started.body.id, status: 'queued' });
    expect(list.body).toHaveProperty('next_cursor');

    const one = await call('GET', `/admin/billing/runs/${started.body.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: started.body.id, organizations: [] });
    expect((await call('GET', '/admin/billing/runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call('GET', '/admin/billing/runs/nope')).status).toBe(404);
  });

  it('defaults to the current hour', async () => {
    const { call } = await staffApi();
    const started = await call('POST', '/admin/billing/runs');
    expect(started.status).toBe(202);
    expect(started.body.hour_start).toBe(await hourIso(0));
  });

  it('refuses a future hour, a time not on the hour and a malformed one with 422 naming hour', async () => {
    const { call } = await staffApi();
    for (const hour of [await hourIso(2), '2026-12-06T09:30:00Z', 'tomorrow']) {
      const res = await call('POST', '/admin/billing/runs', { hour });
      expect(res.status).toBe(422);
      expect(res.body.error.fields).toHaveProperty('hour');
    }
    expect((await call('GET', '/admin/billing/runs?cursor=forged')).status).toBe(422);
  });

  it('is for platform staff only: a customer’s token is refused (403)', async () => {
    const kim = await customer(world, 'Kim Customer', usd(5));
    const ip = `198.51.102.${++ipSeq}`;
    const token = await tokenFor(world.ctx, kim.email, ip);
    const res = await apiClient(world.ctx, ip)('POST', '/admin/billing/runs', { token, body: {} });
    expect(res.status).toBe(403);
    expect((await apiClient(world.ctx, ip)('GET', '/admin/billing/runs', { token })).status).toBe(403);
  });
});

describe('the billing runs pages', () => {
  it('list runs, drill into one, start one, and answer a future hour with the form (422) and a busy hour with 409', async () => {
    const ada = await createPerson(world.ctx, 'Ada Admin', {
      verified: true,
      isAdmin: true,
      email: uniqueEmail('ada'),
    });
    const browser = await signedIn(world.ctx, ada.email, PASSWORD);
    const page = await browser.get('/admin/billing/runs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Billing runs · SkyPanel</title>');
    expect(html).toContain('href="/admin/billing/runs"');

    const past = (await dbHour(world.ctx.db, -7)).toISOString().slice(0, 16);
    const started = await browser.post('/admin/billing/runs', { hour: past });
    expect(started.status).toBe(303);
    const location = started.headers.get('location')!;
    expect(location).toMatch(/^\/admin\/billing\/runs\/[0-9a-f-]{36}$/);
    const detail = await (await browser.get(location)).text();
    expect(detail).toContain(`Billing run of`);
    expect(detail).toContain('queued');
    expect(detail).toContain('This run charged no organization.');
    const listed = await (await browser.get('/admin/billing/runs')).text();
    expect(listed).toContain(`href="${location}"`);

    const busy = await browser.post('/admin/billing/runs', { hour: past });
    expect(busy.status).toBe(409);
    expect(await busy.text()).toContain('A billing run for that hour is already queued or running.');

    const future = (await dbHour(world.ctx.db, 3)).toISOString().slice(0, 16);
    const refused = await browser.post('/admin/billing/runs', { hour: future });
    expect(refused.status).toBe(422);
    const body = await refused.text();
    expect(body).toContain('That hour has not started yet');
    expect(body).toContain(`value="${future}"`);
    expect((await browser.post('/admin/billing/runs', { hour: 'soon' })).status).toBe(422);
  });

  it('are not shown to customers (the admin area answers 404)', async () => {
    const kim = await customer(world, 'Kim Browser', usd(5));
    const browser = await signedIn(world.ctx, kim.email, PASSWORD);
    expect((await browser.get('/admin/billing/runs')).status).toBe(404);
    expect((await browser.post('/admin/billing/runs', {})).status).toBe(404);
  });
});
