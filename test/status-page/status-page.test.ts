import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { putSetting } from '../../src/domain/settings/store.ts';
import { TestBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createPerson, signedIn, uniqueEmail } from '../helpers/people.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';

let ctx: TestContext;
let admin: TestBrowser;

beforeAll(async () => {
  ctx = await createTestContext();
  await seedServerCatalogue(ctx.db);
  const ada = await createPerson(ctx, 'Ada Admin', { isAdmin: true, verified: true, email: uniqueEmail('Ada Admin') });
  await createPerson(ctx, 'Bob Customer', { verified: true, email: uniqueEmail('Bob Customer') });
  admin = await signedIn(ctx, ada.email);
});
afterAll(async () => ctx.close());
beforeEach(async () => {
  await ctx.db.deleteFrom('status_incidents').execute();
  await ctx.db.deleteFrom('platform_settings').where('key', '=', 'platform').execute();
});

const minute = (d: Date) => d.toISOString().slice(0, 16);
const inHours = (h: number) => minute(new Date(ctx.clock.now().getTime() + h * 3600_000));
const guest = () => new TestBrowser(ctx.app, '203.0.113.90');

/** Posts through the staff form; the new incident's id. */
async function post(fields: Record<string, string | string[]>): Promise<string> {
  await admin.get('/admin/status/new');
  const { regions = ['platform'], ...rest } = fields;
  const body = new URLSearchParams({
    _csrf: admin.csrf,
    kind: 'incident',
    impact: 'minor',
    ...(rest as Record<string, string>),
  });
  for (const r of [regions].flat()) body.append('regions', r);
  const res = await ctx.app.request('/admin/status', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
      'x-forwarded-for': '203.0.113.5',
      cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(303);
  const id = /\/admin\/status\/([0-9a-f-]{36})$/.exec(res.headers.get('location') ?? '')?.[1];
  expect(id).toBeTruthy();
  return id!;
}

const section = (html: string, testid: string) => {
  const start = html.indexOf(`data-testid="${testid}"`);
  if (start < 0) return '';
  return html.slice(start, html.indexOf('</section>', start));
};

describe('the status page', () => {
  it('says all is well with the health checks, lists every region, and has a title and description', async () => {
    const g = guest();
    const res = await g.get('/status');
    expect(res.status).toBe(200);
    expect(g.lastHtml).toContain('<title>Status · ');
    expect(g.lastHtml).toMatch(/<meta name="description" content="Live status[^"]*"/);
    expect(g.lastHtml).toContain('All systems operational');
    expect(section(g.lastHtml, 'components')).not.toContain('Having problems');
    for (const label of ['New York', 'Frankfurt', 'Singapore']) expect(section(g.lastHtml, 'regions')).toContain(label);
    expect(g.lastHtml).toContain('No incidents or maintenance in the last 90 days.');
  });

  it('shows an incident on the regions it affects, its updates, and once resolved in the history', async () => {
    const id = await post({
      title: 'Frankfurt network <b>loss</b>',
      impact: 'major',
      regions: ['eu-central'],
      message: 'Packets dropped.',
    });
    let g = guest();
    await g.get('/status');
    expect(g.lastHtml).toContain('A major incident is in progress');
    const current = section(g.lastHtml, 'current-incidents');
    expect(current).toContain('Frankfurt network &lt;b&gt;loss&lt;/b&gt;');
    expect(current).toContain('Investigating');
    expect(current).toContain('Packets dropped.');
    expect(g.lastHtml).toMatch(/data-region="eu-central">[\s\S]*?Outage[\s\S]*?#incident-/);
    expect(g.lastHtml).toMatch(
      /data-region="us-east">\s*<div[^>]*><span[^>]*>New York<\/span><span class="badge badge-success">Operational/,
    );

    let res = await admin.post(`/admin/status/${id}/updates`, { status: 'identified', message: 'A switch failed.' });
    expect(res.status).toBe(303);
    res = await admin.post(`/admin/status/${id}/updates`, { status: 'resolved', message: '' });
    expect(res.status).toBe(303);
    g = guest();
    await g.get('/status');
    expect(g.lastHtml).toContain('All systems operational');
    expect(section(g.lastHtml, 'current-incidents')).toBe('');
    const history = section(g.lastHtml, 'history');
    expect(history).toContain('Frankfurt network');
    expect(history).toContain('A switch failed.');
    expect(history).toContain('Resolved');

    // After 90 days it leaves the history.
    ctx.clock.advance(91 * 86_400_000);
    g = guest();
    await g.get('/status');
    expect(g.lastHtml).not.toContain('Frankfurt network');
    ctx.clock.advance(-91 * 86_400_000);
  });

  it('shows maintenance windows: planned before they start, in progress after, completed into the history', async () => {
    const id = await post({
      title: 'Storage upgrade',
      kind: 'maintenance',
      impact: 'none',
      regions: ['us-east'],
      startsAt: inHours(2),
      endsAt: inHours(4),
      message: 'Short interruptions possible.',
    });
    let g = guest();
    await g.get('/status');
    expect(section(g.lastHtml, 'maintenance-upcoming')).toContain('Storage upgrade');
    expect(section(g.lastHtml, 'maintenance-upcoming')).toContain('planned end');
    expect(section(g.lastHtml, 'maintenance-upcoming')).toContain('Scheduled');
    expect(section(g.lastHtml, 'maintenance-now')).toBe('');

    ctx.clock.advance(3 * 3600_000);
    try {
      g = guest();
      await g.get('/status');
      expect(section(g.lastHtml, 'maintenance-now')).toContain('Storage upgrade');
      expect(g.lastHtml).toContain('Maintenance in progress');
      expect(g.lastHtml).toMatch(/data-region="us-east">[\s\S]*?Maintenance</);
      const res = await admin.post(`/admin/status/${id}/resolve`, {});
      expect(res.status).toBe(303);
      g = guest();
      await g.get('/status');
      expect(section(g.lastHtml, 'history')).toContain('Storage upgrade');
      expect(section(g.lastHtml, 'history')).toContain('Completed');
    } finally {
      ctx.clock.advance(-3 * 3600_000);
    }
  });

  it('shows maintenance mode with its message and planned end', async () => {
    const end = new Date(ctx.clock.now().getTime() + 3_600_000);
    await putSetting(
      ctx.db,
      'platform',
      {
        maintenanceEnabled: true,
        maintenanceMessage: 'Moving to a new data centre.',
        maintenancePlannedEnd: end.toISOString(),
      },
      null,
      new Date(),
    );
    const g = guest();
    const res = await g.get('/status');
    expect(res.status).toBe(200);
    const m = section(g.lastHtml, 'maintenance-mode');
    expect(m).toContain('Maintenance mode is on');
    expect(m).toContain('Moving to a new data centre.');
    expect(m).toContain(`datetime="${end.toISOString()}"`);
  });

  it('never shows business figures: no money, no counts of customers or servers, no billing lag', async () => {
    const g = guest();
    await g.get('/status');
    const text = g.lastHtml.replace(/<[^>]+>/g, ' ');
    expect(text).not.toMatch(
      /\$\s?\d|€\s?\d|revenue|customers?\b|\bservers? (running|active)|lag|\d+ (users|organizations|servers)/i,
    );
  });

  it('refuses bad staff input with 422 and the form as typed; edits and deletes', async () => {
    await admin.get('/admin/status/new');
    let res = await admin.post('/admin/status', {
      title: 'Kept title',
      kind: 'incident',
      impact: 'minor',
      endsAt: 'soon',
    });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Choose what it affects');
    expect(admin.lastHtml).toContain('The planned end is not a date');
    expect(admin.lastHtml).toContain('value="Kept title"');
    expect(await ctx.db.selectFrom('status_incidents').select('id').execute()).toHaveLength(0);

    const id = await post({ title: 'Edit me' });
    res = await admin.post(`/admin/status/${id}`, {
      title: 'Edited',
      kind: 'incident',
      impact: 'critical',
      regions: 'ap-south',
    });
    expect(res.status).toBe(303);
    const row = await ctx.db.selectFrom('status_incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ title: 'Edited', impact: 'critical', affected_regions: ['ap-south'] });
    res = await admin.post(`/admin/status/${id}/updates`, { status: 'completed', message: 'x' });
    expect(res.status).toBe(422);
    expect(admin.lastHtml).toContain('Choose investigating, identified, monitoring, resolved.');
    res = await admin.post(`/admin/status/${id}/delete`);
    expect(res.status).toBe(303);
    expect(await ctx.db.selectFrom('status_incidents').select('id').execute()).toHaveLength(0);
    const log = await ctx.db.selectFrom('activity_log').select('action').where('target_id', '=', id).execute();
    expect(log.map((l) => l.action)).toEqual([
      'admin.status_incident_saved',
      'admin.status_incident_saved',
      'admin.status_incident_deleted',
    ]);
  });
});

describe('/ready', () => {
  it('answers as before: status, checks, billing fields (the checks now shared with /status)', async () => {
    const res = await ctx.app.request('/ready');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'status',
      'checks',
      'last_billed_hour',
      'billing_lag_seconds',
      'billing_lag_limit_seconds',
    ]);
    expect(body.status).toBe('ready');
    expect(body.checks).toEqual({ database: true, migrations: true, jobs: true, billing: true });
  });
});
