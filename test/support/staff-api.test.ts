import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTicket } from '../../src/domain/support/tickets.ts';
import { apiClient, ISO_UTC, person, tokenFor } from '../api/client.ts';
import { keyFor } from '../api-keys/helpers.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { fundWallet } from '../helpers/money.ts';
import { seedServerCatalogue } from '../helpers/servers.ts';
import { actorOf, supportCast } from './helpers.ts';

let ctx: TestContext;
let cast: Awaited<ReturnType<typeof supportCast>>;
let api: ReturnType<typeof apiClient>;
let bea: Awaited<ReturnType<typeof person>>;
const tokens: Record<string, string> = {};
const IP = '198.51.100.78';

beforeAll(async () => {
  ctx = await createTestContext();
  cast = await supportCast(ctx, await seedServerCatalogue(ctx.db));
  bea = await person(ctx, 'Bea Backline', { isAdmin: true });
  api = apiClient(ctx, IP);
  for (const k of ['ada', 'olive', 'mia'] as const) tokens[k] = await tokenFor(ctx, cast[k].email, IP);
  await fundWallet(ctx.db, cast.acme, 12_340_000n);
});
afterAll(async () => ctx.close());

describe('/api/v1/admin/tickets', () => {
  it('the queue: filters (status, priority, category, assignee me/none/id, organization, q) and counts', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const gus = await actorOf(ctx, cast.gus.email);
    const older = await openTicket(ctx.deps, mia, { subject: 'API queue older', message: 'haystack needle' });
    ctx.clock.advance(60_000);
    const newer = await openTicket(ctx.deps, gus, { subject: 'API queue newer', message: 'x', priority: 'urgent' });

    const all = await api('GET', '/admin/tickets', { token: tokens.ada });
    expect(all.status).toBe(200);
    const subjects = all.body.data.map((t: { subject: string }) => t.subject);
    expect(subjects.indexOf('API queue older')).toBeLessThan(subjects.indexOf('API queue newer'));
    expect(all.body.counts.open).toBeGreaterThanOrEqual(2);
    expect(all.body.has_more).toBe(false);
    expect(all.body.data.find((t: { id: string }) => t.id === older.id)).toMatchObject({
      organization: { id: cast.acme },
      assignee: null,
      status: 'open',
      opened_by: { id: cast.mia.id },
    });
    expect(all.body.data[0].waiting_since).toMatch(ISO_UTC);

    const ids = async (query: string) =>
      (await api('GET', `/admin/tickets?${query}`, { token: tokens.ada })).body.data.map((t: { id: string }) => t.id);
    expect(await ids('priority=urgent')).toEqual([newer.id]);
    expect(await ids(`organization_id=${cast.acme}`)).toEqual([older.id]);
    expect(await ids('q=needle')).toEqual([older.id]);
    expect(await ids(`category_id=${older.categoryId}&q=API%20queue`)).toEqual([older.id, newer.id]);

    const patched = await api('PATCH', `/admin/tickets/${newer.id}`, {
      token: tokens.ada,
      body: { assignee_id: 'me' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.assignee).toEqual({ id: cast.ada.id, name: 'Ada Admin' });
    expect(await ids('assignee=me')).toEqual([newer.id]);
    expect(await ids(`assignee=${cast.ada.id}`)).toEqual([newer.id]);
    expect(await ids('assignee=none&q=API%20queue')).toEqual([older.id]);
    expect(await ids('status=resolved&q=API%20queue')).toEqual([]);
    expect(await ids('status=all&q=API%20queue')).toHaveLength(2);

    const bad = await api('GET', '/admin/tickets?status=sleeping&assignee=someone', { token: tokens.ada });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['assignee', 'status']);
  });

  it('one ticket with the whole thread (internal notes marked), the customer and balance; replies, notes, status, priority, assignment', async () => {
    const mia = await actorOf(ctx, cast.mia.email);
    const t = await openTicket(ctx.deps, mia, {
      subject: 'API staff thread',
      message: 'Help please',
      serverId: cast.web.id,
    });

    const note = await api('POST', `/admin/tickets/${t.id}/replies`, {
      token: tokens.ada,
      body: { message: 'Staff-only remark', internal: true },
    });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({
      message: 'Staff-only remark',
      internal: true,
      from_staff: true,
      attachments: [],
    });
    const reply = await api('POST', `/admin/tickets/${t.id}/replies`, {
      token: tokens.ada,
      body: { message: 'We are on it.' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ internal: false, author: { id: cast.ada.id, name: 'Ada Admin' } });

    const got = await api('GET', `/admin/tickets/${t.id}`, { token: tokens.ada });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      status: 'answered',
      assignee: { id: cast.ada.id },
      waiting_since: null,
      organization: { id: cast.acme },
      customer: {
        organization: { id: cast.acme, balance: '12.34', currency: 'USD' },
        servers: [expect.objectContaining({ label: 'acme-web', ipv4: '203.0.113.10' })],
      },
    });
    expect(got.body.replies.map((r: { message: string; internal: boolean }) => [r.message, r.internal])).toEqual([
      ['Help please', false],
      ['Staff-only remark', true],
      ['We are on it.', false],
    ]);
    expect(got.body.customer.recent_tickets.map((r: { id: string }) => r.id)).toContain(t.id);
    // The customer's API never shows the note.
    const customer = await api('GET', `/tickets/${t.id}`, { token: tokens.mia });
    expect(JSON.stringify(customer.body)).not.toContain('Staff-only remark');

    const update = await api('PATCH', `/admin/tickets/${t.id}`, {
      token: tokens.ada,
      body: { status: 'closed', priority: 'high', assignee_id: bea.id },
    });
    expect(update.status).toBe(200);
    expect(update.body).toMatchObject({ status: 'closed', priority: 'high', assignee: { id: bea.id } });
    const closedReply = await api('POST', `/admin/tickets/${t.id}/replies`, {
      token: tokens.ada,
      body: { message: 'too late' },
    });
    expect(closedReply.status).toBe(409);
    expect(closedReply.body.error.code).toBe('conflict');
    expect(
      (
        await api('POST', `/admin/tickets/${t.id}/replies`, {
          token: tokens.ada,
          body: { message: 'n', internal: true },
        })
      ).status,
    ).toBe(201);

    const notStaff = await api('PATCH', `/admin/tickets/${t.id}`, {
      token: tokens.ada,
      body: { assignee_id: cast.olive.id },
    });
    expect(notStaff.status).toBe(422);
    expect(notStaff.body.error.fields).toHaveProperty('assignee_id');
    const unassigned = await api('PATCH', `/admin/tickets/${t.id}`, { token: tokens.ada, body: { assignee_id: null } });
    expect(unassigned.body.assignee).toBeNull();
    expect(
      (await api('POST', `/admin/tickets/${t.id}/replies`, { token: tokens.ada, body: { message: '  ' } })).status,
    ).toBe(422);
    expect((await api('GET', `/admin/tickets/${crypto.randomUUID()}`, { token: tokens.ada })).status).toBe(404);
    expect((await api('GET', '/admin/tickets/nope', { token: tokens.ada })).status).toBe(404);
  });

  it('is for a platform admin’s access token only: customers’ tokens and API keys are 403, no token 401', async () => {
    const t = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), { subject: 'Not yours', message: 'x' });
    const { key } = await keyFor(ctx, cast.olive.email, IP, {
      organization_id: cast.acme,
      permissions: ['tickets_view', 'tickets_create', 'tickets_manage'],
    });
    for (const token of [tokens.olive, key]) {
      expect((await api('GET', '/admin/tickets', { token })).status).toBe(403);
      expect((await api('GET', `/admin/tickets/${t.id}`, { token })).status).toBe(403);
      expect((await api('POST', `/admin/tickets/${t.id}/replies`, { token, body: { message: 'x' } })).status).toBe(403);
      expect((await api('PATCH', `/admin/tickets/${t.id}`, { token, body: { status: 'closed' } })).status).toBe(403);
      expect((await api('GET', '/admin/canned-replies', { token })).status).toBe(403);
      expect((await api('POST', '/admin/ticket-categories', { token, body: { name: 'Sneaky' } })).status).toBe(403);
    }
    expect((await api('GET', '/admin/tickets')).status).toBe(401);
    const row = await ctx.db.selectFrom('tickets').select('status').where('id', '=', t.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('open');
  });
});

