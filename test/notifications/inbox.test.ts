import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../src/domain/notifications/emit.ts';
import {
  listNotifications,
  markAllRead,
  markRead,
  purgeNotifications,
  unreadCount,
} from '../../src/domain/notifications/inbox.ts';
import { apiClient, tokenFor } from '../api/client.ts';
import { keyFor, joinAs } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, PASSWORD, signedIn, uniqueEmail } from '../helpers/people.ts';

/**
 * A person's notifications (issue 14 item 7): the unread count, the list with its filters and
 * pages, marking one or all read, in the domain, on /notifications and the bell's fragments,
 * and in the JSON API. Another person's notification is not found (404) everywhere. The cast:
 * Nadia owns her organization and gets its news; Omar, of another organization, must never
 * see or touch hers.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_AUTH_ACTIONS: '10000', RATE_LIMIT_AUTHENTICATED: '100000' });
});
afterAll(async () => ctx.close());

let ipSeq = 10;
const ip = () => `198.51.100.${ipSeq++}`;
const person = (name: string) => createPerson(ctx, name, { email: uniqueEmail(name), verified: true });
type Person = Awaited<ReturnType<typeof person>>;

let seq = 0;
/** `n` notifications for the person's organization (servers, then billing, alternating), oldest first. */
async function news(p: Person, n: number) {
  for (let i = 0; i < n; i++) {
    const billing = i % 2 === 1;
    await notify(
      ctx.db,
      { organizationId: p.organization.id, permissions: ['vps_view'] },
      billing
        ? {
            kind: 'billing.top_up',
            key: `test:${++seq}`,
            data: { amount: String((i + 1) * 1_000_000), currency: 'USD' },
          }
        : { kind: 'server.running', key: `test:${++seq}`, data: { server_id: crypto.randomUUID(), label: `web-${i}` } },
    );
  }
}
const idsOf = async (p: Person) =>
  (
    await ctx.db
      .selectFrom('notifications')
      .select('id')
      .where('user_id', '=', p.id)
      .where('kind', '!=', 'security.sign_in')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute()
  ).map((r) => r.id);
/** Signing in tells the person too: forget that, so counts below are about the news made here. */
const forgetSignIns = (p: Person) =>
  ctx.db.deleteFrom('notifications').where('user_id', '=', p.id).where('kind', '=', 'security.sign_in').execute();

