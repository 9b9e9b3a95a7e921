import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/domain/activity/record.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { joinAs, keyFor } from '../api-keys/helpers.ts';
import { parseCsv } from './csv.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.close());

const person = (name: string, opts: { isAdmin?: boolean } = {}) =>
  createPerson(ctx, name, { verified: true, email: uniqueEmail(name), ...opts });

/**
 * Each test's own Olga and Sam, each owning their personal organization, where each made an
 * API key (the names carry a tag no other test uses): "olga deploy key …", "sam secret project …".
 */
async function world() {
  const tag = randomBytes(3).toString('hex');
  const [olga, sam] = await Promise.all([person('Olga Ortiz'), person('Sam Stone')]);
  const olgaKey = `olga deploy key ${tag}`;
  const samKey = `sam secret project ${tag}`;
  await keyFor(ctx, olga.email, '198.51.100.70', {
    name: olgaKey,
    organization_id: olga.organization.id,
    permissions: ['vps_view'],
  });
  await keyFor(ctx, sam.email, '198.51.100.71', {
    name: samKey,
    organization_id: sam.organization.id,
    permissions: ['vps_view'],
  });
  return { olga, sam, olgaKey, samKey };
}

const idsIn = (html: string) => [...html.matchAll(/id="activity-([0-9a-f-]{36})"/g)].map((m) => m[1]!);

describe('the organization activity page', () => {
  it('is refused to Vic, a viewer, who is not shown the link either', async () => {
    const { olga } = await world();
    const vic = await person('Vic Viewer');
    await joinAs(ctx, olga.organization.id, vic.id, 'viewer');
    const browser = await signedIn(ctx, vic.email, vic.password, '192.0.2.70');
    await browser.get('/dashboard');
    expect(browser.lastHtml).not.toContain('href="/activity"');
    expect((await browser.get('/activity')).status).toBe(403);
    expect((await browser.get('/activity.csv')).status).toBe(403);
  });

  it('sends signed-out visitors to sign in', async () => {
    const res = await ctx.app.request('/activity.csv');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Factivity.csv');
  });

  it('shows Olga her organization’s events in plain words and nothing of Sam’s', async () => {
    const { olga, sam, olgaKey, samKey } = await world();
    const browser = await signedIn(ctx, olga.email, olga.password, '192.0.2.71');
    const res = await browser.get('/activity');
    expect(res.status).toBe(200);
    const html = browser.lastHtml;
    expect(html).toContain('Created an API key');
    expect(html).toContain(`API key “${olgaKey}”`);
    expect(html).toContain(olga.email);
    expect(html).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
    expect(html).toContain('198.51.100.70');
    expect(html).not.toContain(samKey);
    expect(html).not.toContain(sam.email);
  });

  it('lets an admin-role member in, shows who impersonated, and filters by action', async () => {
    const { olga } = await world();
    const ada = await person('Ada Adams');
    await joinAs(ctx, olga.organization.id, ada.id, 'admin');
    const staff = await person('Stan Staff', { isAdmin: true });
    await recordActivity(ctx.db, {
      action: 'role.created',
      actorUserId: olga.id,
      impersonatorUserId: staff.id,
      organizationId: olga.organization.id,
      target: { type: 'role', id: 'r1' },
      details: { name: 'Night shift' },
    });
    const browser = await signedIn(ctx, ada.email, ada.password, '192.0.2.72');
    await browser.get('/activity');
    expect(browser.lastHtml).toContain(`Impersonated by ${staff.email}`);
    expect(browser.lastHtml).toContain('Role “Night shift”');

    const filtered = await browser.get('/activity?action=role.created', {
      'hx-request': 'true',
      'hx-target': 'activity-results',
    });
    const partial = await filtered.text();
    expect(partial.startsWith('<div id="activity-results">')).toBe(true);
    expect(partial).toContain('Created a role');
    expect(partial).not.toContain('Created an API key');
    expect(partial).toContain('href="/activity.csv?action=role.created"');

    expect((await browser.get('/activity?action=nonsense')).status).toBe(422);
  });

  it('filters by a date range read in the viewer’s time zone', async () => {
    const tia = await person('Tia Tz');
    await ctx.db.updateTable('users').set({ timezone: 'America/New_York' }).where('id', '=', tia.id).execute();
    const at = (iso: string, name: string) =>
      recordActivity(ctx.db, {
        action: 'organization.updated',
        actorUserId: tia.id,
        organizationId: tia.organization.id,
        target: { type: 'organization', id: tia.organization.id },
        details: { name },
        occurredAt: new Date(iso),
      });
    await at('2026-03-10T03:00:00Z', 'late on the 9th in New York');
    await at('2026-03-10T12:00:00Z', 'noon on the 10th');
    await at('2026-03-11T03:59:00Z', 'still the 10th in New York'); // EDT (UTC-4) since 8 March
    await at('2026-03-11T04:00:00Z', 'the 11th in New York');
    const browser = await signedIn(ctx, tia.email, tia.password, '192.0.2.73');
    await browser.get('/activity?from=2026-03-10&to=2026-03-10');
    expect(browser.lastHtml).toContain('noon on the 10th');
    expect(browser.lastHtml).toContain('still the 10th in New York');
    expect(browser.lastHtml).not.toContain('late on the 9th');
    expect(browser.lastHtml).not.toContain('the 11th in New York');
    expect((await browser.get('/activity?from=2026-03-11&to=2026-03-10')).status).toBe(422);
  });

  it('pages through fifty events at a time without repeating or skipping any', async () => {
    const pam = await person('Pam Pages');
    const same = new Date('2026-05-01T10:00:00.123Z');
    for (let i = 0; i < 60; i++) {
      await recordActivity(ctx.db, {
        action: 'member.invited',
        actorUserId: pam.id,
        organizationId: pam.organization.id,
        details: { email: `guest${i}@example.test` },
        occurredAt: i < 30 ? same : new Date(same.getTime() + i),
      });
    }
    const browser = await signedIn(ctx, pam.email, pam.password, '192.0.2.74');
    await browser.get('/activity');
    const first = idsIn(browser.lastHtml);
    expect(first).toHaveLength(50);
    const older = /href="(\/activity\?cursor=[^"]+)">Older/.exec(browser.lastHtml)![1]!;
    await browser.get(older.replace(/&amp;/g, '&'));
    const second = idsIn(browser.lastHtml);
    expect(second).toHaveLength(10);
    expect(browser.lastHtml).not.toContain('>Older<');
    expect(new Set([...first, ...second]).size).toBe(60);
  });
});

