import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lib/errors.ts';
import { checkTemplate, emailTemplateName } from '../../src/mail/overrides.ts';
import { useFuzzWorld } from './world.ts';

/** What the fuzz found (each was a 500), kept as plain tests so they stay fixed whatever the seed. */

const w = useFuzzWorld();

async function postAsStaff(url: string, body: string) {
  const staff = await w.caller('staff');
  return w.ctx.app.request(url, {
    method: 'POST',
    headers: {
      cookie: staff.cookie,
      'x-csrf-token': staff.csrf,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': '198.51.100.30',
    },
    body,
  });
}

describe('inputs the fuzz found', () => {
  it('a page address with a NUL character in its query or path is a 400 page, not a 500 from the database', async () => {
    const owner = await w.caller('owner');
    const staff = await w.caller('staff');
    const get = (url: string, cookie: string) =>
      w.ctx.app.request(url, { headers: { cookie, 'x-forwarded-for': '198.51.100.33' } });
    for (const url of ['/vps?q=%00', '/search?q=a%00b', '/notes?q=%00', '/vps/%00'])
      expect((await get(url, owner.cookie)).status, url).toBe(400);
    for (const url of ['/admin/users?q=%00', '/admin/tickets?q=%00', '/admin/servers?q=%00'])
      expect((await get(url, staff.cookie)).status, url).toBe(400);
    const page = await get('/vps?q=%00', owner.cookie);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await get('/vps?q=web', owner.cookie)).status).toBe(200);
  });

  it('a NUL character in a JSON string or a query parameter is a 422 naming the field (in the path: 404), before anything is stored — not a 500', async () => {
    const owner = await w.caller('owner');
    const api = async (method: string, path: string, body?: string) => {
      const res = await w.ctx.app.request(`/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${owner.bearer}`,
          'x-forwarded-for': '198.51.100.32',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body,
      });
      return { status: res.status, body: (await res.json()) as { error?: { fields?: Record<string, string> } } };
    };
    const made = await api('POST', '/organizations', JSON.stringify({ name: 'Acme Hosting\u0000' }));
    expect(made.status).toBe(422);
    expect(Object.keys(made.body.error?.fields ?? {})).toEqual(['name']);
    expect(
      await w.ctx.db.selectFrom('organizations').select('id').where('name', 'like', 'Acme Hosting%').execute(),
    ).toEqual([]);
    const token = await api('POST', '/auth/tokens', JSON.stringify({ email: 'a@example.test\u0000', password: 'x' }));
    expect(token.status).toBe(422);
    expect(Object.keys(token.body.error?.fields ?? {})).toEqual(['email']);
    const rules = await api(
      'POST',
      '/firewalls',
      JSON.stringify({ label: 'fw', rules: { inbound: [{ label: 'x\u0000' }] } }),
    );
    expect(rules.body.error?.fields).toHaveProperty(['rules.inbound.0.label']);
    const listed = await api('GET', '/vps?q=web%00');
    expect(listed.status).toBe(422);
    expect(Object.keys(listed.body.error?.fields ?? {})).toEqual(['q']);
    const named = await api(
      'POST',
      '/hosting/services/%00/databases/users',
      JSON.stringify({ username: 'u', password: 'p' }),
    );
    expect(named.status).toBe(404);
    // A backslash before u0000 is text, not a NUL: it goes on to the handler.
    expect((await api('POST', '/organizations', JSON.stringify({ name: 'Back\\u0000slash' }))).status).toBe(201);
  });

  it('a form field with a NUL character (an organization named "a\\0b") is saved with U+FFFD in its place, not a 500', async () => {
    const owner = await w.caller('owner');
    const res = await w.ctx.app.request('/organizations', {
      method: 'POST',
      headers: {
        cookie: owner.cookie,
        'x-csrf-token': owner.csrf,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': '198.51.100.31',
      },
      body: 'name=Nul%00Corp',
    });
    expect(res.status).toBe(303);
    const org = await w.ctx.db
      .selectFrom('organizations')
      .select('name')
      .where('name', 'like', 'Nul%Corp')
      .executeTakeFirst();
    expect(org?.name).toBe('Nul\uFFFDCorp');
  });

  it('an email template with a NUL character is refused (422 naming the part), not a failed save; the form makes it U+FFFD first', async () => {
    for (const field of ['subject', 'html', 'text'] as const) {
      const source = { subject: 'Welcome', html: '<p>Hello</p>', text: 'Hello' };
      source[field] = `${source[field]}\u0000`;
      expect(() => checkTemplate(emailTemplateName('welcome'), source), field).toThrow(ValidationError);
    }
    const res = await postAsStaff(
      '/admin/email-templates/welcome',
      'subject=Welcome&html=%3Cp%3EHi%00%3C%2Fp%3E&text=Hi',
    );
    expect(res.status).toBe(303);
  });

  it('starting a billing run of an hour already queued says 409 every time — the sixth time too (PostgreSQL plans it generically then)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await postAsStaff('/admin/billing/runs', 'hour=')).status);
    expect(statuses).toEqual([303, 409, 409, 409, 409, 409, 409, 409, 409]);
    const queued = await w.ctx.db.selectFrom('billing_runs').select('id').where('status', '=', 'queued').execute();
    expect(queued).toHaveLength(1);
  });
});
