import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTicket } from '../../src/domain/support/tickets.ts';
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

const order = (html: string, ...subjects: string[]) => subjects.map((s) => html.indexOf(s));

describe('/admin/tickets', () => {
  it('the queue: waiting on staff longest first, filters, search over messages, counts per status; customers get 404', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const gus = await actorOf(ctx, cast.gus.email);
    const older = await openTicket(ctx.deps, mia, { subject: 'Queue older', message: 'needle in a message' });
    ctx.clock.advance(60_000);
    const newer = await openTicket(ctx.deps, gus, { subject: 'Queue newer', message: 'x', priority: 'urgent' });
    const ada = await signedIn(ctx, cast.ada.email);

    const queue = await (await ada.get('/admin/tickets')).text();
    expect(queue).toContain('<title>Support tickets · SkyPanel</title>');
    const [a, b] = order(queue, 'Queue older', 'Queue newer');
    expect(a).toBeGreaterThan(-1);
    expect(a).toBeLessThan(b!);
    expect(queue).toMatch(/data-count="open">\d+</);

    const urgent = await (await ada.get('/admin/tickets?priority=urgent')).text();
    expect(urgent).toContain('Queue newer');
    expect(urgent).not.toContain('Queue older');
    const byOrg = await (await ada.get(`/admin/tickets?organization=${cast.acme}&status=all`)).text();
    expect(byOrg).toContain('Queue older');
    expect(byOrg).not.toContain('Queue newer');
    const searched = await (await ada.get('/admin/tickets?q=needle')).text();
    expect(searched).toContain('Queue older');
    expect(searched).not.toContain('Queue newer');

    const assign = await ada.post(`/admin/tickets/${newer.id}`, {
      assignee_id: 'me',
      status: 'open',
      priority: 'urgent',
    });
    expect(assign.status).toBe(303);
    const mine = await (await ada.get('/admin/tickets?assignee=me')).text();
    expect(mine).toContain('Queue newer');
    expect(mine).not.toContain('Queue older');
    const unassigned = await (await ada.get('/admin/tickets?assignee=none')).text();
    expect(unassigned).toContain('Queue older');
    expect(unassigned).not.toContain('Queue newer');
    await ada.post(`/admin/tickets/${newer.id}`, { assignee_id: '', status: 'open', priority: 'urgent' });
    expect(
      (await ctx.db.selectFrom('tickets').select('assignee_id').where('id', '=', newer.id).executeTakeFirst())!
        .assignee_id,
    ).toBeNull();

    const olive = await signedIn(ctx, cast.olive.email);
    expect((await olive.get('/admin/tickets')).status).toBe(404);
    expect((await olive.get(`/admin/tickets/${older.id}`)).status).toBe(404);
  });

  it('staff reply and write internal notes; the customer sees the reply, never the note; a refused reply keeps its text', async () => {
    const t = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), {
      subject: 'Staff thread',
      message: 'Help',
    });
    const ada = await signedIn(ctx, cast.ada.email);
    const page = await (await ada.get(`/admin/tickets/${t.id}`)).text();
    expect(page).toContain('Recent tickets');
    expect(page).toContain('acme-web');
    const note = await ada.post(`/admin/tickets/${t.id}/replies`, { message: 'Secret staff note', internal: '1' });
    expect(note.status).toBe(303);
    const reply = await ada.post(`/admin/tickets/${t.id}/replies`, { message: 'We fixed it.' });
    expect(reply.status).toBe(303);
    const bad = await ada.post(`/admin/tickets/${t.id}/replies`, { message: 'z'.repeat(20_001), internal: '1' });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Keep a message to 20,000 characters.');
    expect(badHtml).toContain('z'.repeat(20_001));
    expect(badHtml).toMatch(/name="internal" value="1" checked/);
    const staffView = await (await ada.get(`/admin/tickets/${t.id}`)).text();
    expect(staffView).toContain('Secret staff note');
    expect(staffView).toContain('internal note (staff only)');

    const mia = await signedIn(ctx, cast.mia.email);
    const customer = await (await mia.get(`/support/${t.id}`)).text();
    expect(customer).toContain('We fixed it.');
    expect(customer).not.toContain('Secret staff note');
    expect(customer).toContain('data-status="answered"');
  });
});
