import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffReply } from '../../src/domain/support/staff.ts';
import { apiClient, ISO_UTC, tokenFor } from '../api/client.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;
let api: ReturnType<typeof apiClient>;
const tokens: Record<string, string> = {};
const IP = '198.51.100.77';

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
  api = apiClient(ctx, IP);
  for (const k of ['olive', 'mia', 'sam', 'vera', 'gus'] as const) tokens[k] = await tokenFor(ctx, cast[k].email, IP);
});
afterAll(async () => ctx.close());

describe('/api/v1/tickets', () => {
  it('lists the categories, General first', async () => {
    const res = await api('GET', '/tickets/categories', { token: tokens.mia });
    expect(res.status).toBe(200);
    expect(res.body.data[0]).toMatchObject({ name: 'General', is_default: true });
  });

  it('opens a ticket (201) with subject, message, priority, category_id and vps_id; the server is a snapshot', async () => {
    const cats = (await api('GET', '/tickets/categories', { token: tokens.mia })).body.data;
    const res = await api('POST', '/tickets', {
      token: tokens.mia,
      body: {
        subject: 'API ticket',
        message: 'Opened over the API',
        priority: 'urgent',
        category_id: cats[0].id,
        vps_id: cast.web.id,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      subject: 'API ticket',
      status: 'open',
      priority: 'urgent',
      category: { id: cats[0].id, name: 'General' },
      opened_by: { id: cast.mia.id, name: 'Mia Member' },
      server: { id: cast.web.id, label: 'acme-web', ip: '203.0.113.10' },
      closed_at: null,
    });
    expect(res.body.created_at).toMatch(ISO_UTC);
    expect(res.body.replies).toEqual([expect.objectContaining({ message: 'Opened over the API', from_staff: false })]);
    expect(typeof res.body.number).toBe('number');
  });

  it('refuses bad input with 422 naming the API’s fields', async () => {
    const res = await api('POST', '/tickets', {
      token: tokens.mia,
      body: { subject: 'x', message: 'y', vps_id: cast.globexDb.id, category_id: crypto.randomUUID() },
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.error.fields)).toEqual(expect.arrayContaining(['category_id']));
    const noServer = await api('POST', '/tickets', {
      token: tokens.mia,
      body: { subject: 'x', message: 'y', vps_id: cast.globexDb.id },
    });
    expect(noServer.status).toBe(422);
    expect(noServer.body.error.fields).toHaveProperty('vps_id');
    const badPriority = await api('POST', '/tickets', {
      token: tokens.mia,
      body: { subject: 'x', message: 'y', priority: 'critical' },
    });
    expect(badPriority.status).toBe(422);
    expect((await api('POST', '/tickets', { token: tokens.vera, body: { subject: 'x', message: 'y' } })).status).toBe(
      403,
    );
  });

  it('reads a ticket with its replies (never internal notes), replies (201), resolves, reopens by replying, closes; a closed ticket answers 409', async () => {
    const opened = await api('POST', '/tickets', { token: tokens.mia, body: { subject: 'Lifecycle', message: 'Hi' } });
    const id = opened.body.id;
    const ada = await actorOf(ctx, cast.ada.email);
    await staffReply(ctx.deps, ada, id, { message: 'Staff says hello' });
    await staffReply(ctx.deps, ada, id, { message: 'Internal: check billing', internal: true });
    const read = await api('GET', `/tickets/${id}`, { token: tokens.vera });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('answered');
    expect(read.body.replies.map((r: { message: string }) => r.message)).toEqual(['Hi', 'Staff says hello']);
    expect(JSON.stringify(read.body)).not.toContain('Internal');

    const reply = await api('POST', `/tickets/${id}/replies`, { token: tokens.mia, body: { message: 'Thanks' } });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ message: 'Thanks', from_staff: false, author: { id: cast.mia.id } });
    expect((await api('GET', `/tickets/${id}`, { token: tokens.mia })).body.status).toBe('customer_reply');

    const resolved = await api('PATCH', `/tickets/${id}`, { token: tokens.mia, body: { status: 'resolved' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    await api('POST', `/tickets/${id}/replies`, { token: tokens.mia, body: { message: 'Broken again' } });
    expect((await api('GET', `/tickets/${id}`, { token: tokens.mia })).body.status).toBe('customer_reply');

    expect((await api('PATCH', `/tickets/${id}`, { token: tokens.mia, body: { priority: 'high' } })).status).toBe(403);
    const closed = await api('PATCH', `/tickets/${id}`, {
      token: tokens.olive,
      body: { status: 'closed', priority: 'high' },
    });
    expect(closed.body).toMatchObject({ status: 'closed', priority: 'high' });
    expect(closed.body.closed_at).toMatch(ISO_UTC);
    const refused = await api('POST', `/tickets/${id}/replies`, { token: tokens.mia, body: { message: 'Hello?' } });
    expect(refused.status).toBe(409);
    expect((await api('PATCH', `/tickets/${id}`, { token: tokens.olive, body: { status: 'answered' } })).status).toBe(
      422,
    );
  });

  it('visibility: Sam lists only his own, Gus gets 404 for Acme’s ticket, status filter works', async () => {
    const sams = await api('POST', '/tickets', { token: tokens.sam, body: { subject: 'Sam API', message: 'x' } });
    const list = await api('GET', '/tickets?limit=100', { token: tokens.sam });
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([sams.body.id]);
    const all = await api('GET', '/tickets?limit=100', { token: tokens.mia });
    expect(all.body.data.map((t: { id: string }) => t.id)).toContain(sams.body.id);
    const closedOnly = await api('GET', '/tickets?status=closed', { token: tokens.mia });
    expect(closedOnly.body.data.every((t: { status: string }) => t.status === 'closed')).toBe(true);
    expect(closedOnly.body.data.length).toBeGreaterThan(0);
    expect((await api('GET', `/tickets/${sams.body.id}`, { token: tokens.gus })).status).toBe(404);
    const paged = await api('GET', '/tickets?limit=1', { token: tokens.mia });
    expect(paged.body.has_more).toBe(true);
    const next = await api('GET', `/tickets?limit=1&cursor=${paged.body.next_cursor}`, { token: tokens.mia });
    expect(next.body.data[0].id).not.toBe(paged.body.data[0].id);
  });
});
