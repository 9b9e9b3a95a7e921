import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';

let ctx: TestContext;
let ada: Awaited<ReturnType<typeof createPerson>>;
let bob: Awaited<ReturnType<typeof createPerson>>;
let cat: Awaited<ReturnType<typeof createPerson>>;
let admin: TestBrowser;
let customer: TestBrowser;
let other: TestBrowser;

beforeAll(async () => {
  ctx = await createTestContext();
  ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  bob = await createPerson(ctx, 'Bob Customer', { verified: true, email: uniqueEmail('Bob Customer') });
  cat = await createPerson(ctx, 'Cat Customer', { verified: true, email: uniqueEmail('Cat Customer') });
  admin = await signedIn(ctx, ada.email);
  customer = await signedIn(ctx, bob.email);
  other = await signedIn(ctx, cat.email);
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('announcements').execute();
});

const minute = (d: Date) => d.toISOString().slice(0, 16);
const inHours = (h: number) => minute(new Date(ctx.clock.now().getTime() + h * 3600_000));

/** Posts an announcement through the staff form; its id. */
async function post(fields: Record<string, string>): Promise<string> {
  await admin.get('/admin/announcements/new');
  const res = await admin.post('/admin/announcements', {
    title: 'Planned maintenance',
    body: '',
    severity: 'info',
    audience: 'everyone',
    startsAt: '',
    endsAt: '',
    dismissable: 'on',
    ...fields,
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/admin/announcements');
  const row = await ctx.db
    .selectFrom('announcements')
    .select('id')
    .where('title', '=', fields.title ?? 'Planned maintenance')
    .executeTakeFirstOrThrow();
  return row.id;
}

const shows = async (browser: TestBrowser, path: string, id: string) => {
  const res = await browser.get(path);
  expect(res.status).toBe(200);
  return browser.lastHtml.includes(`id="announcement-${id}"`);
};

describe('announcement audiences', () => {
  it('shows each audience to its people only, with the page (portal, admin and public layouts)', async () => {
    const everyone = await post({ title: 'For everyone' });
    const signedInOnly = await post({ title: 'For signed-in people', audience: 'signed-in' });
    const guests = await post({ title: 'For guests', audience: 'guests' });
    const admins = await post({ title: 'For staff', audience: 'admins' });
    const guest = new TestBrowser(ctx.app, '203.0.113.77');

    expect(await shows(guest, '/login', everyone)).toBe(true);
    expect(guest.lastHtml).toContain(`id="announcement-${guests}"`);
    expect(guest.lastHtml).not.toContain(`id="announcement-${signedInOnly}"`);
    expect(guest.lastHtml).not.toContain(`id="announcement-${admins}"`);

    expect(await shows(customer, '/dashboard', everyone)).toBe(true);
    expect(customer.lastHtml).toContain(`id="announcement-${signedInOnly}"`);
    expect(customer.lastHtml).not.toContain(`id="announcement-${guests}"`);
    expect(customer.lastHtml).not.toContain(`id="announcement-${admins}"`);

    expect(await shows(admin, '/admin', everyone)).toBe(true);
    expect(admin.lastHtml).toContain(`id="announcement-${signedInOnly}"`);
    expect(admin.lastHtml).toContain(`id="announcement-${admins}"`);
    expect(admin.lastHtml).not.toContain(`id="announcement-${guests}"`);
    // The public layout too, signed in.
    expect(await shows(customer, '/', everyone)).toBe(true);
  });

  it('shows an announcement only within its window (the clock moves)', async () => {
    const id = await post({ title: 'Window', startsAt: inHours(1), endsAt: inHours(3) });
    expect(await shows(customer, '/dashboard', id)).toBe(false);
    ctx.clock.advance(2 * 3600_000);
    expect(await shows(customer, '/dashboard', id)).toBe(true);
    ctx.clock.advance(2 * 3600_000);
    expect(await shows(customer, '/dashboard', id)).toBe(false);
    await admin.get('/admin/announcements');
    expect(admin.lastHtml).toContain('Ended');
  });
});

describe('dismissing', () => {
  it('is remembered per user: a plain form goes back to the page, htmx gets nothing to swap in', async () => {
    const id = await post({ title: 'Dismiss me' });
    expect(await shows(customer, '/dashboard', id)).toBe(true);
    const res = await customer.post(`/announcements/${id}/dismiss`, { back: '/dashboard' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    expect(await shows(customer, '/dashboard', id)).toBe(false);
    expect(await shows(customer, '/billing', id)).toBe(false);
    // Cat has not dismissed it.
    expect(await shows(other, '/dashboard', id)).toBe(true);
    const hx = await other.post(
      `/announcements/${id}/dismiss`,
      { back: '/dashboard' },
      { headers: { 'hx-request': 'true' } },
    );
    expect(hx.status).toBe(200);
    expect(await hx.text()).toBe('');
    expect(await shows(other, '/dashboard', id)).toBe(false);
    const rows = await ctx.db
      .selectFrom('announcement_dismissals')
      .select('user_id')
      .where('announcement_id', '=', id)
      .execute();
    expect(rows.map((r) => r.user_id).sort()).toEqual([bob.id, cat.id].sort());
    // Another browser of Bob's: remembered on the server.
    const again = await signedIn(ctx, bob.email);
    expect(await shows(again, '/dashboard', id)).toBe(false);
  });

  it('is remembered per browser for guests (a cookie, no JavaScript), and never sends anyone off-site', async () => {
    const id = await post({ title: 'Guest dismissal' });
    const guest = new TestBrowser(ctx.app, '203.0.113.78');
    expect(await shows(guest, '/login', id)).toBe(true);
    const res = await guest.post(`/announcements/${id}/dismiss`, { back: '//evil.example/' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    // A browser drops the tab and reads the backslash as a slash: both would be //evil.example.
    for (const back of ['/\t/evil.example/', '/\\evil.example/', '/.//evil.example/']) {
      const again = await guest.post(`/announcements/${id}/dismiss`, { back });
      expect(again.headers.get('location'), back).toMatch(/^\/(?!\/)/);
      expect(again.headers.get('location'), back).not.toContain('evil.example');
    }
    expect(guest.cookies.get('sp_dismissed')).toContain(id);
    expect(await shows(guest, '/login', id)).toBe(false);
    const fresh = new TestBrowser(ctx.app, '203.0.113.79');
    expect(await shows(fresh, '/login', id)).toBe(true);
  });

  it('offers no dismiss button for one that cannot be dismissed, and refuses the post; needs the CSRF token', async () => {
    const id = await post({ title: 'Sticky', dismissable: '' });
    expect(await shows(customer, '/dashboard', id)).toBe(true);
    expect(customer.lastHtml).not.toContain(`/announcements/${id}/dismiss`);
    expect((await customer.post(`/announcements/${id}/dismiss`, {})).status).toBe(422);
    expect(await shows(customer, '/dashboard', id)).toBe(true);
    const other = await post({ title: 'Needs token' });
    await customer.get('/dashboard');
    expect((await customer.post(`/announcements/${other}/dismiss`, {}, { csrf: false })).status).toBe(403);
    expect((await customer.post(`/announcements/00000000-0000-4000-8000-000000000000/dismiss`, {})).status).toBe(404);
  });
});

describe('the body', () => {
  it('is Markdown rendered on the server, with scripts and javascript: links inert', async () => {
    const id = await post({
      title: 'Markdown <b>title</b>',
      body: '**New region** in [Frankfurt](https://example.com/fra).\n\n<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>',
    });
    await customer.get('/dashboard');
    const html = customer.lastHtml;
    const banner = html.slice(
      html.indexOf(`id="announcement-${id}"`),
      html.indexOf('</section>', html.indexOf(`id="announcement-${id}"`)),
    );
    expect(banner).toContain('<strong>New region</strong>');
    expect(banner).toContain('href="https://example.com/fra"');
    expect(banner).toContain('Markdown &lt;b&gt;title&lt;/b&gt;');
    expect(banner).not.toMatch(/<script/i);
    expect(banner).not.toMatch(/href="javascript:/i);
    expect(banner).not.toMatch(/<img/i);
    expect(banner).toContain('&lt;script&gt;');
  });
});

describe('/admin/announcements', () => {
  it('answers bad input with 422, the form and what was typed', async () => {
    await admin.get('/admin/announcements/new');
    const res = await admin.post('/admin/announcements', {
      title: '',
      body: 'Typed text stays',
      severity: 'loud',
      audience: 'everyone',
      startsAt: inHours(3),
      endsAt: inHours(1),
      dismissable: 'on',
    });
    expect(res.status).toBe(422);
    const html = admin.lastHtml;
    expect(html).toContain('Give it a title.');
    expect(html).toContain('Choose info, warning or critical.');
    expect(html).toContain('The end must come after the start.');
    expect(html).toContain('Typed text stays');
    expect(html).toContain(`value="${inHours(3)}"`);
    // The fields in error are marked for assistive technology (the attribute, not escaped text).
    expect(html).toMatch(/id="f-severity"[^>]*aria-invalid="true"/);
    expect(html).not.toContain('&quot;true&quot;');
    const bad = await admin.post('/admin/announcements', {
      title: 'Bad date',
      severity: 'info',
      audience: 'everyone',
      startsAt: 'tomorrow',
    });
    expect(bad.status).toBe(422);
    expect(admin.lastHtml).toContain('The start is not a date and time');
    expect(await ctx.db.selectFrom('announcements').select('id').execute()).toEqual([]);
  });

  it('lists, edits and deletes, each in the activity log; customers get 404', async () => {
    const id = await post({ title: 'Edit me', severity: 'warning' });
    await admin.get('/admin/announcements');
    expect(admin.lastHtml).toContain('<title>Announcements · SkyPanel</title>');
    expect(admin.lastHtml).toContain(`href="/admin/announcements/${id}"`);
    await admin.get(`/admin/announcements/${id}`);
    expect(admin.lastHtml).toContain('value="Edit me"');
    const saved = await admin.post(`/admin/announcements/${id}`, {
      title: 'Edited',
      body: 'Now critical',
      severity: 'critical',
      audience: 'signed-in',
      startsAt: '',
      endsAt: inHours(5),
    });
    expect(saved.status).toBe(303);
    const row = await ctx.db.selectFrom('announcements').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ title: 'Edited', severity: 'critical', audience: 'signed-in', dismissable: false });
    // Shown at once (this process's write forgets the cached list), as an alert.
    expect(await shows(customer, '/dashboard', id)).toBe(true);
    expect(customer.lastHtml).toMatch(new RegExp(`alert-danger[^>]*id="announcement-${id}"[^>]*role="alert"`));
    expect((await customer.get(`/admin/announcements/${id}`)).status).toBe(404);
    const del = await admin.post(`/admin/announcements/${id}/delete`);
    expect(del.status).toBe(303);
    expect(await shows(customer, '/dashboard', id)).toBe(false);
    const log = await ctx.db
      .selectFrom('activity_log')
      .select(['action', 'actor_user_id', 'details'])
      .where('target_id', '=', id)
      .orderBy('id')
      .execute();
    expect(log.map((e) => e.action).sort()).toEqual([
      'admin.announcement_deleted',
      'admin.announcement_saved',
      'admin.announcement_saved',
    ]);
    expect(log.every((e) => e.actor_user_id === ada.id)).toBe(true);
    expect(log.find((e) => (e.details as { created?: boolean }).created === false)?.details).toMatchObject({
      created: false,
      title: 'Edited',
      severity: 'critical',
    });
    await admin.get('/admin/activity');
    expect((await admin.get('/admin/announcements/not-an-id')).status).toBe(404);
  });
});