describe('/api/v1/admin/tickets and files', () => {
  /** A staff reply over the API as multipart: `message`, `internal` and the repeatable `attachments`. */
  async function upload(ticketId: string, fields: Record<string, string>, uploads: { name: string; text: string }[]) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    for (const f of uploads) form.append('attachments', new File([new TextEncoder().encode(f.text)], f.name));
    const res = await ctx.app.request(`/api/v1/admin/tickets/${ticketId}/replies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.ada}`, 'x-forwarded-for': IP },
      body: form,
    });
    return { status: res.status, body: await res.json() };
  }

  it('a multipart staff note keeps its files (staff download them; the customer never sees them); refusals are 422', async () => {
    const t = await openTicket(ctx.deps, await actorOf(ctx, cast.mia.email), {
      subject: 'Staff files',
      message: 'see attached',
      attachments: [{ name: 'customer.log', bytes: new TextEncoder().encode('customer log line\n') }],
    });
    const note = await upload(t.id, { message: 'Our own trace', internal: 'true' }, [
      { name: 'trace.txt', text: 'STAFF TRACE\n' },
    ]);
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({
      internal: true,
      attachments: [{ file_name: 'trace.txt', content_type: 'text/plain' }],
    });
    const url: string = note.body.attachments[0].url;
    expect(url).toBe(`/api/v1/admin/tickets/${t.id}/attachments/${note.body.attachments[0].id}`);

    const download = await ctx.app.request(url, {
      headers: { authorization: `Bearer ${tokens.ada}`, 'x-forwarded-for': IP },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('attachment');
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await download.text()).toBe('STAFF TRACE\n');

    // The thread lists the customer's file too, under the staff API's URLs.
    const got = await api('GET', `/admin/tickets/${t.id}`, { token: tokens.ada });
    expect(got.body.replies[0].attachments[0]).toMatchObject({ file_name: 'customer.log' });
    expect(got.body.replies[0].attachments[0].url).toMatch(new RegExp(`^/api/v1/admin/tickets/${t.id}/attachments/`));

    // The customer cannot reach the note's file, by either API.
    const asCustomer = await ctx.app.request(`/api/v1/tickets/${t.id}/attachments/${note.body.attachments[0].id}`, {
      headers: { authorization: `Bearer ${tokens.mia}`, 'x-forwarded-for': IP },
    });
    expect(asCustomer.status).toBe(404);
    const staffUrlAsCustomer = await ctx.app.request(url, {
      headers: { authorization: `Bearer ${tokens.mia}`, 'x-forwarded-for': IP },
    });
    expect(staffUrlAsCustomer.status).toBe(403);
    expect(
      (await api('GET', `/admin/tickets/${t.id}/attachments/${crypto.randomUUID()}`, { token: tokens.ada })).status,
    ).toBe(404);

    // Files beyond the API's usual 1 MiB body: taken from staff; anyone else keeps the 1 MiB limit.
    const big = 'a log line that repeats\n'.repeat(64 * 1024); // 1.5 MiB
    expect(
      (await upload(t.id, { message: 'big log', internal: 'true' }, [{ name: 'big.log', text: big }])).status,
    ).toBe(201);
    const form = new FormData();
    form.set('message', 'x');
    form.append('attachments', new File([new TextEncoder().encode(big)], 'big.log'));
    const fromCustomer = await ctx.app.request(`/api/v1/admin/tickets/${t.id}/replies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.mia}`, 'x-forwarded-for': IP },
      body: form,
    });
    expect(fromCustomer.status).toBe(413);

    // A file that is not what its name says is refused, the reply not kept.
    const before = (await api('GET', `/admin/tickets/${t.id}`, { token: tokens.ada })).body.replies.length;
    const refused = await upload(t.id, { message: 'fake pdf' }, [
      { name: 'x.pdf', text: '<html><body>hi</body></html>' },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields).toHaveProperty('attachments');
    expect((await api('GET', `/admin/tickets/${t.id}`, { token: tokens.ada })).body.replies.length).toBe(before);
  });
});

