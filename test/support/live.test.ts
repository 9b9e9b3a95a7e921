import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { signedIn } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { cookieOf, openStream } from '../helpers/sse.ts';
import { supportCast } from './helpers.ts';

/**
 * A ticket's thread and the staff's queue are live across app instances (issue 15, item 3 and
 * item 8): what one instance writes reaches the event streams open on another (both on one
 * PostgreSQL, each with its own pool and LISTEN connection), and the region the event names
 * then reads the change from the second instance.
 */
let first: TestContext;
let second: TestContext;
let server: ServerType;
let base: string;
let cast: Awaited<ReturnType<typeof supportCast>>;

beforeAll(async () => {
  first = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
  second = await createTestContext(
    { RATE_LIMIT_AUTH_ACTIONS: '10000' },
    { shareDatabase: { url: first.url, db: first.db } },
  );
  server = serve({ fetch: second.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  cast = await supportCast(first, await seedServerCatalogue(first.db));
});
afterAll(async () => {
  server.close();
  await second.close();
  await first.close();
});

const ticketEvents = (frames: { event: string; data: string }[], id: string) =>
  frames.filter((f) => f.event === 'ticket' && JSON.parse(f.data).id === id).length;

describe('live tickets across two instances', () => {
  it('a ticket opened and replied to through one instance reaches the streams on the other; the thread then shows the reply; internal notes reach only staff', async () => {
    // Mia (member) and Ada (staff) watch through the second instance; Gus (another organization) too.
    const miaOnSecond = await signedIn(second, cast.mia.email, undefined, '192.0.2.61');
    const adaOnSecond = await signedIn(second, cast.ada.email, undefined, '192.0.2.62');
    const gusOnSecond = await signedIn(second, cast.gus.email, undefined, '192.0.2.63');
    const mia = await openStream(base, cookieOf(miaOnSecond));
    const ada = await openStream(base, cookieOf(adaOnSecond));
    const gus = await openStream(base, cookieOf(gusOnSecond));
    await expect.poll(() => second.hub.subscriberCount).toBe(3);

    // Mia opens a ticket through the first instance: staff on the second hear of it.
    const miaOnFirst = await signedIn(first, cast.mia.email, undefined, '192.0.2.64');
    const opened = await miaOnFirst.post('/support', { subject: 'Live across instances', message: 'Is it live?' });
    expect(opened.status).toBe(303);
    const id = opened.headers.get('location')!.split('/').pop()!;
    await ada.until((f) => ticketEvents(f, id) === 1);

    // Ada replies through the first instance: Mia's stream on the second hears of it, and her
    // thread region, fetched from the second instance as the page would on that event, shows it.
    const adaOnFirst = await signedIn(first, cast.ada.email, undefined, '192.0.2.65');
    expect((await adaOnFirst.post(`/admin/tickets/${id}/replies`, { message: 'Yes, it is live.' })).status).toBe(303);
    await mia.until((f) => ticketEvents(f, id) === 2);
    const region = await miaOnSecond.get(`/support/${id}`, { 'hx-request': 'true', 'hx-target': 'ticket-thread' });
    expect(region.status).toBe(200);
    const html = await region.text();
    expect(html).toContain('Yes, it is live.');
    expect(html).toContain('Answered');
    expect(html).not.toContain('<html');

    // An internal note: staff hear of it; the customer's stream stays as it was.
    expect(
      (await adaOnFirst.post(`/admin/tickets/${id}/replies`, { message: 'Staff only.', internal: '1' })).status,
    ).toBe(303);
    await ada.until((f) => ticketEvents(f, id) === 3);
    // Mia resolves it through the first instance: the next event she gets is that one, not the note's.
    expect((await miaOnFirst.post(`/support/${id}`, { status: 'resolved' })).status).toBe(303);
    await mia.until((f) => ticketEvents(f, id) === 3);
    await ada.until((f) => ticketEvents(f, id) === 4);

    // Nobody else heard of any of it.
    expect(ticketEvents(gus.frames, id)).toBe(0);
    await Promise.all([mia.close(), ada.close(), gus.close()]);
  });
});