describe('the inbox', () => {
  it('counts unread, lists newest first in keyset pages, filters by category and unread, and marks read', async () => {
    const nadia = await person('Nadia Inbox');
    await news(nadia, 5);
    expect(await unreadCount(ctx.db, nadia.id)).toBe(5);

    const first = await listNotifications(ctx.db, nadia.id, {}, { limit: 2 });
    const second = await listNotifications(ctx.db, nadia.id, {}, { limit: 2, cursor: first.nextCursor });
    const third = await listNotifications(ctx.db, nadia.id, {}, { limit: 2, cursor: second.nextCursor });
    expect([...first.rows, ...second.rows, ...third.rows].map((r) => r.id)).toEqual(await idsOf(nadia));
    expect(third.nextCursor).toBeNull();

    const billing = await listNotifications(ctx.db, nadia.id, { category: 'billing' }, { limit: 10 });
    expect(billing.rows.map((r) => r.kind)).toEqual(['billing.top_up', 'billing.top_up']);

    const [newest] = await idsOf(nadia);
    const read = await markRead(ctx.deps, nadia.id, newest!);
    expect(read.read_at).toBeInstanceOf(Date);
    expect(await unreadCount(ctx.db, nadia.id)).toBe(4);
    const unread = await listNotifications(ctx.db, nadia.id, { unread: true }, { limit: 10 });
    expect(unread.rows.map((r) => r.id)).not.toContain(newest);
    expect(unread.rows).toHaveLength(4);

    expect(await markAllRead(ctx.deps, nadia.id)).toBe(4);
    expect(await unreadCount(ctx.db, nadia.id)).toBe(0);
    expect(await markAllRead(ctx.deps, nadia.id)).toBe(0);
  });

  it("never finds another person's notification", async () => {
    const nadia = await person('Nadia Private');
    const omar = await person('Omar Outsider');
    await news(nadia, 1);
    const [hers] = await idsOf(nadia);
    await expect(markRead(ctx.deps, omar.id, hers!)).rejects.toMatchObject({ status: 404 });
    await expect(markRead(ctx.deps, omar.id, 'not-a-uuid')).rejects.toMatchObject({ status: 404 });
    expect(await markAllRead(ctx.deps, omar.id)).toBe(0);
    expect(await unreadCount(ctx.db, nadia.id)).toBe(1);
  });

  it("stops showing an organization's news to someone who left it", async () => {
    const owner = await person('Olga Owner');
    const max = await person('Max Member');
    await joinAs(ctx, owner.organization.id, max.id, 'member');
    await news(owner, 1);
    expect(await unreadCount(ctx.db, max.id)).toBe(1);
    await ctx.db
      .deleteFrom('organization_members')
      .where('organization_id', '=', owner.organization.id)
      .where('user_id', '=', max.id)
      .execute();
    expect(await unreadCount(ctx.db, max.id)).toBe(0);
    expect((await listNotifications(ctx.db, max.id, {}, { limit: 10 })).rows).toEqual([]);
  });

  it('keeps notifications a year: the purge job deletes older ones, read or not', async () => {
    const old = await person('Olaf Old');
    const now = new Date();
    const day = 86_400_000;
    const made = (key: string, daysAgo: number) => ({
      user_id: old.id,
      organization_id: null,
      category: 'security' as const,
      kind: 'security.password',
      data: '{}',
      dedupe_key: key,
      created_at: new Date(now.getTime() - daysAgo * day),
    });
    await ctx.db
      .insertInto('notifications')
      .values([made('old', 366), made('kept', 364)])
      .execute();
    expect(await purgeNotifications(ctx.db, now)).toBe(1);
    const left = await ctx.db.selectFrom('notifications').select('dedupe_key').where('user_id', '=', old.id).execute();
    expect(left.map((r) => r.dedupe_key)).toEqual(['kept']);
  });

  it('caps the count at 100 (the bell says 99+)', async () => {
    const busy = await person('Bo Busy');
    await ctx.db
      .insertInto('notifications')
      .values(
        Array.from({ length: 120 }, (_, i) => ({
          user_id: busy.id,
          organization_id: busy.organization.id,
          category: 'servers' as const,
          kind: 'server.running',
          data: JSON.stringify({ label: `s-${i}` }),
          dedupe_key: `bulk:${i}`,
        })),
      )
      .execute();
    expect(await unreadCount(ctx.db, busy.id)).toBe(100);
  });
});