describe('the CSV export', () => {
  it('downloads the filtered events, every cell quoted, formulas defused', async () => {
    const { sam } = await world();
    const quinn = await person('Quinn Quote');
    await ctx.db
      .updateTable('users')
      .set({ name: '=HYPERLINK("http://evil.example","x")' })
      .where('id', '=', quinn.id)
      .execute();
    await recordActivity(ctx.db, {
      action: 'role.updated',
      actorUserId: quinn.id,
      organizationId: quinn.organization.id,
      target: { type: 'role', id: 'r9' },
      origin: { ip: '192.0.2.75', userAgent: '@SUM(1+1)' },
      details: { name: 'a "quoted", name\nwith a new line' },
    });
    await recordActivity(ctx.db, {
      action: 'role.deleted',
      actorUserId: quinn.id,
      organizationId: quinn.organization.id,
      details: { name: '-2+3' },
    });
    await recordActivity(ctx.db, {
      action: 'role.updated',
      actorUserId: sam.id,
      organizationId: sam.organization.id,
      details: { name: 'not quinn’s' },
    });
    const browser = await signedIn(ctx, quinn.email, quinn.password, '192.0.2.76');

    const res = await browser.get('/activity.csv?action=role.updated');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="activity-\d{4}-\d\d-\d\d\.csv"$/);
    const text = await res.text();
    expect(text.startsWith('"occurred_at","action","description",')).toBe(true);
    expect(text).not.toContain('not quinn');
    const [header, ...rows] = parseCsv(text);
    expect(rows).toHaveLength(1);
    const row = Object.fromEntries(header!.map((h, i) => [h, rows[0]![i]]));
    expect(row).toMatchObject({
      action: 'role.updated',
      description: 'Edited a role',
      actor_name: `'=HYPERLINK("http://evil.example","x")`,
      actor_email: quinn.email,
      target: 'Role “a "quoted", name\nwith a new line”',
      ip: '192.0.2.75',
      user_agent: "'@SUM(1+1)",
    });
    expect(JSON.parse(row.details!)).toEqual({ name: 'a "quoted", name\nwith a new line' });

    const all = parseCsv(await (await browser.get('/activity.csv')).text());
    expect(all.map((r) => r[1])).toEqual(expect.arrayContaining(['role.updated', 'role.deleted']));
    expect(all.find((r) => r[1] === 'role.deleted')![9]).toBe('');
    expect(all.find((r) => r[1] === 'role.deleted')![12]).toBe('{"name":"-2+3"}');
  });
});

describe('the admin activity page', () => {
  it('does not exist for customers', async () => {
    const { sam } = await world();
    const browser = await signedIn(ctx, sam.email, sam.password, '192.0.2.77');
    expect((await browser.get('/admin/activity')).status).toBe(404);
  });

  it('shows platform staff every organization’s events, filtered by user email and organization', async () => {
    const { olga, sam, olgaKey, samKey } = await world();
    const root = await person('Rita Root', { isAdmin: true });
    const browser = await signedIn(ctx, root.email, root.password, '192.0.2.78');
    await browser.get('/admin/activity?action=api_key.created');
    expect(browser.lastHtml).toContain(olgaKey);
    expect(browser.lastHtml).toContain(samKey);
    expect(browser.lastHtml).toContain('href="/admin/activity"');

    await browser.get(`/admin/activity?email=${encodeURIComponent(sam.email)}`);
    expect(browser.lastHtml).toContain(samKey);
    expect(browser.lastHtml).not.toContain(olgaKey);

    await browser.get(
      `/admin/activity?organization=${encodeURIComponent(olga.organization.name)}&action=api_key.created`,
    );
    expect(browser.lastHtml).toContain(olgaKey);
    expect(browser.lastHtml).not.toContain(samKey);

    await browser.get(`/admin/activity?organization=${sam.organization.id}`);
    expect(browser.lastHtml).toContain(samKey);
    expect(browser.lastHtml).not.toContain(olgaKey);
  });
});
