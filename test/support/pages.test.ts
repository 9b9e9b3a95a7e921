import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../src/db/notify.ts';
import { staffReply } from '../../src/domain/support/staff.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
});
afterAll(async () => ctx.close());

const ticketsOf = (subject: string) =>
  ctx.db.selectFrom('tickets').selectAll().where('subject', '=', subject).execute();

describe('/support', () => {
  it('Mia opens a ticket about acme-web through the form and lands on its thread', async () => {
    const mia = await signedIn(ctx, cast.mia.email);
    const nav = await (await mia.get('/dashboard')).text();
    expect(nav).toContain('href="/support"');
    const form = await (await mia.get('/support/new')).text();
    expect(form).toContain('<title>New ticket · SkyPanel</title>');
    expect(form).toContain('acme-web');
    expect(form).toContain('>General</option>');
    const res = await mia.post('/support', {
      subject: 'Port 25 blocked',
      message: 'I need to send mail.\n<b>bold?</b>',
      priority: 'high',
      server_id: cast.web.id,
    });
    expect(res.status).toBe(303);
    const [row] = await ticketsOf('Port 25 blocked');
    expect(res.headers.get('location')).toBe(`/support/${row!.id}`);
    expect(row).toMatchObject({ organization_id: cast.acme, opened_by: cast.mia.id, priority: 'high', status: 'open' });
    const page = await (await mia.get(`/support/${row!.id}`)).text();
    expect(page).toContain('id="ticket-thread"');
    expect(page).toContain('hx-trigger="sse:ticket"');
    expect(page).toContain('&lt;b&gt;bold?&lt;/b&gt;');
    expect(page).toContain('acme-web');
    expect(page).toContain('203.0.113.10');
    const list = await (await mia.get('/support')).text();
    expect(list).toContain('Port 25 blocked');
  });

  it('a refused ticket answers 422 with the form and what was typed', async () => {
    const mia = await signedIn(ctx, cast.mia.email);
    const res = await mia.post('/support', { subject: '', message: 'Kept text', priority: 'urgent' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('<title>New ticket · SkyPanel</title>');
    expect(html).toContain('Give the ticket a subject.');
    expect(html).toContain('Kept text');
    expect(html).toMatch(/<option value="urgent" selected>/);
    const foreign = await mia.post('/support', { subject: 'Other server', message: 'x', server_id: cast.globexDb.id });
    expect(foreign.status).toBe(422);
    expect(await foreign.text()).toContain('Choose one of your servers.');
  });

  it('a reply that is refused keeps its text (htmx partial, 422); a good one is added; a closed ticket offers a follow-up', async () => {
    const mia = await signedIn(ctx, cast.mia.email);
    await mia.post('/support', { subject: 'Reply flow', message: 'First' });
    const [t] = await ticketsOf('Reply flow');
    const hx = { headers: { 'hx-request': 'true', 'hx-target': 'ticket-thread' } };
    const long = 'y'.repeat(20_001);
    const bad = await mia.post(`/support/${t!.id}/replies`, { message: long }, hx);
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).not.toContain('<html');
    expect(badHtml).toContain('Keep a message to 20,000 characters.');
    expect(badHtml).toContain(long);
    const good = await mia.post(`/support/${t!.id}/replies`, { message: 'Second' }, hx);
    expect(good.status).toBe(200);
    expect(await good.text()).toContain('Second');

    const olive = await signedIn(ctx, cast.olive.email);
    const closed = await olive.post(`/support/${t!.id}`, { status: 'closed' });
    expect(closed.status).toBe(303);
    const page = await (await mia.get(`/support/${t!.id}`)).text();
    expect(page).toContain('This ticket is closed');
    expect(page).toContain(`/support/new?follows=${t!.id}`);
    expect(page).not.toContain('Send reply');
    const refused = await mia.post(`/support/${t!.id}/replies`, { message: 'Hello?' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('This ticket is closed.');
  });

  it('Sam (tickets_create only) sees his own tickets alone; Quinn gets no link and 403; Gus 404', async () => {
    const sam = await signedIn(ctx, cast.sam.email);
    await sam.post('/support', { subject: 'Sam only', message: 'x' });
    const [mias] = await ticketsOf('Port 25 blocked');
    const list = await (await sam.get('/support?status=all')).text();
    expect(list).toContain('Sam only');
    expect(list).not.toContain('Port 25 blocked');
    expect((await sam.get(`/support/${mias!.id}`)).status).toBe(404);
    const quinn = await signedIn(ctx, cast.quinn.email);
    expect(await (await quinn.get('/dashboard')).text()).not.toContain('href="/support"');
    expect((await quinn.get('/support')).status).toBe(403);
    const gus = await signedIn(ctx, cast.gus.email);
    expect((await gus.get(`/support/${mias!.id}`)).status).toBe(404);
  });

  it('a staff reply reaches the thread’s readers as a `ticket` event (the region re-fetches itself)', async () => {
    const [t] = await ticketsOf('Port 25 blocked');
    const events: RealtimeEvent[] = [];
    const stop = ctx.hub.subscribe({
      userId: cast.vera.id,
      organizationIds: [cast.acme],
      permissions: { [cast.acme]: ['tickets_view'] },
      isAdmin: false,
      send: (e) => events.push(e),
    });
    const outsider: RealtimeEvent[] = [];
    const stopOutsider = ctx.hub.subscribe({
      userId: cast.quinn.id,
      organizationIds: [cast.acme],
      permissions: { [cast.acme]: ['vps_view'] },
      isAdmin: false,
      send: (e) => outsider.push(e),
    });
    try {
      await staffReply(ctx.deps, await actorOf(ctx, cast.ada.email), t!.id, { message: 'Unblocked port 25.' });
      await new Promise((r) => setTimeout(r, 300));
      expect(events.filter((e) => e.topic === 'ticket').map((e) => e.data)).toContainEqual({ id: t!.id });
      expect(outsider.filter((e) => e.topic === 'ticket')).toEqual([]);
    } finally {
      stop();
      stopOutsider();
    }
    const mia = await signedIn(ctx, cast.mia.email);
    const region = await mia.get(`/support/${t!.id}`, { 'hx-request': 'true', 'hx-target': 'ticket-thread' });
    const html = await region.text();
    expect(html).toContain('Unblocked port 25.');
    expect(html).toContain('data-status="answered"');
    expect(html).not.toContain('<html');
  });
});