describe('/notifications and the bell', () => {
  it('shows the count in the header, the latest ten in the dropdown, and the list with filters and pages', async () => {
    const nadia = await person('Nadia Pages');
    const browser = await signedIn(ctx, nadia.email, PASSWORD, ip());
    await forgetSignIns(nadia);
    await news(nadia, 30);

    const dashboard = await (await browser.get('/dashboard')).text();
    expect(dashboard).toMatch(/data-testid="bell-count" data-unread="30">30/);
    expect(dashboard).toContain('href="/notifications"');
    expect(dashboard).toContain('sse-connect="/events"');

    const menu = await browser.get('/notifications/menu', { 'hx-request': 'true', 'hx-target': 'bell-menu' });
    const menuHtml = await menu.text();
    expect(menu.status).toBe(200);
    expect(menuHtml.match(/data-testid="notification"/g)).toHaveLength(10);
    expect(menuHtml).toContain('web-28 is running');
    expect(menuHtml).toContain('$30.00 was added to the wallet');
    expect(menuHtml).not.toContain('<html');

    const page = await browser.get('/notifications');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Notifications · SkyPanel</title>');
    expect(html.match(/data-testid="notification"/g)).toHaveLength(25);
    const older = /href="(\/notifications\?cursor=[^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const rest = await (await browser.get(older)).text();
    expect(rest.match(/data-testid="notification"/g)).toHaveLength(5);

    const billing = await (await browser.get('/notifications?category=billing')).text();
    expect(billing.match(/data-testid="notification"/g)).toHaveLength(15);
    expect(billing).not.toContain('is running');
    const region = await browser.get('/notifications?category=servers', {
      'hx-request': 'true',
      'hx-target': 'notification-list',
    });
    const regionHtml = (await region.text()).trim();
    expect(regionHtml).toMatch(/^<div id="notification-list"/);
    expect(regionHtml.match(/data-testid="notification"/g)).toHaveLength(15);
    const bad = await browser.get('/notifications?category=nonsense');
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Choose a category from the list.');
  });

  it('marks one read (htmx: the item again, and the bell re-reads), follows its link, and marks all read, with CSRF', async () => {
    const nadia = await person('Nadia Reads');
    const browser = await signedIn(ctx, nadia.email, PASSWORD, ip());
    await forgetSignIns(nadia);
    await news(nadia, 3);
    await browser.get('/notifications');
    const [newest, middle] = await idsOf(nadia);

    const inline = await browser.post(
      `/notifications/${newest}/read`,
      {},
      {
        headers: { 'hx-request': 'true', 'hx-target': `notification-${newest}` },
      },
    );
    expect(inline.status).toBe(200);
    expect(inline.headers.get('hx-trigger')).toBe('notifications-changed');
    const item = (await inline.text()).trim();
    expect(item).toMatch(new RegExp(`^<li id="notification-${newest}"`));
    expect(item).toContain('data-read="true"');
    const count = await browser.get('/notifications/count', { 'hx-request': 'true' });
    expect(await count.text()).toContain('data-unread="2"');

    // Following a notification marks it read and goes where it leads (a path on this site only).
    const follow = await browser.post(`/notifications/${middle}/read`, { next: '/billing' });
    expect(follow.status).toBe(303);
    expect(follow.headers.get('location')).toBe('/billing');
    const [third] = (await idsOf(nadia)).slice(2);
    const offsite = await browser.post(`/notifications/${third}/read`, { next: 'https://evil.example/' });
    expect(offsite.headers.get('location')).toBe('/notifications');

    await news(nadia, 2);
    expect((await browser.post('/notifications/read-all', {}, { csrf: false })).status).toBe(403);
    expect(await unreadCount(ctx.db, nadia.id)).toBe(2);
    const all = await browser.post('/notifications/read-all', { next: '/notifications?unread=true' });
    expect(all.status).toBe(303);
    expect(all.headers.get('location')).toBe('/notifications?unread=true');
    expect(await unreadCount(ctx.db, nadia.id)).toBe(0);

    // From the dropdown: the dropdown again, nothing unread in it.
    await news(nadia, 1);
    const fromMenu = await browser.post(
      '/notifications/read-all',
      {},
      {
        headers: { 'hx-request': 'true', 'hx-target': 'bell-menu' },
      },
    );
    expect(fromMenu.status).toBe(200);
    expect(fromMenu.headers.get('hx-trigger')).toBe('notifications-changed');
    expect(await fromMenu.text()).not.toContain('data-read="false"');
  });

  it("answers 404 for another person's notification, and sends signed-out visitors to sign in", async () => {
    const nadia = await person('Nadia Guarded');
    const omar = await person('Omar Prying');
    await news(nadia, 1);
    const [hers] = await idsOf(nadia);
    const browser = await signedIn(ctx, omar.email, PASSWORD, ip());
    await browser.get('/notifications');
    expect((await browser.post(`/notifications/${hers}/read`)).status).toBe(404);
    expect(await unreadCount(ctx.db, nadia.id)).toBe(1);
    const anonymous = await ctx.app.request('/notifications', { headers: { 'x-forwarded-for': ip() } });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toMatch(/^\/login\?next=/);
  });

  it('keeps the header count in the data cache until a notification changes it', async () => {
    const nadia = await person('Nadia Cached');
    const browser = await signedIn(ctx, nadia.email, PASSWORD, ip());
    await forgetSignIns(nadia);
    await browser.get('/dashboard');
    const unreadOn = async () => /data-unread="(\d*)"/.exec(await (await browser.get('/dashboard')).text())?.[1];
    expect(await unreadOn()).toBe('0');
    await news(nadia, 2);
    expect(await unreadOn()).toBe('2');
    await markAllRead(ctx.deps, nadia.id);
    expect(await unreadOn()).toBe('0');
  });
});

