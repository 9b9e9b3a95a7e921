import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markRead } from '../../src/domain/notifications/inbox.ts';
import { settledTopUp } from '../billing/payments.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';
import { cookieOf, openStream } from '../helpers/sse.ts';

/**
 * The bell over the real event stream (issue 14 items 7 and 8): a notification made by a
 * domain event reaches its person's open `/events` stream as `notification` (and the wallet
 * change as `wallet`), over real HTTP, and nobody else's; reading it sends `notification.read`;
 * the bell's count fragment then says what the stream hinted.
 */
let ctx: TestContext;
let server: ServerType;
let base: string;

beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000' });
  server = serve({ fetch: ctx.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.close();
  await ctx.close();
});

const stream = (cookie: string) => openStream(base, cookie);

describe("the bell's stream", () => {
  it('delivers a new notification to its person at once, not to others, and the count fragment agrees', async () => {
    const nadia = await createPerson(ctx, 'Nadia Live', { email: uniqueEmail('nadia'), verified: true });
    const omar = await createPerson(ctx, 'Omar Elsewhere', { email: uniqueEmail('omar'), verified: true });
    const hers = cookieOf(await signedIn(ctx, nadia.email, PASSWORD, '192.0.2.41'));
    const his = cookieOf(await signedIn(ctx, omar.email, PASSWORD, '192.0.2.42'));
    await ctx.db.updateTable('notifications').set({ read_at: new Date() }).execute();
    const nadiaStream = await stream(hers);
    const omarStream = await stream(his);
    const subscribers = ctx.hub.subscriberCount;
    await nadiaStream.until((f) => f.some((x) => x.event === 'ready'));
    await omarStream.until((f) => f.some((x) => x.event === 'ready'));
    expect(subscribers).toBeGreaterThanOrEqual(2);

    // Money arrives in Nadia's organization: she (its owner, billing_view) is told.
    await settledTopUp(ctx.deps, nadia.organization.id, 12_000_000n);
    const made = await ctx.db
      .selectFrom('notifications')
      .select('id')
      .where('user_id', '=', nadia.id)
      .where('kind', '=', 'billing.top_up')
      .executeTakeFirstOrThrow();
    await nadiaStream.until((f) => f.some((x) => x.event === 'notification') && f.some((x) => x.event === 'wallet'));
    expect(nadiaStream.frames.find((f) => f.event === 'notification')!.data).toBe(JSON.stringify({ id: made.id }));

    const count = await fetch(`${base}/notifications/count`, { headers: { cookie: hers, 'hx-request': 'true' } });
    expect(await count.text()).toContain('data-unread="1"');
    const balance = await fetch(`${base}/wallet/balance`, { headers: { cookie: hers, 'hx-request': 'true' } });
    expect(await balance.text()).toContain('$12.00');

    await markRead(ctx.deps, nadia.id, made.id);
    await nadiaStream.until((f) => f.some((x) => x.event === 'notification.read'));
    expect(nadiaStream.frames.find((f) => f.event === 'notification.read')!.data).toBe(JSON.stringify({ id: made.id }));

    // Omar heard nothing of it.
    await new Promise((r) => setTimeout(r, 100));
    expect(omarStream.frames.map((f) => f.event)).toEqual(['ready']);
    await nadiaStream.close();
    await omarStream.close();
  });

  it('is written straight to the Node response: event-stream headers, and a closed connection unsubscribes', async () => {
    const pia = await createPerson(ctx, 'Pia Closes', { email: uniqueEmail('pia'), verified: true });
    const cookie = cookieOf(await signedIn(ctx, pia.email, PASSWORD, '192.0.2.43'));
    const before = ctx.hub.subscriberCount;
    const res = await fetch(`${base}/events`, { headers: { cookie } });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('event: ready\ndata: {}\n\n');
    expect(ctx.hub.subscriberCount).toBe(before + 1);
    await reader.cancel();
    const end = Date.now() + 3000;
    while (ctx.hub.subscriberCount !== before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(ctx.hub.subscriberCount).toBe(before);
  });
});