describe('/api/v1/admin/ticket-categories and /api/v1/admin/canned-replies', () => {
  it('categories: add, rename, position, default, archive (never the default), delete only unused', async () => {
    const add = await api('POST', '/admin/ticket-categories', { token: tokens.ada, body: { name: 'Abuse' } });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ name: 'Abuse', is_default: false, archived: false, tickets: 0 });
    const id = add.body.id;
    expect(
      (await api('POST', '/admin/ticket-categories', { token: tokens.ada, body: { name: 'abuse' } })).body.error.fields,
    ).toHaveProperty('name');
    const renamed = await api('PATCH', `/admin/ticket-categories/${id}`, {
      token: tokens.ada,
      body: { name: 'Abuse reports', position: 3, is_default: true },
    });
    expect(renamed.body).toMatchObject({ name: 'Abuse reports', position: 3, is_default: true });
    const refused = await api('PATCH', `/admin/ticket-categories/${id}`, {
      token: tokens.ada,
      body: { archived: true, name: 'Renamed by a refused request' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    const list = await api('GET', '/admin/ticket-categories', { token: tokens.ada });
    expect(list.body.data[0]).toMatchObject({ id, is_default: true, name: 'Abuse reports', archived: false });
    const general = list.body.data.find((k: { name: string }) => k.name === 'General');
    await api('PATCH', `/admin/ticket-categories/${general.id}`, { token: tokens.ada, body: { is_default: true } });
    // General has tickets: not deleted (409), archived instead.
    expect((await api('DELETE', `/admin/ticket-categories/${general.id}`, { token: tokens.ada })).status).toBe(409);
    const archived = await api('PATCH', `/admin/ticket-categories/${id}`, {
      token: tokens.ada,
      body: { archived: true },
    });
    expect(archived.body).toMatchObject({ archived: true });
    const customerList = await api('GET', '/tickets/categories', { token: tokens.mia });
    expect(customerList.body.data.map((k: { id: string }) => k.id)).not.toContain(id);
    expect((await api('DELETE', `/admin/ticket-categories/${id}`, { token: tokens.ada })).status).toBe(204);
    expect((await api('DELETE', `/admin/ticket-categories/${id}`, { token: tokens.ada })).status).toBe(404);
  });

  it('canned replies: create, read, search, change, delete; 422 naming the field', async () => {
    const made = await api('POST', '/admin/canned-replies', {
      token: tokens.ada,
      body: { title: 'Reboot advice', body: 'Hi {{customer}}, try a reboot.' },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ title: 'Reboot advice', created_by: 'Ada Admin' });
    expect(made.body.created_at).toMatch(ISO_UTC);
    const bad = await api('POST', '/admin/canned-replies', { token: tokens.ada, body: { title: '', body: 'x' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields).toHaveProperty('title');
    const missing = await api('POST', '/admin/canned-replies', { token: tokens.ada, body: { title: 'No body' } });
    expect(missing.status).toBe(422);
    expect(missing.body.error.fields).toHaveProperty('body');
    expect((await api('GET', `/admin/canned-replies/${made.body.id}`, { token: tokens.ada })).body.body).toBe(
      'Hi {{customer}}, try a reboot.',
    );
    expect((await api('GET', '/admin/canned-replies?q=reboot', { token: tokens.ada })).body.data).toHaveLength(1);
    expect((await api('GET', '/admin/canned-replies?q=nothing-like-it', { token: tokens.ada })).body.data).toEqual([]);
    const changed = await api('PATCH', `/admin/canned-replies/${made.body.id}`, {
      token: tokens.ada,
      body: { body: 'Reboot, then tell us.' },
    });
    expect(changed.body).toMatchObject({ title: 'Reboot advice', body: 'Reboot, then tell us.' });
    expect((await api('DELETE', `/admin/canned-replies/${made.body.id}`, { token: tokens.ada })).status).toBe(204);
    expect((await api('GET', `/admin/canned-replies/${made.body.id}`, { token: tokens.ada })).status).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await api('GET', '/openapi.json');
    for (const p of [
      '/admin/tickets',
      '/admin/tickets/{id}',
      '/admin/tickets/{id}/replies',
      '/admin/tickets/{id}/attachments/{attachmentId}',
      '/admin/ticket-categories',
      '/admin/ticket-categories/{id}',
      '/admin/canned-replies',
      '/admin/canned-replies/{id}',
    ])
      expect(doc.body.paths).toHaveProperty([p]);
    expect(Object.keys(doc.body.paths['/admin/tickets/{id}']).sort()).toEqual(['get', 'patch']);
  });
});