describe('GET /api/v1/notifications, POST …/{id}/read and …/read-all', () => {
  it('lists with pages and filters, marks one and all read, in the API envelope', async () => {
    const nadia = await person('Nadia Api');
    const at = ip();
    const api = apiClient(ctx, at);
    const token = await tokenFor(ctx, nadia.email, at);
    await forgetSignIns(nadia);
    await news(nadia, 3);

    const list = await api('GET', '/notifications?limit=2', { token });
    expect(list.status).toBe(200);
    expect(list.body.has_more).toBe(true);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data[0]).toMatchObject({
      category: 'servers',
      kind: 'server.running',
      title: 'web-2 is running',
      organization_id: nadia.organization.id,
      read_at: null,
    });
    expect(list.body.data[0].link).toMatch(
      new RegExp(`^/active-organization/${nadia.organization.id}\\?next=%2Fvps%2F`),
    );
    const next = await api('GET', `/notifications?limit=2&cursor=${list.body.next_cursor}`, { token });
    expect(next.body.data.map((n: { id: string }) => n.id)).not.toContain(list.body.data[0].id);
    const billing = await api('GET', '/notifications?category=billing&unread=true', { token });
    expect(billing.body.data.map((n: { kind: string }) => n.kind)).toEqual(['billing.top_up']);
    expect(billing.body.data[0].data).toMatchObject({ amount: '2000000', currency: 'USD' });
    const bad = await api('GET', '/notifications?category=nonsense', { token });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('validation_failed');

    const id = list.body.data[0].id;
    const read = await api('POST', `/notifications/${id}/read`, { token });
    expect(read.status).toBe(200);
    expect(read.body.read_at).not.toBeNull();
    expect((await api('GET', '/notifications?unread=true', { token })).body.data).toHaveLength(2);
    expect((await api('POST', '/notifications/read-all', { token })).body).toEqual({ marked: 2 });
    expect((await api('GET', '/notifications?unread=true', { token })).body.data).toEqual([]);
  });

  it("answers 404 for another person's id, 403 to an API key and 401 without a token", async () => {
    const nadia = await person('Nadia Api Guard');
    const omar = await person('Omar Api');
    await news(nadia, 1);
    const [hers] = await idsOf(nadia);
    const at = ip();
    const api = apiClient(ctx, at);
    const token = await tokenFor(ctx, omar.email, at);
    const foreign = await api('POST', `/notifications/${hers}/read`, { token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    expect((await api('POST', '/notifications/nope/read', { token })).status).toBe(404);
    expect((await api('GET', '/notifications', { token })).body.data.map((n: { id: string }) => n.id)).not.toContain(
      hers,
    );
    const { key } = await keyFor(ctx, omar.email, at, {
      organization_id: omar.organization.id,
      permissions: ['vps_view'],
    });
    expect((await api('GET', '/notifications', { token: key })).status).toBe(403);
    expect((await api('GET', '/notifications')).status).toBe(401);
    expect(await unreadCount(ctx.db, nadia.id)).toBe(1);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await apiClient(ctx, ip())('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths['/notifications'])).toEqual(['get']);
    expect(Object.keys(doc.body.paths['/notifications/{id}/read'])).toEqual(['post']);
    expect(Object.keys(doc.body.paths['/notifications/read-all'])).toEqual(['post']);
    expect(doc.body.components.schemas.Notification).toBeDefined();
  });
});
