import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../../src/db/notify.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn } from '../helpers/people.ts';

let first: TestContext;
let second: TestContext;
let server: ServerType;
let port: number;

beforeAll(async () => {
  first = await createTestContext();
  // A second app instance (own pool, own LISTEN connection) on the same database.
  second = await createTestContext({}, { shareDatabase: { url: first.url, db: first.db } });
  server = serve({ fetch: second.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.close();
  await second.close();
  await first.close();
});

/** Reads SSE frames until `want` events arrived or the time runs out. */
async function collect(res: Response, want: number, ms = 5000): Promise<Array<{ event: string; data: string }>> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ event: string; data: string }> = [];
  let buffer = '';
  const deadline = Date.now() + ms;
  while (events.length < want && Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now())),
    ]);
    if (!chunk || chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let idx;
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event) events.push({ event, data: data ?? '' });
    }
  }
  await reader.cancel();
  return events;
}

describe('server-sent events', () => {
  it('delivers an event published through one instance to a subscriber on another, filtered per user and organization', async () => {
    const nina = await createPerson(ctx(), 'Nina Listener', { verified: true });
    const omar = await createPerson(ctx(), 'Omar Other', { verified: true });
    const browser = await signedIn(second, nina.email, PASSWORD, '192.0.2.30');
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`http://127.0.0.1:${port}/events`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reading = collect(res, 3);
    await waitFor(() => second.hub.subscriberCount === 1);

    // Published through the first instance's database pool; Nina must not see Omar's events.
    await publish(first.db, { topic: 'notification', audience: { userId: omar.id }, data: { id: 'omar-only' } });
    await publish(first.db, { topic: 'notification', audience: { userId: nina.id }, data: { id: 'for-nina' } });
    await publish(first.db, {
      topic: 'wallet',
      audience: { organizationId: omar.organization.id },
      data: { id: 'omar-org' },
    });
    await publish(first.db, {
      topic: 'wallet',
      audience: { organizationId: nina.organization.id },
      data: { id: 'nina-org' },
    });

    const events = await reading;
    expect(events).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'notification', data: '{"id":"for-nina"}' },
      { event: 'wallet', data: '{"id":"nina-org"}' },
    ]);
  });

  it("sends an organization's event that names a permission only to members whose role grants it", async () => {
    const vera = await createPerson(ctx(), 'Vera Viewer', { verified: true });
    // Vera's role in her organization loses vps_view (as a custom role without servers would).
    await first.db
      .updateTable('roles')
      .set({ permissions: (eb) => eb.fn('array_remove', [eb.ref('permissions'), eb.val('vps_view')]) })
      .where('organization_id', '=', vera.organization.id)
      .execute();
    const browser = await signedIn(second, vera.email, PASSWORD, '192.0.2.31');
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`http://127.0.0.1:${port}/events`, { headers: { cookie } });
    const reading = collect(res, 3);
    await waitFor(() => second.hub.subscriberCount === 1);
    const org = vera.organization.id;
    await publish(first.db, {
      topic: 'server.status',
      audience: { organizationId: org, permission: 'vps_view' },
      data: { id: 'hidden' },
    });
    await publish(first.db, {
      topic: 'wallet',
      audience: { organizationId: org, permission: 'billing_view' },
      data: { id: 'shown' },
    });
    await publish(first.db, { topic: 'org', audience: { organizationId: org }, data: { id: 'everyone' } });
    expect(await reading).toEqual([
      { event: 'ready', data: '{}' },
      { event: 'wallet', data: '{"id":"shown"}' },
      { event: 'org', data: '{"id":"everyone"}' },
    ]);
  });

  it('refuses the stream to signed-out visitors', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/events`);
    expect(res.status).toBe(401);
  });
});

function ctx() {
  return first;
}

async function waitFor(cond: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
